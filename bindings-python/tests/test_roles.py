"""Roles written in Python: added to the default team, replacing or dropping built-in roles,
asking the model through the run, and failing typed."""

import asyncio

import pytest

import mgx

from test_team import ANSWERS, GOOD_CODE, TASK, AsyncModel, SyncModel


class SecurityReviewer:
    """Reads the engineer's code, asks the model about secrets, publishes a report."""

    name = "security_reviewer"
    watches = ["code"]

    def __init__(self):
        self.seen = []

    async def react(self, message, ctx):
        self.seen.append(
            {
                "task": ctx.task,
                "stack": ctx.stack,
                "role": ctx.role,
                "kinds": [m["kind"] for m in ctx.history],
                "plan": ctx.latest("plan")["data"]["steps"],
                "nothing": ctx.latest("no such kind"),
            }
        )
        answer = await ctx.ask("Look for secrets in:\n" + message["content"], action="security_review")
        return {"kind": "security_report", "content": answer, "data": {"files": len(message["data"]["files"])}}


class Collector:
    """A sync role that keeps what it is shown and publishes nothing."""

    def __init__(self, name, watches):
        self.name, self.watches, self.messages = name, watches, []

    def react(self, message, ctx):
        self.messages.append(message)


MODEL_ANSWERS = dict(ANSWERS, security_review="no secrets found")


async def cancelled_promptly(team):
    """Start a run of `team`, cancel it once its role is busy: it ends cancelled within 2 s."""
    run = team.start(TASK)
    await asyncio.sleep(0.1)
    started = asyncio.get_running_loop().time()
    run.cancel()
    report = await run
    assert report.status == "cancelled"
    assert asyncio.get_running_loop().time() - started < 2.0


async def test_a_python_role_asks_the_model_and_the_next_role_reads_its_message():
    reviewer, collector = SecurityReviewer(), Collector("auditor", ["security_report"])
    events = []
    team = mgx.Team(
        provider=AsyncModel(MODEL_ANSWERS),
        stack="fastapi",
        dry_run=True,
        roles=[*mgx.default_roles(), reviewer, collector],
        on_event=events.append,
    )
    report = await team.run(TASK)
    report.raise_for_status()
    assert report.llm_calls == 6
    [seen] = reviewer.seen
    assert seen == {
        "task": TASK,
        "stack": "fastapi",
        "role": "security_reviewer",
        "kinds": ["task", "analysis", "plan", "approved_plan", "code"],
        "plan": ["code", "tests", "review"],
        "nothing": None,
    }
    [published] = collector.messages
    assert published == {
        "kind": "security_report",
        "from": "security_reviewer",
        "content": "no secrets found",
        "data": {"files": 2},
    }
    # The role's call is a call of the run: an event with its role and action.
    calls = [e["data"] for e in events if e["event_type"] == "llm_call"]
    assert any(c["role"] == "security_reviewer" and c["action"] == "security_review" for c in calls)


async def test_a_python_role_gets_its_own_provider_and_can_ask_twice_at_once():
    class TwoQuestions:
        name, watches = "critic", ["tests"]

        async def react(self, message, ctx):
            first, second = await asyncio.gather(ctx.ask("one?"), ctx.ask("two?", system="Be brief."))
            return [{"kind": "critique", "content": first}, {"kind": "critique", "content": second}]

    critic_model = mgx.Scripted(["first answer", "second answer"], model="critic-model")
    collector = Collector("reader", ["critique"])
    team = mgx.Team(
        provider=AsyncModel(),
        role_providers={"critic": critic_model},
        stack="fastapi",
        dry_run=True,
        roles=[*mgx.default_roles(), TwoQuestions(), collector],
    )
    report = await team.run(TASK)
    report.raise_for_status()
    assert sorted(m["content"] for m in collector.messages) == ["first answer", "second answer"]
    assert "scripted/critic-model" in report.providers
    systems = sorted(c["messages"][0]["content"] for c in critic_model.calls)
    # The action tags the system prompt's first line; `system=` is the rest of it.
    assert any(s.endswith("Be brief.") for s in systems)
    assert all(s.startswith("mgx-action: critic") for s in systems)


