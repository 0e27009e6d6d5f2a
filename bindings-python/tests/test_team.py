"""The team runtime from Python: runs, providers, events, approval, cancellation, errors."""

import asyncio
import json
import pathlib
import threading
import time

import pytest

import mgx

TASK = "Create a FastAPI /health endpoint with tests"
GOOD_CODE = (
    "FILE: app/main.py\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
    "@app.get(\"/health\")\ndef health() -> dict[str, str]:\n    return {\"status\": \"ok\"}\n"
    "FILE: requirements.txt\nfastapi\nuvicorn\npytest\n"
)
GOOD_TESTS = (
    "FILE: tests/test_health.py\nfrom fastapi.testclient import TestClient\n\n"
    "from app.main import app\n\n\ndef test_health() -> None:\n"
    "    assert TestClient(app).get(\"/health\").status_code == 200\n"
)
ANSWERS = {
    "analyze_task": '{"complexity": "S", "files": ["app/main.py"], "test_strategy": "pytest"}',
    "draft_plan": '{"steps": ["code", "tests", "review"]}',
    "write_code": GOOD_CODE,
    "write_test": GOOD_TESTS,
    "review_code": '{"verdict": "approved", "findings": []}',
}


def action(messages):
    """The default team tags its system prompt's first line with the action."""
    return messages[0]["content"].splitlines()[0].removeprefix("mgx-action:").strip()


class SyncModel:
    """A sync provider, as users write around a blocking client."""

    model = "sync-model"

    def __init__(self, answers=ANSWERS):
        self.answers = answers
        self.calls = []
        self.threads = set()

    def complete(self, messages, **params):
        self.calls.append((messages, params))
        self.threads.add(threading.get_ident())
        return {"content": self.answers[action(messages)], "usage": {"prompt_tokens": 10, "completion_tokens": 5}}


class AsyncModel:
    """An async provider, as users write around an async client."""

    model = "async-model"

    def __init__(self, answers=ANSWERS, delay=0.0):
        self.answers = answers
        self.delay = delay
        self.loops = set()

    async def complete(self, messages, **params):
        self.loops.add(id(asyncio.get_running_loop()))
        if self.delay:
            await asyncio.sleep(self.delay)
        return self.answers[action(messages)]


def test_the_offline_team_writes_a_starter_project(tmp_path):
    report = mgx.Team(output_dir=tmp_path).run_sync(TASK)
    report.raise_for_status()
    assert report.ok and report.status == "completed"
    assert report.stack == "fastapi" and 0 < report.stack_confidence <= 1
    assert report.providers == ["offline/scaffold"]
    assert report.llm_calls == 5 and report.cache_hits == 0
    assert report.tokens_in is None and report.cost_usd is None  # unknown, never invented
    assert "app/main.py" in report.files and report.tests == ["tests/test_health.py"]
    for path in report.files:
        assert (tmp_path / path).is_file()
    assert report.review["verdict"] == "approved"
    assert report.validations[0]["valid"] is True
    assert set(report.phase_ms) >= {"analysis", "code", "tests", "review", "apply"}
    assert report.profile["llm_calls"] == 5 and report.profile["total_ms"] >= 0
    assert report.profile["peak_rss_bytes"] is None or report.profile["peak_rss_bytes"] > 1_000_000
    data = report.to_dict()
    assert data["status"] == "completed" and data["files"] == report.files
    json.dumps(data)  # plain data
    assert "completed" in repr(report)


@pytest.mark.parametrize("stack", mgx.stack_ids())
def test_every_stack_runs_offline(tmp_path, stack):
    report = mgx.Team(stack=stack, dry_run=True, output_dir=tmp_path).run_sync("Build the app")
    assert report.status == "completed", report.error
    assert report.stack == stack


async def test_sync_and_async_python_providers_drive_the_team(tmp_path):
    sync_model, async_model = SyncModel(), AsyncModel()
    for model in (sync_model, async_model):
        report = await mgx.Team(provider=model, stack="fastapi", output_dir=tmp_path / model.model).run(TASK)
        report.raise_for_status()
        assert report.providers == [f"python/{model.model}"]
        assert (tmp_path / model.model / "app" / "main.py").read_text().startswith("from fastapi")
    # The sync provider ran off the event loop's thread; the async one on the caller's loop.
    assert threading.get_ident() not in sync_model.threads
    assert async_model.loops == {id(asyncio.get_running_loop())}
    # What the provider was asked: messages as dicts, parameters as keywords.
    messages, params = sync_model.calls[0]
    assert [m["role"] for m in messages] == ["system", "user"]
    assert params["max_tokens"] > 0
    report = await mgx.Team(provider=sync_model, stack="fastapi", dry_run=True).run(TASK)
    assert report.tokens_in == 50 and report.tokens_out == 25


