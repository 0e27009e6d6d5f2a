//! The team runtime for JS: `Team`, `Run` (a started run's handle), `EventStream` (a run's
//! events as an async iterator) and `RunPool`. Runs execute on the addon's tokio runtime, or on
//! a `RunPool`'s threads when a run's options name one; JS callbacks (providers, roles'
//! `react`, `onEvent`, `approval`, `humanReviewer`) are called through thread-safe functions
//! and may return Promises. Reports and events are plain objects in the JSON shape of the
//! report and of the event contract (the same as `mgx run --json` and Python's `to_dict()`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunction;
use napi_derive::napi;
use serde_json::Value;

use mgx_core::budget::Budget;
use mgx_core::cost::PriceTable;
use mgx_core::events::{ChannelSink, EventStream as Events};
use mgx_core::team::{
    Approval, ApprovalPolicy, HumanReview, Message, ReviewVerdict, RunHandle, RunOptions,
    RunReport, RunStatus,
};

/// Threads that run teams' tasks, each run kept on one thread from its start to its end: for
/// programs running hundreds or thousands of runs at once (`team.run(task, { pool })`). On
/// the addon's shared runtime a run moves between threads from one model call to the next,
/// and the allocator pays for every block freed on another thread than the one that made it.
/// `threads` defaults to one per core. The threads stop when the pool is collected; runs
/// still going then end as cancelled.
#[napi]
pub struct RunPool {
    inner: Arc<mgx_core::team::RunPool>,
}

#[napi]
impl RunPool {
    #[napi(constructor)]
    pub fn new(threads: Option<u32>) -> Result<Self> {
        let pool = match threads {
            Some(n) => mgx_core::team::RunPool::new(n as usize),
            None => mgx_core::team::RunPool::per_core(),
        }
        .map_err(|e| core_err(&e))?;
        Ok(RunPool {
            inner: Arc::new(pool),
        })
    }

    /// How many threads the pool has.
    #[napi(getter)]
    pub fn threads(&self) -> u32 {
        u32::try_from(self.inner.threads()).unwrap_or(u32::MAX)
    }

    /// Runs started on the pool and not yet ended.
    #[napi(getter)]
    pub fn in_flight(&self) -> u32 {
        u32::try_from(self.inner.in_flight()).unwrap_or(u32::MAX)
    }
}

impl Drop for RunPool {
    /// Stopping the threads waits for them: not on the JS thread, which the collector runs on.
    fn drop(&mut self) {
        mgx_core::team::RunPool::drop_detached(Arc::clone(&self.inner));
    }
}

/// The pool of one of ours, if `value` is one.
fn pool_from(env: &Env, value: &Unknown) -> Option<Arc<mgx_core::team::RunPool>> {
    // SAFETY: `from_napi_value` checks the class recorded at wrap time; another object is an
    // `Err`, never a bad cast.
    unsafe { ClassInstance::<RunPool>::from_napi_value(env.raw(), value.raw()) }
        .ok()
        .map(|p| p.inner.clone())
}

use crate::caches::cache_from;
use crate::error::{Failure, Result, Settled, core_err, invalid, promise};
use crate::providers::{Answer, napi_err, provider_from};
use crate::settle::Json;

/// A JS function of one plain-object argument that may return a Promise, callable from any
/// thread (weak: it does not keep Node alive).
type Callback = ThreadsafeFunction<Json, Answer, Json, Status, false, true>;

fn callback(env: &Env, value: Unknown, what: &str) -> Result<Arc<Callback>> {
    if value.get_type().map_err(napi_err)? != ValueType::Function {
        return Err(invalid(format!("{what} must be a function")));
    }
    // SAFETY: the value is a function (checked above).
    let f: Function<Json, Answer> =
        unsafe { Function::from_napi_value(env.raw(), value.raw()) }.map_err(napi_err)?;
    let tsfn = f
        .build_threadsafe_function()
        .callee_handled::<false>()
        .weak::<true>()
        .build()
        .map_err(napi_err)?;
    Ok(Arc::new(tsfn))
}

