//! Formatting what a run wrote, with real formatters (ruff from PyPI, prettier from npm; CI
//! puts both on PATH), and what happens when one is missing, fails or hangs.

use std::sync::Arc;
use std::time::Duration;

use mgx_core::format::{FormatOptions, format_files, pre_commit_config};
use mgx_core::providers::Scripted;
use mgx_core::stacks::{StackRegistry, StackSpec, Tool};
use mgx_core::team::{RunStatus, Team};

use crate::team::action;

fn dir(name: &str) -> crate::TestDir {
    crate::TestDir::new("mgx-format", name, false)
}

/// The real tool, or: a panic in CI (which must provide it), a skip elsewhere.
fn installed(tool: &str) -> bool {
    if which::which(tool).is_ok() {
        return true;
    }
    if std::env::var("CI").is_ok() {
        panic!("CI must put {tool} on PATH");
    }
    eprintln!("{tool} is not installed: skipping");
    false
}

/// A team whose engineer writes `code` and tester writes `tests`, everything else fixed.
fn team(stack: &str, code: &'static str, tests: &'static str) -> mgx_core::team::TeamBuilder {
    let provider = Scripted::from_fn(move |req| {
        Ok(mgx_core::llm::ChatResponse::text(
            match action(req).as_str() {
                "analyze_task" => r#"{"complexity": "S", "files": []}"#,
                "draft_plan" => r#"{"steps": ["code", "tests", "review"]}"#,
                "write_code" => code,
                "write_test" => tests,
                _ => r#"{"verdict": "approved", "findings": []}"#,
            },
        ))
    });
    Team::builder().provider(Arc::new(provider)).stack(stack)
}

const UGLY_PY: &str = "FILE: app/main.py\nfrom fastapi import FastAPI\napp=FastAPI()\n@app.get('/health')\ndef health()->dict[str,str]:\n    return {'status':'ok'}\nFILE: requirements.txt\nfastapi\nuvicorn\npytest\n";
const PY_TESTS: &str = "FILE: tests/test_health.py\nfrom fastapi.testclient import TestClient\n\nfrom app.main import app\n\n\ndef test_health() -> None:\n    assert TestClient(app).get(\"/health\").status_code == 200\n";

#[tokio::test]
async fn ruff_formats_what_a_fastapi_run_wrote_and_the_report_says_what_changed() {
    if !installed("ruff") {
        return;
    }
    let out = dir("ruff");
    let report = team("fastapi", UGLY_PY, PY_TESTS)
        .output_dir(&out)
        .format(Duration::from_secs(60))
        .pre_commit_config(true)
        .build()
        .unwrap()
        .run("Create a FastAPI /health endpoint with tests")
        .await;
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    let formatting = report.formatting.expect("formatted");
    let run = &formatting.ran[0];
    assert_eq!(run.tool, "ruff format");
    assert!(run.ok, "{:?}", run.message);
    assert_eq!(run.changed, ["app/main.py"]); // the tests were formatted already
    let main = std::fs::read_to_string(out.join("app/main.py")).unwrap();
    assert!(main.contains("app = FastAPI()") && main.contains("return {\"status\": \"ok\"}"));
    // The pre-commit configuration came with the result, and ruff's hook is in it.
    let pre_commit = std::fs::read_to_string(out.join(".pre-commit-config.yaml")).unwrap();
    assert!(pre_commit.contains("entry: \"ruff format\""));
    assert!(report.profile.unwrap().phase_ms.contains_key("format"));
    let _ = std::fs::remove_dir_all(&out);
}

