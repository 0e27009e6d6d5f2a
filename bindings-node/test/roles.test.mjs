// Roles written in JS: added to the default team, replacing or dropping built-in roles, asking
// the model through the run, and failing with their codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const mgx = require('../index.js');

const TASK = 'Create a FastAPI /health endpoint with tests';
const ANSWERS = {
  analyze_task: '{"complexity": "S", "files": ["app/main.py"], "test_strategy": "pytest"}',
  draft_plan: '{"steps": ["code", "tests", "review"]}',
  write_code:
    'FILE: app/main.py\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n' +
    '@app.get("/health")\ndef health() -> dict[str, str]:\n    return {"status": "ok"}\n' +
    'FILE: requirements.txt\nfastapi\nuvicorn\npytest\n',
  write_test:
    'FILE: tests/test_health.py\nfrom fastapi.testclient import TestClient\n\n' +
    'from app.main import app\n\n\ndef test_health() -> None:\n' +
    '    assert TestClient(app).get("/health").status_code == 200\n',
  review_code: '{"verdict": "approved", "findings": []}',
  security_review: 'no secrets found',
};

const action = (messages) => messages[0].content.split('\n')[0].replace('mgx-action:', '').trim();

function model(answers = ANSWERS, delayMs = 0) {
  return {
    model: 'js-model',
    async complete(messages) {
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      return { content: answers[action(messages)], usage: { prompt_tokens: 10, completion_tokens: 5 } };
    },
  };
}

/** A sync role that keeps what it is shown and publishes nothing. */
function collector(name, watches) {
  const messages = [];
  return { name, watches, messages, react: (message) => void messages.push(message) };
}

test('a JS role asks the model and the next role reads its message', async () => {
  const seen = [];
  const securityReviewer = {
    name: 'security_reviewer',
    watches: ['code'],
    async react(message, ctx) {
      seen.push({
        task: ctx.task,
        stack: ctx.stack,
        role: ctx.role,
        kinds: ctx.history.map((m) => m.kind),
        plan: ctx.latest('plan').data.steps,
        nothing: ctx.latest('no such kind'),
      });
      const answer = await ctx.ask(`Look for secrets in:\n${message.content}`, { action: 'security_review' });
      return { kind: 'security_report', content: answer, data: { files: message.data.files.length } };
    },
  };
  const auditor = collector('auditor', ['security_report']);
  const events = [];
  const team = new mgx.Team({
    provider: model(),
    stack: 'fastapi',
    dryRun: true,
    roles: [...mgx.defaultRoles(), securityReviewer, auditor],
    onEvent: (e) => events.push(e),
  });
  const report = await team.run(TASK);
  assert.equal(report.llm_calls, 6);
  assert.deepEqual(seen, [
    {
      task: TASK,
      stack: 'fastapi',
      role: 'security_reviewer',
      kinds: ['task', 'analysis', 'plan', 'approved_plan', 'code'],
      plan: ['code', 'tests', 'review'],
      nothing: null,
    },
  ]);
  assert.deepEqual(auditor.messages, [
    { kind: 'security_report', from: 'security_reviewer', content: 'no secrets found', data: { files: 2 } },
  ]);
  const calls = events.filter((e) => e.event_type === 'llm_call').map((e) => e.data);
  assert.ok(calls.some((c) => c.role === 'security_reviewer' && c.action === 'security_review'));
});

test('a JS role gets its own provider and can ask twice at once', async () => {
  const critic = {
    name: 'critic',
    watches: ['tests'],
    async react(message, ctx) {
      const [first, second] = await Promise.all([ctx.ask('one?'), ctx.ask('two?', { system: 'Be brief.' })]);
      return [
        { kind: 'critique', content: first },
        { kind: 'critique', content: second },
      ];
    },
  };
  const criticModel = new mgx.Scripted(['first answer', 'second answer'], 'critic-model');
  const reader = collector('reader', ['critique']);
  const report = await new mgx.Team({
    provider: model(),
    roleProviders: { critic: criticModel },
    stack: 'fastapi',
    dryRun: true,
    roles: [...mgx.defaultRoles(), critic, reader],
  }).run(TASK);
  assert.deepEqual(reader.messages.map((m) => m.content).sort(), ['first answer', 'second answer']);
  assert.ok(report.providers.includes('scripted/critic-model'));
  const systems = criticModel.calls.map((c) => c.messages[0].content);
  assert.ok(systems.some((s) => s.endsWith('Be brief.')));
  assert.ok(systems.every((s) => s.startsWith('mgx-action: critic')));
});

