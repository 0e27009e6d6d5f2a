//! The team runtime for Python: `Team` (keyword arguments), `Run` (a started run's handle),
//! `RunReport`, and the event stream of a run.
//!
//! Runs execute on the core's tokio runtime. A run started from async code carries that
//! code's event loop, so `async def` providers and event callbacks run on it; `run_sync`
//! runs an event loop of its own for them.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use pyo3::exceptions::{PyStopAsyncIteration, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyString};

use mgx_core::budget::Budget;
use mgx_core::cost::PriceTable;
use mgx_core::events::{ChannelSink, EventStream};
use mgx_core::team::{
    Approval, ApprovalPolicy, HumanReview, Message, ReviewVerdict, RunHandle, RunOptions, RunPool,
    RunReport, RunStatus, Team,
};

use crate::bridge::{Plain, RunLoop, call_for_run, for_any_py, future_into_py};
use crate::caches::PyCache;
use crate::convert::{from_py, to_py, type_name, value_to_py};
use crate::error::{MgxError, core_err, rejected};
use crate::providers::provider_from;

/// Events a run's queue holds for a slow reader before it drops some (never the last, which
/// ends the run); a run emits a few dozen.
const RUN_EVENTS: usize = 4096;

/// A team of agent roles — team leader, engineer, tester, reviewer — that turns a task into
/// code and tests. Every argument is a keyword; all are optional. Cheap to share: one team
/// runs many tasks at once.
#[pyclass(name = "Team", module = "mgx", frozen)]
pub(crate) struct PyTeam {
    team: Team,
    on_event: Option<Arc<Py<PyAny>>>,
}