async def test_a_provider_answering_like_the_openai_sdk_works():
    class Completion:
        def __init__(self, text):
            self.choices = [type("Choice", (), {"message": type("Msg", (), {"content": text})()})()]
            self.usage = type("Usage", (), {"prompt_tokens": 3, "completion_tokens": 2})()
            self.model = "sdk-model"

    class SdkLike:
        def complete(self, messages, **params):
            return Completion(ANSWERS[action(messages)])

    report = await mgx.Team(provider=SdkLike(), stack="fastapi", dry_run=True).run(TASK)
    report.raise_for_status()
    assert report.tokens_in == 15


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_a_provider_exception_comes_back_with_its_traceback(asynchronous):
    class Failing:
        def complete(self, messages, **params):
            if action(messages) == "write_code":
                raise KeyError("the model is gone")
            return ANSWERS[action(messages)]

    class AsyncFailing(Failing):
        async def complete(self, messages, **params):
            return Failing.complete(self, messages, **params)

    provider = AsyncFailing() if asynchronous else Failing()
    report = await mgx.Team(provider=provider, stack="fastapi", dry_run=True).run(TASK)
    assert report.status == "failed" and report.error_code == "provider"
    assert "KeyError" in report.error and report.files == []
    with pytest.raises(mgx.ProviderError) as caught:
        report.raise_for_status()
    cause = caught.value.__cause__
    assert isinstance(cause, KeyError) and cause.args == ("the model is gone",)
    frames = []
    tb = cause.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    assert "complete" in frames


async def test_a_provider_answer_of_the_wrong_shape_is_a_provider_error():
    class Wrong:
        def complete(self, messages, **params):
            return 42

    report = await mgx.Team(provider=Wrong(), stack="fastapi", dry_run=True).run(TASK)
    with pytest.raises(mgx.ProviderError) as caught:
        report.raise_for_status()
    assert isinstance(caught.value.__cause__, TypeError)


def test_bad_arguments_are_typed_errors():
    with pytest.raises(TypeError):
        mgx.Team(provider=object())
    with pytest.raises(TypeError):
        mgx.Team(on_event=42)
    with pytest.raises(ValueError):
        mgx.Team(approval="sometimes")
    with pytest.raises(TypeError):
        mgx.Team(approval=42)
    with pytest.raises(TypeError):
        mgx.Team(human_reviewer="me")
    with pytest.raises(mgx.ConfigError):
        mgx.Team(max_concurrent_runs=0)
    with pytest.raises(mgx.ConfigError, match="cobol-mainframe"):
        mgx.Team(stack="cobol-mainframe")
    with pytest.raises(mgx.ConfigError):
        mgx.Team(prices={"m": {"input_per_million": -1, "output_per_million": 1}})
    with pytest.raises(ValueError):
        mgx.Scripted([])
    with pytest.raises(ValueError):
        mgx.MemoryCache(capacity=0)


async def test_events_reach_sync_and_async_callbacks_in_order_before_run_returns(tmp_path):
    seen, seen_async = [], []

    async def on_event_async(event):
        await asyncio.sleep(0)
        seen_async.append(event)

    await mgx.Team(on_event=seen.append, dry_run=True).run(TASK)
    await mgx.Team(on_event=on_event_async, dry_run=True).run(TASK)
    for events in (seen, seen_async):
        assert [e["seq"] for e in events] == list(range(len(events)))
        assert events[0]["event_type"] == "analysis_start"
        assert events[-1]["event_type"] == "completion"
        assert set(events[0]) == {"event_type", "timestamp", "task_id", "run_id", "seq", "message", "data"}
        kinds = {e["event_type"] for e in events}
        assert {"plan_ready", "approval_required", "approved", "llm_call", "validation_passed"} <= kinds


@pytest.fixture
def unraisable(monkeypatch):
    """What reaches sys.unraisablehook (where errors of callbacks are reported)."""
    import sys

    seen = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    return seen


async def test_a_failing_callback_does_not_stop_the_run(unraisable):
    def broken(event):
        raise RuntimeError("callback bug")

    report = await mgx.Team(on_event=broken, dry_run=True).run(TASK)
    assert report.status == "completed"
    assert unraisable and isinstance(unraisable[0].exc_value, RuntimeError)


async def test_many_concurrent_runs_call_back_for_each_run():
    counts = {}

    def on_event(event):
        counts.setdefault(event["run_id"], []).append(event["event_type"])

    team = mgx.Team(provider=AsyncModel(delay=0.005), stack="fastapi", dry_run=True, on_event=on_event)
    reports = await asyncio.gather(*(team.run(TASK) for _ in range(40)))
    assert all(r.ok for r in reports)
    assert len(counts) == 40 and {r.run_id for r in reports} == set(counts)
    assert all(kinds[-1] == "completion" for kinds in counts.values())


