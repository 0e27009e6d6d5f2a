// The team runtime from Node: runs, providers, events, approval, cancellation, errors.
import { test } from 'node:test';
import { tempDir } from './tmp.mjs';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';
import net from 'node:net';

const require = createRequire(import.meta.url);
const mgx = require('../index.js');

const TASK = 'Create a FastAPI /health endpoint with tests';
const GOOD_CODE =
  'FILE: app/main.py\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n' +
  '@app.get("/health")\ndef health() -> dict[str, str]:\n    return {"status": "ok"}\n' +
  'FILE: requirements.txt\nfastapi\nuvicorn\npytest\n';
const GOOD_TESTS =
  'FILE: tests/test_health.py\nfrom fastapi.testclient import TestClient\n\n' +
  'from app.main import app\n\n\ndef test_health() -> None:\n' +
  '    assert TestClient(app).get("/health").status_code == 200\n';
const ANSWERS = {
  analyze_task: '{"complexity": "S", "files": ["app/main.py"], "test_strategy": "pytest"}',
  draft_plan: '{"steps": ["code", "tests", "review"]}',
  write_code: GOOD_CODE,
  write_test: GOOD_TESTS,
  review_code: '{"verdict": "approved", "findings": []}',
};

const temp = (name) => tempDir(`mgx-node-${name}-`);
/** The default team tags its system prompt's first line with the action. */
const action = (messages) => messages[0].content.split('\n')[0].replace('mgx-action:', '').trim();

/** A sync provider, as users write around a client. */
function syncModel(answers = ANSWERS) {
  const calls = [];
  return {
    model: 'sync-model',
    calls,
    complete(messages, params) {
      calls.push({ messages, params });
      return { content: answers[action(messages)], usage: { prompt_tokens: 10, completion_tokens: 5 } };
    },
  };
}

/** An async provider, as users write around an async client. */
function asyncModel(delayMs = 0, answers = ANSWERS) {
  return {
    model: 'async-model',
    async complete(messages) {
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      return answers[action(messages)];
    },
  };
}

test('the offline team writes a starter project', async () => {
  const out = temp('offline');
  const report = await new mgx.Team({ outputDir: out }).run(TASK);
  assert.equal(report.status, 'completed');
  assert.equal(report.stack, 'fastapi');
  assert.deepEqual(report.providers, ['offline/scaffold']);
  assert.equal(report.llm_calls, 5);
  assert.equal(report.tokens_in, null); // unknown, never invented
  assert.ok(report.files.includes('app/main.py'));
  for (const f of report.files) assert.ok(existsSync(join(out, f)), f);
  assert.equal(report.review.verdict, 'approved');
  assert.equal(report.validations[0].valid, true);
  assert.equal(report.profile.llm_calls, 5);
  assert.ok(report.profile.peak_rss_bytes === null || report.profile.peak_rss_bytes > 1_000_000);
  JSON.stringify(report);
});

test('every stack runs offline', async () => {
  for (const stack of mgx.stackIds()) {
    const report = await new mgx.Team({ stack, dryRun: true }).run('Build the app');
    assert.equal(report.stack, stack);
  }
});

test('sync and async JS providers drive the team', async () => {
  const sync = syncModel();
  for (const provider of [sync, asyncModel()]) {
    const out = temp(provider.model);
    const report = await new mgx.Team({ provider, stack: 'fastapi', outputDir: out }).run(TASK);
    assert.deepEqual(report.providers, [`js/${provider.model}`]);
    assert.ok(readFileSync(join(out, 'app/main.py'), 'utf8').startsWith('from fastapi'));
  }
  const { messages, params } = sync.calls[0];
  assert.deepEqual(messages.map((m) => m.role), ['system', 'user']);
  assert.ok(params.maxTokens > 0);
  const report = await new mgx.Team({ provider: sync, stack: 'fastapi', dryRun: true }).run(TASK);
  assert.equal(report.tokens_in, 50);
  assert.equal(report.tokens_out, 25);
});

