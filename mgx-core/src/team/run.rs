//! One run of a team: the message loop, approval, revision rounds, writing the result, and
//! the report.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{ApprovalPolicy, Facts, Message, TeamInner, kinds};
use crate::budget::{BudgetTracker, ReserveError};
use crate::error::{Error, Result};
use crate::events::{Emitter, EventSink, EventType, FanOut, emit};
use crate::llm::{ChatMessage, ChatRequest, ChatResponse, LlmProvider};
use crate::providers::{ACTION_TAG, CachedProvider, Offline};

/// The answer of an approval policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Approval {
    /// Go ahead (with feedback for the engineer, if any).
    Approve {
        /// Notes the engineer gets with the plan.
        feedback: Option<String>,
    },
    /// Stop the run.
    Reject {
        /// Why.
        reason: String,
    },
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RunStatus {
    /// The result was written.
    Completed,
    /// The plan was rejected; nothing was written.
    Rejected,
    /// A call would have passed the budget; the run stopped (nothing written).
    BudgetExceeded,
    /// Something failed (see the error); nothing was written.
    Failed,
    /// The run was cancelled; nothing was written.
    Cancelled,
}

/// The reviewer's verdict, as the reviewer must give it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewVerdict {
    /// `approved` or `changes_required`.
    pub verdict: String,
    /// What to change (or what is good).
    #[serde(default)]
    pub findings: Vec<String>,
}

impl ReviewVerdict {
    /// Whether the review approves.
    pub fn approved(&self) -> bool {
        self.verdict == "approved"
    }
}

/// One validation of code: the engineer's output (or a custom role's), or the code with the
/// changes tests make to its files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Validation {
    /// 1 for the first answer, 2 for the first revision …
    pub attempt: usize,
    /// Whether it passed.
    pub valid: bool,
    /// The validator's summary.
    pub summary: String,
    /// The errors' messages.
    pub errors: Vec<String>,
    /// The warnings' messages (a recommended file missing, a command the stack usually has
    /// nowhere in the output …): the output passes with them.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// What was not checked by machine, and why (a constraint the reviewer checks …).
    #[serde(default)]
    pub notes: Vec<String>,
}

impl Validation {
    /// Attempt `attempt`'s validation from what the validator found (the findings' messages
    /// moved out: each list keeps its allocation).
    pub(super) fn of(attempt: usize, result: mgx_guardrails::ValidationResult) -> Self {
        let summary = result.summary();
        let valid = result.is_valid();
        let messages = |found: Vec<mgx_guardrails::Finding>| -> Vec<String> {
            found.into_iter().map(|f| f.message).collect()
        };
        let (errors, warnings, notes) = result.into_parts();
        Validation {
            attempt,
            valid,
            summary,
            errors: messages(errors),
            warnings: messages(warnings),
            notes: messages(notes),
        }
    }
}

/// What a run did: the outcome and everything that led to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// The run.
    pub run_id: String,
    /// The task's id.
    pub task_id: String,
    /// How it ended.
    pub status: RunStatus,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// The error's stable code, when it failed.
    pub error_code: Option<String>,
    /// The error itself, when the run did not complete (not serialized: `error` and
    /// `error_code` say it in JSON). Bindings raise it, with a provider's own exception as its
    /// cause.
    #[serde(skip)]
    pub failure: Option<Error>,
    /// The stack's id.
    pub stack: Option<String>,
    /// How sure the choice of the stack is (1.0 when it was named).
    pub stack_confidence: f64,
    /// The providers used (`offline/scaffold` says the result is a scaffold, not a model's).
    pub providers: Vec<String>,
    /// The analysis (the team leader's JSON).
    pub analysis: Option<serde_json::Value>,
    /// The plan's steps.
    pub plan: Vec<String>,
    /// The files written (code and tests), relative to the output directory.
    pub files: Vec<String>,
    /// The test files among them.
    pub tests: Vec<String>,
    /// The last review.
    pub review: Option<ReviewVerdict>,
    /// Every validation of the engineer's output.
    pub validations: Vec<Validation>,
    /// Reviewer-driven revision rounds.
    pub revision_rounds: usize,
    /// Model calls made (cache hits included).
    pub llm_calls: u64,
    /// Calls answered from the cache.
    pub cache_hits: u64,
    /// Prompt tokens the servers reported (`None` when any call's usage is unknown).
    pub tokens_in: Option<u64>,
    /// Answer tokens the servers reported (`None` when any call's usage is unknown).
    pub tokens_out: Option<u64>,
    /// Dollars, when every call's usage and price are known.
    pub cost_usd: Option<f64>,
    /// Wall time per phase, in milliseconds (`analysis`, `approval`, `code`, `tests`,
    /// `review`, `apply`). The names are borrowed, as [`Message::kind`] is: a run made a
    /// string for each, twice (here and in the profile).
    pub phase_ms: HashMap<Cow<'static, str>, u64>,
    /// Where the result was written.
    pub output_dir: Option<String>,
    /// The run's journal (with [`super::TeamBuilder::run_dir`]), for [`super::Team::resume`].
    pub run_dir: Option<String>,
    /// Where the run's time went and the memory the process held.
    #[serde(default)]
    pub profile: Option<super::profile::RunProfile>,
    /// What formatting did, when the team formats ([`super::TeamBuilder::format`]).
    #[serde(default)]
    pub formatting: Option<crate::format::FormatReport>,
    /// What the git step did, when the team commits ([`super::TeamBuilder::git`]).
    #[serde(default)]
    pub git: Option<crate::git::GitReport>,
}

impl RunReport {
    fn empty(run_id: String, task_id: String) -> Self {
        RunReport {
            run_id,
            task_id,
            status: RunStatus::Failed,
            error: None,
            error_code: None,
            failure: None,
            stack: None,
            stack_confidence: 0.0,
            providers: Vec::new(),
            analysis: None,
            plan: Vec::new(),
            files: Vec::new(),
            tests: Vec::new(),
            review: None,
            validations: Vec::new(),
            revision_rounds: 0,
            llm_calls: 0,
            cache_hits: 0,
            tokens_in: None,
            tokens_out: None,
            cost_usd: None,
            phase_ms: HashMap::new(),
            output_dir: None,
            run_dir: None,
            profile: None,
            formatting: None,
            git: None,
        }
    }

    pub(super) fn failed_without_run(error: Error) -> Self {
        let mut r = RunReport::empty(String::new(), String::new());
        r.error_code = Some(error.code().to_string());
        r.error = Some(error.to_string());
        r.failure = Some(error);
        r
    }

    /// The report of a run whose task was dropped before the run ended (its runtime shut
    /// down): cancelled, nothing written.
    pub(super) fn dropped() -> Self {
        let mut r = Self::failed_without_run(Error::Cancelled);
        r.status = RunStatus::Cancelled;
        r
    }

    /// The report of a run whose task panicked (a custom role or provider can; the run's own
    /// code does not): said, not passed on.
    pub(super) fn abnormal() -> Self {
        Self::failed_without_run(Error::Task {
            message: "the run's task ended abnormally".into(),
        })
    }
}