async def test_thousands_of_concurrent_runs_each_get_their_own_answers():
    """Results and provider calls cross to the event loop in batches: none may go astray."""

    class Echo:
        model = "echo"

        async def complete(self, messages, **params):
            await asyncio.sleep(0.001)
            answer = ANSWERS[action(messages)]
            if action(messages) == "draft_plan":
                # The plan's one step names the run's task (its number, after "Run-").
                word = messages[1]["content"].split("Run-")[1].split('"')[0]
                return json.dumps({"steps": [f"step of {word}"]})
            return answer

    team = mgx.Team(provider=Echo(), stack="fastapi", dry_run=True)
    n = 1500
    reports = await asyncio.gather(*(team.run(f"{TASK} Run-{i}") for i in range(n)))
    assert [r.status for r in reports] == ["completed"] * n
    assert [r.plan for r in reports] == [[f"step of {i}"] for i in range(n)]


async def test_callbacks_and_async_providers_run_on_the_loop_thread_in_the_run_context():
    import contextvars

    request_id = contextvars.ContextVar("request_id", default=None)
    loop_thread = threading.get_ident()
    seen = []

    class Model(AsyncModel):
        async def complete(self, messages, **params):
            seen.append(("provider", threading.get_ident(), request_id.get()))
            return await super().complete(messages, **params)

    def on_event(event):
        seen.append(("event", threading.get_ident(), request_id.get()))

    team = mgx.Team(provider=Model(), stack="fastapi", dry_run=True, on_event=on_event)
    request_id.set("req-7")
    report = await team.run(TASK)
    assert report.ok
    assert {kind for kind, _, _ in seen} == {"provider", "event"}
    assert {thread for _, thread, _ in seen} == {loop_thread}
    assert {rid for kind, _, rid in seen if kind == "provider"} == {"req-7"}