test('a provider answering like the OpenAI SDK works', async () => {
  const sdkLike = {
    complete: async (messages) => ({
      choices: [{ message: { content: ANSWERS[action(messages)] } }],
      usage: { prompt_tokens: 3, completion_tokens: 2 },
      model: 'sdk-model',
    }),
  };
  const report = await new mgx.Team({ provider: sdkLike, stack: 'fastapi', dryRun: true }).run(TASK);
  assert.equal(report.tokens_in, 15);
});

for (const kind of ['throw', 'reject']) {
  test(`a provider that ${kind}s fails the run with its error as cause`, async () => {
    const boom = new TypeError('the model is gone');
    const provider = {
      complete(messages) {
        if (action(messages) !== 'write_code') return ANSWERS[action(messages)];
        if (kind === 'throw') throw boom;
        return Promise.reject(boom);
      },
    };
    await assert.rejects(new mgx.Team({ provider, stack: 'fastapi', dryRun: true }).run(TASK), (e) => {
      assert.ok(e instanceof Error);
      assert.equal(e.code, 'provider');
      assert.match(e.message, /the model is gone/);
      assert.equal(e.cause, boom);
      assert.equal(e.report.status, 'failed');
      assert.deepEqual(e.report.files, []);
      return true;
    });
  });
}

test('a provider answer of the wrong shape is a provider error', async () => {
  const provider = { complete: () => 42 };
  await assert.rejects(new mgx.Team({ provider, stack: 'fastapi', dryRun: true }).run(TASK), { code: 'provider' });
});

test('bad arguments are typed errors, thrown at once', () => {
  assert.throws(() => new mgx.Team({ provider: {} }), { code: 'invalid_argument' });
  assert.throws(() => new mgx.Team({ onEvent: 42 }), { code: 'invalid_argument' });
  assert.throws(() => new mgx.Team({ approval: 'sometimes' }), { code: 'invalid_argument' });
  assert.throws(() => new mgx.Team({ cache: {} }), { code: 'invalid_argument' });
  assert.throws(() => new mgx.Team({ maxConcurrentRuns: 0 }), { code: 'config' });
  assert.throws(() => new mgx.Team({ stack: 'cobol-mainframe' }), { code: 'config' });
  assert.throws(() => new mgx.Team({ prices: { m: { input_per_million: -1, output_per_million: 1 } } }), { code: 'config' });
  assert.throws(() => new mgx.Scripted([]), { code: 'invalid_argument' });
  assert.throws(() => new mgx.MemoryCache(0), { code: 'invalid_argument' });
  assert.throws(() => new mgx.RedisCache('not a url'), { code: 'cache' });
  assert.throws(() => new mgx.OpenAICompatible({ baseUrl: 'ftp://example.invalid', model: 'm' }), { code: 'config' });
});

test('events reach sync and async callbacks in order, all before run resolves', async () => {
  const seen = [];
  const seenAsync = [];
  await new mgx.Team({ onEvent: (e) => seen.push(e), dryRun: true }).run(TASK);
  await new mgx.Team({
    onEvent: async (e) => {
      await new Promise((r) => setTimeout(r, 1));
      seenAsync.push(e);
    },
    dryRun: true,
  }).run(TASK);
  for (const events of [seen, seenAsync]) {
    assert.deepEqual(events.map((e) => e.seq), [...events.keys()]);
    assert.equal(events[0].event_type, 'analysis_start');
    assert.equal(events.at(-1).event_type, 'completion');
    assert.deepEqual(Object.keys(events[0]).sort(), ['data', 'event_type', 'message', 'run_id', 'seq', 'task_id', 'timestamp']);
  }
});

test('a callback that throws does not stop the run', async () => {
  const report = await new mgx.Team({ onEvent: () => { throw new Error('callback bug'); }, dryRun: true }).run(TASK);
  assert.equal(report.status, 'completed');
});

