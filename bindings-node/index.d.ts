/* The plain objects and options of the team runtime (prepended to the generated declarations). */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant'
  content: string
}

export interface ChatParams {
  model?: string
  temperature?: number
  maxTokens?: number
  stop?: string[]
}

export interface Usage {
  prompt_tokens: number
  completion_tokens: number
}

export interface ChatResponse {
  content: string
  finish_reason: string | null
  usage: Usage | null
  model: string | null
  attempts: number
  cached: boolean
}

/**
 * A piece of a streamed answer: the text it adds; `finish_reason` and `usage` on the last pieces,
 * when the server reports them.
 */
export interface ChatDelta {
  content: string
  finish_reason: string | null
  usage: Usage | null
}

/**
 * Any object with this method is a provider. It answers with a string, an object with a string
 * `content` (and optional `usage`, `model`), or an OpenAI-SDK chat completion — or a Promise of
 * one of those.
 */
export interface CompletesChat {
  complete(messages: ChatMessage[], params: ChatParams): unknown
}

export type Provider = Offline | Scripted | OpenAICompatible | Cassette

export interface CacheStats {
  hits: number
  misses: number
  sets: number
  evictions: number
  expirations: number
  errors: number
}

/** An event in the event contract's shape. */
export interface MgxEvent {
  event_type: string
  timestamp: string
  task_id: string
  run_id: string
  seq: number
  message: string
  data: Record<string, unknown>
}

/** What roles say to each other; the plan and the change set are shown at approval as one. */
export interface Message {
  kind: string
  from: string
  content: string
  data: Record<string, unknown>
}

export interface HumanReview {
  task: string
  code: string
  tests: string
}

export interface ReviewVerdict {
  verdict: 'approved' | 'changes_required'
  findings: string[]
}

export type ApprovalAnswer = boolean | undefined | { approve: boolean; feedback?: string; reason?: string }

/** What a role publishes: `kind` is required; `content` defaults to `''` and `data` to `null`. */
export interface RoleMessage {
  kind: string
  content?: string
  data?: unknown
}

/**
 * Any object with these is a role: `react` is called with each message of a kind it watches
 * and answers with a message, an array of them, or nothing (or a Promise of that). What it
 * throws or rejects with ends the run with an error of code `role` whose `cause` is that error.
 * A role in a built-in role's place publishes what the run reads: `code` and `tests` as a FILE
 * manifest in `content` (as a model answers) or with `data: { files: [{ path, content }] }`, `plan` with
 * `data: { steps }`, `review` with `data: { verdict: 'approved' | 'changes_required', findings }`.
 * Code a role publishes is validated against the stack before any other role reads it. When it
 * fails, a role watching `revision_request` is sent `data: { validation_errors, attempt }` as
 * often as the team's validation retries allow; code that still fails ends the run (code
 * `validation`) and is never written. Tests whose files replace files of the code must leave
 * the code valid, or the run ends the same way.
 */
export interface ReactsToMessages {
  name: string
  watches: string[]
  react(message: Message, ctx: RoleContext): unknown
}