/// Call `f(value)` and wait for its answer (awaiting a returned Promise).
async fn ask(f: &Callback, value: Json) -> napi::Result<Value> {
    f.call_async_catch(value).await?.settled().await
}

/// Events a run's queue holds for a slow reader before it drops some (never the last, which
/// ends the run); a run emits a few dozen.
const RUN_EVENTS: usize = 4096;

/// A team of agent roles — team leader, engineer, tester, reviewer — that turns a task into
/// code and tests. Cheap to share: one team runs many tasks at once.
#[napi]
pub struct Team {
    team: mgx_core::team::Team,
    on_event: Option<Arc<Callback>>,
}

fn get<T: FromNapiValue>(o: &Object, key: &str) -> Result<Option<T>> {
    o.get::<T>(key)
        .map_err(|e| invalid(format!("option `{key}`: {}", e.reason)))
}

#[napi]
impl Team {
    #[napi(constructor, ts_args_type = "options?: TeamOptions")]
    pub fn new(env: Env, options: Option<Object>) -> Result<Self> {
        let mut b = mgx_core::team::Team::builder();
        let mut on_event = None;
        if let Some(o) = options {
            if let Some(p) = get::<Unknown>(&o, "provider")? {
                b = b.provider(provider_from(&env, p)?);
            }
            if let Some(roles) = get::<Object>(&o, "roleProviders")? {
                for role in Object::keys(&roles).map_err(napi_err)? {
                    if let Some(p) = get::<Unknown>(&roles, &role)? {
                        b = b.role_provider(&role, provider_from(&env, p)?);
                    }
                }
            }
            if let Some(roles) = get::<Unknown>(&o, "roles")?
                && !matches!(roles.get_type(), Ok(ValueType::Undefined))
            {
                b = b.roles(crate::roles::roles_from(&env, roles)?);
            }
            if let Some(c) = get::<Unknown>(&o, "cache")? {
                b = b.cache(
                    cache_from(&env, &c)
                        .ok_or_else(|| invalid("cache must be a MemoryCache or a RedisCache"))?,
                );
            }
            if let Some(f) = get::<Unknown>(&o, "onEvent")? {
                on_event = Some(callback(&env, f, "onEvent")?);
            }
            if let Some(s) = get::<String>(&o, "stack")? {
                b = b.stack(&s);
            }
            for c in get::<Vec<String>>(&o, "constraints")?.unwrap_or_default() {
                b = b.constraint(&c);
            }
            if let Some(v) = get::<bool>(&o, "strict")? {
                b = b.strict(v);
            }
            if let Some(d) = get::<String>(&o, "outputDir")? {
                b = b.output_dir(d);
            }
            if let Some(d) = get::<String>(&o, "project")? {
                b = b.project(d);
            }
            if let Some(n) = get::<u32>(&o, "maxRounds")? {
                b = b.max_rounds(n as usize);
            }
            if let Some(n) = get::<u32>(&o, "maxRevisionRounds")? {
                b = b.max_revision_rounds(n as usize);
            }
            if let Some(n) = get::<u32>(&o, "maxValidationRetries")? {
                b = b.max_validation_retries(n as usize);
            }
            let prices = match get::<Value>(&o, "prices")? {
                Some(p) => PriceTable::from_json(&p.to_string()).map_err(|e| core_err(&e))?,
                None => PriceTable::new(),
            };
            if let Some(m) = get::<f64>(&o, "budgetByComplexity")? {
                b = b.budget_by_complexity(m, prices.clone());
            }
            let budget = Budget {
                max_usd: get::<f64>(&o, "budgetUsd")?,
                max_tokens: get::<i64>(&o, "budgetTokens")?.map(|n| n.max(0) as u64),
            };
            if budget.max_usd.is_some() || budget.max_tokens.is_some() {
                b = b.budget(budget, prices);
            }
            let timeout =
                Duration::try_from_secs_f64(get::<f64>(&o, "approvalTimeout")?.unwrap_or(300.0))
                    .map_err(|_| invalid("approvalTimeout must be a number of seconds ≥ 0"))?;
            match get::<Unknown>(&o, "approval")? {
                None => {}
                Some(a) if a.get_type().map_err(napi_err)? == ValueType::String => {
                    // SAFETY: the value is a string (checked by the guard).
                    let a =
                        unsafe { String::from_napi_value(env.raw(), a.raw()) }.map_err(napi_err)?;
                    b = b.approval(match a.as_str() {
                        "auto" => ApprovalPolicy::Auto,
                        "manual" => ApprovalPolicy::Manual { timeout },
                        other => {
                            return Err(invalid(format!(
                                "approval is 'auto', 'manual' or a function, not {other:?}"
                            )));
                        }
                    });
                }
                Some(f) => {
                    // A function decides at each gate, within the approval timeout.
                    let decide_fn = callback(&env, f, "approval")?;
                    b = b.approval(ApprovalPolicy::AsyncCallback {
                        decide: Arc::new(move |shown: Message| {
                            let decide_fn = decide_fn.clone();
                            Box::pin(async move { decide(&decide_fn, &shown).await })
                        }),
                        timeout,
                    });
                }
            }
            if let Some(f) = get::<Unknown>(&o, "humanReviewer")? {
                let reviewer = callback(&env, f, "humanReviewer")?;
                b = b.human_reviewer_async(Arc::new(move |review: HumanReview| {
                    let reviewer = reviewer.clone();
                    Box::pin(async move { review_in_js(&reviewer, &review).await })
                }));
            }
            if let Some(n) = get::<u32>(&o, "maxTokens")? {
                b = b.max_tokens(n);
            }
            if let Some(t) = get::<f64>(&o, "callTimeout")? {
                b = b.call_timeout(
                    Duration::try_from_secs_f64(t)
                        .map_err(|_| invalid("callTimeout must be a number of seconds > 0"))?,
                );
            }
            if let Some(v) = get::<bool>(&o, "dryRun")? {
                b = b.dry_run(v);
            }
            if let Some(v) = get::<bool>(&o, "fsync")? {
                b = b.fsync(v);
            }
            if let Some(d) = get::<String>(&o, "runDir")? {
                b = b.run_dir(d);
            }
            if let Some(n) = get::<u32>(&o, "maxConcurrentRuns")? {
                b = b.max_concurrent_runs(n as usize);
            }
            if get::<bool>(&o, "format")?.unwrap_or(false) {
                let timeout = get::<f64>(&o, "formatTimeout")?.unwrap_or(60.0);
                b = b.format(
                    Duration::try_from_secs_f64(timeout)
                        .map_err(|_| invalid("formatTimeout must be a number of seconds ≥ 0"))?,
                );
            }
            if let Some(v) = get::<bool>(&o, "preCommitConfig")? {
                b = b.pre_commit_config(v);
            }
            match get::<Value>(&o, "git")? {
                None | Some(Value::Null) | Some(Value::Bool(false)) => {}
                Some(Value::Bool(true)) => b = b.git(mgx_core::git::GitOptions::default()),
                Some(Value::Object(g)) => b = b.git(git_options(&g)?),
                Some(_) => return Err(invalid("git is true or an object of git options")),
            }
            if let Some(Value::Object(prompts)) = get::<Value>(&o, "prompts")? {
                for (action, template) in prompts {
                    let template = template
                        .as_str()
                        .ok_or_else(|| invalid(format!("prompts.{action} must be a string")))?;
                    b = b.prompt(&action, template);
                }
            }
        }
        let team = b.build().map_err(|e| core_err(&e))?;
        Ok(Team { team, on_event })
    }