test('built-in roles can be dropped and replaced', async () => {
  assert.deepEqual(
    mgx.defaultRoles().map((r) => r.name),
    ['team_leader', 'engineer', 'tester', 'reviewer'],
  );
  assert.deepEqual(mgx.defaultRoles()[2].watches, ['code']);
  const withoutReview = await new mgx.Team({
    provider: model(),
    stack: 'fastapi',
    dryRun: true,
    roles: mgx.defaultRoles().filter((r) => r.name !== 'reviewer'),
  }).run(TASK);
  assert.equal(withoutReview.review, null);
  assert.equal(withoutReview.llm_calls, 4);
  const ruleBasedReviewer = {
    name: 'reviewer',
    watches: ['tests'],
    react(message, ctx) {
      const findings = ctx.latest('code').content.includes('README') ? [] : ['add a README'];
      return { kind: 'review', content: 'checked', data: { verdict: 'approved', findings } };
    },
  };
  const replaced = await new mgx.Team({
    provider: model(),
    stack: 'fastapi',
    dryRun: true,
    roles: [...mgx.defaultRoles().filter((r) => r.name !== 'reviewer'), ruleBasedReviewer],
  }).run(TASK);
  assert.deepEqual(replaced.review, { verdict: 'approved', findings: ['add a README'] });
});

for (const kind of ['throw', 'reject']) {
  test(`a role that ${kind}s fails the run with code role and its error as cause`, async () => {
    const boom = new RangeError('no licence header anywhere');
    const broken = {
      name: 'broken',
      watches: ['code'],
      react() {
        if (kind === 'throw') throw boom;
        return Promise.reject(boom);
      },
    };
    const team = new mgx.Team({ provider: model(), stack: 'fastapi', dryRun: true, roles: [...mgx.defaultRoles(), broken] });
    await assert.rejects(team.run(TASK), (e) => {
      assert.equal(e.code, 'role');
      assert.match(e.message, /broken.*no licence header anywhere/);
      assert.equal(e.cause, boom);
      assert.equal(e.report.status, 'failed');
      assert.equal(e.report.error_code, 'role');
      return true;
    });
  });
}

for (const [answer, says] of [
  [42, /not 42/],
  [[{ kind: 'x' }, 'text'], /array holding "text"/],
  [{ content: 'no kind' }, /needs a `kind`/],
  [{ kind: '' }, /must not be empty/],
  [{ kind: 'x', content: 3 }, /`content` is a string/],
]) {
  test(`a role answering ${JSON.stringify(answer)} fails with code role`, async () => {
    const odd = { name: 'odd', watches: ['code'], react: () => answer };
    const team = new mgx.Team({ provider: model(), stack: 'fastapi', dryRun: true, roles: [...mgx.defaultRoles(), odd] });
    await assert.rejects(team.run(TASK), (e) => e.code === 'role' && says.test(e.message));
  });
}

test('an error of the run a role lets through ends the run as that error', async () => {
  const asker = {
    name: 'asker',
    watches: ['task'],
    async react(message, ctx) {
      await ctx.ask('What is the plan?');
    },
  };
  // The role is the whole team; its first call would pass the budget.
  await assert.rejects(
    new mgx.Team({ provider: model(), stack: 'fastapi', budgetTokens: 1, roles: [asker] }).run(TASK),
    (e) => e.code === 'budget_exceeded' && e.report.status === 'budget_exceeded',
  );
  const careful = {
    name: 'asker',
    watches: ['task'],
    async react(message, ctx) {
      try {
        await ctx.ask('What is the plan?');
      } catch (e) {
        return { kind: 'note', content: `skipped: ${e.code}` };
      }
    },
  };
  const reader = collector('reader', ['note']);
  // Handled: the run goes on (and, with no engineer in the team, ends with nothing to write).
  await assert.rejects(
    new mgx.Team({ provider: model(), stack: 'fastapi', budgetTokens: 1, roles: [careful, reader] }).run(TASK),
    (e) => e.code === 'task' && /no code/.test(e.message),
  );
  assert.deepEqual(
    reader.messages.map((m) => m.content),
    ['skipped: budget_exceeded'],
  );
});

test('cancelling a run while a role waits on its model', async () => {
  const asker = {
    name: 'asker',
    watches: ['task'],
    async react(message, ctx) {
      return { kind: 'note', content: await ctx.ask('?') };
    },
  };
  const run = new mgx.Team({ provider: model({ asker: 'late' }, 5000), stack: 'fastapi', dryRun: true, roles: [asker] }).start(TASK);
  await new Promise((r) => setTimeout(r, 100));
  const started = Date.now();
  run.cancel();
  await assert.rejects(run.report(), { code: 'cancelled' });
  assert.ok(Date.now() - started < 2000);
});

test('a context used after its reaction rejects', async () => {
  const kept = [];
  const keeper = { name: 'keeper', watches: ['code'], react: (message, ctx) => void kept.push(ctx) };
  await new mgx.Team({ provider: model(), stack: 'fastapi', dryRun: true, roles: [...mgx.defaultRoles(), keeper] }).run(TASK);
  assert.equal(kept.length, 1);
  assert.equal(kept[0].history.length, 5);
  assert.throws(() => kept[0].ask('too late'), /reaction this context was given to has ended/);
});

