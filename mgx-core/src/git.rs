//! Git-aware runs: the run's change set committed on a branch of its own
//! (`{prefix}/{task-slug}/run-{n}`), optionally pushed, optionally opened as a draft pull
//! request through the GitHub REST API.
//!
//! A git failure never loses the run's result: the files stay as the run wrote them, and the
//! repository is left clean (on the new branch, after a commit) or exactly as it was (after a
//! failure: the original branch checked out again, the index as before, the new branch
//! deleted, a repository mgx created removed). Files that had uncommitted changes before the
//! run are never committed for the user: the git step refuses instead. The token of the pull
//! request is never logged or put in an error.
//!
//! ```no_run
//! use mgx_core::git::GitOptions;
//! use mgx_core::team::Team;
//!
//! let team = Team::builder()
//!     .project("my-app")
//!     .git(GitOptions { push: Some("origin".into()), pull_request: true, ..GitOptions::default() })
//!     .build();
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::events::{Emitter, EventType};

/// What the git step does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitOptions {
    /// The first part of the branch name (default `mgx`).
    pub branch_prefix: String,
    /// The commit message; `{task_name}` and `{run_number}` are filled in
    /// (default `mgx: {task_name} (run {run_number})`).
    pub commit_template: String,
    /// Push the branch to this remote.
    pub push: Option<String>,
    /// Open a draft pull request of the branch (needs `push`).
    pub pull_request: bool,
    /// `owner/name` of the repository on GitHub (default: read from the remote's URL).
    pub repository: Option<String>,
    /// The GitHub API's base URL (default `MGX_GITHUB_API_URL`, else GitHub's).
    pub github_api: Option<String>,
    /// The token for the pull request (default `GITHUB_TOKEN`, else `GH_TOKEN`).
    pub token: Option<String>,
    /// The longest one git command (a push) may take.
    pub timeout: Duration,
}

impl Default for GitOptions {
    fn default() -> Self {
        GitOptions {
            branch_prefix: "mgx".into(),
            commit_template: "mgx: {task_name} (run {run_number})".into(),
            push: None,
            pull_request: false,
            repository: None,
            github_api: None,
            token: None,
            timeout: Duration::from_secs(120),
        }
    }
}

/// What the git step did.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GitReport {
    /// The run's branch.
    pub branch: Option<String>,
    /// The commit (full hash).
    pub commit: Option<String>,
    /// The remote pushed to, when the push succeeded.
    pub pushed_to: Option<String>,
    /// The draft pull request's URL.
    pub pull_request_url: Option<String>,
    /// What failed, if a step did (the result on disk is kept either way).
    pub error: Option<String>,
}

/// A branch name's part from a task: lowercase ASCII letters, digits and single dashes, at most
/// 50 characters (`task` when nothing is left).
///
/// ```
/// assert_eq!(mgx_core::git::slug("Add a /health endpoint, with tests!"), "add-a-health-endpoint-with-tests");
/// assert_eq!(mgx_core::git::slug("¿Qué?"), "qu");
/// assert!(mgx_core::git::slug(&"word ".repeat(40)).len() <= 50);
/// ```
pub fn slug(task: &str) -> String {
    let mut out = String::new();
    for c in task.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 50 {
            break;
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        "task".into()
    } else {
        out.chars()
            .take(50)
            .collect::<String>()
            .trim_end_matches('-')
            .into()
    }
}

/// Where HEAD was: a branch (born or not), or a detached commit.
#[derive(Debug, Clone)]
enum Head {
    Branch(String),
    Detached(String),
}

/// The repository as it was before the run wrote anything.
#[derive(Debug)]
pub struct GitSession {
    dir: PathBuf,
    /// `None`: `dir` is not in a repository (one is made for the commit).
    head: Option<Head>,
    /// Paths (relative to the repository) with uncommitted changes before the run.
    dirty: BTreeSet<String>,
}

impl GitSession {
    /// Look at the repository holding `dir` (which may not exist yet) before the run writes.
    pub async fn before(dir: &Path) -> GitSession {
        let mut session = GitSession {
            dir: dir.to_path_buf(),
            head: None,
            dirty: BTreeSet::new(),
        };
        // A directory the run has yet to make is in the repository of its nearest ancestor.
        let Some(probe) = dir.ancestors().find(|d| d.is_dir()) else {
            return session;
        };
        if git(probe, &["rev-parse", "--git-dir"], None).await.is_err() {
            return session;
        }
        session.head = Some(head(probe).await);
        if let Ok(status) = git(
            probe,
            &["status", "--porcelain=v1", "-z", "--untracked-files=all"],
            None,
        )
        .await
        {
            session.dirty = parse_status(&status);
        }
        session
    }

