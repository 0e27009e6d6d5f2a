"""Type stubs of the native module ``mgx._mgx`` (re-exported by ``mgx``)."""

from os import PathLike
from typing import (
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Dict,
    Generator,
    List,
    Literal,
    Mapping,
    Optional,
    Protocol,
    Sequence,
    TypedDict,
    Union,
)

__version__: str
CONFIDENT: float

Category = Literal["backend", "frontend", "fullstack", "mobile", "devops"]
OutputMode = Literal["generate_new", "patch_existing"]
ProjectType = Literal["api", "webapp", "fullstack", "devops"]

class TestFramework(TypedDict):
    framework: str
    command: str
    file_pattern: str
    template: str

class Tool(TypedDict):
    name: str
    command: str

class LayoutEntry(TypedDict):
    path: str
    description: str

class RunCommands(TypedDict):
    dev: Optional[str]
    build: Optional[str]
    test: Optional[str]
    start: Optional[str]

class ValidationRules(TypedDict):
    required_files: List[str]
    required_dirs: List[str]
    recommended_files: List[str]
    forbidden_files: List[str]
    forbidden_imports: List[str]
    expected_commands: List[str]
    builtin_modules: List[str]

class PromptMaterial(TypedDict):
    conventions: List[str]
    review_checklist: List[str]

class InferenceHints(TypedDict):
    keywords: List[str]
    hints: List[str]
    languages: List[str]
    tags: List[str]
    combinations: List[List[str]]
    prior: float

class Evidence(TypedDict):
    phrase: str
    kind: Literal["keyword", "combination", "hint", "language", "tag", "prior"]
    weight: float

class Candidate(TypedDict):
    stack: str
    score: float
    evidence: List[Evidence]