#[pymethods]
impl PyTeam {
    #[new]
    #[pyo3(signature = (*, provider = None, role_providers = None, cache = None, on_event = None, stack = None, constraints = Vec::new(), strict = false, output_dir = None, project = None, max_rounds = None, max_revision_rounds = None, max_validation_retries = None, budget_usd = None, budget_tokens = None, prices = None, budget_by_complexity = None, approval = None, approval_timeout = 300.0, human_reviewer = None, max_tokens = None, call_timeout = 600.0, dry_run = false, fsync = true, run_dir = None, max_concurrent_runs = None, prompts = None, format = false, format_timeout = 60.0, pre_commit_config = false, git = None, roles = None))]
    #[allow(clippy::too_many_arguments)] // the keyword arguments of one Python constructor
    fn new(
        provider: Option<&Bound<'_, PyAny>>,
        role_providers: Option<&Bound<'_, PyDict>>,
        cache: Option<&Bound<'_, PyCache>>,
        on_event: Option<&Bound<'_, PyAny>>,
        stack: Option<&str>,
        constraints: Vec<String>,
        strict: bool,
        output_dir: Option<PathBuf>,
        project: Option<PathBuf>,
        max_rounds: Option<usize>,
        max_revision_rounds: Option<usize>,
        max_validation_retries: Option<usize>,
        budget_usd: Option<f64>,
        budget_tokens: Option<u64>,
        prices: Option<&Bound<'_, PyDict>>,
        budget_by_complexity: Option<f64>,
        approval: Option<&Bound<'_, PyAny>>,
        approval_timeout: f64,
        human_reviewer: Option<&Bound<'_, PyAny>>,
        max_tokens: Option<u32>,
        call_timeout: f64,
        dry_run: bool,
        fsync: bool,
        run_dir: Option<PathBuf>,
        max_concurrent_runs: Option<usize>,
        prompts: Option<&Bound<'_, PyDict>>,
        format: bool,
        format_timeout: f64,
        pre_commit_config: bool,
        git: Option<&Bound<'_, PyAny>>,
        roles: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut b = Team::builder().strict(strict).dry_run(dry_run).fsync(fsync);
        if let Some(p) = provider {
            b = b.provider(provider_from(p)?);
        }
        if let Some(roles) = role_providers {
            for (role, p) in roles.iter() {
                let role: String = role.extract()?;
                b = b.role_provider(&role, provider_from(&p)?);
            }
        }
        if let Some(c) = cache {
            b = b.cache(c.get().inner.clone());
        }
        if let Some(roles) = roles {
            b = b.roles(crate::roles::roles_from(roles)?);
        }
        if let Some(s) = stack {
            b = b.stack(s);
        }
        for c in &constraints {
            b = b.constraint(c);
        }
        if let Some(d) = output_dir {
            b = b.output_dir(d);
        }
        if let Some(d) = project {
            b = b.project(d);
        }
        if let Some(n) = max_rounds {
            b = b.max_rounds(n);
        }
        if let Some(n) = max_revision_rounds {
            b = b.max_revision_rounds(n);
        }
        if let Some(n) = max_validation_retries {
            b = b.max_validation_retries(n);
        }
        let prices = match prices {
            Some(p) => PriceTable::from_json(&from_py(p.as_any())?.to_string())
                .map_err(|e| core_err(&e))?,
            None => PriceTable::new(),
        };
        if let Some(multiplier) = budget_by_complexity {
            b = b.budget_by_complexity(multiplier, prices.clone());
        }
        if budget_usd.is_some() || budget_tokens.is_some() {
            let budget = Budget {
                max_usd: budget_usd,
                max_tokens: budget_tokens,
            };
            b = b.budget(budget, prices);
        }
        b = b.approval(approval_policy(approval, approval_timeout)?);
        if let Some(h) = human_reviewer {
            b = b.human_reviewer_async(human_reviewer_from(h)?);
        }
        if let Some(n) = max_tokens {
            b = b.max_tokens(n);
        }
        b =
            b.call_timeout(Duration::try_from_secs_f64(call_timeout).map_err(|_| {
                PyValueError::new_err("call_timeout must be a number of seconds > 0")
            })?);
        if let Some(d) = run_dir {
            b = b.run_dir(d);
        }
        if let Some(n) = max_concurrent_runs {
            b = b.max_concurrent_runs(n);
        }
        if let Some(prompts) = prompts {
            for (action, template) in prompts.iter() {
                b = b.prompt(&action.extract::<String>()?, &template.extract::<String>()?);
            }
        }
        if format {
            b = b.format(Duration::try_from_secs_f64(format_timeout).map_err(|_| {
                PyValueError::new_err("format_timeout must be a number of seconds ≥ 0")
            })?);
        }
        b = b.pre_commit_config(pre_commit_config);
        if let Some(options) = git.map(git_options).transpose()?.flatten() {
            b = b.git(options);
        }
        let on_event = match on_event {
            Some(cb) if !cb.is_callable() => {
                return Err(PyTypeError::new_err("on_event must be callable"));
            }
            Some(cb) => Some(Arc::new(cb.clone().unbind())),
            None => None,
        };
        let team = b.build().map_err(|e| core_err(&e))?;
        Ok(PyTeam { team, on_event })
    }

