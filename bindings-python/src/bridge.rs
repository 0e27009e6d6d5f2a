//! Rust futures and Python's asyncio, handed to each other in batches on the loop's thread.
//!
//! A result awaited from Python, a provider's coroutine to start, an event for `on_event`:
//! each is work for the event loop's thread, and the Rust side that has it runs on a tokio
//! thread. Handing each over on its own — a thread takes the GIL and calls
//! `loop.call_soon_threadsafe` — makes thousands of concurrent runs queue on the GIL the loop
//! thread holds (a context switch or two per result; see "bindings-python" in
//! `benches/README.md`). Here every event loop has one [`LoopBridge`]: work is queued
//! without the GIL, and the loop is woken once for everything queued until it gets to it
//! (the first job of a batch wakes it from a blocking-pool thread; the rest only queue).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use futures::FutureExt;
use futures::future::{AbortHandle, Aborted, abortable};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::{IntoPyObjectExt, intern};
use tokio::sync::oneshot;

use crate::error::MgxError;

/// Work for the loop's thread (the GIL held).
type Job = Box<dyn FnOnce(Python<'_>) + Send>;

/// What a finished task's outcome is handed to (on the loop's thread).
type Deliver = Box<dyn FnOnce(&Bound<'_, PyAny>) + Send>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Set by the `atexit` hook: the interpreter is about to finalise.
static EXITING: AtomicBool = AtomicBool::new(false);
/// Threads of ours inside [`attach`] now.
static ATTACHED: AtomicUsize = AtomicUsize::new(0);

/// `Python::attach(f)` from a thread of the binding, unless the interpreter is exiting (then
/// `None`). Once CPython finalises, a thread that asks for the GIL is ended with a forced
/// unwind, which aborts the process when it meets Rust frames: a program that ends with runs
/// still going must not die of it. The `atexit` hook ([`on_exit`]) waits (GIL released, two
/// seconds at most) for the threads already inside.
pub(crate) fn attach<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> Option<R> {
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            ATTACHED.fetch_sub(1, Ordering::SeqCst);
        }
    }
    if EXITING.load(Ordering::SeqCst) {
        return None;
    }
    ATTACHED.fetch_add(1, Ordering::SeqCst);
    let _leave = Leave;
    if EXITING.load(Ordering::SeqCst) {
        return None;
    }
    Some(Python::attach(f))
}

/// The `atexit` hook: no thread of the binding asks for the GIL any more.
#[pyfunction]
pub(crate) fn on_exit(py: Python<'_>) {
    EXITING.store(true, Ordering::SeqCst);
    py.detach(|| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while ATTACHED.load(Ordering::SeqCst) > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    });
}

/// One event loop's queue of work from Rust threads.
pub(crate) struct LoopBridge {
    event_loop: Py<PyAny>,
    call_soon_threadsafe: Py<PyAny>,
    queue: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    jobs: Vec<Job>,
    /// A drain is scheduled on the loop and has not taken the jobs yet.
    scheduled: bool,
}

impl LoopBridge {
    /// The bridge of `event_loop`: one per loop while anything uses it.
    fn of(event_loop: &Bound<'_, PyAny>) -> PyResult<Arc<LoopBridge>> {
        // A live bridge holds its loop, so no other loop can have its address meanwhile.
        static BRIDGES: Mutex<Vec<(usize, Weak<LoopBridge>)>> = Mutex::new(Vec::new());
        let id = event_loop.as_ptr() as usize;
        let find = |bridges: &[(usize, Weak<LoopBridge>)]| {
            bridges
                .iter()
                .find(|(at, _)| *at == id)
                .and_then(|(_, bridge)| bridge.upgrade())
        };
        if let Some(bridge) = find(&lock(&BRIDGES)) {
            return Ok(bridge);
        }
        // Made without the registry's lock: Python code may run (and another thread take the
        // GIL, then wait on the lock).
        let py = event_loop.py();
        let made = Arc::new(LoopBridge {
            event_loop: event_loop.clone().unbind(),
            call_soon_threadsafe: event_loop
                .getattr(intern!(py, "call_soon_threadsafe"))?
                .unbind(),
            queue: Mutex::new(Queue::default()),
        });
        let mut bridges = lock(&BRIDGES);
        if let Some(bridge) = find(&bridges) {
            return Ok(bridge);
        }
        bridges.retain(|(_, bridge)| bridge.strong_count() > 0);
        bridges.push((id, Arc::downgrade(&made)));
        Ok(made)
    }

