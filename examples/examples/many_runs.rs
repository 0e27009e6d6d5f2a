//! Many runs at once, the way that costs least CPU: a `RunPool`, one single-threaded tokio
//! runtime per core, each run kept on one thread from its start to its end.
//!
//! On a multi-thread runtime a run moves between workers from one model call to the next (a
//! timer or a socket wakes it wherever the driver is turned, idle workers steal), and the
//! allocator pays for every block freed on another thread than the one that allocated it:
//! with 10,000 runs waiting on a 50 ms model on two cores, glibc's malloc took the batch from
//! 1.40–1.70× the latency-bound ideal on the multi-thread runtime to 1.21–1.28× on a pool
//! (`benches/README.md`, "Team runs"). Each run's report is reduced to what this program
//! needs on the run's own thread, for the same reason: a report dropped on another thread is
//! freed there.
//!
//! `cargo run --release -p mgx-examples --example many_runs -- [RUNS]` (offline and dry:
//! nothing is written; 2,000 runs by default).

use std::time::Instant;

use mgx_core::team::{RunPool, RunStatus, Team};

/// Tasks for the offline team, each naming its stack well enough to be inferred.
const TASKS: [&str; 4] = [
    "Create a FastAPI /health endpoint with tests",
    "Build an Express API with a /users route",
    "Create a Django app with a contact form",
    "Build a Laravel API for invoices",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize = match std::env::args().nth(1) {
        Some(n) => n
            .parse()
            .map_err(|e| format!("RUNS is a number of runs, not {n:?}: {e}"))?,
        None => 2_000,
    };
    // Dry: everything but the file writes (the output directory is never created).
    let team = Team::builder()
        .dry_run(true)
        .output_dir(std::env::temp_dir().join("mgx-many-runs-dry"))
        .build()?;
    let pool = RunPool::per_core()?;
    let started = Instant::now();
    let pending: Vec<_> = (0..runs)
        .map(|i| {
            let team = team.clone();
            pool.spawn(async move {
                let report = team.run(TASKS[i % TASKS.len()]).await;
                (report.status, report.error)
            })
        })
        .collect();
    // No tokio runtime on this thread: the pool's threads run the runs.
    let completed = futures::executor::block_on(async {
        let mut completed = 0;
        for run in pending {
            match run.await? {
                (RunStatus::Completed, _) => completed += 1,
                (status, error) => eprintln!("{status:?}: {}", error.unwrap_or_default()),
            }
        }
        Ok::<_, mgx_core::Error>(completed)
    })?;
    let elapsed = started.elapsed();
    println!(
        "{completed} of {runs} runs completed on {} threads in {elapsed:.2?} ({:.0} runs/s)",
        pool.threads(),
        runs as f64 / elapsed.as_secs_f64()
    );
    if completed != runs {
        return Err(format!("{} runs did not complete", runs - completed).into());
    }
    Ok(())
}
