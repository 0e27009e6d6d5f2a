//! The `mgx` command as users run it: output, JSON, exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failed unwrap is a failed test

use std::process::{Command, Output};

fn mgx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mgx"))
        .args(args)
        .output()
        .expect("run mgx")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `mgx args…`, which must succeed; its standard output.
fn mgx_ok(args: &[&str]) -> String {
    let out = mgx(args);
    assert!(
        out.status.success(),
        "mgx {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
}

/// What `mgx run … --json` prints: the events (JSON lines), then the report.
fn events_and_report(text: &str) -> (Vec<serde_json::Value>, serde_json::Value) {
    let report_start = text.find("\n{\n").map_or(0, |i| i + 1);
    let events = text[..report_start]
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (events, serde_json::from_str(&text[report_start..]).unwrap())
}

#[test]
fn stacks_lists_every_stack_and_json_parses() {
    let out = mgx(&["stacks"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for id in ["express-ts", "fastapi", "flutter-laravel", "spring-boot"] {
        assert!(text.contains(id), "{id} missing:\n{text}");
    }
    let out = mgx(&["stacks", "--json"]);
    let specs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(specs.as_array().unwrap().len(), 23);
}

#[test]
fn stack_shows_one_and_unknown_is_exit_2_with_suggestions() {
    let out = mgx(&["stack", "fastapi"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("pytest") && text.contains("Validation rules"),
        "{text}"
    );
    let out = mgx(&["stack", "fastapy", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `fastapi`"));
}

#[test]
fn infer_exit_codes_and_json() {
    let out = mgx(&["infer", "an Express API, not FastAPI", "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["stack"], "express-ts");
    assert!(v["confidence"].as_f64().unwrap() > 0.5);
    let out = mgx(&["infer", "Build an Angular dashboard"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("angular"));
}

#[test]
fn task_accepts_text_json_and_files() {
    let out = mgx(&["task", "Create a FastAPI /health endpoint with tests"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout(&out).contains("Stack: fastapi (inferred"));

    let out = mgx(&[
        "task",
        r#"{"task": "x", "target_stack": "go-gin"}"#,
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["stack"], "go-gin");
    assert_eq!(v["source"], "explicit");

    let out = mgx(&["task", r#"{"task": "x", "output_mode": "patch_existing"}"#]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("existing_project_path"));

    let dir = std::env::temp_dir().join(format!("mgx-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("task.json");
    std::fs::write(
        &file,
        r#"{"task": "Vue dashboard", "strict_requirements": true}"#,
    )
    .unwrap();
    let out = mgx(&["task", "--file", file.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("vue-vite"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn extra_stacks_from_a_file() {
    let dir = std::env::temp_dir().join(format!("mgx-cli-stacks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("phoenix.toml");
    std::fs::write(
        &file,
        "id = \"phoenix\"\nname = \"Elixir + Phoenix\"\ncategory = \"backend\"\nlanguage = \"elixir\"\nfile_extensions = [\".ex\"]\n[inference]\nkeywords = [\"phoenix\"]\n",
    )
    .unwrap();
    let out = mgx(&[
        "--stacks",
        file.to_str().unwrap(),
        "infer",
        "Phoenix chat API",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["stack"], "phoenix");
    let out = mgx(&["--stacks", "/nonexistent/x.toml", "stacks"]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A file in a directory of its own under the system's temp directory, removed with it when
/// dropped.
struct TempFile {
    dir: std::path::PathBuf,
    path: std::path::PathBuf,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl std::ops::Deref for TempFile {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.path
    }
}

impl AsRef<std::ffi::OsStr> for TempFile {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.path.as_os_str()
    }
}

fn temp_file(name: &str, content: &[u8]) -> TempFile {
    let dir = std::env::temp_dir().join(format!("mgx-cli-files-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    TempFile { dir, path }
}

#[test]
fn validate_exit_codes_and_json() {
    let good = temp_file("good.txt", b"FILE: app/main.py\n```python\nfrom fastapi import FastAPI\n```\nFILE: requirements.txt\n```\nfastapi\n```\n");
    let out = mgx(&["validate", "--stack", "fastapi", good.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).starts_with("validation passed"));

    let bad = temp_file("bad.txt", b"FILE: ../x.py\nimport django\n");
    let out = mgx(&[
        "validate",
        "--stack",
        "fastapi",
        "--constraint",
        "No extra libraries",
        "--json",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["is_valid"], false);
    assert_eq!(v["errors"][0]["code"], "invalid_path");

    let strict = temp_file("prose.txt", b"Here:\nFILE: a.py\n```\nx\n```\n");
    assert_eq!(
        mgx(&["validate", strict.to_str().unwrap()]).status.code(),
        Some(0)
    );
    assert_eq!(
        mgx(&["validate", "--strict", strict.to_str().unwrap()])
            .status
            .code(),
        Some(1)
    );

    let binary = temp_file("binary.txt", b"FILE: a\n\xff\xfe\n");
    let out = mgx(&["validate", binary.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid UTF-8 at byte 8 (line 2)"));
    assert_eq!(
        mgx(&["validate", "--stack", "nope", good.to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        mgx(&["validate", "/nonexistent/file"]).status.code(),
        Some(2)
    );
}

#[test]
fn manifest_lists_files_and_prose() {
    let file = temp_file(
        "m.txt",
        b"Intro\nFILE: a.py\n```python\nx\n```\nFILE: ./a.py\ny\n",
    );
    let out = mgx(&["manifest", file.to_str().unwrap()]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("2 file(s), 1 prose span(s)") && text.contains("duplicate: a.py"),
        "{text}"
    );
    let out = mgx(&["manifest", "--json", file.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["files"][0]["fence"], "python");
    assert_eq!(v["prose"][0]["text"], "Intro");
}

#[test]
fn patch_apply_exit_codes_backups_and_diff() {
    let dir = std::env::temp_dir().join(format!("mgx-cli-patch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let root = dir.join("proj");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("f.txt"), "a\nb\nc\n").unwrap();
    let good = temp_file(
        "good.diff",
        b"--- a/f.txt\n+++ b/f.txt\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n",
    );
    let bad = temp_file(
        "bad.diff",
        b"--- a/f.txt\n+++ b/f.txt\n@@ -1 +1 @@\n-zzz\n+y\n",
    );
    let evil = temp_file(
        "evil.diff",
        b"--- /dev/null\n+++ b/../escape.txt\n@@ -0,0 +1 @@\n+x\n",
    );
    let r = root.to_str().unwrap();

    let out = mgx(&[
        "patch",
        "apply",
        "--root",
        r,
        "--diff",
        good.to_str().unwrap(),
        "--dry-run",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(root.join("f.txt")).unwrap(),
        "a\nb\nc\n"
    );
    let out = mgx(&[
        "patch",
        "apply",
        "--root",
        r,
        "--diff",
        good.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "applied");
    assert_eq!(
        std::fs::read_to_string(root.join("f.txt")).unwrap(),
        "a\nB\nc\n"
    );
    assert_eq!(
        mgx(&[
            "patch",
            "apply",
            "--root",
            r,
            "--diff",
            good.to_str().unwrap()
        ])
        .status
        .code(),
        Some(0),
        "already applied"
    );
    assert_eq!(
        mgx(&[
            "patch",
            "apply",
            "--root",
            r,
            "--diff",
            bad.to_str().unwrap()
        ])
        .status
        .code(),
        Some(2)
    );
    assert_eq!(
        mgx(&[
            "patch",
            "apply",
            "--root",
            r,
            "--diff",
            bad.to_str().unwrap(),
            "--mode",
            "best-effort"
        ])
        .status
        .code(),
        Some(2),
        "nothing placed at all"
    );
    assert_eq!(
        mgx(&[
            "patch",
            "apply",
            "--root",
            r,
            "--diff",
            evil.to_str().unwrap()
        ])
        .status
        .code(),
        Some(3)
    );
    assert!(!dir.join("escape.txt").exists());

    let out = mgx(&["patch", "backups", "list", "--root", r, "--json"]);
    let runs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The run that changed f.txt (the newest one only wrote best-effort review artifacts).
    let run = runs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["files"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["path"] == "f.txt" && f["existed"] == true)
        })
        .unwrap()["run"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        mgx(&["patch", "backups", "restore", "--root", r, &run])
            .status
            .success()
    );
    assert_eq!(
        std::fs::read_to_string(root.join("f.txt")).unwrap(),
        "a\nb\nc\n"
    );
    assert!(mgx(&["patch", "recover", "--root", r]).status.success());

    let out = mgx(&["diff", good.to_str().unwrap(), bad.to_str().unwrap()]);
    assert!(stdout(&out).contains("-+B"), "{}", stdout(&out));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn complete_reports_an_unreachable_server_with_exit_1() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{closed}/v1");
    let out = mgx(&[
        "complete",
        "--base-url",
        &url,
        "--model",
        "m",
        "--max-retries",
        "0",
        "--json",
        "hi",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["code"], "connection");
    let out = mgx(&["complete", "--base-url", "not a url", "--model", "m", "hi"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("base URL"));
}

/// Run `mgx` with these environment variables set (`None`: removed).
fn mgx_env(args: &[&str], env: &[(&str, Option<&str>)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mgx"));
    cmd.args(args);
    for (name, value) in env {
        match value {
            Some(v) => cmd.env(name, v),
            None => cmd.env_remove(name),
        };
    }
    let out = cmd.output().expect("run mgx");
    assert!(
        out.status.success(),
        "mgx {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The LiteLLM proxy `.ci/test-all` starts (see mgx-core's litellm test); required in CI.
fn litellm_url() -> Option<String> {
    let url = std::env::var("MGX_LITELLM_URL").ok();
    if url.is_none() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must provide MGX_LITELLM_URL"
        );
        eprintln!("MGX_LITELLM_URL is not set: skipping");
    }
    url
}

const TEST_KEY: Option<&str> = Some("sk-mgx-test-master-key");

#[test]
fn complete_against_a_real_openai_compatible_server() {
    let Some(url) = litellm_url() else { return };
    let base = ["complete", "--base-url", &url, "--model", "mgx-mock"];
    let out = mgx_env(
        &[&base[..], &["--json", "Say hello"]].concat(),
        &[("MGX_API_KEY", TEST_KEY)],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["content"], "Hello from the mgx test model.");
    assert_eq!(v["attempts"], 1);
    assert!(v["usage"]["prompt_tokens"].as_u64().unwrap() > 0);
    let out = mgx_env(
        &[&base[..], &["--stream", "Say hello"]].concat(),
        &[("MGX_API_KEY", TEST_KEY)],
    );
    assert_eq!(stdout(&out).trim(), "Hello from the mgx test model.");
}

#[test]
fn complete_takes_server_key_and_model_from_the_environment() {
    let Some(url) = litellm_url() else { return };
    let args = ["complete", "--json", "Say hello"];
    // The OPENAI_* names are the fallbacks of the MGX_* ones…
    mgx_env(
        &args,
        &[
            ("MGX_BASE_URL", None),
            ("MGX_API_KEY", None),
            ("OPENAI_BASE_URL", Some(&url)),
            ("OPENAI_API_KEY", TEST_KEY),
            ("MGX_MODEL", Some("mgx-mock")),
        ],
    );
    // …and MGX_* wins: a wrong OPENAI_BASE_URL is not used.
    mgx_env(
        &args,
        &[
            ("MGX_BASE_URL", Some(&url)),
            ("MGX_API_KEY", TEST_KEY),
            ("OPENAI_BASE_URL", Some("http://127.0.0.1:1/v1")),
            ("MGX_MODEL", Some("mgx-mock")),
        ],
    );
}

#[test]
fn run_writes_the_project_offline_and_reports_it() {
    let out = std::env::temp_dir().join(format!("mgx-cli-run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let out_s = out.to_string_lossy().into_owned();
    let text = mgx_ok(&[
        "run",
        "Create a FastAPI /health endpoint with tests",
        "--out",
        &out_s,
        "--yes",
        "--json",
    ]);
    // Events as JSON lines, then the report.
    let (events, report) = events_and_report(&text);
    assert_eq!(events[0]["event_type"], "analysis_start");
    assert_eq!(events.last().unwrap()["event_type"], "completion");
    assert_eq!(report["status"], "completed");
    assert_eq!(report["providers"][0], "offline/scaffold");
    assert!(out.join("app/main.py").exists() && out.join("tests/test_health.py").exists());
    // A stack that does not exist is bad input.
    let bad = mgx(&["run", "x", "--stack", "fastapy", "--out", &out_s]);
    assert_eq!(bad.status.code(), Some(2));
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn run_writes_its_profile_on_request() {
    let dir = std::env::temp_dir().join(format!("mgx-cli-profile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (out, profile) = (dir.join("out"), dir.join("profile.json"));
    mgx_ok(&[
        "run",
        "Create a FastAPI /health endpoint with tests",
        "--out",
        &out.to_string_lossy(),
        "--yes",
        "--profile",
        &profile.to_string_lossy(),
    ]);
    let p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&profile).unwrap()).unwrap();
    assert_eq!(p["llm_calls"], 5);
    assert!(p["total_ms"].as_u64().is_some() && p["phase_ms"]["apply"].as_u64().is_some());
    assert!(p["llm_ms_max"].as_u64().is_some());
    if cfg!(target_os = "linux") {
        assert!(p["peak_rss_bytes"].as_u64().unwrap() > 1_000_000);
    }
    // --format and --pre-commit: the configuration is written, the report says what ran.
    let formatted = dir.join("formatted");
    let text = mgx_ok(&[
        "run",
        "Create a FastAPI /health endpoint with tests",
        "--out",
        &formatted.to_string_lossy(),
        "--yes",
        "--json",
        "--format",
        "--pre-commit",
    ]);
    let (_, report) = events_and_report(&text);
    let formatting = &report["formatting"];
    assert!(
        formatting["ran"].as_array().unwrap().len()
            + formatting["missing"].as_array().unwrap().len()
            == 1
    );
    assert!(formatted.join(".pre-commit-config.yaml").is_file());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn run_commits_its_result_on_a_branch_with_git() {
    let out = std::env::temp_dir().join(format!("mgx-cli-git-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let text = mgx_ok(&[
        "run",
        "Create a FastAPI /health endpoint with tests",
        "--out",
        &out.to_string_lossy(),
        "--yes",
        "--git",
        "--branch-prefix",
        "ai",
        "--commit-template",
        "scaffold: {task_name} #{run_number}",
    ]);
    assert!(text.contains("on ai/create-a-fastapi-health-endpoint-with-tests/run-1"));
    let log = std::process::Command::new("git")
        .arg("-C")
        .arg(&out)
        .args(["log", "-1", "--format=%s"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&log.stdout).trim(),
        "scaffold: Create a FastAPI /health endpoint with tests #1"
    );
    // --pr without --push is bad input.
    let bad = mgx(&["run", "x", "--out", &out.to_string_lossy(), "--git", "--pr"]);
    assert_eq!(bad.status.code(), Some(2));
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn run_records_and_replays_a_cassette() {
    let dir = std::env::temp_dir().join(format!("mgx-cli-cassette-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let tape = dir.join("run.jsonl").to_string_lossy().into_owned();
    let out = |n: &str| dir.join(n).to_string_lossy().into_owned();
    let task = "Create a FastAPI /health endpoint with tests";
    let recorded = mgx(&[
        "run",
        task,
        "--out",
        &out("a"),
        "--yes",
        "--cassette",
        &tape,
        "--record",
    ]);
    assert!(
        recorded.status.success(),
        "{}",
        String::from_utf8_lossy(&recorded.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&tape).unwrap().lines().count(),
        5,
        "one line per call"
    );
    let replayed = mgx(&[
        "run",
        task,
        "--out",
        &out("b"),
        "--yes",
        "--cassette",
        &tape,
        "--replay",
    ]);
    assert!(
        replayed.status.success(),
        "{}",
        String::from_utf8_lossy(&replayed.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("a/app/main.py")).unwrap(),
        std::fs::read_to_string(dir.join("b/app/main.py")).unwrap()
    );
    // Strict replay of a run it has not recorded fails, naming the missing call.
    let other = mgx(&[
        "run",
        "Build an Express API",
        "--out",
        &out("c"),
        "--yes",
        "--cassette",
        &tape,
        "--replay",
    ]);
    assert_eq!(other.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&other.stderr).contains("no recording"),
        "{}",
        String::from_utf8_lossy(&other.stderr)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_journaled_run_can_be_resumed() {
    let dir = std::env::temp_dir().join(format!("mgx-cli-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let base = dir.join("runs").to_string_lossy().into_owned();
    let out = dir.join("out").to_string_lossy().into_owned();
    let first = mgx(&[
        "run",
        "Create a FastAPI /health endpoint with tests",
        "--out",
        &out,
        "--yes",
        "--run-dir",
        &base,
        "--json",
    ]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let text = stdout(&first);
    let report: serde_json::Value =
        serde_json::from_str(&text[text.find("\n{\n").unwrap() + 1..]).unwrap();
    let run_dir = report["run_dir"].as_str().unwrap().to_string();
    assert_eq!(
        std::fs::read_to_string(format!("{run_dir}/calls.jsonl"))
            .unwrap()
            .lines()
            .count(),
        5
    );
    let again = mgx(&["resume", &run_dir, "--yes"]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(
        stdout(&again).starts_with("Completed"),
        "{}",
        stdout(&again)
    );
    // Nothing new was asked: the journal still has five answers.
    assert_eq!(
        std::fs::read_to_string(format!("{run_dir}/calls.jsonl"))
            .unwrap()
            .lines()
            .count(),
        5
    );
    std::fs::remove_dir_all(&dir).ok();
}