#[derive(Default)]
struct Metrics {
    calls: u64,
    cache_hits: u64,
    tokens_in: u64,
    tokens_out: u64,
    usage_unknown: bool,
    cost: f64,
    cost_unknown: bool,
    /// Wall time per phase (a handful of phases: a list, no hashing while the run goes).
    phase_ms: Vec<(&'static str, u64)>,
    /// Each model call's wall time, in milliseconds.
    llm_ms: Vec<u64>,
}

/// What roles and actions see of their run.
///
/// In declared order (`repr(C)`), what every model call reads and writes first: thousands
/// of runs waiting on their models find their context gone cold from the cache when an
/// answer comes, and these fields together take 312 bytes (five or six cache lines) where,
/// spread among the rest, they spanned eight lines.
#[repr(C)]
pub struct RunContext {
    // What each call and each message touches.
    /// The message list and system text of the last call, for the next to reuse.
    request_scratch: Mutex<Option<(Vec<ChatMessage>, String)>>,
    metrics: Mutex<Metrics>,
    history: Mutex<Vec<Arc<Message>>>,
    control: Arc<Control>,
    models: Arc<Models>,
    budget: BudgetTracker,
    system_prompts: Arc<super::prompts::SystemPrompts>,
    /// The run's events.
    pub events: Emitter,
    /// The run's fixed facts, rendered once (see `roles::brief_head`).
    pub(super) brief_head: String,
    call_timeout: std::time::Duration,
    cache: Option<Arc<dyn crate::cache::Cache>>,
    cache_errors_seen: AtomicU64,
    max_tokens: u32,
    // The rest.
    /// The task.
    pub task: mgx_stacks::TaskSpec,
    /// The stack.
    pub stack: Option<&'static mgx_stacks::StackSpec>,
    /// Constraints the output must meet.
    pub constraints: Vec<String>,
    /// Extra engineer attempts on validation errors.
    pub max_validation_retries: usize,
    /// The validator of the engineer's output (the stack's rules and the constraints).
    pub validator: Arc<mgx_guardrails::Validator<'static>>,
    /// The project being patched (patch mode), and what the engineer is shown of it.
    pub project: Option<std::path::PathBuf>,
    /// The project's file tree and relevant files (patch mode).
    pub project_brief: Option<serde_json::Value>,
    /// The `.pre-commit-config.yaml` to write with the result, when asked for.
    pre_commit: Option<String>,
    /// A person in the reviewer's place, when the team has one.
    pub human_reviewer: Option<super::HumanReviewer>,
    validations: Mutex<Vec<Validation>>,
}

impl RunContext {
    /// The messages published so far, oldest first.
    pub fn history(&self) -> Vec<Arc<Message>> {
        self.history
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Keep what a reaction produced before one of its actions failed: the run ends with
    /// that failure, and its report still shows what was made (and paid for) before it.
    pub(super) fn keep_before_failure(&self, messages: Vec<Message>) {
        self.history
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(messages.into_iter().map(Arc::new));
    }

    /// The newest message of `kind`.
    pub fn latest(&self, kind: &str) -> Option<Arc<Message>> {
        self.history
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .rev()
            .find(|m| m.kind == kind)
            .cloned()
    }

    /// The system prompt of `action`: the caller's template or the default, filled in (empty
    /// for an action without one).
    pub fn system_prompt(&self, action: &str) -> String {
        self.system_prompt_text(action).to_string()
    }

    /// [`RunContext::system_prompt`] without a copy (rendered once per team and stack).
    pub(super) fn system_prompt_text(&self, action: &str) -> &str {
        self.system_prompts.get(action).map_or("", String::as_str)
    }

    /// Record a validation of generated output.
    pub fn record_validation(&self, v: Validation) {
        self.validations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(v);
    }

    /// Resolves when the run is cancelled (never, for a run that cannot be: see
    /// `Control::cancellable`).
    pub(super) async fn cancelled(&self) {
        if self.control.cancellable() {
            self.control.cancellation().await;
        } else {
            std::future::pending::<()>().await;
        }
    }

    /// Ask the model of `role` for `action`: the system prompt (its first line tags the
    /// action for the offline provider) and the user message. Budget, cache, provider, events.
    pub async fn ask(
        &self,
        role: &str,
        action: &str,
        system: &str,
        user: &str,
    ) -> Result<ChatResponse> {
        self.ask_lending(role, action, system, &mut user.to_string())
            .await
    }

    /// [`RunContext::ask`] with the user message lent to the request rather than copied into
    /// it: `user` is moved in and given back when the call is over (the caller can add to it
    /// and ask again). Prompts run to kilobytes: a copy per call was ≈ 6% of the bytes a run
    /// allocated, all of it written to memory gone cold between calls.
    pub(super) async fn ask_lending(
        &self,
        role: &str,
        action: &str,
        system: &str,
        user: &mut String,
    ) -> Result<ChatResponse> {
        // The run's request buffers, reused from call to call (a run's calls follow one another;
        // calls made at once find them taken and make their own).
        let (mut messages, mut system_text) = self
            .request_scratch
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .unwrap_or_else(|| {
                // Room for the action tag and the team's longest system prompt.
                let room = ACTION_TAG.len() + 32 + self.system_prompts.longest;
                (Vec::with_capacity(2), String::with_capacity(room))
            });
        system_message(&mut system_text, action, system);
        messages.push(ChatMessage::system(system_text));
        messages.push(ChatMessage::user(std::mem::take(user)));
        let mut request = ChatRequest::new(messages);
        request.max_tokens = Some(self.max_tokens);
        let answer = self.send(role, action, &request).await;
        let mut messages = request.messages;
        if let Some(lent) = messages.pop() {
            *user = lent.content;
        }
        let system_text = messages.pop().map(|m| m.content).unwrap_or_default();
        messages.clear();
        *self
            .request_scratch
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((messages, system_text));
        answer
    }

    /// One call: budget, provider (with the call's deadline and the run's cancellation),
    /// metrics, events.
    async fn send(&self, role: &str, action: &str, request: &ChatRequest) -> Result<ChatResponse> {
        // A cancelled run asks nothing more (the race below could start the call first).
        if self.control.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let Model { provider, id } = self.models.of(role);
        let reservation = self
            .budget
            .reserve(&id.model, request)
            .map_err(|e| match e {
                ReserveError::Exceeded(e) => Error::BudgetExceeded {
                    message: e.to_string(),
                },
                ReserveError::Unpriced(e) => e,
            })?;
        let started = Instant::now();
        let call = tokio::time::timeout(self.call_timeout, provider.complete(request));
        let deadline = |_| Error::Timeout {
            stage: crate::error::TimeoutStage::Deadline,
            attempts: 0,
        };
        // A waiter on the run's cancellation costs a call two writes to memory shared with
        // the run's handle (registering, then leaving): only a run with a handle pays them.
        let answer = if self.control.cancellable() {
            tokio::select! {
                answer = call => answer.map_err(deadline)??,
                () = self.control.cancellation() => return Err(Error::Cancelled),
            }
        } else {
            call.await.map_err(deadline)??
        };
        let usage = if answer.cached { None } else { answer.usage };
        let cost = reservation.cost(answer.usage.as_ref());
        if answer.cached {
            drop(reservation);
        } else {
            reservation.settle(answer.usage);
        }
        {
            let mut m = self
                .metrics
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            m.calls += 1;
            m.llm_ms.push(started.elapsed().as_millis() as u64);
            if answer.cached {
                m.cache_hits += 1;
            } else {
                match usage {
                    Some(u) => {
                        m.tokens_in += u.prompt_tokens;
                        m.tokens_out += u.completion_tokens;
                    }
                    None => m.usage_unknown = true,
                }
                match cost {
                    Some(c) => m.cost += c,
                    None => m.cost_unknown = true,
                }
            }
        }
        // A cache backend that failed (Redis down) answered a miss: the run goes on, and says so.
        if let Some(cache) = &self.cache {
            let errors = cache.stats().errors;
            let seen = self.cache_errors_seen.swap(errors, Ordering::Relaxed);
            if errors > seen {
                emit!(
                    self.events,
                    EventType::Warning,
                    "The cache backend is failing; answers are not cached",
                    serde_json::json!({"component": "cache", "errors": errors - seen}),
                );
            }
        }
        self.events.emit_lazy(EventType::LlmCall, || {
            (
                format!("{role}: {action}"),
                serde_json::json!({
                    "role": role,
                    "action": action,
                    "provider": id.to_string(),
                    "cached": answer.cached,
                    "attempts": answer.attempts,
                    "tokens_in": answer.usage.map(|u| u.prompt_tokens),
                    "tokens_out": answer.usage.map(|u| u.completion_tokens),
                    "cost_usd": if answer.cached { Some(0.0) } else { cost },
                    "ms": started.elapsed().as_millis() as u64,
                }),
            )
        });
        Ok(answer)
    }
}

/// The system message of a call into `text`: the action tag line, then the prompt (at most
/// one allocation; a `format!` of a long prompt grows its buffer several times).
fn system_message(text: &mut String, action: &str, system: &str) {
    text.clear();
    text.reserve(ACTION_TAG.len() + action.len() + system.len() + 2);
    for part in [ACTION_TAG, " ", action, "\n", system] {
        text.push_str(part);
    }
}

/// The providers of a run and their ids: the team's (and each role's), each wrapped in the
/// run's cassette when it has a journal, then in the team's cache. Without a journal they are
/// the same for every run of a team: built once, and shared.
pub(super) struct Models {
    provider: Model,
    by_role: HashMap<String, Model>,
    /// Every distinct provider id, sorted (the report lists them).
    ids: Vec<String>,
}

impl Models {
    /// The models of a run journaled in `journal_dir` (`None`: not journaled).
    pub(super) fn build(
        config: &super::TeamBuilder,
        journal_dir: Option<&std::path::Path>,
    ) -> Result<Models> {
        // Provider, then the journal's cassette (every answer recorded; a resumed run is
        // answered from it), then the cache.
        let wrap = |p: Arc<dyn LlmProvider>| -> Result<Model> {
            let p: Arc<dyn LlmProvider> = match journal_dir {
                Some(dir) => Arc::new(crate::providers::Cassette::open(
                    dir.join("calls.jsonl"),
                    crate::providers::CassetteMode::RecordMissing,
                    Some(p),
                )?),
                None => p,
            };
            let p: Arc<dyn LlmProvider> = match &config.cache {
                Some(cache) => Arc::new(CachedProvider::new(p, cache.clone())),
                None => p,
            };
            // Each provider's id asked once: the report lists it, and calls are priced by it.
            Ok(Model::new(p))
        };
        let provider = wrap(config.provider.clone().unwrap_or_else(|| Arc::new(Offline)))?;
        let by_role = config
            .role_providers
            .iter()
            .map(|(r, p)| Ok((r.clone(), wrap(p.clone())?)))
            .collect::<Result<HashMap<String, Model>>>()?;
        let mut ids: Vec<String> = std::iter::once(&provider)
            .chain(by_role.values())
            .map(|m| m.id.to_string())
            .collect();
        ids.sort();
        ids.dedup();
        Ok(Models {
            provider,
            by_role,
            ids,
        })
    }

