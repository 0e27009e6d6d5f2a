//! Best-effort formatting of what a run wrote, with the stack's own formatter (`ruff format`,
//! `prettier`, `gofmt`, `cargo fmt`, `pint`, `dotnet format` …), and per-stack
//! `.pre-commit-config.yaml` templates.
//!
//! Formatting never fails a run: a formatter that is not installed is listed as missing, one
//! that fails or runs out of time is listed with its message, and the report says which files
//! changed. It runs inside the output (or project) directory only, on the files the run wrote:
//! a formatter command that names `.` gets those files instead; one that can only format the
//! whole project runs only when the directory holds nothing but the run's files. `npx` is
//! never asked to download anything: the tool must be in the project's `node_modules/.bin` or
//! on `PATH`.
//!
//! ```no_run
//! use std::time::Duration;
//! use mgx_core::format::{FormatOptions, format_files};
//!
//! # async fn run() {
//! let stack = mgx_core::stacks::StackRegistry::builtin().get("fastapi").unwrap();
//! let report = format_files(
//!     std::path::Path::new("out"),
//!     stack,
//!     &["app/main.py".to_string()],
//!     &FormatOptions { timeout: Duration::from_secs(60), whole_project: false },
//! )
//! .await;
//! for run in &report.ran {
//!     println!("{}: {} changed", run.tool, run.changed.len());
//! }
//! # }
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::stacks::{StackSpec, Tool};

/// How to format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatOptions {
    /// The longest one formatter may run before it is stopped.
    pub timeout: Duration,
    /// Whether the directory holds only the run's files, so a formatter that formats the
    /// whole project may run.
    pub whole_project: bool,
}

impl Default for FormatOptions {
    fn default() -> Self {
        FormatOptions {
            timeout: Duration::from_secs(60),
            whole_project: false,
        }
    }
}

/// What formatting did: what ran, what changed, what was missing or skipped.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FormatReport {
    /// The formatters that ran.
    pub ran: Vec<FormatterRun>,
    /// Formatters the stack names that are not installed (`ruff`, `prettier` …).
    pub missing: Vec<String>,
    /// Formatters not run, with why.
    pub skipped: Vec<Skipped>,
}

impl FormatReport {
    /// Every file a formatter changed.
    pub fn changed(&self) -> BTreeSet<&str> {
        self.ran
            .iter()
            .flat_map(|r| r.changed.iter().map(String::as_str))
            .collect()
    }
}

/// One formatter's run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormatterRun {
    /// The tool (`ruff format`).
    pub tool: String,
    /// The command as run (the program, then its arguments).
    pub command: Vec<String>,
    /// Whether it exited successfully.
    pub ok: bool,
    /// Why not: its exit status and the end of what it printed, or that it ran out of time.
    pub message: Option<String>,
    /// The files it changed, relative to the directory.
    pub changed: Vec<String>,
    /// How long it ran, in milliseconds.
    pub ms: u64,
}

/// A formatter that was not run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// The tool.
    pub tool: String,
    /// Why.
    pub reason: String,
}

/// Format `files` (relative to `dir`, as the run wrote them) with the stack's formatter.
pub async fn format_files(
    dir: &Path,
    stack: &StackSpec,
    files: &[String],
    options: &FormatOptions,
) -> FormatReport {
    let mut report = FormatReport::default();
    let Some(tool) = &stack.formatter else {
        return report;
    };
    let targets: Vec<&String> = files
        .iter()
        .filter(|f| {
            stack
                .file_extensions
                .iter()
                .any(|e| f.ends_with(e.as_str()))
        })
        .filter(|f| dir.join(f).is_file())
        .collect();
    let plan = match plan(dir, tool, &targets, options.whole_project) {
        Ok(plan) => plan,
        Err(Plan::Missing) => {
            report.missing.push(tool.name.clone());
            return report;
        }
        Err(Plan::Skip(reason)) => {
            report.skipped.push(Skipped {
                tool: tool.name.clone(),
                reason,
            });
            return report;
        }
    };
    let before: Vec<(String, Option<Vec<u8>>)> = files
        .iter()
        .map(|f| (f.clone(), std::fs::read(dir.join(f)).ok()))
        .collect();
    let started = Instant::now();
    let (ok, message) = run(dir, &plan, options.timeout).await;
    let changed = before
        .into_iter()
        .filter(|(f, old)| std::fs::read(dir.join(f)).ok() != *old)
        .map(|(f, _)| f)
        .collect();
    report.ran.push(FormatterRun {
        tool: tool.name.clone(),
        command: std::iter::once(plan.program.display().to_string())
            .chain(plan.args.iter().cloned())
            .collect(),
        ok,
        message,
        changed,
        ms: started.elapsed().as_millis() as u64,
    });
    report
}

