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
//! 4. The transaction writes its journal once under `<root>/.mgx/journal/`, stages every new
//!    content in a temporary file beside its target, hard-links (or copies) every original into
//!    `<root>/.mgx/backups/` as `<run>.<n>`, renames the temporary files over their targets and
//!    removes deleted files. The commit point is the journal leaving the journal directory: it
//!    becomes the backup's record `<run>.json` (or is removed, with the backups, when they are
//!    not kept).
//!
//! If the process dies anywhere before the commit point, [`recover`] finds the journal and
//! brings the tree back to all-old, reading from the file system which step each file reached
//! (a temporary file still present was never renamed; every backup exists before the first
//! rename). A run whose journal is gone has committed: all-new.
//!
//! With [`ApplyOptions::fsync`] on (the default) the journal, the staged files and the backups
//! reach the disk before the first rename, and the renamed-into directories before the commit
//! point, so the same holds after a power loss. With it off, the guarantee covers a killed
//! process only: after a power loss the tree may hold part of the run.
//!
//! Cost: a run creates one journal and one temporary file per written file, and no directory
//! (after the first run in a project, which creates `.mgx/journal/` and `.mgx/backups/`);
//! backups are links. Backups are named by run id (time, process, sequence) and never collide;
//! they can be listed, restored by file or by run, and pruned.

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
use crate::place::{HunkReport, Placement, place};

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
    /// atomic and recoverable when the process dies, but after a power loss the tree may hold
    /// part of the run.
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
                            artifacts = Some(unplaced(&mut report, &path, placement, diff));
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
                                artifacts = Some(unplaced(&mut report, &path, placement, diff));
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

/// A file whose hunks did not all place: mark its report failed and return its review
/// artifacts (the original stays untouched).
fn unplaced(report: &mut FileReport, path: &str, placement: Placement, diff: &str) -> Vec<Write> {
    let failed = placement.hunks.iter().filter(|h| !h.status.is_ok()).count();
    report.status = FileStatus::Failed;
    report.message = Some(format!(
        "{failed} of {} hunks did not place",
        placement.hunks.len()
    ));
    review_artifacts(path, placement.partial.unwrap_or_default(), diff, report)
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

/// One target of a run, as the journal records it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    /// The target, relative to the root.
    path: String,
    /// The staged new content (relative), or `None` for a deletion.
    temp: Option<String>,
    /// Whether the target existed before (its backup is `<backup dir>/<index>`).
    existed: bool,
}

/// The journal of a run. Written once, before anything else, and never updated: what happened
/// to each entry is read back from the file system (is its temporary file still there? is its
/// backup?). When backups are kept, the journal becomes the backup's `run.json` at the commit,
/// so its fields are a superset of [`BackupRun`]'s.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Journal {
    version: u32,
    run: String,
    /// When the run started (Unix seconds).
    created: u64,
    /// Whether backups are kept after the commit.
    keep_backups: bool,
    files: Vec<Entry>,
    /// Directories the run created, parents first.
    created_dirs: Vec<String>,
}

const JOURNAL_VERSION: u32 = 2;

const MGX_DIR: &str = ".mgx";

fn journal_dir(root: &Path) -> PathBuf {
    root.join(MGX_DIR).join("journal")
}

fn journal_path(root: &Path, run: &str) -> PathBuf {
    journal_dir(root).join(format!("{run}.json"))
}

fn backups_dir(root: &Path) -> PathBuf {
    root.join(MGX_DIR).join("backups")
}

/// Where the backup of the `index`-th file of a run lives. Backups are flat — `<run>.<index>`
/// beside the run's record `<run>.json`, which maps indices to paths — so a run creates no
/// directory: on ext4 a new directory costs several times a new file.
fn backup_file(root: &Path, run: &str, index: usize) -> PathBuf {
    backups_dir(root).join(format!("{run}.{index}"))
}

/// The record of a kept backup run (the run's journal, renamed at the commit).
fn backup_record(root: &Path, run: &str) -> PathBuf {
    backups_dir(root).join(format!("{run}.json"))
}

/// Remove a run's backup files (not its record), given which of its files existed.
fn remove_backup_files(root: &Path, run: &str, existed: impl Iterator<Item = bool>) {
    for (index, _) in existed.enumerate().filter(|&(_, existed)| existed) {
        let _ = fs::remove_file(backup_file(root, run, index));
    }
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

/// Flush files and directories to disk, all at once. Flushes issued together join the same
/// commit of the file system's journal (ext4, xfs, btrfs), so a run with many files waits for
/// about one disk commit instead of one per file. A file that cannot be flushed is an error; a
/// directory flush is best effort (see [`sync_dir`]).
fn sync_together(files: &[PathBuf], dirs: &[PathBuf]) -> Result<()> {
    let flush = |item: &(&Path, bool)| -> Result<()> {
        match item {
            (file, false) => fs::OpenOptions::new()
                .write(true)
                .open(file)
                .and_then(|f| f.sync_all())
                .map_err(Error::io(file)),
            (dir, true) => {
                sync_dir(dir);
                Ok(())
            }
        }
    };
    let items: Vec<(&Path, bool)> = files
        .iter()
        .map(|f| (f.as_path(), false))
        .chain(dirs.iter().map(|d| (d.as_path(), true)))
        .collect();
    if items.len() <= 1 {
        return items.iter().try_for_each(flush);
    }
    let per_thread = items.len().div_ceil(items.len().min(MAX_SYNC_THREADS));
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(per_thread)
            .map(|chunk| scope.spawn(move || chunk.iter().try_for_each(flush)))
            .collect();
        workers.into_iter().try_for_each(|worker| {
            worker.join().unwrap_or_else(|_| {
                Err(Error::Io {
                    path: PathBuf::new(),
                    source: std::io::Error::other("a flush thread panicked"),
                })
            })
        })
    })
}