    /// Run `task` (text, or the JSON task contract) to its end. Resolves with the report when
    /// the run completed; otherwise rejects with an `Error` whose `code` says why (`rejected`,
    /// `cancelled`, `budget_exceeded`, `provider` …), with the `report` attached and, when a JS
    /// provider threw, that error as `cause`. `signal` (an `AbortSignal`) cancels the run.
    #[napi(
        ts_args_type = "task: string, options?: RunOptions",
        ts_return_type = "Promise<RunReport>"
    )]
    pub fn run<'env>(
        &self,
        env: &'env Env,
        task: String,
        options: Option<Object>,
    ) -> Result<PromiseRaw<'env, Value>> {
        let started = self.start_run(env, &task, options.as_ref(), false)?;
        promise(env, started.finish())
    }

    /// Start `task` and return its `Run` at once.
    #[napi(ts_args_type = "task: string, options?: RunOptions")]
    pub fn start(&self, env: &Env, task: String, options: Option<Object>) -> Result<Run> {
        let started = self.start_run(env, &task, options.as_ref(), true)?;
        Ok(Run {
            handle: started.handle,
            events: started
                .events
                .map(|rx| Arc::new(tokio::sync::Mutex::new(rx))),
            delivery: Arc::new(Mutex::new(started.delivery)),
        })
    }

    /// Continue a run journaled under `runDir`: nothing the journal has is paid for twice.
    #[napi(ts_return_type = "Promise<RunReport>")]
    pub fn resume<'env>(&self, env: &'env Env, run_dir: String) -> Result<PromiseRaw<'env, Value>> {
        let team = self.team.clone();
        let (options, delivery) = self.event_options();
        promise(env, async move {
            let report = team
                .resume_with(std::path::Path::new(&run_dir), options)
                .await;
            if let Some(d) = delivery {
                let _ = d.await;
            }
            settle(report)
        })
    }
}