export interface TeamOptions {
  /** Default: the offline provider (a scaffold generator, not a model). */
  provider?: Provider | CompletesChat
  roleProviders?: Record<string, Provider | CompletesChat>
  cache?: MemoryCache | RedisCache
  /** Called for each event, in order; may return a Promise. */
  onEvent?: (event: MgxEvent) => unknown
  stack?: string
  constraints?: string[]
  strict?: boolean
  outputDir?: string
  /** Patch this project instead of writing a new one. */
  project?: string
  maxRounds?: number
  maxRevisionRounds?: number
  maxValidationRetries?: number
  budgetUsd?: number
  budgetTokens?: number
  prices?: Record<string, { input_per_million: number; output_per_million: number }>
  budgetByComplexity?: number
  /** `'auto'` (default), `'manual'` (decide through `Run`), or a function deciding each gate. */
  approval?: 'auto' | 'manual' | ((shown: Message) => ApprovalAnswer | Promise<ApprovalAnswer>)
  /** Seconds to wait for a decision (default 300). */
  approvalTimeout?: number
  humanReviewer?: (review: HumanReview) => boolean | ReviewVerdict | Promise<boolean | ReviewVerdict>
  maxTokens?: number
  /** Seconds one model call may take before the run ends with a timeout (default 600). */
  callTimeout?: number
  dryRun?: boolean
  fsync?: boolean
  runDir?: string
  maxConcurrentRuns?: number
  prompts?: Record<string, string>
  /** Format what the run wrote with the stack's formatter when installed (best effort). */
  format?: boolean
  /** Seconds a formatter may run (default 60). */
  formatTimeout?: number
  /** Write the stack's `.pre-commit-config.yaml` with the result. */
  preCommitConfig?: boolean
  /** Commit the result on a branch of its own; push it and open a draft pull request when asked. */
  git?: boolean | GitOptions
  /**
   * The whole team (default: `defaultRoles()`): keep, drop or reorder the built-in roles and
   * add your own, e.g. `[...defaultRoles(), new LicenceChecker()]`.
   */
  roles?: Array<BuiltinRole | ReactsToMessages>
}

export interface GitOptions {
  /** Default `mgx`: branches are `{prefix}/{task-slug}/run-{n}`. */
  branchPrefix?: string
  /** `{task_name}` and `{run_number}` are filled in. */
  commitTemplate?: string
  /** A remote to push the branch to. */
  push?: string
  /** Open a draft pull request on GitHub (needs `push`; token from GITHUB_TOKEN or `token`). */
  pullRequest?: boolean
  /** `owner/name` (default: from the remote's URL). */
  repository?: string
  githubApi?: string
  token?: string
  /** Seconds one git command (a push) may take (default 120). */
  timeout?: number
}

export interface RunOptions {
  outputDir?: string
  /** Aborting it cancels the run. */
  signal?: AbortSignal
  /** Run on this pool's threads, the run kept on one of them (many runs at once). */
  pool?: RunPool
}

export interface Validation {
  attempt: number
  valid: boolean
  summary: string
  errors: string[]
  /** The output passes with these (a recommended file missing …). */
  warnings: string[]
  /** What was not checked by machine, and why. */
  notes: string[]
}

/** The JSON report of a run (the same as `mgx run --json` and Python's `to_dict()`). */
export interface RunReport {
  run_id: string
  task_id: string
  status: 'completed' | 'rejected' | 'budget_exceeded' | 'failed' | 'cancelled'
  error: string | null
  error_code: string | null
  stack: string | null
  stack_confidence: number
  providers: string[]
  analysis: Record<string, unknown> | null
  plan: string[]
  files: string[]
  tests: string[]
  review: ReviewVerdict | null
  validations: Validation[]
  revision_rounds: number
  llm_calls: number
  cache_hits: number
  tokens_in: number | null
  tokens_out: number | null
  cost_usd: number | null
  phase_ms: Record<string, number>
  output_dir: string | null
  run_dir: string | null
  /** Where the run's time went (phases, model latency) and the memory the process held. */
  profile: RunProfile | null
  /** What formatting did, when the team formats. */
  formatting: FormatReport | null
  /** What the git step did, when the team commits. */
  git: { branch: string | null; commit: string | null; pushed_to: string | null; pull_request_url: string | null; error: string | null } | null
}

export interface FormatReport {
  ran: Array<{ tool: string; command: string[]; ok: boolean; message: string | null; changed: string[]; ms: number }>
  missing: string[]
  skipped: Array<{ tool: string; reason: string }>
}

export interface RunProfile {
  total_ms: number
  phase_ms: Record<string, number>
  llm_calls: number
  llm_ms_total: number
  llm_ms_median: number | null
  llm_ms_max: number | null
  rss_start_bytes: number | null
  rss_end_bytes: number | null
  /** The process's peak resident memory when the run ended: an upper bound of the run's own. */
  peak_rss_bytes: number | null
}

