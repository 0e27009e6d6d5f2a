r"""mgx: a runtime for AI software-engineering teams.

The Python package wraps the Rust core (the ``mgx._mgx`` extension): the same stacks, inference,
task contract, guardrails, patching and team runtime as the Rust crates and the Node module.

>>> import mgx
>>> mgx.infer_stack("Build an Express API with JWT auth, not FastAPI").stack
'express-ts'
>>> mgx.get_stack("fastapi").test["framework"]
'pytest'
>>> mgx.validate_output("FILE: ../x.py\nprint(1)\n").errors[0]["code"]
'invalid_path'

A team run (offline here: the default provider is a scaffold generator, not a model):

>>> report = mgx.Team(stack="fastapi", dry_run=True).run_sync("Create a FastAPI /health endpoint")
>>> report.status, report.providers
('completed', ['offline/scaffold'])

``Team`` takes every setting as a keyword: ``provider`` (``Offline``, ``OpenAICompatible``,
``Scripted``, ``Cassette``, or any object with ``complete(messages, **params)``, sync or async),
``cache`` (``MemoryCache``, ``RedisCache``), ``on_event``, ``approval`` (``"auto"``,
``"manual"`` or a callable, sync or async, answering within ``approval_timeout``),
``human_reviewer`` (sync or async), budgets, ``project`` for patch mode … Every error is a
subclass of ``MgxError`` with a stable ``.code``.

The team is four roles (``default_roles()``); ``roles=`` makes it another: keep, drop or
reorder the built-in ones and add your own. A role is any object with a ``name``, the message
kinds it ``watches`` and ``react(message, ctx)`` (sync or ``async def``), answering with the
messages it publishes (dicts: ``kind``, ``content``, ``data``); ``await ctx.ask(prompt)`` is a
model call made by the run, under its budget, cache and cancellation::

    class LicenceChecker:
        name, watches = "licence_checker", ["code"]

        async def react(self, message, ctx):
            verdict = await ctx.ask("Which of these files lack a licence header?\n" + message["content"])
            return {"kind": "licence_report", "content": verdict}

    team = mgx.Team(roles=[*mgx.default_roles(), LicenceChecker()])

Hundreds or thousands of runs at once go faster on a ``RunPool`` (one thread per core by
default, each run kept on one thread): ``await team.run(task, pool=pool)``; ``run_sync`` and
``start`` take ``pool=`` too.

Where Python code runs: an ``async def complete``, a role's ``react``, ``on_event``,
``approval`` and ``human_reviewer`` run on the event loop the run was started from, in the context
(``contextvars``) it was started in — ``on_event`` is called once per event, in order, and a
coroutine it returns is awaited before the next event.
A sync ``complete`` runs on a worker thread (it may block). Cancelling the task that awaits a
run cancels the run, and the provider coroutine it was waiting on.
"""

from mgx._mgx import (
    ApplyError,
    ApprovalTimeoutError,
    BinaryPatchError,
    BudgetExceededError,
    BuiltinRole,
    CONFIDENT,
    Cache,
    CacheError,
    CancelledError,
    Cassette,
    CassetteError,
    CassetteMissError,
    ConfigError,
    DeltaStream,
    DuplicateStackError,
    EmptyTaskError,
    EventStream,
    IncompleteStreamError,
    Inference,
    InvalidJsonError,
    InvalidStackSpecError,
    InvalidUtf8Error,
    InvalidValueError,
    JournalError,
    MalformedPatchError,
    MalformedResponseError,
    Manifest,
    MemoryCache,
    MgxError,
    MgxIOError,
    MissingFieldError,
    MissingProjectPathError,
    NoSuchBackupError,
    Offline,
    OpenAICompatible,
    PatchError,
    PatchResult,
    Provider,
    ProviderConnectionError,
    ProviderError,
    ProviderStatusError,
    ProviderTimeoutError,
    RateLimitError,
    RedisCache,
    RejectedError,
    ResolvedStack,
    RoleContext,
    RoleError,
    Run,
    RunPool,
    RunReport,
    Scripted,
    ScriptedError,
    StackError,
    StackParseError,
    StackRegistry,
    StackSpec,
    SymlinkEscapeError,
    TaskError,
    TaskSpec,
    Team,
    UnknownFieldError,
    UnknownStackError,
    UnreadableOutputError,
    UnsafePathError,
    ValidationError,
    ValidationResult,
    WrongTypeError,
    __version__,
    apply_patch,
    build_revision_prompt,
    default_roles,
    get_stack,
    infer_stack,
    list_backups,
    make_diff,
    parse_manifest,
    prune_backups,
    recover,
    restore_backup,
    stack_ids,
    stacks,
    validate_output,
)

__all__ = [
    "ApplyError",
    "ApprovalTimeoutError",
    "BinaryPatchError",
    "BudgetExceededError",
    "BuiltinRole",
    "CONFIDENT",
    "Cache",
    "CacheError",
    "CancelledError",
    "Cassette",
    "CassetteError",
    "CassetteMissError",
    "ConfigError",
    "DeltaStream",
    "DuplicateStackError",
    "EmptyTaskError",
    "EventStream",
    "IncompleteStreamError",
    "Inference",
    "InvalidJsonError",
    "InvalidStackSpecError",
    "InvalidUtf8Error",
    "InvalidValueError",
    "JournalError",
    "MalformedPatchError",
    "MalformedResponseError",
    "Manifest",
    "MemoryCache",
    "MgxError",
    "MgxIOError",
    "MissingFieldError",
    "MissingProjectPathError",
    "NoSuchBackupError",
    "Offline",
    "OpenAICompatible",
    "PatchError",
    "PatchResult",
    "Provider",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderStatusError",
    "ProviderTimeoutError",
    "RateLimitError",
    "RedisCache",
    "RejectedError",
    "ResolvedStack",
    "RoleContext",
    "RoleError",
    "Run",
    "RunPool",
    "RunReport",
    "Scripted",
    "ScriptedError",
    "StackError",
    "StackParseError",
    "StackRegistry",
    "StackSpec",
    "SymlinkEscapeError",
    "TaskError",
    "TaskSpec",
    "Team",
    "UnknownFieldError",
    "UnknownStackError",
    "UnreadableOutputError",
    "UnsafePathError",
    "ValidationError",
    "ValidationResult",
    "WrongTypeError",
    "__version__",
    "apply_patch",
    "build_revision_prompt",
    "default_roles",
    "get_stack",
    "infer_stack",
    "list_backups",
    "make_diff",
    "parse_manifest",
    "prune_backups",
    "recover",
    "restore_backup",
    "stack_ids",
    "stacks",
    "validate_output",
]