test('many concurrent runs call back for each run', async () => {
  const byRun = new Map();
  const team = new mgx.Team({
    provider: asyncModel(5),
    stack: 'fastapi',
    dryRun: true,
    onEvent: (e) => byRun.set(e.run_id, [...(byRun.get(e.run_id) ?? []), e.event_type]),
  });
  const reports = await Promise.all(Array.from({ length: 40 }, () => team.run(TASK)));
  assert.equal(byRun.size, 40);
  assert.deepEqual(new Set(reports.map((r) => r.run_id)), new Set(byRun.keys()));
  for (const kinds of byRun.values()) assert.equal(kinds.at(-1), 'completion');
});

test('runs on a RunPool complete with JS providers, callbacks, approval and cancellation', async () => {
  const pool = new mgx.RunPool(2);
  assert.equal(pool.threads, 2);
  assert.equal(pool.inFlight, 0);
  const offline = new mgx.Team({ stack: 'fastapi', dryRun: true });
  const reports = await Promise.all(Array.from({ length: 200 }, () => offline.run(TASK, { pool })));
  assert.ok(reports.every((r) => r.status === 'completed'));
  const byRun = new Map();
  for (const provider of [syncModel(), asyncModel(2)]) {
    const team = new mgx.Team({
      provider,
      stack: 'fastapi',
      dryRun: true,
      onEvent: (e) => byRun.set(e.run_id, [...(byRun.get(e.run_id) ?? []), e.event_type]),
    });
    const done = await Promise.all(Array.from({ length: 10 }, () => team.run(TASK, { pool })));
    assert.ok(done.every((r) => r.status === 'completed'));
  }
  assert.equal(byRun.size, 20);
  for (const kinds of byRun.values()) assert.equal(kinds.at(-1), 'completion');

  const out = temp('pool');
  const team = new mgx.Team({ provider: asyncModel(20), stack: 'fastapi', approval: 'manual', outputDir: out });
  const run = team.start(TASK, { pool });
  assert.ok((await run.plan()).data.steps.length > 0);
  run.approve();
  assert.equal((await run.report()).status, 'completed');
  assert.ok(existsSync(join(out, 'app/main.py')));
  const controller = new AbortController();
  const running = team.run(TASK, { pool, signal: controller.signal, outputDir: join(out, 'other') });
  setTimeout(() => controller.abort(), 30);
  await assert.rejects(running, { code: 'cancelled' });
  assert.equal(existsSync(join(out, 'other')), false);
  assert.equal(pool.inFlight, 0);

  assert.throws(() => new mgx.RunPool(0), (e) => e.code === 'config' && /at least one thread/.test(e.message));
  assert.throws(() => offline.run(TASK, { pool: {} }), /option `pool` must be a RunPool/);
  assert.throws(() => offline.run(TASK, { pool: offline }), /option `pool` must be a RunPool/);
  assert.ok(new mgx.RunPool().threads >= 1);
});

test('runs end as cancelled when their pool is collected', async () => {
  // Collection needs --expose-gc: the check runs in a child process of its own.
  const { execFileSync } = await import('node:child_process');
  const script = `
    const mgx = require(${JSON.stringify(require.resolve('../index.js'))});
    const action = (m) => m[0].content.split('\\n')[0].replace('mgx-action:', '').trim();
    // Plans never come; their promises are kept, so that collection takes the pool alone.
    const waiting = [];
    const team = new mgx.Team({
      stack: 'fastapi',
      dryRun: true,
      provider: {
        complete: (m) =>
          action(m) === 'draft_plan'
            ? new Promise((resolve) => waiting.push(resolve))
            : '{"complexity": "S", "files": ["app/main.py"]}',
      },
    });
    let pool = new mgx.RunPool(2);
    const runs = Array.from({ length: 10 }, () => team.run('a FastAPI /health endpoint', { pool }).catch((e) => e.code));
    setTimeout(() => {
      pool = null;
      global.gc();
      Promise.all(runs).then((codes) => { console.log(JSON.stringify(codes)); process.exit(0); });
    }, 100);
  `;
  const out = execFileSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', timeout: 20000 });
  assert.deepEqual(JSON.parse(out.trim()), Array(10).fill('cancelled'));
});