/** How a run that did not complete rejects. */
export interface RunError extends Error {
  code: string
  report: RunReport
  cause?: unknown
}

/**
 * Which binding artifact the generated loader actually loaded: `'native'` for
 * a native addon, otherwise the `platformArchABI` of the WASI flavor. Every
 * flavor napi-rs can build is listed, because `NAPI_RS_NATIVE_LIBRARY_PATH`
 * can point the loader at a WASI artifact this package does not build itself.
 */
export declare const __napiBindingTarget: 'native' | 'wasm32-wasi' | 'wasm32-wasip1'

declare global {
  interface __NapiRsAsyncGenerator<TOwner, T, TReturn, TNext> {
    next(...[value]: [] | [TNext]): globalThis.Promise<globalThis.IteratorResult<T, TReturn | undefined>>
    return(...[value]: [] | [TReturn]): globalThis.Promise<globalThis.IteratorResult<T, TReturn | undefined>>
    throw(exception?: unknown): globalThis.Promise<globalThis.IteratorResult<T, TReturn | undefined>>
    [globalThis.Symbol.asyncIterator](): this
  }
}

/**
 * One of the built-in roles (`team_leader`, `engineer`, `tester`, `reviewer`), for a team that
 * keeps some of them: `new Team({ roles: defaultRoles().filter((r) => r.name !== 'reviewer') })`.
 */
export declare class BuiltinRole {
  /** The role's name. */
  get name(): string
  /** The message kinds it reacts to. */
  get watches(): Array<string>
}

/**
 * Records a provider's calls in a JSON-lines file and replays them. `mode`: `record`,
 * `replay` (default; a call it lacks goes to the provider), `replay_strict` (a call it lacks
 * fails with code `cassette_miss`; give `model`, the recording provider's model, when there is
 * no provider) or `record_missing`. One format in Rust, Python and Node.
 */
export declare class Cassette {
  constructor(path: string, options?: { mode?: 'record' | 'replay' | 'replay_strict' | 'record_missing'; provider?: Provider | CompletesChat; model?: string })
  /** `kind/model`, e.g. `offline/scaffold`. */
  get id(): string
  /**
   * Ask the provider: `messages` are `{ role, content }` objects; `params` may set
   * `model`, `temperature`, `maxTokens`, `stop`.
   */
  complete(messages: ChatMessage[], params?: ChatParams): Promise<ChatResponse>
  /**
   * The answer in pieces as the provider produces them: `for await (const piece of
   * provider.stream(messages))` gives `{ content, finish_reason, usage }` objects. A
   * provider that does not stream (a JS object, `Offline`, `Scripted`) gives its whole
   * answer as one piece. The call starts with the first piece asked for; an error
   * rejects with its `code` and ends the stream; `break` stops the call.
   */
  stream(messages: ChatMessage[], params?: ChatParams): AsyncIterableIterator<ChatDelta>
}

/**
 * A run's events as an async iterator of plain objects in the event contract's shape.
 *
 * This type implements JavaScript's async iterable protocol.
 * It can be used with `for await...of` loops.
 *
 * @see https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Iteration_protocols#the_async_iterator_and_async_iterable_protocols
 */
export declare class EventStream {

  [globalThis.Symbol.asyncIterator](): globalThis.__NapiRsAsyncGenerator<EventStream, any, void, undefined>
}

/**
 * An in-process LRU cache with a time to live: `capacity` answers (default 1024), each kept
 * `ttl` seconds (default 3600). Give it to teams with `cache`.
 */
export declare class MemoryCache {
  constructor(capacity?: number | undefined | null, ttl?: number | undefined | null)
  /** `{ hits, misses, sets, evictions, expirations, errors }` so far. */
  stats(): CacheStats
  /** Empty the cache. */
  clear(): Promise<void>
}

/**
 * The offline provider: a deterministic scaffold generator (no model, no network) that answers
 * every action of the default team in the shape it asks for. The default provider.
 */
