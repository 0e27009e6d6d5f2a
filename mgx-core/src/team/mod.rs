//! The team run: roles that react to messages, the default team of four, and the
//! [`TeamBuilder`] that puts a run together.
//!
//! A run publishes the task as a [`Message`]; every [`Role`] that watches a message's kind
//! reacts to it, in the team's order, with new messages — as in MetaGPT. The default team:
//!
//! | role | watches | actions | publishes |
//! |---|---|---|---|
//! | team leader | `task` | AnalyzeTask, DraftPlan | `analysis`, `plan` |
//! | engineer | `approved_plan`, `revision_request` | WriteCode (validated, bounded auto-revision) | `code` |
//! | tester | `code` | WriteTest (the stack's own framework) | `tests` |
//! | reviewer | `tests` | ReviewCode (a JSON verdict) | `review` |
//!
//! The runtime itself turns `plan` into `approved_plan` (after the approval policy agrees) and
//! a `review` that asks for changes into `revision_request` (while revision rounds are left and
//! the review does not repeat). Custom roles slot in by watching kinds: a security reviewer
//! watching `code`, a documentation writer watching `review`. A custom role in the engineer's
//! or tester's place publishes `code` or `tests` as a FILE manifest (its text, as a model
//! answers) or with its files as data (`{"files": [{"path", "content"}]}`); the run reads the
//! files before any other role does and validates code against the stack, as the built-in
//! engineer's is. Code that fails goes back to its author as a `revision_request` whose data
//! holds the `validation_errors` and the `attempt`, as many times as the team's validation
//! retries allow (when a role watches that kind); the run ends with [`Error::Invalid`] when
//! the code still fails, and never writes it.
//!
//! Tests are written beside the code, and a test file at one of the code's paths replaces that
//! file (a `package.json` with the test runner added …). Tests that change the code this way
//! are held to the code's rules: the code with their changes is validated (one more entry in
//! the report's validations). The built-in tester is asked once more with the errors, then the
//! run ends with [`Error::Invalid`]; tests of a custom role end it at once. Either way the
//! review never sees them and nothing is written.
//!
//! Every model call goes through the run's budget (checked before the call), the cache (with
//! in-flight de-duplication) and the provider, and emits an `llm_call` event with its tokens
//! and cost when known. Model answers are read as JSON or FILE manifests, never by keyword: an
//! unreadable verdict is asked for again once, then the review fails closed (not approved).

pub mod asks;
mod message;
mod pool;
mod profile;
mod project;
pub mod prompts;
mod roles;
mod run;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub(crate) use message::Facts;
pub use message::Message;
pub use pool::{Pooled, PooledRun, RunPool};
pub use profile::RunProfile;
pub use roles::{
    ActionRole, AnalyzeTask, DraftPlan, ReviewCode, WriteCode, WriteTest, default_roles,
};
pub use run::{Approval, ReviewVerdict, RunContext, RunHandle, RunReport, RunStatus, Validation};

use crate::budget::Budget;
use crate::cache::Cache;
use crate::cost::PriceTable;
use crate::error::{Error, Result};
use crate::events::EventSink;
use crate::llm::LlmProvider;

/// Well-known message kinds of the default team.
pub mod kinds {
    /// The task (published by the run).
    pub const TASK: &str = "task";
    /// The team leader's analysis.
    pub const ANALYSIS: &str = "analysis";
    /// The plan, waiting for approval.
    pub const PLAN: &str = "plan";
    /// The approved plan (published by the run).
    pub const APPROVED_PLAN: &str = "approved_plan";
    /// The engineer's code (a FILE manifest).
    pub const CODE: &str = "code";
    /// The tester's tests (a FILE manifest).
    pub const TESTS: &str = "tests";
    /// The reviewer's verdict.
    pub const REVIEW: &str = "review";
    /// A request for another round of code (published by the run): after a review that asks
    /// for changes (its data is the review's: `verdict`, `findings`), or after code of a custom
    /// role failed validation (`validation_errors`, `attempt`).
    pub const REVISION_REQUEST: &str = "revision_request";
}

/// A member of the team: it reacts to the messages it watches with messages of its own.
///
/// Roles are `'static` (`Any`): the run recognises an [`ActionRole`] and calls it without
/// the boxed future `react` returns.
#[async_trait::async_trait]
pub trait Role: Send + Sync + std::any::Any {
    /// The role's name (`engineer`); also the key of per-role providers.
    fn name(&self) -> &str;