impl Team {
    /// Options carrying the `onEvent` sink, and the task delivering to it.
    fn event_options(&self) -> (RunOptions, Option<tokio::task::JoinHandle<()>>) {
        let mut options = RunOptions::default();
        let mut delivery = None;
        if let Some(f) = &self.on_event {
            let (sink, rx) = ChannelSink::new(RUN_EVENTS);
            options = options.sink(Arc::new(sink));
            delivery = Some(napi::bindgen_prelude::spawn(deliver(rx, f.clone())));
        }
        (options, delivery)
    }

    fn start_run(
        &self,
        env: &Env,
        task: &str,
        run_options: Option<&Object>,
        queue: bool,
    ) -> Result<Started> {
        let (mut options, delivery) = self.event_options();
        let mut signal = None;
        let mut pool = None;
        if let Some(o) = run_options {
            if let Some(d) = get::<String>(o, "outputDir")? {
                options = options.output_dir(d);
            }
            signal = get::<Object>(o, "signal")?;
            if let Some(p) = get::<Unknown>(o, "pool")?
                && p.get_type().map_err(napi_err)? != ValueType::Undefined
            {
                pool = Some(
                    pool_from(env, &p).ok_or_else(|| invalid("option `pool` must be a RunPool"))?,
                );
            }
        }
        // A signal that fired already: the run starts cancelled (no race with a fast run).
        if let Some(signal) = &signal
            && get::<bool>(signal, "aborted")?.unwrap_or(false)
        {
            options = options.cancelled(true);
        }
        let mut events = None;
        if queue {
            let (sink, rx) = ChannelSink::new(RUN_EVENTS);
            options = options.sink(Arc::new(sink));
            events = Some(rx);
        }
        let handle = Arc::new(match pool {
            Some(pool) => pool.start_with(&self.team, task, options),
            None => within_runtime_if_available(|| self.team.start_with(task, options)),
        });
        if let Some(signal) = signal {
            cancel_on_abort(env, &signal, handle.clone())?;
        }
        Ok(Started {
            handle,
            events,
            delivery,
        })
    }
}

/// `addEventListener(type, listener)`.
type AddListenerArgs<'a> = FnArgs<(String, Function<'a, (), ()>)>;

/// `{ branchPrefix, commitTemplate, push, pullRequest, repository, githubApi, token, timeout }`.
fn git_options(g: &serde_json::Map<String, Value>) -> Result<mgx_core::git::GitOptions> {
    let mut options = mgx_core::git::GitOptions::default();
    let text = |v: &Value, key: &str| {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| invalid(format!("git.{key} must be a string")))
    };
    for (key, v) in g {
        match key.as_str() {
            "branchPrefix" => options.branch_prefix = text(v, key)?,
            "commitTemplate" => options.commit_template = text(v, key)?,
            "push" => options.push = Some(text(v, key)?),
            "pullRequest" => options.pull_request = v.as_bool().unwrap_or(false),
            "repository" => options.repository = Some(text(v, key)?),
            "githubApi" => options.github_api = Some(text(v, key)?),
            "token" => options.token = Some(text(v, key)?),
            "timeout" => {
                options.timeout = v
                    .as_f64()
                    .and_then(|s| Duration::try_from_secs_f64(s).ok())
                    .ok_or_else(|| invalid("git.timeout must be a number of seconds ≥ 0"))?
            }
            other => return Err(invalid(format!("unknown git option {other:?}"))),
        }
    }
    Ok(options)
}