async def test_cancelling_a_run_cancels_its_providers_pending_coroutine():
    started, cancelled = asyncio.Event(), asyncio.Event()

    class Hanging:
        model = "hanging"

        async def complete(self, messages, **params):
            started.set()
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                cancelled.set()
                raise
            return ""

    task = asyncio.ensure_future(mgx.Team(provider=Hanging(), stack="fastapi", dry_run=True).run(TASK))
    await asyncio.wait_for(started.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(cancelled.wait(), 5)


def test_a_run_whose_event_loop_closes_fails_its_pending_call_instead_of_hanging():
    class Slow:
        model = "slow"

        async def complete(self, messages, **params):
            await asyncio.sleep(60)
            return ""

    runs = []

    async def start_and_leave():
        runs.append(mgx.Team(provider=Slow(), stack="fastapi", dry_run=True).start(TASK))
        await asyncio.sleep(0.05)

    # `asyncio.run` cancels the provider's pending task, then closes its loop.
    asyncio.run(start_and_leave())

    async def report():
        return await asyncio.wait_for(runs[0].report(), 10)

    report = asyncio.run(report())
    assert report.status == "failed" and report.error_code == "provider"


def test_a_loop_closed_with_work_for_it_still_queued_fails_the_run_promptly():
    event_loop = asyncio.new_event_loop()
    team = mgx.Team(provider=AsyncModel(), stack="fastapi", dry_run=True, approval="manual")

    async def start():
        run = team.start(TASK)
        await run.plan()
        return run

    run = event_loop.run_until_complete(start())
    # The engineer's call is handed to the loop, which no longer runs; closing it drops that.
    run.approve()
    time.sleep(0.2)
    event_loop.close()

    async def report():
        return await asyncio.wait_for(run.report(), 10)

    report = asyncio.run(report())
    assert report.status == "failed" and report.error_code == "provider"
    assert "event loop closed" in report.error


def test_a_program_that_ends_with_runs_still_going_exits_cleanly():
    """Runs left going when the interpreter exits must not take the process down with them
    (a runtime thread asking for the GIL during finalisation used to abort it, now and then:
    hence the many tries)."""
    import subprocess
    import sys

    script = """
import asyncio, mgx
class Slow:
    model = "slow"
    async def complete(self, messages, **params):
        await asyncio.sleep(0.01)
        return '{"complexity": "S"}'
async def main():
    team = mgx.Team(provider=Slow(), stack="fastapi", dry_run=True, on_event=lambda e: None)
    runs = [team.start("Create a FastAPI /health endpoint") for _ in range(100)]
    tasks = [asyncio.ensure_future(team.run("Create a FastAPI /health endpoint")) for _ in range(100)]
    await asyncio.sleep(0.005)
asyncio.run(main())
print("done")
"""
    for _ in range(40):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and done.stdout.strip() == "done", done.stderr[-2000:]


def test_run_sync_works_from_several_threads():
    team = mgx.Team(provider=AsyncModel(), stack="fastapi", dry_run=True)
    results = []

    def worker():
        results.append(team.run_sync(TASK).status)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["completed"] * 4


async def test_a_plan_is_approved_through_the_run_handle(tmp_path):
    team = mgx.Team(approval="manual", output_dir=tmp_path)
    run = team.start(TASK)
    plan = await run.plan()
    assert plan["kind"] == "plan" and plan["data"]["steps"]
    assert not run.done
    run.approve(feedback="keep it small")
    report = await run
    assert report.ok and run.done
    assert (await run.report()).run_id == report.run_id  # awaitable again
    assert (tmp_path / "app" / "main.py").is_file()


async def test_a_rejected_plan_writes_nothing(tmp_path):
    run = mgx.Team(approval="manual", output_dir=tmp_path).start(TASK)
    await run.plan()
    run.reject("not this way")
    report = await run.report()
    assert report.status == "rejected" and report.files == []
    assert not any(tmp_path.iterdir())
    with pytest.raises(mgx.RejectedError) as caught:
        report.raise_for_status()
    assert caught.value.reason == "not this way" and caught.value.code == "rejected"


async def test_an_unanswered_plan_times_out():
    run = mgx.Team(approval="manual", approval_timeout=0.1, dry_run=True).start(TASK)
    report = await run.report()
    with pytest.raises(mgx.ApprovalTimeoutError):
        report.raise_for_status()


@pytest.mark.parametrize(
    "answer, status",
    [(True, "completed"), (None, "completed"), ({"approve": True, "feedback": "ok"}, "completed"),
     (False, "rejected"), ({"approve": False, "reason": "no"}, "rejected")],
)
async def test_an_approval_callback_decides(answer, status):
    plans = []

    def decide(plan):
        plans.append(plan)
        return answer

    report = await mgx.Team(approval=decide, dry_run=True).run(TASK)
    assert report.status == status
    assert plans[0]["kind"] == "plan"


async def test_an_approval_callback_that_raises_rejects(unraisable):
    def decide(plan):
        raise RuntimeError("approval service down")

    report = await mgx.Team(approval=decide, dry_run=True).run(TASK)
    assert report.status == "rejected" and "approval service down" in report.error
    assert isinstance(unraisable[0].exc_value, RuntimeError)


@pytest.mark.parametrize("answer, approved", [(True, True), ({"verdict": "approved", "findings": []}, True), (False, False)])
async def test_a_human_reviewer_takes_the_reviewers_place(answer, approved):
    reviews = []

    def review(r):
        reviews.append(r)
        return answer

    report = await mgx.Team(human_reviewer=review, max_revision_rounds=0, dry_run=True).run(TASK)
    assert reviews and set(reviews[0]) == {"task", "code", "tests"}
    assert (report.review["verdict"] == "approved") is approved


async def test_async_approval_and_reviewer_callbacks_answer_on_the_loop_thread():
    loop_thread = threading.get_ident()
    threads = []

    async def decide(plan):
        threads.append(threading.get_ident())
        await asyncio.sleep(0)
        return {"approve": True, "feedback": "keep it small"}

    def review(r):
        threads.append(threading.get_ident())
        return {"verdict": "approved", "findings": ["fine"]}

    events = []
    team = mgx.Team(approval=decide, human_reviewer=review, dry_run=True, on_event=events.append)
    report = await team.run(TASK)
    assert report.status == "completed" and report.review["findings"] == ["fine"]
    assert threads == [loop_thread, loop_thread]
    approved = next(e for e in events if e["event_type"] == "approved")
    assert "keep it small" in json.dumps(approved)

    async def reject(plan):
        return False

    assert (await mgx.Team(approval=reject, dry_run=True).run(TASK)).status == "rejected"


async def test_an_approval_callback_slower_than_approval_timeout_times_out():
    async def decide(plan):
        await asyncio.sleep(5)
        return True

    report = await mgx.Team(approval=decide, approval_timeout=0.1, dry_run=True).run(TASK)
    assert report.status == "failed" and report.error_code == "approval_timeout"


async def test_events_stream_as_an_async_iterator():
    run = mgx.Team(dry_run=True).start(TASK)
    events = [e async for e in run.events()]
    assert events[0]["event_type"] == "analysis_start" and events[-1]["event_type"] == "completion"
    assert (await run).ok


async def test_cancelling_a_run_stops_it_and_writes_nothing(tmp_path):
    run = mgx.Team(provider=AsyncModel(delay=0.2), stack="fastapi", output_dir=tmp_path).start(TASK)
    await asyncio.sleep(0.05)
    run.cancel()
    report = await run
    assert report.status == "cancelled"
    assert not any(tmp_path.iterdir())
    with pytest.raises(mgx.CancelledError):
        report.raise_for_status()


async def test_a_call_past_call_timeout_ends_the_run_with_a_timeout(tmp_path):
    team = mgx.Team(provider=AsyncModel(delay=2.0), stack="fastapi", output_dir=tmp_path, call_timeout=0.1)
    report = await team.run(TASK)
    assert (report.status, report.error_code) == ("failed", "timeout")
    assert not any(tmp_path.iterdir())
    with pytest.raises(mgx.ConfigError):
        mgx.Team(call_timeout=0)
    with pytest.raises(ValueError):
        mgx.Team(call_timeout=-1)


async def test_cancelling_the_awaiting_task_cancels_the_run(tmp_path):
    seen = []
    team = mgx.Team(provider=AsyncModel(delay=0.2), stack="fastapi", output_dir=tmp_path, on_event=seen.append)
    task = asyncio.ensure_future(team.run(TASK))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(100):
        if seen and seen[-1]["event_type"] == "cancelled":
            break
        await asyncio.sleep(0.02)
    assert seen[-1]["event_type"] == "cancelled"
    assert not any(tmp_path.iterdir())


async def test_the_budget_stops_a_run_before_it_is_passed():
    report = await mgx.Team(provider=SyncModel(), stack="fastapi", budget_tokens=40, dry_run=True).run(TASK)
    assert report.status == "budget_exceeded"
    assert report.tokens_in is None or report.tokens_in + report.tokens_out <= 40
    with pytest.raises(mgx.BudgetExceededError):
        report.raise_for_status()


async def test_unreadable_and_invalid_output_fail_typed():
    garbage = dict(ANSWERS, analyze_task="I think it is medium-sized.")
    report = await mgx.Team(provider=SyncModel(garbage), stack="fastapi", dry_run=True).run(TASK)
    with pytest.raises(mgx.UnreadableOutputError) as caught:
        report.raise_for_status()
    assert caught.value.what == "analysis"
    invalid = dict(ANSWERS, write_code="FILE: ../escape.py\nprint(1)\n")
    report = await mgx.Team(provider=SyncModel(invalid), stack="fastapi", dry_run=True).run(TASK)
    with pytest.raises(mgx.ValidationError) as caught:
        report.raise_for_status()
    assert caught.value.attempts == 3


async def test_a_task_that_cannot_run_fails_typed(tmp_path):
    report = await mgx.Team(dry_run=True).run("   ")
    with pytest.raises(mgx.TaskError):
        report.raise_for_status()
    target = tmp_path / "a-file"
    target.write_text("not a directory")
    report = await mgx.Team(output_dir=target).run(TASK)
    with pytest.raises(mgx.ApplyError):
        report.raise_for_status()
    report = await mgx.Team().resume(tmp_path / "no-such-run")
    with pytest.raises(mgx.MgxIOError):
        report.raise_for_status()


async def test_a_journaled_run_resumes_without_paying_twice(tmp_path):
    model = SyncModel()
    team = mgx.Team(provider=model, stack="fastapi", run_dir=tmp_path / "runs", output_dir=tmp_path / "out")
    first = await team.run(TASK)
    assert first.ok and len(model.calls) == 5
    seen = []
    again = mgx.Team(provider=model, stack="fastapi", output_dir=tmp_path / "out", on_event=seen.append)
    report = await again.resume(first.run_dir)
    assert report.ok and len(model.calls) == 5  # every call answered from the journal
    assert seen and seen[-1]["event_type"] == "completion"


async def test_patch_mode_shows_the_change_set_and_applies_it(tmp_path):
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "app" / "main.py").write_text("from fastapi import FastAPI\n\napp = FastAPI()\n")
    (project / "requirements.txt").write_text("fastapi\n")
    run = mgx.Team(project=project, stack="fastapi", approval="manual").start("Add a /health endpoint with tests")
    await run.plan()
    run.approve()
    change = await run.change_set()
    assert change is not None and len(change["data"]["hash"]) == 64
    run.approve()
    report = await run
    assert report.ok, report.error
    assert (project / "app" / "main.py").read_text().startswith("from fastapi import FastAPI")