    /// Commit `files` (relative to the directory) on a new branch; push and open a pull
    /// request when asked. Every outcome is in the report and in events.
    pub async fn commit(
        self,
        task: &str,
        files: &[String],
        options: &GitOptions,
        events: &Emitter,
    ) -> GitReport {
        let mut report = GitReport::default();
        let fail = |report: &mut GitReport, step: &str, error: String| {
            events.emit(
                EventType::GitOperationFailed,
                format!("git {step} failed: {error}"),
                serde_json::json!({"step": step, "error": error}),
            );
            report.error = Some(format!("{step}: {error}"));
        };
        if files.is_empty() {
            fail(&mut report, "commit", "the run wrote no file".into());
            return report;
        }
        let dir = &self.dir;
        let created = self.head.is_none();
        if created && let Err(e) = git(dir, &["init", "-q"], None).await {
            fail(&mut report, "init", e);
            return report;
        }
        let prefix = git(dir, &["rev-parse", "--show-prefix"], None)
            .await
            .unwrap_or_default()
            .trim()
            .to_string();
        let touched: Vec<String> = files
            .iter()
            .filter(|f| !self.dirty.contains(&format!("{prefix}{f}")))
            .cloned()
            .collect();
        if touched.len() != files.len() {
            let dirty: Vec<&String> = files.iter().filter(|f| !touched.contains(f)).collect();
            fail(
                &mut report,
                "commit",
                format!(
                    "these files had uncommitted changes before the run, so the run's change is not committed for you: {}",
                    dirty
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            return report;
        }
        let original = match &self.head {
            Some(h) => h.clone(),
            None => head(dir).await,
        };
        // mgx's own state (journal, backups) is never part of the commit, nor left untracked.
        exclude_state(dir).await;
        // The branch: the next free run number for this task.
        let base = format!("{}/{}", options.branch_prefix.trim_matches('/'), slug(task));
        let existing = git(dir, &["branch", "-a", "--format=%(refname:short)"], None)
            .await
            .unwrap_or_default();
        let mut n = existing
            .lines()
            .filter_map(|b| {
                b.trim()
                    .strip_prefix(&format!("{base}/run-"))
                    .or_else(|| {
                        b.split_once('/')
                            .and_then(|(_, rest)| rest.strip_prefix(&format!("{base}/run-")))
                    })
                    .and_then(|n| n.parse::<u64>().ok())
            })
            .max()
            .unwrap_or(0)
            + 1;
        let mut branch = format!("{base}/run-{n}");
        let mut created_branch = false;
        for _ in 0..5 {
            match git(dir, &["checkout", "-q", "-b", &branch], None).await {
                Ok(_) => {
                    created_branch = true;
                    break;
                }
                Err(_) => {
                    n += 1;
                    branch = format!("{base}/run-{n}");
                }
            }
        }
        if !created_branch {
            fail(&mut report, "branch", format!("could not create {branch}"));
            self.undo(&original, None, created).await;
            return report;
        }
        events.emit(
            EventType::GitBranchCreated,
            format!("Created branch {branch}"),
            serde_json::json!({"branch": branch}),
        );
        report.branch = Some(branch.clone());
        let message = options
            .commit_template
            .replace("{task_name}", &task_name(task))
            .replace("{run_number}", &n.to_string());
        let mut add: Vec<&str> = vec!["add", "--"];
        add.extend(files.iter().map(String::as_str));
        let committed = match git(dir, &add, None).await {
            Err(e) => Err(e),
            Ok(_) => {
                let identity = git(dir, &["config", "user.email"], None).await.is_ok();
                let mut commit: Vec<&str> = Vec::new();
                if !identity {
                    commit.extend(["-c", "user.name=mgx", "-c", "user.email=mgx@localhost"]);
                }
                commit.extend(["commit", "-q", "-m", &message]);
                git(dir, &commit, None).await
            }
        };
        if let Err(e) = committed {
            fail(&mut report, "commit", e);
            self.undo(&original, Some(&branch), created).await;
            report.branch = None;
            return report;
        }
        let sha = git(dir, &["rev-parse", "HEAD"], None)
            .await
            .unwrap_or_default()
            .trim()
            .to_string();
        events.emit(
            EventType::GitCommitCreated,
            format!("Committed {} files on {branch}", files.len()),
            serde_json::json!({"branch": branch, "commit": sha, "message": message}),
        );
        report.commit = Some(sha);
        let Some(remote) = &options.push else {
            return report;
        };
        match git(
            dir,
            &["push", "-q", "-u", remote, &branch],
            Some(options.timeout),
        )
        .await
        {
            Ok(_) => {
                events.emit(
                    EventType::GitPushSuccess,
                    format!("Pushed {branch} to {remote}"),
                    serde_json::json!({"branch": branch, "remote": remote}),
                );
                report.pushed_to = Some(remote.clone());
            }
            Err(e) => {
                events.emit(
                    EventType::GitPushFailed,
                    format!("Pushing {branch} to {remote} failed: {e}"),
                    serde_json::json!({"branch": branch, "remote": remote, "error": e}),
                );
                report.error = Some(format!("push: {e}"));
                return report;
            }
        }
        if options.pull_request {
            let base_branch = match &original {
                Head::Branch(b) => b.clone(),
                Head::Detached(_) => "main".into(),
            };
            match pull_request(dir, remote, &branch, &base_branch, &message, options).await {
                Ok(url) => {
                    events.emit(
                        EventType::PullRequestOpened,
                        format!("Opened a draft pull request: {url}"),
                        serde_json::json!({"url": url, "branch": branch, "base": base_branch}),
                    );
                    report.pull_request_url = Some(url);
                }
                Err(e) => fail(&mut report, "pull request", e),
            }
        }
        report
    }

    /// Put the repository back as it was: the original HEAD, the index as before, the run's
    /// files as the run wrote them; `branch` deleted; a repository mgx made removed.
    async fn undo(&self, original: &Head, branch: Option<&str>, created: bool) {
        let dir = &self.dir;
        if created {
            let root = git(dir, &["rev-parse", "--show-toplevel"], None).await;
            if let Ok(root) = root {
                let _ = std::fs::remove_dir_all(Path::new(root.trim()).join(".git"));
            }
            return;
        }
        // HEAD moves without touching the working tree; then the index follows HEAD again.
        let _ = match original {
            Head::Branch(b) => {
                git(
                    dir,
                    &["symbolic-ref", "HEAD", &format!("refs/heads/{b}")],
                    None,
                )
                .await
            }
            Head::Detached(sha) => git(dir, &["update-ref", "--no-deref", "HEAD", sha], None).await,
        };
        let _ = git(dir, &["reset", "-q"], None).await;
        if let Some(b) = branch {
            let _ = git(dir, &["branch", "-q", "-D", b], None).await;
        }
    }
}

/// Add `.mgx/` to the repository's local exclude file (`info/exclude`), once.
async fn exclude_state(dir: &Path) {
    let Ok(path) = git(dir, &["rev-parse", "--git-path", "info/exclude"], None).await else {
        return;
    };
    let path = dir.join(path.trim());
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current.lines().any(|l| l.trim() == ".mgx/") {
        return;
    }
    if let Some(parent) = path.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    let separator = if current.is_empty() || current.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    let _ = std::fs::write(
        &path,
        format!("{current}{separator}# mgx's journal and backups\n.mgx/\n"),
    );
}

/// The first line of the task, at most 72 characters.
fn task_name(task: &str) -> String {
    let line = task.trim().lines().next().unwrap_or_default().trim();
    let mut name: String = line.chars().take(72).collect();
    if name.len() < line.len() {
        name.push('…');
    }
    name
}

async fn head(dir: &Path) -> Head {
    match git(dir, &["symbolic-ref", "--quiet", "--short", "HEAD"], None).await {
        Ok(b) => Head::Branch(b.trim().to_string()),
        Err(_) => Head::Detached(
            git(dir, &["rev-parse", "HEAD"], None)
                .await
                .unwrap_or_default()
                .trim()
                .to_string(),
        ),
    }
}

/// Paths in `git status --porcelain=v1 -z` output (rename sources included).
fn parse_status(status: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut entries = status.split('\0').filter(|e| !e.is_empty());
    while let Some(entry) = entries.next() {
        if entry.len() < 4 {
            continue;
        }
        let (code, path) = entry.split_at(3);
        out.insert(path.to_string());
        if (code.starts_with('R') || code.starts_with('C'))
            && let Some(source) = entries.next()
        {
            out.insert(source.to_string());
        }
    }
    out
}

/// `git -C dir args…`, its standard output, or what it said on failure. Never asks for
/// credentials on a terminal.
async fn git(dir: &Path, args: &[&str], timeout: Option<Duration>) -> Result<String, String> {
    let run = tokio::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let out = match tokio::time::timeout(timeout.unwrap_or(Duration::from_secs(60)), run).await {
        Err(_) => return Err(format!("git {} took too long", args.first().unwrap_or(&""))),
        Ok(Err(e)) => return Err(format!("git could not run: {e}")),
        Ok(Ok(out)) => out,
    };
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let said = String::from_utf8_lossy(&out.stderr).trim().to_string();
        Err(if said.is_empty() {
            format!(
                "git {} exited with {}",
                args.first().unwrap_or(&""),
                out.status
            )
        } else {
            said
        })
    }
}

/// `owner/name` from a GitHub remote URL (`git@github.com:o/n.git`, `https://github.com/o/n`).
fn repository_of(url: &str) -> Option<String> {
    let rest = url
        .trim()
        .trim_end_matches('/')
        .trim_end_matches(".git")
        .split_once("github.com")?
        .1
        .trim_start_matches([':', '/']);
    let mut parts = rest.split('/');
    let (owner, name) = (parts.next()?, parts.next()?);
    (!owner.is_empty() && !name.is_empty() && parts.next().is_none())
        .then(|| format!("{owner}/{name}"))
}

/// Open a draft pull request of `branch` into `base`; its web URL.
async fn pull_request(
    dir: &Path,
    remote: &str,
    branch: &str,
    base: &str,
    message: &str,
    options: &GitOptions,
) -> Result<String, String> {
    let repository = match &options.repository {
        Some(r) => r.clone(),
        None => {
            let url = git(dir, &["remote", "get-url", remote], None).await?;
            repository_of(&url).ok_or_else(|| {
                format!("the remote {remote} is not a GitHub repository; name one (owner/name)")
            })?
        }
    };
    let token = options
        .token
        .clone()
        .or_else(|| std::env::var("GITHUB_TOKEN").ok())
        .or_else(|| std::env::var("GH_TOKEN").ok())
        .filter(|t| !t.trim().is_empty())
        .ok_or("no token: set GITHUB_TOKEN")?;
    let api = options
        .github_api
        .clone()
        .or_else(|| std::env::var("MGX_GITHUB_API_URL").ok())
        .unwrap_or_else(|| "https://api.github.com".into());
    let client =
        crate::providers::http_client(Duration::from_secs(10)).map_err(|e| e.to_string())?;
    let title = message.lines().next().unwrap_or(message);
    let answer = client
        .post(format!(
            "{}/repos/{repository}/pulls",
            api.trim_end_matches('/')
        ))
        .bearer_auth(token)
        .header("accept", "application/vnd.github+json")
        .header("user-agent", "mgx")
        .timeout(options.timeout)
        .json(&serde_json::json!({
            "title": title,
            "head": branch,
            "base": base,
            "body": format!("{message}\n\nOpened as a draft by mgx for review."),
            "draft": true,
        }))
        .send()
        .await
        // The error names the URL, never the token (it is only in a header).
        .map_err(|e| format!("the GitHub API could not be reached: {}", e.without_url()))?;
    let status = answer.status();
    let body: serde_json::Value = answer.json().await.unwrap_or_default();
    if !status.is_success() {
        let said = body["message"].as_str().unwrap_or("no message");
        return Err(format!("the GitHub API answered {status}: {said}"));
    }
    body["html_url"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| "the GitHub API did not say the pull request's URL".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes_name_their_repository() {
        assert_eq!(
            repository_of("git@github.com:acme/app.git").as_deref(),
            Some("acme/app")
        );
        assert_eq!(
            repository_of("https://github.com/acme/app").as_deref(),
            Some("acme/app")
        );
        assert_eq!(
            repository_of("ssh://git@github.com/acme/app.git/").as_deref(),
            Some("acme/app")
        );
        assert_eq!(repository_of("/srv/git/app.git"), None);
        assert_eq!(repository_of("https://github.com/acme"), None);
    }

    #[test]
    fn status_lines_give_paths_and_rename_sources() {
        let status = " M app/main.py\0?? new.txt\0R  b.txt\0a.txt\0";
        let paths = parse_status(status);
        assert_eq!(
            paths.into_iter().collect::<Vec<_>>(),
            ["a.txt", "app/main.py", "b.txt", "new.txt"]
        );
    }

    #[test]
    fn task_names_are_one_short_line() {
        assert_eq!(task_name("  Add a route\nwith details"), "Add a route");
        assert!(task_name(&"x".repeat(100)).ends_with('…'));
    }
}