    /// Run `task` (text, or the JSON task contract) to its end; awaitable, gives the
    /// `RunReport` (failures included: see `report.raise_for_status()`). Cancelling the
    /// awaiting task cancels the run.
    #[pyo3(signature = (task, *, output_dir = None, pool = None))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        task: String,
        output_dir: Option<PathBuf>,
        pool: Option<PyRef<'_, PyRunPool>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let run_loop = RunLoop::current(py)?;
        let pool = pool.map(|p| p.pool.clone());
        let started = self.start_run(&task, output_dir, Some(run_loop.clone()), false, pool);
        run_loop.future_into_py(py, started.finish())
    }

    /// `run` for scripts: blocks until the run ends (an event loop of its own serves async
    /// providers and callbacks). Not from inside a running event loop: `await team.run()`.
    #[pyo3(signature = (task, *, output_dir = None, pool = None))]
    fn run_sync(
        &self,
        py: Python<'_>,
        task: String,
        output_dir: Option<PathBuf>,
        pool: Option<PyRef<'_, PyRunPool>>,
    ) -> PyResult<PyRunReport> {
        let pool = pool.map(|p| p.pool.clone());
        let event_loop = py.import("asyncio")?.call_method0("new_event_loop")?;
        // The run's async providers and callbacks queue on the loop until it runs, just below.
        let run_loop = RunLoop::new(&event_loop)?;
        let started = self.start_run(&task, output_dir, Some(run_loop), false, pool);
        let result =
            pyo3_async_runtimes::tokio::run_until_complete(event_loop.clone(), started.finish());
        event_loop.call_method0("close")?;
        result
    }

    /// Start `task` and return its `Run` at once: await its plan, approve or reject it,
    /// iterate its events, cancel it, await its report.
    #[pyo3(signature = (task, *, output_dir = None, pool = None))]
    fn start(
        &self,
        py: Python<'_>,
        task: String,
        output_dir: Option<PathBuf>,
        pool: Option<PyRef<'_, PyRunPool>>,
    ) -> PyRun {
        let run_loop = RunLoop::current(py).ok();
        let pool = pool.map(|p| p.pool.clone());
        let started = self.start_run(&task, output_dir, run_loop, true, pool);
        PyRun {
            handle: started.handle,
            events: started
                .events
                .map(|rx| Arc::new(tokio::sync::Mutex::new(rx))),
            delivery: Arc::new(Mutex::new(started.delivery)),
        }
    }

    /// Continue a run journaled under `run_dir=` (awaitable `RunReport`): nothing the journal
    /// has is paid for twice.
    fn resume<'py>(&self, py: Python<'py>, run_dir: PathBuf) -> PyResult<Bound<'py, PyAny>> {
        let run_loop = RunLoop::current(py)?;
        let team = self.team.clone();
        let (options, delivery) = self.event_options(Some(&run_loop));
        // The resumed run is driven by this future: its providers see the loop through it.
        run_loop.future_into_py(py, async move {
            let report = team.resume_with(&run_dir, options).await;
            if let Some(d) = delivery {
                let _ = d.await;
            }
            Ok(PyRunReport::new(report))
        })
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.team)
    }
}

/// `git=True` (the defaults), `False`/`None` (no git step), or a dict: `branch_prefix`,
/// `commit_template`, `push` (a remote), `pull_request`, `repository` (`owner/name`),
/// `github_api`, `token`, `timeout` (seconds).
fn git_options(value: &Bound<'_, PyAny>) -> PyResult<Option<mgx_core::git::GitOptions>> {
    let mut options = mgx_core::git::GitOptions::default();
    if value.is_none() {
        return Ok(None);
    }
    if let Ok(b) = value.cast::<PyBool>() {
        return Ok(b.is_true().then_some(options));
    }
    let Ok(dict) = value.cast::<PyDict>() else {
        return Err(PyTypeError::new_err("git is True or a dict of git options"));
    };
    for (key, v) in dict.iter() {
        let key: String = key.extract()?;
        match key.as_str() {
            "branch_prefix" => options.branch_prefix = v.extract()?,
            "commit_template" => options.commit_template = v.extract()?,
            "push" => options.push = v.extract()?,
            "pull_request" => options.pull_request = v.extract()?,
            "repository" => options.repository = v.extract()?,
            "github_api" => options.github_api = v.extract()?,
            "token" => options.token = v.extract()?,
            "timeout" => {
                options.timeout = Duration::try_from_secs_f64(v.extract()?).map_err(|_| {
                    PyValueError::new_err("git timeout must be a number of seconds ≥ 0")
                })?
            }
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown git option {other:?}"
                )));
            }
        }
    }
    Ok(Some(options))
}

/// What starting a run gives: its handle, its event queue, the task delivering `on_event`.
struct Started {
    handle: Arc<RunHandle>,
    events: Option<EventStream>,
    delivery: Option<tokio::task::JoinHandle<()>>,
}