async def test_a_scripted_provider_that_runs_out_fails_typed():
    report = await mgx.Team(provider=mgx.Scripted([ANSWERS["analyze_task"]]), stack="fastapi", dry_run=True).run(TASK)
    with pytest.raises(mgx.ScriptedError):
        report.raise_for_status()


async def test_providers_answer_directly():
    answer = await mgx.Scripted(["4"]).complete([{"role": "user", "content": "2+2?"}], max_tokens=5)
    assert answer["content"] == "4" and answer["usage"] is None
    scripted = mgx.Scripted(["a", "b"], model="m")
    assert scripted.id == "scripted/m"
    await scripted.complete([{"role": "user", "content": "x"}])
    assert scripted.calls[0]["messages"][0]["content"] == "x"
    assert mgx.Offline().id == "offline/scaffold"
    with pytest.raises(ValueError):
        await mgx.Offline().complete([{"role": "nobody", "content": "x"}])
    with pytest.raises(mgx.ProviderError):
        await mgx.Offline().complete([{"role": "user", "content": "not an action"}])


async def test_a_cassette_records_a_python_provider_and_replays_it_without(tmp_path):
    path = tmp_path / "calls.jsonl"
    recorder = mgx.Cassette(path, mode="record", provider=SyncModel())
    recorded = await mgx.Team(provider=recorder, stack="fastapi", dry_run=True).run(TASK)
    assert recorded.ok
    lines = [json.loads(l) for l in path.read_text().splitlines()]
    assert len(lines) == 5 and {l["model"] for l in lines} == {"sync-model"}
    player = mgx.Cassette(path, mode="replay_strict", model="sync-model")
    replayed = await mgx.Team(provider=player, stack="fastapi", dry_run=True).run(TASK)
    assert replayed.ok and replayed.files == recorded.files
    with pytest.raises(mgx.CassetteMissError) as caught:
        await player.complete([{"role": "user", "content": "never recorded"}])
    assert caught.value.path == str(path)
    with pytest.raises(ValueError):
        mgx.Cassette(path, mode="replay_strict")
    with pytest.raises(mgx.ConfigError):
        mgx.Cassette(path, mode="sideways", provider=SyncModel())
    path.write_text("not a cassette line\n")
    with pytest.raises(mgx.CassetteError):
        mgx.Cassette(path, mode="replay_strict", model="sync-model")