    /// The model `role` calls.
    fn of(&self, role: &str) -> &Model {
        self.by_role.get(role).unwrap_or(&self.provider)
    }
}

/// A provider and its id, asked once rather than once per call.
struct Model {
    provider: Arc<dyn LlmProvider>,
    id: crate::llm::ProviderId,
}

impl Model {
    fn new(provider: Arc<dyn LlmProvider>) -> Self {
        Model {
            id: provider.id(),
            provider,
        }
    }
}

/// What passes between a run and its [`RunHandle`]: one watch channel when the run has a
/// handle (one allocation, where a channel for each of these took four), and the
/// cancellation beside it.
pub(super) struct Control {
    /// What the handle reads (the plan, the change set) and writes (decisions). `None` for a
    /// run without a handle ([`super::Team::run`], a resumed run): nobody can see what it
    /// publishes or decide for it, so no channel is made, and nothing is sent on one.
    state: Option<tokio::sync::watch::Sender<Gate>>,
    /// Set once, when the run is cancelled. Every model call waits on cancellation and every
    /// message checks it: a flag and a [`tokio::sync::Notify`] in this allocation cost a
    /// call one registration, where a watch receiver per call (subscribe, read lock, one of
    /// the channel's notifiers) touched several lines of memory gone cold while it waited.
    cancelled: std::sync::atomic::AtomicBool,
    cancel_notify: tokio::sync::Notify,
}

/// The state behind [`Control`].
#[derive(Default)]
struct Gate {
    /// The plan, once made.
    plan: Option<Arc<Message>>,
    /// Patch mode: the change set waiting for approval.
    change_set: Option<Arc<Message>>,
    /// The caller's decision for the gate that waits (taken by it).
    decision: Option<Approval>,
}

impl Control {
    /// The control of a run with a [`RunHandle`].
    pub(super) fn new() -> Arc<Control> {
        Self::make(Some(tokio::sync::watch::channel(Gate::default()).0))
    }

    /// The control of a run without a handle: cancellation only.
    pub(super) fn without_handle() -> Arc<Control> {
        Self::make(None)
    }

    fn make(state: Option<tokio::sync::watch::Sender<Gate>>) -> Arc<Control> {
        Arc::new(Control {
            state,
            cancelled: std::sync::atomic::AtomicBool::new(false),
            cancel_notify: tokio::sync::Notify::new(),
        })
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    /// Whether the run can be cancelled while it goes: only through a [`RunHandle`]. A run
    /// without one is cancelled before it starts or not at all (dropping its future stops it
    /// too), so its calls need not wait on a cancellation that cannot come.
    fn cancellable(&self) -> bool {
        self.state.is_some()
    }

    /// Cancel the run (before it starts, or while it runs).
    pub(super) fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
        self.cancel_notify.notify_waiters();
    }

    /// Resolves when the run is cancelled.
    async fn cancellation(&self) {
        let notified = self.cancel_notify.notified();
        let mut notified = std::pin::pin!(notified);
        // Registered before the flag is read: a cancel in between still wakes this wait
        // (`notify_waiters` wakes the registered, and stores nothing for later ones).
        notified.as_mut().enable();
        if self.is_cancelled() {
            return;
        }
        notified.await;
    }

    /// Publish the plan to the run's handle.
    fn publish_plan(&self, plan: Arc<Message>) {
        if let Some(state) = &self.state {
            state.send_modify(|gate| gate.plan = Some(plan));
        }
    }

    /// Publish the change set waiting for approval.
    fn publish_change_set(&self, change_set: Arc<Message>) {
        if let Some(state) = &self.state {
            state.send_modify(|gate| gate.change_set = Some(change_set));
        }
    }

    fn decide(&self, approval: Approval) {
        if let Some(state) = &self.state {
            state.send_modify(|gate| gate.decision = Some(approval));
        }
    }

    /// The next decision: waits for one and takes it, so the next gate waits for its own;
    /// `None` only if the wait ended without one (the channel closed), which the gate
    /// treats as no approval. Without a handle nobody decides: it waits until the gate's
    /// timeout (or the run's cancellation) ends the wait.
    async fn decision(&self) -> Option<Approval> {
        let Some(state) = &self.state else {
            return std::future::pending().await;
        };
        let mut rx = state.subscribe();
        rx.wait_for(|gate| gate.decision.is_some()).await.ok()?;
        drop(rx);
        let mut taken = None;
        state.send_if_modified(|gate| {
            taken = gate.decision.take();
            false
        });
        taken
    }
}

/// A run started with [`super::Team::start`]: its plan, its approval, its cancellation and its
/// report. Dropping the handle does not stop the run; every method takes `&self`, so a handle
/// can be shared (the report can be awaited more than once, from several places).
pub struct RunHandle {
    control: Arc<Control>,
    /// The report, once the run has ended; closed without one only if the run's task died.
    done: tokio::sync::watch::Receiver<Option<RunReport>>,
}

impl RunHandle {
    pub(super) fn new(
        control: Arc<Control>,
        done: tokio::sync::watch::Receiver<Option<RunReport>>,
    ) -> Self {
        RunHandle { control, done }
    }

    /// The plan, once the team leader has made it (`None` when the run ended before).
    pub async fn plan(&self) -> Option<Message> {
        self.published(|gate| &gate.plan).await
    }

    /// The change set waiting for approval in patch mode (after the plan was approved): its
    /// `data` has the `hash`, the `diff` and the `files`. `None` when the run ended before.
    pub async fn change_set(&self) -> Option<Message> {
        self.published(|gate| &gate.change_set).await
    }

    /// What the run publishes (`field` of its state), or `None` once it has ended without it.
    async fn published(&self, field: fn(&Gate) -> &Option<Arc<Message>>) -> Option<Message> {
        let mut rx = self.control.state.as_ref()?.subscribe();
        let mut done = self.done.clone();
        loop {
            if let Some(m) = field(&rx.borrow_and_update()) {
                return Some(Message::clone(m));
            }
            if done.borrow_and_update().is_some() {
                return None;
            }
            tokio::select! {
                changed = rx.changed() => if changed.is_err() { return None },
                changed = done.changed() => if changed.is_err() { return field(&rx.borrow()).as_deref().cloned() },
            }
        }
    }

    /// Approve what waits for approval — the plan, or in patch mode then the change set
    /// (with notes for the engineer).
    pub fn approve(&self, feedback: Option<String>) {
        self.control.decide(Approval::Approve { feedback });
    }