    /// The message kinds it reacts to; read once, when the team is built.
    fn watches(&self) -> Vec<String>;

    /// React to `message` (the run's messages so far are in `ctx`).
    async fn react(&self, ctx: &RunContext, message: &Message) -> Result<Vec<Message>>;
}

/// One step a role takes, usually one model call: AnalyzeTask, WriteCode …
///
/// Actions are `'static` (`Any`): an [`ActionRole`] recognises the built-in ones and calls
/// them without the boxed future `run` returns.
#[async_trait::async_trait]
pub trait Action: Send + Sync + std::any::Any {
    /// The action's name (`write_code`), also the tag the offline provider answers by.
    fn name(&self) -> &str;

    /// Run on the message that triggered the role; returns the message to publish.
    async fn run(&self, ctx: &RunContext, role: &str, trigger: &Message) -> Result<Message>;
}

/// How the plan is approved.
#[derive(Clone)]
pub enum ApprovalPolicy {
    /// Approved at once (the default).
    Auto,
    /// Asked of a function, which sees the plan message and answers.
    Callback(Arc<dyn Fn(&Message) -> Approval + Send + Sync>),
    /// Decided through the [`RunHandle`] of [`Team::start`] ([`RunHandle::approve`] or
    /// [`RunHandle::reject`]) within `timeout` (the run ends with `approval_timeout` after it).
    /// A run started with [`Team::run`] has no handle and times out.
    Manual {
        /// How long to wait for a decision (300 s is the usual default).
        timeout: Duration,
    },
    /// Asked of an asynchronous function (a UI, a callback into Python or JavaScript) at each
    /// gate — the plan, then in patch mode the change set — which must answer within
    /// `timeout` (the run ends with `approval_timeout` after it).
    AsyncCallback {
        /// Sees what waits for approval and answers.
        decide: Arc<dyn Fn(Message) -> futures::future::BoxFuture<'static, Approval> + Send + Sync>,
        /// How long to wait for its answer.
        timeout: Duration,
    },
}

impl std::fmt::Debug for ApprovalPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApprovalPolicy::Auto => f.write_str("Auto"),
            ApprovalPolicy::Callback(_) => f.write_str("Callback(..)"),
            ApprovalPolicy::Manual { timeout } => write!(f, "Manual {{ timeout: {timeout:?} }}"),
            ApprovalPolicy::AsyncCallback { timeout, .. } => {
                write!(f, "AsyncCallback {{ timeout: {timeout:?} }}")
            }
        }
    }
}

/// Builds a [`Team`]. Everything has a default: with nothing set, the team runs offline
/// ([`crate::providers::Offline`]), writes under `./out`, and checks no budget.
///
/// ```
/// use mgx_core::team::{Team, RunStatus};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let out = std::env::temp_dir().join(format!("mgx-team-doc-{}", std::process::id()));
/// let team = Team::builder().output_dir(&out).build()?;
/// let report = team.run("Create a FastAPI /health endpoint with tests").await;
/// assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
/// assert!(out.join("app/main.py").exists());
/// # std::fs::remove_dir_all(&out).ok();
/// # Ok::<(), mgx_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct TeamBuilder {
    provider: Option<Arc<dyn LlmProvider>>,
    role_providers: Vec<(String, Arc<dyn LlmProvider>)>,
    cache: Option<Arc<dyn Cache>>,
    sinks: Vec<Arc<dyn EventSink>>,
    stack: Option<String>,
    constraints: Vec<String>,
    strict: bool,
    output_dir: PathBuf,
    max_rounds: usize,
    max_revision_rounds: usize,
    max_validation_retries: usize,
    budget: Budget,
    /// Shared by the team's runs (each run's budget tracker prices calls with it).
    prices: Arc<PriceTable>,
    approval: ApprovalPolicy,
    roles: Option<Vec<Arc<dyn Role>>>,
    extra_roles: Vec<Arc<dyn Role>>,
    max_tokens: u32,
    call_timeout: Duration,
    dry_run: bool,
    fsync: bool,
    human_reviewer: Option<HumanReviewer>,
    project: Option<PathBuf>,
    complexity_budget: Option<f64>,
    prompts: std::collections::HashMap<String, String>,
    run_dir: Option<PathBuf>,
    max_concurrent_runs: Option<usize>,
    format: Option<Duration>,
    pre_commit: bool,
    git: Option<crate::git::GitOptions>,
}