async def test_a_cassette_around_an_async_python_provider_answers_a_direct_call(tmp_path):
    recorder = mgx.Cassette(tmp_path / "calls.jsonl", mode="record", provider=AsyncModel())
    answer = await recorder.complete([{"role": "system", "content": "mgx-action:draft_plan"}, {"role": "user", "content": "plan"}])
    assert answer["content"] == ANSWERS["draft_plan"]


async def test_a_memory_cache_answers_repeats():
    cache = mgx.MemoryCache(capacity=100, ttl=60)
    team = mgx.Team(provider=SyncModel(), stack="fastapi", cache=cache, dry_run=True)
    first = await team.run(TASK)
    second = await team.run(TASK)
    assert first.cache_hits == 0 and second.cache_hits == 5
    assert cache.stats()["hits"] == 5
    await cache.clear()


async def test_a_redis_cache_that_is_down_is_a_warning_not_a_failure():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    seen = []
    cache = mgx.RedisCache(f"redis://127.0.0.1:{port}/", prefix="mgx-test")
    report = await mgx.Team(cache=cache, dry_run=True, on_event=seen.append).run(TASK)
    assert report.ok
    assert any(e["event_type"] == "warning" and e["data"].get("component") == "cache" for e in seen)
    assert cache.stats()["errors"] > 0
    with pytest.raises(mgx.CacheError):
        mgx.RedisCache("not a url")


def service(name):
    """A real service's URL from the environment; CI must provide it, elsewhere the test skips."""
    import os

    url = os.environ.get(name)
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail(f"CI must provide {name}")
    pytest.skip(f"{name} is not set")


def tool(name):
    """A real tool on PATH; CI must provide it, elsewhere the test skips."""
    import os
    import shutil

    if shutil.which(name):
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must put {name} on PATH")
    pytest.skip(f"{name} is not installed")


async def test_a_real_redis_cache_shares_answers_between_teams():
    import uuid

    url = service("REDIS_URL")
    prefix = f"mgx-py-{uuid.uuid4().hex}"
    first = await mgx.Team(provider=SyncModel(), stack="fastapi", cache=mgx.RedisCache(url, prefix=prefix), dry_run=True).run(TASK)
    other = mgx.RedisCache(url, prefix=prefix)
    second = await mgx.Team(provider=SyncModel(), stack="fastapi", cache=other, dry_run=True).run(TASK)
    assert first.cache_hits == 0 and second.cache_hits == 5
    await other.clear()


