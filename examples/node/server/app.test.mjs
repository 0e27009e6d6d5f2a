// The server example, end to end over loopback HTTP (run by .ci/test-all).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createApp, OUT } from './app.mjs';

// The runs' files, in a directory the app made for them: removed when the tests are done
// (never a directory given through MGX_SERVER_OUT).
if (!process.env.MGX_SERVER_OUT) {
  process.on('exit', () => rmSync(OUT, { recursive: true, force: true }));
}

const TASK = 'Create a FastAPI /health endpoint with tests';

async function serve() {
  const server = createApp().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  const call = async (method, path, body) => {
    const res = await fetch(base + path, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: await res.json() };
  };
  return { server, base, call };
}

/** Read an SSE stream to its end: the JSON of each `data:` line. */
async function sse(url) {
  const res = await fetch(url);
  assert.equal(res.headers.get('content-type'), 'text/event-stream');
  const text = await res.text();
  return text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
}

test('a run is started, streamed, approved and reported', async () => {
  const { server, base, call } = await serve();
  try {
    const { status, body } = await call('POST', '/runs', { task: TASK });
    assert.equal(status, 201);
    const plan = await call('GET', `/runs/${body.id}/plan`);
    assert.equal(plan.body.kind, 'plan');
    assert.ok(plan.body.data.steps.length > 0);
    assert.deepEqual((await call('POST', `/runs/${body.id}/approve`, { feedback: 'ship it' })).body, { ok: true });
    const events = await sse(`${base}/runs/${body.id}/events`);
    assert.deepEqual(events.map((e) => e.seq), [...events.keys()]);
    assert.equal(events[0].event_type, 'analysis_start');
    assert.equal(events.at(-1).event_type, 'completion');
    for (const kind of ['plan_ready', 'approval_required', 'approved', 'files_written']) {
      assert.ok(events.some((e) => e.event_type === kind), kind);
    }
    assert.deepEqual(Object.keys(events[0]).sort(), ['data', 'event_type', 'message', 'run_id', 'seq', 'task_id', 'timestamp']);
    const report = await call('GET', `/runs/${body.id}/report`);
    assert.equal(report.body.status, 'completed');
    assert.ok(existsSync(join(report.body.output_dir, 'app/main.py')));
  } finally {
    server.close();
  }
});

test('a rejected run streams to its end and writes nothing', async () => {
  const { server, base, call } = await serve();
  try {
    const { body } = await call('POST', '/runs', { task: TASK, stack: 'fastapi' });
    await call('GET', `/runs/${body.id}/plan`);
    await call('POST', `/runs/${body.id}/reject`, { reason: 'not now' });
    const events = await sse(`${base}/runs/${body.id}/events`);
    assert.equal(events.at(-1).event_type, 'cancelled');
    const report = await call('GET', `/runs/${body.id}/report`);
    assert.equal(report.body.status, 'rejected');
    assert.deepEqual(report.body.files, []);
    assert.equal((await call('GET', '/runs/nope/report')).status, 404);
    assert.equal((await call('POST', '/runs', { task: 42 })).status, 400);
  } finally {
    server.close();
  }
});
