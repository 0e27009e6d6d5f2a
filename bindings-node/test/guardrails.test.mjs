// mgx guardrails from Node: the manifest parser, validation, the revision prompt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const mgx = require('../index.js');

const OUTPUT = `Here is the project.
FILE: app/main.py
\`\`\`python
import logging
from fastapi import FastAPI
from app.config import settings

app = FastAPI()
\`\`\`
FILE: requirements.txt
\`\`\`
fastapi
uvicorn
\`\`\`
`;

test('parseManifest returns files, prose and duplicates in camelCase', () => {
  const m = mgx.parseManifest(OUTPUT);
  assert.deepEqual(m.files.map((f) => f.path), ['app/main.py', 'requirements.txt']);
  assert.equal(m.files[0].line, 2);
  assert.equal(m.files[0].contentLine, 4);
  assert.equal(m.files[0].fence, 'python');
  assert.ok(m.files[0].content.startsWith('import logging\n'));
  assert.deepEqual(m.prose, [{ line: 1, endLine: 1, text: 'Here is the project.' }]);
  assert.deepEqual(m.duplicates, []);
  const again = mgx.parseManifest(mgx.renderManifest(m));
  assert.deepEqual(again.files.map((f) => [f.path, f.content]), m.files.map((f) => [f.path, f.content]));
});

test('validateOutput with a stack and constraints', () => {
  const ok = mgx.validateOutput(OUTPUT, { stack: 'fastapi', constraints: ['No extra libraries'] });
  assert.equal(ok.isValid, true);
  assert.deepEqual(ok.errors, []);
  assert.match(ok.summary(), /^validation passed/);

  const strict = mgx.validateOutput(OUTPUT, { stack: 'fastapi', strict: true });
  assert.equal(strict.isValid, false);
  assert.ok(strict.has('prose_outside_files'));
  assert.equal(strict.errors[0].code, 'prose_outside_files');
  assert.equal(strict.errors[0].severity, 'error');
  assert.equal(strict.errors[0].line, 1);
  assert.equal(JSON.parse(JSON.stringify(strict)).is_valid, false);
});

test('findings carry code, path and line', () => {
  const bad = 'FILE: ../x.py\nimport os\nFILE: app/main.py\nfrom django import x\n';
  const r = mgx.validateOutput(bad, { stack: 'fastapi', constraints: ['Use Pydantic models'] });
  assert.deepEqual(r.errors.map((f) => f.code), ['invalid_path', 'forbidden_import', 'missing_required_file']);
  assert.equal(r.errors[1].path, 'app/main.py');
  assert.equal(r.errors[1].line, 4);
  assert.equal(r.notes[0].code, 'constraint_not_checked');
  assert.throws(() => mgx.validateOutput(bad, { stack: 'fastapy' }), { code: 'unknown_stack' });
  assert.equal(mgx.validateOutput('').errors[0].code, 'empty_output');
});

test('a custom stack from a registry', () => {
  const reg = new mgx.StackRegistry();
  reg.registerToml('id = "mini"\nname = "Mini"\ncategory = "backend"\nlanguage = "py"\nfile_extensions = [".py"]\n[rules]\nrequired_files = ["main.py"]\n');
  const r = mgx.validateOutput('FILE: other.py\nx = 1\n', { stack: 'mini' }, reg);
  assert.deepEqual(r.errors.map((f) => f.code), ['missing_required_file']);
  assert.throws(() => mgx.validateOutput('FILE: other.py\nx\n', { stack: 'mini' }), { code: 'unknown_stack' });
});

test('buildRevisionPrompt', () => {
  const r = mgx.validateOutput('FILE: main.go\npackage main\n', { stack: 'fastapi' });
  const prompt = mgx.buildRevisionPrompt(r, 'Create a FastAPI /health endpoint');
  assert.match(prompt, /^OUTPUT VALIDATION FAILED/);
  assert.match(prompt, /Original task: Create a FastAPI \/health endpoint/);
  assert.equal(prompt, mgx.buildRevisionPrompt(r, 'Create a FastAPI /health endpoint'));
});
