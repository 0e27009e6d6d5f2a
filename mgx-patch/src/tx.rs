//! Applying change sets: everything computed in memory, then one journaled transaction.
//!
//! 1. Every path is resolved under the root with the shared path policy
//!    ([`mgx_stacks::paths`]) and no existing ancestor may lead outside the root through a
//!    symbolic link.
//! 2. Every operation is computed in memory: hunks placed, creations checked against existing
//!    files, deletions checked against the content a diff expects.
//! 3. In [`Mode::AllOrNothing`] (the default) nothing is written unless every operation is
//!    ready. In [`Mode::BestEffort`] the ready files are written, and each file whose hunks did
//!    not all place gets review artifacts beside it — `<file>.mgx_new` (the hunks that placed),
//!    `<file>.mgx_failed_diff.txt` and `<file>.mgx_apply_log.json` — the original untouched.
//! 4. The transaction writes a journal under `<root>/.mgx/journal/` (`staging`), stages every new
//!    content in a temporary file beside its target (fsync), links (or copies, with fsync) every
//!    original into `<root>/.mgx/backups/<run>/`, marks the journal `prepared`, renames the temporary
//!    files over their targets and removes deleted files, then marks the journal `committed`
//!    and removes it. Each journal update is itself an atomic rename.
//!
//! If the process dies anywhere in between, [`recover`] finds the journal and brings the tree
//! back to all-old: a run whose journal still exists is rolled back from its backups (a run
//! whose journal is gone has committed: all-new). With [`ApplyOptions::fsync`] off, the same
//! holds for a killed process; only a power loss may then lose the run. Backups are named by run id (time, process, sequence) and never
//! collide; they can be listed, restored by file or by run, and pruned.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use mgx_stacks::paths;

use crate::changeset::{ChangeSet, Operation};
use crate::error::{Error, Result};
use crate::place::{HunkReport, place};

/// All-or-nothing, or best effort.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Nothing is written unless every operation is ready (the default).
    #[default]
    AllOrNothing,
    /// Ready files are written; the others get review artifacts beside them.
    BestEffort,
}

/// How to apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApplyOptions {
    /// All-or-nothing (default) or best effort.
    pub mode: Mode,
    /// Compute and report everything; write nothing.
    pub dry_run: bool,
    /// Keep the backups of replaced and deleted files under `.mgx/backups/` (default). Without
    /// it, backups still exist while the transaction runs (recovery needs them) and are removed
    /// after the commit.
    pub backup: bool,
    /// Flush to disk (fsync) before the commit point (default). Without it the apply is still
    /// atomic and recoverable when the process dies, but a power loss may lose it.
    pub fsync: bool,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            mode: Mode::AllOrNothing,
            dry_run: false,
            backup: true,
            fsync: true,
        }
    }
}

/// The outcome of applying a change set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ApplyStatus {
    /// Everything was applied (or was already there).
    Applied,
    /// Everything was already there; nothing was written.
    AlreadyApplied,
    /// Best effort: some files were applied, others got review artifacts.
    Partial,
    /// Nothing was applied: something did not place (all-or-nothing), or nothing placed at all
    /// (best effort, which still writes review artifacts beside the failed files).
    Refused,
    /// A dry run in which everything would apply.
    DryRun,
    /// A dry run in which something would not apply.
    DryRunRefused,
}

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FileStatus {
    /// Written (or would be, in a dry run).
    Applied,
    /// Already as the change set wants it.
    AlreadyApplied,
    /// Could not be applied (see the message and hunks).
    Failed,
    /// Ready, but not written because another file failed (all-or-nothing).
    Skipped,
}

/// What happened to one operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileReport {
    /// The path written (the new path of a rename or copy).
    pub path: String,
    /// The operation (`create`, `write`, `modify`, `delete`, `rename`, `copy`).
    pub operation: String,
    /// The outcome.
    pub status: FileStatus,
    /// Why it failed, or anything else worth saying.
    pub message: Option<String>,
    /// Per-hunk results, for operations with hunks.
    pub hunks: Vec<HunkReport>,
    /// Review artifacts written beside the file (best effort).
    pub artifacts: Vec<String>,
}