export declare class Offline {
  constructor()
  /** `kind/model`, e.g. `offline/scaffold`. */
  get id(): string
  /**
   * Ask the provider: `messages` are `{ role, content }` objects; `params` may set
   * `model`, `temperature`, `maxTokens`, `stop`.
   */
  complete(messages: ChatMessage[], params?: ChatParams): Promise<ChatResponse>
  /**
   * The answer in pieces as the provider produces them: `for await (const piece of
   * provider.stream(messages))` gives `{ content, finish_reason, usage }` objects. A
   * provider that does not stream (a JS object, `Offline`, `Scripted`) gives its whole
   * answer as one piece. The call starts with the first piece asked for; an error
   * rejects with its `code` and ends the stream; `break` stops the call.
   */
  stream(messages: ChatMessage[], params?: ChatParams): AsyncIterableIterator<ChatDelta>
}

/**
 * Any server that speaks the OpenAI chat-completions API (OpenAI, Ollama, vLLM, LiteLLM …),
 * with retries, `Retry-After`, timeouts and shared rate limits.
 */
export declare class OpenAICompatible {
  constructor(options?: OpenAICompatibleOptions | undefined | null)
  /** `kind/model`, e.g. `offline/scaffold`. */
  get id(): string
  /**
   * Ask the provider: `messages` are `{ role, content }` objects; `params` may set
   * `model`, `temperature`, `maxTokens`, `stop`.
   */
  complete(messages: ChatMessage[], params?: ChatParams): Promise<ChatResponse>
  /**
   * The answer in pieces as the provider produces them: `for await (const piece of
   * provider.stream(messages))` gives `{ content, finish_reason, usage }` objects. A
   * provider that does not stream (a JS object, `Offline`, `Scripted`) gives its whole
   * answer as one piece. The call starts with the first piece asked for; an error
   * rejects with its `code` and ends the stream; `break` stops the call.
   */
  stream(messages: ChatMessage[], params?: ChatParams): AsyncIterableIterator<ChatDelta>
}
export type OpenAiCompatible = OpenAICompatible

/**
 * A cache in Redis (`redis://host:port/db`), shared by processes: keys under `prefix`
 * (default `mgx`), kept `ttl` seconds (default 86400; 0: until Redis evicts them). When Redis
 * is down, calls go to the model and the run says so in a `warning` event.
 */
export declare class RedisCache {
  constructor(url: string, prefix?: string | undefined | null, ttl?: number | undefined | null)
  /** `{ hits, misses, sets, evictions, expirations, errors }` so far. */
  stats(): CacheStats
  /** Empty the cache. */
  clear(): Promise<void>
}

/**
 * What a JS role's `react(message, ctx)` is given besides the message: the run's task, stack,
 * constraints and messages so far (as they were when the reaction started), and `ask`, a model
 * call made by the run.
 */
export declare class RoleContext {
  /** The reacting role's name. */
  get role(): string
  /** The task's text. */
  get task(): string
  /** The stack's id (`fastapi` …), or `null` when the run has none. */
  get stack(): string | null
  /** The constraints the output must meet. */
  get constraints(): Array<string>
  /** The run's messages before this reaction, oldest first. */
  get history(): Message[]
  /** The newest message of `kind` before this reaction, or `null`. */
  latest(kind: string): Message | null
  /**
   * Ask the role's model: a Promise of the answer's text. `action` names the call in events,
   * metrics and the cache key (default: the role's name); `system` is the system prompt
   * (default: the team's prompt for `action`, if it has one). The run's budget, cache, call
   * timeout and cancellation apply; a failure rejects with the error's own `code`
   * (`budget_exceeded`, `cancelled` …), which ends the run as that error when the role lets
   * it through.
   */
  ask(prompt: string, options?: { action?: string; system?: string }): Promise<string>
}

/**
 * A started run: `await run.plan()`, then `approve()` or `reject()`; `cancel()`; iterate
 * `events()`; `await run.report()`.
 */