/// The dollar budget of a task by its complexity, before the multiplier: XS and S $1.5, M $3,
/// L and XL $5 (the original's defaults).
pub fn complexity_budget_usd(complexity: &str) -> f64 {
    match complexity {
        "XS" | "S" => 1.5,
        "M" => 3.0,
        _ => 5.0,
    }
}

/// A person (or any function) in the reviewer's place: sees the task, the code and the tests,
/// and gives the verdict the reviewer model would — asynchronously (a UI waiting for a click, a
/// callback into Python or JavaScript). [`TeamBuilder::human_reviewer`] takes a plain function.
pub type HumanReviewer =
    Arc<dyn Fn(HumanReview) -> futures::future::BoxFuture<'static, ReviewVerdict> + Send + Sync>;

/// What a human reviewer is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HumanReview {
    /// The task.
    pub task: String,
    /// The code (a FILE manifest).
    pub code: String,
    /// The tests (a FILE manifest).
    pub tests: String,
}

impl Default for TeamBuilder {
    fn default() -> Self {
        TeamBuilder {
            provider: None,
            role_providers: Vec::new(),
            cache: None,
            sinks: Vec::new(),
            stack: None,
            constraints: Vec::new(),
            strict: false,
            output_dir: PathBuf::from("out"),
            max_rounds: 5,
            max_revision_rounds: 2,
            max_validation_retries: 2,
            budget: Budget::default(),
            prices: Arc::new(PriceTable::default()),
            approval: ApprovalPolicy::Auto,
            roles: None,
            extra_roles: Vec::new(),
            max_tokens: 4096,
            call_timeout: Duration::from_secs(600),
            dry_run: false,
            fsync: true,
            human_reviewer: None,
            project: None,
            complexity_budget: None,
            prompts: std::collections::HashMap::new(),
            run_dir: None,
            max_concurrent_runs: None,
            format: None,
            pre_commit: false,
            git: None,
        }
    }
}

impl TeamBuilder {
    /// The provider every role uses (default: offline).
    pub fn provider(mut self, provider: Arc<dyn LlmProvider>) -> Self {
        self.provider = Some(provider);
        self
    }

    /// A provider for one role (by name), instead of the team's.
    pub fn role_provider(mut self, role: &str, provider: Arc<dyn LlmProvider>) -> Self {
        self.role_providers.push((role.to_string(), provider));
        self
    }

    /// A response cache (default: none).
    pub fn cache(mut self, cache: Arc<dyn Cache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// An event sink (several may be added).
    pub fn sink(mut self, sink: Arc<dyn EventSink>) -> Self {
        self.sinks.push(sink);
        self
    }

    /// The stack id (default: inferred from the task).
    pub fn stack(mut self, id: &str) -> Self {
        self.stack = Some(id.to_string());
        self
    }

    /// A constraint the output must meet ("No extra libraries"); repeatable.
    pub fn constraint(mut self, text: &str) -> Self {
        self.constraints.push(text.to_string());
        self
    }

    /// Strict FILE-manifest mode: prose in the engineer's answer is an error.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Where a new project is written (default `out`).
    pub fn output_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.output_dir = dir.into();
        self
    }

    /// The most role reactions a run makes beyond the first pass of each role (default 5).
    pub fn max_rounds(mut self, n: usize) -> Self {
        self.max_rounds = n;
        self
    }

    /// Reviewer-driven revision rounds (default 2).
    pub fn max_revision_rounds(mut self, n: usize) -> Self {
        self.max_revision_rounds = n;
        self
    }

    /// Extra attempts of the engineer when guardrails reject its output (default 2).
    pub fn max_validation_retries(mut self, n: usize) -> Self {
        self.max_validation_retries = n;
        self
    }

    /// The run's budget (default: none), priced with `prices`.
    pub fn budget(mut self, budget: Budget, prices: PriceTable) -> Self {
        self.budget = budget;
        self.prices = Arc::new(prices);
        self
    }