async def test_built_in_roles_can_be_dropped_and_replaced():
    names = [r.name for r in mgx.default_roles()]
    assert names == ["team_leader", "engineer", "tester", "reviewer"]
    assert mgx.default_roles()[2].watches == ["code"]
    assert repr(mgx.default_roles()[0]) == "BuiltinRole(name='team_leader', watches=['task'])"

    without_review = mgx.Team(
        provider=SyncModel(),
        stack="fastapi",
        dry_run=True,
        roles=[r for r in mgx.default_roles() if r.name != "reviewer"],
    )
    report = await without_review.run(TASK)
    report.raise_for_status()
    assert report.review is None and report.llm_calls == 4

    class RuleBasedReviewer:
        name, watches = "reviewer", ["tests"]

        def react(self, message, ctx):
            code = ctx.latest("code")["content"]
            findings = [] if "README" in code else ["add a README"]
            return {"kind": "review", "content": "checked", "data": {"verdict": "approved", "findings": findings}}

    replaced = mgx.Team(
        provider=SyncModel(),
        stack="fastapi",
        dry_run=True,
        roles=[*[r for r in mgx.default_roles() if r.name != "reviewer"], RuleBasedReviewer()],
    )
    report = await replaced.run(TASK)
    report.raise_for_status()
    assert report.review == {"verdict": "approved", "findings": ["add a README"]}
    assert report.llm_calls == 4


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_a_role_that_raises_fails_the_run_with_a_role_error(asynchronous):
    class Broken:
        name, watches = "broken", ["code"]

        def react(self, message, ctx):
            raise ValueError("no licence header anywhere")

    class AsyncBroken(Broken):
        async def react(self, message, ctx):
            await asyncio.sleep(0)
            raise ValueError("no licence header anywhere")

    role = AsyncBroken() if asynchronous else Broken()
    report = await mgx.Team(provider=SyncModel(), stack="fastapi", dry_run=True, roles=[*mgx.default_roles(), role]).run(
        TASK
    )
    assert (report.status, report.error_code) == ("failed", "role")
    assert "broken" in report.error and "ValueError: no licence header anywhere" in report.error
    with pytest.raises(mgx.RoleError) as raised:
        report.raise_for_status()
    assert raised.value.role == "broken" and raised.value.code == "role"
    assert isinstance(raised.value.__cause__, ValueError)
    assert raised.value.__cause__.__traceback__ is not None


@pytest.mark.parametrize(
    "answer, says",
    [
        (42, "not int"),
        ([{"kind": "x"}, "text"], "holding a str"),
        ({"content": "no kind"}, "needs a 'kind'"),
        ({"kind": ""}, "must not be empty"),
        ({"kind": "x", "content": 3}, "'content' is a str"),
        ({"kind": "x", "data": {1, 2}}, "set"),
    ],
)
async def test_a_role_answering_something_other_than_messages_fails_typed(answer, says):
    class Odd:
        name, watches = "odd", ["code"]

        def react(self, message, ctx):
            return answer

    report = await mgx.Team(provider=SyncModel(), stack="fastapi", dry_run=True, roles=[*mgx.default_roles(), Odd()]).run(
        TASK
    )
    assert report.error_code == "role", report.error
    assert says in report.error


async def test_an_error_of_the_run_a_role_lets_through_ends_the_run_as_that_error():
    class Asker:
        name, watches = "asker", ["task"]

        async def react(self, message, ctx):
            await ctx.ask("What is the plan?")

    # The role is the whole team; its first call would pass the budget.
    report = await mgx.Team(provider=SyncModel(), stack="fastapi", budget_tokens=1, roles=[Asker()]).run(TASK)
    assert report.status == "budget_exceeded", report.error
    with pytest.raises(mgx.BudgetExceededError):
        report.raise_for_status()

    class Careful(Asker):
        async def react(self, message, ctx):
            try:
                await ctx.ask("What is the plan?")
            except mgx.BudgetExceededError as e:
                return {"kind": "note", "content": f"skipped: {e.code}"}

    seen = Collector("reader", ["note"])
    report = await mgx.Team(provider=SyncModel(), stack="fastapi", budget_tokens=1, roles=[Careful(), seen]).run(TASK)
    # Handled: the run goes on (and, with no engineer in the team, ends with nothing to write).
    assert [m["content"] for m in seen.messages] == ["skipped: budget_exceeded"]
    assert report.error_code == "task" and "no code" in report.error