    /// Run `job` on the loop's thread. Never waits for the GIL: when no drain is scheduled
    /// yet, a blocking-pool thread schedules one.
    fn submit(self: &Arc<Self>, job: Job) {
        let wake = {
            let mut queue = lock(&self.queue);
            queue.jobs.push(job);
            !std::mem::replace(&mut queue.scheduled, true)
        };
        if wake {
            let bridge = Arc::clone(self);
            pyo3_async_runtimes::tokio::get_runtime().spawn_blocking(move || {
                let woken = attach(|py| Arc::clone(&bridge).wake(py));
                if woken.is_none() {
                    // The interpreter is exiting: its loop will not run this.
                    bridge.abandon();
                }
            });
        }
    }

    /// Schedule a drain on the loop.
    fn wake(self: Arc<Self>, py: Python<'_>) {
        let scheduled = Py::new(
            py,
            Drain {
                bridge: Arc::clone(&self),
                ran: AtomicBool::new(false),
            },
        )
        .and_then(|drain| self.call_soon_threadsafe.call1(py, (drain,)));
        if scheduled.is_err() {
            // The loop is closed.
            self.abandon();
        }
    }

    /// The loop will never run what is queued (it is closed): drop it, which drops what waits
    /// for the answers (they fail with "the event loop closed"); a later job tries again.
    fn abandon(&self) {
        let jobs = {
            let mut queue = lock(&self.queue);
            queue.scheduled = false;
            std::mem::take(&mut queue.jobs)
        };
        drop(jobs);
    }
}

/// Runs what the bridge queued, on the loop's thread. Holds the bridge, so queued work outlives
/// everything else that used it.
#[pyclass(frozen)]
struct Drain {
    bridge: Arc<LoopBridge>,
    ran: AtomicBool,
}

impl Drop for Drain {
    fn drop(&mut self) {
        // Dropped without running: the loop was closed with it still scheduled.
        if !self.ran.load(Ordering::Acquire) {
            self.bridge.abandon();
        }
    }
}

#[pymethods]
impl Drain {
    fn __call__(&self, py: Python<'_>) {
        self.ran.store(true, Ordering::Release);
        let jobs = {
            let mut queue = lock(&self.bridge.queue);
            queue.scheduled = false;
            std::mem::take(&mut queue.jobs)
        };
        for job in jobs {
            // A job that panicked must not take the batch's other jobs with it.
            let _ = std::panic::catch_unwind(AssertUnwindSafe(|| job(py)));
        }
    }
}

/// `f`, typed for a `Python` token of any lifetime (a closure's is inferred as one lifetime).
pub(crate) fn for_any_py<F>(f: F) -> F
where
    F: for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, PyAny>>,
{
    f
}

/// The event loop running on this thread.
fn running_loop<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
    static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    GET_RUNNING_LOOP
        .import(py, "asyncio", "get_running_loop")?
        .call0()
}

/// `contextvars.copy_context()`.
fn copy_context(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    static COPY_CONTEXT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    COPY_CONTEXT
        .import(py, "contextvars", "copy_context")?
        .call0()
}

/// An awaitable of the running event loop that gives `fut`'s output, converted on the loop's
/// thread; Python that `fut` calls runs on that loop. Cancelling the awaitable drops `fut`; a
/// panic in `fut` becomes an `MgxError`.
pub(crate) fn future_into_py<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    RunLoop::current(py)?.future_into_py(py, fut)
}