/// The program to run and its arguments.
#[derive(Debug)]
struct Invocation {
    program: PathBuf,
    args: Vec<String>,
}

enum Plan {
    Missing,
    Skip(String),
}

/// Resolve `tool`'s command for `dir`: the program (never through `npx`), and `.` replaced by
/// the run's files.
fn plan(
    dir: &Path,
    tool: &Tool,
    targets: &[&String],
    whole_project: bool,
) -> Result<Invocation, Plan> {
    let words = shell_words::split(&tool.command)
        .map_err(|e| Plan::Skip(format!("its command cannot be read: {e}")))?;
    let mut words = words.into_iter();
    let mut program = words
        .next()
        .ok_or_else(|| Plan::Skip("no command".into()))?;
    let mut args: Vec<String> = words.collect();
    if program == "npx" {
        // The tool itself, found where npx would find it, without downloading anything.
        args.retain(|a| a != "--yes" && a != "-y" && a != "--no-install");
        if args.is_empty() {
            return Err(Plan::Skip("npx without a tool".into()));
        }
        program = args.remove(0);
        let local = dir.join("node_modules/.bin").join(&program);
        if local.is_file() {
            program = local.display().to_string();
        }
    }
    let program = if program.contains('/') {
        let path = dir.join(&program);
        if !path.is_file() {
            return Err(Plan::Missing);
        }
        path
    } else {
        which::which(&program).map_err(|_| Plan::Missing)?
    };
    match args.iter().position(|a| a == ".") {
        Some(i) => {
            if targets.is_empty() {
                return Err(Plan::Skip(
                    "the run wrote no file this formatter formats".into(),
                ));
            }
            args.splice(i..=i, targets.iter().map(|t| t.to_string()));
        }
        None if !whole_project => {
            return Err(Plan::Skip(
                "it formats the whole project, which holds files the run did not write".into(),
            ));
        }
        None => {}
    }
    Ok(Invocation { program, args })
}

/// Run it in `dir` with no input, stopping it after `timeout`.
async fn run(dir: &Path, plan: &Invocation, timeout: Duration) -> (bool, Option<String>) {
    let child = tokio::process::Command::new(&plan.program)
        .args(&plan.args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let child = match child {
        Ok(c) => c,
        Err(e) => return (false, Some(format!("could not start: {e}"))),
    };
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Err(_) => (
            false,
            Some(format!("stopped after {} s", timeout.as_secs_f64())),
        ),
        Ok(Err(e)) => (false, Some(e.to_string())),
        Ok(Ok(out)) if out.status.success() => (true, None),
        Ok(Ok(out)) => {
            let said = String::from_utf8_lossy(if out.stderr.is_empty() {
                &out.stdout
            } else {
                &out.stderr
            })
            .trim()
            .to_string();
            let tail: String = said
                .chars()
                .rev()
                .take(400)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            (false, Some(format!("{}: {tail}", out.status)))
        }
    }
}