export declare class Run {
  /**
   * The plan once it is ready (`{ kind, from, content, data }`), or `null` if the run ended
   * before.
   */
  plan(): Promise<Message | null>
  /**
   * In patch mode, the change set waiting for approval (`data` has the `hash`, the `diff`
   * and the `files`), or `null` if the run ended before.
   */
  changeSet(): Promise<Message | null>
  /** Approve what waits for approval, with notes for the engineer. */
  approve(feedback?: string | undefined | null): void
  /** Reject what waits for approval: the run ends and writes nothing. */
  reject(reason?: string | undefined | null): void
  /** Cancel the run: it stops at once and writes nothing. */
  cancel(): void
  /** Whether the run has ended. */
  get done(): boolean
  /** The report once the run has ended, as `Team.run` settles (awaitable more than once). */
  report(): Promise<RunReport>
  /** The run's events, from the first (`analysis_start`) to the last; one consumer. */
  events(): EventStream
}

/**
 * Threads that run teams' tasks, each run kept on one thread from its start to its end: for
 * programs running hundreds or thousands of runs at once (`team.run(task, { pool })`). On
 * the addon's shared runtime a run moves between threads from one model call to the next,
 * and the allocator pays for every block freed on another thread than the one that made it.
 * `threads` defaults to one per core. The threads stop when the pool is collected; runs
 * still going then end as cancelled.
 */
export declare class RunPool {
  constructor(threads?: number | undefined | null)
  /** How many threads the pool has. */
  get threads(): number
  /** Runs started on the pool and not yet ended. */
  get inFlight(): number
}

/** Answers from a list, one per call, in order; a call past the end fails with code `scripted`. */
export declare class Scripted {
  constructor(answers: Array<string>, model?: string | undefined | null)
  /** The requests it has been asked, oldest first. */
  get calls(): Array<Record<string, unknown>>
  /** `kind/model`, e.g. `offline/scaffold`. */
  get id(): string
  /**
   * Ask the provider: `messages` are `{ role, content }` objects; `params` may set
   * `model`, `temperature`, `maxTokens`, `stop`.
   */
  complete(messages: ChatMessage[], params?: ChatParams): Promise<ChatResponse>
  /**
   * The answer in pieces as the provider produces them: `for await (const piece of
   * provider.stream(messages))` gives `{ content, finish_reason, usage }` objects. A
   * provider that does not stream (a JS object, `Offline`, `Scripted`) gives its whole
   * answer as one piece. The call starts with the first piece asked for; an error
   * rejects with its `code` and ends the stream; `break` stops the call.
   */
  stream(messages: ChatMessage[], params?: ChatParams): AsyncIterableIterator<ChatDelta>
}

/** The built-in stacks (default) plus stacks registered from JSON or TOML. */
export declare class StackRegistry {
  /** A registry with the built-in stacks, or an empty one with `builtins: false`. */
  constructor(builtins?: boolean | undefined | null)
  /** The stack with this id; throws `code: 'unknown_stack'`. */
  get(id: string): StackSpec
  /** Whether a stack with this id is registered. */
  has(id: string): boolean
  /** The number of stacks. */
  get size(): number
  /** The ids in registry order. */
  ids(): Array<string>
  /** The stacks in registry order. */
  stacks(): Array<StackSpec>
  /** Infer a stack from free text, over every stack of this registry. */
  infer(text: string): Inference
  /** Register stacks from JSON text (one spec or an array); returns the new ids. */
  registerJson(text: string): Array<string>
  /** Register stacks from TOML text (one spec or `[[stack]]` tables); returns the new ids. */
  registerToml(text: string): Array<string>
  /** Register stacks from a `.json` or `.toml` file; returns the new ids. */
  registerFile(path: string): Array<string>
}