/// The result of [`apply`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyReport {
    /// The overall outcome.
    pub status: ApplyStatus,
    /// The run id, when something was written (names the backups).
    pub run: Option<String>,
    /// One report per operation, in order.
    pub files: Vec<FileReport>,
}

/// Apply a change set under `root`. Paths that break the policy and binary patches are errors
/// (nothing is written); hunks that do not place are reported in the result.
pub fn apply(root: &Path, changes: &ChangeSet, options: &ApplyOptions) -> Result<ApplyReport> {
    let root = fs::canonicalize(root).map_err(Error::io(root))?;
    let planned = plan(&root, changes)?;
    let ready = planned
        .iter()
        .all(|p| p.report.status != FileStatus::Failed);
    let nothing_to_write = planned.iter().all(|p| p.writes.is_empty());
    let mut files: Vec<FileReport> = planned.iter().map(|p| p.report.clone()).collect();

    if options.dry_run {
        let status = if ready {
            ApplyStatus::DryRun
        } else {
            ApplyStatus::DryRunRefused
        };
        return Ok(ApplyReport {
            status,
            run: None,
            files,
        });
    }
    if !ready && options.mode == Mode::AllOrNothing {
        for f in files.iter_mut().filter(|f| f.status == FileStatus::Applied) {
            f.status = FileStatus::Skipped;
        }
        return Ok(ApplyReport {
            status: ApplyStatus::Refused,
            run: None,
            files,
        });
    }
    if ready && nothing_to_write {
        return Ok(ApplyReport {
            status: ApplyStatus::AlreadyApplied,
            run: None,
            files,
        });
    }

    let mut writes: Vec<Write> = Vec::new();
    for (p, report) in planned.into_iter().zip(files.iter_mut()) {
        if p.report.status == FileStatus::Failed {
            if let Some(artifacts) = p.artifacts {
                report.artifacts = artifacts.iter().map(|w| w.path.clone()).collect();
                writes.extend(artifacts);
            }
        } else {
            writes.extend(p.writes);
        }
    }
    if writes.is_empty() {
        return Ok(ApplyReport {
            status: ApplyStatus::Refused,
            run: None,
            files,
        });
    }
    let run = commit(&root, &writes, options.backup, options.fsync)?;
    let any_applied = files.iter().any(|f| f.status == FileStatus::Applied);
    let status = match (ready, any_applied) {
        (true, _) => ApplyStatus::Applied,
        (false, true) => ApplyStatus::Partial,
        // Best effort where nothing applied: only review artifacts were written.
        (false, false) => ApplyStatus::Refused,
    };
    Ok(ApplyReport {
        status,
        run: Some(run),
        files,
    })
}

/// One change to the disk: write `content` to `path`, or delete it.
#[derive(Debug, Clone)]
struct Write {
    path: String,
    content: Option<String>,
}

struct Planned {
    report: FileReport,
    writes: Vec<Write>,
    /// Best-effort review artifacts for a failed modification.
    artifacts: Option<Vec<Write>>,
}

/// Resolve `rel` under `root`: the path policy, then no symlink out of the root.
pub fn resolve(root: &Path, rel: &str) -> Result<(String, PathBuf)> {
    let normal = paths::check(rel).map_err(|violation| Error::UnsafePath {
        path: rel.to_string(),
        violation,
    })?;
    let mut current = root.to_path_buf();
    for part in normal.split('/') {
        current.push(part);
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::canonicalize(&current).map_err(|_| Error::SymlinkEscape {
                    path: rel.to_string(),
                })?;
                if !target.starts_with(root) {
                    return Err(Error::SymlinkEscape {
                        path: rel.to_string(),
                    });
                }
            }
            Ok(_) => {}
            // Nothing more exists below a missing component.
            Err(_) => break,
        }
    }
    Ok((normal.clone(), root.join(normal)))
}

