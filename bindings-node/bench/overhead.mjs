// What crossing into the addon costs: a trivial call, an async provider call, a JS provider
// called back from the runtime, a whole offline run. Medians of many rounds, same process.
//
//   (cd bindings-node && npx napi build --platform --release && node bench/overhead.mjs)
// CI runs it with BENCH_QUICK=1 (few rounds) to keep it working; figures go to benches/README.md.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const mgx = require('../index.js');

const quick = process.env.BENCH_QUICK === '1';
const ANSWERS = {
  analyze_task: '{"complexity": "S", "files": ["app/main.py"]}',
  draft_plan: '{"steps": ["code", "tests", "review"]}',
  write_code: 'FILE: app/main.py\nfrom fastapi import FastAPI\n\napp = FastAPI()\nFILE: requirements.txt\nfastapi\npytest\n',
  write_test: 'FILE: tests/test_main.py\nfrom app.main import app\n\n\ndef test_app():\n    assert app\n',
  review_code: '{"verdict": "approved", "findings": []}',
};
const ORDER = ['analyze_task', 'draft_plan', 'write_code', 'write_test', 'review_code'];
const action = (messages) => messages[0].content.split('\n')[0].replace('mgx-action:', '').trim();

async function median(name, rounds, fn) {
  for (let i = 0; i < Math.min(rounds, 50); i++) await fn(); // warm up
  const times = [];
  for (let i = 0; i < rounds; i++) {
    const t = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  times.sort((a, b) => a - b);
  const m = times[Math.floor(times.length / 2)];
  console.log(`${name.padEnd(58)} ${m.toFixed(2).padStart(10)} µs  (median of ${rounds})`);
  return m;
}

const n = (full) => (quick ? 5 : full);
await median('a trivial call (mgx.stackIds())', n(100000), () => mgx.stackIds());
const scripted = new mgx.Scripted(Array(n(20000) + 100).fill('4'));
const ask = [{ role: 'user', content: '2+2?' }];
await median('await provider.complete() of a Scripted provider', n(20000), () => scripted.complete(ask));
const task = 'Create a FastAPI /health endpoint with tests';
const native = () => new mgx.Scripted([...Array(n(3000) + 60)].flatMap(() => ORDER.map((a) => ANSWERS[a])));
let team = new mgx.Team({ provider: native(), stack: 'fastapi', dryRun: true });
const viaNative = await median('a team run, 5 calls to a native Scripted provider', n(3000), () => team.run(task));
const js = { complete: (messages) => ANSWERS[action(messages)] };
team = new mgx.Team({ provider: js, stack: 'fastapi', dryRun: true });
const viaJs = await median('a team run, 5 calls to a sync JS provider', n(3000), () => team.run(task));
const jsAsync = { complete: async (messages) => ANSWERS[action(messages)] };
team = new mgx.Team({ provider: jsAsync, stack: 'fastapi', dryRun: true });
await median('a team run, 5 calls to an async JS provider', n(3000), () => team.run(task));
console.log(`${'=> a call into a JS provider costs about'.padEnd(58)} ${((viaJs - viaNative) / 5).toFixed(2).padStart(10)} µs more than a native one`);
team = new mgx.Team({ stack: 'fastapi', dryRun: true });
await median('a whole offline team run', n(3000), () => team.run(task));