test('pending runs keep node alive until they settle, and nothing keeps it alive after', async () => {
  const { execFileSync } = await import('node:child_process');
  // Nothing but the runs' Promises keeps this script's event loop alive: it would exit before
  // they settle if they did not hold it, and never exit if they held it after.
  const script = `
    const mgx = require(${JSON.stringify(require.resolve('../index.js'))});
    const team = new mgx.Team({ stack: 'fastapi', dryRun: true });
    Promise.all(Array.from({ length: 50 }, () => team.run('Create a FastAPI /health endpoint')))
      .then((reports) => console.log(JSON.stringify(reports.map((r) => r.status))));
  `;
  const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20000 });
  assert.deepEqual(JSON.parse(out.trim()), Array(50).fill('completed'));
});

test('workers that end with provider calls still waiting end cleanly, again and again', async () => {
  const { Worker } = await import('node:worker_threads');
  const { once } = await import('node:events');
  // Each worker leaves 20 runs waiting on a provider that never answers, then ends: its calls
  // fail with its environment (the addon drops them then), and this process goes on.
  const source = `
    const { parentPort } = require('node:worker_threads');
    const mgx = require(${JSON.stringify(require.resolve('../index.js'))});
    const never = { complete: () => new Promise(() => {}) };
    const team = new mgx.Team({ provider: never, stack: 'fastapi', dryRun: true });
    for (let i = 0; i < 20; i++) team.run('Create a FastAPI /health endpoint').catch(() => {});
    setTimeout(() => parentPort.postMessage('waiting'), 50);
  `;
  for (let i = 0; i < 5; i++) {
    const worker = new Worker(source, { eval: true });
    await once(worker, 'message');
    await worker.terminate();
  }
  const report = await new mgx.Team({ provider: asyncModel(), stack: 'fastapi', dryRun: true }).run(TASK);
  assert.equal(report.status, 'completed');
});

test('a plan is approved through the run handle', async () => {
  const out = temp('approve');
  const run = new mgx.Team({ approval: 'manual', outputDir: out }).start(TASK);
  const plan = await run.plan();
  assert.equal(plan.kind, 'plan');
  assert.ok(plan.data.steps.length > 0);
  assert.equal(run.done, false);
  run.approve('keep it small');
  const report = await run.report();
  assert.equal(report.status, 'completed');
  assert.equal(run.done, true);
  assert.equal((await run.report()).run_id, report.run_id); // awaitable again
  assert.ok(existsSync(join(out, 'app/main.py')));
});

test('a rejected plan writes nothing and rejects with code rejected', async () => {
  const out = temp('reject');
  const run = new mgx.Team({ approval: 'manual', outputDir: out }).start(TASK);
  await run.plan();
  run.reject('not this way');
  await assert.rejects(run.report(), (e) => {
    assert.equal(e.code, 'rejected');
    assert.equal(e.message, 'not this way');
    assert.equal(e.report.status, 'rejected');
    return true;
  });
  assert.deepEqual(readdirSync(out), []);
});

test('an unanswered plan times out', async () => {
  const run = new mgx.Team({ approval: 'manual', approvalTimeout: 0.1, dryRun: true }).start(TASK);
  await assert.rejects(run.report(), { code: 'approval_timeout' });
});

for (const [answer, ok] of [[true, true], [undefined, true], [{ approve: true, feedback: 'ok' }, true], [false, false], [{ approve: false, reason: 'no' }, false]]) {
  test(`an approval function answering ${JSON.stringify(answer)} ${ok ? 'approves' : 'rejects'}`, async () => {
    const shown = [];
    const team = new mgx.Team({
      dryRun: true,
      approval: async (m) => {
        shown.push(m.kind);
        return answer;
      },
    });
    const outcome = await team.run(TASK).then((r) => r.status, (e) => e.code);
    assert.equal(outcome, ok ? 'completed' : 'rejected');
    assert.deepEqual(shown, ['plan']);
  });
}