    /// How the plan is approved (default: at once).
    pub fn approval(mut self, policy: ApprovalPolicy) -> Self {
        self.approval = policy;
        self
    }

    /// Replace the team (default: [`default_roles`]).
    pub fn roles(mut self, roles: Vec<Arc<dyn Role>>) -> Self {
        self.roles = Some(roles);
        self
    }

    /// Add a role to the team (after the others).
    pub fn add_role(mut self, role: Arc<dyn Role>) -> Self {
        self.extra_roles.push(role);
        self
    }

    /// The `max_tokens` of every call (default 4,096); also what the budget reserves.
    pub fn max_tokens(mut self, n: u32) -> Self {
        self.max_tokens = n;
        self
    }

    /// How long one model call may take, retries included, before the run ends with
    /// [`Error::Timeout`] (default 600 s): a backstop for providers without deadlines of
    /// their own. Must not be zero.
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = timeout;
        self
    }

    /// Set the dollar budget from the task's complexity once the team leader has judged it
    /// ([`complexity_budget_usd`] × `multiplier`), unless [`TeamBuilder::budget`] set a dollar
    /// limit. Needs prices for the models (an unpriced model under a dollar limit is an
    /// error, never a silent pass); the analysis itself runs before the limit is known.
    pub fn budget_by_complexity(mut self, multiplier: f64, prices: PriceTable) -> Self {
        self.complexity_budget = Some(multiplier);
        self.prices = Arc::new(prices);
        self
    }

    /// Journal every run in a directory of its own under `base` (`<base>/<run_id>/`): the task
    /// (`run.json`), its events (`events.jsonl`) and every model answer (`calls.jsonl`, a
    /// cassette). [`Team::resume`] continues such a run after a crash, or after it stopped at
    /// the approval gate, without paying again for the calls already answered.
    pub fn run_dir(mut self, base: impl Into<PathBuf>) -> Self {
        self.run_dir = Some(base.into());
        self
    }

    /// At most this many runs of the team at once; more wait their turn (default: no limit).
    /// Model calls are limited per endpoint and key by the provider's rate limits.
    pub fn max_concurrent_runs(mut self, n: usize) -> Self {
        self.max_concurrent_runs = Some(n);
        self
    }

    /// Replace the system prompt of an action (see [`prompts`] for the placeholders and
    /// [`prompts::default_prompt`] for the defaults). The first line the run adds, the
    /// action's tag, stays.
    pub fn prompt(mut self, action: &str, template: &str) -> Self {
        self.prompts
            .insert(action.to_string(), template.to_string());
        self
    }

    /// Patch an existing project instead of writing a new one: the engineer sees the project's
    /// files and answers with a unified diff, which is dry-run against the project (hunks that
    /// do not place go back to it, bounded), shown at approval as a change set with its hash,
    /// and applied all-or-nothing with backups. The change set is one unified diff, hashed as
    /// shown: the engineer's diff, then the tests (and a pre-commit configuration, when asked
    /// for) as diffs against the project's files as they are — a file that exists is modified
    /// by its hunks, so one changed after the approval is patched or refused, never
    /// overwritten. A task in the JSON contract can ask for the same with `"output_mode":
    /// "patch_existing"` and `"existing_project_path"`.
    pub fn project(mut self, dir: impl Into<PathBuf>) -> Self {
        self.project = Some(dir.into());
        self
    }

    /// A human reviewer instead of the reviewer's model: a function from what it is shown to
    /// its verdict (called on the runtime's thread: keep it quick, or use
    /// [`TeamBuilder::human_reviewer_async`]).
    pub fn human_reviewer(
        self,
        reviewer: impl Fn(&HumanReview) -> ReviewVerdict + Send + Sync + 'static,
    ) -> Self {
        let reviewer = Arc::new(reviewer);
        self.human_reviewer_async(Arc::new(move |review: HumanReview| {
            let verdict = reviewer(&review);
            Box::pin(std::future::ready(verdict))
        }))
    }

    /// A human reviewer that answers asynchronously.
    pub fn human_reviewer_async(mut self, reviewer: HumanReviewer) -> Self {
        self.human_reviewer = Some(reviewer);
        self
    }

    /// Do everything but write: the report lists the files the run would write.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// Flush the written files to disk before the run reports them (default). Without it the
    /// write is still atomic, but a power loss may lose it.
    pub fn fsync(mut self, fsync: bool) -> Self {
        self.fsync = fsync;
        self
    }

    /// After writing, format the run's files with the stack's formatter when it is installed,
    /// each run of it stopped after `timeout` (best effort: see [`crate::format`]; the report's
    /// `formatting` says what ran, what changed and what was missing).
    pub fn format(mut self, timeout: Duration) -> Self {
        self.format = Some(timeout);
        self
    }

    /// Commit the run's result on a branch of its own, and push it and open a draft pull
    /// request when asked (see [`crate::git`]; the report's `git` says what happened).
    pub fn git(mut self, options: crate::git::GitOptions) -> Self {
        self.git = Some(options);
        self
    }

    /// Write the stack's `.pre-commit-config.yaml` (its formatter and linter as local hooks)
    /// with the result, unless the project has one.
    pub fn pre_commit_config(mut self, write: bool) -> Self {
        self.pre_commit = write;
        self
    }

    /// Check the configuration and make the team.
    pub fn build(self) -> Result<Team> {
        if let Some(id) = &self.stack {
            mgx_stacks::StackRegistry::builtin()
                .get(id)
                .map_err(|e| Error::config(e.to_string()))?;
        }
        if self.max_rounds == 0 {
            return Err(Error::config("max_rounds must be at least 1"));
        }
        if self.max_tokens == 0 {
            return Err(Error::config("max_tokens must be at least 1"));
        }
        if self.call_timeout.is_zero() {
            return Err(Error::config("call_timeout must be longer than zero"));
        }
        if let Some(usd) = self.budget.max_usd
            && !(usd.is_finite() && usd > 0.0)
        {
            return Err(Error::config("the dollar budget must be a positive number"));
        }
        for (action, template) in &self.prompts {
            if !prompts::ACTIONS.contains(&action.as_str()) {
                return Err(Error::config(format!(
                    "no prompt of an action {action:?}: the templated actions are {}",
                    prompts::ACTIONS.join(", ")
                )));
            }
            let unknown = prompts::unknown_placeholders(template);
            if !unknown.is_empty() {
                return Err(Error::config(format!(
                    "the prompt of {action} uses unknown placeholders {unknown:?}; known: {}",
                    prompts::PLACEHOLDERS.join(", ")
                )));
            }
        }
        if let Some(m) = self.complexity_budget
            && !(m.is_finite() && m > 0.0)
        {
            return Err(Error::config(
                "the budget multiplier must be a positive number",
            ));
        }
        let mut roles = self.roles.clone().unwrap_or_else(default_roles);
        roles.extend(self.extra_roles.iter().cloned());
        if roles.is_empty() {
            return Err(Error::config("a team needs at least one role"));
        }
        let mut names: Vec<&str> = roles.iter().map(|r| r.name()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::config(format!("two roles are named {:?}", w[0])));
        }
        if let Some((name, _)) = self
            .role_providers
            .iter()
            .find(|(name, _)| !roles.iter().any(|r| r.name() == name))
        {
            return Err(Error::config(format!(
                "a provider is set for the role {name:?}, which the team does not have"
            )));
        }
        if self.max_concurrent_runs == Some(0) {
            return Err(Error::config("max_concurrent_runs must be at least 1"));
        }
        if let Some(git) = &self.git {
            if git.pull_request && git.push.is_none() {
                return Err(Error::config(
                    "a pull request needs the branch pushed: name a remote to push to",
                ));
            }
            if git.branch_prefix.trim_matches('/').is_empty() {
                return Err(Error::config("the git branch prefix is empty"));
            }
        }
        let slots = self
            .max_concurrent_runs
            .map(|n| Arc::new(tokio::sync::Semaphore::new(n)));
        Ok(Team {
            inner: Arc::new(TeamInner {
                slots,
                config: self,
                watches: roles.iter().map(|r| r.watches()).collect(),
                roles,
                validators: std::sync::Mutex::new(std::collections::HashMap::new()),
                system_prompts: std::sync::Mutex::new(std::collections::HashMap::new()),
                first_validator: std::sync::OnceLock::new(),
                first_prompts: std::sync::OnceLock::new(),
                models: std::sync::OnceLock::new(),
            }),
        })
    }
}

