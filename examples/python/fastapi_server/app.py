"""A FastAPI backend that embeds the mgx runtime: it starts runs, streams their events over a
WebSocket in the event contract, and takes approvals over HTTP.

    pip install fastapi uvicorn
    uvicorn app:app --app-dir examples/python/fastapi_server

    POST /runs {"task": "...", "stack": "fastapi"}   -> {"id": ...}
    WS   /runs/{id}/events                           -> one JSON event per message, from the first
    GET  /runs/{id}/plan                             -> the plan, once ready
    POST /runs/{id}/approve {"feedback": "..."}      -> approve the plan (or the change set)
    POST /runs/{id}/reject {"reason": "..."}
    POST /runs/{id}/cancel
    GET  /runs/{id}/report                           -> the report, once the run has ended
"""

import asyncio
import os
import tempfile
import uuid
from typing import Dict, List, Optional

from fastapi import FastAPI, HTTPException, WebSocket
from pydantic import BaseModel

import mgx

OUT = os.environ.get("MGX_SERVER_OUT") or tempfile.mkdtemp(prefix="mgx-server-")
TERMINAL = {"completion", "failure", "cancelled"}

app = FastAPI(title="mgx runs")


class Tracked:
    """A run and every event it has emitted so far (so late WebSockets replay from the start)."""

    def __init__(self, run: mgx.Run):
        self.run = run
        self.events: List[dict] = []
        self.changed = asyncio.Condition()
        self.consumer = asyncio.ensure_future(self._consume())

    async def _consume(self):
        async for event in self.run.events():
            async with self.changed:
                self.events.append(event)
                self.changed.notify_all()


RUNS: Dict[str, Tracked] = {}


class NewRun(BaseModel):
    task: str
    stack: Optional[str] = None


class Decision(BaseModel):
    feedback: Optional[str] = None
    reason: str = "rejected"


def tracked(run_id: str) -> Tracked:
    if run_id not in RUNS:
        raise HTTPException(status_code=404, detail=f"no run {run_id}")
    return RUNS[run_id]


@app.post("/runs")
async def start_run(body: NewRun):
    run_id = uuid.uuid4().hex
    team = mgx.Team(stack=body.stack, approval="manual", output_dir=os.path.join(OUT, run_id))
    RUNS[run_id] = Tracked(team.start(body.task))
    return {"id": run_id}


@app.websocket("/runs/{run_id}/events")
async def stream_events(websocket: WebSocket, run_id: str):
    await websocket.accept()
    if run_id not in RUNS:
        await websocket.close(code=4404)
        return
    entry, sent = RUNS[run_id], 0
    while True:
        async with entry.changed:
            await entry.changed.wait_for(lambda: len(entry.events) > sent or entry.consumer.done())
            pending = entry.events[sent:]
        for event in pending:
            await websocket.send_json(event)
        sent += len(pending)
        if (pending and pending[-1]["event_type"] in TERMINAL) or (not pending and entry.consumer.done()):
            break
    await websocket.close()


@app.get("/runs/{run_id}/plan")
async def plan(run_id: str):
    found = await tracked(run_id).run.plan()
    if found is None:
        raise HTTPException(status_code=409, detail="the run ended without a plan")
    return found


@app.post("/runs/{run_id}/approve")
async def approve(run_id: str, body: Decision):
    tracked(run_id).run.approve(body.feedback)
    return {"ok": True}


@app.post("/runs/{run_id}/reject")
async def reject(run_id: str, body: Decision):
    tracked(run_id).run.reject(body.reason)
    return {"ok": True}


@app.post("/runs/{run_id}/cancel")
async def cancel(run_id: str):
    tracked(run_id).run.cancel()
    return {"ok": True}


@app.get("/runs/{run_id}/report")
async def report(run_id: str):
    return (await tracked(run_id).run.report()).to_dict()