async def test_a_real_openai_compatible_server_answers():
    url = service("MGX_LITELLM_URL")
    provider = mgx.OpenAICompatible(base_url=url, api_key="sk-mgx-test-master-key", model="mgx-mock")
    assert provider.id == "openai-compatible/mgx-mock"
    answer = await provider.complete([{"role": "user", "content": "Say hello"}], max_tokens=20)
    assert answer["content"] == "Hello from the mgx test model."
    assert answer["usage"]["completion_tokens"] > 0 and answer["attempts"] == 1
    # The same answer in pieces, as the server sends them.
    pieces = [piece async for piece in provider.stream([{"role": "user", "content": "Say hello"}], max_tokens=20)]
    assert "".join(p["content"] for p in pieces) == "Hello from the mgx test model."
    assert [p["finish_reason"] for p in pieces if p["finish_reason"]] == ["stop"]
    assert pieces[-1]["usage"]["completion_tokens"] > 0  # the server's usage, after the text
    wrong_key = mgx.OpenAICompatible(base_url=url, api_key="sk-wrong", model="mgx-mock", max_attempts=1)
    with pytest.raises(mgx.ProviderStatusError) as caught:
        await wrong_key.complete([{"role": "user", "content": "Say hello"}])
    assert caught.value.status in (400, 401, 403) and caught.value.retryable is False
    # A stream's error is raised by the iteration, which then ends.
    failing = wrong_key.stream([{"role": "user", "content": "Say hello"}])
    with pytest.raises(mgx.ProviderStatusError):
        await failing.__anext__()
    with pytest.raises(StopAsyncIteration):
        await failing.__anext__()


async def test_a_provider_that_does_not_stream_gives_its_answer_as_one_piece():
    provider = mgx.Scripted(["Hello!"])
    stream = provider.stream([{"role": "user", "content": "hi"}])
    assert provider.calls == []  # nothing asked before the first piece is
    pieces = [piece async for piece in stream]
    assert pieces == [{"content": "Hello!", "finish_reason": "stop", "usage": None}]
    assert len(provider.calls) == 1
    with pytest.raises(mgx.ScriptedError):
        [piece async for piece in provider.stream([{"role": "user", "content": "again"}])]
    with pytest.raises(ValueError):
        provider.stream("not a list of messages")


async def test_leaving_a_stream_early_stops_the_call():
    """A local server sends one piece, then holds the answer open until the client goes."""
    import http.server

    gone = []

    class OnePiece(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("content-length", 0)))
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            chunk = {"choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
            try:
                for _ in range(200):
                    time.sleep(0.05)
                    self.wfile.write(b": still here\n\n")
                    self.wfile.flush()
            except OSError:
                gone.append(self.path)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OnePiece)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ask = [{"role": "user", "content": "hi"}]
    try:
        for how in ("break", "aclose"):
            provider = mgx.OpenAICompatible(base_url=f"http://127.0.0.1:{server.server_address[1]}/{how}", model="m", max_attempts=1)
            if how == "break":
                async for piece in provider.stream(ask):
                    assert piece["content"] == "Hel"
                    break
            else:
                stream = provider.stream(ask)
                assert (await stream.__anext__())["content"] == "Hel"
                await stream.aclose()
                with pytest.raises(StopAsyncIteration):
                    await stream.__anext__()
            for _ in range(100):
                if any(how in path for path in gone):
                    break
                await asyncio.sleep(0.05)
            assert any(how in path for path in gone), how
    finally:
        server.shutdown()


async def test_provider_faults_map_to_their_exceptions():
    """A local HTTP server injects the faults: 500, 429, garbage, silence; a closed port."""
    import http.server
    import socket

    class Faults(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("content-length", 0)))
            fault = self.path.split("/")[1]
            if fault == "slow":
                time.sleep(1.0)
            status = {"status": 500, "ratelimit": 429}.get(fault, 200)
            body = b"<html>not json</html>" if fault == "garbage" else b'{"error": {"message": "nope"}}'
            self.send_response(status)
            if fault == "ratelimit":
                self.send_header("retry-after", "0")
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Faults)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    ask = [{"role": "user", "content": "hi"}]
    try:
        cases = [
            ("status", mgx.ProviderStatusError, {}),
            ("ratelimit", mgx.RateLimitError, {}),
            ("garbage", mgx.MalformedResponseError, {}),
            ("slow", mgx.ProviderTimeoutError, {"timeout": 0.2}),
        ]
        for fault, error, extra in cases:
            provider = mgx.OpenAICompatible(base_url=f"{base}/{fault}", model="m", max_attempts=1, **extra)
            with pytest.raises(error) as caught:
                await provider.complete(ask)
            assert isinstance(caught.value, mgx.ProviderError) and getattr(caught.value, "attempts", 1) == 1
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            closed = s.getsockname()[1]
        provider = mgx.OpenAICompatible(base_url=f"http://127.0.0.1:{closed}", model="m", max_attempts=1)
        with pytest.raises(mgx.ProviderConnectionError):
            await provider.complete(ask)
    finally:
        server.shutdown()
    with pytest.raises(mgx.ConfigError):
        mgx.OpenAICompatible(base_url="ftp://example.invalid", model="m")


