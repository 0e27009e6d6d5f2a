// mgx patching from Node: apply, dry run, best effort, backups, recovery, diffs.
import { test } from 'node:test';
import { tempDir } from './tmp.mjs';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { writeFileSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const mgx = require('../index.js');

const DIFF = '--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,2 @@\n def f():\n-    return 1\n+    return 2\n';

test('applyPatch, dry run and backups', () => {
  const root = tempDir('mgx-patch-');
  writeFileSync(join(root, 'app.py'), 'import os\n\ndef f():\n    return 1\n');
  const dry = mgx.applyPatch(root, DIFF, { dryRun: true });
  assert.equal(dry.status, 'dry_run');
  assert.equal(readFileSync(join(root, 'app.py'), 'utf8').endsWith('return 1\n'), true);

  const result = mgx.applyPatch(root, DIFF);
  assert.equal(result.status, 'applied');
  assert.equal(result.ok, true);
  assert.equal(result.files[0].hunks[0].status, 'applied_offset');
  assert.equal(result.files[0].hunks[0].line, 3);
  assert.equal(readFileSync(join(root, 'app.py'), 'utf8'), 'import os\n\ndef f():\n    return 2\n');
  assert.equal(mgx.applyPatch(root, DIFF, { fsync: false }).status, 'already_applied');

  const runs = mgx.listBackups(root);
  assert.deepEqual(runs.map((r) => r.run), [result.run]);
  assert.deepEqual(runs[0].files, [{ path: 'app.py', existed: true }]);
  assert.equal(mgx.restoreBackup(root, result.run, 'app.py').status, 'applied');
  assert.ok(readFileSync(join(root, 'app.py'), 'utf8').endsWith('return 1\n'));
  assert.equal(mgx.pruneBackups(root, 1).length, 1);
  assert.deepEqual(mgx.recover(root), []);
});

test('refusal, best effort and typed errors', () => {
  const root = tempDir('mgx-patch-');
  writeFileSync(join(root, 'a.txt'), 'a\n');
  const bad = '--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-zzz\n+y\n';
  const refused = mgx.applyPatch(root, bad);
  assert.equal(refused.status, 'refused');
  assert.equal(refused.files[0].status, 'failed');
  assert.deepEqual(readdirSync(root), ['a.txt']);
  mgx.applyPatch(root, bad, { mode: 'best_effort' });
  assert.ok(existsSync(join(root, 'a.txt.mgx_failed_diff.txt')));
  assert.throws(() => mgx.applyPatch(root, '--- /dev/null\n+++ b/../x.txt\n@@ -0,0 +1 @@\n+x\n'), { code: 'unsafe_path' });
  assert.throws(() => mgx.applyPatch(root, '@@ -1 +1 @@\n-a\n+b\n'), { code: 'malformed_patch' });
  assert.throws(() => mgx.applyPatch(root, bad, { mode: 'sometimes' }), { code: 'invalid_mode' });
  assert.throws(() => mgx.restoreBackup(root, 'nope'), { code: 'no_such_backup' });
});

test('makeDiff applies back', () => {
  const root = tempDir('mgx-patch-');
  const [oldText, newText] = ['a\nb\nc\n', 'a\nB\nc\nd\n'];
  writeFileSync(join(root, 'f.txt'), oldText);
  const diff = mgx.makeDiff(oldText, newText, 'f.txt');
  assert.ok(diff.startsWith('--- a/f.txt\n+++ b/f.txt\n'));
  assert.equal(mgx.applyPatch(root, diff).ok, true);
  assert.equal(readFileSync(join(root, 'f.txt'), 'utf8'), newText);
});

test('a hunk that may already be applied is refused with both sets of lines', () => {
  const root = tempDir('mgx-patch-');
  const text = 'x\nx\na\nb\nnew\nc\nx\nx\nx\na\nb\nc\n';
  writeFileSync(join(root, 'f.txt'), text);
  const result = mgx.applyPatch(root, '--- a/f.txt\n+++ b/f.txt\n@@ -5,3 +5,4 @@\n a\n b\n+new\n c\n');
  assert.equal(result.status, 'refused');
  const hunk = result.files[0].hunks[0];
  assert.equal(hunk.status, 'maybe_applied');
  assert.deepEqual([hunk.candidates, hunk.alreadyAt], [[10], [3]]);
  assert.equal(readFileSync(join(root, 'f.txt'), 'utf8'), text);
});