    /// Reject what waits for approval: the run ends and writes nothing.
    pub fn reject(&self, reason: impl Into<String>) {
        self.control.decide(Approval::Reject {
            reason: reason.into(),
        });
    }

    /// Cancel the run: it stops at once (a call in flight is dropped) and writes nothing; a
    /// write already started completes, atomically.
    pub fn cancel(&self) {
        self.control.cancel();
    }

    /// Whether the run has ended.
    pub fn is_finished(&self) -> bool {
        self.done.borrow().is_some() || self.done.has_changed().is_err()
    }

    /// Wait for the run to end.
    pub async fn report(&self) -> RunReport {
        let mut done = self.done.clone();
        let report = match done.wait_for(Option::is_some).await {
            Ok(report) => report.clone(),
            Err(_) => None,
        };
        // The run's task sends a report however it ends; were it ever lost, say so.
        report.unwrap_or_else(RunReport::abnormal)
    }
}

static RUN_SEQ: AtomicU64 = AtomicU64::new(0);

fn new_run_id() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "run_{}{:03}_{}_{}",
        now.as_secs(),
        now.subsec_millis(),
        std::process::id(),
        RUN_SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

struct Outcome {
    status: RunStatus,
    error: Option<Error>,
}

/// What `run.json` of a journaled run holds.
#[derive(Serialize, Deserialize)]
struct Journal {
    task: String,
    output_dir: std::path::PathBuf,
    run_id: String,
}

pub(super) async fn resume(
    team: Arc<TeamInner>,
    run_dir: &std::path::Path,
    run_sinks: &[Arc<dyn EventSink>],
) -> RunReport {
    let journal: std::result::Result<Journal, String> =
        std::fs::read_to_string(run_dir.join("run.json"))
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()));
    let journal = match journal {
        Ok(j) => j,
        Err(e) => {
            return RunReport::failed_without_run(Error::Io {
                path: run_dir.join("run.json"),
                message: format!("not a run directory: {e}"),
            });
        }
    };
    // A write the crash interrupted is rolled back first; then the run writes again.
    let target = team
        .config
        .project
        .clone()
        .unwrap_or(journal.output_dir.clone());
    if target.join(".mgx").exists()
        && let Err(e) = mgx_patch::recover(&target)
    {
        return RunReport::failed_without_run(Error::Apply {
            message: format!("recovering {}: {e}", target.display()),
        });
    }
    run(
        team,
        &journal.task,
        &journal.output_dir,
        Control::without_handle(),
        Some(run_dir.to_path_buf()),
        run_sinks,
    )
    .await
}

pub(super) async fn run(
    team: Arc<TeamInner>,
    task_text: &str,
    output_dir: &std::path::Path,
    control: Arc<Control>,
    resumed: Option<std::path::PathBuf>,
    run_sinks: &[Arc<dyn EventSink>],
) -> RunReport {
    let config = &team.config;
    // Wait for a slot when the team limits its concurrent runs (the semaphore is never closed).
    let _slot = match &team.slots {
        Some(slots) => slots.clone().acquire_owned().await.ok(),
        None => None,
    };
    let run_started = Instant::now();
    let rss_start = super::profile::Memory::now().rss;
    let run_id = new_run_id();
    let task_id = format!("task_{}", &run_id[4..]);
    // The run's journal: where it is, its events file.
    let journal_dir = resumed
        .clone()
        .or_else(|| config.run_dir.as_ref().map(|base| base.join(&run_id)));
    let mut journal_events: Option<Arc<crate::events::JsonLinesSink>> = None;
    if let Some(dir) = &journal_dir {
        let opened = std::fs::create_dir_all(dir)
            .map_err(Error::io(dir))
            .and_then(|()| {
                if resumed.is_none() {
                    let j = Journal {
                        task: task_text.to_string(),
                        output_dir: output_dir.to_path_buf(),
                        run_id: run_id.clone(),
                    };
                    let text = serde_json::to_string_pretty(&j).unwrap_or_default();
                    std::fs::write(dir.join("run.json"), text)
                        .map_err(Error::io(dir.join("run.json")))?;
                }
                crate::events::JsonLinesSink::create(dir.join("events.jsonl"), 4096)
            });
        match opened {
            Ok(sink) => journal_events = Some(Arc::new(sink)),
            Err(e) => return RunReport::failed_without_run(e),
        }
    }
    let mut sinks = config.sinks.clone();
    sinks.extend(run_sinks.iter().cloned());
    if let Some(j) = &journal_events {
        sinks.push(j.clone());
    }
    // A run nobody listens to allocates nothing for its events.
    let events = if sinks.is_empty() {
        Emitter::silent()
    } else {
        Emitter::new(&task_id, &run_id, Arc::new(FanOut(sinks)))
    };
    // The report is built when the run ends (or fails before it starts working): one built
    // now would be 920 bytes written at the start and read again at the end, cold both times
    // when thousands of runs wait on their models.
    let early = || RunReport::empty(run_id.clone(), task_id.clone());

    // The task and its stack.
    let mut task = match mgx_stacks::TaskSpec::parse(task_text) {
        Ok(t) => t,
        Err(e) => {
            return fail(
                early(),
                &events,
                Error::Task {
                    message: e.to_string(),
                },
            );
        }
    };
    if let Some(id) = &config.stack {
        task.target_stack = Some(id.clone());
    }
    task.constraints.extend(config.constraints.iter().cloned());
    let registry = mgx_stacks::StackRegistry::builtin();
    let (mut stack, mut confidence) = match task.resolve_stack(registry) {
        Ok(resolved) => (resolved.spec(), resolved.confidence()),
        Err(e) => {
            return fail(
                early(),
                &events,
                Error::Task {
                    message: e.to_string(),
                },
            );
        }
    };
    // A project to patch says what it is built with, when the task does not.
    let project_dir = config.project.clone().or_else(|| {
        (task.output_mode == mgx_stacks::OutputMode::PatchExisting)
            .then(|| task.existing_project_path.clone())
            .flatten()
    });
    if stack.is_none()
        && let Some(dir) = project_dir.as_deref().filter(|d| d.is_dir())
    {
        let evidence = super::project::stack_evidence(dir);
        let inferred = registry.infer(&format!("{} {evidence}", task.task));
        if let Some(spec) = inferred.stack.as_deref().and_then(|id| registry.find(id)) {
            stack = Some(spec);
            confidence = inferred.confidence;
        }
    }
    let Some(stack) = stack else {
        return fail(
            early(),
            &events,
            Error::Task {
                message:
                    "no stack fits the task: name one (target_stack) or describe the technology"
                        .into(),
            },
        );
    };
    // Failures from here on name the stack (and then the providers) in their report.
    let early = || RunReport {
        stack: Some(stack.id.clone()),
        stack_confidence: confidence,
        ..early()
    };

    // The run's models: shared by the team's runs, or, for a run with a journal, wrapped in
    // its cassette.
    let models = match &journal_dir {
        None => team.models(),
        Some(dir) => Models::build(config, Some(dir)).map(Arc::new),
    };
    let models = match models {
        Ok(models) => models,
        Err(e) => return fail(early(), &events, e),
    };
    let early = || RunReport {
        providers: models.ids.clone(),
        ..early()
    };

    let strict = config.strict || task.strict_requirements;
    let project = project_dir;
    if let Some(dir) = &project
        && !dir.is_dir()
    {
        return fail(
            early(),
            &events,
            Error::Task {
                message: format!(
                    "the project to patch, {}, is not a directory",
                    dir.display()
                ),
            },
        );
    }
    let project_brief = project
        .as_deref()
        .map(|dir| super::project::brief(dir, &task.task, &stack.file_extensions));
    let control_guard = control.clone();
    let system_prompts = team.system_prompts(stack);
    let ctx = RunContext {
        cache_errors_seen: AtomicU64::new(config.cache.as_ref().map_or(0, |c| c.stats().errors)),
        cache: config.cache.clone(),
        system_prompts: Arc::clone(&system_prompts),
        project,
        pre_commit: config
            .pre_commit
            .then(|| crate::format::pre_commit_config(stack))
            .flatten(),
        brief_head: super::roles::brief_head(
            &task.task,
            &system_prompts.stack_facts,
            &task.constraints,
            project_brief.as_ref(),
        ),
        project_brief,
        control,
        human_reviewer: config.human_reviewer.clone(),
        validator: team.validator(stack, &task.constraints, strict),
        constraints: task.constraints.clone(),
        task,
        stack: Some(stack),
        events: events.clone(),
        max_validation_retries: config.max_validation_retries,
        // The default team's run publishes seven messages; a revision round adds four.
        history: Mutex::new(Vec::with_capacity(8)),
        request_scratch: Mutex::new(None),
        validations: Mutex::new(Vec::new()),
        // Room for the default team's five calls and six phases, and a revision round.
        metrics: Mutex::new(Metrics {
            phase_ms: Vec::with_capacity(8),
            llm_ms: Vec::with_capacity(8),
            ..Metrics::default()
        }),
        budget: BudgetTracker::with_shared_prices(config.budget, Arc::clone(&config.prices)),
        models,
        max_tokens: config.max_tokens,
        call_timeout: config.call_timeout,
    };
    emit!(
        events,
        EventType::AnalysisStart,
        "Starting task analysis",
        serde_json::json!({"stack": stack.id, "stack_confidence": confidence}),
    );

    let mut made = Made::default();
    let outcome = drive(&team, &ctx, &mut made, output_dir).await;
    drop(control_guard);
    let report = RunReport {
        stack: Some(stack.id.clone()),
        stack_confidence: confidence,
        run_dir: journal_dir.as_ref().map(|d| d.display().to_string()),
        ..RunReport::empty(run_id, task_id)
    };
    let report = finish(&ctx, report, made, run_started, rss_start);
    let report = conclude(report, outcome, &events);
    if let Some(j) = journal_events {
        // Flush the journal's events; a failure to write them is said, not hidden.
        if let Err(e) = j.close() {
            tracing::warn!(target: "mgx::team", "the run's event journal: {e}");
        }
    }
    report
}

