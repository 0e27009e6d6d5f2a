//! `RunPool`: runs kept on one thread each, awaited from anywhere; stopping runs and pools.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use mgx_core::llm::{ChatRequest, ChatResponse, LlmProvider, ProviderId};
use mgx_core::team::{ApprovalPolicy, RunPool, RunStatus, Team};

use crate::team::action;

/// The offline provider, after `delay`, noting on which thread each run's calls ran (a run
/// is known by its task) — or never answering `hang`.
struct Where {
    delay: Duration,
    hang: Option<&'static str>,
    threads: Mutex<HashMap<String, HashSet<String>>>,
}

impl Where {
    fn new(delay: Duration) -> Arc<Where> {
        Arc::new(Where {
            delay,
            hang: None,
            threads: Mutex::default(),
        })
    }

    /// Answers at once, but never `action`.
    fn hanging(action: &'static str) -> Arc<Where> {
        Arc::new(Where {
            delay: Duration::ZERO,
            hang: Some(action),
            threads: Mutex::default(),
        })
    }
}

#[async_trait]
impl LlmProvider for Where {
    fn id(&self) -> ProviderId {
        ProviderId::new("offline", "scaffold")
    }

    async fn complete(&self, r: &ChatRequest) -> mgx_core::Result<ChatResponse> {
        let user = &r.messages[1].content;
        let task = user
            .split("Task number ")
            .nth(1)
            .and_then(|t| t.split(|c: char| !c.is_ascii_digit()).next())
            .unwrap_or_default()
            .to_string();
        let thread = std::thread::current().name().unwrap_or("?").to_string();
        self.threads
            .lock()
            .unwrap()
            .entry(task)
            .or_default()
            .insert(thread);
        if self.hang.is_some_and(|a| action(r) == a) {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(self.delay).await;
        LlmProvider::complete(&mgx_core::providers::Offline, r).await
    }
}

fn dry_team(provider: Arc<dyn LlmProvider>) -> Team {
    Team::builder()
        .provider(provider)
        .stack("fastapi")
        .dry_run(true)
        .output_dir("/nonexistent/mgx-pool-test")
        .build()
        .unwrap()
}

#[test]
fn each_run_stays_on_one_thread_and_the_runs_spread_over_all() {
    let provider = Where::new(Duration::from_millis(5));
    let team = dry_team(provider.clone());
    let pool = RunPool::new(3).unwrap();
    assert_eq!(pool.threads(), 3);
    let runs: Vec<_> = (0..60)
        .map(|i| {
            pool.run(
                &team,
                &format!("Task number {i}: a FastAPI /health endpoint"),
            )
        })
        .collect();
    assert_eq!(pool.in_flight(), 60);
    // Awaited without any tokio runtime on this thread.
    let reports = futures::executor::block_on(futures::future::join_all(runs));
    assert!(reports.iter().all(|r| r.status == RunStatus::Completed));
    assert_eq!(reports[0].llm_calls, 5);
    assert_eq!(pool.in_flight(), 0);
    let threads = provider.threads.lock().unwrap();
    assert_eq!(threads.len(), 60);
    let mut used = HashSet::new();
    for (task, on) in threads.iter() {
        assert_eq!(on.len(), 1, "run {task} moved between threads: {on:?}");
        used.extend(on.iter().cloned());
    }
    let expected: HashSet<String> = (0..3).map(|i| format!("mgx-pool-{i}")).collect();
    assert_eq!(used, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pooled_run_is_awaited_on_another_runtime_with_its_options() {
    let out = crate::TestDir::new("mgx-pool", "options", false);
    let team = Team::builder().stack("fastapi").build().unwrap();
    let pool = RunPool::per_core().unwrap();
    assert!(pool.threads() >= 1);
    let report = pool
        .run_with(
            &team,
            "Create a FastAPI /health endpoint with tests",
            mgx_core::team::RunOptions::default().output_dir(&*out),
        )
        .await;
    assert_eq!(report.status, RunStatus::Completed);
    assert!(out.join("app/main.py").is_file());
    assert_eq!(
        report.output_dir.as_deref(),
        Some(&*out.display().to_string())
    );
}

#[test]
fn a_pooled_run_is_approved_and_cancelled_through_its_handle() {
    let team = Team::builder()
        .provider(Where::new(Duration::ZERO))
        .stack("fastapi")
        .dry_run(true)
        .output_dir("/nonexistent/mgx-pool-test")
        .approval(ApprovalPolicy::Manual {
            timeout: Duration::from_secs(60),
        })
        .build()
        .unwrap();
    let pool = RunPool::new(2).unwrap();
    futures::executor::block_on(async {
        let approved = pool.start(&team, "Task number 1: a FastAPI /health endpoint");
        let plan = approved.plan().await.expect("a plan");
        assert!(!plan.data()["steps"].as_array().unwrap().is_empty());
        approved.approve(None);
        assert_eq!(approved.report().await.status, RunStatus::Completed);

        let cancelled = pool.start(&team, "Task number 2: a FastAPI /health endpoint");
        cancelled.plan().await.expect("a plan");
        cancelled.cancel();
        let report = cancelled.report().await;
        assert_eq!(report.status, RunStatus::Cancelled);
    });
    assert_eq!(pool.in_flight(), 0);
}

#[test]
fn dropping_a_pooled_run_stops_it() {
    let team = dry_team(Where::hanging("write_code"));
    let pool = RunPool::new(1).unwrap();
    let run = pool.run(&team, "Task number 1: a FastAPI /health endpoint");
    // The run reaches the call that never answers, and waits there.
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(pool.in_flight(), 1);
    drop(run);
    let started = std::time::Instant::now();
    while pool.in_flight() > 0 && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(pool.in_flight(), 0, "the dropped run went on");
}

#[test]
fn dropping_the_pool_ends_its_runs_as_cancelled() {
    let team = dry_team(Where::hanging("draft_plan"));
    let pool = RunPool::new(2).unwrap();
    let runs: Vec<_> = (0..4)
        .map(|i| {
            pool.run(
                &team,
                &format!("Task number {i}: a FastAPI /health endpoint"),
            )
        })
        .collect();
    let handle = pool.start(&team, "Task number 9: a FastAPI /health endpoint");
    std::thread::sleep(Duration::from_millis(50));
    let started = std::time::Instant::now();
    drop(pool);
    assert!(started.elapsed() < Duration::from_secs(5));
    for report in futures::executor::block_on(futures::future::join_all(runs)) {
        assert_eq!(
            (report.status, report.error_code.as_deref()),
            (RunStatus::Cancelled, Some("cancelled"))
        );
    }
    // A handle's run ends the same way.
    let report = futures::executor::block_on(handle.report());
    assert_eq!(report.status, RunStatus::Cancelled);
}

#[test]
fn a_pool_of_no_threads_is_a_configuration_error() {
    let err = RunPool::new(0).unwrap_err();
    assert_eq!(err.code(), "config");
    assert!(err.to_string().contains("at least one thread"), "{err}");
}

/// A provider that panics (a user's can): the run's report says so, and the pool goes on.
struct Panics;

#[async_trait]
impl LlmProvider for Panics {
    fn id(&self) -> ProviderId {
        ProviderId::new("offline", "scaffold")
    }

    async fn complete(&self, _r: &ChatRequest) -> mgx_core::Result<ChatResponse> {
        panic!("a provider's own bug");
    }
}

#[test]
fn a_run_whose_provider_panics_reports_it_and_the_pool_goes_on() {
    let pool = RunPool::new(1).unwrap();
    let broken = dry_team(Arc::new(Panics));
    let task = "Task number 1: a FastAPI /health endpoint";
    let pooled = futures::executor::block_on(pool.run(&broken, task));
    let started = futures::executor::block_on(pool.start(&broken, task).report());
    for report in [pooled, started] {
        assert_eq!(report.status, RunStatus::Failed);
        assert!(
            report
                .error
                .as_deref()
                .unwrap()
                .contains("ended abnormally"),
            "{:?}",
            report.error
        );
    }
    let fine = dry_team(Where::new(Duration::ZERO));
    let report = futures::executor::block_on(pool.run(&fine, task));
    assert_eq!(report.status, RunStatus::Completed);
}

#[test]
fn a_spawned_future_gives_its_output_or_says_why_not() {
    let pool = RunPool::new(2).unwrap();
    let team = dry_team(Where::new(Duration::ZERO));
    let (thread, files) = futures::executor::block_on(pool.spawn(async move {
        let report = team.run("Task number 1: a FastAPI /health endpoint").await;
        (
            std::thread::current().name().map(str::to_string),
            report.files,
        )
    }))
    .unwrap();
    assert!(thread.unwrap().starts_with("mgx-pool-"));
    assert!(files.iter().any(|f| f == "app/main.py"), "{files:?}");

    let err = futures::executor::block_on(pool.spawn(async {
        panic!("a bug in the caller's future");
    }))
    .unwrap_err();
    assert_eq!(err.code(), "task");
    assert!(err.to_string().contains("panicked"), "{err}");

    let forever = pool.spawn(std::future::pending::<()>());
    drop(pool);
    assert_eq!(
        futures::executor::block_on(forever).unwrap_err(),
        mgx_core::Error::Cancelled
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_is_made_used_and_dropped_inside_an_async_task() {
    let pool = RunPool::new(2).unwrap();
    let team = dry_team(Where::new(Duration::ZERO));
    let report = pool
        .run(&team, "Task number 1: a FastAPI /health endpoint")
        .await;
    assert_eq!(report.status, RunStatus::Completed);
    drop(pool);
}

#[test]
fn a_pool_dropped_detached_still_ends_its_runs() {
    let pool = std::sync::Arc::new(RunPool::new(1).unwrap());
    let team = dry_team(Where::hanging("draft_plan"));
    let run = pool.run(&team, "Task number 1: a FastAPI /health endpoint");
    std::thread::sleep(Duration::from_millis(50));
    RunPool::drop_detached(pool);
    let report = futures::executor::block_on(run);
    assert_eq!(report.status, RunStatus::Cancelled);
}
