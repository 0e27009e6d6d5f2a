//! [`RunPool`]: many runs at once, each kept on one thread from its start to its end.
//!
//! On a multi-thread tokio runtime a run moves between worker threads from one model call to
//! the next (a timer or a socket wakes it wherever the driver is turned, and idle workers
//! steal), so the memory it allocated on one thread is freed on another, which costs the
//! allocator the most (glibc's malloc takes the other thread's arena lock) and leaves the run's
//! state in the other core's cache. A pool runs one single-threaded runtime per thread and
//! gives each run to the least busy one: with 10,000 runs waiting on a 50 ms model on two
//! cores the batch took 1.21–1.28× the latency-bound ideal with glibc's malloc, where the
//! multi-thread runtime took 1.40–1.70×, and 1.18–1.24× against 1.20–1.25× with mimalloc,
//! measured side by side (`benches/README.md`, "Team runs").

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use super::run::{RunHandle, RunReport};
use super::{RunOptions, Team};
use crate::error::{Error, Result};

/// Threads, each running its own single-threaded tokio runtime, that run teams' tasks: each
/// run stays on the thread it started on. For programs running hundreds or thousands of runs
/// at once; a few runs gain nothing over [`Team::run`].
///
/// A pooled run's future ([`PooledRun`]) and handle ([`RunHandle`]) can be awaited anywhere: on
/// any tokio runtime, or with a plain executor such as `futures::executor::block_on`. The
/// team is shared by all threads: its provider's connections are used from each, and a
/// connection is driven by the runtime that opened it — the pool's threads run as long as the
/// pool lives; a connection a caller's single-threaded runtime opened before needs that
/// runtime running too. Dropping the pool stops its threads: runs still going end as
/// cancelled, having written nothing.
///
/// ```
/// use mgx_core::team::{RunPool, RunStatus, Team};
///
/// # fn main() -> mgx_core::Result<()> {
/// // Offline and dry: the scaffold provider, nothing written.
/// let team = Team::builder().dry_run(true).output_dir("/nonexistent/mgx-pool-doc").build()?;
/// let pool = RunPool::new(2)?;
/// let runs: Vec<_> = (0..100)
///     .map(|_| pool.run(&team, "Create a FastAPI /health endpoint with tests"))
///     .collect();
/// let reports = futures::executor::block_on(futures::future::join_all(runs));
/// assert!(reports.iter().all(|r| r.status == RunStatus::Completed));
/// # Ok(())
/// # }
/// ```
pub struct RunPool {
    shards: Vec<Shard>,
    /// Where the search for the least busy thread starts, turned at every run so that equally
    /// busy threads take runs in turn.
    next: AtomicUsize,
}

/// One thread of a pool.
struct Shard {
    runtime: tokio::runtime::Handle,
    /// Runs given to this thread and not yet ended.
    load: Arc<AtomicUsize>,
    /// Dropped or sent: the thread's runtime stops.
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunPool {
    /// A pool of `threads` threads (`mgx-pool-0`, `mgx-pool-1` …). One per core
    /// ([`RunPool::per_core`]) is the usual choice; zero is a configuration error.
    pub fn new(threads: usize) -> Result<RunPool> {
        if threads == 0 {
            return Err(Error::config("a run pool needs at least one thread"));
        }
        // Built up one thread at a time: if one cannot start, dropping the pool stops those
        // that did.
        let mut pool = RunPool {
            shards: Vec::with_capacity(threads),
            next: AtomicUsize::new(0),
        };
        for index in 0..threads {
            pool.shards.push(Shard::start(index)?);
        }
        Ok(pool)
    }

    /// A pool of one thread per core the process may use.
    pub fn per_core() -> Result<RunPool> {
        Self::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// How many threads the pool has.
    pub fn threads(&self) -> usize {
        self.shards.len()
    }

    /// Runs started on the pool and not yet ended.
    pub fn in_flight(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.load.load(Ordering::Relaxed))
            .sum()
    }

    /// Run `task` with `team` on the least busy thread; see [`Team::run`]. The run starts at
    /// once, whether or not its future is polled; dropping the future stops it, as dropping
    /// [`Team::run`]'s does.
    pub fn run(&self, team: &Team, task: &str) -> PooledRun {
        self.run_with(team, task, RunOptions::default())
    }

    /// [`RunPool::run`] with per-run settings (see [`Team::run_with`]).
    pub fn run_with(&self, team: &Team, task: &str, options: RunOptions) -> PooledRun {
        let team = team.clone();
        let task = task.to_owned();
        PooledRun(self.spawn(async move { team.run_with(&task, options).await }))
    }

    /// Run `future` on the least busy thread, to its end there: for work around runs that
    /// should stay on their thread too — several runs in sequence, or a run whose report is
    /// read and reduced where it was made (a report dropped on another thread than the one
    /// that built it is freed there, which costs the allocator more):
    ///
    /// ```
    /// # use mgx_core::team::{RunPool, RunStatus, Team};
    /// # fn main() -> mgx_core::Result<()> {
    /// # let team = Team::builder().dry_run(true).output_dir("/nonexistent/mgx-pool-doc").build()?;
    /// let pool = RunPool::new(2)?;
    /// let run = team.clone();
    /// let files = pool.spawn(async move {
    ///     run.run("Create a FastAPI /health endpoint with tests").await.files.len()
    /// });
    /// assert!(futures::executor::block_on(files)? > 1);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// The future starts at once; dropping the [`Pooled`] stops it. Awaited, it gives the
    /// future's output, or [`Error::Cancelled`] when the pool was dropped first, or an
    /// [`Error::Task`] when the future panicked.
    pub fn spawn<F>(&self, future: F) -> Pooled<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let shard = self.least_busy();
        let load = Load::enter(&shard.load);
        let join = shard.runtime.spawn(async move {
            let output = future.await;
            drop(load);
            output
        });
        Pooled { join }
    }