impl Started {
    /// Await the report (cancelling the run if this future is dropped first) and the delivery
    /// of every event to `on_event`.
    async fn finish(self) -> PyResult<PyRunReport> {
        let guard = CancelOnDrop(Some(self.handle.clone()));
        let report = self.handle.report().await;
        drop(guard.disarm());
        if let Some(d) = self.delivery {
            let _ = d.await;
        }
        Ok(PyRunReport::new(report))
    }
}

/// Cancels the run when dropped armed: an awaiting Python task that is cancelled cancels its run.
struct CancelOnDrop(Option<Arc<RunHandle>>);

impl CancelOnDrop {
    fn disarm(mut self) -> Option<Arc<RunHandle>> {
        self.0.take()
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            handle.cancel();
        }
    }
}

impl PyTeam {
    /// The run's options for events: `on_event`'s sink and the task delivering to it.
    fn event_options(
        &self,
        run_loop: Option<&RunLoop>,
    ) -> (RunOptions, Option<tokio::task::JoinHandle<()>>) {
        let mut options = RunOptions::default();
        let mut delivery = None;
        if let Some(callback) = &self.on_event {
            let (sink, rx) = ChannelSink::new(RUN_EVENTS);
            options = options.sink(Arc::new(sink));
            let callback = callback.clone();
            let run_loop = run_loop.cloned();
            delivery = Some(
                pyo3_async_runtimes::tokio::get_runtime().spawn(deliver(rx, callback, run_loop)),
            );
        }
        (options, delivery)
    }

    fn start_run(
        &self,
        task: &str,
        output_dir: Option<PathBuf>,
        run_loop: Option<RunLoop>,
        queue: bool,
        pool: Option<Arc<RunPool>>,
    ) -> Started {
        let (mut options, delivery) = self.event_options(run_loop.as_ref());
        if let Some(dir) = output_dir {
            options = options.output_dir(dir);
        }
        let mut events = None;
        if queue {
            let (sink, rx) = ChannelSink::new(RUN_EVENTS);
            options = options.sink(Arc::new(sink));
            events = Some(rx);
        }
        if let Some(run_loop) = run_loop {
            options = options.wrap(Arc::new(move |run| Box::pin(run_loop.clone().scope(run))));
        }
        let handle = Arc::new(match pool {
            Some(pool) => pool.start_with(&self.team, task, options),
            None => {
                let _runtime = pyo3_async_runtimes::tokio::get_runtime().enter();
                self.team.start_with(task, options)
            }
        });
        Started {
            handle,
            events,
            delivery,
        }
    }
}

/// Call `callback(event)` for each event, in order, on the run's event loop (a coroutine it
/// returns is awaited there before the next event). Without a loop (a run started from sync
/// code), a plain callback is called from a runtime thread. What it raises is reported as
/// unraisable (the run goes on).
async fn deliver(mut rx: EventStream, callback: Arc<Py<PyAny>>, run_loop: Option<RunLoop>) {
    while let Some(event) = rx.next().await {
        let call = callback.clone();
        let delivered = call_for_run(
            run_loop.as_ref(),
            "on_event",
            move |py| to_py(py, &event).and_then(|e| call.bind(py).call1((e,))),
            |_| Ok(()),
        )
        .await;
        if let Err(e) = delivered {
            crate::bridge::attach(|py| e.write_unraisable(py, Some(callback.bind(py))));
        }
    }
}

fn approval_policy(approval: Option<&Bound<'_, PyAny>>, timeout: f64) -> PyResult<ApprovalPolicy> {
    let Some(approval) = approval else {
        return Ok(ApprovalPolicy::Auto);
    };
    let timeout = Duration::try_from_secs_f64(timeout)
        .map_err(|_| PyValueError::new_err("approval_timeout must be a number of seconds ≥ 0"))?;
    if let Ok(s) = approval.cast::<PyString>() {
        return match s.extract::<String>()?.as_str() {
            "auto" => Ok(ApprovalPolicy::Auto),
            "manual" => Ok(ApprovalPolicy::Manual { timeout }),
            other => Err(PyValueError::new_err(format!(
                "approval is 'auto', 'manual' or a callable, not {other:?}"
            ))),
        };
    }
    let callback = callable(approval, "approval")?;
    Ok(ApprovalPolicy::AsyncCallback {
        decide: Arc::new(move |message: Message| {
            let callback = callback.clone();
            Box::pin(async move {
                let rejected = |reason| Approval::Reject { reason };
                ask_python(&callback, message, approval_from, "approval", rejected).await
            })
        }),
        timeout,
    })
}