/// End `report` as failed with `error`, and say so with a `failure` event.
fn fail(mut report: RunReport, events: &Emitter, error: Error) -> RunReport {
    emit!(
        events,
        EventType::Failure,
        format!("Task failed: {error}"),
        serde_json::json!({"error": error.to_string(), "code": error.code()}),
    );
    report.status = RunStatus::Failed;
    report.error_code = Some(error.code().to_string());
    report.error = Some(error.to_string());
    report.failure = Some(error);
    report
}

fn conclude(mut report: RunReport, outcome: Outcome, events: &Emitter) -> RunReport {
    match outcome {
        Outcome {
            status: RunStatus::Completed,
            ..
        } => {
            report.status = RunStatus::Completed;
            emit!(
                events,
                EventType::Completion,
                "Task completed successfully",
                serde_json::json!({"files": report.files, "review": report.review}),
            );
            report
        }
        Outcome {
            status: RunStatus::Rejected,
            error,
        } => {
            report.status = RunStatus::Rejected;
            report.error = error.as_ref().map(ToString::to_string);
            report.failure = error;
            emit!(
                events,
                EventType::Cancelled,
                "Plan rejected; nothing was written",
                serde_json::json!({"reason": report.error}),
            );
            report
        }
        Outcome {
            status: RunStatus::Cancelled,
            ..
        } => {
            report.status = RunStatus::Cancelled;
            report.error_code = Some(Error::Cancelled.code().to_string());
            report.error = Some(Error::Cancelled.to_string());
            report.failure = Some(Error::Cancelled);
            emit!(
                events,
                EventType::Cancelled,
                "Task cancelled; nothing was written",
                serde_json::json!({}),
            );
            report
        }
        Outcome { status, error } => {
            let error = error.unwrap_or_else(|| Error::Task {
                message: "the run ended without a result".into(),
            });
            if status == RunStatus::BudgetExceeded {
                emit!(
                    events,
                    EventType::BudgetExceeded,
                    error.to_string(),
                    serde_json::json!({"error": error.to_string()}),
                );
            }
            let mut report = fail(report, events, error);
            report.status = status;
            report
        }
    }
}

/// What a run made while it went, moved into its [`RunReport`] when it ends.
#[derive(Default)]
struct Made {
    plan: Vec<String>,
    review: Option<ReviewVerdict>,
    revision_rounds: usize,
    files: Vec<String>,
    tests: Vec<String>,
    output_dir: Option<String>,
    formatting: Option<crate::format::FormatReport>,
    git: Option<crate::git::GitReport>,
}