/// At most this many threads flush at once.
const MAX_SYNC_THREADS: usize = 16;

/// Create (or truncate) `path` with `bytes`; flushing is [`sync_together`]'s business.
fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = fs::File::create(path).map_err(Error::io(path))?;
    f.write_all(bytes).map_err(Error::io(path))
}

fn remove_if_present(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::Io {
            path: path.to_path_buf(),
            source: e,
        }),
    }
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
        version: JOURNAL_VERSION,
        run: run.clone(),
        created: now_secs(),
        keep_backups,
        files: Vec::new(),
        created_dirs: Vec::new(),
    };
    for w in writes {
        let target = root.join(&w.path);
        let temp = w.content.as_ref().map(|_| temp_name(&w.path, &run));
        journal.files.push(Entry {
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
    // The journal is written once, in place: until it is complete nothing else has been
    // touched, so a torn journal can only describe a run that changed nothing (see `recover`).
    let dir = journal_dir(root);
    fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
    let bytes = serde_json::to_vec_pretty(&journal).map_err(|e| Error::Journal {
        path: dir.clone(),
        message: e.to_string(),
    })?;
    let path = journal_path(root, &run);
    let written = write_file(&path, &bytes).and_then(|()| {
        if fsync {
            sync_together(std::slice::from_ref(&path), std::slice::from_ref(&dir))
        } else {
            Ok(())
        }
    });
    if let Err(e) = written {
        // Nothing else was touched: a journal that could not be written is dropped.
        let _ = fs::remove_file(&path);
        return Err(e);
    }
    crash_point(&step);
    if let Err(e) = stage_and_commit(root, writes, &journal, &step, fsync) {
        // Roll back what was done; the journal and the file system say how. If that fails
        // too, the journal stays for `recover`.
        if recover_run(root, &journal).is_ok() {
            let _ = fs::remove_file(&path);
        }
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

/// Stage every new content beside its target, back up every original, then rename. The order
/// is what recovery relies on: all temporary files exist before the first backup, and all
/// backups exist before the first rename.
fn stage_and_commit(
    root: &Path,
    writes: &[Write],
    journal: &Journal,
    step: &AtomicU64,
    fsync: bool,
) -> Result<()> {
    for d in &journal.created_dirs {
        let dir = root.join(d);
        fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
    }
    // Written without a flush each: with fsync on, they are flushed together below.
    let mut to_flush: Vec<PathBuf> = Vec::new();
    for (w, entry) in writes.iter().zip(&journal.files) {
        if let (Some(content), Some(temp)) = (&w.content, &entry.temp) {
            let temp = root.join(temp);
            write_file(&temp, content.as_bytes())?;
            to_flush.push(temp);
            crash_point(step);
        }
    }
    let backups = backups_dir(root);
    fs::create_dir_all(&backups).map_err(Error::io(&backups))?;
    for (index, entry) in journal.files.iter().enumerate().filter(|(_, e)| e.existed) {
        let to = backup_file(root, &journal.run, index);
        let from = root.join(&entry.path);
        // A hard link keeps the original's inode alive after the rename replaces its name: no
        // copy and no data flush. Where links are not possible, copy (and flush the copy).
        if fs::hard_link(&from, &to).is_err() {
            let bytes = fs::read(&from).map_err(Error::io(&from))?;
            write_file(&to, &bytes)?;
            to_flush.push(to);
        }
        crash_point(step);
    }
    if fsync {
        // Staged files, copied backups and the links (durable with their directory), at once.
        sync_together(&to_flush, std::slice::from_ref(&backups))?;
    }
    crash_point(step);
    for entry in &journal.files {
        let target = root.join(&entry.path);
        match &entry.temp {
            Some(temp) => fs::rename(root.join(temp), &target).map_err(Error::io(&target))?,
            None => remove_if_present(&target)?,
        }
        crash_point(step);
    }
    if fsync {
        // Every directory a name was renamed into, removed from or created in.
        let dirs: BTreeSet<&Path> = journal
            .files
            .iter()
            .map(|e| e.path.as_str())
            .chain(journal.created_dirs.iter().map(String::as_str))
            .map(|p| Path::new(p).parent().unwrap_or(Path::new("")))
            .collect();
        let dirs: Vec<PathBuf> = dirs.into_iter().map(|d| root.join(d)).collect();
        sync_together(&[], &dirs)?;
    }
    finish(root, journal, fsync)
}

/// The commit point: the journal leaves the journal directory — renamed to the backup's
/// `run.json` when backups are kept, removed otherwise (and the backups with it).
fn finish(root: &Path, journal: &Journal, fsync: bool) -> Result<()> {
    let path = journal_path(root, &journal.run);
    if journal.keep_backups {
        let to = backup_record(root, &journal.run);
        fs::rename(&path, &to).map_err(Error::io(&path))?;
    } else {
        fs::remove_file(&path).map_err(Error::io(&path))?;
    }
    if fsync {
        sync_dir(&journal_dir(root));
    }
    if !journal.keep_backups {
        remove_backup_files(root, &journal.run, journal.files.iter().map(|e| e.existed));
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
    /// `rolled_back`: the tree is as before the run.
    pub outcome: String,
}

/// Bring every interrupted run under `root` back to all-old: a run whose journal is still in
/// `.mgx/journal/` had not committed and is rolled back from its backups. Idempotent.
pub fn recover(root: &Path) -> Result<Vec<Recovered>> {
    let root = fs::canonicalize(root).map_err(Error::io(root))?;
    let dir = journal_dir(&root);
    let mut journals: Vec<PathBuf> = match fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
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
        let bytes = fs::read(&path).map_err(Error::io(&path))?;
        let run = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        match serde_json::from_slice::<Journal>(&bytes) {
            Ok(journal) if journal.version == JOURNAL_VERSION => recover_run(&root, &journal)?,
            Ok(journal) => {
                return Err(Error::Journal {
                    path,
                    message: format!(
                        "journal version {} is not {JOURNAL_VERSION}: recover it with the mgx \
                         version that wrote it",
                        journal.version
                    ),
                });
            }
            // Written before anything else and in one piece otherwise: an unreadable journal
            // belongs to a run that died while writing it, before it touched any file.
            Err(_) => {}
        }
        fs::remove_file(&path).map_err(Error::io(&path))?;
        out.push(Recovered {
            run,
            outcome: "rolled_back".into(),
        });
    }
    if !out.is_empty() {
        sync_dir(&dir);
    }
    remove_orphan_backups(&root);
    Ok(out)
}

/// A run without kept backups removes its journal (the commit) before its backup files; one
/// that died in between leaves `<run>.<n>` files with neither a record nor a journal. They
/// hold nothing anyone can restore: remove them.
fn remove_orphan_backups(root: &Path) {
    let Ok(entries) = fs::read_dir(backups_dir(root)) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some((run, index)) = name.rsplit_once('.') else {
            continue;
        };
        if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if !backup_record(root, run).exists() && !journal_path(root, run).exists() {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// Roll one run back, entry by entry, from what is on disk. A temporary file that still exists
/// was never renamed: its target is old. One that is gone was renamed — or never written, and
/// then no backup exists either, because every temporary file is written before the first
/// backup and every backup before the first rename. So: restore from the backup where one
/// exists and the temporary file does not; delete what the run created. Safe to repeat.
fn recover_run(root: &Path, journal: &Journal) -> Result<()> {
    for (index, entry) in journal.files.iter().enumerate() {
        let target = root.join(&entry.path);
        let staged = entry
            .temp
            .as_ref()
            .is_some_and(|t| root.join(t).symlink_metadata().is_ok());
        if !staged {
            let backup = backup_file(root, &journal.run, index);
            if entry.existed && backup.symlink_metadata().is_ok() {
                if let Some(parent) = target.parent() {
                    fs::create_dir_all(parent).map_err(Error::io(parent))?;
                }
                // The backup is the original inode (or a synced copy): moving it back is
                // atomic and makes a repeated recovery a no-op for this entry.
                fs::rename(&backup, &target).map_err(Error::io(&target))?;
            } else if !entry.existed && entry.temp.is_some() {
                remove_if_present(&target)?;
            }
        }
        if let Some(temp) = &entry.temp {
            remove_if_present(&root.join(temp))?;
        }
    }
    for d in journal.created_dirs.iter().rev() {
        // Only directories the run created and that are empty again.
        let _ = fs::remove_dir(root.join(d));
    }
    remove_backup_files(root, &journal.run, journal.files.iter().map(|e| e.existed));
    Ok(())
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
    let dir = backups_dir(root);
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
        let meta = e.path();
        if meta.extension().is_some_and(|x| x == "json")
            && let Ok(bytes) = fs::read(&meta)
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
    let mut changes = ChangeSet::default();
    for (index, f) in backup
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| wanted.as_deref().is_none_or(|w| w == f.path))
    {
        if f.existed {
            let content = read_text(&backup_file(root, run, index))?.unwrap_or_default();
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
        remove_backup_files(root, &run.run, run.files.iter().map(|f| f.existed));
        let record = backup_record(root, &run.run);
        fs::remove_file(&record).map_err(Error::io(&record))?;
        removed.push(run.run);
    }
    Ok(removed)
}
