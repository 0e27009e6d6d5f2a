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