/** A task in the JSON task contract. */
export declare class TaskSpec {
  /** The minimal form: a plain-text task. */
  static fromText(text: string): TaskSpec
  /** The JSON task contract; `targetStack` is checked against `registry` (default: built-ins). */
  static fromJson(text: string, registry?: StackRegistry | undefined | null): TaskSpec
  /** Either form: text starting with `{` is JSON, anything else plain text. */
  static parse(text: string, registry?: StackRegistry | undefined | null): TaskSpec
  get task(): string
  get targetStack(): string | null
  /** `api`, `webapp`, `fullstack`, `devops`, or `null`. */
  get projectType(): string | null
  /** `generate_new` or `patch_existing`. */
  get outputMode(): string
  get strictRequirements(): boolean
  get constraints(): Array<string>
  get existingProjectPath(): string | null
  /** The named stack, else the inferred one. */
  resolveStack(registry?: StackRegistry | undefined | null): ResolvedStack
  /** The task in the contract's JSON shape (snake_case keys), so `JSON.stringify(task)` works. */
  toJSON(): any
}

/**
 * A team of agent roles — team leader, engineer, tester, reviewer — that turns a task into
 * code and tests. Cheap to share: one team runs many tasks at once.
 */
export declare class Team {
  constructor(options?: TeamOptions)
  /**
   * Run `task` (text, or the JSON task contract) to its end. Resolves with the report when
   * the run completed; otherwise rejects with an `Error` whose `code` says why (`rejected`,
   * `cancelled`, `budget_exceeded`, `provider` …), with the `report` attached and, when a JS
   * provider threw, that error as `cause`. `signal` (an `AbortSignal`) cancels the run.
   */
  run(task: string, options?: RunOptions): Promise<RunReport>
  /** Start `task` and return its `Run` at once. */
  start(task: string, options?: RunOptions): Run
  /** Continue a run journaled under `runDir`: nothing the journal has is paid for twice. */
  resume(runDir: string): Promise<RunReport>
}

/** The result of validation. */
export declare class ValidationResult {
  get isValid(): boolean
  get errors(): Array<Finding>
  get warnings(): Array<Finding>
  get notes(): Array<Finding>
  /** Whether any finding has this code. */
  has(code: string): boolean
  /** One line: `validation passed (1 warning)` or `validation failed: 2 errors, 1 warning`. */
  summary(): string
  /** The result in its JSON shape (snake_case keys), so `JSON.stringify(result)` works. */
  toJSON(): any
}

/**
 * Apply a unified diff under `root`. Throws with `code` for unusable input
 * (`malformed_patch`, `unsafe_path`, `symlink_escape`, `binary_patch`, `io`).
 */
export declare function applyPatch(root: string, diff: string, options?: PatchOptions | undefined | null): PatchResult

/** One file of a backup run. */
export interface BackupFile {
  path: string
  /** Whether it existed before the run (`false`: the run created it). */
  existed: boolean
}

/** The backup of one applied run. */
export interface BackupRun {
  run: string
  /** Unix seconds. */
  created: number
  files: Array<BackupFile>
}

/** The prompt that asks a model to fix its output. */
export declare function buildRevisionPrompt(result: ValidationResult, task: string): string

/** A stack that fits the task to some degree. */
export interface Candidate {
  stack: string
  score: number
  evidence: Array<Evidence>
}

/** The default team's four roles, in order: `team_leader`, `engineer`, `tester`, `reviewer`. */
export declare function defaultRoles(): Array<BuiltinRole>

/** A path given more than once. */
export interface Duplicate {
  path: string
  lines: Array<number>
}

/** One piece of evidence for a candidate stack. */
export interface Evidence {
  phrase: string
  /** `keyword`, `combination`, `hint`, `language`, `tag` or `prior`. */
  kind: string
  weight: number
}

/** What happened to one file. */
export interface FileReport {
  path: string
  /** `create`, `write`, `modify`, `delete`, `rename` or `copy`. */
  operation: string
  /** `applied`, `already_applied`, `failed` or `skipped`. */
  status: string
  message?: string
  hunks: Array<HunkReport>
  /** Review artifacts written beside the file (best effort). */
  artifacts: Array<string>
}

/** One thing validation found. */
export interface Finding {
  /** The stable code (`missing_required_file` …). */
  code: string
  /** `error`, `warning` or `note`. */
  severity: string
  message: string
  path?: string
  /** The 1-based line of the output. */
  line?: number
}

