// Many concurrent team runs from Node: wall time, CPU and peak memory per batch.
//
//   (cd bindings-node && npx napi build --platform --release && node bench/many_runs.mjs [offline|async] [SIZES] [--pool N] [--delay S])
//
// `offline`: the offline provider (no model, no latency): what a run costs through the addon.
// `async`: an async JS provider answering after `--delay` seconds (0.05 by default), as a
// wrapper around an async client would; five calls a run make the ideal run (and, with enough
// concurrency, the ideal batch) five delays long. Before each batch, the same number of plain
// promises doing only the five waits gives the floor of this machine and Node.
// SIZES is a comma-separated list of batch sizes (default 1000,3000,10000).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const mgx = require('../index.js');

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args.splice(i, 2)[1]) : fallback;
};
const poolThreads = flag('--pool', 0);
const delay = flag('--delay', 0.05);
const kind = args[0] ?? 'async';
const sizes = (args[1] ?? '1000,3000,10000').split(',').map(Number);

const CODE = 'FILE: app/main.py\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get("/health")\ndef health() -> dict[str, str]:\n    return {"status": "ok"}\nFILE: requirements.txt\nfastapi\nuvicorn\npytest\n';
const TESTS = 'FILE: tests/test_health.py\nfrom fastapi.testclient import TestClient\n\nfrom app.main import app\n\n\ndef test_health() -> None:\n    assert TestClient(app).get("/health").status_code == 200\n';
const ANSWERS = {
  analyze_task: '{"complexity": "S", "files": ["app/main.py"]}',
  draft_plan: '{"steps": ["code", "tests", "review"]}',
  write_code: CODE,
  write_test: TESTS,
  review_code: '{"verdict": "approved", "findings": []}',
};
const action = (messages) => messages[0].content.split('\n', 1)[0].replace('mgx-action:', '').trim();
const sleep = (s) => new Promise((resolve) => setTimeout(resolve, s * 1000));
const delayed = { complete: async (messages) => { await sleep(delay); return ANSWERS[action(messages)]; } };

const task = 'Create a FastAPI /health endpoint with tests';
const team = new mgx.Team({ provider: kind === 'async' ? delayed : undefined, stack: 'fastapi', dryRun: true, outputDir: '/nonexistent/mgx-bench' });
const pool = poolThreads ? new mgx.RunPool(poolThreads) : undefined;
const ideal = 5 * delay * 1000;
const cpuMs = (u) => (u.user + u.system) / 1000;

for (const n of sizes) {
  let note = '';
  if (kind === 'async') {
    const t = performance.now();
    await Promise.all(Array.from({ length: n }, async () => { for (let i = 0; i < 5; i++) await sleep(delay); }));
    const f = performance.now() - t;
    note = `, floor ${f.toFixed(0)} ms (${(f / ideal).toFixed(2)}x)`;
  }
  const cpu = process.cpuUsage();
  const t = performance.now();
  const reports = await Promise.all(Array.from({ length: n }, () => team.run(task, pool ? { pool } : undefined)));
  const wall = performance.now() - t;
  const used = cpuMs(process.cpuUsage(cpu));
  const ok = reports.filter((r) => r.status === 'completed').length;
  if (ok !== n) {
    console.error(`${n - ok} of ${n} runs did not complete`);
    process.exit(1);
  }
  const ratio = kind === 'async' ? ` (${(wall / ideal).toFixed(2)}x the ideal ${ideal.toFixed(0)} ms${note})` : '';
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log(`${kind} n=${n} pool=${poolThreads || '-'}: ${ok} completed in ${wall.toFixed(0)} ms${ratio}, CPU ${used.toFixed(0)} ms (${((used / n) * 1000).toFixed(0)} µs a run), peak RSS ${rss.toFixed(0)} MB`);
}