/// `signal.aborted` cancels at once; an `abort` event later cancels then.
fn cancel_on_abort(env: &Env, signal: &Object, handle: Arc<RunHandle>) -> Result<()> {
    if get::<bool>(signal, "aborted")?.unwrap_or(false) {
        handle.cancel();
        return Ok(());
    }
    let add: Function<AddListenerArgs<'_>, ()> =
        get(signal, "addEventListener")?.ok_or_else(|| invalid("signal must be an AbortSignal"))?;
    let listener = env
        .create_function_from_closure::<(), (), _>("mgxCancelRun", move |_| {
            handle.cancel();
            Ok(())
        })
        .map_err(napi_err)?;
    add.apply(signal, FnArgs::from(("abort".to_string(), listener)))
        .map_err(napi_err)?;
    Ok(())
}

/// A run just started: its handle, its event queue, the task delivering `onEvent`.
struct Started {
    handle: Arc<RunHandle>,
    events: Option<Events>,
    delivery: Option<tokio::task::JoinHandle<()>>,
}

impl Started {
    /// The report once the run has ended and `onEvent` has seen every event.
    async fn finish(self) -> Settled {
        let report = self.handle.report().await;
        if let Some(d) = self.delivery {
            let _ = d.await;
        }
        settle(report)
    }
}

/// A completed run's report, or the failure with the report attached.
fn settle(report: RunReport) -> Settled {
    if report.status == RunStatus::Completed {
        return Ok(Json::of(&report));
    }
    let value = serde_json::to_value(&report).unwrap_or_default();
    let (code, message) = match report.status {
        RunStatus::Rejected => (
            "rejected",
            report.error.clone().unwrap_or_else(|| "rejected".into()),
        ),
        _ => (
            report
                .failure
                .as_ref()
                .map_or("failed", mgx_core::Error::code),
            report
                .error
                .clone()
                .unwrap_or_else(|| "the run did not complete".into()),
        ),
    };
    Err(Box::new(Failure {
        code,
        message,
        error: report.failure,
        report: Some(value),
    }))
}

/// What the `approval` function decides about what it is shown: `true`/`undefined` approve,
/// `false` rejects, `{ approve, feedback, reason }` says more. A throw or rejection rejects,
/// with its message.
async fn decide(decide_fn: &Callback, shown: &Message) -> Approval {
    let reject = |reason: String| Approval::Reject { reason };
    match ask(decide_fn, Json::of(shown)).await {
        Ok(Value::Null) | Ok(Value::Bool(true)) => Approval::Approve { feedback: None },
        Ok(Value::Bool(false)) => reject("rejected by the approval function".into()),
        Ok(Value::Object(answer)) => {
            let text = |k: &str| answer.get(k).and_then(Value::as_str).map(str::to_string);
            if answer
                .get("approve")
                .and_then(Value::as_bool)
                .unwrap_or(false)
            {
                Approval::Approve {
                    feedback: text("feedback"),
                }
            } else {
                reject(text("reason").unwrap_or_else(|| "rejected by the approval function".into()))
            }
        }
        Ok(other) => reject(format!(
            "the approval function answers true, false, undefined or {{ approve, feedback, reason }}, not {other}"
        )),
        Err(e) => reject(format!("the approval function threw: {}", e.reason)),
    }
}