/** The built-in stack with this id; throws `code: 'unknown_stack'` (message lists the closest ids). */
export declare function getStack(id: string): StackSpec

/** What happened to one hunk. */
export interface HunkReport {
  index: number
  /**
   * `applied`, `applied_offset`, `applied_normalized`, `applied_reduced_context`,
   * `already_applied`, `not_found`, `ambiguous`, `maybe_applied` or `conflict`.
   */
  status: string
  /** The 1-based line in the original file where the hunk went. */
  line?: number
  offset?: number
  /** `exact`, `ignore_cr`, `trailing_whitespace` or `indentation`. */
  level?: string
  fuzz: number
  /** Ambiguous hunks: every line where the pre-image starts. */
  candidates: Array<number>
  /** Hunks whose change may already be there: every line where the post-image starts. */
  alreadyAt: Array<number>
  /** Failed hunks: the 1-based line of the nearest partial match. */
  nearestLine?: number
  /** Failed hunks: how many pre-image lines match there, of how many. */
  nearestMatching?: number
  nearestTotal?: number
}

/** The result of stack inference. */
export interface Inference {
  /** The inferred stack id, or `null` when no stack fits. */
  stack?: string
  /** How sure, in [0, 1]; 0 without a stack. */
  confidence: number
  /** Whether `confidence` reaches the confident threshold. */
  isConfident: boolean
  /** Candidates, best first. */
  candidates: Array<Candidate>
  /** Frameworks or languages named that no stack covers. */
  unsupported: Array<string>
  /** Why there is no stack, or what lowers the confidence. */
  note?: string
}

/** Hints stack inference uses. */
export interface InferenceHints {
  keywords: Array<string>
  hints: Array<string>
  languages: Array<string>
  tags: Array<string>
  combinations: Array<Array<string>>
  prior: number
}

/** Infer a built-in stack from free text. */
export declare function inferStack(text: string): Inference

/** One entry of the expected layout; a directory path ends with `/`. */
export interface LayoutEntry {
  path: string
  description: string
}

/** Backup runs under `root`, newest first. */
export declare function listBackups(root: string): Array<BackupRun>

/** A unified diff from `oldText` to `newText` for `path` (default `file`). */
export declare function makeDiff(oldText: string, newText: string, path?: string | undefined | null): string

/** A parsed FILE manifest. */
export interface Manifest {
  files: Array<ManifestFile>
  prose: Array<ProseSpan>
  duplicates: Array<Duplicate>
}

/** One file of a manifest. */
export interface ManifestFile {
  path: string
  content: string
  /** The 1-based line of the marker. */
  line: number
  /** The 1-based line of the first content line. */
  contentLine: number
  /** The info string of the fence the content came in (`""` for a bare fence), or `null`. */
  fence?: string
}

/**
 * Options of an OpenAI-compatible provider; what is left out comes from the environment
 * (`MGX_BASE_URL`/`OPENAI_BASE_URL`, `MGX_API_KEY`/`OPENAI_API_KEY`, `MGX_MODEL`).
 */
export interface OpenAICompatibleOptions {
  model?: string
  baseUrl?: string
  /** Never shown in errors or logs. */
  apiKey?: string
  /** Attempts in all (default 4; 1 = no retries). */
  maxAttempts?: number
  /** Seconds for the whole answer (default 300). */
  timeout?: number
  /** Seconds to connect (default 10). */
  connectTimeout?: number
  requestsPerMinute?: number
  tokensPerMinute?: number
  maxConcurrent?: number
}

/** Parse a FILE manifest. */
export declare function parseManifest(text: string): Manifest

/** How to apply a patch. */
export interface PatchOptions {
  /** `all_or_nothing` (default) or `best_effort`. */
  mode?: string
  /** Compute and report everything; write nothing. */
  dryRun?: boolean
  /** Keep backups under `.mgx/backups/` (default true). */
  backup?: boolean
  /** Flush to disk before the commit (default true); without it a power loss may leave part of the apply. */
  fsync?: boolean
}

