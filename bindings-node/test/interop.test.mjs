// Cassettes are one format in Rust, Python and Node: the team run recorded in
// mgx-core/tests/data/interop is what Node records, byte for byte, and Node replays it strictly
// (the Rust and Python tests check the same file).
import { test } from 'node:test';
import { tempDir } from './tmp.mjs';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const mgx = require('../index.js');

const INTEROP = new URL('../../mgx-core/tests/data/interop/', import.meta.url);
const TASK = 'Create a FastAPI /health endpoint with tests';
const answers = () => JSON.parse(readFileSync(new URL('answers.json', INTEROP), 'utf8'));

test('Node records the shared cassette byte for byte', async () => {
  const path = join(tempDir('mgx-interop-'), 'team-run.jsonl');
  const recorder = new mgx.Cassette(path, { mode: 'record', provider: new mgx.Scripted(answers()) });
  const report = await new mgx.Team({ provider: recorder, stack: 'fastapi', dryRun: true }).run(TASK);
  assert.equal(report.status, 'completed');
  assert.deepEqual(readFileSync(path), readFileSync(new URL('team-run.jsonl', INTEROP)));
});

test('Node replays the shared cassette without a provider', async () => {
  const player = new mgx.Cassette(new URL('team-run.jsonl', INTEROP).pathname, { mode: 'replay_strict', model: 'scripted' });
  const report = await new mgx.Team({ provider: player, stack: 'fastapi', dryRun: true }).run(TASK);
  assert.deepEqual(report.files, ['app/main.py', 'requirements.txt', 'tests/test_health.py']);
});
