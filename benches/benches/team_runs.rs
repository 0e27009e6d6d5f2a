//! Full team runs: how many four-role runs a second the runtime does when the model costs
//! nothing (a zero-latency scripted provider, and the offline provider), and how 10,000
//! concurrent runs behave against a 50 ms provider (wall time against the latency-bound ideal,
//! peak memory). Runs are dry (everything but the file writes) so the figures are the
//! runtime's, not the disk's; one figure with writes is printed for scale.
//!
//! Run with `cargo bench -p mgx-benches --bench team_runs`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)] // a bench that cannot set up should stop loudly

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use criterion::{Criterion, criterion_group, criterion_main};
use futures::StreamExt;
use mgx_core::llm::{ChatRequest, ChatResponse, LlmProvider, ProviderId};
use mgx_core::team::{RunPool, RunStatus, Team};

const CODE: &str = "FILE: src/app.ts\nimport express from 'express';\nconst app = express();\napp.get('/health', (_req, res) => { res.json({ status: 'ok' }); });\nexport default app;\nFILE: package.json\n{\"name\": \"app\", \"scripts\": {\"dev\": \"ts-node src/app.ts\", \"build\": \"tsc\", \"test\": \"jest\"}, \"dependencies\": {\"express\": \"^4.19.0\"}}\nFILE: tsconfig.json\n{\"compilerOptions\": {\"strict\": true}}\n";
const TESTS: &str = "FILE: tests/health.test.ts\nimport request from 'supertest';\nimport app from '../src/app';\n\ntest('health', async () => {\n  expect((await request(app).get('/health')).status).toBe(200);\n});\n";

/// Answers every action of the default team at once (or after `delay`), from fixed texts.
struct Fixed {
    delay: Duration,
}

#[async_trait]
impl LlmProvider for Fixed {
    fn id(&self) -> ProviderId {
        ProviderId::new("fixed", "bench")
    }

