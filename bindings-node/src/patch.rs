//! JS functions for `mgx_core::patch`: `applyPatch`, `recover`, `listBackups`, `restoreBackup`,
//! `pruneBackups`, `makeDiff`.

use napi_derive::napi;

use mgx_core::patch as core;

use crate::error::{Code, Result};

/// Map a patch error to a JS error with `code`.
fn patch_err(err: core::Error) -> napi::Error<Code> {
    napi::Error::new(Code(err.code()), err.to_string())
}

/// Enum values as their snake_case names.
fn name<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// What happened to one hunk.
#[napi(object)]
pub struct HunkReport {
    pub index: u32,
    /// `applied`, `applied_offset`, `applied_normalized`, `applied_reduced_context`,
    /// `already_applied`, `not_found`, `ambiguous`, `maybe_applied` or `conflict`.
    pub status: String,
    /// The 1-based line in the original file where the hunk went.
    pub line: Option<u32>,
    pub offset: Option<i64>,
    /// `exact`, `ignore_cr`, `trailing_whitespace` or `indentation`.
    pub level: Option<String>,
    pub fuzz: u32,
    /// Ambiguous hunks: every line where the pre-image starts.
    pub candidates: Vec<u32>,
    /// Hunks whose change may already be there: every line where the post-image starts.
    pub already_at: Vec<u32>,
    /// Failed hunks: the 1-based line of the nearest partial match.
    pub nearest_line: Option<u32>,
    /// Failed hunks: how many pre-image lines match there, of how many.
    pub nearest_matching: Option<u32>,
    pub nearest_total: Option<u32>,
}

/// What happened to one file.
#[napi(object)]
pub struct FileReport {
    pub path: String,
    /// `create`, `write`, `modify`, `delete`, `rename` or `copy`.
    pub operation: String,
    /// `applied`, `already_applied`, `failed` or `skipped`.
    pub status: String,
    pub message: Option<String>,
    pub hunks: Vec<HunkReport>,
    /// Review artifacts written beside the file (best effort).
    pub artifacts: Vec<String>,
}

/// The result of applying a patch.
#[napi(object)]
pub struct PatchResult {
    /// `applied`, `already_applied`, `partial`, `refused`, `dry_run` or `dry_run_refused`.
    pub status: String,
    /// Whether everything is applied (or was already there).
    pub ok: bool,
    /// The run id when something was written (names the backups).
    pub run: Option<String>,
    pub files: Vec<FileReport>,
}

