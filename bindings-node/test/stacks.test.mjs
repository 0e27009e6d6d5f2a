// mgx stacks from Node: conversions, lookup, inference, the registry.
import { test } from 'node:test';
import { tempDir } from './tmp.mjs';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const mgx = require('../index.js');

const labelled = readFileSync(new URL('../../mgx-stacks/tests/data/inference.tsv', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim() && !l.startsWith('#'))
  .map((l) => {
    const [expected, task = ''] = l.split('\t');
    return [expected === '-' ? null : expected, task];
  });

test('stacks() lists every stack in registry order', () => {
  const ids = mgx.stacks().map((s) => s.id);
  assert.deepEqual(ids, mgx.stackIds());
  assert.equal(ids.length, 23);
  assert.deepEqual(ids.slice(0, 4), ['express-ts', 'nestjs', 'laravel', 'fastapi']);
  assert.deepEqual(ids.slice(-6), ['django', 'flask', 'go-gin', 'rust-axum', 'rails', 'spring-boot']);
});

test('a stack converts to a camelCase object', () => {
  const s = mgx.getStack('fastapi');
  assert.equal(s.id, 'fastapi');
  assert.equal(s.category, 'backend');
  assert.equal(s.language, 'py');
  assert.equal(s.languageName, 'Python');
  assert.equal(s.packageManager, 'pip');
  assert.equal(s.test.framework, 'pytest');
  assert.equal(s.test.filePattern, 'tests/test_*.py');
  assert.deepEqual(s.linter, { name: 'ruff', command: 'ruff check .' });
  assert.equal(s.run.dev, 'uvicorn app.main:app --reload');
  assert.ok(s.rules.requiredFiles.includes('requirements.txt|pyproject.toml'));
  assert.ok(s.prompt.reviewChecklist.length >= 3);
  assert.equal(s.inference.keywords[0], 'fastapi');
  assert.match(s.promptBrief, /Review checklist/);
  const devops = mgx.getStack('devops-docker');
  assert.equal(devops.test ?? null, null);
  assert.equal(devops.packageManager ?? null, null);
});

test('an unknown stack throws with code unknown_stack and the closest ids', () => {
  assert.throws(() => mgx.getStack('fastapy'), (err) => {
    assert.ok(err instanceof Error);
    assert.equal(err.code, 'unknown_stack');
    assert.match(err.message, /did you mean `fastapi`/);
    return true;
  });
});

test('inference answers like the Rust core', () => {
  const got = mgx.inferStack('an Express API, not FastAPI');
  assert.equal(got.stack, 'express-ts');
  assert.ok(got.confidence >= 0.5 && got.confidence <= 1);
  assert.equal(got.isConfident, true);
  assert.equal(got.candidates[0].stack, 'express-ts');
  assert.ok(got.candidates.every((c) => c.stack !== 'fastapi'));
  assert.equal(got.candidates[0].evidence[0].kind, 'keyword');

  const none = mgx.inferStack('Build an Angular dashboard');
  assert.equal(none.stack ?? null, null);
  assert.equal(none.confidence, 0);
  assert.deepEqual(none.unsupported, ['angular']);
  assert.match(none.note, /react-vite/);

  const correct = labelled.filter(([expected, task]) => (mgx.inferStack(task).stack ?? null) === expected).length;
  assert.ok(correct / labelled.length >= 0.95, `${correct}/${labelled.length}`);
});

test('a registry takes stacks from JSON, TOML and files', () => {
  const reg = new mgx.StackRegistry();
  assert.equal(reg.size, 23);
  assert.ok(reg.has('fastapi'));
  assert.equal(reg.infer('Write an Elixir Phoenix API').stack ?? null, null);
  const ids = reg.registerToml(
    'id = "phoenix"\nname = "Elixir + Phoenix"\ncategory = "backend"\nlanguage = "elixir"\n' +
      'file_extensions = [".ex"]\n[inference]\nkeywords = ["phoenix"]\n',
  );
  assert.deepEqual(ids, ['phoenix']);
  assert.equal(reg.infer('Write an Elixir Phoenix API').stack, 'phoenix');
  assert.equal(reg.ids().at(-1), 'phoenix');
  assert.ok(!mgx.stackIds().includes('phoenix'), 'the built-in registry is untouched');

  assert.throws(
    () => reg.registerJson('{"id": "fastapi", "name": "x", "category": "backend", "language": "py", "file_extensions": [".py"]}'),
    { code: 'duplicate_stack' },
  );
  assert.throws(() => reg.registerJson('{"id": "Bad", "name": "x", "category": "backend", "language": "py", "file_extensions": [".py"]}'), {
    code: 'invalid_spec',
  });
  assert.throws(() => reg.registerToml('id = '), { code: 'parse_spec' });

  const empty = new mgx.StackRegistry(false);
  assert.equal(empty.size, 0);
  const dir = tempDir('mgx-');
  const file = join(dir, 'one.json');
  writeFileSync(file, JSON.stringify({ id: 'one', name: 'One', category: 'devops', language: 'yaml', file_extensions: ['.yml'] }));
  assert.deepEqual(empty.registerFile(file), ['one']);
  assert.deepEqual(empty.stacks().map((s) => s.id), ['one']);
  assert.throws(() => empty.registerFile(join(dir, 'missing.toml')), { code: 'io' });
  assert.throws(() => empty.get('two'), { code: 'unknown_stack' });
});