/// Validators by (stack, constraints, strict): building one compiles the stack's rules, so
/// a team builds each once and shares it between its runs.
type ValidatorKey = (String, Vec<String>, bool);

/// A prepared validator and what it was prepared for.
type CachedValidator = (ValidatorKey, Arc<mgx_guardrails::Validator<'static>>);

struct TeamInner {
    config: TeamBuilder,
    /// The run slots, with a concurrency limit.
    slots: Option<Arc<tokio::sync::Semaphore>>,
    roles: Vec<Arc<dyn Role>>,
    /// What each role (same order) watches.
    watches: Vec<Vec<String>>,
    /// Prepared validators, under the hash of their key (see [`TeamInner::validator`]).
    validators: std::sync::Mutex<std::collections::HashMap<u64, Vec<CachedValidator>>>,
    /// Rendered system prompts by stack id.
    system_prompts:
        std::sync::Mutex<std::collections::HashMap<&'static str, Arc<prompts::SystemPrompts>>>,
    /// The first validator and prompts prepared — those of most teams' every run (one stack,
    /// the team's constraints) — read without the lock: with runs on several threads, the
    /// lock's line went back and forth between their cores twice a run.
    first_validator: std::sync::OnceLock<CachedValidator>,
    first_prompts: std::sync::OnceLock<(&'static str, Arc<prompts::SystemPrompts>)>,
    /// The models of runs without a journal, built by the first such run.
    models: std::sync::OnceLock<Arc<run::Models>>,
}

impl TeamInner {
    fn validator(
        &self,
        stack: &'static mgx_stacks::StackSpec,
        constraints: &[String],
        strict: bool,
    ) -> Arc<mgx_guardrails::Validator<'static>> {
        use std::hash::{Hash, Hasher};
        let same_key = |(id, c, s): &(String, Vec<String>, bool)| {
            *id == stack.id && c.as_slice() == constraints && *s == strict
        };
        if let Some((key, validator)) = self.first_validator.get()
            && same_key(key)
        {
            return Arc::clone(validator);
        }
        // Found by the key's hash, then compared in place: no owned key is built per run.
        let mut hasher = rustc_hash::FxHasher::default();
        (stack.id.as_str(), constraints, strict).hash(&mut hasher);
        let mut cache = self
            .validators
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let same = cache.entry(hasher.finish()).or_default();
        if let Some((_, validator)) = same.iter().find(|(key, _)| same_key(key)) {
            return Arc::clone(validator);
        }
        let options = mgx_guardrails::Options {
            strict,
            ..mgx_guardrails::Options::default()
        };
        let validator = Arc::new(mgx_guardrails::Validator::new(
            Some(stack),
            constraints,
            options,
        ));
        let entry = (
            (stack.id.clone(), constraints.to_vec(), strict),
            Arc::clone(&validator),
        );
        // Under the lock: the first one prepared is the first one kept.
        let _ = self.first_validator.set(entry.clone());
        same.push(entry);
        validator
    }

    /// The models of a run without a journal: the same for all of them (building them cannot
    /// fail without a journal to open, and is retried by the next run if it ever does).
    fn models(&self) -> Result<Arc<run::Models>> {
        if let Some(models) = self.models.get() {
            return Ok(Arc::clone(models));
        }
        let models = Arc::new(run::Models::build(&self.config, None)?);
        Ok(Arc::clone(self.models.get_or_init(|| models)))
    }

    /// The system prompts of every action for `stack`, rendered once per stack and shared by
    /// runs (templates and values do not change during a team's life).
    fn system_prompts(&self, stack: &'static mgx_stacks::StackSpec) -> Arc<prompts::SystemPrompts> {
        if let Some((id, prompts)) = self.first_prompts.get()
            && *id == stack.id
        {
            return Arc::clone(prompts);
        }
        let mut cache = self
            .system_prompts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let prompts = Arc::clone(cache.entry(stack.id.as_str()).or_insert_with(|| {
            Arc::new(prompts::system_prompts(Some(stack), &self.config.prompts))
        }));
        let _ = self
            .first_prompts
            .set((stack.id.as_str(), Arc::clone(&prompts)));
        prompts
    }
}

/// A configured team: cheap to clone, runs many tasks at once.
#[derive(Clone)]
pub struct Team {
    inner: Arc<TeamInner>,
}

impl std::fmt::Debug for Team {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Team")
            .field(
                "roles",
                &self
                    .inner
                    .roles
                    .iter()
                    .map(|r| r.name())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Per-run settings on top of the team's: where to write, who else hears the run's events,
/// and what wraps the run's task before [`Team::start_with`] spawns it.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use mgx_core::events::{CallbackSink, Event};
/// use mgx_core::team::{RunOptions, RunStatus, Team};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let team = Team::builder().dry_run(true).build()?;
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = seen.clone();
/// let options = RunOptions::default()
///     .output_dir(std::env::temp_dir().join("mgx-run-options-doc"))
///     .sink(Arc::new(CallbackSink(move |e: &Event| log.lock().unwrap().push(e.event_type.clone()))));
/// let report = team.run_with("Create a FastAPI /health endpoint with tests", options).await;
/// assert_eq!(report.status, RunStatus::Completed);
/// assert!(seen.lock().unwrap().len() > 5);
/// # Ok::<(), mgx_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Default)]
pub struct RunOptions {
    output_dir: Option<std::path::PathBuf>,
    sinks: Vec<Arc<dyn EventSink>>,
    wrap: Option<WrapRun>,
    cancelled: bool,
}

/// What [`RunOptions::wrap`] takes: the run's future in, the future to spawn out.
pub type WrapRun = Arc<
    dyn Fn(
            futures::future::BoxFuture<'static, RunReport>,
        ) -> futures::future::BoxFuture<'static, RunReport>
        + Send
        + Sync,
>;

impl RunOptions {
    /// Write under `dir` instead of the team's output directory.
    pub fn output_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.output_dir = Some(dir.into());
        self
    }

    /// Send this run's events to `sink` too (after the team's sinks).
    pub fn sink(mut self, sink: Arc<dyn EventSink>) -> Self {
        self.sinks.push(sink);
        self
    }

    /// Start the run cancelled (a caller's abort signal that fired already): it ends at once as
    /// cancelled and writes nothing, and its events and report say so.
    pub fn cancelled(mut self, cancelled: bool) -> Self {
        self.cancelled = cancelled;
        self
    }

    /// Wrap the run's future before [`Team::start_with`] spawns it: for state its task must
    /// carry (a binding's event loop, a tracing span). [`Team::run_with`] runs the future in
    /// place and does not use it.
    pub fn wrap(mut self, wrap: WrapRun) -> Self {
        self.wrap = Some(wrap);
        self
    }
}

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("output_dir", &self.output_dir)
            .field("sinks", &self.sinks.len())
            .field("wrap", &self.wrap.is_some())
            .field("cancelled", &self.cancelled)
            .finish()
    }
}