/// `report` (the run's ids and stack) with what the run made and measured: the run is over,
/// and what its context collected is moved out, not copied. The outcome is [`conclude`]'s.
fn finish(
    ctx: &RunContext,
    report: RunReport,
    made: Made,
    started: Instant,
    rss_start: Option<u64>,
) -> RunReport {
    let m = ctx
        .metrics
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let phase_ms: HashMap<Cow<'static, str>, u64> = m
        .phase_ms
        .iter()
        .map(|&(phase, ms)| (Cow::Borrowed(phase), ms))
        .collect();
    let profile =
        super::profile::RunProfile::new(started.elapsed(), phase_ms.clone(), &m.llm_ms, rss_start);
    let validations = std::mem::take(
        &mut *ctx
            .validations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    // The latest analysis, moved out of the history (nothing else holds it any more).
    let history = std::mem::take(
        &mut *ctx
            .history
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    let analysis = history
        .into_iter()
        .rev()
        .find(|m| m.kind == kinds::ANALYSIS)
        .map(|analysis| {
            Arc::try_unwrap(analysis).map_or_else(|m| m.data().clone(), Message::into_data)
        });
    RunReport {
        providers: ctx.models.ids.clone(),
        analysis,
        plan: made.plan,
        files: made.files,
        tests: made.tests,
        review: made.review,
        validations,
        revision_rounds: made.revision_rounds,
        llm_calls: m.calls,
        cache_hits: m.cache_hits,
        tokens_in: (!m.usage_unknown).then_some(m.tokens_in),
        tokens_out: (!m.usage_unknown).then_some(m.tokens_out),
        cost_usd: (!m.cost_unknown && !m.usage_unknown).then_some(m.cost),
        phase_ms,
        output_dir: made.output_dir,
        profile: Some(profile),
        formatting: made.formatting,
        git: made.git,
        ..report
    }
}

fn phase_of(kind: &str) -> &'static str {
    match kind {
        kinds::TASK => "analysis",
        kinds::APPROVED_PLAN | kinds::REVISION_REQUEST => "code",
        kinds::CODE => "tests",
        kinds::TESTS => "review",
        _ => "other",
    }
}

fn failed(error: Error) -> Outcome {
    let status = match error {
        Error::BudgetExceeded { .. } => RunStatus::BudgetExceeded,
        Error::Cancelled => RunStatus::Cancelled,
        _ => RunStatus::Failed,
    };
    Outcome {
        status,
        error: Some(error),
    }
}

async fn drive(
    team: &TeamInner,
    ctx: &RunContext,
    made: &mut Made,
    output_dir: &std::path::Path,
) -> Outcome {
    let config = &team.config;
    let mut queue: VecDeque<Arc<Message>> = VecDeque::with_capacity(4);
    queue.push_back(Arc::new(Message::with_facts(
        kinds::TASK,
        "run",
        ctx.task.task.clone(),
        Facts::Task {
            stack: ctx.stack.map(|s| s.id.as_str()),
        },
    )));
    // How often each role (by index) has reacted.
    let mut reactions = vec![0usize; team.roles.len()];
    let mut last_review: Option<Arc<Message>> = None;
    // Custom code that failed validation and went back to its author: the attempts so far
    // and why the last failed. Set, the run may not end on that code.
    let mut custom_invalid: Option<(usize, String)> = None;
    while let Some(mut message) = queue.pop_front() {
        if ctx.control.is_cancelled() {
            return failed(Error::Cancelled);
        }
        // Code or tests a role of the caller's published (the built-in engineer and tester
        // give theirs typed, code validated with revisions; patch mode checks by applying).
        let custom_files = matches!(&*message.kind, kinds::CODE | kinds::TESTS)
            && ctx.project.is_none()
            && message.facts().is_none();
        if custom_files {
            // Given as a FILE manifest in its text: its files, as the run reads them.
            message = with_manifest_files(message);
        }
        ctx.history
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Arc::clone(&message));
        match &*message.kind {
            kinds::ANALYSIS => {
                if let Some(multiplier) = config.complexity_budget
                    && config.budget.max_usd.is_none()
                {
                    let complexity = message.data()["complexity"].as_str().unwrap_or("M");
                    let usd = super::complexity_budget_usd(complexity) * multiplier;
                    ctx.budget.set_max_usd(usd);
                    emit!(
                        ctx.events,
                        EventType::Progress,
                        format!("Budget ${usd:.2} for a task of complexity {complexity}"),
                        serde_json::json!({"budget_usd": usd, "complexity": complexity}),
                    );
                }
            }
            kinds::PLAN => {
                made.plan = message.plan_steps();
                emit!(
                    ctx.events,
                    EventType::PlanReady,
                    "Plan ready for review",
                    serde_json::json!({"plan": {"steps": made.plan}}),
                );
                emit!(
                    ctx.events,
                    EventType::ApprovalRequired,
                    "Plan awaiting approval",
                    serde_json::json!({"plan": {"steps": made.plan}}),
                );
                let started = Instant::now();
                ctx.control.publish_plan(Arc::clone(&message));
                let decision = match decide_boxed(&config.approval, ctx, &message).await {
                    Ok(d) => d,
                    Err(e) => return failed(e),
                };
                add_phase(ctx, "approval", started);
                match decision {
                    Approval::Approve { feedback } => {
                        emit!(
                            ctx.events,
                            EventType::Approved,
                            "Plan approved, execution started",
                            serde_json::json!({"feedback": feedback}),
                        );
                        let approved = message.approved(feedback);
                        queue.push_back(Arc::new(approved));
                    }
                    Approval::Reject { reason } => {
                        emit!(
                            ctx.events,
                            EventType::Rejected,
                            "Plan rejected by user",
                            serde_json::json!({"reason": reason}),
                        );
                        return Outcome {
                            status: RunStatus::Rejected,
                            error: Some(Error::Task { message: reason }),
                        };
                    }
                }
                continue;
            }
            // The stack's rules hold for such code too, before anyone reads it; code that
            // fails goes back with its errors as a `revision_request`, a bounded number of
            // times, as the built-in engineer's goes back to its model.
            kinds::CODE if custom_files => match validate_published_code(ctx, &message) {
                Ok(()) => custom_invalid = None,
                Err(rejected) => {
                    let attempts = custom_invalid.as_ref().map_or(1, |(n, _)| n + 1);
                    let revisable = team
                        .watches
                        .iter()
                        .any(|w| w.iter().any(|k| k == kinds::REVISION_REQUEST));
                    if attempts > ctx.max_validation_retries || !revisable {
                        return failed(Error::Invalid {
                            attempts,
                            summary: rejected.summary,
                        });
                    }
                    queue.push_back(Arc::new(Message::new(
                        kinds::REVISION_REQUEST,
                        "run",
                        format!("The code failed validation: {}", rejected.summary),
                        serde_json::json!({
                            "validation_errors": rejected.errors,
                            "attempt": attempts,
                        }),
                    )));
                    custom_invalid = Some((attempts, rejected.summary));
                    continue;
                }
            },
            kinds::CODE => custom_invalid = None,
            // Tests of a role of the caller's that change files of the code: the code with
            // their changes must pass as the code did (the built-in tester checks its own).
            kinds::TESTS if custom_files => {
                if let Some(code) = ctx.latest(kinds::CODE) {
                    let tests = message.files();
                    if let Err(rejected) =
                        tests_keep_code_valid(ctx, &message.from, &code, tests.iter().copied())
                    {
                        return failed(Error::Invalid {
                            attempts: 1,
                            summary: rejected.summary,
                        });
                    }
                }
            }
            kinds::REVIEW => {
                made.review = message.review_verdict();
                let approved = made.review.as_ref().is_some_and(ReviewVerdict::approved);
                // The review before, held rather than its text copied.
                let repeated = last_review
                    .as_ref()
                    .is_some_and(|before: &Arc<Message>| before.content == message.content);
                last_review = Some(Arc::clone(&message));
                if !approved && !repeated && made.revision_rounds < config.max_revision_rounds {
                    made.revision_rounds += 1;
                    emit!(
                        ctx.events,
                        EventType::RevisionRound,
                        format!("Revision round {}", made.revision_rounds),
                        serde_json::json!({"round": made.revision_rounds, "findings": made.review.as_ref().map(|v| &v.findings)}),
                    );
                    queue.push_back(Arc::new(Message::with_data(
                        kinds::REVISION_REQUEST,
                        "run",
                        message.content.clone(),
                        message.data.clone(),
                    )));
                    continue;
                }
            }
            _ => {}
        }
        for (index, role) in team.roles.iter().enumerate() {
            if !team.watches[index].iter().any(|w| *w == message.kind) {
                continue;
            }
            let count = &mut reactions[index];
            if *count >= config.max_rounds {
                emit!(
                    ctx.events,
                    EventType::Warning,
                    format!("{} reached max_rounds ({})", role.name(), config.max_rounds),
                    serde_json::json!({"role": role.name()}),
                );
                continue;
            }
            *count += 1;
            let started = Instant::now();
            // Named now, while the message is at hand: after the reaction it is memory gone
            // cold (its model call took the time a thousand other runs took theirs).
            let phase = phase_of(&message.kind);
            ctx.events.emit_lazy(EventType::Progress, || {
                (
                    format!("{} is working on {}", role.name(), message.kind),
                    serde_json::json!({"role": role.name(), "current_phase": phase}),
                )
            });
            // The default team's roles are `ActionRole`s: called directly, no box per call.
            let any: &dyn std::any::Any = role.as_ref();
            let reacted = match any.downcast_ref::<super::ActionRole>() {
                Some(role) => role.react_unboxed(ctx, &message).await,
                None => role.react(ctx, &message).await,
            };
            match reacted {
                Ok(produced) => queue.extend(produced.into_iter().map(Arc::new)),
                Err(e) => return failed(e),
            }
            add_phase(ctx, phase, started);
        }
    }
    // Invalid code went back and no valid code came (its author answered otherwise, or had
    // reacted `max_rounds` times): the run ends on the validation, not on that code.
    if let Some((attempts, summary)) = custom_invalid {
        return failed(Error::Invalid { attempts, summary });
    }
    let started = Instant::now();
    let options = mgx_patch::ApplyOptions {
        dry_run: config.dry_run,
        fsync: config.fsync,
        ..mgx_patch::ApplyOptions::default()
    };
    // The repository as it is before anything is written, for the git step to leave it so.
    let target = ctx
        .project
        .clone()
        .unwrap_or_else(|| output_dir.to_path_buf());
    let git = match &config.git {
        Some(_) if !config.dry_run => Some(Box::pin(crate::git::GitSession::before(&target)).await),
        _ => None,
    };
    let outcome = match ctx.project.clone() {
        Some(project) => {
            Box::pin(patch_project(
                ctx,
                &config.approval,
                &project,
                &options,
                made,
            ))
            .await
        }
        None => write_result(ctx, output_dir, &options, made),
    };
    add_phase(ctx, "apply", started);
    if outcome.status == RunStatus::Completed
        && !config.dry_run
        && let (Some(timeout), Some(stack)) = (config.format, ctx.stack)
    {
        let started = Instant::now();
        let dir = ctx
            .project
            .clone()
            .unwrap_or_else(|| output_dir.to_path_buf());
        let options = crate::format::FormatOptions {
            timeout,
            whole_project: ctx.project.is_none() && crate::format::holds_only(&dir, &made.files),
        };
        let formatted = Box::pin(crate::format::format_files(
            &dir,
            stack,
            &made.files,
            &options,
        ))
        .await;
        for run in &formatted.ran {
            let (kind, verb) = if run.ok {
                (EventType::Progress, "formatted")
            } else {
                (EventType::Warning, "failed to format")
            };
            emit!(
                ctx.events,
                kind,
                format!("{} {verb} {} files", run.tool, run.changed.len()),
                serde_json::json!({"component": "format", "tool": run.tool, "changed": run.changed, "message": run.message}),
            );
        }
        for tool in &formatted.missing {
            emit!(
                ctx.events,
                EventType::Warning,
                format!("{tool} is not installed; the files are left as written"),
                serde_json::json!({"component": "format", "tool": tool, "missing": true}),
            );
        }
        made.formatting = Some(formatted);
        add_phase(ctx, "format", started);
    }
    if outcome.status == RunStatus::Completed
        && let (Some(session), Some(options)) = (git, &config.git)
    {
        let started = Instant::now();
        made.git =
            Some(Box::pin(session.commit(&ctx.task.task, &made.files, options, &ctx.events)).await);
        add_phase(ctx, "git", started);
    }
    outcome
}