/// Give `awaited` its result, unless it is cancelled already.
fn settle<T>(
    py: Python<'_>,
    awaited: &Bound<'_, PyAny>,
    outcome: std::thread::Result<Result<PyResult<T>, Aborted>>,
) where
    T: for<'a> IntoPyObject<'a>,
{
    if awaited
        .call_method0(intern!(py, "done"))
        .and_then(|d| d.is_truthy())
        .unwrap_or(true)
    {
        return;
    }
    let result = match outcome {
        Ok(Ok(Ok(value))) => value.into_bound_py_any(py),
        Ok(Ok(Err(e))) => Err(e),
        // Only a cancelled `awaited` aborts, and it is done.
        Ok(Err(Aborted)) => return,
        Err(panic) => Err(MgxError::new_err(format!(
            "a task of the binding panicked: {}",
            panic_message(panic.as_ref())
        ))),
    };
    let set = match result {
        Ok(value) => awaited.call_method1(intern!(py, "set_result"), (value,)),
        Err(e) => awaited.call_method1(intern!(py, "set_exception"), (e.into_value(py),)),
    };
    if let Err(e) = set {
        e.write_unraisable(py, Some(awaited));
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// A done-callback: a cancelled awaitable aborts its Rust future.
#[pyclass(frozen)]
struct AbortOnCancel {
    abort: AbortHandle,
}

#[pymethods]
impl AbortOnCancel {
    fn __call__(&self, awaited: &Bound<'_, PyAny>) -> PyResult<()> {
        if awaited
            .call_method0(intern!(awaited.py(), "cancelled"))?
            .is_truthy()?
        {
            self.abort.abort();
        }
        Ok(())
    }
}

tokio::task_local! {
    /// The event loop (and context) of the run this task belongs to.
    static RUN_LOOP: RunLoop;
}

/// A run's event loop and the `contextvars` context it was started in: where its async
/// providers and `on_event` callbacks run.
#[derive(Clone)]
pub(crate) struct RunLoop {
    bridge: Arc<LoopBridge>,
    context: Arc<Py<PyAny>>,
}

impl RunLoop {
    /// The running loop and the current context; an error without a running loop.
    pub(crate) fn current(py: Python<'_>) -> PyResult<RunLoop> {
        let event_loop = running_loop(py)?;
        RunLoop::new(&event_loop)
    }

    /// `event_loop` (running or about to run) and the current context.
    pub(crate) fn new(event_loop: &Bound<'_, PyAny>) -> PyResult<RunLoop> {
        Ok(RunLoop {
            bridge: LoopBridge::of(event_loop)?,
            context: Arc::new(copy_context(event_loop.py())?.unbind()),
        })
    }

    /// [`future_into_py`] on this loop (which must be the running one), for a caller that has
    /// it already.
    pub(crate) fn future_into_py<'py, F, T>(
        self,
        py: Python<'py>,
        fut: F,
    ) -> PyResult<Bound<'py, PyAny>>
    where
        F: Future<Output = PyResult<T>> + Send + 'static,
        T: for<'a> IntoPyObject<'a> + Send + 'static,
    {
        let awaited = self
            .bridge
            .event_loop
            .bind(py)
            .call_method0(intern!(py, "create_future"))?;
        let bridge = Arc::clone(&self.bridge);
        // What `fut` calls in Python (a provider wrapped in a cassette …) runs on this loop too.
        let (fut, abort) = abortable(self.scope(fut));
        awaited.call_method1(intern!(py, "add_done_callback"), (AbortOnCancel { abort },))?;
        let target = awaited.clone().unbind();
        pyo3_async_runtimes::tokio::get_runtime().spawn(async move {
            let outcome = AssertUnwindSafe(fut).catch_unwind().await;
            bridge.submit(Box::new(move |py| settle(py, target.bind(py), outcome)));
        });
        Ok(awaited)
    }

    /// `fut` with this loop as its run's loop (see [`RunLoop::of_task`]).
    pub(crate) fn scope<F: Future>(self, fut: F) -> impl Future<Output = F::Output> {
        RUN_LOOP.scope(self, fut)
    }

    /// The loop of the run the current task belongs to, if it has one.
    pub(crate) fn of_task() -> Option<RunLoop> {
        RUN_LOOP.try_with(RunLoop::clone).ok()
    }

    /// Call `start` on the loop's thread; when it gives an awaitable, await it there (a task in
    /// the run's context). `finish` reads the outcome there too. Dropping the returned future
    /// before the outcome cancels the task.
    pub(crate) async fn call<T, S, E>(&self, start: S, finish: E) -> PyResult<T>
    where
        T: Send + 'static,
        S: for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, PyAny>> + Send + 'static,
        E: for<'py> FnOnce(&Bound<'py, PyAny>) -> PyResult<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<PyResult<T>>();
        let state = Arc::new(Mutex::new(Call::Waiting));
        let mut guard = CancelTask {
            state: Arc::clone(&state),
            bridge: Arc::clone(&self.bridge),
            settled: false,
        };
        let (bridge, context) = (Arc::clone(&self.bridge), Arc::clone(&self.context));
        self.bridge.submit(Box::new(move |py| {
            if matches!(*lock(&state), Call::Abandoned) {
                return;
            }
            let value = match start(py) {
                Ok(value) => value,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            match value.hasattr(intern!(py, "__await__")) {
                Ok(true) => {}
                Ok(false) => {
                    let _ = tx.send(finish(&value));
                    return;
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
            // `Context.run(loop.create_task, awaitable)`: the task runs in a copy of the
            // run's context, as a coroutine started by the run's own code would.
            let task = bridge
                .event_loop
                .bind(py)
                .getattr(intern!(py, "create_task"))
                .and_then(|create_task| {
                    context
                        .bind(py)
                        .call_method1(intern!(py, "run"), (create_task, value))
                });
            let task = match task {
                Ok(task) => task,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            let deliver: Deliver = Box::new(move |task| {
                let outcome = task
                    .call_method0(intern!(task.py(), "result"))
                    .and_then(|r| finish(&r));
                let _ = tx.send(outcome);
            });
            let callback = Finish {
                deliver: Mutex::new(Some(deliver)),
            };
            if let Err(e) = task.call_method1(intern!(py, "add_done_callback"), (callback,)) {
                e.write_unraisable(py, Some(&task));
            }
            let abandoned = {
                let mut state = lock(&state);
                let abandoned = matches!(*state, Call::Abandoned);
                if !abandoned {
                    *state = Call::Running(task.clone().unbind());
                }
                abandoned
            };
            if abandoned {
                // Given up on while it was being started.
                let _ = task.call_method0(intern!(py, "cancel"));
            }
        }));
        let outcome = rx.await;
        guard.settled = true;
        outcome.unwrap_or_else(|_| {
            Err(MgxError::new_err(
                "the run's event loop closed before the call ended",
            ))
        })
    }
}

/// [`RunLoop::call`] on `run_loop` when the run has one; without (a run started from sync
/// code), `start` is called here and a plain answer read by `finish`, where an awaitable
/// cannot be awaited: that is a `TypeError` naming `what` (`"role"`, `"on_event"` …).
pub(crate) async fn call_for_run<T, S, E>(
    run_loop: Option<&RunLoop>,
    what: &str,
    start: S,
    finish: E,
) -> PyResult<T>
where
    T: Send + 'static,
    S: for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, PyAny>> + Send + 'static,
    E: for<'py> FnOnce(&Bound<'py, PyAny>) -> PyResult<T> + Send + 'static,
{
    match run_loop {
        Some(run_loop) => run_loop.call(start, finish).await,
        None => attach(|py| {
            let answer = start(py)?;
            if answer.hasattr(intern!(py, "__await__"))? {
                return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "an async {what} needs the event loop of the run: start the run from async \
                     code (await team.run(...)) or with team.run_sync(...), which runs one"
                )));
            }
            finish(&answer)
        })
        .unwrap_or_else(|| Err(MgxError::new_err("the interpreter is exiting"))),
    }
}