/// Call the `what` callback with `arg` for the run: on its event loop (a coroutine it returns
/// is awaited there), in the run's context; `read` reads the answer there. Without a loop (a
/// run started from sync code), a plain callback is called from a runtime thread. What it
/// raises is reported as unraisable and answered by `failed` with the reason.
async fn ask_python<A, T>(
    callback: &Arc<Py<PyAny>>,
    arg: A,
    read: for<'py> fn(&Bound<'py, PyAny>) -> PyResult<T>,
    what: &str,
    failed: impl FnOnce(String) -> T,
) -> T
where
    A: serde::Serialize + Send + 'static,
    T: Send + 'static,
{
    match call_python(callback, arg, read).await {
        Ok(answer) => answer,
        Err(e) => {
            let reason = format!("the {what} callback raised {e}");
            crate::bridge::attach(|py| e.write_unraisable(py, Some(callback.bind(py))));
            failed(reason)
        }
    }
}

/// `callback(arg)` read by `read` (see [`ask_python`]).
async fn call_python<A, T>(
    callback: &Arc<Py<PyAny>>,
    arg: A,
    read: for<'py> fn(&Bound<'py, PyAny>) -> PyResult<T>,
) -> PyResult<T>
where
    A: serde::Serialize + Send + 'static,
    T: Send + 'static,
{
    let callback = callback.clone();
    let call = for_any_py(move |py| to_py(py, &arg).and_then(|a| callback.bind(py).call1((a,))));
    call_for_run(RunLoop::of_task().as_ref(), "callback", call, read).await
}

/// `True`/`None` approve, `False` rejects; a dict says `approve` and the `feedback` or
/// `reason`.
fn approval_from(answer: &Bound<'_, PyAny>) -> PyResult<Approval> {
    if answer.is_none() {
        return Ok(Approval::Approve { feedback: None });
    }
    if let Ok(b) = answer.cast::<PyBool>() {
        return Ok(if b.is_true() {
            Approval::Approve { feedback: None }
        } else {
            Approval::Reject {
                reason: "rejected by the approval callback".into(),
            }
        });
    }
    if let Ok(d) = answer.cast::<PyDict>() {
        let approve = d
            .get_item("approve")?
            .ok_or_else(|| PyValueError::new_err("an approval dict needs 'approve'"))?
            .is_truthy()?;
        let text = |key: &str| -> PyResult<Option<String>> {
            d.get_item(key)?.map(|v| v.extract()).transpose()
        };
        return Ok(if approve {
            Approval::Approve {
                feedback: text("feedback")?,
            }
        } else {
            Approval::Reject {
                reason: text("reason")?
                    .unwrap_or_else(|| "rejected by the approval callback".into()),
            }
        });
    }
    Err(PyTypeError::new_err(format!(
        "the approval callback answers True, False, None or a dict, not {}",
        type_name(answer)
    )))
}

fn human_reviewer_from(reviewer: &Bound<'_, PyAny>) -> PyResult<mgx_core::team::HumanReviewer> {
    let callback = callable(reviewer, "human_reviewer")?;
    Ok(Arc::new(move |review: HumanReview| {
        let callback = callback.clone();
        Box::pin(async move {
            // Fails closed: a reviewer that could not answer did not approve.
            let unanswered = |finding| ReviewVerdict {
                verdict: "changes_required".into(),
                findings: vec![finding],
            };
            ask_python(
                &callback,
                review,
                verdict_from,
                "human reviewer",
                unanswered,
            )
            .await
        })
    }))
}