test('an approval function that throws rejects', async () => {
  const team = new mgx.Team({ dryRun: true, approval: () => { throw new Error('approval service down'); } });
  await assert.rejects(team.run(TASK), (e) => e.code === 'rejected' && /approval service down/.test(e.message));
});

for (const [answer, approved] of [[true, true], [{ verdict: 'approved', findings: [] }, true], [false, false]]) {
  test(`a human reviewer answering ${JSON.stringify(answer)} takes the reviewer's place`, async () => {
    const reviews = [];
    const team = new mgx.Team({
      dryRun: true,
      maxRevisionRounds: 0,
      humanReviewer: async (r) => {
        reviews.push(r);
        return answer;
      },
    });
    const report = await team.run(TASK);
    assert.deepEqual(Object.keys(reviews[0]).sort(), ['code', 'task', 'tests']);
    assert.equal(report.review.verdict === 'approved', approved);
  });
}

test('events stream as an async iterator', async () => {
  const run = new mgx.Team({ dryRun: true }).start(TASK);
  const events = [];
  for await (const e of run.events()) events.push(e);
  assert.equal(events[0].event_type, 'analysis_start');
  assert.equal(events.at(-1).event_type, 'completion');
  assert.deepEqual(events.map((e) => e.seq), [...events.keys()]);
  assert.equal((await run.report()).status, 'completed');
});

