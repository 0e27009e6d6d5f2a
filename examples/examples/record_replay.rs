//! Record a run's model calls to a cassette, then replay them without the provider: the
//! same run, answered from the file. The format is one JSON object per line (see
//! `mgx_core::providers::CassetteEntry`), the same for Python and Node.
//!
//! `cargo run -p mgx-examples --example record_replay -- [DIR]`

use std::sync::Arc;

use mgx_core::providers::{Cassette, CassetteMode, Offline};
use mgx_core::team::{RunStatus, Team};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "out/record_replay".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let tape = dir.join("calls.jsonl");
    let _ = std::fs::remove_file(&tape);
    let task = "Build a Go Gin API with a health endpoint";

    let recorder = Cassette::open(&tape, CassetteMode::Record, Some(Arc::new(Offline)))?;
    let team = Team::builder()
        .provider(Arc::new(recorder))
        .output_dir(dir.join("recorded"))
        .build()?;
    let first = team.run(task).await;

    // No provider behind the replay: a call the cassette lacks would be an error.
    let player = Cassette::replay(&tape, "scaffold")?;
    let team = Team::builder()
        .provider(Arc::new(player))
        .output_dir(dir.join("replayed"))
        .build()?;
    let second = team.run(task).await;
    println!(
        "recorded: {:?} ({} calls), replayed: {:?}",
        first.status, first.llm_calls, second.status
    );
    if second.status != RunStatus::Completed {
        return Err(second.error.unwrap_or_default().into());
    }
    Ok(())
}
