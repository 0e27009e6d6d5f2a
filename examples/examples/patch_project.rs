//! Patch an existing project: the engineer answers with a diff against the project's files,
//! the change set is shown with its hash before anything is written, and it is applied
//! all-or-nothing with backups. Offline, the team adds the starter files the project lacks.
//!
//! `cargo run -p mgx-examples --example patch_project -- [PROJECT_DIR]`

use std::sync::Arc;

use mgx_core::team::{Approval, ApprovalPolicy, Message, RunStatus, Team};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let project = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "out/patch_project".into()),
    );
    // A small existing project to patch.
    std::fs::create_dir_all(project.join("app"))?;
    std::fs::write(
        project.join("app/main.py"),
        "from fastapi import FastAPI\n\napp = FastAPI(title=\"shop\")\n",
    )?;
    let team = Team::builder()
        .stack("fastapi")
        .project(&project)
        .approval(ApprovalPolicy::Callback(Arc::new(|m: &Message| {
            if m.kind == "change_set" {
                println!(
                    "change set {} touches {}",
                    &m.data()["hash"].as_str().unwrap_or_default()[..12],
                    m.data()["files"]
                );
            }
            Approval::Approve { feedback: None }
        })))
        .build()?;
    let report = team.run("Add a health check to the shop API").await;
    println!("{:?}: {:?}", report.status, report.files);
    if report.status != RunStatus::Completed {
        return Err(report.error.unwrap_or_default().into());
    }
    Ok(())
}