/** The result of applying a patch. */
export interface PatchResult {
  /** `applied`, `already_applied`, `partial`, `refused`, `dry_run` or `dry_run_refused`. */
  status: string
  /** Whether everything is applied (or was already there). */
  ok: boolean
  /** The run id when something was written (names the backups). */
  run?: string
  files: Array<FileReport>
}

/** Prompt material for the team. */
export interface PromptMaterial {
  conventions: Array<string>
  reviewChecklist: Array<string>
}

/** Text outside files. */
export interface ProseSpan {
  line: number
  endLine: number
  text: string
}

/** Keep the newest `keep` backup runs (default 5); returns the removed run ids. */
export declare function pruneBackups(root: string, keep?: number | undefined | null): Array<string>

/** Bring interrupted applies under `root` to all-old or all-new. */
export declare function recover(root: string): Array<Recovered>

/** What `recover` did with one interrupted run. */
export interface Recovered {
  run: string
  /** `rolled_back` or `completed`. */
  outcome: string
}

/** Write a manifest as text that `parseManifest` reads back to the same files. */
export declare function renderManifest(manifest: Manifest): string

/** How a task's stack was settled. */
export interface ResolvedStack {
  /** The stack, or `null` when none was named or inferred. */
  stack?: StackSpec
  /** `explicit` or `inferred`. */
  source: string
  confidence: number
  /** The inference, when the stack was inferred. */
  inference?: Inference
}

/** Undo a backup run (or only `path` of it) as a new transaction. */
export declare function restoreBackup(root: string, run: string, path?: string | undefined | null): PatchResult

/** Run commands; `null` when the stack has no such step. */
export interface RunCommands {
  dev?: string
  build?: string
  test?: string
  start?: string
}

/** The ids of the built-in stacks, in registry order. */
export declare function stackIds(): Array<string>

/** Every built-in stack, in registry order. */
export declare function stacks(): Array<StackSpec>

/** One target stack. */
export interface StackSpec {
  id: string
  name: string
  /** `backend`, `frontend`, `fullstack`, `mobile` or `devops`. */
  category: string
  /** The language's short code (`py`, `ts` …). */
  language: string
  /** The language's display name (`Python`, `TypeScript` …). */
  languageName: string
  description: string
  packageManager?: string
  test?: TestFramework
  linter?: Tool
  formatter?: Tool
  layout: Array<LayoutEntry>
  run: RunCommands
  dependencies: Array<string>
  devDependencies: Array<string>
  fileExtensions: Array<string>
  rules: ValidationRules
  prompt: PromptMaterial
  inference: InferenceHints
  /** The prompt material as one Markdown block. */
  promptBrief: string
}

/** A test framework and what the tester needs to write tests in it. */
export interface TestFramework {
  framework: string
  command: string
  /** Where test files go, e.g. `tests/test_*.py`. */
  filePattern: string
  /** A minimal valid test file. */
  template: string
}

/** A linter or formatter and its command. */
export interface Tool {
  name: string
  command: string
}

/** How to validate. */
export interface ValidateOptions {
  /** The stack id whose rules apply. */
  stack?: string
  /** Task constraints, e.g. `"No extra libraries"`. */
  constraints?: Array<string>
  /** Strict FILE-manifest mode: no prose anywhere. */
  strict?: boolean
  /** The threshold of "minimal dependencies" (default 20). */
  maxDependencies?: number
  /** Look for minified code (default true). */
  checkMinified?: boolean
}

/**
 * Validate generated output against a stack and constraints; the stack is looked up in
 * `registry` (default: the built-in stacks). Throws `code: 'unknown_stack'`.
 */
export declare function validateOutput(text: string, options?: ValidateOptions | undefined | null, registry?: StackRegistry | undefined | null): ValidationResult

/** The rules guardrails enforces for a stack. */
export interface ValidationRules {
  requiredFiles: Array<string>
  requiredDirs: Array<string>
  recommendedFiles: Array<string>
  forbiddenFiles: Array<string>
  forbiddenImports: Array<string>
  expectedCommands: Array<string>
  builtinModules: Array<string>
}