fn read_text(path: &Path) -> Result<Option<String>> {
    match fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other("not UTF-8 text"),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Io {
            path: path.to_path_buf(),
            source: e,
        }),
    }
}

fn plan(root: &Path, changes: &ChangeSet) -> Result<Vec<Planned>> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::with_capacity(changes.operations.len());
    for op in &changes.operations {
        let (path, abs) = resolve(root, op.path())?;
        let mut report = FileReport {
            path: path.clone(),
            operation: op.name().to_string(),
            status: FileStatus::Applied,
            message: None,
            hunks: Vec::new(),
            artifacts: Vec::new(),
        };
        let mut writes = Vec::new();
        let mut artifacts = None;
        let fail = |report: &mut FileReport, message: String| {
            report.status = FileStatus::Failed;
            report.message = Some(message);
        };
        if !seen.insert(path.clone()) {
            fail(
                &mut report,
                format!("`{path}` is changed twice in one change set"),
            );
            out.push(Planned {
                report,
                writes,
                artifacts,
            });
            continue;
        }
        let current = read_text(&abs)?;
        match op {
            Operation::Create { content, .. } => match &current {
                Some(existing) if existing == content => report.status = FileStatus::AlreadyApplied,
                Some(_) => fail(
                    &mut report,
                    format!("`{path}` already exists with other content"),
                ),
                None => writes.push(Write {
                    path: path.clone(),
                    content: Some(content.clone()),
                }),
            },
            Operation::Write { content, .. } => {
                if current.as_deref() == Some(content.as_str()) {
                    report.status = FileStatus::AlreadyApplied;
                } else {
                    writes.push(Write {
                        path: path.clone(),
                        content: Some(content.clone()),
                    });
                }
            }
            Operation::Delete { expected, .. } => match &current {
                None => report.status = FileStatus::AlreadyApplied,
                Some(existing) if expected.as_ref().is_some_and(|e| !same_text(e, existing)) => {
                    fail(
                        &mut report,
                        format!(
                            "`{path}` differs from what the diff deletes; refusing to delete it"
                        ),
                    )
                }
                Some(_) => writes.push(Write {
                    path: path.clone(),
                    content: None,
                }),
            },
            Operation::Modify { hunks, diff, .. } => match &current {
                // `diff -N` writes a new file as additions to an empty one, not as /dev/null.
                None if !hunks.is_empty() && hunks.iter().all(|h| h.old_count() == 0) => {
                    let placement = place("", hunks);
                    report.hunks = placement.hunks.clone();
                    match placement.content {
                        Some(content) => writes.push(Write {
                            path: path.clone(),
                            content: Some(content),
                        }),
                        None => fail(&mut report, format!("`{path}` does not exist")),
                    }
                }
                None => fail(&mut report, format!("`{path}` does not exist")),
                Some(original) => {
                    let placement = place(original, hunks);
                    report.hunks = placement.hunks.clone();
                    match placement.content {
                        Some(new) if new == *original => report.status = FileStatus::AlreadyApplied,
                        Some(new) => writes.push(Write {
                            path: path.clone(),
                            content: Some(new),
                        }),
                        None => {
                            let failed =
                                placement.hunks.iter().filter(|h| !h.status.is_ok()).count();
                            fail(
                                &mut report,
                                format!("{failed} of {} hunks did not place", hunks.len()),
                            );
                            artifacts = Some(review_artifacts(
                                &path,
                                placement.partial.unwrap_or_default(),
                                diff,
                                &report,
                            ));
                        }
                    }
                }
            },
            Operation::Rename {
                from, hunks, diff, ..
            }
            | Operation::Copy {
                from, hunks, diff, ..
            } => {
                let is_rename = matches!(op, Operation::Rename { .. });
                let (from_norm, from_abs) = resolve(root, from)?;
                let source = read_text(&from_abs)?;
                match (source, &current) {
                    (None, Some(_)) if is_rename => report.status = FileStatus::AlreadyApplied,
                    (None, _) => fail(&mut report, format!("`{from_norm}` does not exist")),
                    (Some(_), Some(_)) => fail(&mut report, format!("`{path}` already exists")),
                    (Some(source), None) => {
                        let placement = place(&source, hunks);
                        report.hunks = placement.hunks.clone();
                        match placement.content {
                            Some(new) => {
                                writes.push(Write {
                                    path: path.clone(),
                                    content: Some(new),
                                });
                                if is_rename {
                                    if !seen.insert(from_norm.clone()) {
                                        fail(
                                            &mut report,
                                            format!(
                                                "`{from_norm}` is changed twice in one change set"
                                            ),
                                        );
                                    }
                                    writes.push(Write {
                                        path: from_norm,
                                        content: None,
                                    });
                                }
                            }
                            None => {
                                let failed =
                                    placement.hunks.iter().filter(|h| !h.status.is_ok()).count();
                                fail(
                                    &mut report,
                                    format!("{failed} of {} hunks did not place", hunks.len()),
                                );
                                artifacts = Some(review_artifacts(
                                    &path,
                                    placement.partial.unwrap_or_default(),
                                    diff,
                                    &report,
                                ));
                            }
                        }
                    }
                }
            }
        }
        if report.status == FileStatus::Failed {
            writes.clear();
        }
        out.push(Planned {
            report,
            writes,
            artifacts,
        });
    }
    Ok(out)
}