async def test_cancelling_a_run_while_a_role_waits_on_its_model():
    slow = AsyncModel(dict(ANSWERS, asker="late"), delay=5.0)

    class Asker:
        name, watches = "asker", ["task"]

        async def react(self, message, ctx):
            return {"kind": "note", "content": await ctx.ask("?")}

    await cancelled_promptly(mgx.Team(provider=slow, stack="fastapi", dry_run=True, roles=[Asker()]))


async def test_a_context_used_after_its_reaction_raises():
    kept = []

    class Keeper:
        name, watches = "keeper", ["code"]

        def react(self, message, ctx):
            kept.append(ctx)

    report = await mgx.Team(provider=SyncModel(), stack="fastapi", dry_run=True, roles=[*mgx.default_roles(), Keeper()]).run(
        TASK
    )
    report.raise_for_status()
    [ctx] = kept
    assert repr(ctx) == "RoleContext(role='keeper', stack='fastapi', messages=5)"
    with pytest.raises(mgx.MgxError, match="reaction this context was given to has ended"):
        ctx.ask("too late")


def test_a_sync_run_drives_async_roles():
    reviewer = SecurityReviewer()
    report = mgx.Team(
        provider=SyncModel(MODEL_ANSWERS), stack="fastapi", dry_run=True, roles=[*mgx.default_roles(), reviewer]
    ).run_sync(TASK)
    report.raise_for_status()
    assert len(reviewer.seen) == 1 and report.llm_calls == 6


def test_bad_roles_are_typed_errors():
    class NoReact:
        name, watches = "x", ["code"]

    class Named:
        def __init__(self, name, watches=("code",)):
            self.name, self.watches = name, watches

        def react(self, message, ctx):
            return None

    with pytest.raises(TypeError, match="list of roles"):
        mgx.Team(roles="reviewer")
    with pytest.raises(TypeError, match="list of roles"):
        mgx.Team(roles=3)
    with pytest.raises(TypeError, match="react is missing"):
        mgx.Team(roles=[NoReact()])
    with pytest.raises(TypeError, match="is a class: pass an instance"):
        mgx.Team(roles=[SecurityReviewer])
    with pytest.raises(TypeError, match="name must be a str"):
        mgx.Team(roles=[object()])
    with pytest.raises(TypeError, match="not a str"):
        mgx.Team(roles=[Named("x", watches="code")])
    with pytest.raises(ValueError, match="must not be empty"):
        mgx.Team(roles=[Named(" ")])
    with pytest.raises(mgx.ConfigError, match="two roles"):
        mgx.Team(roles=[*mgx.default_roles(), Named("reviewer")])
    with pytest.raises(mgx.ConfigError):
        mgx.Team(roles=[])