/// The sender of a started run's report, which reports the run cancelled when dropped
/// before it sent one.
struct SendOnDrop(Option<tokio::sync::watch::Sender<Option<RunReport>>>);

impl SendOnDrop {
    fn send(&mut self, report: RunReport) {
        if let Some(done) = self.0.take() {
            done.send_replace(Some(report));
        }
    }
}

impl Drop for SendOnDrop {
    fn drop(&mut self) {
        self.send(RunReport::dropped());
    }
}

/// `make()` boxed, the box made first: the value can then be built in place rather than on
/// the stack and copied (a run's future is kilobytes, of which a fresh run has set a few
/// dozen bytes; a copy writes all of them).
fn in_place_box<F: std::future::Future>(make: impl FnOnce() -> F) -> std::pin::Pin<Box<F>> {
    Box::into_pin(Box::write(Box::new_uninit(), make()))
}

impl Team {
    /// A builder.
    pub fn builder() -> TeamBuilder {
        TeamBuilder::default()
    }

    /// Run a task (plain text or the JSON task contract) to its end. The outcome, failures
    /// included, is in the report.
    pub async fn run(&self, task: &str) -> RunReport {
        self.run_with(task, RunOptions::default()).await
    }

    /// [`Team::run`] with per-run settings.
    pub async fn run_with(&self, task: &str, options: RunOptions) -> RunReport {
        let out = options
            .output_dir
            .as_deref()
            .unwrap_or(&self.inner.config.output_dir);
        let control = run::Control::without_handle();
        if options.cancelled {
            control.cancel();
        }
        // On the heap: the run's future is large (3 KB), and a caller's task that held it in
        // place would copy all of it when spawned and again when its output is read.
        in_place_box(|| run::run(self.inner.clone(), task, out, control, None, &options.sinks))
            .await
    }