/// Text equality that ignores a CR before each newline and a missing final newline.
fn same_text(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.replace("\r\n", "\n").trim_end_matches('\n').to_string();
    norm(a) == norm(b)
}

fn review_artifacts(path: &str, partial: String, diff: &str, report: &FileReport) -> Vec<Write> {
    let log = serde_json::json!({
        "path": path,
        "message": report.message,
        "hunks": report.hunks,
    });
    vec![
        Write {
            path: format!("{path}.mgx_new"),
            content: Some(partial),
        },
        Write {
            path: format!("{path}.mgx_failed_diff.txt"),
            content: Some(diff.to_string()),
        },
        Write {
            path: format!("{path}.mgx_apply_log.json"),
            content: Some(serde_json::to_string_pretty(&log).unwrap_or_default() + "\n"),
        },
    ]
}

// ---------------------------------------------------------------------------------------------
// The transaction

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum State {
    Staging,
    Prepared,
    Committed,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    /// The target, relative to the root.
    path: String,
    /// The staged new content (relative), or `None` for a deletion.
    temp: Option<String>,
    /// Whether the target existed before (its backup is under the run's backup directory).
    existed: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Journal {
    version: u32,
    run: String,
    state: State,
    /// Whether backups are kept after the commit.
    keep_backups: bool,
    entries: Vec<Entry>,
    /// Directories the run created, parents first.
    created_dirs: Vec<String>,
}

const MGX_DIR: &str = ".mgx";

fn journal_dir(root: &Path) -> PathBuf {
    root.join(MGX_DIR).join("journal")
}

fn backup_dir(root: &Path, run: &str) -> PathBuf {
    root.join(MGX_DIR).join("backups").join(run)
}

fn new_run_id() -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "{}-{:09}-{}-{}",
        now.as_secs(),
        now.subsec_nanos(),
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

fn sync_dir(dir: &Path) {
    // Directory fsync makes renames durable on Unix; elsewhere it is not available.
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Write `bytes` to `path` through a temporary file and a rename (with fsync when asked).
fn atomic_write(path: &Path, bytes: &[u8], fsync: bool) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temp = dir.join(format!(".{name}.mgx-write-{}", new_run_id()));
    write_file(&temp, bytes, fsync)?;
    fs::rename(&temp, path).map_err(Error::io(path))?;
    if fsync {
        sync_dir(dir);
    }
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8], fsync: bool) -> Result<()> {
    let mut f = fs::File::create(path).map_err(Error::io(path))?;
    f.write_all(bytes).map_err(Error::io(path))?;
    if fsync {
        f.sync_all().map_err(Error::io(path))?;
    }
    Ok(())
}