/// [`decide`], its future on the heap unless the policy answers at once. Here and for the
/// other phases few runs take (patching, formatting, git), a future awaited in place would
/// take its room in every run's future for the whole run: 10,000 concurrent runs held
/// 5.4 KB each where 3 KB are used.
async fn decide_boxed(
    policy: &ApprovalPolicy,
    ctx: &RunContext,
    message: &Message,
) -> Result<Approval> {
    match policy {
        ApprovalPolicy::Auto => Ok(Approval::Approve { feedback: None }),
        _ => Box::pin(decide(policy, ctx, message)).await,
    }
}

/// Ask the approval policy about `message` (the plan, or a change set).
async fn decide(policy: &ApprovalPolicy, ctx: &RunContext, message: &Message) -> Result<Approval> {
    match policy {
        ApprovalPolicy::Auto => Ok(Approval::Approve { feedback: None }),
        ApprovalPolicy::Callback(f) => Ok(f(message)),
        ApprovalPolicy::AsyncCallback { decide, timeout } => tokio::select! {
            decided = tokio::time::timeout(*timeout, decide(message.clone())) => {
                decided.map_err(|_| Error::ApprovalTimeout { seconds: timeout.as_secs() })
            }
            () = ctx.control.cancellation() => Err(Error::Cancelled),
        },
        ApprovalPolicy::Manual { timeout } => tokio::select! {
            decided = tokio::time::timeout(*timeout, ctx.control.decision()) => {
                // No decision is never an approval: it ends like a wait that ran out.
                decided.ok().flatten().ok_or(Error::ApprovalTimeout { seconds: timeout.as_secs() })
            }
            () = ctx.control.cancellation() => Err(Error::Cancelled),
        },
    }
}

fn add_phase(ctx: &RunContext, phase: &'static str, started: Instant) {
    let mut m = ctx
        .metrics
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let ms = started.elapsed().as_millis() as u64;
    match m.phase_ms.iter_mut().find(|(p, _)| *p == phase) {
        Some((_, total)) => *total += ms,
        None => m.phase_ms.push((phase, ms)),
    }
}

/// Patch mode: the engineer's diff and the tester's files as one change set, approved with
/// its hash, applied all-or-nothing with backups.
async fn patch_project(
    ctx: &RunContext,
    policy: &ApprovalPolicy,
    project: &std::path::Path,
    options: &mgx_patch::ApplyOptions,
    made: &mut Made,
) -> Outcome {
    let Some(code) = ctx.latest(kinds::CODE) else {
        return failed(Error::Task {
            message: "the team produced no change".into(),
        });
    };
    let diff = code.data()["diff"].as_str().unwrap_or_default().to_string();
    let code_len = diff.len();
    let mut changes = match mgx_patch::ChangeSet::from_diff(&diff) {
        Ok(c) => c,
        Err(e) => {
            return failed(Error::Apply {
                message: e.to_string(),
            });
        }
    };
    let tests_message = ctx.latest(kinds::TESTS);
    let tests = tests_message
        .as_deref()
        .map(Message::files)
        .unwrap_or_default();
    // The tests and the pre-commit configuration as diffs against the project as it is: the
    // change set shown for approval is every line the run will change, a test file that
    // exists shows what it loses, and one changed after the approval is not overwritten.
    let pre_commit = pre_commit_file(ctx, project);
    let written = tests
        .iter()
        .copied()
        .chain(pre_commit.as_ref().map(|(p, c)| (p.as_str(), c.as_str())));
    let mut shown = diff;
    let mut empty = Vec::new();
    for (path, content) in written {
        match file_diff(project, path, content) {
            Ok(Some(file)) => shown.push_str(&file),
            Ok(None) => empty.push((path, content)),
            Err(e) => return failed(e),
        }
    }
    let added = match mgx_patch::ChangeSet::from_diff(&shown[code_len..]) {
        Ok(c) => c,
        Err(e) => {
            return failed(Error::Apply {
                message: e.to_string(),
            });
        }
    };
    changes.operations.extend(added.operations);
    // Empty new files: a diff has no line to create them with.
    changes
        .operations
        .extend(mgx_patch::ChangeSet::from_files(empty).operations);
    let files: Vec<String> = changes
        .operations
        .iter()
        .map(|o| o.path().to_string())
        .collect();
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(shown.as_bytes()));
    let diff = shown;
    let change_set = Message::new(
        "change_set",
        "run",
        diff.clone(),
        serde_json::json!({"hash": hash, "diff": diff, "files": files}),
    );
    ctx.control.publish_change_set(Arc::new(change_set.clone()));
    emit!(
        ctx.events,
        EventType::ApprovalRequired,
        format!("Change set {} awaiting approval", &hash[..12]),
        serde_json::json!({"change_set": {"hash": hash, "files": files}}),
    );
    match decide(policy, ctx, &change_set).await {
        Ok(Approval::Approve { .. }) => emit!(
            ctx.events,
            EventType::Approved,
            "Change set approved",
            serde_json::json!({"hash": hash}),
        ),
        Ok(Approval::Reject { reason }) => {
            emit!(
                ctx.events,
                EventType::Rejected,
                "Change set rejected",
                serde_json::json!({"hash": hash, "reason": reason}),
            );
            return Outcome {
                status: RunStatus::Rejected,
                error: Some(Error::Task { message: reason }),
            };
        }
        Err(e) => return failed(e),
    }
    let success = format!("Change set {} applied", &hash[..12]);
    let tests = tests.into_iter().map(|(p, _)| p.to_string()).collect();
    let data = serde_json::json!({ "hash": hash });
    apply_changes(
        ctx,
        project,
        &changes,
        options,
        made,
        (files, tests),
        (EventType::PatchApplied, success),
        data,
    )
}

/// The diff that writes `content` at `path` in `project` over what is there now: a creation
/// when nothing is, a modification of the file otherwise. `None` for an empty file that does
/// not exist yet (written whole). The path goes through the patch's path policy before
/// anything is read.
fn file_diff(project: &std::path::Path, path: &str, content: &str) -> Result<Option<String>> {
    let (normal, at) = mgx_patch::resolve(project, path).map_err(|e| Error::Apply {
        message: e.to_string(),
    })?;
    let old = match std::fs::read(&at) {
        Ok(bytes) => Some(String::from_utf8(bytes).map_err(|_| Error::Apply {
            message: format!("{normal} is not text; the tests may not replace it"),
        })?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(Error::Io {
                path: at,
                message: e.to_string(),
            });
        }
    };
    if old.is_none() && content.is_empty() {
        return Ok(None);
    }
    Ok(Some(mgx_patch::diff_file(
        old.as_deref(),
        Some(content),
        &normal,
    )))
}

/// Apply `changes` under `root` (a transaction: all or nothing), record `files` and `tests` in
/// the report, and say how it went: the `success` event, or `patch_failed` with the reason.
/// `data` goes into either event.
#[allow(clippy::too_many_arguments)] // one call per mode; a struct would only rename them
fn apply_changes(
    ctx: &RunContext,
    root: &std::path::Path,
    changes: &mgx_patch::ChangeSet,
    options: &mgx_patch::ApplyOptions,
    made: &mut Made,
    (files, tests): (Vec<String>, Vec<String>),
    success: (EventType, String),
    mut data: serde_json::Value,
) -> Outcome {
    let reason = match mgx_patch::apply(root, changes, options) {
        Ok(applied)
            if matches!(
                applied.status,
                mgx_patch::ApplyStatus::Applied
                    | mgx_patch::ApplyStatus::AlreadyApplied
                    | mgx_patch::ApplyStatus::DryRun
            ) =>
        {
            data["files"] = serde_json::json!(files);
            data["run"] = serde_json::json!(applied.run);
            data["dry_run"] = serde_json::json!(options.dry_run);
            made.files = files;
            made.tests = tests;
            made.output_dir = Some(root.display().to_string());
            emit!(ctx.events, success.0, success.1, data);
            return Outcome {
                status: RunStatus::Completed,
                error: None,
            };
        }
        Ok(applied) => applied
            .files
            .iter()
            .filter_map(|f| f.message.as_ref().map(|m| format!("{}: {m}", f.path)))
            .collect::<Vec<_>>()
            .join("; "),
        Err(e) => e.to_string(),
    };
    data["reason"] = serde_json::json!(reason);
    emit!(
        ctx.events,
        EventType::PatchFailed,
        "The result did not apply; nothing was written",
        data,
    );
    failed(Error::Apply { message: reason })
}

