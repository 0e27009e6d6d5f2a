//! `mgx` — the command-line program of mgx.
//!
//! Run with: cargo run -p mgx-examples --bin mgx -- --help
//!
//! Exit codes: 0 success; 1 a negative answer (`infer` or `task` found no stack, `validate` found
//! errors); 2 bad input or usage (unknown stack, invalid task JSON, unreadable or non-UTF-8 file).

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mgx_core::guardrails::{Options, Severity, validate};
use mgx_core::stacks::{Inference, ResolvedStack, StackRegistry, StackSpec, TaskSpec};

/// mgx: a runtime for AI software-engineering teams.
#[derive(Debug, Parser)]
#[command(name = "mgx", version, about, long_about = None)]
struct Cli {
    /// Register extra stacks from a JSON or TOML file before running the command (repeatable).
    #[arg(long = "stacks", value_name = "FILE", global = true)]
    stack_files: Vec<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List every stack: id, category, language, test framework, name.
    Stacks {
        /// Print the full specs as a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Show one stack: tools, commands, layout, tests, rules, review checklist.
    Stack {
        /// The stack id, e.g. `fastapi`.
        id: String,
        /// Print the spec as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Infer the stack a task asks for, with a confidence and the candidates.
    ///
    /// Exits 1 when no stack fits.
    Infer {
        /// The task text.
        text: String,
        /// Print the inference as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Read a task (plain text or the JSON task contract), settle its stack and show what the
    /// team will work from.
    ///
    /// The task comes from TASK, or from `--file` (`-` for standard input). Exits 1 when no
    /// stack is named and none can be inferred.
    Task {
        /// The task: plain text, or JSON starting with `{`.
        #[arg(conflicts_with = "file", required_unless_present = "file")]
        task: Option<String>,
        /// Read the task from a file (`-` for standard input).
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// Print the task, the resolution and the spec as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Validate generated output (a FILE manifest) against a stack and constraints.
    ///
    /// Exits 0 when valid, 1 when there are errors, 2 for bad input.
    Validate {
        /// The stack whose rules apply; without it, only the format, paths and constraints that
        /// need no stack are checked.
        #[arg(long)]
        stack: Option<String>,
        /// A task constraint, e.g. "No extra libraries" (repeatable).
        #[arg(long = "constraint", value_name = "TEXT")]
        constraints: Vec<String>,
        /// Strict FILE-manifest mode: no prose anywhere.
        #[arg(long)]
        strict: bool,
        /// The threshold of "minimal dependencies".
        #[arg(long, default_value_t = 20)]
        max_dependencies: usize,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        /// The output to check (`-` for standard input).
        file: PathBuf,
    },
    /// Apply diffs to a project, recover interrupted runs, manage backups.
    #[command(subcommand)]
    Patch(PatchCommand),
    /// A unified diff between two files or two directories.
    Diff {
        /// The old file or directory.
        old: PathBuf,
        /// The new file or directory.
        new: PathBuf,
    },
    /// Run the team on a task and write the result: analysis, plan, approval, code, tests,
    /// review, validation, files.
    ///
    /// Offline by default (a scaffold generator, no network, no key); `--provider openai` uses
    /// an OpenAI-compatible server from the environment (see `complete`). Exits 0 when the
    /// result was written, 1 when the run failed, was rejected or ran out of budget, 2 for bad
    /// options.
    Run {
        /// The task: plain text, or the JSON task contract.
        task: String,
        /// Where to write the project.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Patch this existing project instead (a unified diff, applied all-or-nothing with
        /// backups after the change set is approved).
        #[arg(long, conflicts_with = "out")]
        project: Option<PathBuf>,
        /// The stack id (default: inferred from the task).
        #[arg(long)]
        stack: Option<String>,
        /// `offline` (default) or `openai`.
        #[arg(long, default_value = "offline")]
        provider: String,
        /// The model (with `--provider openai`).
        #[arg(long)]
        model: Option<String>,
        /// Approve the plan without asking (asked only when standard input is a terminal).
        #[arg(long)]
        yes: bool,
        /// Record the model calls to this cassette (`--record`) or answer them from it
        /// (`--replay`: strict, a call it lacks is an error).
        #[arg(long, value_name = "FILE")]
        cassette: Option<PathBuf>,
        /// With `--cassette`: record.
        #[arg(long, requires = "cassette", conflicts_with = "replay")]
        record: bool,
        /// With `--cassette`: replay.
        #[arg(long, requires = "cassette")]
        replay: bool,
        /// Journal the run under this directory (task, events, every model answer), so that
        /// `mgx resume` can continue it.
        #[arg(long, value_name = "BASE")]
        run_dir: Option<PathBuf>,
        /// Print the events as JSON lines and the report as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        extras: RunExtras,
    },
    /// Continue a run journaled with `mgx run --run-dir`: after a crash, or after it stopped
    /// waiting for approval. Model calls already answered are not made again.
    Resume {
        /// The run's directory (`<BASE>/<run_id>`, printed by `mgx run --run-dir`).
        run_dir: PathBuf,
        /// `offline` (default) or `openai`.
        #[arg(long, default_value = "offline")]
        provider: String,
        /// The model (with `--provider openai`).
        #[arg(long)]
        model: Option<String>,
        /// Approve without asking.
        #[arg(long)]
        yes: bool,
        /// Print the events as JSON lines and the report as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        extras: RunExtras,
    },
    /// Check an LLM endpoint the way a run will use it: send one prompt and print the answer.
    ///
    /// The server and key come from the options or the environment (`MGX_BASE_URL` or
    /// `OPENAI_BASE_URL`, `MGX_API_KEY` or `OPENAI_API_KEY`, `MGX_MODEL`). Exits 1 with the
    /// server's message when the call fails, 2 for bad options.
    Complete {
        /// The prompt.
        prompt: String,
        /// The server's base URL, up to `/v1`.
        #[arg(long)]
        base_url: Option<String>,
        /// The model.
        #[arg(long)]
        model: Option<String>,
        /// Stream the answer as it arrives.
        #[arg(long)]
        stream: bool,
        /// Seconds to wait for the answer (and, streaming, between chunks).
        #[arg(long, default_value_t = 120)]
        timeout: u64,
        /// Retries after the first attempt (429, 5xx, timeouts, connection errors).
        #[arg(long, default_value_t = 3)]
        max_retries: u32,
        /// The most tokens the answer may have.
        #[arg(long)]
        max_tokens: Option<u32>,
        /// Print content, finish reason, usage and attempts as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Parse a FILE manifest and show its files and prose.
    Manifest {
        /// The manifest (`-` for standard input).
        file: PathBuf,
        /// Print the parsed manifest as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum PatchCommand {
    /// Apply a unified diff under a root.
    ///
    /// Exit codes: 0 everything applied (or was already applied); 1 best effort applied only
    /// part; 2 refused and wrote nothing; 3 unusable input (bad diff, unsafe path, I/O).
    Apply {
        /// The project root.
        #[arg(long)]
        root: PathBuf,
        /// The diff (`-` for standard input).
        #[arg(long)]
        diff: PathBuf,
        /// Compute and report everything; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// `all-or-nothing` (default) or `best-effort`.
        #[arg(long, default_value = "all-or-nothing")]
        mode: String,
        /// Remove the backups after the commit.
        #[arg(long)]
        no_backup: bool,
        /// Skip fsync: still atomic and recoverable if the process dies, but after a power loss
        /// the tree may hold part of the apply.
        #[arg(long)]
        no_fsync: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Bring interrupted applies under a root to all-old or all-new.
    Recover {
        /// The project root.
        #[arg(long)]
        root: PathBuf,
    },
    /// List, restore or prune backups.
    Backups {
        #[command(subcommand)]
        action: BackupAction,
    },
}

#[derive(Debug, Subcommand)]
enum BackupAction {
    /// List backup runs, newest first.
    List {
        /// The project root.
        #[arg(long)]
        root: PathBuf,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Undo a run (or one file of it).
    Restore {
        /// The project root.
        #[arg(long)]
        root: PathBuf,
        /// The run id (see `list`).
        run: String,
        /// Only this file.
        #[arg(long)]
        file: Option<String>,
    },
    /// Keep the newest N runs.
    Prune {
        /// The project root.
        #[arg(long)]
        root: PathBuf,
        /// How many runs to keep.
        #[arg(long, default_value_t = 5)]
        keep: usize,
    },
}

/// The human-readable report of an apply, written at once: the run, each file, and each hunk
/// that did not simply apply at its stated line (where it went, or why not).
fn patch_summary(report: &mgx_core::patch::ApplyReport) -> String {
    use mgx_core::patch::place::HunkStatus;
    use std::fmt::Write as _;
    let mut out = String::new();
    let run = report
        .run
        .as_ref()
        .map(|r| format!(" (run {r})"))
        .unwrap_or_default();
    let _ = writeln!(out, "{:?}{run}", report.status);
    for f in &report.files {
        let message = f
            .message
            .as_ref()
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        let _ = writeln!(out, "  {:?} {} {}{message}", f.status, f.operation, f.path);
        let at_stated = f
            .hunks
            .iter()
            .filter(|h| h.status == HunkStatus::Applied)
            .count();
        if at_stated > 0 && at_stated < f.hunks.len() {
            let _ = writeln!(out, "    {at_stated} hunks applied at their stated lines");
        }
        for h in f.hunks.iter().filter(|h| h.status != HunkStatus::Applied) {
            let _ = write!(out, "    hunk {}: {:?}", h.index + 1, h.status);
            if let Some(line) = h.line {
                let _ = write!(out, " at line {line}");
            }
            if !h.candidates.is_empty() {
                let _ = write!(out, " (candidates {:?})", h.candidates);
            }
            if !h.already_at.is_empty() {
                let _ = write!(out, " (already at {:?})", h.already_at);
            }
            if let Some(n) = &h.nearest {
                let _ = write!(
                    out,
                    " (nearest: line {}, {}/{} lines match)",
                    n.line, n.matching, n.total
                );
            }
            out.push('\n');
        }
        for a in &f.artifacts {
            let _ = writeln!(out, "    review: {a}");
        }
    }
    out
}

fn patch_command(command: PatchCommand) -> Result<ExitCode, String> {
    use mgx_core::patch::{self, ApplyOptions, ApplyStatus, ChangeSet, Mode};
    match command {
        PatchCommand::Apply {
            root,
            diff,
            dry_run,
            mode,
            no_backup,
            no_fsync,
            json,
        } => {
            let mode = match mode.as_str() {
                "all-or-nothing" | "all_or_nothing" => Mode::AllOrNothing,
                "best-effort" | "best_effort" => Mode::BestEffort,
                other => {
                    return Ok(unusable(&format!(
                        "unknown mode `{other}`; use all-or-nothing or best-effort"
                    )));
                }
            };
            let bytes = match read_bytes(&diff) {
                Ok(b) => b,
                Err(e) => return Ok(unusable(&e)),
            };
            let text = String::from_utf8_lossy(&bytes);
            let changes = match ChangeSet::from_diff(&text) {
                Ok(c) => c,
                Err(e) => return Ok(unusable(&e.to_string())),
            };
            let options = ApplyOptions {
                mode,
                dry_run,
                backup: !no_backup,
                fsync: !no_fsync,
            };
            let report = match patch::apply(&root, &changes, &options) {
                Ok(r) => r,
                Err(e) => return Ok(unusable(&e.to_string())),
            };
            if json {
                print_json(&report)?;
            } else {
                print!("{}", patch_summary(&report));
            }
            Ok(ExitCode::from(match report.status {
                ApplyStatus::Applied | ApplyStatus::AlreadyApplied | ApplyStatus::DryRun => 0,
                ApplyStatus::Partial => 1,
                _ => 2,
            }))
        }
        PatchCommand::Recover { root } => {
            let recovered = patch::recover(&root).map_err(|e| e.to_string())?;
            if recovered.is_empty() {
                println!("nothing to recover");
            }
            for r in recovered {
                println!("run {}: {}", r.run, r.outcome);
            }
            Ok(ExitCode::SUCCESS)
        }
        PatchCommand::Backups { action } => match action {
            BackupAction::List { root, json } => {
                let runs = patch::list_backups(&root).map_err(|e| e.to_string())?;
                if json {
                    print_json(&runs)?;
                } else {
                    for r in runs {
                        println!("{}  {} file(s)", r.run, r.files.len());
                        for f in r.files {
                            println!(
                                "    {}{}",
                                f.path,
                                if f.existed {
                                    ""
                                } else {
                                    " (created by the run)"
                                }
                            );
                        }
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
            BackupAction::Restore { root, run, file } => {
                let report = patch::restore_backup(&root, &run, file.as_deref())
                    .map_err(|e| e.to_string())?;
                println!("{:?}", report.status);
                Ok(
                    if report.status == ApplyStatus::Applied
                        || report.status == ApplyStatus::AlreadyApplied
                    {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(1)
                    },
                )
            }
            BackupAction::Prune { root, keep } => {
                let removed = patch::prune_backups(&root, keep).map_err(|e| e.to_string())?;
                println!("removed {} run(s)", removed.len());
                Ok(ExitCode::SUCCESS)
            }
        },
    }
}

/// `mgx patch apply` reports unusable input with exit code 3.
fn unusable(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(3)
}

fn diff_command(old: &PathBuf, new: &PathBuf) -> Result<ExitCode, String> {
    if old.is_dir() && new.is_dir() {
        let (diff, skipped) = mgx_core::patch::diff_trees(old, new).map_err(|e| e.to_string())?;
        print!("{diff}");
        for s in skipped {
            eprintln!("skipped (not text): {s}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let read = |p: &PathBuf| {
        std::fs::read_to_string(p).map_err(|e| format!("cannot read `{}`: {e}", p.display()))
    };
    let (a, b) = (read(old)?, read(new)?);
    let name = new
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    print!("{}", mgx_core::patch::make_diff(&a, &b, &name));
    Ok(ExitCode::SUCCESS)
}

/// Where `mgx run` writes.
enum Target {
    Out(PathBuf),
    Project(PathBuf),
}

/// The options of `mgx run` besides the task and where it writes.
struct RunOptions {
    provider: String,
    model: Option<String>,
    yes: bool,
    cassette: Option<(PathBuf, mgx_core::providers::CassetteMode)>,
    run_dir: Option<PathBuf>,
    json: bool,
    extras: RunExtras,
}

/// What `run` and `resume` do around the run.
#[derive(clap::Args, Debug, Clone, Default)]
struct RunExtras {
    /// Write the run's profile (phase times, model latency, memory) as JSON to this file.
    #[arg(long, value_name = "FILE")]
    profile: Option<PathBuf>,
    /// Format what the run wrote with the stack's formatter, when it is installed (best
    /// effort: the report lists what ran, what changed and what was missing).
    #[arg(long)]
    format: bool,
    /// Seconds a formatter may run before it is stopped.
    #[arg(long, value_name = "SECS", default_value_t = 60.0, requires = "format")]
    format_timeout: f64,
    /// Write the stack's .pre-commit-config.yaml with the result (unless there is one).
    #[arg(long)]
    pre_commit: bool,
    /// Commit the result on a branch of its own (`PREFIX/task-slug/run-N`); a git failure
    /// never loses the result.
    #[arg(long)]
    git: bool,
    /// The branch prefix.
    #[arg(long, value_name = "P", default_value = "mgx", requires = "git")]
    branch_prefix: String,
    /// The commit message; `{task_name}` and `{run_number}` are filled in.
    #[arg(long, value_name = "T", requires = "git")]
    commit_template: Option<String>,
    /// Push the branch to this remote.
    #[arg(long, value_name = "REMOTE", requires = "git")]
    push: Option<String>,
    /// Open a draft pull request on GitHub (token from GITHUB_TOKEN; needs --push).
    #[arg(long, requires = "push")]
    pr: bool,
}

/// A new run, or a journaled one to continue.
enum Job<'a> {
    Run(&'a str),
    Resume(&'a std::path::Path),
}

fn run_command(
    job: Job<'_>,
    target: &Target,
    stack: Option<&str>,
    options: RunOptions,
) -> Result<ExitCode, String> {
    let RunOptions {
        provider,
        model,
        yes,
        cassette,
        run_dir,
        json,
        extras,
    } = options;
    use mgx_core::events::{CallbackSink, EventType};
    use mgx_core::team::{Approval, ApprovalPolicy, RunStatus, Team};
    use std::io::IsTerminal as _;
    use std::sync::Arc;

    let mut builder = match target {
        Target::Out(out) => Team::builder().output_dir(out),
        Target::Project(dir) => Team::builder().project(dir),
    };
    if let Some(id) = stack {
        builder = builder.stack(id);
    }
    if let Some(base_dir) = run_dir {
        builder = builder.run_dir(base_dir);
    }
    if extras.format {
        let timeout = std::time::Duration::try_from_secs_f64(extras.format_timeout)
            .map_err(|_| "--format-timeout must be a number of seconds ≥ 0".to_string())?;
        builder = builder.format(timeout);
    }
    builder = builder.pre_commit_config(extras.pre_commit);
    if extras.git {
        let mut git = mgx_core::git::GitOptions {
            branch_prefix: extras.branch_prefix.clone(),
            push: extras.push.clone(),
            pull_request: extras.pr,
            ..mgx_core::git::GitOptions::default()
        };
        if let Some(t) = &extras.commit_template {
            git.commit_template = t.clone();
        }
        builder = builder.git(git);
    }
    let base: Arc<dyn mgx_core::LlmProvider> = match provider.as_str() {
        "offline" => Arc::new(mgx_core::providers::Offline),
        "openai" => {
            let mut p = mgx_core::providers::OpenAiCompatible::builder();
            if let Some(m) = model {
                p = p.model(m);
            }
            Arc::new(p.build().map_err(|e| e.to_string())?)
        }
        other => return Err(format!("--provider {other:?}: expected offline or openai")),
    };
    builder = match cassette {
        Some((path, mode)) => builder.provider(Arc::new(
            mgx_core::providers::Cassette::open(&path, mode, Some(base))
                .map_err(|e| e.to_string())?,
        )),
        None => builder.provider(base),
    };
    builder = builder.sink(Arc::new(CallbackSink(
        move |e: &mgx_core::events::Event| {
            if json {
                println!("{}", e.to_json());
                return;
            }
            match e.event_type {
                EventType::PlanReady => {
                    eprintln!("plan:");
                    for (i, step) in e.data["plan"]["steps"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .enumerate()
                    {
                        eprintln!("  {}. {}", i + 1, step.as_str().unwrap_or_default());
                    }
                }
                EventType::LlmCall | EventType::ApprovalRequired => {}
                _ => eprintln!("[{}] {}", e.event_type, e.message),
            }
        },
    )));
    if !yes && std::io::stdin().is_terminal() {
        builder = builder.approval(ApprovalPolicy::Callback(Arc::new(|m| {
            if m.kind == "change_set" {
                eprintln!("{}", m.content);
                eprint!(
                    "Apply this change set ({})? [y/N] ",
                    m.data()["hash"].as_str().unwrap_or("")
                );
            } else {
                eprint!("Approve the plan? [y/N] ");
            }
            let mut answer = String::new();
            let _ = std::io::stdin().read_line(&mut answer);
            if matches!(answer.trim(), "y" | "Y" | "yes") {
                Approval::Approve { feedback: None }
            } else {
                Approval::Reject {
                    reason: "rejected at the prompt".into(),
                }
            }
        })));
    }
    let team = builder.build().map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let report = match job {
        Job::Run(task) => runtime.block_on(team.run(task)),
        Job::Resume(dir) => runtime.block_on(team.resume(dir)),
    };
    if let Some(path) = &extras.profile {
        let text = serde_json::to_string_pretty(&report.profile).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n")
            .map_err(|e| format!("--profile {}: {e}", path.display()))?;
    }
    if json {
        print_json(&report)?;
    } else {
        println!(
            "{:?}: {} files in {} (stack {}, {} model calls{})",
            report.status,
            report.files.len(),
            report.output_dir.as_deref().unwrap_or("-"),
            report.stack.as_deref().unwrap_or("-"),
            report.llm_calls,
            if report.providers.iter().any(|p| p.starts_with("offline/")) {
                "; offline: a scaffold of the stack, not a model's answer"
            } else {
                ""
            }
        );
        for f in &report.files {
            println!("  {f}");
        }
        if let Some(dir) = &report.run_dir {
            println!("journal: {dir} (mgx resume {dir})");
        }
        if let Some(git) = &report.git {
            if let (Some(branch), Some(commit)) = (&git.branch, &git.commit) {
                println!("git: {commit} on {branch}");
            }
            if let Some(url) = &git.pull_request_url {
                println!("pull request: {url}");
            }
            if let Some(e) = &git.error {
                eprintln!("git: {e} (the result is written)");
            }
        }
        if let Some(e) = &report.error {
            eprintln!("error: {e}");
        }
    }
    Ok(ExitCode::from(u8::from(
        report.status != RunStatus::Completed,
    )))
}

struct CompleteOptions {
    base_url: Option<String>,
    model: Option<String>,
    stream: bool,
    timeout: std::time::Duration,
    max_retries: u32,
    max_tokens: Option<u32>,
    json: bool,
}

fn complete_command(prompt: &str, o: &CompleteOptions) -> Result<ExitCode, String> {
    use futures::StreamExt;
    use mgx_core::llm::{ChatRequest, ChatResponse, LlmProvider};
    use mgx_core::providers::{OpenAiCompatible, RetryPolicy, Timeouts};
    use std::io::Write as _;

    let mut builder = OpenAiCompatible::builder()
        .retry(RetryPolicy {
            max_attempts: o.max_retries.saturating_add(1),
            deadline: o.timeout.saturating_mul(o.max_retries.saturating_add(1)) * 2,
            ..RetryPolicy::default()
        })
        .timeouts(Timeouts {
            request: o.timeout,
            between_chunks: o.timeout,
            ..Timeouts::default()
        });
    if let Some(url) = &o.base_url {
        builder = builder.base_url(url);
    }
    if let Some(model) = &o.model {
        builder = builder.model(model);
    }
    let provider = builder.build().map_err(|e| e.to_string())?;
    let mut request = ChatRequest::user(prompt);
    request.max_tokens = o.max_tokens;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let result: Result<ChatResponse, mgx_core::Error> = runtime.block_on(async {
        if !o.stream {
            return provider.complete(&request).await;
        }
        let mut pieces = provider.stream(&request).await?;
        let mut answer = ChatResponse::text("");
        answer.finish_reason = None;
        while let Some(piece) = pieces.next().await {
            let piece = piece?;
            if !o.json {
                print!("{}", piece.content);
                let _ = std::io::stdout().flush();
            }
            answer.content.push_str(&piece.content);
            answer.finish_reason = piece.finish_reason.or(answer.finish_reason);
            answer.usage = piece.usage.or(answer.usage);
        }
        if !o.json {
            println!();
        }
        Ok(answer)
    });
    match result {
        Ok(answer) => {
            if o.json {
                print_json(&serde_json::json!({
                    "content": answer.content,
                    "finish_reason": answer.finish_reason,
                    "usage": answer.usage,
                    "model": answer.model,
                    "attempts": answer.attempts,
                }))?;
            } else if !o.stream {
                println!("{}", answer.content);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if o.json {
                print_json(&serde_json::json!({"error": e.to_string(), "code": e.code()}))?;
            }
            eprintln!("error: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    // Commands that never read a stack skip building the registry (parsing every built-in
    // stack): a patch or a diff starts as fast as the tools it stands beside. Extra stack
    // files are still checked, so a bad `--stacks` is an error whatever the command.
    let command = match cli.command {
        Command::Manifest { file, json } if cli.stack_files.is_empty() => {
            return manifest_command(&file, json);
        }
        Command::Patch(command) if cli.stack_files.is_empty() => return patch_command(command),
        Command::Run {
            task,
            out,
            project,
            stack,
            provider,
            model,
            yes,
            cassette,
            record,
            replay,
            run_dir,
            json,
            extras,
        } if cli.stack_files.is_empty() => {
            let target = match project {
                Some(p) => Target::Project(p),
                None => Target::Out(out),
            };
            let cassette = match (cassette, record, replay) {
                (Some(path), true, _) => Some((path, mgx_core::providers::CassetteMode::Record)),
                (Some(path), _, true) => {
                    Some((path, mgx_core::providers::CassetteMode::ReplayStrict))
                }
                (Some(_), false, false) => {
                    return Err("--cassette needs --record or --replay".into());
                }
                (None, ..) => None,
            };
            let options = RunOptions {
                provider,
                model,
                yes,
                cassette,
                run_dir,
                json,
                extras,
            };
            return run_command(Job::Run(&task), &target, stack.as_deref(), options);
        }
        Command::Resume {
            run_dir,
            provider,
            model,
            yes,
            json,
            extras,
        } if cli.stack_files.is_empty() => {
            let options = RunOptions {
                provider,
                model,
                yes,
                cassette: None,
                run_dir: None,
                json,
                extras,
            };
            return run_command(
                Job::Resume(&run_dir),
                &Target::Out(PathBuf::from("out")),
                None,
                options,
            );
        }
        Command::Complete {
            prompt,
            base_url,
            model,
            stream,
            timeout,
            max_retries,
            max_tokens,
            json,
        } if cli.stack_files.is_empty() => {
            let options = CompleteOptions {
                base_url,
                model,
                stream,
                timeout: std::time::Duration::from_secs(timeout.max(1)),
                max_retries,
                max_tokens,
                json,
            };
            return complete_command(&prompt, &options);
        }
        Command::Diff { old, new } if cli.stack_files.is_empty() => {
            return diff_command(&old, &new);
        }
        command => command,
    };
    let registry = load_registry(&cli.stack_files)?;
    match command {
        Command::Stacks { json } => {
            if json {
                let specs: Vec<&StackSpec> = registry.iter().collect();
                print_json(&specs)?;
            } else {
                print_stack_table(&registry);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Stack { id, json } => {
            let spec = registry.get(&id).map_err(|e| e.to_string())?;
            if json {
                print_json(spec)?;
            } else {
                print_stack(spec);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Infer { text, json } => {
            let inference = registry.infer(&text);
            if json {
                print_json(&inference)?;
            } else {
                print_inference(&inference);
            }
            Ok(if inference.stack.is_some() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Task { task, file, json } => {
            let input = match (task, file) {
                (Some(task), _) => task,
                (None, Some(path)) => read_input(&path)?,
                (None, None) => return Err("give a TASK or --file".into()),
            };
            let task = TaskSpec::parse_in(&input, &registry).map_err(|e| e.to_string())?;
            let resolved = task.resolve_stack(&registry).map_err(|e| e.to_string())?;
            if json {
                print_task_json(&task, &resolved)?;
            } else {
                print_task(&task, &resolved);
            }
            Ok(if resolved.spec().is_some() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Validate {
            stack,
            constraints,
            strict,
            max_dependencies,
            json,
            file,
        } => {
            let options = Options {
                strict,
                max_dependencies,
                ..Options::default()
            };
            validate_command(&registry, stack, constraints, options, json, &file)
        }
        Command::Manifest { file, json } => manifest_command(&file, json),
        Command::Patch(command) => patch_command(command),
        Command::Complete { .. } => Err("`complete` takes no --stacks".into()),
        Command::Run { .. } | Command::Resume { .. } => {
            Err("`run` and `resume` take no --stacks yet".into())
        }
        Command::Diff { old, new } => diff_command(&old, &new),
    }
}

fn validate_command(
    registry: &StackRegistry,
    stack: Option<String>,
    constraints: Vec<String>,
    options: Options,
    json: bool,
    file: &PathBuf,
) -> Result<ExitCode, String> {
    let spec = stack
        .map(|id| registry.get(&id).map_err(|e| e.to_string()))
        .transpose()?;
    let bytes = read_bytes(file)?;
    let text =
        mgx_core::guardrails::text(&bytes).map_err(|e| format!("{}: {e}", file.display()))?;
    let result = validate(text, spec, &constraints, &options);
    if json {
        print_json(&result)?;
    } else {
        println!("{}", result.summary());
        for f in result.findings() {
            let severity = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                _ => "note",
            };
            let place = match (&f.path, f.line) {
                (Some(p), Some(l)) => format!(" {p} (line {l})"),
                (Some(p), None) => format!(" {p}"),
                (None, Some(l)) => format!(" line {l}"),
                (None, None) => String::new(),
            };
            println!("{severity}[{}]{place}: {}", f.code, f.message);
        }
    }
    Ok(if result.is_valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn manifest_command(file: &PathBuf, json: bool) -> Result<ExitCode, String> {
    let bytes = read_bytes(file)?;
    let manifest = mgx_core::guardrails::parse_bytes(&bytes)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    if json {
        print_json(&manifest)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} file(s), {} prose span(s)",
        manifest.files.len(),
        manifest.prose.len()
    );
    for f in &manifest.files {
        let fence = match &f.fence {
            Some(info) if info.is_empty() => " (fenced)".to_string(),
            Some(info) => format!(" (fenced, {info})"),
            None => String::new(),
        };
        println!(
            "  line {:>5}  {:>8} bytes  {}{fence}",
            f.line,
            f.content.len(),
            f.path
        );
    }
    for p in &manifest.prose {
        let first = p.first_line(60);
        println!("  prose, lines {}-{}: {first}", p.line, p.end_line);
    }
    for d in &manifest.duplicates {
        println!("  duplicate: {} at lines {:?}", d.path, d.lines);
    }
    Ok(ExitCode::SUCCESS)
}

fn read_bytes(path: &PathBuf) -> Result<Vec<u8>, String> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("standard input: {e}"))?;
        Ok(bytes)
    } else {
        std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))
    }
}

fn load_registry(files: &[PathBuf]) -> Result<StackRegistry, String> {
    if files.is_empty() {
        return Ok(StackRegistry::builtin().clone());
    }
    let mut registry = StackRegistry::with_builtins();
    for file in files {
        registry
            .register_file(file)
            .map_err(|e| format!("{}: {e}", file.display()))?;
    }
    Ok(registry)
}

fn read_input(path: &PathBuf) -> Result<String, String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        if std::io::stdin().is_terminal() {
            eprintln!("reading the task from standard input (end with Ctrl-D)");
        }
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("standard input: {e}"))?;
        Ok(text)
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))
    }
}

fn print_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}

fn print_stack_table(registry: &StackRegistry) {
    println!(
        "{:<18} {:<10} {:<11} {:<14} NAME",
        "ID", "CATEGORY", "LANGUAGE", "TESTS"
    );
    for spec in registry {
        let tests = spec.test.as_ref().map_or("-", |t| t.framework.as_str());
        println!(
            "{:<18} {:<10} {:<11} {:<14} {}",
            spec.id,
            spec.category.as_str(),
            spec.language.name(),
            tests,
            spec.name
        );
    }
}

fn print_stack(spec: &StackSpec) {
    print!("{}", spec.prompt_brief());
    let rules = &spec.rules;
    let lines: [(&str, &[String]); 6] = [
        ("Required files", &rules.required_files),
        ("Required directories", &rules.required_dirs),
        ("Recommended files", &rules.recommended_files),
        ("Forbidden files", &rules.forbidden_files),
        ("Forbidden imports", &rules.forbidden_imports),
        ("Expected commands", &rules.expected_commands),
    ];
    println!("\n### Validation rules");
    for (label, items) in lines {
        if !items.is_empty() {
            println!("- {label}: {}", items.join(", "));
        }
    }
}

fn print_inference(inference: &Inference) {
    match &inference.stack {
        Some(stack) => {
            let sure = if inference.is_confident() {
                ""
            } else {
                " (low confidence)"
            };
            println!("{stack}  confidence {:.2}{sure}", inference.confidence);
        }
        None => println!("no stack"),
    }
    if let Some(note) = &inference.note {
        println!("note: {note}");
    }
    if !inference.unsupported.is_empty() {
        println!("not supported: {}", inference.unsupported.join(", "));
    }
    if !inference.candidates.is_empty() {
        println!("candidates:");
        for c in &inference.candidates {
            let evidence: Vec<String> = c
                .evidence
                .iter()
                .map(|e| format!("{} {:+}", e.phrase, e.weight))
                .collect();
            println!(
                "  {:<18} {:>6.2}  {}",
                c.stack,
                c.score,
                evidence.join(", ")
            );
        }
    }
}

fn print_task(task: &TaskSpec, resolved: &ResolvedStack<'_>) {
    println!("Task: {}", task.task);
    println!("Mode: {}", task.output_mode);
    if let Some(kind) = task.project_type {
        println!("Project type: {kind}");
    }
    if let Some(path) = &task.existing_project_path {
        println!("Project: {}", path.display());
    }
    if !task.constraints.is_empty() {
        println!("Constraints:");
        for c in &task.constraints {
            println!("  - {c}");
        }
    }
    println!(
        "Strict FILE manifest: {}",
        if task.strict_requirements {
            "yes"
        } else {
            "no"
        }
    );
    match resolved {
        ResolvedStack::Explicit(spec) => println!("Stack: {} (named in the task)\n", spec.id),
        ResolvedStack::Inferred { spec, inference } => {
            match spec {
                Some(spec) => println!(
                    "Stack: {} (inferred, confidence {:.2})",
                    spec.id, inference.confidence
                ),
                None => println!("Stack: none inferred"),
            }
            if let Some(note) = &inference.note {
                println!("Note: {note}");
            }
            let others: Vec<&str> = inference
                .candidate_ids()
                .skip(usize::from(spec.is_some()))
                .collect();
            if !others.is_empty() {
                println!("Other candidates: {}", others.join(", "));
            }
            println!();
        }
    }
    if let Some(spec) = resolved.spec() {
        print_stack(spec);
    } else {
        println!("Name a stack with `target_stack` in the JSON task (see `mgx stacks`).");
    }
}

fn print_task_json(task: &TaskSpec, resolved: &ResolvedStack<'_>) -> Result<(), String> {
    #[derive(serde::Serialize)]
    struct Out<'a> {
        task: &'a TaskSpec,
        stack: Option<&'a str>,
        source: &'static str,
        confidence: f64,
        inference: Option<&'a Inference>,
        spec: Option<&'a StackSpec>,
    }
    let (source, inference) = match resolved {
        ResolvedStack::Explicit(_) => ("explicit", None),
        ResolvedStack::Inferred { inference, .. } => ("inferred", Some(inference)),
    };
    let spec = resolved.spec();
    print_json(&Out {
        task,
        stack: spec.map(|s| s.id.as_str()),
        source,
        confidence: resolved.confidence(),
        inference,
        spec,
    })
}