fn n(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

impl From<core::ApplyReport> for PatchResult {
    fn from(r: core::ApplyReport) -> Self {
        PatchResult {
            status: name(r.status),
            ok: matches!(
                r.status,
                core::ApplyStatus::Applied
                    | core::ApplyStatus::AlreadyApplied
                    | core::ApplyStatus::DryRun
            ),
            run: r.run,
            files: r
                .files
                .into_iter()
                .map(|f| FileReport {
                    path: f.path,
                    operation: f.operation,
                    status: name(f.status),
                    message: f.message,
                    hunks: f
                        .hunks
                        .into_iter()
                        .map(|h| HunkReport {
                            index: n(h.index),
                            status: name(h.status),
                            line: h.line.map(n),
                            offset: h.offset.map(|o| o as i64),
                            level: h.level.map(name),
                            fuzz: n(h.fuzz),
                            candidates: h.candidates.into_iter().map(n).collect(),
                            already_at: h.already_at.into_iter().map(n).collect(),
                            nearest_line: h.nearest.as_ref().map(|m| n(m.line)),
                            nearest_matching: h.nearest.as_ref().map(|m| n(m.matching)),
                            nearest_total: h.nearest.as_ref().map(|m| n(m.total)),
                        })
                        .collect(),
                    artifacts: f.artifacts,
                })
                .collect(),
        }
    }
}

/// How to apply a patch.
#[napi(object)]
pub struct PatchOptions {
    /// `all_or_nothing` (default) or `best_effort`.
    pub mode: Option<String>,
    /// Compute and report everything; write nothing.
    pub dry_run: Option<bool>,
    /// Keep backups under `.mgx/backups/` (default true).
    pub backup: Option<bool>,
    /// Flush to disk before the commit (default true); without it a power loss may leave part of the apply.
    pub fsync: Option<bool>,
}

/// Apply a unified diff under `root`. Throws with `code` for unusable input
/// (`malformed_patch`, `unsafe_path`, `symlink_escape`, `binary_patch`, `io`).
#[napi]
pub fn apply_patch(
    root: String,
    diff: String,
    options: Option<PatchOptions>,
) -> Result<PatchResult> {
    let options = options.unwrap_or(PatchOptions {
        mode: None,
        dry_run: None,
        backup: None,
        fsync: None,
    });
    let mode = match options
        .mode
        .as_deref()
        .map(|m| m.replace('-', "_"))
        .as_deref()
    {
        None | Some("all_or_nothing") => core::Mode::AllOrNothing,
        Some("best_effort") => core::Mode::BestEffort,
        Some(other) => {
            return Err(napi::Error::new(
                Code("invalid_mode"),
                format!("unknown mode `{other}`; use \"all_or_nothing\" or \"best_effort\""),
            ));
        }
    };
    let options = core::ApplyOptions {
        mode,
        dry_run: options.dry_run.unwrap_or(false),
        backup: options.backup.unwrap_or(true),
        fsync: options.fsync.unwrap_or(true),
    };
    let changes = core::ChangeSet::from_diff(&diff).map_err(patch_err)?;
    core::apply(std::path::Path::new(&root), &changes, &options)
        .map(PatchResult::from)
        .map_err(patch_err)
}

/// What `recover` did with one interrupted run.
#[napi(object)]
pub struct Recovered {
    pub run: String,
    /// `rolled_back` or `completed`.
    pub outcome: String,
}

/// Bring interrupted applies under `root` to all-old or all-new.
#[napi]
pub fn recover(root: String) -> Result<Vec<Recovered>> {
    core::recover(std::path::Path::new(&root))
        .map(|runs| {
            runs.into_iter()
                .map(|r| Recovered {
                    run: r.run,
                    outcome: r.outcome,
                })
                .collect()
        })
        .map_err(patch_err)
}

/// One file of a backup run.
#[napi(object)]
pub struct BackupFile {
    pub path: String,
    /// Whether it existed before the run (`false`: the run created it).
    pub existed: bool,
}

/// The backup of one applied run.
#[napi(object)]
pub struct BackupRun {
    pub run: String,
    /// Unix seconds.
    pub created: i64,
    pub files: Vec<BackupFile>,
}

/// Backup runs under `root`, newest first.
#[napi]
pub fn list_backups(root: String) -> Result<Vec<BackupRun>> {
    core::list_backups(std::path::Path::new(&root))
        .map(|runs| {
            runs.into_iter()
                .map(|r| BackupRun {
                    run: r.run,
                    created: i64::try_from(r.created).unwrap_or(i64::MAX),
                    files: r
                        .files
                        .into_iter()
                        .map(|f| BackupFile {
                            path: f.path,
                            existed: f.existed,
                        })
                        .collect(),
                })
                .collect()
        })
        .map_err(patch_err)
}

/// Undo a backup run (or only `path` of it) as a new transaction.
#[napi]
pub fn restore_backup(root: String, run: String, path: Option<String>) -> Result<PatchResult> {
    core::restore_backup(std::path::Path::new(&root), &run, path.as_deref())
        .map(PatchResult::from)
        .map_err(patch_err)
}

/// Keep the newest `keep` backup runs (default 5); returns the removed run ids.
#[napi]
pub fn prune_backups(root: String, keep: Option<u32>) -> Result<Vec<String>> {
    core::prune_backups(std::path::Path::new(&root), keep.map_or(5, |k| k as usize))
        .map_err(patch_err)
}

/// A unified diff from `oldText` to `newText` for `path` (default `file`).
#[napi]
pub fn make_diff(old_text: String, new_text: String, path: Option<String>) -> String {
    core::make_diff(&old_text, &new_text, path.as_deref().unwrap_or("file"))
}