fn save_journal(root: &Path, journal: &Journal, fsync: bool) -> Result<()> {
    let dir = journal_dir(root);
    fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
    let bytes = serde_json::to_vec_pretty(journal).map_err(|e| Error::Journal {
        path: dir.clone(),
        message: e.to_string(),
    })?;
    atomic_write(&dir.join(format!("{}.json", journal.run)), &bytes, fsync)
}

/// Crash points for the crash test: `MGX_PATCH_CRASH_AT=<n>` aborts the process at the n-th
/// durable step of a commit. Compiled into test builds only.
#[cfg(any(test, feature = "crash-points"))]
fn crash_point(step: &AtomicU64) {
    let n = step.fetch_add(1, Ordering::SeqCst);
    if std::env::var("MGX_PATCH_CRASH_AT")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        == Some(n)
    {
        std::process::abort();
    }
}

#[cfg(not(any(test, feature = "crash-points")))]
fn crash_point(_step: &AtomicU64) {}

fn commit(root: &Path, writes: &[Write], keep_backups: bool, fsync: bool) -> Result<String> {
    let run = new_run_id();
    let step = AtomicU64::new(0);
    let mut journal = Journal {
        version: 1,
        run: run.clone(),
        state: State::Staging,
        keep_backups,
        entries: Vec::new(),
        created_dirs: Vec::new(),
    };
    for w in writes {
        let target = root.join(&w.path);
        let temp = w.content.as_ref().map(|_| temp_name(&w.path, &run));
        journal.entries.push(Entry {
            path: w.path.clone(),
            temp,
            existed: target.exists(),
        });
    }
    // Directories to create, parents first, recorded before they exist.
    for w in writes.iter().filter(|w| w.content.is_some()) {
        let mut dirs = Vec::new();
        let mut dir = Path::new(&w.path).parent();
        while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
            if !root.join(d).exists() {
                dirs.push(d.to_string_lossy().into_owned());
            }
            dir = d.parent();
        }
        for d in dirs.into_iter().rev() {
            if !journal.created_dirs.contains(&d) {
                journal.created_dirs.push(d);
            }
        }
    }
    // The staging journal needs no fsync: a killed process keeps the page cache, and after a
    // power loss a run that never got to `prepared` has changed no file (only temporary ones).
    save_journal(root, &journal, false)?;
    crash_point(&step);
    let result = stage_and_commit(root, writes, &mut journal, &step, fsync);
    if let Err(e) = result {
        // Roll back what was done; the journal says how.
        let _ = recover_run(root, &journal_dir(root).join(format!("{run}.json")));
        return Err(e);
    }
    Ok(run)
}

fn temp_name(path: &str, run: &str) -> String {
    let (dir, name) = match path.rsplit_once('/') {
        Some((d, n)) => (format!("{d}/"), n),
        None => (String::new(), path),
    };
    format!("{dir}.{name}.mgx-tmp-{run}")
}