    /// Continue a run journaled under [`TeamBuilder::run_dir`] (its directory, e.g. after a
    /// crash, or after it stopped waiting for approval): the same task is run again with this
    /// team's settings, every model call the journal has is answered from it (nothing is paid
    /// twice), and an interrupted write is first recovered. The report is a new run's, with
    /// the journal extended.
    pub async fn resume(&self, run_dir: &std::path::Path) -> RunReport {
        run::resume(self.inner.clone(), run_dir, &[]).await
    }

    /// [`Team::resume`] with the run's own event sinks (the output directory is the
    /// journal's, and the future runs in place: `output_dir` and `wrap` are not used).
    pub async fn resume_with(&self, run_dir: &std::path::Path, options: RunOptions) -> RunReport {
        run::resume(self.inner.clone(), run_dir, &options.sinks).await
    }

    /// Start a task on the tokio runtime and return its handle: wait for the plan, approve or
    /// reject it, cancel, and await the report.
    ///
    /// ```
    /// use std::time::Duration;
    /// use mgx_core::team::{ApprovalPolicy, RunStatus, Team};
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let out = std::env::temp_dir().join(format!("mgx-team-handle-doc-{}", std::process::id()));
    /// let team = Team::builder()
    ///     .output_dir(&out)
    ///     .approval(ApprovalPolicy::Manual { timeout: Duration::from_secs(300) })
    ///     .build()?;
    /// let run = team.start("Create a FastAPI /health endpoint with tests");
    /// let plan = run.plan().await.expect("a plan");
    /// assert!(!plan.data()["steps"].as_array().unwrap().is_empty());
    /// run.approve(Some("keep it small".into()));
    /// assert_eq!(run.report().await.status, RunStatus::Completed);
    /// # std::fs::remove_dir_all(&out).ok();
    /// # Ok::<(), mgx_core::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn start(&self, task: &str) -> RunHandle {
        self.start_with(task, RunOptions::default())
    }

    /// [`Team::start`] with per-run settings.
    pub fn start_with(&self, task: &str, options: RunOptions) -> RunHandle {
        self.start_in(task, options, (), |run| drop(tokio::spawn(run)))
    }

    /// [`Team::start_with`], the run's task given to `spawn` (the current runtime, or a
    /// [`RunPool`]'s thread); `hold` is kept until the run has ended, and dropped before its
    /// report is sent.
    pub(super) fn start_in<H: Send + 'static>(
        &self,
        task: &str,
        options: RunOptions,
        hold: H,
        spawn: impl FnOnce(futures::future::BoxFuture<'static, ()>),
    ) -> RunHandle {
        let control = run::Control::new();
        if options.cancelled {
            control.cancel();
        }
        let inner = self.inner.clone();
        let task = task.to_string();
        let out = options
            .output_dir
            .clone()
            .unwrap_or_else(|| self.inner.config.output_dir.clone());
        let c = control.clone();
        let sinks = options.sinks;
        let run: futures::future::BoxFuture<'static, RunReport> =
            in_place_box(|| async move { run::run(inner, &task, &out, c, None, &sinks).await });
        let run = match &options.wrap {
            Some(wrap) => wrap(run),
            None => run,
        };
        let (done, report) = tokio::sync::watch::channel(None);
        spawn(Box::pin(async move {
            // However the task ends, the handle gets a report: the run's, the report of a
            // panic (a custom role or provider can), or, when the task is dropped with its
            // runtime, a cancellation.
            let mut done = SendOnDrop(Some(done));
            let report = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(run))
                .await
                .unwrap_or_else(|_| RunReport::abnormal());
            drop(hold);
            done.send(report);
        }));
        RunHandle::new(control, report)
    }

    /// [`Team::run`], writing under `output_dir` instead of the team's output directory (for
    /// one team running many tasks at once).
    pub async fn run_into(&self, task: &str, output_dir: &std::path::Path) -> RunReport {
        self.run_with(task, RunOptions::default().output_dir(output_dir))
            .await
    }
}
