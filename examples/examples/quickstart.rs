//! The team run in a few lines: offline (no network, no key), with progress on standard error.
//!
//! `cargo run -p mgx-examples --example quickstart -- [OUT_DIR]`

use std::sync::Arc;

use mgx_core::events::{CallbackSink, Event};
use mgx_core::team::{RunStatus, Team};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "out/quickstart".into());
    let team = Team::builder()
        .output_dir(&out)
        .sink(Arc::new(CallbackSink(|e: &Event| {
            eprintln!("[{}] {}", e.event_type, e.message)
        })))
        .build()?;
    let report = team
        .run("Create a FastAPI /health endpoint with tests")
        .await;
    println!("{:?}: {} files in {out}", report.status, report.files.len());
    if report.status != RunStatus::Completed {
        return Err(report.error.unwrap_or_default().into());
    }
    Ok(())
}