/// `True` approves, `False` asks for changes; a dict gives `verdict` and `findings`.
fn verdict_from(answer: &Bound<'_, PyAny>) -> PyResult<ReviewVerdict> {
    if let Ok(b) = answer.cast::<PyBool>() {
        return Ok(ReviewVerdict {
            verdict: if b.is_true() {
                "approved"
            } else {
                "changes_required"
            }
            .into(),
            findings: Vec::new(),
        });
    }
    if answer.cast::<PyDict>().is_ok() {
        return serde_json::from_value(from_py(answer)?)
            .map_err(|e| PyValueError::new_err(format!("a review verdict: {e}")));
    }
    Err(PyTypeError::new_err(format!(
        "the human reviewer answers True, False or a dict with 'verdict' and 'findings', not {}",
        type_name(answer)
    )))
}

/// A callable (a plain function or an `async def`), checked when the team is built.
fn callable(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Arc<Py<PyAny>>> {
    if !obj.is_callable() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be callable, not {}",
            type_name(obj)
        )));
    }
    Ok(Arc::new(obj.clone().unbind()))
}

/// A started run: await `plan()`, then `approve()` or `reject()`; `cancel()`; iterate
/// `events()`; await `report()` (or the run itself).
#[pyclass(name = "Run", module = "mgx", frozen)]
pub(crate) struct PyRun {
    handle: Arc<RunHandle>,
    events: Option<Arc<tokio::sync::Mutex<EventStream>>>,
    delivery: Arc<Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

#[pymethods]
impl PyRun {
    /// The plan once it is ready (awaitable dict with `kind`, `from`, `content`, `data`), or
    /// `None` if the run ended before.
    fn plan<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let handle = self.handle.clone();
        future_into_py(py, async move { Ok(Plain(handle.plan().await)) })
    }

    /// In patch mode, the change set waiting for approval (awaitable dict; `data` has the
    /// `hash`, the `diff` and the `files`), or `None` if the run ended before.
    fn change_set<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let handle = self.handle.clone();
        future_into_py(py, async move { Ok(Plain(handle.change_set().await)) })
    }

    /// Approve what waits for approval (the plan, then in patch mode the change set), with
    /// notes for the engineer.
    #[pyo3(signature = (feedback = None))]
    fn approve(&self, feedback: Option<String>) {
        self.handle.approve(feedback);
    }

    /// Reject what waits for approval: the run ends and writes nothing.
    #[pyo3(signature = (reason = "rejected"))]
    fn reject(&self, reason: &str) {
        self.handle.reject(reason);
    }

    /// Cancel the run: it stops at once and writes nothing.
    fn cancel(&self) {
        self.handle.cancel();
    }

    /// Whether the run has ended.
    #[getter]
    fn done(&self) -> bool {
        self.handle.is_finished()
    }

    /// The report once the run has ended (awaitable `RunReport`); awaiting it more than once
    /// is fine. Cancelling the awaiting task cancels the run.
    fn report<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let started = Started {
            handle: self.handle.clone(),
            events: None,
            delivery: self
                .delivery
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take(),
        };
        future_into_py(py, started.finish())
    }

    /// The run's events as an async iterator of dicts, from the first (`analysis_start`) to
    /// the last (`completion`, `failure`, `cancelled` …). One consumer.
    fn events(&self) -> PyResult<PyEventStream> {
        match &self.events {
            Some(rx) => Ok(PyEventStream { rx: rx.clone() }),
            None => Err(MgxError::new_err("this run has no event stream")),
        }
    }

    fn __await__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let report = slf.get().report(slf.py())?;
        report.call_method0("__await__")
    }

    fn __repr__(&self) -> String {
        format!(
            "Run(done={})",
            if self.handle.is_finished() {
                "True"
            } else {
                "False"
            }
        )
    }
}

/// A run's events, as an async iterator of dicts in the seed's event shape.
#[pyclass(name = "EventStream", module = "mgx", frozen)]
pub(crate) struct PyEventStream {
    rx: Arc<tokio::sync::Mutex<EventStream>>,
}