    async fn complete(&self, request: &ChatRequest) -> mgx_core::Result<ChatResponse> {
        let first = request.messages[0]
            .content
            .lines()
            .next()
            .unwrap_or_default();
        let action = first.strip_prefix("mgx-action:").unwrap_or(first);
        let (call, text) = match action.trim() {
            "analyze_task" => (0, r#"{"complexity": "S", "files": ["src/app.ts"]}"#),
            "draft_plan" => (1, r#"{"steps": ["code", "tests", "review"]}"#),
            "write_code" => (2, CODE),
            "write_test" => (3, TESTS),
            _ => (4, r#"{"verdict": "approved", "findings": []}"#),
        };
        trace::mark(call);
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        Ok(ChatResponse::text(text))
    }
}

/// `MGX_BENCH_TRACE=1`: when, in a batch, each run's calls start and each run ends; printed per
/// step as percentiles, so the step whose work delays the batch shows.
mod trace {
    use std::sync::{Mutex, OnceLock};
    use std::time::{Duration, Instant};

    /// The points of a run: its five calls, then its end; and when the batch's last run was
    /// handed to the runtime.
    const STEPS: [&str; 7] = [
        "analyze_task called",
        "draft_plan called",
        "write_code called",
        "write_test called",
        "review_code called",
        "run ended",
        "all runs spawned",
    ];

    struct Trace {
        started: Instant,
        marks: Vec<(usize, Duration)>,
    }

    fn trace() -> Option<&'static Mutex<Trace>> {
        static TRACE: OnceLock<Option<Mutex<Trace>>> = OnceLock::new();
        TRACE
            .get_or_init(|| {
                (std::env::var("MGX_BENCH_TRACE").as_deref() == Ok("1")).then(|| {
                    Mutex::new(Trace {
                        started: Instant::now(),
                        marks: Vec::new(),
                    })
                })
            })
            .as_ref()
    }

    /// A batch starts now.
    pub(super) fn start() {
        if let Some(t) = trace() {
            let mut t = t.lock().unwrap();
            t.started = Instant::now();
            t.marks.clear();
        }
    }

    /// A run reached `step` (0–4: that call starts; 5: the run ended; 6: the batch is
    /// spawned).
    pub(super) fn mark(step: usize) {
        if let Some(t) = trace() {
            let mut t = t.lock().unwrap();
            let at = t.started.elapsed();
            t.marks.push((step, at));
        }
    }

    /// Print the batch's points, per step.
    pub(super) fn report() {
        let Some(t) = trace() else { return };
        let t = t.lock().unwrap();
        let mut before = None;
        for (step, name) in STEPS.iter().enumerate() {
            let mut at: Vec<Duration> = t
                .marks
                .iter()
                .filter(|(s, _)| *s == step)
                .map(|&(_, d)| d)
                .collect();
            if at.is_empty() {
                continue;
            }
            at.sort();
            let pct = |p: usize| at[(at.len() - 1) * p / 100];
            let last = pct(100);
            // In milliseconds throughout (`Debug` of a `Duration` drops to whole tenths of a
            // second past one second).
            let ms = |d: Duration| format!("{:.1}ms", d.as_secs_f64() * 1e3);
            eprintln!(
                "  {name:<20} first {:>9}  median {:>9}  p99 {:>9}  last {:>9}{}",
                ms(pct(0)),
                ms(pct(50)),
                ms(pct(99)),
                ms(last),
                before
                    .map(|b: Duration| format!(
                        "  (last: +{} after the step before)",
                        ms(last.saturating_sub(b))
                    ))
                    .unwrap_or_default()
            );
            before = Some(last);
        }
    }
}

fn team(provider: Option<Arc<dyn LlmProvider>>) -> Team {
    let mut b = Team::builder()
        .stack("express-ts")
        .dry_run(true)
        .output_dir("/nonexistent/mgx-bench");
    if let Some(p) = provider {
        b = b.provider(p);
    }
    b.build().unwrap()
}

/// CPU time the process has used so far (user + system) and the minor page faults it took
/// (memory touched for the first time since the kernel gave it, or gave it back zeroed), from
/// `/proc/self/stat`.
fn cpu_time() -> Option<(Duration, u64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
    let minflt: u64 = fields.nth(7)?.parse().ok()?;
    let utime: u64 = fields.nth(3)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    // Clock ticks: USER_HZ, 100 a second on Linux.
    Some((Duration::from_millis((utime + stime) * 10), minflt))
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// A knob of the concurrent-runs figure from the environment.
fn knob(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// 1,000, 3,000 and 10,000 runs at once against a 50 ms provider: five calls in sequence make
/// the ideal run 250 ms, and with enough concurrency the whole batch is ideally 250 ms too.
/// The 10,000 batch runs three times (this machine is shared and noisy; the median counts).
/// Before the batches, the floor runs three times on the same executor: 10,000 tasks making
/// the same five calls to the same provider and nothing else, so the median is also given
/// against what the provider's latency, the executor and the machine cost at that moment.
/// Peak RSS is the process's high-water mark so far (the batches run smallest first); CPU is
/// the process's user + system time during the batch, and page faults its minor faults. First
/// of all, one run alone says how fast the machine is at that moment ([`run_alone_micros`]).
///
/// Knobs for looking into the figure: `MGX_BENCH_WORKERS` (tokio worker threads, default one
/// per core), `MGX_BENCH_DELAY_MS` (the provider's latency, default 50), `MGX_BENCH_BATCHES`
/// (the batch sizes in order, default `1000,3000,10000,10000,10000`; the median is over the
/// largest), `MGX_BENCH_NO_FLOOR=1` (skip the floor: for a profiler's view of the runs
/// alone), `MGX_BENCH_POOL=N` (the runs on a `RunPool` of N threads instead of the
/// multi-thread runtime), `MGX_BENCH_AWAIT_EACH=1` (wait for the batch by awaiting each run's
/// handle in turn rather than a countdown) and `MGX_BENCH_TRACE=1` (when each step of the
/// runs happened, per batch).
fn concurrent_runs_against_a_slow_provider() {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = knob("MGX_BENCH_WORKERS") {
        builder.worker_threads(n as usize);
    }
    let rt = builder.enable_all().build().unwrap();
    let delay = Duration::from_millis(knob("MGX_BENCH_DELAY_MS").unwrap_or(50));
    let provider = Arc::new(Fixed { delay });
    let team = team(Some(Arc::clone(&provider) as Arc<dyn LlmProvider>));
    eprintln!(
        "a run's future: {} bytes",
        std::mem::size_of_val(&team.run("Build an Express API"))
    );
    eprintln!(
        "one run alone, warm (zero-latency provider, one thread): {:.1} µs — the machine's speed at this moment, for reading the figures below",
        run_alone_micros()
    );
    let ideal = delay * 5;
    let batches: Vec<usize> = std::env::var("MGX_BENCH_BATCHES")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .filter(|b: &Vec<usize>| !b.is_empty())
        .unwrap_or_else(|| vec![1_000, 3_000, 10_000, 10_000, 10_000]);
    let largest = batches.iter().copied().max().unwrap_or(0);
    // `MGX_BENCH_POOL=N`: the runs on a `RunPool` of N threads, each run kept on one.
    let pool = knob("MGX_BENCH_POOL")
        .filter(|&n| n > 0)
        .map(|n| RunPool::new(n as usize).unwrap());
    let measure = |work: Work, n: usize| {
        let started = Instant::now();
        let cpu_before = cpu_time();
        trace::start();
        let done = match &pool {
            Some(pool) => {
                futures::executor::block_on(pooled_batch(pool, work, &team, &provider, n))
            }
            None => rt.block_on(batch(work, &team, &provider, n)),
        };
        (started.elapsed(), done, cpu_since(cpu_before))
    };
    // The floor, on the executor the runs use: as many tasks as the largest batch making the
    // same five calls to the same provider and doing nothing else. What the provider's
    // latency (tokio's timer is kept to the millisecond), the executor and the machine cost
    // before a team does any work: a baseline measured in the same run.
    let floor = (knob("MGX_BENCH_NO_FLOOR") != Some(1) && largest > 0).then(|| {
        let mut walls: Vec<Duration> = (0..3)
            .map(|_| {
                let (wall, done, cpu) = measure(Work::Calls, largest);
                eprintln!(
                    "{largest} tasks making the five calls and nothing else (the floor): {done} completed in {wall:.2?} (ideal {ideal:?}: {:.2}x), CPU {cpu}",
                    wall.as_secs_f64() / ideal.as_secs_f64()
                );
                wall
            })
            .collect();
        walls.sort();
        walls[1]
    });
    let mut walls = Vec::new();
    for &n in &batches {
        let (wall, done, cpu) = measure(Work::Runs, n);
        if n == largest {
            walls.push(wall);
        }
        eprintln!(
            "{n} concurrent runs against a {delay:?} provider: {done} completed in {wall:.2?} (ideal {ideal:?}: {:.2}x), CPU {cpu}; peak RSS {:.0} MB",
            wall.as_secs_f64() / ideal.as_secs_f64(),
            peak_rss_mb().unwrap_or(f64::NAN)
        );
        trace::report();
    }
    walls.sort();
    let median = walls[walls.len() / 2];
    eprintln!(
        "{largest} concurrent runs, median of {}: {median:.2?}, {:.2}x the ideal{}",
        walls.len(),
        median.as_secs_f64() / ideal.as_secs_f64(),
        floor
            .map(|f| format!(
                "; {:.2}x the floor (median of three: {f:.2?}, {:.2}x the ideal)",
                median.as_secs_f64() / f.as_secs_f64(),
                f.as_secs_f64() / ideal.as_secs_f64()
            ))
            .unwrap_or_default()
    );
}

/// A run's wall time with nothing else going on: 2,000 runs one after another against a
/// zero-latency provider on a current-thread runtime, after 500 to warm up; the median of
/// three rounds, in microseconds. The concurrent figures move with the machine's speed (a
/// batch lasts about the floor plus its heaviest wave, and a wave is so many runs' work), so
/// the bench says how fast the machine was in the same run.
fn run_alone_micros() -> f64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let team = team(Some(Arc::new(Fixed {
        delay: Duration::ZERO,
    })));
    let rounds = [500, 2_000, 2_000, 2_000].map(|n| {
        rt.block_on(async {
            let started = Instant::now();
            for _ in 0..n {
                let status = team.run("Build an Express API").await.status;
                assert_eq!(status, RunStatus::Completed);
            }
            started.elapsed().as_secs_f64() * 1e6 / n as f64
        })
    });
    let mut timed = rounds[1..].to_vec();
    timed.sort_by(f64::total_cmp);
    timed[1]
}

/// What the tasks of a batch do.
#[derive(Clone, Copy, PartialEq)]
enum Work {
    /// A team run each.
    Runs,
    /// The five calls of a run to the same provider, each with a one-line request, and
    /// nothing else (the floor).
    Calls,
}

/// How a batch's end is waited for: by a countdown the last run to end releases (one
/// wake-up of the waiting thread), or with `MGX_BENCH_AWAIT_EACH=1` by awaiting each run's
/// handle in turn (the waiting thread is woken for most runs, and on two cores it takes its
/// turn from the runs).
struct Countdown {
    left: AtomicUsize,
    completed: AtomicUsize,
    done: tokio::sync::Notify,
}

impl Countdown {
    fn new(n: usize) -> Arc<Countdown> {
        Arc::new(Countdown {
            left: AtomicUsize::new(n),
            completed: AtomicUsize::new(0),
            done: tokio::sync::Notify::new(),
        })
    }

    /// A run ended with `status`.
    fn end(&self, status: RunStatus) {
        trace::mark(5);
        if status == RunStatus::Completed {
            self.completed.fetch_add(1, Ordering::Relaxed);
        }
        if self.left.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.done.notify_one();
        }
    }

    /// Wait for every run to end; how many completed.
    async fn wait(&self) -> usize {
        if self.left.load(Ordering::Acquire) > 0 {
            self.done.notified().await;
        }
        self.completed.load(Ordering::Relaxed)
    }
}

fn await_each() -> bool {
    knob("MGX_BENCH_AWAIT_EACH") == Some(1)
}

/// One task of a batch, counted down when it ends (a run's report is dropped where it was
/// made).
async fn counted(
    work: Work,
    team: Team,
    provider: Arc<Fixed>,
    countdown: Arc<Countdown>,
) -> RunStatus {
    let status = match work {
        Work::Runs => team.run("Build an Express API").await.status,
        Work::Calls => {
            for action in [
                "analyze_task",
                "draft_plan",
                "write_code",
                "write_test",
                "review_code",
            ] {
                let request = ChatRequest::user(format!("mgx-action: {action}"));
                provider.complete(&request).await.unwrap();
            }
            RunStatus::Completed
        }
    };
    countdown.end(status);
    status
}

/// The end of a batch whose runs are `handles`: the countdown's, or each handle's in turn;
/// how many completed. The handles are kept until then (dropping a pooled run stops it).
async fn batch_end<H, E>(countdown: &Countdown, handles: Vec<H>) -> usize
where
    H: std::future::Future<Output = Result<RunStatus, E>>,
    E: std::fmt::Debug,
{
    if !await_each() {
        return countdown.wait().await;
    }
    let mut ok = 0;
    for h in handles {
        ok += usize::from(h.await.unwrap() == RunStatus::Completed);
    }
    ok
}

/// `n` tasks started at once by `start` (given the batch's countdown), waited for; how many
/// completed.
async fn started_batch<H, E>(n: usize, start: impl Fn(Arc<Countdown>) -> H) -> usize
where
    H: std::future::Future<Output = Result<RunStatus, E>>,
    E: std::fmt::Debug,
{
    let countdown = Countdown::new(n);
    let handles: Vec<H> = (0..n).map(|_| start(Arc::clone(&countdown))).collect();
    trace::mark(6);
    batch_end(&countdown, handles).await
}

/// `n` tasks spawned at once on the current runtime; how many completed.
async fn batch(work: Work, team: &Team, provider: &Arc<Fixed>, n: usize) -> usize {
    started_batch(n, |countdown| {
        tokio::spawn(counted(work, team.clone(), Arc::clone(provider), countdown))
    })
    .await
}

/// `n` tasks started at once on `pool`, each run reduced to its status on its own thread (as
/// [`batch`] does in its tasks), waited for from this thread (no tokio runtime here); how
/// many completed.
async fn pooled_batch(
    pool: &RunPool,
    work: Work,
    team: &Team,
    provider: &Arc<Fixed>,
    n: usize,
) -> usize {
    started_batch(n, |countdown| {
        pool.spawn(counted(work, team.clone(), Arc::clone(provider), countdown))
    })
    .await
}

/// CPU time and page faults since `before`, for printing.
fn cpu_since(before: Option<(Duration, u64)>) -> String {
    cpu_time()
        .zip(before)
        .map(|((cpu, faults), (cpu_before, faults_before))| {
            format!(
                "{:.2?}, {} page faults",
                cpu.saturating_sub(cpu_before),
                faults.saturating_sub(faults_before)
            )
        })
        .unwrap_or_else(|| "?".into())
}

fn runs(c: &mut Criterion) {
    concurrent_runs_against_a_slow_provider();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("team_run");
    let zero = team(Some(Arc::new(Fixed {
        delay: Duration::ZERO,
    })));
    group.bench_function("four_roles_zero_latency_provider_dry", |b| {
        b.iter(|| {
            rt.block_on(async {
                assert_eq!(
                    zero.run("Build an Express API").await.status,
                    RunStatus::Completed
                )
            })
        })
    });
    let offline = team(None);
    group.bench_function("four_roles_offline_provider_dry", |b| {
        b.iter(|| {
            rt.block_on(async {
                assert_eq!(
                    offline.run("Build an Express API").await.status,
                    RunStatus::Completed
                )
            })
        })
    });
    // Throughput with every core: many runs at once on a multi-thread runtime.
    let mt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    group.bench_function("1000_runs_zero_latency_all_cores_dry", |b| {
        b.iter(|| {
            mt.block_on(async {
                futures::stream::iter(0..1000)
                    .map(|_| {
                        let t = zero.clone();
                        tokio::spawn(async move { t.run("Build an Express API").await.status })
                    })
                    .buffer_unordered(256)
                    .for_each(|s| async move { assert_eq!(s.unwrap(), RunStatus::Completed) })
                    .await
            })
        })
    });
    // With the files written (a transaction with fsync each run), for scale.
    let dir = std::env::temp_dir().join(format!("mgx-bench-runs-{}", std::process::id()));
    let writing = Team::builder()
        .stack("express-ts")
        .provider(Arc::new(Fixed {
            delay: Duration::ZERO,
        }))
        .build()
        .unwrap();
    let mut i = 0u64;
    group.sample_size(20);
    group.bench_function("four_roles_zero_latency_provider_written_fsync", |b| {
        b.iter(|| {
            i += 1;
            let out = dir.join(i.to_string());
            rt.block_on(async {
                assert_eq!(
                    writing.run_into("Build an Express API", &out).await.status,
                    RunStatus::Completed
                )
            })
        })
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, runs);
criterion_main!(benches);

/// With `--features mimalloc`, the figures of a program that picked mimalloc.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