test('cancel() and an AbortSignal stop a run, and nothing is written', async () => {
  const out = temp('cancel');
  const run = new mgx.Team({ provider: asyncModel(200), stack: 'fastapi', outputDir: out }).start(TASK);
  await new Promise((r) => setTimeout(r, 50));
  run.cancel();
  await assert.rejects(run.report(), { code: 'cancelled' });
  const controller = new AbortController();
  const running = new mgx.Team({ provider: asyncModel(200), stack: 'fastapi', outputDir: out }).run(TASK, { signal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  await assert.rejects(running, (e) => e.code === 'cancelled' && e.report.status === 'cancelled');
  const aborted = AbortSignal.abort();
  await assert.rejects(new mgx.Team({ dryRun: true }).run(TASK, { signal: aborted }), { code: 'cancelled' });
  assert.deepEqual(readdirSync(out), []);
});

test('a call past callTimeout ends the run with a timeout', async () => {
  const out = temp('call-timeout');
  const team = new mgx.Team({ provider: asyncModel(2000), stack: 'fastapi', outputDir: out, callTimeout: 0.1 });
  await assert.rejects(team.run(TASK), (e) => e.code === 'timeout' && e.report.status === 'failed');
  assert.deepEqual(readdirSync(out), []);
  assert.throws(() => new mgx.Team({ callTimeout: 0 }), { code: 'config' });
  assert.throws(() => new mgx.Team({ callTimeout: -1 }), { code: 'invalid_argument' });
});

test('the budget stops a run before it is passed', async () => {
  const team = new mgx.Team({ provider: syncModel(), stack: 'fastapi', budgetTokens: 40, dryRun: true });
  await assert.rejects(team.run(TASK), (e) => {
    assert.equal(e.code, 'budget_exceeded');
    assert.equal(e.report.status, 'budget_exceeded');
    return true;
  });
});

test('unreadable, invalid, scripted-out and impossible runs fail with their codes', async () => {
  const unreadable = syncModel({ ...ANSWERS, analyze_task: 'I think it is medium-sized.' });
  await assert.rejects(new mgx.Team({ provider: unreadable, stack: 'fastapi', dryRun: true }).run(TASK), { code: 'unreadable_output' });
  const invalid = syncModel({ ...ANSWERS, write_code: 'FILE: ../escape.py\nprint(1)\n' });
  await assert.rejects(new mgx.Team({ provider: invalid, stack: 'fastapi', dryRun: true }).run(TASK), { code: 'validation' });
  const short = new mgx.Scripted([ANSWERS.analyze_task]);
  await assert.rejects(new mgx.Team({ provider: short, stack: 'fastapi', dryRun: true }).run(TASK), { code: 'scripted' });
  await assert.rejects(new mgx.Team({ dryRun: true }).run('   '), { code: 'task' });
  const file = join(temp('apply'), 'a-file');
  writeFileSync(file, 'not a directory');
  await assert.rejects(new mgx.Team({ outputDir: file }).run(TASK), { code: 'apply' });
  await assert.rejects(new mgx.Team().resume(join(temp('resume'), 'no-such-run')), { code: 'io' });
});

test('a journaled run resumes without paying twice', async () => {
  const dir = temp('journal');
  const model = syncModel();
  const first = await new mgx.Team({ provider: model, stack: 'fastapi', runDir: join(dir, 'runs'), outputDir: join(dir, 'out') }).run(TASK);
  assert.equal(model.calls.length, 5);
  const seen = [];
  const again = new mgx.Team({ provider: model, stack: 'fastapi', outputDir: join(dir, 'out'), onEvent: (e) => seen.push(e.event_type) });
  const report = await again.resume(first.run_dir);
  assert.equal(report.status, 'completed');
  assert.equal(model.calls.length, 5);
  assert.equal(seen.at(-1), 'completion');
});

test('patch mode shows the change set and applies it', async () => {
  const project = join(temp('patch'), 'project');
  mkdirSync(join(project, 'app'), { recursive: true });
  writeFileSync(join(project, 'app/main.py'), 'from fastapi import FastAPI\n\napp = FastAPI()\n');
  writeFileSync(join(project, 'requirements.txt'), 'fastapi\n');
  const run = new mgx.Team({ project, stack: 'fastapi', approval: 'manual' }).start('Add a /health endpoint with tests');
  await run.plan();
  run.approve();
  const change = await run.changeSet();
  assert.equal(change.data.hash.length, 64);
  run.approve();
  assert.equal((await run.report()).status, 'completed');
});

test('providers answer directly', async () => {
  const answer = await new mgx.Scripted(['4']).complete([{ role: 'user', content: '2+2?' }], { maxTokens: 5 });
  assert.equal(answer.content, '4');
  assert.equal(answer.usage, null);
  const scripted = new mgx.Scripted(['a', 'b'], 'm');
  assert.equal(scripted.id, 'scripted/m');
  await scripted.complete([{ role: 'user', content: 'x' }]);
  assert.equal(scripted.calls[0].messages[0].content, 'x');
  assert.equal(new mgx.Offline().id, 'offline/scaffold');
  assert.throws(() => new mgx.Offline().complete([{ role: 'nobody', content: 'x' }]), { code: 'invalid_argument' });
  await assert.rejects(new mgx.Offline().complete([{ role: 'user', content: 'not an action' }]), { code: 'provider' });
});

test('a cassette records a JS provider and replays it without', async () => {
  const path = join(temp('cassette'), 'calls.jsonl');
  const recorder = new mgx.Cassette(path, { mode: 'record', provider: syncModel() });
  const recorded = await new mgx.Team({ provider: recorder, stack: 'fastapi', dryRun: true }).run(TASK);
  const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 5);
  assert.deepEqual(new Set(lines.map((l) => l.model)), new Set(['sync-model']));
  const player = new mgx.Cassette(path, { mode: 'replay_strict', model: 'sync-model' });
  const replayed = await new mgx.Team({ provider: player, stack: 'fastapi', dryRun: true }).run(TASK);
  assert.deepEqual(replayed.files, recorded.files);
  await assert.rejects(player.complete([{ role: 'user', content: 'never recorded' }]), { code: 'cassette_miss' });
  assert.throws(() => new mgx.Cassette(path, { mode: 'replay_strict' }), { code: 'invalid_argument' });
  assert.throws(() => new mgx.Cassette(path, { mode: 'sideways', provider: syncModel() }), { code: 'config' });
  writeFileSync(path, 'not a cassette line\n');
  assert.throws(() => new mgx.Cassette(path, { mode: 'replay_strict', model: 'sync-model' }), { code: 'cassette' });
});

test('a memory cache answers repeats', async () => {
  const cache = new mgx.MemoryCache(100, 60);
  const team = new mgx.Team({ provider: syncModel(), stack: 'fastapi', cache, dryRun: true });
  assert.equal((await team.run(TASK)).cache_hits, 0);
  assert.equal((await team.run(TASK)).cache_hits, 5);
  assert.equal(cache.stats().hits, 5);
  await cache.clear();
});

async function closedPort() {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

test('a redis cache that is down is a warning, not a failure', async () => {
  const port = await closedPort();
  const seen = [];
  const cache = new mgx.RedisCache(`redis://127.0.0.1:${port}/`, 'mgx-test');
  const report = await new mgx.Team({ cache, dryRun: true, onEvent: (e) => seen.push(e) }).run(TASK);
  assert.equal(report.status, 'completed');
  assert.ok(seen.some((e) => e.event_type === 'warning' && e.data.component === 'cache'));
  assert.ok(cache.stats().errors > 0);
});

/** A real service's URL from the environment; CI must provide it, elsewhere the test skips. */
function service(t, name) {
  const url = process.env[name];
  if (url) return url;
  if (process.env.CI) assert.fail(`CI must provide ${name}`);
  t.skip(`${name} is not set`);
  return null;
}

test('a real redis cache shares answers between teams', async (t) => {
  const url = service(t, 'REDIS_URL');
  if (!url) return;
  const prefix = `mgx-node-${process.pid}-${Date.now()}`;
  const first = await new mgx.Team({ provider: syncModel(), stack: 'fastapi', cache: new mgx.RedisCache(url, prefix), dryRun: true }).run(TASK);
  const other = new mgx.RedisCache(url, prefix);
  const second = await new mgx.Team({ provider: syncModel(), stack: 'fastapi', cache: other, dryRun: true }).run(TASK);
  assert.equal(first.cache_hits, 0);
  assert.equal(second.cache_hits, 5);
  await other.clear();
});

test('a real OpenAI-compatible server answers', async (t) => {
  const url = service(t, 'MGX_LITELLM_URL');
  if (!url) return;
  const provider = new mgx.OpenAICompatible({ baseUrl: url, apiKey: 'sk-mgx-test-master-key', model: 'mgx-mock' });
  assert.equal(provider.id, 'openai-compatible/mgx-mock');
  const answer = await provider.complete([{ role: 'user', content: 'Say hello' }], { maxTokens: 20 });
  assert.equal(answer.content, 'Hello from the mgx test model.');
  assert.ok(answer.usage.completion_tokens > 0);
  // The same answer in pieces, as the server sends them.
  const pieces = [];
  for await (const piece of provider.stream([{ role: 'user', content: 'Say hello' }], { maxTokens: 20 })) {
    pieces.push(piece);
  }
  assert.equal(pieces.map((p) => p.content).join(''), 'Hello from the mgx test model.');
  assert.deepEqual(
    pieces.map((p) => p.finish_reason).filter(Boolean),
    ['stop'],
  );
  assert.ok(pieces.at(-1).usage.completion_tokens > 0, "the server's usage, after the text");
  const wrongKey = new mgx.OpenAICompatible({ baseUrl: url, apiKey: 'sk-wrong', model: 'mgx-mock', maxAttempts: 1 });
  await assert.rejects(wrongKey.complete([{ role: 'user', content: 'Say hello' }]), { code: 'status' });
  // A stream's error rejects with its code, and the stream ends.
  const failing = wrongKey.stream([{ role: 'user', content: 'Say hello' }]);
  await assert.rejects(failing.next(), { code: 'status' });
  assert.deepEqual(await failing.next(), { done: true, value: undefined });
});

test('a provider that does not stream gives its answer as one piece', async () => {
  const provider = new mgx.Scripted(['Hello!']);
  const stream = provider.stream([{ role: 'user', content: 'hi' }]);
  assert.equal(provider.calls.length, 0, 'nothing asked before the first piece is');
  const pieces = [];
  for await (const piece of stream) pieces.push(piece);
  assert.deepEqual(pieces, [{ content: 'Hello!', finish_reason: 'stop', usage: null }]);
  assert.equal(provider.calls.length, 1);
  await assert.rejects(provider.stream([{ role: 'user', content: 'again' }]).next(), { code: 'scripted' });
  assert.throws(() => provider.stream('not messages'), { code: 'invalid_argument' });
});

test('breaking out of a stream stops the call', async () => {
  // A server that sends one piece, then holds the answer open.
  let closed;
  const gone = new Promise((resolve) => (closed = resolve));
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}\n\n');
    res.on('close', closed);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address();
    const provider = new mgx.OpenAICompatible({ baseUrl: `http://127.0.0.1:${port}`, model: 'm', maxAttempts: 1 });
    for await (const piece of provider.stream([{ role: 'user', content: 'hi' }])) {
      assert.equal(piece.content, 'Hel');
      break;
    }
    await gone;
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('provider faults map to their codes', async () => {
  // A local server injects the faults: 500, 429, garbage, silence; then a closed port.
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const fault = req.url.split('/')[1];
      const send = () => {
        const status = { status: 500, ratelimit: 429 }[fault] ?? 200;
        const headers = { 'content-type': 'application/json' };
        if (fault === 'ratelimit') headers['retry-after'] = '0';
        res.writeHead(status, headers);
        res.end(fault === 'garbage' ? '<html>not json</html>' : '{"error": {"message": "nope"}}');
      };
      if (fault === 'slow') setTimeout(send, 1000);
      else send();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  const ask = [{ role: 'user', content: 'hi' }];
  try {
    for (const [fault, code, extra] of [['status', 'status', {}], ['ratelimit', 'rate_limited', {}], ['garbage', 'malformed_response', {}], ['slow', 'timeout', { timeout: 0.2 }]]) {
      const provider = new mgx.OpenAICompatible({ baseUrl: `${base}/${fault}`, model: 'm', maxAttempts: 1, ...extra });
      await assert.rejects(provider.complete(ask), { code }, fault);
    }
    const closed = new mgx.OpenAICompatible({ baseUrl: `http://127.0.0.1:${await closedPort()}`, model: 'm', maxAttempts: 1 });
    await assert.rejects(closed.complete(ask), { code: 'connection' });
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test("the stack's formatter formats what the run wrote", async (t) => {
  const onPath = (process.env.PATH ?? '').split(':').some((d) => existsSync(join(d, 'ruff')));
  if (!onPath) {
    if (process.env.CI) assert.fail('CI must put ruff on PATH');
    t.skip('ruff is not installed');
    return;
  }
  const out = temp('format');
  const ugly = { ...ANSWERS, write_code: 'FILE: app/main.py\nfrom fastapi import FastAPI\napp=FastAPI()\nFILE: requirements.txt\nfastapi\npytest\n' };
  const report = await new mgx.Team({ provider: syncModel(ugly), stack: 'fastapi', outputDir: out, format: true, preCommitConfig: true }).run(TASK);
  const ran = report.formatting.ran[0];
  assert.equal(ran.tool, 'ruff format');
  assert.ok(ran.ok);
  assert.deepEqual(ran.changed, ['app/main.py']);
  assert.match(readFileSync(join(out, 'app/main.py'), 'utf8'), /app = FastAPI\(\)/);
  assert.ok(existsSync(join(out, '.pre-commit-config.yaml')));
  assert.throws(() => new mgx.Team({ format: true, formatTimeout: -1 }), { code: 'invalid_argument' });
});

test('git commits the result on a branch of its own', async () => {
  const out = temp('git');
  const report = await new mgx.Team({ outputDir: out, git: { branchPrefix: 'ai' } }).run(TASK);
  assert.equal(report.git.branch, 'ai/create-a-fastapi-health-endpoint-with-tests/run-1');
  assert.equal(report.git.error, null);
  assert.equal(report.git.commit.length, 40);
  assert.throws(() => new mgx.Team({ git: { colour: 'blue' } }), { code: 'invalid_argument' });
  assert.throws(() => new mgx.Team({ git: { pullRequest: true } }), { code: 'config' });
});