#[pymethods]
impl PyEventStream {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let rx = self.rx.clone();
        future_into_py(py, async move {
            match rx.lock().await.next().await {
                Some(event) => Ok(Plain(event)),
                None => Err(PyStopAsyncIteration::new_err(())),
            }
        })
    }
}

/// What a run did: its outcome and everything that led to it. `to_dict()` gives all of it as
/// plain data; `raise_for_status()` raises the run's error when it did not complete.
#[pyclass(name = "RunReport", module = "mgx", frozen)]
pub(crate) struct PyRunReport {
    inner: RunReport,
    /// The report as JSON, written when a field read as plain data is first asked for (a
    /// program that runs thousands of tasks and reads `ok` never pays for it).
    value: std::sync::OnceLock<serde_json::Value>,
}

impl PyRunReport {
    fn new(inner: RunReport) -> Self {
        PyRunReport {
            inner,
            value: std::sync::OnceLock::new(),
        }
    }

    fn value(&self) -> &serde_json::Value {
        self.value
            .get_or_init(|| serde_json::to_value(&self.inner).unwrap_or_default())
    }

    fn field<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        value_to_py(py, &self.value()[name])
    }

    /// The status as its JSON word.
    fn status_word(&self) -> String {
        match serde_json::to_value(self.inner.status) {
            Ok(serde_json::Value::String(s)) => s,
            _ => String::new(),
        }
    }
}

#[pymethods]
impl PyRunReport {
    /// `completed`, `rejected`, `budget_exceeded`, `failed` or `cancelled`.
    #[getter]
    fn status(&self) -> String {
        self.status_word()
    }
    /// Whether the run completed.
    #[getter]
    fn ok(&self) -> bool {
        self.inner.status == RunStatus::Completed
    }
    #[getter]
    fn run_id(&self) -> &str {
        &self.inner.run_id
    }
    #[getter]
    fn task_id(&self) -> &str {
        &self.inner.task_id
    }
    /// Why it did not complete.
    #[getter]
    fn error(&self) -> Option<&str> {
        self.inner.error.as_deref()
    }
    /// The error's stable code (`provider`, `budget_exceeded` …).
    #[getter]
    fn error_code(&self) -> Option<&str> {
        self.inner.error_code.as_deref()
    }
    #[getter]
    fn stack(&self) -> Option<&str> {
        self.inner.stack.as_deref()
    }
    #[getter]
    fn stack_confidence(&self) -> f64 {
        self.inner.stack_confidence
    }
    /// The providers used (`offline/scaffold` means a scaffold, not a model's work).
    #[getter]
    fn providers(&self) -> Vec<String> {
        self.inner.providers.clone()
    }
    /// The team leader's analysis (complexity, files, test strategy).
    #[getter]
    fn analysis<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, "analysis")
    }
    #[getter]
    fn plan(&self) -> Vec<String> {
        self.inner.plan.clone()
    }
    /// The files written (code and tests), relative to the output directory.
    #[getter]
    fn files(&self) -> Vec<String> {
        self.inner.files.clone()
    }
    #[getter]
    fn tests(&self) -> Vec<String> {
        self.inner.tests.clone()
    }
    /// The last review: `{"verdict", "findings"}`.
    #[getter]
    fn review<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, "review")
    }
    /// Every validation of the engineer's output.
    #[getter]
    fn validations<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, "validations")
    }
    #[getter]
    fn revision_rounds(&self) -> usize {
        self.inner.revision_rounds
    }
    #[getter]
    fn llm_calls(&self) -> u64 {
        self.inner.llm_calls
    }
    #[getter]
    fn cache_hits(&self) -> u64 {
        self.inner.cache_hits
    }
    /// Prompt tokens the servers reported (`None` when any call's usage is unknown).
    #[getter]
    fn tokens_in(&self) -> Option<u64> {
        self.inner.tokens_in
    }
    #[getter]
    fn tokens_out(&self) -> Option<u64> {
        self.inner.tokens_out
    }
    /// Dollars, when every call's usage and price are known.
    #[getter]
    fn cost_usd(&self) -> Option<f64> {
        self.inner.cost_usd
    }
    /// Wall time per phase, in milliseconds.
    #[getter]
    fn phase_ms<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, "phase_ms")
    }
    #[getter]
    fn output_dir(&self) -> Option<&str> {
        self.inner.output_dir.as_deref()
    }
    /// The run's journal directory (for `Team.resume`).
    #[getter]
    fn run_dir(&self) -> Option<&str> {
        self.inner.run_dir.as_deref()
    }
    /// Where the run's time went (phases, model latency) and the memory the process held.
    #[getter]
    fn profile<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, "profile")
    }
    /// What formatting did (`ran`, `missing`, `skipped`), when the team formats.
    #[getter]
    fn formatting<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, "formatting")
    }
    /// What the git step did (`branch`, `commit`, `pushed_to`, `pull_request_url`, `error`).
    #[getter]
    fn git<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, "git")
    }

    /// Raise the run's error unless it completed: `RejectedError`, `CancelledError`,
    /// `BudgetExceededError`, `ProviderError` (a Python provider's exception as `__cause__`) …
    fn raise_for_status(&self) -> PyResult<()> {
        match self.inner.status {
            RunStatus::Completed => Ok(()),
            RunStatus::Rejected => Err(rejected(self.inner.error.as_deref())),
            _ => Err(match &self.inner.failure {
                Some(e) => core_err(e),
                None => MgxError::new_err(
                    self.inner
                        .error
                        .clone()
                        .unwrap_or_else(|| "the run did not complete".into()),
                ),
            }),
        }
    }

    /// Everything, as plain data (the JSON report).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        value_to_py(py, self.value())
    }

    fn __repr__(&self) -> String {
        format!(
            "RunReport(status='{}', stack={}, files={}, llm_calls={})",
            self.status_word(),
            self.inner
                .stack
                .as_deref()
                .map_or("None".to_string(), |s| format!("'{s}'")),
            self.inner.files.len(),
            self.inner.llm_calls
        )
    }
}

