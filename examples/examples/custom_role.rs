//! A custom role slots into the default team by the messages it watches: here a licence
//! checker that reads the engineer's code and publishes its own message, which the report's
//! events show. Approval goes through a handle, as a web backend would do it.
//!
//! `cargo run -p mgx-examples --example custom_role -- [OUT_DIR]`

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use mgx_core::team::{
    Action, ActionRole, ApprovalPolicy, Message, RunContext, RunStatus, Team, kinds,
};

/// Counts the files of the engineer's manifest that carry no licence header.
struct LicenceCheck;

#[async_trait]
impl Action for LicenceCheck {
    fn name(&self) -> &str {
        "licence_check"
    }

    async fn run(
        &self,
        _ctx: &RunContext,
        role: &str,
        code: &Message,
    ) -> mgx_core::Result<Message> {
        let files = code.data()["files"].as_array().cloned().unwrap_or_default();
        let missing: Vec<String> = files
            .iter()
            .filter(|f| {
                !f["content"]
                    .as_str()
                    .unwrap_or("")
                    .contains("SPDX-License-Identifier")
            })
            .filter_map(|f| f["path"].as_str().map(str::to_string))
            .collect();
        Ok(Message::new(
            "licence_report",
            role,
            format!(
                "{} of {} files have no licence header",
                missing.len(),
                files.len()
            ),
            serde_json::json!({ "missing": missing }),
        ))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "out/custom_role".into());
    let team = Team::builder()
        .output_dir(&out)
        .add_role(Arc::new(ActionRole::new(
            "licence_checker",
            &[kinds::CODE],
            vec![Arc::new(LicenceCheck)],
        )))
        .approval(ApprovalPolicy::Manual {
            timeout: Duration::from_secs(300),
        })
        .build()?;
    let run = team.start("Build an Express API with a /health endpoint");
    if let Some(plan) = run.plan().await {
        println!("plan: {}", plan.data()["steps"]);
        run.approve(Some("keep the dependencies minimal".into()));
    }
    let report = run.report().await;
    println!("{:?}: {} files in {out}", report.status, report.files.len());
    if report.status != RunStatus::Completed {
        return Err(report.error.unwrap_or_default().into());
    }
    Ok(())
}