/// Where a [`RunLoop::call`] stands, for cancelling it.
enum Call {
    Waiting,
    Running(Py<PyAny>),
    Abandoned,
}

/// Cancels the call's task when the awaiting Rust future is dropped first.
struct CancelTask {
    state: Arc<Mutex<Call>>,
    bridge: Arc<LoopBridge>,
    settled: bool,
}

impl Drop for CancelTask {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let was = std::mem::replace(&mut *lock(&self.state), Call::Abandoned);
        if let Call::Running(task) = was {
            self.bridge.submit(Box::new(move |py| {
                let _ = task.bind(py).call_method0(intern!(py, "cancel"));
            }));
        }
    }
}

/// A task's done-callback that reads its outcome and hands it to the Rust side.
#[pyclass(frozen)]
struct Finish {
    deliver: Mutex<Option<Deliver>>,
}

#[pymethods]
impl Finish {
    fn __call__(&self, task: &Bound<'_, PyAny>) {
        let deliver = lock(&self.deliver).take();
        if let Some(deliver) = deliver {
            deliver(task);
        }
    }
}

/// A serialisable value given to Python as plain data (dict, list, str …) on the loop's thread.
pub(crate) struct Plain<T>(pub(crate) T);

impl<'py, T: serde::Serialize> IntoPyObject<'py> for Plain<T> {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::convert::to_py(py, &self.0)
    }
}
