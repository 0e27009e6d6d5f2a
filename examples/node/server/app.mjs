// An Express app that embeds the mgx runtime: it starts runs, streams their events as
// Server-Sent Events in the event contract, and takes approvals over HTTP.
//
//   POST /runs { task, stack? }          -> { id }
//   GET  /runs/:id/events                -> text/event-stream, one `data:` JSON event each, from the first
//   GET  /runs/:id/plan                  -> the plan, once ready
//   POST /runs/:id/approve { feedback? } -> approve the plan (or the change set)
//   POST /runs/:id/reject { reason? }
//   POST /runs/:id/cancel
//   GET  /runs/:id/report                -> the report once the run has ended
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';

const require = createRequire(import.meta.url);
const mgx = require('mgx');

/** Where each run writes its project: `$MGX_SERVER_OUT`, or a new temporary directory. */
export const OUT = process.env.MGX_SERVER_OUT ?? mkdtempSync(join(tmpdir(), 'mgx-server-'));
const TERMINAL = new Set(['completion', 'failure', 'cancelled']);

/** A run and every event it has emitted so far, so late listeners replay from the start. */
class Tracked extends EventEmitter {
  constructor(run) {
    super();
    this.run = run;
    this.events = [];
    this.ended = false;
    (async () => {
      for await (const event of run.events()) {
        this.events.push(event);
        this.emit('event', event);
      }
      this.ended = true;
      this.emit('end');
    })();
  }
}

export function createApp() {
  const runs = new Map();
  const app = express();
  app.use(express.json());

  const tracked = (req, res) => {
    const entry = runs.get(req.params.id);
    if (!entry) res.status(404).json({ error: `no run ${req.params.id}` });
    return entry;
  };

  app.post('/runs', (req, res) => {
    const { task, stack } = req.body ?? {};
    if (typeof task !== 'string') return res.status(400).json({ error: 'task must be a string' });
    const id = randomUUID();
    const team = new mgx.Team({ stack, approval: 'manual', outputDir: join(OUT, id) });
    runs.set(id, new Tracked(team.start(task)));
    res.status(201).json({ id });
  });

  app.get('/runs/:id/events', (req, res) => {
    const entry = tracked(req, res);
    if (!entry) return;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (event) => {
      res.write(`event: ${event.event_type}\ndata: ${JSON.stringify(event)}\n\n`);
      if (TERMINAL.has(event.event_type)) finish();
    };
    const finish = () => {
      entry.off('event', send);
      entry.off('end', finish);
      res.end();
    };
    for (const event of entry.events) send(event);
    if (res.writableEnded) return;
    if (entry.ended) return finish();
    entry.on('event', send);
    entry.on('end', finish);
    req.on('close', finish);
  });

  app.get('/runs/:id/plan', async (req, res) => {
    const entry = tracked(req, res);
    if (!entry) return;
    const plan = await entry.run.plan();
    if (plan === null) return res.status(409).json({ error: 'the run ended without a plan' });
    res.json(plan);
  });

  app.post('/runs/:id/approve', (req, res) => {
    const entry = tracked(req, res);
    if (!entry) return;
    entry.run.approve(req.body?.feedback);
    res.json({ ok: true });
  });

  app.post('/runs/:id/reject', (req, res) => {
    const entry = tracked(req, res);
    if (!entry) return;
    entry.run.reject(req.body?.reason);
    res.json({ ok: true });
  });

  app.post('/runs/:id/cancel', (req, res) => {
    const entry = tracked(req, res);
    if (!entry) return;
    entry.run.cancel();
    res.json({ ok: true });
  });

  app.get('/runs/:id/report', async (req, res) => {
    const entry = tracked(req, res);
    if (!entry) return;
    try {
      res.json(await entry.run.report());
    } catch (e) {
      res.status(e.code === 'rejected' || e.code === 'cancelled' ? 200 : 500).json(e.report ?? { error: e.message });
    }
  });

  return app;
}