/// The files of a manifest message (`data.files`: `[{path, content}]`), borrowed from it.
/// Where the pre-commit configuration goes.
const PRE_COMMIT: &str = ".pre-commit-config.yaml";

/// `message` (code or tests a custom role published) with the files of the FILE manifest its
/// text holds as `data.files`, when its data names none (other fields of its data are kept).
fn with_manifest_files(message: Arc<Message>) -> Arc<Message> {
    let data = message.data();
    if data["files"].is_array() || !(data.is_null() || data.is_object()) {
        return message;
    }
    let files: Vec<serde_json::Value> = mgx_guardrails::parse(&message.content)
        .files
        .into_iter()
        .map(|f| serde_json::json!({"path": f.path, "content": f.content}))
        .collect();
    if files.is_empty() {
        return message;
    }
    let mut message = Arc::unwrap_or_clone(message);
    let data = message.data_mut();
    if data.is_null() {
        *data = serde_json::json!({});
    }
    if let Some(map) = data.as_object_mut() {
        map.insert("files".into(), serde_json::Value::Array(files));
    }
    Arc::new(message)
}

/// Why code failed validation: its errors and their summary.
pub(super) struct Rejected {
    pub(super) errors: Vec<String>,
    pub(super) summary: String,
}

/// Validate the files of a `code` message a custom role published (generate mode), as the
/// built-in engineer's are: recorded in the report, with its events.
fn validate_published_code(
    ctx: &RunContext,
    message: &Message,
) -> std::result::Result<(), Rejected> {
    let what = format!("{}'s code", message.from);
    validate_files(ctx, message.files(), &message.from, &what)
}

/// Check that tests `role` wrote leave the code they test valid. Tests are written beside the
/// code, and a test file at a path of the code replaces that file (a `package.json` with the
/// test runner added …): the code as it would then be written is validated as the engineer's
/// was, recorded in the report with its events. Tests that replace nothing, or only with
/// the same text, cost no validation.
pub(super) fn tests_keep_code_valid<'a>(
    ctx: &RunContext,
    role: &str,
    code: &Message,
    tests: impl Iterator<Item = (&'a str, &'a str)> + Clone,
) -> std::result::Result<(), Rejected> {
    let replaced = |(path, content): (&str, &str)| code.file(path).is_some_and(|c| c != content);
    if !tests.clone().any(replaced) {
        return Ok(());
    }
    let changed: Vec<&str> = tests
        .clone()
        .filter(|&file| replaced(file))
        .map(|(path, _)| path)
        .collect();
    // The code with each replaced file as the tests give it (the last of a path wins, as
    // when they are written).
    let merged: Vec<(&str, &str)> = code
        .files()
        .into_iter()
        .map(|(path, content)| {
            let theirs = tests.clone().filter(|(p, _)| *p == path).last();
            (path, theirs.map_or(content, |(_, c)| c))
        })
        .collect();
    let what = format!("the code with {role}'s changes to {}", changed.join(", "));
    validate_files(ctx, merged, role, &what).map_err(|rejected| Rejected {
        summary: format!(
            "the tests change {} and the code then fails validation: {}",
            changed.join(", "),
            rejected.summary
        ),
        errors: rejected.errors,
    })
}

/// Validate `files` (`what`, by `role`) as the engineer's answer is, record the attempt in
/// the report and emit its event.
fn validate_files(
    ctx: &RunContext,
    files: Vec<(&str, &str)>,
    role: &str,
    what: &str,
) -> std::result::Result<(), Rejected> {
    let manifest = mgx_guardrails::Manifest {
        files: files
            .into_iter()
            .map(|(path, content)| mgx_guardrails::ManifestFile {
                path: path.to_string(),
                content: content.to_string(),
                line: 0,
                content_line: 0,
                fence: None,
            })
            .collect(),
        ..mgx_guardrails::Manifest::default()
    };
    // Written out and read back as the engineer's answer would be: the same checks, the same
    // positions in what they report.
    let text = mgx_guardrails::render(&manifest);
    let result = ctx
        .validator
        .validate_manifest(&mgx_guardrails::parse(&text), &text);
    // A revision round's code is the run's next attempt.
    let attempt = ctx
        .validations
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .len()
        + 1;
    let validation = Validation::of(attempt, result);
    let outcome = if validation.valid {
        emit!(
            ctx.events,
            EventType::ValidationPassed,
            format!("{what} passed validation"),
            serde_json::json!({"attempt": attempt, "warnings": validation.warnings.len(), "role": role}),
        );
        Ok(())
    } else {
        emit!(
            ctx.events,
            EventType::ValidationFailed,
            format!("{what} failed validation: {}", validation.summary),
            serde_json::json!({"attempt": attempt, "errors": validation.errors, "role": role}),
        );
        Err(Rejected {
            errors: validation.errors.clone(),
            summary: validation.summary.clone(),
        })
    };
    ctx.record_validation(validation);
    outcome
}

/// The pre-commit configuration to write under `root`, when asked for and `root` has none.
fn pre_commit_file(ctx: &RunContext, root: &std::path::Path) -> Option<(String, String)> {
    let text = ctx.pre_commit.as_ref()?;
    (!root.join(PRE_COMMIT).exists()).then(|| (PRE_COMMIT.to_string(), text.clone()))
}

fn write_result(
    ctx: &RunContext,
    out: &std::path::Path,
    options: &mgx_patch::ApplyOptions,
    made: &mut Made,
) -> Outcome {
    let Some(code) = ctx.latest(kinds::CODE) else {
        return failed(Error::Task {
            message: "the team produced no code".into(),
        });
    };
    let tests_message = ctx.latest(kinds::TESTS);
    let tests = tests_message
        .as_deref()
        .map(Message::files)
        .unwrap_or_default();
    let mut files: Vec<(&str, &str)> = code.files();
    for &(path, content) in &tests {
        match files.iter_mut().find(|(p, _)| *p == path) {
            Some(existing) => existing.1 = content,
            None => files.push((path, content)),
        }
    }
    let pre_commit = if files.iter().any(|(p, _)| *p == PRE_COMMIT) {
        None
    } else {
        pre_commit_file(ctx, out)
    };
    files.extend(pre_commit.as_ref().map(|(p, c)| (p.as_str(), c.as_str())));
    if options.dry_run && !out.exists() {
        // Nothing to apply against: check the paths, write nothing.
        if let Some((path, violation)) = files
            .iter()
            .find_map(|(p, _)| mgx_stacks::paths::verify(p).err().map(|v| (p, v)))
        {
            return failed(Error::Apply {
                message: format!("unsafe path {path:?}: {violation}"),
            });
        }
        made.files = files.iter().map(|(p, _)| p.to_string()).collect();
        made.tests = tests.iter().map(|(p, _)| p.to_string()).collect();
        return Outcome {
            status: RunStatus::Completed,
            error: None,
        };
    }
    if let Err(e) = std::fs::create_dir_all(out) {
        return failed(Error::Apply {
            message: format!("{}: {e}", out.display()),
        });
    }
    let changes = mgx_patch::ChangeSet::from_files(files.iter().copied());
    let paths: Vec<String> = files.iter().map(|(p, _)| p.to_string()).collect();
    let verb = if options.dry_run {
        "would be written"
    } else {
        "written"
    };
    let success = format!("{} files {verb}", paths.len());
    let tests = tests.into_iter().map(|(p, _)| p.to_string()).collect();
    let data = serde_json::json!({ "output_dir": out.display().to_string() });
    apply_changes(
        ctx,
        out,
        &changes,
        options,
        made,
        (paths, tests),
        (EventType::FilesWritten, success),
        data,
    )
}
