//! Many runs at once, the way that costs least CPU: one current-thread tokio runtime per core,
//! each with its own team and its share of the tasks.
//!
//! A run then stays on the thread that started it, and so does every block of memory it
//! allocates. On a multi-thread runtime a run moves between workers from one model call to
//! the next (a timer or a socket wakes it wherever the driver is turned, idle workers steal),
//! and the allocator pays for every block freed on another thread than the one that allocated
//! it: with 10,000 runs waiting on a 50 ms model on two cores, thread-per-core takes the batch
//! from 1.45–1.9× to 1.23–1.24× the latency-bound ideal with glibc's malloc
//! (`benches/README.md`, "Team runs").
//!
//! Each thread builds its own team, and so its own provider: a provider that keeps
//! connections (the OpenAI-compatible one does) keeps them on the runtime that opened them,
//! and a current-thread runtime drives them only while its thread is inside `block_on`. A
//! cache, an event sink or a price table can still be shared: pass the same `Arc` to each
//! builder.
//!
//! `cargo run --release -p mgx-examples --example many_runs -- [RUNS]` (offline and dry:
//! nothing is written; 2,000 runs by default).

use std::time::Instant;

use mgx_core::team::{RunStatus, Team};

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
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let started = Instant::now();
    let shares: Vec<Result<usize, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|thread| {
                // The runs split evenly; the first threads take one more when they do not.
                let share = runs / threads + usize::from(thread < runs % threads);
                scope.spawn(move || run_share(thread, threads, share))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("a thread panicked".into())))
            .collect()
    });
    let elapsed = started.elapsed();
    let mut completed = 0;
    for share in shares {
        completed += share?;
    }
    println!(
        "{completed} of {runs} runs completed on {threads} threads in {elapsed:.2?} ({:.0} runs/s)",
        runs as f64 / elapsed.as_secs_f64()
    );
    if completed != runs {
        return Err(format!("{} runs did not complete", runs - completed).into());
    }
    Ok(())
}

/// One thread's share: its own runtime and team, all its runs at once; how many completed.
fn run_share(thread: usize, threads: usize, share: usize) -> Result<usize, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("a runtime for thread {thread}: {e}"))?;
    // Dry: everything but the file writes (the output directory is never created).
    let team = Team::builder()
        .dry_run(true)
        .output_dir(std::env::temp_dir().join("mgx-many-runs-dry"))
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let handles: Vec<_> = (0..share)
            .map(|i| {
                let team = team.clone();
                let task = TASKS[(thread + i * threads) % TASKS.len()];
                tokio::spawn(async move { team.run(task).await })
            })
            .collect();
        let mut completed = 0;
        for handle in handles {
            let report = handle.await.map_err(|e| e.to_string())?;
            match report.status {
                RunStatus::Completed => completed += 1,
                status => eprintln!("{status:?}: {}", report.error.unwrap_or_default()),
            }
        }
        Ok(completed)
    })
}