fn stage_and_commit(
    root: &Path,
    writes: &[Write],
    journal: &mut Journal,
    step: &AtomicU64,
    fsync: bool,
) -> Result<()> {
    for d in &journal.created_dirs {
        let dir = root.join(d);
        fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
    }
    for (w, entry) in writes.iter().zip(&journal.entries) {
        if let (Some(content), Some(temp)) = (&w.content, &entry.temp) {
            write_file(&root.join(temp), content.as_bytes(), fsync)?;
            crash_point(step);
        }
    }
    let backups = backup_dir(root, &journal.run).join("files");
    for entry in journal.entries.iter().filter(|e| e.existed) {
        let to = backups.join(&entry.path);
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(Error::io(parent))?;
        }
        let from = root.join(&entry.path);
        // A hard link keeps the original's inode alive after the rename replaces its name: no
        // copy and no data fsync. Where links are not possible, copy with fsync.
        if fs::hard_link(&from, &to).is_err() {
            let bytes = fs::read(&from).map_err(Error::io(&from))?;
            write_file(&to, &bytes, fsync)?;
        }
        crash_point(step);
    }
    let meta = BackupRun {
        run: journal.run.clone(),
        created: now_secs(),
        files: journal
            .entries
            .iter()
            .map(|e| BackupFile {
                path: e.path.clone(),
                existed: e.existed,
            })
            .collect(),
    };
    let meta_path = backup_dir(root, &journal.run).join("run.json");
    fs::create_dir_all(backup_dir(root, &journal.run))
        .map_err(Error::io(backup_dir(root, &journal.run)))?;
    // Listing metadata only: recovery works from the journal.
    write_file(
        &meta_path,
        &serde_json::to_vec_pretty(&meta).unwrap_or_default(),
        false,
    )?;
    journal.state = State::Prepared;
    save_journal(root, journal, fsync)?;
    crash_point(step);
    for entry in &journal.entries {
        let target = root.join(&entry.path);
        match &entry.temp {
            Some(temp) => fs::rename(root.join(temp), &target).map_err(Error::io(&target))?,
            None => match fs::remove_file(&target) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(Error::Io {
                        path: target,
                        source: e,
                    });
                }
            },
        }
        crash_point(step);
    }
    let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
    for entry in &journal.entries {
        dirs.insert(
            root.join(&entry.path)
                .parent()
                .unwrap_or(root)
                .to_path_buf(),
        );
    }
    if fsync {
        for d in dirs {
            sync_dir(&d);
        }
    }
    // Removing the journal is the commit: a crash before it rolls back to all-old.
    finish(root, journal, fsync)
}

/// After a commit: remove the journal, then drop the backups if they are not kept.
fn finish(root: &Path, journal: &Journal, fsync: bool) -> Result<()> {
    let path = journal_dir(root).join(format!("{}.json", journal.run));
    fs::remove_file(&path).map_err(Error::io(&path))?;
    if fsync {
        sync_dir(&journal_dir(root));
    }
    if !journal.keep_backups {
        let dir = backup_dir(root, &journal.run);
        let _ = fs::remove_dir_all(&dir);
    }
    Ok(())
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// What [`recover`] did with one interrupted run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recovered {
    /// The run id.
    pub run: String,
    /// `rolled_back` (the tree is as before the run) or `completed` (as after it).
    pub outcome: String,
}

/// Bring every interrupted run under `root` to all-old or all-new: runs that had not committed
/// are rolled back from their backups; committed runs are finished. Idempotent.
pub fn recover(root: &Path) -> Result<Vec<Recovered>> {
    let root = fs::canonicalize(root).map_err(Error::io(root))?;
    let dir = journal_dir(&root);
    let mut journals: Vec<PathBuf> = match fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(Error::Io {
                path: dir,
                source: e,
            });
        }
    };
    journals.sort();
    let mut out = Vec::new();
    for path in journals {
        out.push(recover_run(&root, &path)?);
    }
    // Temporary files of journal updates that died before their rename.
    if let Ok(entries) = fs::read_dir(&dir) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().contains(".mgx-write-") {
                let _ = fs::remove_file(e.path());
            }
        }
    }
    Ok(out)
}