async def test_the_stacks_formatter_formats_what_the_run_wrote(tmp_path):
    tool("ruff")
    ugly = dict(ANSWERS, write_code="FILE: app/main.py\nfrom fastapi import FastAPI\napp=FastAPI()\nFILE: requirements.txt\nfastapi\npytest\n")
    team = mgx.Team(provider=SyncModel(ugly), stack="fastapi", output_dir=tmp_path, format=True, pre_commit_config=True)
    report = await team.run(TASK)
    report.raise_for_status()
    ran = report.formatting["ran"][0]
    assert ran["tool"] == "ruff format" and ran["ok"] and ran["changed"] == ["app/main.py"]
    assert "app = FastAPI()" in (tmp_path / "app" / "main.py").read_text()
    assert "ruff format" in (tmp_path / ".pre-commit-config.yaml").read_text()
    assert (await mgx.Team(dry_run=True).run(TASK)).formatting is None
    with pytest.raises(ValueError):
        mgx.Team(format=True, format_timeout=-1)


async def test_git_commits_the_result_on_a_branch_of_its_own(tmp_path):
    import subprocess

    report = await mgx.Team(output_dir=tmp_path, git={"branch_prefix": "ai"}).run(TASK)
    report.raise_for_status()
    assert report.git["branch"] == "ai/create-a-fastapi-health-endpoint-with-tests/run-1"
    assert report.git["error"] is None and len(report.git["commit"]) == 40
    head = subprocess.run(["git", "-C", str(tmp_path), "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    assert head.stdout.strip() == report.git["commit"]
    assert (await mgx.Team(dry_run=True, git=False).run(TASK)).git is None
    with pytest.raises(ValueError):
        mgx.Team(git={"colour": "blue"})
    with pytest.raises(mgx.ConfigError):
        mgx.Team(git={"pull_request": True})


async def test_runs_on_a_run_pool_complete_with_python_providers_and_callbacks():
    pool = mgx.RunPool(2)
    assert pool.threads == 2 and pool.in_flight == 0
    counts = {}

    def on_event(event):
        counts.setdefault(event["run_id"], []).append(event["event_type"])

    sync_model, async_model = SyncModel(), AsyncModel(delay=0.002)
    offline = mgx.Team(stack="fastapi", dry_run=True)
    reports = await asyncio.gather(*(offline.run(TASK, pool=pool) for _ in range(200)))
    assert all(r.ok for r in reports)
    for model in (sync_model, async_model):
        team = mgx.Team(provider=model, stack="fastapi", dry_run=True, on_event=on_event)
        reports = await asyncio.gather(*(team.run(TASK, pool=pool) for _ in range(10)))
        assert all(r.ok for r in reports), [r.error for r in reports]
    # The async provider ran on the caller's loop, as without a pool; every run called back.
    assert async_model.loops == {id(asyncio.get_running_loop())}
    assert len(counts) == 20 and all(kinds[-1] == "completion" for kinds in counts.values())
    assert pool.in_flight == 0
    assert repr(pool) == "RunPool(threads=2, in_flight=0)"


async def test_a_pooled_run_is_approved_and_cancelled_through_its_handle(tmp_path):
    pool = mgx.RunPool()
    assert pool.threads >= 1
    team = mgx.Team(provider=AsyncModel(delay=0.05), stack="fastapi", output_dir=tmp_path, approval="manual")
    run = team.start(TASK, pool=pool)
    assert (await run.plan())["data"]["steps"]
    run.approve()
    assert (await run).ok
    assert (tmp_path / "app" / "main.py").is_file()
    other = team.start(TASK, output_dir=tmp_path / "other", pool=pool)
    await other.plan()
    other.cancel()
    assert (await other).status == "cancelled"
    assert not (tmp_path / "other").exists()


def test_run_sync_takes_a_pool_and_a_pool_of_no_threads_is_refused():
    pool = mgx.RunPool(1)
    assert mgx.Team(stack="fastapi", dry_run=True).run_sync(TASK, pool=pool).ok
    with pytest.raises(mgx.ConfigError, match="at least one thread"):
        mgx.RunPool(0)
    with pytest.raises(TypeError):
        mgx.Team(dry_run=True).run_sync(TASK, pool="two threads")


async def test_runs_end_as_cancelled_when_their_pool_is_collected():
    class SlowSync(SyncModel):
        def complete(self, messages, **params):
            time.sleep(0.02)
            return super().complete(messages, **params)

    import gc

    for model in (AsyncModel(delay=0.05), SlowSync()):
        pool = mgx.RunPool(2)
        team = mgx.Team(provider=model, stack="fastapi", dry_run=True)
        runs = [asyncio.ensure_future(team.run(TASK, pool=pool)) for _ in range(20)]
        await asyncio.sleep(0.03)
        del pool
        gc.collect()
        reports = await asyncio.wait_for(asyncio.gather(*runs), 10)
        assert {r.status for r in reports} == {"cancelled"}