async def test_a_python_engineer_in_the_built_in_ones_place_gets_its_files_written(tmp_path):
    class TemplateEngineer:
        """Writes code from a template, no model: the run writes what it publishes."""

        name, watches = "engineer", ["approved_plan", "revision_request"]

        def react(self, message, ctx):
            manifest = mgx.parse_manifest(GOOD_CODE)
            return {"kind": "code", "content": GOOD_CODE, "data": {"files": manifest.files}}

    roles = [TemplateEngineer() if r.name == "engineer" else r for r in mgx.default_roles()]
    report = await mgx.Team(provider=SyncModel(), stack="fastapi", output_dir=tmp_path, roles=roles).run(TASK)
    report.raise_for_status()
    assert report.llm_calls == 4
    assert (tmp_path / "app" / "main.py").read_text() == mgx.parse_manifest(GOOD_CODE).files[0]["content"]
    assert "tests/test_health.py" in report.tests
    # Validated against the stack as the built-in engineer's code is.
    assert [v["valid"] for v in report.validations] == [True]

    class ModelLikeEngineer(TemplateEngineer):
        """Answers as a model would: a FILE manifest as the text, no data."""

        def react(self, message, ctx):
            return {"kind": "code", "content": GOOD_CODE}

    roles = [ModelLikeEngineer() if r.name == "engineer" else r for r in mgx.default_roles()]
    out = tmp_path / "model-like"
    report = await mgx.Team(provider=SyncModel(), stack="fastapi", output_dir=out, roles=roles).run(TASK)
    report.raise_for_status()
    assert (out / "app" / "main.py").is_file() and [v["valid"] for v in report.validations] == [True]

    class CarelessEngineer(TemplateEngineer):
        def react(self, message, ctx):
            return {"kind": "code", "data": {"files": [{"path": "../outside.py", "content": "print(1)\n"}]}}

    roles = [CarelessEngineer() if r.name == "engineer" else r for r in mgx.default_roles()]
    out = tmp_path / "careless"
    report = await mgx.Team(provider=SyncModel(), stack="fastapi", output_dir=out, roles=roles).run(TASK)
    assert (report.status, report.error_code) == ("failed", "validation")
    assert report.llm_calls == 2  # no tests, no review: it failed where the code was published
    # It watches revision_request: its code went back twice (the team's validation retries).
    assert [v["valid"] for v in report.validations] == [False, False, False]
    assert not out.exists() and not (tmp_path / "outside.py").exists()
    with pytest.raises(mgx.ValidationError):
        report.raise_for_status()

    class MendingEngineer(TemplateEngineer):
        """Mends its code from the errors a revision request brings."""

        def __init__(self):
            self.requests = []

        def react(self, message, ctx):
            if message["kind"] == "revision_request":
                self.requests.append(message["data"])
                return super().react(message, ctx)
            return CarelessEngineer.react(self, message, ctx)

    mending = MendingEngineer()
    roles = [mending if r.name == "engineer" else r for r in mgx.default_roles()]
    out = tmp_path / "mending"
    report = await mgx.Team(provider=SyncModel(), stack="fastapi", output_dir=out, roles=roles).run(TASK)
    report.raise_for_status()
    assert [v["valid"] for v in report.validations] == [False, True]
    assert len(mending.requests) == 1 and mending.requests[0]["attempt"] == 1
    assert any("outside.py" in e for e in mending.requests[0]["validation_errors"])
    assert (out / "app" / "main.py").is_file() and not (tmp_path / "outside.py").exists()


async def test_cancelling_a_run_cancels_a_role_busy_with_its_own_work():
    events = []

    class Slow:
        name, watches = "slow", ["task"]

        async def react(self, message, ctx):
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                events.append("cancelled")
                raise

    await cancelled_promptly(mgx.Team(provider=SyncModel(), stack="fastapi", dry_run=True, roles=[Slow()]))
    for _ in range(50):
        if events:
            break
        await asyncio.sleep(0.02)
    assert events == ["cancelled"]


async def test_custom_tests_that_break_the_code_end_the_run_unwritten(tmp_path):
    class Tester:
        name, watches = "tester", ["code"]

        def __init__(self, files):
            self.files = files

        def react(self, message, ctx):
            return {"kind": "tests", "from": "tester", "content": "", "data": {"files": self.files}}

    test_file = {"path": "tests/test_health.py", "content": "def test_health():\n    assert True\n"}
    breaking = [test_file, {"path": "app/main.py", "content": "from django.http import HttpResponse\n"}]
    roles = [Tester(breaking) if r.name == "tester" else r for r in mgx.default_roles()]
    out = tmp_path / "breaking"
    report = await mgx.Team(provider=SyncModel(), stack="fastapi", output_dir=out, roles=roles).run(TASK)
    assert [v["valid"] for v in report.validations] == [True, False]
    assert "django" in report.validations[1]["errors"][0]
    with pytest.raises(mgx.ValidationError, match="the tests change app/main.py"):
        report.raise_for_status()
    assert not out.exists()

    roles = [Tester([test_file]) if r.name == "tester" else r for r in mgx.default_roles()]
    report = await mgx.Team(provider=SyncModel(), stack="fastapi", output_dir=tmp_path / "ok", roles=roles).run(TASK)
    report.raise_for_status()
    assert len(report.validations) == 1
    assert (tmp_path / "ok" / "tests" / "test_health.py").is_file()