fn recover_run(root: &Path, path: &Path) -> Result<Recovered> {
    let bytes = fs::read(path).map_err(Error::io(path))?;
    let journal: Journal = serde_json::from_slice(&bytes).map_err(|e| Error::Journal {
        path: path.to_path_buf(),
        message: format!("{e}; the tree may be mixed: restore from `.mgx/backups/`"),
    })?;
    if journal.state == State::Committed {
        finish(root, &journal, true)?;
        return Ok(Recovered {
            run: journal.run,
            outcome: "completed".into(),
        });
    }
    let backups = backup_dir(root, &journal.run).join("files");
    for entry in &journal.entries {
        let target = root.join(&entry.path);
        if journal.state == State::Prepared {
            if entry.existed {
                let bytes = fs::read(backups.join(&entry.path))
                    .map_err(Error::io(backups.join(&entry.path)))?;
                if let Some(parent) = target.parent() {
                    fs::create_dir_all(parent).map_err(Error::io(parent))?;
                }
                atomic_write(&target, &bytes, true)?;
            } else {
                match fs::remove_file(&target) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(Error::Io {
                            path: target,
                            source: e,
                        });
                    }
                }
            }
        }
        if let Some(temp) = &entry.temp {
            let _ = fs::remove_file(root.join(temp));
        }
    }
    for d in journal.created_dirs.iter().rev() {
        // Only directories the run created and that are empty again.
        let _ = fs::remove_dir(root.join(d));
    }
    let _ = fs::remove_dir_all(backup_dir(root, &journal.run));
    fs::remove_file(path).map_err(Error::io(path))?;
    sync_dir(&journal_dir(root));
    Ok(Recovered {
        run: journal.run,
        outcome: "rolled_back".into(),
    })
}

// ---------------------------------------------------------------------------------------------
// Backups

/// One file of a backup run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupFile {
    /// The file, relative to the root.
    pub path: String,
    /// Whether it existed before the run (its old content is in the backup); `false` for files
    /// the run created.
    pub existed: bool,
}

/// The backup of one applied run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRun {
    /// The run id.
    pub run: String,
    /// When it was taken (Unix seconds).
    pub created: u64,
    /// The files the run changed.
    pub files: Vec<BackupFile>,
}

/// Every backup run under `root`, newest first.
pub fn list_backups(root: &Path) -> Result<Vec<BackupRun>> {
    let dir = root.join(MGX_DIR).join("backups");
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(Error::Io {
                path: dir,
                source: e,
            });
        }
    };
    let mut runs = Vec::new();
    for e in entries.flatten() {
        let meta = e.path().join("run.json");
        if let Ok(bytes) = fs::read(&meta)
            && let Ok(run) = serde_json::from_slice::<BackupRun>(&bytes)
        {
            runs.push(run);
        }
    }
    runs.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.run.cmp(&a.run)));
    Ok(runs)
}

/// Undo a run from its backup — every file, or only `path` — as a new transaction: files that
/// existed get their old content back, files the run created are deleted.
pub fn restore_backup(root: &Path, run: &str, path: Option<&str>) -> Result<ApplyReport> {
    let runs = list_backups(root)?;
    let Some(backup) = runs.into_iter().find(|r| r.run == run) else {
        return Err(Error::NoSuchBackup {
            root: root.to_path_buf(),
            run: run.to_string(),
        });
    };
    let wanted = path.map(paths::normalize);
    let files_dir = backup_dir(root, run).join("files");
    let mut changes = ChangeSet::default();
    for f in backup
        .files
        .iter()
        .filter(|f| wanted.as_deref().is_none_or(|w| w == f.path))
    {
        if f.existed {
            let content = read_text(&files_dir.join(&f.path))?.unwrap_or_default();
            changes.operations.push(Operation::Write {
                path: f.path.clone(),
                content,
            });
        } else {
            changes.operations.push(Operation::Delete {
                path: f.path.clone(),
                expected: None,
            });
        }
    }
    if changes.operations.is_empty() {
        return Err(Error::NoSuchBackup {
            root: root.to_path_buf(),
            run: format!("{run} ({})", path.unwrap_or("")),
        });
    }
    apply(root, &changes, &ApplyOptions::default())
}

/// Keep the newest `keep` backup runs and remove the rest; returns the removed run ids.
pub fn prune_backups(root: &Path, keep: usize) -> Result<Vec<String>> {
    let runs = list_backups(root)?;
    let mut removed = Vec::new();
    for run in runs.into_iter().skip(keep) {
        let dir = backup_dir(root, &run.run);
        fs::remove_dir_all(&dir).map_err(Error::io(&dir))?;
        removed.push(run.run);
    }
    Ok(removed)
}