/// A `.pre-commit-config.yaml` that runs the stack's formatter and linter on commit, as
/// local hooks (`pre-commit install` to use it); `None` for a stack with neither.
pub fn pre_commit_config(stack: &StackSpec) -> Option<String> {
    let tools: Vec<(&str, &Tool)> = [("format", &stack.formatter), ("lint", &stack.linter)]
        .into_iter()
        .filter_map(|(kind, t)| t.as_ref().map(|t| (kind, t)))
        .collect();
    if tools.is_empty() {
        return None;
    }
    let files = stack
        .file_extensions
        .iter()
        .map(|e| regex_escape(e.trim_start_matches('.')))
        .collect::<Vec<_>>()
        .join("|");
    let mut out = format!(
        "# Written by mgx for the {} stack: `pre-commit install`, then every commit runs these.\nrepos:\n  - repo: local\n    hooks:\n",
        stack.id
    );
    for (kind, tool) in tools {
        let words = shell_words::split(&tool.command).unwrap_or_default();
        let per_file = words.last().is_some_and(|w| w == ".");
        let entry = if per_file {
            shell_words::join(&words[..words.len() - 1])
        } else {
            tool.command.clone()
        };
        out.push_str(&format!(
            "      - id: {}-{kind}\n        name: {}\n        entry: {}\n        language: system\n        files: '\\.({files})$'\n        pass_filenames: {per_file}\n",
            slug(&tool.name),
            yaml_string(&tool.name),
            yaml_string(&entry),
        ));
    }
    Some(out)
}

fn slug(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$".contains(c);
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}

/// A YAML double-quoted string.
fn yaml_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

/// Whether `dir` holds nothing but `files` (and mgx's own `.mgx` directory).
pub(crate) fn holds_only(dir: &Path, files: &[String]) -> bool {
    fn walk(dir: &Path, base: &Path, found: &mut Vec<String>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let path = entry.path();
            let rel = path
                .strip_prefix(base)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            if rel == ".mgx" {
                continue;
            }
            if entry.file_type()?.is_dir() {
                walk(&path, base, found)?;
            } else {
                found.push(rel);
            }
        }
        Ok(())
    }
    let mut found = Vec::new();
    if walk(dir, dir, &mut found).is_err() {
        return false;
    }
    let written: BTreeSet<&str> = files.iter().map(String::as_str).collect();
    found.iter().all(|f| written.contains(f.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(id: &str) -> StackSpec {
        crate::stacks::StackRegistry::builtin()
            .get(id)
            .unwrap()
            .clone()
    }

    #[test]
    fn a_dot_becomes_the_runs_files_and_npx_never_downloads() {
        let dir = std::env::temp_dir().join(format!("mgx-format-plan-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("node_modules/.bin")).unwrap();
        let prettier = dir.join("node_modules/.bin/prettier");
        std::fs::write(&prettier, "#!/bin/sh\n").unwrap();
        let files = ["src/app.ts".to_string(), "package.json".to_string()];
        let targets: Vec<&String> = files.iter().collect();
        let tool = Tool {
            name: "prettier".into(),
            command: "npx prettier --write .".into(),
        };
        let planned = plan(&dir, &tool, &targets, false).ok().unwrap();
        assert_eq!(planned.program, prettier);
        assert_eq!(planned.args, ["--write", "src/app.ts", "package.json"]);
        let absent = Tool {
            name: "nothing".into(),
            command: "npx mgx-no-such-tool --write .".into(),
        };
        assert!(matches!(
            plan_of(&dir, &absent, &targets),
            Err(Plan::Missing)
        ));
        let whole = Tool {
            name: "sh".into(),
            command: "sh -c true".into(),
        };
        assert!(matches!(
            plan_of(&dir, &whole, &targets),
            Err(Plan::Skip(_))
        ));
        assert!(plan(&dir, &whole, &targets, true).is_ok());
        std::fs::remove_dir_all(&dir).ok();
    }

    fn plan_of(dir: &Path, tool: &Tool, targets: &[&String]) -> Result<Invocation, Plan> {
        plan(dir, tool, targets, false)
    }

    #[test]
    fn pre_commit_configs_are_yaml_with_local_hooks() {
        let text = pre_commit_config(&stack("fastapi")).unwrap();
        assert!(text.contains("repo: local"));
        assert!(text.contains("entry: \"ruff format\"") && text.contains("pass_filenames: true"));
        assert!(text.contains("files: '\\.(py)$'"));
        let ts = pre_commit_config(&stack("express-ts")).unwrap();
        assert!(ts.contains("entry: \"npx prettier --write\"") && ts.contains("(ts|js|json)"));
        let rust = pre_commit_config(&stack("rust-axum")).unwrap();
        assert!(rust.contains("entry: \"cargo fmt\"") && rust.contains("pass_filenames: false"));
    }
}