class StackSpec:
    """One target stack (read-only)."""
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def category(self) -> Category: ...
    @property
    def language(self) -> str:
        """The language's short code (``py``, ``ts`` …)."""
    @property
    def language_name(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def package_manager(self) -> Optional[str]: ...
    @property
    def test(self) -> Optional[TestFramework]: ...
    @property
    def linter(self) -> Optional[Tool]: ...
    @property
    def formatter(self) -> Optional[Tool]: ...
    @property
    def layout(self) -> List[LayoutEntry]: ...
    @property
    def run(self) -> RunCommands: ...
    @property
    def dependencies(self) -> List[str]: ...
    @property
    def dev_dependencies(self) -> List[str]: ...
    @property
    def file_extensions(self) -> List[str]: ...
    @property
    def rules(self) -> ValidationRules: ...
    @property
    def prompt(self) -> PromptMaterial: ...
    @property
    def inference(self) -> InferenceHints: ...
    def prompt_brief(self) -> str: ...
    def is_builtin_module(self, module: str) -> bool: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def to_json(self) -> str: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Inference:
    """The result of stack inference."""
    @property
    def stack(self) -> Optional[str]: ...
    @property
    def confidence(self) -> float: ...
    @property
    def candidates(self) -> List[Candidate]: ...
    @property
    def unsupported(self) -> List[str]: ...
    @property
    def note(self) -> Optional[str]: ...
    @property
    def is_confident(self) -> bool: ...
    def to_dict(self) -> Dict[str, Any]: ...

class StackRegistry:
    """The built-in stacks (``builtins=True``) plus stacks registered from data."""
    def __init__(self, builtins: bool = True) -> None: ...
    def get(self, id: str) -> StackSpec: ...
    def ids(self) -> List[str]: ...
    def stacks(self) -> List[StackSpec]: ...
    def infer(self, text: str) -> Inference: ...
    def register_json(self, text: str) -> List[str]: ...
    def register_toml(self, text: str) -> List[str]: ...
    def register_file(self, path: Union[str, "PathLike[str]"]) -> List[str]: ...
    def register(self, spec: Dict[str, Any], replace: bool = False) -> List[str]: ...
    def __len__(self) -> int: ...
    def __contains__(self, id: str) -> bool: ...

class ResolvedStack:
    """How a task's stack was settled."""
    @property
    def stack(self) -> Optional[StackSpec]: ...
    @property
    def source(self) -> Literal["explicit", "inferred"]: ...
    @property
    def confidence(self) -> float: ...
    @property
    def inference(self) -> Optional[Inference]: ...

class TaskSpec:
    """A task in the JSON task contract."""
    @staticmethod
    def from_text(text: str) -> TaskSpec: ...
    @staticmethod
    def from_json(text: str, registry: Optional[StackRegistry] = None) -> TaskSpec: ...
    @staticmethod
    def parse(text: str, registry: Optional[StackRegistry] = None) -> TaskSpec: ...
    @property
    def task(self) -> str: ...
    @property
    def target_stack(self) -> Optional[str]: ...
    @property
    def project_type(self) -> Optional[ProjectType]: ...
    @property
    def output_mode(self) -> OutputMode: ...
    @property
    def strict_requirements(self) -> bool: ...
    @property
    def constraints(self) -> List[str]: ...
    @property
    def existing_project_path(self) -> Optional[str]: ...
    def resolve_stack(self, registry: Optional[StackRegistry] = None) -> ResolvedStack: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def to_json(self) -> str: ...
    def __eq__(self, other: object) -> bool: ...

class ManifestFileDict(TypedDict):
    path: str
    content: str
    line: int
    content_line: int
    fence: Optional[str]

class ProseSpanDict(TypedDict):
    line: int
    end_line: int
    text: str

class DuplicateDict(TypedDict):
    path: str
    lines: List[int]

class Finding(TypedDict):
    code: str
    severity: Literal["error", "warning", "note"]
    message: str
    path: Optional[str]
    line: Optional[int]

class Manifest:
    """A parsed FILE manifest."""
    @property
    def files(self) -> List[ManifestFileDict]: ...
    @property
    def prose(self) -> List[ProseSpanDict]: ...
    @property
    def duplicates(self) -> List[DuplicateDict]: ...
    def paths(self) -> List[str]: ...
    def render(self) -> str: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def __len__(self) -> int: ...

class ValidationResult:
    """The result of validation."""
    @property
    def is_valid(self) -> bool: ...
    @property
    def errors(self) -> List[Finding]: ...
    @property
    def warnings(self) -> List[Finding]: ...
    @property
    def notes(self) -> List[Finding]: ...
    def has(self, code: str) -> bool: ...
    def summary(self) -> str: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def __bool__(self) -> bool: ...

def parse_manifest(text: Union[str, bytes]) -> Manifest: ...
def validate_output(
    text: Union[str, bytes],
    stack: Union[str, StackSpec, None] = None,
    constraints: Sequence[str] = (),
    strict: bool = False,
    max_dependencies: int = 20,
    check_minified: bool = True,
) -> ValidationResult: ...
def build_revision_prompt(result: ValidationResult, task: str) -> str: ...

class PatchResult:
    """The result of applying a patch."""
    @property
    def status(self) -> Literal["applied", "already_applied", "partial", "refused", "dry_run", "dry_run_refused"]: ...
    @property
    def run(self) -> Optional[str]: ...
    @property
    def files(self) -> List[Dict[str, Any]]: ...
    @property
    def ok(self) -> bool: ...
    def to_dict(self) -> Dict[str, Any]: ...

def apply_patch(
    root: Union[str, "PathLike[str]"],
    diff: str,
    mode: Literal["all_or_nothing", "best_effort"] = "all_or_nothing",
    dry_run: bool = False,
    backup: bool = True,
    fsync: bool = True,
) -> PatchResult: ...
def recover(root: Union[str, "PathLike[str]"]) -> List[Dict[str, str]]: ...
def list_backups(root: Union[str, "PathLike[str]"]) -> List[Dict[str, Any]]: ...
def restore_backup(root: Union[str, "PathLike[str]"], run: str, path: Optional[str] = None) -> PatchResult: ...
def prune_backups(root: Union[str, "PathLike[str]"], keep: int = 5) -> List[str]: ...
def make_diff(old: str, new: str, path: str = "file") -> str: ...

def stacks() -> List[StackSpec]: ...
def stack_ids() -> List[str]: ...
def get_stack(id: str) -> StackSpec: ...
def infer_stack(text: str) -> Inference: ...

class MgxError(Exception):
    code: str

class StackError(MgxError): ...

class UnknownStackError(StackError):
    id: str
    closest: List[str]

class DuplicateStackError(StackError):
    id: str

class InvalidStackSpecError(StackError):
    id: str
    field: str
    reason: str

class StackParseError(StackError):
    format: str

class TaskError(MgxError): ...
class EmptyTaskError(TaskError): ...

class UnknownFieldError(TaskError):
    field: str
    allowed: List[str]

class InvalidValueError(TaskError):
    field: str
    value: str
    allowed: List[str]

class WrongTypeError(TaskError):
    field: str
    expected: str
    found: str

class MissingFieldError(TaskError):
    field: str

class MissingProjectPathError(TaskError): ...

class InvalidJsonError(TaskError):
    line: int
    column: int

class MgxIOError(MgxError):
    path: str

class InvalidUtf8Error(MgxError):
    offset: int
    line: int

class PatchError(MgxError): ...

class MalformedPatchError(PatchError):
    line: int

class UnsafePathError(PatchError):
    path: str
    violation: str

class SymlinkEscapeError(PatchError):
    path: str

class BinaryPatchError(PatchError):
    path: str

class JournalError(PatchError):
    path: str

class NoSuchBackupError(PatchError):
    run: str

class ApplyError(PatchError): ...

class ProviderError(MgxError): ...

class ProviderStatusError(ProviderError):
    status: int
    retryable: bool
    attempts: int

class RateLimitError(ProviderError):
    retry_after: Optional[float]
    attempts: int

class ProviderTimeoutError(ProviderError):
    stage: str
    attempts: int

class ProviderConnectionError(ProviderError):
    attempts: int

class MalformedResponseError(ProviderError): ...

class IncompleteStreamError(ProviderError):
    chunks: int

class ScriptedError(ProviderError): ...

class CassetteError(MgxError):
    path: str

class CassetteMissError(CassetteError):
    key: str
    request: str

class ConfigError(MgxError): ...
class RoleError(MgxError):
    role: str

class CacheError(MgxError): ...
class BudgetExceededError(MgxError): ...

class UnreadableOutputError(MgxError):
    what: str

class ValidationError(MgxError):
    attempts: int
    summary: str

class RejectedError(MgxError):
    reason: str

class CancelledError(MgxError): ...

class ApprovalTimeoutError(MgxError):
    seconds: int

# --- providers -------------------------------------------------------------------------------

class ChatMessageDict(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str

class UsageDict(TypedDict):
    prompt_tokens: int
    completion_tokens: int

class ChatResponseDict(TypedDict):
    content: str
    finish_reason: Optional[str]
    usage: Optional[UsageDict]
    model: Optional[str]
    attempts: int
    cached: bool

class CompletesChat(Protocol):
    """Any object with this method is a provider (``async def`` works too). It answers with a
    ``str``, a dict with ``content`` (and optional ``usage``, ``model``, ``finish_reason``), or an
    OpenAI-SDK chat completion."""

    def complete(self, messages: List[ChatMessageDict], **params: Any) -> Any: ...

class Provider:
    @property
    def id(self) -> str: ...
    def complete(self, messages: Sequence[Mapping[str, str]], **params: Any) -> Awaitable[ChatResponseDict]: ...
    def stream(self, messages: Sequence[Mapping[str, str]], **params: Any) -> DeltaStream:
        """The answer in pieces as the provider produces them (``async for piece in ...``); a
        provider that does not stream gives its whole answer as one piece. The call starts at
        the first piece asked for; an error is raised by the iteration, which then ends."""
        ...

class ChatDeltaDict(TypedDict):
    content: str
    finish_reason: Optional[str]
    usage: Optional[UsageDict]

class DeltaStream:
    def __aiter__(self) -> DeltaStream: ...
    def __anext__(self) -> Awaitable[ChatDeltaDict]: ...
    def aclose(self) -> Awaitable[None]:
        """End the stream before its last piece: the provider's call stops."""
        ...

class Offline(Provider):
    def __init__(self) -> None: ...

class Scripted(Provider):
    def __init__(self, answers: Sequence[str], model: str = "scripted") -> None: ...
    @property
    def calls(self) -> List[Dict[str, Any]]: ...

class OpenAICompatible(Provider):
    def __init__(
        self,
        model: Optional[str] = None,
        base_url: Optional[str] = None,
        api_key: Optional[str] = None,
        max_attempts: Optional[int] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        requests_per_minute: Optional[int] = None,
        tokens_per_minute: Optional[int] = None,
        max_concurrent: Optional[int] = None,
    ) -> None: ...

CassetteMode = Literal["record", "replay", "replay_strict", "record_missing"]

class Cassette(Provider):
    def __init__(
        self,
        path: Union[str, "PathLike[str]"],
        mode: CassetteMode = "replay",
        provider: Optional[Union[Provider, CompletesChat]] = None,
        model: Optional[str] = None,
    ) -> None: ...

# --- caches ----------------------------------------------------------------------------------

class CacheStatsDict(TypedDict):
    hits: int
    misses: int
    sets: int
    evictions: int
    expirations: int
    errors: int

class Cache:
    def stats(self) -> CacheStatsDict: ...
    def clear(self) -> Awaitable[None]: ...

class MemoryCache(Cache):
    def __init__(self, capacity: int = 1024, ttl: float = 3600.0) -> None: ...

class RedisCache(Cache):
    def __init__(self, url: str, prefix: str = "mgx", ttl: float = 86400.0) -> None: ...

# --- the team --------------------------------------------------------------------------------

EventType = Literal[
    "analysis_start", "plan_ready", "approval_required", "approved", "rejected", "progress",
    "validation_passed", "validation_failed", "revision_round", "llm_call", "files_written",
    "patch_applied", "patch_failed", "completion", "failure", "cancelled", "budget_exceeded",
    "warning",
]

class EventDict(TypedDict):
    event_type: str
    timestamp: str
    task_id: str
    run_id: str
    seq: int
    message: str
    data: Dict[str, Any]

class MessageDict(TypedDict):
    kind: str
    from_: str
    content: str
    data: Dict[str, Any]

class ReviewDict(TypedDict):
    task: str
    code: str
    tests: str

class VerdictDict(TypedDict):
    verdict: Literal["approved", "changes_required"]
    findings: List[str]

ApprovalAnswer = Union[bool, None, Dict[str, Any]]

class RunProfileDict(TypedDict):
    total_ms: int
    phase_ms: Dict[str, int]
    llm_calls: int
    llm_ms_total: int
    llm_ms_median: Optional[int]
    llm_ms_max: Optional[int]
    rss_start_bytes: Optional[int]
    rss_end_bytes: Optional[int]
    peak_rss_bytes: Optional[int]

class BuiltinRole:
    """One of the default team's roles, from ``default_roles()``: keep, drop or reorder them in
    ``Team(roles=...)``."""

    @property
    def name(self) -> str: ...
    @property
    def watches(self) -> List[str]: ...

def default_roles() -> List[BuiltinRole]:
    """The default team: ``team_leader``, ``engineer``, ``tester``, ``reviewer``."""
    ...

class RoleMessageDict(TypedDict, total=False):
    """What a role publishes: ``kind`` is required; ``content`` defaults to ``""`` and ``data``
    (any JSON-able value) to ``None``."""

    kind: str
    content: str
    data: Any

class RoleContext:
    """What a role's ``react`` is given besides the message. The run's messages are as they were
    when the reaction started; ``ask`` is a model call made by the run (the role's provider,
    budget, cache, call timeout, cancellation, events and metrics)."""

    @property
    def role(self) -> str: ...
    @property
    def task(self) -> str: ...
    @property
    def stack(self) -> Optional[str]: ...
    @property
    def constraints(self) -> List[str]: ...
    @property
    def history(self) -> List[Dict[str, Any]]: ...
    def latest(self, kind: str) -> Optional[Dict[str, Any]]: ...
    def ask(self, prompt: str, *, action: Optional[str] = None, system: Optional[str] = None) -> Awaitable[str]:
        """The answer's text. ``action`` names the call (default: the role's name); ``system``
        is the system prompt (default: the team's prompt for ``action``). Only within the
        reaction it was given to, from an ``async def react``."""
        ...

class ReactsToMessages(Protocol):
    """Any object with these is a role: ``react`` (sync or ``async def``) is called with each
    message of a kind it watches (a dict: ``kind``, ``from``, ``content``, ``data``) and answers
    with a message dict, a list of them, or ``None``. What it raises ends the run with a
    ``RoleError`` whose ``__cause__`` is the exception. A role in a built-in role's place
    publishes what the run reads: ``code`` and ``tests`` as a FILE manifest in ``content`` (as
    a model answers) or with ``data={"files": [{"path": ..., "content": ...}]}``, ``plan`` with
    ``data={"steps": [...]}``, ``review`` with ``data={"verdict": "approved" or
    "changes_required", "findings": [...]}``. Code a role publishes is validated against the
    stack before any other role reads it. When it fails, a role watching ``revision_request``
    is sent ``data={"validation_errors": [...], "attempt": n}`` as often as the team's
    validation retries allow; code that still fails ends the run (``ValidationError``) and is
    never written. Tests whose files replace files of the code must leave the code valid, or
    the run ends the same way."""

    name: str
    watches: Sequence[str]
    def react(self, message: Dict[str, Any], ctx: RoleContext) -> Any: ...

class Team:
    def __init__(
        self,
        *,
        provider: Optional[Union[Provider, CompletesChat]] = None,
        role_providers: Optional[Mapping[str, Union[Provider, CompletesChat]]] = None,
        cache: Optional[Cache] = None,
        on_event: Optional[Callable[[EventDict], Any]] = None,
        stack: Optional[str] = None,
        constraints: Sequence[str] = (),
        strict: bool = False,
        output_dir: Optional[Union[str, "PathLike[str]"]] = None,
        project: Optional[Union[str, "PathLike[str]"]] = None,
        max_rounds: Optional[int] = None,
        max_revision_rounds: Optional[int] = None,
        max_validation_retries: Optional[int] = None,
        budget_usd: Optional[float] = None,
        budget_tokens: Optional[int] = None,
        prices: Optional[Mapping[str, Mapping[str, float]]] = None,
        budget_by_complexity: Optional[float] = None,
        approval: Union[
            Literal["auto", "manual"],
            Callable[[Dict[str, Any]], Union[ApprovalAnswer, Awaitable[ApprovalAnswer]]],
            None,
        ] = None,
        approval_timeout: float = 300.0,
        human_reviewer: Optional[
            Callable[[ReviewDict], Union[bool, VerdictDict, Awaitable[Union[bool, VerdictDict]]]]
        ] = None,
        max_tokens: Optional[int] = None,
        call_timeout: float = 600.0,
        dry_run: bool = False,
        fsync: bool = True,
        run_dir: Optional[Union[str, "PathLike[str]"]] = None,
        max_concurrent_runs: Optional[int] = None,
        prompts: Optional[Mapping[str, str]] = None,
        format: bool = False,
        format_timeout: float = 60.0,
        pre_commit_config: bool = False,
        git: Union[bool, Mapping[str, Any], None] = None,
        roles: Optional[Sequence[Union[BuiltinRole, ReactsToMessages]]] = None,
    ) -> None: ...
    def run(
        self, task: str, *, output_dir: Optional[Union[str, "PathLike[str]"]] = None, pool: Optional[RunPool] = None
    ) -> Awaitable[RunReport]: ...
    def run_sync(
        self, task: str, *, output_dir: Optional[Union[str, "PathLike[str]"]] = None, pool: Optional[RunPool] = None
    ) -> RunReport: ...
    def start(
        self, task: str, *, output_dir: Optional[Union[str, "PathLike[str]"]] = None, pool: Optional[RunPool] = None
    ) -> Run: ...
    def resume(self, run_dir: Union[str, "PathLike[str]"]) -> Awaitable[RunReport]: ...

class RunPool:
    """Threads that run teams' tasks, each run kept on one thread (``team.run(task, pool=pool)``)."""

    def __init__(self, threads: Optional[int] = None) -> None: ...
    @property
    def threads(self) -> int: ...
    @property
    def in_flight(self) -> int: ...

class Run:
    def plan(self) -> Awaitable[Optional[Dict[str, Any]]]: ...
    def change_set(self) -> Awaitable[Optional[Dict[str, Any]]]: ...
    def approve(self, feedback: Optional[str] = None) -> None: ...
    def reject(self, reason: str = "rejected") -> None: ...
    def cancel(self) -> None: ...
    @property
    def done(self) -> bool: ...
    def report(self) -> Awaitable[RunReport]: ...
    def events(self) -> EventStream: ...
    def __await__(self) -> Generator[Any, None, RunReport]: ...

class EventStream:
    def __aiter__(self) -> AsyncIterator[EventDict]: ...
    def __anext__(self) -> Awaitable[EventDict]: ...

class RunReport:
    @property
    def status(self) -> Literal["completed", "rejected", "budget_exceeded", "failed", "cancelled"]: ...
    @property
    def ok(self) -> bool: ...
    @property
    def run_id(self) -> str: ...
    @property
    def task_id(self) -> str: ...
    @property
    def error(self) -> Optional[str]: ...
    @property
    def error_code(self) -> Optional[str]: ...
    @property
    def stack(self) -> Optional[str]: ...
    @property
    def stack_confidence(self) -> float: ...
    @property
    def providers(self) -> List[str]: ...
    @property
    def analysis(self) -> Optional[Dict[str, Any]]: ...
    @property
    def plan(self) -> List[str]: ...
    @property
    def files(self) -> List[str]: ...
    @property
    def tests(self) -> List[str]: ...
    @property
    def review(self) -> Optional[VerdictDict]: ...
    @property
    def validations(self) -> List[Dict[str, Any]]: ...
    @property
    def revision_rounds(self) -> int: ...
    @property
    def llm_calls(self) -> int: ...
    @property
    def cache_hits(self) -> int: ...
    @property
    def tokens_in(self) -> Optional[int]: ...
    @property
    def tokens_out(self) -> Optional[int]: ...
    @property
    def cost_usd(self) -> Optional[float]: ...
    @property
    def phase_ms(self) -> Dict[str, int]: ...
    @property
    def output_dir(self) -> Optional[str]: ...
    @property
    def run_dir(self) -> Optional[str]: ...
    @property
    def profile(self) -> Optional[RunProfileDict]: ...
    @property
    def formatting(self) -> Optional[Dict[str, Any]]: ...
    @property
    def git(self) -> Optional[Dict[str, Optional[str]]]: ...
    def raise_for_status(self) -> None: ...
    def to_dict(self) -> Dict[str, Any]: ...