    /// Start `task` with `team` on the least busy thread and return its handle: wait for the
    /// plan, approve or reject it, cancel, await the report (see [`Team::start`]).
    pub fn start(&self, team: &Team, task: &str) -> RunHandle {
        self.start_with(team, task, RunOptions::default())
    }

    /// [`RunPool::start`] with per-run settings (see [`Team::start_with`]).
    pub fn start_with(&self, team: &Team, task: &str, options: RunOptions) -> RunHandle {
        let shard = self.least_busy();
        let load = Load::enter(&shard.load);
        team.start_in(task, options, load, |run| drop(shard.runtime.spawn(run)))
    }

    /// Drop `pool` on a thread of its own. Dropping a pool waits for its threads to stop, and
    /// one of them may be waiting for something the dropping thread holds (a Python
    /// interpreter's lock, a UI thread): a binding's finalizer lets go this way. When no
    /// thread can be started, `pool` is dropped here.
    pub fn drop_detached(pool: Arc<RunPool>) {
        let _ = std::thread::Builder::new()
            .name("mgx-pool-stop".into())
            .spawn(move || drop(pool));
    }

    /// The thread with the fewest runs, searched from the turning start.
    fn least_busy(&self) -> &Shard {
        let n = self.shards.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        let mut best = start;
        let mut fewest = usize::MAX;
        for k in 0..n {
            let i = (start + k) % n;
            let load = self.shards[i].load.load(Ordering::Relaxed);
            if load < fewest {
                (best, fewest) = (i, load);
            }
        }
        &self.shards[best]
    }
}

impl Shard {
    /// Start thread `index`. Its runtime is built on the thread itself: a runtime dropped
    /// where blocking is not allowed (a caller's async task, if the thread could not start)
    /// would panic.
    fn start(index: usize) -> Result<Shard> {
        let (ready, handle) = std::sync::mpsc::sync_channel(1);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("mgx-pool-{index}"))
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready.send(Err(e.to_string()));
                        return;
                    }
                };
                let _ = ready.send(Ok(runtime.handle().clone()));
                // Until the pool is dropped; dropping the runtime then drops the runs still
                // on it, and their futures and handles report them cancelled.
                runtime.block_on(async {
                    let _ = stopped.await;
                });
            })
            .map_err(|e| Error::config(format!("a run pool thread: {e}")))?;
        let runtime = match handle.recv() {
            Ok(Ok(runtime)) => runtime,
            Ok(Err(e)) => {
                let _ = thread.join();
                return Err(Error::config(format!("a run pool thread's runtime: {e}")));
            }
            Err(_) => {
                let _ = thread.join();
                return Err(Error::config("a run pool thread ended before it started"));
            }
        };
        Ok(Shard {
            runtime,
            load: Arc::new(AtomicUsize::new(0)),
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for RunPool {
    /// Stops every thread (the runs still going end as cancelled) and waits for them: it
    /// blocks the dropping thread until they have dropped their runs, which is quick.
    fn drop(&mut self) {
        for shard in &mut self.shards {
            if let Some(stop) = shard.stop.take() {
                let _ = stop.send(());
            }
        }
        for shard in &mut self.shards {
            if let Some(thread) = shard.thread.take() {
                // A thread's only work is its runtime, whose tasks' panics tokio catches.
                let _ = thread.join();
            }
        }
    }
}

impl std::fmt::Debug for RunPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunPool")
            .field("threads", &self.threads())
            .field("in_flight", &self.in_flight())
            .finish()
    }
}

/// A run counted on its thread while it lives.
struct Load(Arc<AtomicUsize>);

impl Load {
    fn enter(load: &Arc<AtomicUsize>) -> Load {
        load.fetch_add(1, Ordering::Relaxed);
        Load(Arc::clone(load))
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A future running on a [`RunPool`] ([`RunPool::spawn`]): its output, or why there is none.
/// Dropping it stops the future.
#[must_use = "a pooled future is stopped when its handle is dropped"]
pub struct Pooled<T> {
    join: tokio::task::JoinHandle<T>,
}

impl<T> Future for Pooled<T> {
    type Output = Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        Pin::new(&mut self.join).poll(cx).map(|joined| {
            joined.map_err(|e| {
                if e.is_cancelled() {
                    // The pool was dropped while the future went.
                    Error::Cancelled
                } else {
                    Error::Task {
                        message: "the pooled task ended abnormally (it panicked)".into(),
                    }
                }
            })
        })
    }
}

impl<T> Drop for Pooled<T> {
    fn drop(&mut self) {
        self.join.abort();
    }
}

impl<T> std::fmt::Debug for Pooled<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pooled")
            .field("finished", &self.join.is_finished())
            .finish()
    }
}

/// A run started on a [`RunPool`] ([`RunPool::run`]): a future of its report, as
/// [`Team::run`]'s (a run the pool's drop stopped reports itself cancelled). Dropping it stops
/// the run.
#[must_use = "a pooled run is stopped when its future is dropped"]
#[derive(Debug)]
pub struct PooledRun(Pooled<RunReport>);

impl Future for PooledRun {
    type Output = RunReport;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<RunReport> {
        Pin::new(&mut self.0).poll(cx).map(|joined| match joined {
            Ok(report) => report,
            Err(Error::Cancelled) => RunReport::dropped(),
            Err(_) => RunReport::abnormal(),
        })
    }
}
