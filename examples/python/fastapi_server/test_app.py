"""The FastAPI example, end to end with FastAPI's test client (run by .ci/run)."""

import atexit
import os
import pathlib
import shutil
import sys
import tempfile

from fastapi.testclient import TestClient

sys.path.insert(0, str(pathlib.Path(__file__).parent))

# The runs' files go to a directory of the test's, removed when it ends.
_OUT = tempfile.mkdtemp(prefix="mgx-server-test-")
atexit.register(shutil.rmtree, _OUT, ignore_errors=True)
os.environ["MGX_SERVER_OUT"] = _OUT

from app import app  # noqa: E402

TASK = "Create a FastAPI /health endpoint with tests"


def test_a_run_is_started_streamed_approved_and_reported():
    with TestClient(app) as client:
        run_id = client.post("/runs", json={"task": TASK}).json()["id"]
        plan = client.get(f"/runs/{run_id}/plan").json()
        assert plan["kind"] == "plan" and plan["data"]["steps"]
        assert client.post(f"/runs/{run_id}/approve", json={"feedback": "ship it"}).json() == {"ok": True}
        with client.websocket_connect(f"/runs/{run_id}/events") as ws:
            events = []
            while not events or events[-1]["event_type"] != "completion":
                events.append(ws.receive_json())
        assert [e["seq"] for e in events] == list(range(len(events)))
        assert events[0]["event_type"] == "analysis_start"
        assert {"plan_ready", "approval_required", "approved", "files_written"} <= {e["event_type"] for e in events}
        assert set(events[0]) == {"event_type", "timestamp", "task_id", "run_id", "seq", "message", "data"}
        report = client.get(f"/runs/{run_id}/report").json()
        assert report["status"] == "completed" and "app/main.py" in report["files"]
        assert pathlib.Path(report["output_dir"], "app", "main.py").is_file()


def test_a_rejected_run_streams_to_its_end_and_writes_nothing():
    with TestClient(app) as client:
        run_id = client.post("/runs", json={"task": TASK, "stack": "fastapi"}).json()["id"]
        client.get(f"/runs/{run_id}/plan")
        client.post(f"/runs/{run_id}/reject", json={"reason": "not now"})
        with client.websocket_connect(f"/runs/{run_id}/events") as ws:
            events = [ws.receive_json()]
            while events[-1]["event_type"] not in ("cancelled", "failure", "completion"):
                events.append(ws.receive_json())
        assert events[-1]["event_type"] == "cancelled"
        report = client.get(f"/runs/{run_id}/report").json()
        assert report["status"] == "rejected" and report["files"] == []
        assert client.get("/runs/nope/report").status_code == 404