#[tokio::test]
async fn prettier_formats_what_an_express_run_wrote() {
    if !installed("prettier") {
        return;
    }
    const UGLY_TS: &str = "FILE: src/app.ts\nimport express from 'express'\nconst app=express()\napp.get('/health',(_req,res)=>{res.json({status:'ok'})})\nexport default app\nFILE: package.json\n{\"name\":\"app\",\"scripts\":{\"dev\":\"ts-node src/app.ts\",\"build\":\"tsc\",\"test\":\"jest\"},\"dependencies\":{\"express\":\"^4.19.0\"}}\nFILE: tsconfig.json\n{\"compilerOptions\": {\"strict\": true}}\n";
    const TS_TESTS: &str = "FILE: tests/health.test.ts\nimport request from 'supertest';\nimport app from '../src/app';\n\ntest('health', async () => {\n  expect((await request(app).get('/health')).status).toBe(200);\n});\n";
    let out = dir("prettier");
    let report = team("express-ts", UGLY_TS, TS_TESTS)
        .output_dir(&out)
        .format(Duration::from_secs(60))
        .build()
        .unwrap()
        .run("Build an Express API with a health route")
        .await;
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    let formatting = report.formatting.expect("formatted");
    assert!(formatting.ran[0].ok, "{:?}", formatting.ran[0].message);
    assert!(formatting.changed().contains("src/app.ts"));
    let app = std::fs::read_to_string(out.join("src/app.ts")).unwrap();
    assert!(app.contains("const app = express();"), "{app}");
    let _ = std::fs::remove_dir_all(&out);
}

fn fastapi_with(command: &str) -> StackSpec {
    let mut stack = StackRegistry::builtin().get("fastapi").unwrap().clone();
    stack.formatter = Some(Tool {
        name: command.split_whitespace().next().unwrap().into(),
        command: command.into(),
    });
    stack
}

#[tokio::test]
async fn a_missing_failing_or_hanging_formatter_is_reported_not_fatal() {
    let d = dir("faults");
    std::fs::create_dir_all(d.join("app")).unwrap();
    std::fs::write(d.join("app/main.py"), "x=1\n").unwrap();
    let files = ["app/main.py".to_string()];
    let quick = FormatOptions {
        timeout: Duration::from_millis(300),
        whole_project: false,
    };
    let missing = format_files(&d, &fastapi_with("mgx-no-such-formatter ."), &files, &quick).await;
    assert_eq!(missing.missing, ["mgx-no-such-formatter"]);
    assert!(missing.ran.is_empty());
    let failing = format_files(
        &d,
        &fastapi_with("sh -c 'echo broken >&2; exit 3' ."),
        &files,
        &quick,
    )
    .await;
    let run = &failing.ran[0];
    assert!(!run.ok && run.message.as_deref().unwrap().contains("broken"));
    let hanging = format_files(&d, &fastapi_with("sh -c 'sleep 5' ."), &files, &quick).await;
    let run = &hanging.ran[0];
    assert!(!run.ok && run.message.as_deref().unwrap().contains("stopped after"));
    assert!(run.ms < 3000);
    // A formatter of the whole project does not run on a project holding other files.
    let whole = format_files(&d, &fastapi_with("sh -c true"), &files, &quick).await;
    assert!(whole.ran.is_empty() && whole.skipped.len() == 1);
    // The file is as it was.
    assert_eq!(
        std::fs::read_to_string(d.join("app/main.py")).unwrap(),
        "x=1\n"
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[tokio::test]
async fn a_run_whose_formatter_is_missing_completes_and_warns() {
    let out = dir("missing");
    let (sink, events) = mgx_core::events::ChannelSink::new(1024);
    // Where ruff is not installed, this is the missing-formatter path; where it is, it ran.
    let team = team("fastapi", UGLY_PY, PY_TESTS)
        .output_dir(&out)
        .format(Duration::from_secs(5))
        .sink(Arc::new(sink))
        .build()
        .unwrap();
    let report = team.run("Create a FastAPI /health endpoint").await;
    drop(team); // the team holds the sink: the event stream ends with it
    assert_eq!(report.status, RunStatus::Completed);
    let formatting = report.formatting.unwrap();
    if formatting.missing.is_empty() {
        // ruff is installed here: it ran instead.
        assert_eq!(formatting.ran.len(), 1);
    } else {
        assert_eq!(formatting.missing, ["ruff format"]);
        use futures::StreamExt;
        let events: Vec<_> = events.collect().await;
        assert!(
            events
                .iter()
                .any(|e| e.event_type.as_str() == "warning" && e.data["component"] == "format")
        );
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn every_stack_with_a_formatter_has_a_pre_commit_configuration() {
    for stack in StackRegistry::builtin().iter() {
        let config = pre_commit_config(stack);
        assert_eq!(
            config.is_some(),
            stack.formatter.is_some() || stack.linter.is_some(),
            "{}",
            stack.id
        );
        if let Some(text) = config {
            assert!(text.starts_with("# Written by mgx") && text.contains("repo: local"));
        }
    }
}
