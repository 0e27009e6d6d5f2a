//! Git-aware runs against real git: local repositories, a local bare remote, and a local mock
//! of the GitHub API for the pull request.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use futures::StreamExt;
use mgx_core::events::{ChannelSink, Event};
use mgx_core::git::GitOptions;
use mgx_core::team::{RunReport, RunStatus, Team};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn temp(name: &str) -> crate::TestDir {
    crate::TestDir::new("mgx-git", name, true)
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A FastAPI project in a repository with one commit on `main`, and a bare `origin` (both
/// in the returned directory, removed when it is dropped).
fn project(name: &str) -> (crate::TestDir, PathBuf, PathBuf) {
    let base = temp(name);
    let (work, remote) = (base.join("app"), base.join("origin.git"));
    std::fs::create_dir_all(work.join("app")).unwrap();
    std::fs::write(
        work.join("app/main.py"),
        "from fastapi import FastAPI\n\napp = FastAPI()\n",
    )
    .unwrap();
    std::fs::write(work.join("requirements.txt"), "fastapi\nuvicorn\n").unwrap();
    git(&base, &["init", "-q", "--bare", "origin.git"]);
    git(&work, &["init", "-q", "-b", "main"]);
    git(&work, &["config", "user.name", "Test"]);
    git(&work, &["config", "user.email", "test@example.invalid"]);
    git(&work, &["add", "."]);
    git(&work, &["commit", "-q", "-m", "initial"]);
    git(
        &work,
        &["remote", "add", "origin", &remote.to_string_lossy()],
    );
    (base, work, remote)
}

async fn run(team: mgx_core::team::TeamBuilder, task: &str) -> (RunReport, Vec<Event>) {
    let (sink, events) = ChannelSink::new(4096);
    let report = team.sink(Arc::new(sink)).build().unwrap().run(task).await;
    (report, events.collect().await)
}

fn kinds(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| e.event_type.as_str().to_string())
        .filter(|k| k.starts_with("git_") || k == "pull_request_opened")
        .collect()
}

const TASK: &str = "Add a /health endpoint with tests";

#[tokio::test]
async fn a_patch_run_is_committed_pushed_and_opened_as_a_draft_pull_request() {
    let (_dir, work, remote) = project("pr");
    let github = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/app/pulls"))
        .and(header("authorization", "Bearer test-token"))
        .and(body_partial_json(serde_json::json!({
            "head": "mgx/add-a-health-endpoint-with-tests/run-1",
            "base": "main",
            "draft": true,
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            serde_json::json!({"html_url": "https://github.example/acme/app/pull/7"}),
        ))
        .expect(1)
        .mount(&github)
        .await;
    let options = GitOptions {
        push: Some("origin".into()),
        pull_request: true,
        repository: Some("acme/app".into()),
        github_api: Some(github.uri()),
        token: Some("test-token".into()),
        commit_template: "feat: {task_name} (mgx run {run_number})".into(),
        ..GitOptions::default()
    };
    let team = Team::builder()
        .project(&work)
        .stack("fastapi")
        .git(options.clone());
    let (report, events) = run(team, TASK).await;
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    let g = report.git.clone().unwrap();
    assert_eq!(g.error, None);
    assert_eq!(
        g.branch.as_deref(),
        Some("mgx/add-a-health-endpoint-with-tests/run-1")
    );
    assert_eq!(g.pushed_to.as_deref(), Some("origin"));
    assert_eq!(
        g.pull_request_url.as_deref(),
        Some("https://github.example/acme/app/pull/7")
    );
    assert_eq!(
        kinds(&events),
        [
            "git_branch_created",
            "git_commit_created",
            "git_push_success",
            "pull_request_opened"
        ]
    );
    // The commit holds the run's files, with the templated message; the tree is clean.
    assert_eq!(
        git(&work, &["rev-parse", "HEAD"]),
        g.commit.clone().unwrap()
    );
    assert_eq!(
        git(&work, &["log", "-1", "--format=%s"]),
        format!("feat: {TASK} (mgx run 1)")
    );
    let committed = git(&work, &["show", "--name-only", "--format=", "HEAD"]);
    for f in &report.files {
        assert!(committed.lines().any(|l| l == f), "{f} in {committed}");
    }
    assert_eq!(git(&work, &["status", "--porcelain"]), "");
    // The remote has the branch.
    assert_eq!(
        git(
            &remote,
            &["rev-parse", "mgx/add-a-health-endpoint-with-tests/run-1"]
        ),
        g.commit.unwrap()
    );
    // The token is in no event.
    assert!(events.iter().all(|e| !e.to_json().contains("test-token")));

    // The same task again: the next run number, from the branch it is on.
    git(&work, &["checkout", "-q", "main"]);
    let team = Team::builder()
        .project(&work)
        .stack("fastapi")
        .git(GitOptions {
            push: None,
            pull_request: false,
            ..options
        });
    let (again, _) = run(team, TASK).await;
    assert_eq!(
        again.git.unwrap().branch.as_deref(),
        Some("mgx/add-a-health-endpoint-with-tests/run-2")
    );
}

#[tokio::test]
async fn a_new_project_outside_a_repository_gets_one() {
    let base = temp("fresh");
    let out = base.join("out");
    let team = Team::builder()
        .output_dir(&out)
        .stack("fastapi")
        .git(GitOptions::default());
    let (report, events) = run(team, "Create a FastAPI /health endpoint with tests").await;
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    let g = report.git.unwrap();
    assert_eq!(g.error, None, "{:?}", kinds(&events));
    assert_eq!(
        git(&out, &["rev-parse", "--abbrev-ref", "HEAD"]),
        g.branch.unwrap()
    );
    assert_eq!(git(&out, &["status", "--porcelain"]), "");
}

#[tokio::test]
async fn a_failed_push_keeps_the_commit_and_the_run() {
    let (_dir, work, _) = project("push");
    let team = Team::builder()
        .project(&work)
        .stack("fastapi")
        .git(GitOptions {
            push: Some("nowhere".into()),
            ..GitOptions::default()
        });
    let (report, events) = run(team, TASK).await;
    assert_eq!(report.status, RunStatus::Completed);
    let g = report.git.unwrap();
    assert!(g.commit.is_some() && g.pushed_to.is_none());
    assert!(g.error.unwrap().starts_with("push:"));
    assert_eq!(
        kinds(&events),
        [
            "git_branch_created",
            "git_commit_created",
            "git_push_failed"
        ]
    );
    assert_eq!(git(&work, &["status", "--porcelain"]), "");
}

#[tokio::test]
async fn a_failed_commit_leaves_the_repository_as_it_was_and_the_result_on_disk() {
    let (_dir, work, _) = project("hook");
    // A hook that refuses every commit.
    let hook = work.join(".git/hooks/pre-commit");
    std::fs::write(&hook, "#!/bin/sh\necho 'no commits today' >&2\nexit 1\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let team = Team::builder()
        .project(&work)
        .stack("fastapi")
        .git(GitOptions::default());
    let (report, events) = run(team, TASK).await;
    assert_eq!(report.status, RunStatus::Completed);
    let g = report.git.unwrap();
    assert!(g.error.unwrap().contains("no commits today"));
    assert_eq!((g.branch, g.commit), (None, None));
    assert_eq!(
        kinds(&events),
        ["git_branch_created", "git_operation_failed"]
    );
    // Back on main, the branch gone, nothing staged; the run's files are there, uncommitted.
    assert_eq!(git(&work, &["rev-parse", "--abbrev-ref", "HEAD"]), "main");
    assert_eq!(git(&work, &["branch", "--list", "mgx/*"]), "");
    assert_eq!(git(&work, &["diff", "--cached", "--name-only"]), "");
    let status = git(&work, &["status", "--porcelain"]);
    assert!(!status.is_empty());
    assert!(report.files.iter().all(|f| work.join(f).exists()));
}

#[tokio::test]
async fn files_the_user_had_changed_are_not_committed_for_them() {
    let (_dir, work, _) = project("dirty");
    std::fs::write(
        work.join("app/main.py"),
        "from fastapi import FastAPI\n\napp = FastAPI(title='mine')\n",
    )
    .unwrap();
    // A model that changes app/main.py, which the user has changed too.
    const DIFF: &str = "--- a/app/main.py\n+++ b/app/main.py\n@@ -1,3 +1,8 @@\n from fastapi import FastAPI\n \n app = FastAPI(title='mine')\n+\n+\n+@app.get(\"/health\")\n+def health() -> dict[str, str]:\n+    return {\"status\": \"ok\"}\n";
    let provider = mgx_core::providers::Scripted::from_fn(|req| {
        let action = req.messages[0]
            .content
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        Ok(mgx_core::llm::ChatResponse::text(
            if action.contains("analyze_task") {
                r#"{"complexity": "S", "files": ["app/main.py"]}"#
            } else if action.contains("draft_plan") {
                r#"{"steps": ["route", "test"]}"#
            } else if action.contains("write_code") {
                DIFF
            } else if action.contains("write_test") {
                "FILE: tests/test_health.py\ndef test_health() -> None:\n    assert True\n"
            } else {
                r#"{"verdict": "approved", "findings": []}"#
            },
        ))
    });
    let team = Team::builder()
        .provider(Arc::new(provider))
        .project(&work)
        .stack("fastapi")
        .git(GitOptions::default());
    let (report, events) = run(team, TASK).await;
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    assert!(report.files.iter().any(|f| f == "app/main.py"));
    let g = report.git.unwrap();
    assert!(
        g.error
            .as_deref()
            .unwrap_or_else(|| panic!("committed {:?}", report.files))
            .contains("uncommitted changes before the run")
    );
    assert_eq!(kinds(&events), ["git_operation_failed"]);
    assert_eq!(git(&work, &["rev-parse", "--abbrev-ref", "HEAD"]), "main");
    assert_eq!(git(&work, &["log", "--format=%s"]), "initial");
}

#[test]
fn a_pull_request_without_a_push_is_a_configuration_error() {
    let err = Team::builder()
        .git(GitOptions {
            pull_request: true,
            ..GitOptions::default()
        })
        .build()
        .unwrap_err();
    assert_eq!(err.code(), "config");
}

#[tokio::test]
async fn a_new_project_inside_a_repository_is_committed_there_not_in_a_nested_one() {
    let (_dir, work, _) = project("nested");
    let out = work.join("services/health");
    let team = Team::builder()
        .output_dir(&out)
        .stack("fastapi")
        .git(GitOptions::default());
    let (report, _) = run(team, "Create a FastAPI /health endpoint with tests").await;
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    assert_eq!(report.git.unwrap().error, None);
    assert!(!out.join(".git").exists());
    let committed = git(&work, &["show", "--name-only", "--format=", "HEAD"]);
    assert!(
        committed
            .lines()
            .any(|l| l == "services/health/app/main.py"),
        "{committed}"
    );
}