test('bad roles are typed errors, thrown at once', () => {
  const role = (extra) => ({ name: 'x', watches: ['code'], react: () => null, ...extra });
  assert.throws(() => new mgx.Team({ roles: 'reviewer' }), { code: 'invalid_argument' });
  assert.throws(() => new mgx.Team({ roles: [42] }), { code: 'invalid_argument' });
  assert.throws(() => new mgx.Team({ roles: [role({ react: undefined })] }), /react is missing/);
  assert.throws(() => new mgx.Team({ roles: [role({ react: 'no' })] }), /react is not a function/);
  assert.throws(() => new mgx.Team({ roles: [role({ name: 3 })] }), /name must be a string/);
  assert.throws(() => new mgx.Team({ roles: [role({ name: ' ' })] }), /must not be empty/);
  assert.throws(() => new mgx.Team({ roles: [role({ watches: 'code' })] }), /watches is an array/);
  assert.throws(() => new mgx.Team({ roles: [...mgx.defaultRoles(), role({ name: 'reviewer' })] }), { code: 'config' });
  assert.throws(() => new mgx.Team({ roles: [] }), { code: 'config' });
});

test('cancelling a run stops waiting for a role busy with its own work', async () => {
  const slow = { name: 'slow', watches: ['task'], react: () => new Promise((r) => setTimeout(r, 30000).unref()) };
  const run = new mgx.Team({ provider: model(), stack: 'fastapi', dryRun: true, roles: [slow] }).start(TASK);
  await new Promise((r) => setTimeout(r, 100));
  const started = Date.now();
  run.cancel();
  await assert.rejects(run.report(), { code: 'cancelled' });
  assert.ok(Date.now() - started < 2000);
});

test("an engineer in the built-in one's place has its code validated before anyone reads it", async () => {
  const careless = {
    name: 'engineer',
    watches: ['approved_plan', 'revision_request'],
    react: () => ({ kind: 'code', data: { files: [{ path: '../outside.py', content: 'print(1)\n' }] } }),
  };
  const roles = mgx.defaultRoles().map((r) => (r.name === 'engineer' ? careless : r));
  await assert.rejects(new mgx.Team({ provider: model(), stack: 'fastapi', dryRun: true, roles }).run(TASK), (e) => {
    assert.equal(e.code, 'validation');
    assert.equal(e.report.llm_calls, 2);
    // It watches revision_request: its code went back twice (the team's validation retries).
    assert.deepEqual(
      e.report.validations.map((v) => v.valid),
      [false, false, false],
    );
    return true;
  });
});

test('an engineer of your own mends its code from the errors a revision request brings', async () => {
  const requests = [];
  const mending = {
    name: 'engineer',
    watches: ['approved_plan', 'revision_request'],
    react(message) {
      if (message.kind !== 'revision_request') {
        return { kind: 'code', data: { files: [{ path: '../outside.py', content: 'print(1)\n' }] } };
      }
      requests.push(message.data);
      return { kind: 'code', content: ANSWERS.write_code };
    },
  };
  const roles = mgx.defaultRoles().map((r) => (r.name === 'engineer' ? mending : r));
  const report = await new mgx.Team({ provider: model(), stack: 'fastapi', dryRun: true, roles }).run(TASK);
  assert.equal(report.status, 'completed');
  assert.deepEqual(
    report.validations.map((v) => v.valid),
    [false, true],
  );
  assert.equal(requests.length, 1);
  assert.equal(requests[0].attempt, 1);
  assert.ok(requests[0].validation_errors.some((e) => e.includes('outside.py')));
});

test('tests of your own that break the code end the run, and nothing is written', async () => {
  const testFile = { path: 'tests/test_health.py', content: 'def test_health():\n    assert True\n' };
  const tester = (files) => ({
    name: 'tester',
    watches: ['code'],
    react: () => ({ kind: 'tests', data: { files } }),
  });
  const breaking = [testFile, { path: 'app/main.py', content: 'from django.http import HttpResponse\n' }];
  let roles = mgx.defaultRoles().map((r) => (r.name === 'tester' ? tester(breaking) : r));
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mgx-node-tests-'));
  const team = new mgx.Team({ provider: model(), stack: 'fastapi', outputDir: path.join(out, 'bad'), roles });
  await assert.rejects(team.run(TASK), (e) => {
    assert.equal(e.code, 'validation');
    assert.match(e.message, /the tests change app\/main\.py/);
    assert.deepEqual(
      e.report.validations.map((v) => v.valid),
      [true, false],
    );
    return true;
  });
  assert.ok(!fs.existsSync(path.join(out, 'bad')));

  roles = mgx.defaultRoles().map((r) => (r.name === 'tester' ? tester([testFile]) : r));
  const ok = await new mgx.Team({ provider: model(), stack: 'fastapi', outputDir: path.join(out, 'ok'), roles }).run(TASK);
  assert.equal(ok.status, 'completed');
  assert.equal(ok.validations.length, 1);
  assert.ok(fs.existsSync(path.join(out, 'ok', 'tests', 'test_health.py')));
  fs.rmSync(out, { recursive: true, force: true });
});