/// Ask a JS reviewer; a throw, a rejection or an unreadable answer fails closed.
async fn review_in_js(reviewer: &Callback, review: &HumanReview) -> ReviewVerdict {
    let changes = |finding: String| ReviewVerdict {
        verdict: "changes_required".into(),
        findings: vec![finding],
    };
    match ask(reviewer, Json::of(review)).await {
        Ok(Value::Bool(approved)) => ReviewVerdict {
            verdict: if approved {
                "approved"
            } else {
                "changes_required"
            }
            .into(),
            findings: Vec::new(),
        },
        Ok(answer @ Value::Object(_)) => serde_json::from_value(answer)
            .unwrap_or_else(|e| changes(format!("the reviewer's answer: {e}"))),
        Ok(other) => changes(format!(
            "the reviewer answers true, false or {{ verdict, findings }}, not {other}"
        )),
        Err(e) => changes(format!("the reviewer threw: {}", e.reason)),
    }
}

/// Call `onEvent(event)` for each event, in order, awaiting a returned Promise; a throw or a
/// rejection is reported on stderr and the run goes on.
async fn deliver(mut rx: Events, on_event: Arc<Callback>) {
    while let Some(event) = rx.next().await {
        if let Err(e) = ask(&on_event, Json::of(&event)).await {
            eprintln!("mgx: onEvent failed: {}", e.reason);
        }
    }
}

/// A started run: `await run.plan()`, then `approve()` or `reject()`; `cancel()`; iterate
/// `events()`; `await run.report()`.
#[napi]
pub struct Run {
    handle: Arc<RunHandle>,
    events: Option<Arc<tokio::sync::Mutex<Events>>>,
    delivery: Arc<Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

#[napi]
impl Run {
    /// The plan once it is ready (`{ kind, from, content, data }`), or `null` if the run ended
    /// before.
    #[napi(ts_return_type = "Promise<Message | null>")]
    pub fn plan<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Value>> {
        let handle = self.handle.clone();
        promise(env, async move { Ok(Json::of(&handle.plan().await)) })
    }

    /// In patch mode, the change set waiting for approval (`data` has the `hash`, the `diff`
    /// and the `files`), or `null` if the run ended before.
    #[napi(ts_return_type = "Promise<Message | null>")]
    pub fn change_set<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Value>> {
        let handle = self.handle.clone();
        promise(env, async move { Ok(Json::of(&handle.change_set().await)) })
    }

    /// Approve what waits for approval, with notes for the engineer.
    #[napi]
    pub fn approve(&self, feedback: Option<String>) {
        self.handle.approve(feedback);
    }

    /// Reject what waits for approval: the run ends and writes nothing.
    #[napi]
    pub fn reject(&self, reason: Option<String>) {
        self.handle
            .reject(reason.unwrap_or_else(|| "rejected".into()));
    }

    /// Cancel the run: it stops at once and writes nothing.
    #[napi]
    pub fn cancel(&self) {
        self.handle.cancel();
    }

    /// Whether the run has ended.
    #[napi(getter)]
    pub fn done(&self) -> bool {
        self.handle.is_finished()
    }

    /// The report once the run has ended, as `Team.run` settles (awaitable more than once).
    #[napi(ts_return_type = "Promise<RunReport>")]
    pub fn report<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Value>> {
        let started = Started {
            handle: self.handle.clone(),
            events: None,
            delivery: self
                .delivery
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take(),
        };
        promise(env, started.finish())
    }

    /// The run's events, from the first (`analysis_start`) to the last; one consumer.
    #[napi]
    pub fn events(&self) -> Result<EventStream> {
        match &self.events {
            Some(rx) => Ok(EventStream { rx: rx.clone() }),
            None => Err(invalid("this run has no event stream")),
        }
    }
}

/// A run's events as an async iterator of plain objects in the event contract's shape.
#[napi(async_iterator)]
pub struct EventStream {
    rx: Arc<tokio::sync::Mutex<Events>>,
}

#[napi]
impl AsyncGenerator for EventStream {
    type Yield = Value;
    type Next = ();
    type Return = ();

    fn next(
        &mut self,
        _value: Option<Self::Next>,
    ) -> impl std::future::Future<Output = napi::Result<Option<Self::Yield>>> + Send + 'static {
        let rx = self.rx.clone();
        async move {
            Ok(rx
                .lock()
                .await
                .next()
                .await
                .map(|event| serde_json::to_value(&event).unwrap_or_default()))
        }
    }
}