/// Threads that run teams' tasks, each run kept on one thread from its start to its end:
/// for programs running hundreds or thousands of runs at once (`team.run(task, pool=pool)`).
/// On the shared runtime a run moves between threads from one model call to the next, and
/// the allocator pays for every block freed on another thread than the one that made it.
/// `threads` defaults to one per core. The threads stop when the pool is collected; runs
/// still going then end as cancelled.
#[pyclass(name = "RunPool", module = "mgx", frozen)]
pub(crate) struct PyRunPool {
    pool: Arc<RunPool>,
}

#[pymethods]
impl PyRunPool {
    #[new]
    #[pyo3(signature = (threads = None))]
    fn new(threads: Option<usize>) -> PyResult<Self> {
        let pool = match threads {
            Some(n) => RunPool::new(n),
            None => RunPool::per_core(),
        }
        .map_err(|e| core_err(&e))?;
        Ok(PyRunPool {
            pool: Arc::new(pool),
        })
    }

    /// How many threads the pool has.
    #[getter]
    fn threads(&self) -> usize {
        self.pool.threads()
    }

    /// Runs started on the pool and not yet ended.
    #[getter]
    fn in_flight(&self) -> usize {
        self.pool.in_flight()
    }

    fn __repr__(&self) -> String {
        format!(
            "RunPool(threads={}, in_flight={})",
            self.pool.threads(),
            self.pool.in_flight()
        )
    }
}

impl Drop for PyRunPool {
    /// Stopping the threads waits for them, and one of them may be waiting for the GIL that
    /// the collecting thread holds: they are stopped from a thread of their own.
    fn drop(&mut self) {
        RunPool::drop_detached(Arc::clone(&self.pool));
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTeam>()?;
    m.add_class::<PyRunPool>()?;
    m.add_class::<PyRun>()?;
    m.add_class::<PyEventStream>()?;
    m.add_class::<PyRunReport>()?;
    Ok(())
}
