//! `mgx-patch` is the one engine through which mgx changes files on disk: change sets of
//! create, replace, modify-by-hunks, delete and rename operations under a root, parsed from a
//! unified diff or built from a FILE manifest, applied all-or-nothing.
//!
//! ```
//! use mgx_patch::{diff, place::{place, HunkStatus}};
//!
//! // A hunk that no longer sits at its stated line is found by its context…
//! let patch = diff::parse("--- a/app.py\n+++ b/app.py\n@@ -1,3 +1,3 @@\n def f():\n-    return 1\n+    return 2\n \n")?;
//! let result = place("import os\n\ndef f():\n    return 1\n\n", &patch.files[0].hunks);
//! assert_eq!(result.hunks[0].status, HunkStatus::AppliedOffset);
//! assert_eq!(result.content.as_deref(), Some("import os\n\ndef f():\n    return 2\n\n"));
//!
//! // …and refused when its context occurs twice and nothing proves which is meant.
//! let patch = diff::parse("--- a/f\n+++ b/f\n@@ -9,2 +9,2 @@\n x = 1\n-y = 2\n+y = 3\n")?;
//! let result = place("x = 1\ny = 2\nx = 1\ny = 2\n", &patch.files[0].hunks);
//! assert_eq!(result.hunks[0].status, HunkStatus::Ambiguous);
//! assert_eq!(result.hunks[0].candidates, [1, 3]);
//! assert!(result.content.is_none());
//! # Ok::<(), mgx_patch::Error>(())
//! ```
//!
//! # Concepts
//!
//! - [`diff`]: a unified-diff parser for every real form, delimiting hunks by structure, and a
//!   renderer.
//! - [`place`]: hunk placement that proves a position or refuses, and reports the nearest match
//!   of what failed.
//! - [`ChangeSet`]: create, write, modify-by-hunks, delete, rename and copy operations, from a
//!   diff or from whole files (a FILE manifest).
//! - [`apply`]: the journaled transaction — all-or-nothing or best effort, dry run, atomic
//!   writes, backups — and [`recover`], which brings an interrupted run to all-old or all-new;
//!   [`list_backups`], [`restore_backup`], [`prune_backups`].
//! - [`make_diff`] and [`diff_trees`]: unified diffs between two texts or two trees, with `similar`.
//!
//! # Crate features
//!
//! - `crash-points`: numbered crash points in the commit (`MGX_PATCH_CRASH_AT=<n>` aborts the
//!   process there), for the crash test. Never enable it in production.

mod changeset;
pub mod diff;
mod error;
pub mod place;
mod tx;

pub use changeset::{ChangeSet, Operation};
pub use error::{Error, Result};
pub use tx::{
    ApplyOptions, ApplyReport, ApplyStatus, BackupFile, BackupRun, FileReport, FileStatus, Mode,
    Recovered, apply, list_backups, prune_backups, recover, resolve, restore_backup,
};

/// A unified diff from `old` to `new` for `path` (`a/path` and `b/path` headers, three lines of
/// context), which [`ChangeSet::from_diff`] applies back: `apply(old, make_diff(old, new)) == new`.
///
/// ```
/// let diff = mgx_patch::make_diff("a\nb\n", "a\nB\n", "f.txt");
/// assert!(diff.starts_with("--- a/f.txt\n+++ b/f.txt\n@@ -1,2 +1,2 @@"));
/// ```
pub fn make_diff(old: &str, new: &str, path: &str) -> String {
    diff_file(Some(old), Some(new), path)
}

/// A unified diff that turns file `path` from `old` into `new`, where `None` is a file that
/// does not exist: from `/dev/null` it creates the file, to it it deletes it. Empty when
/// nothing changes (and for an empty file created or deleted: a diff has no line to say it).
///
/// ```
/// let diff = mgx_patch::diff_file(None, Some("hello\n"), "tests/test_x.py");
/// assert!(diff.starts_with("--- /dev/null\n+++ b/tests/test_x.py\n@@ -0,0 +1 @@"));
/// let set = mgx_patch::ChangeSet::from_diff(&diff).unwrap();
/// assert!(matches!(&set.operations[0], mgx_patch::Operation::Create { content, .. } if content == "hello\n"));
/// ```
pub fn diff_file(old: Option<&str>, new: Option<&str>, path: &str) -> String {
    if old == new {
        return String::new();
    }
    let side = |present: bool, prefix: &str| {
        if present {
            format!("{prefix}/{path}")
        } else {
            "/dev/null".to_string()
        }
    };
    similar::TextDiff::from_lines(old.unwrap_or(""), new.unwrap_or(""))
        .unified_diff()
        .context_radius(3)
        .header(&side(old.is_some(), "a"), &side(new.is_some(), "b"))
        .to_string()
}

/// A unified diff between two directory trees: every file added, removed or changed, in path
/// order, with `a/` and `b/` prefixes. Files that are not UTF-8 text are skipped (named in the
/// result's second element).
pub fn diff_trees(old: &std::path::Path, new: &std::path::Path) -> Result<(String, Vec<String>)> {
    let old_files = collect_files(old)?;
    let new_files = collect_files(new)?;
    let mut paths: std::collections::BTreeSet<&String> = old_files.iter().collect();
    paths.extend(new_files.iter());
    let mut out = String::new();
    let mut skipped = Vec::new();
    for rel in paths {
        let read = |root: &std::path::Path, present: bool| -> Result<Option<Option<String>>> {
            if !present {
                return Ok(None);
            }
            let path = root.join(rel);
            let bytes = std::fs::read(&path).map_err(|source| Error::Io { path, source })?;
            Ok(Some(String::from_utf8(bytes).ok()))
        };
        let (a, b) = (
            read(old, old_files.contains(rel))?,
            read(new, new_files.contains(rel))?,
        );
        let (a, b) = match (a, b) {
            (Some(None), _) | (_, Some(None)) => {
                skipped.push(rel.clone());
                continue;
            }
            (a, b) => (a.flatten(), b.flatten()),
        };
        out.push_str(&diff_file(a.as_deref(), b.as_deref(), rel));
    }
    Ok((out, skipped))
}

fn collect_files(root: &std::path::Path) -> Result<std::collections::BTreeSet<String>> {
    let mut out = std::collections::BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(rel) = path.strip_prefix(root) else {
                continue;
            };
            let rel = rel.to_string_lossy().replace('\\', "/");
            if rel == ".git" || rel == ".mgx" {
                continue;
            }
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(path),
                Ok(t) if t.is_file() => {
                    out.insert(rel);
                }
                _ => {}
            }
        }
    }
    Ok(out)
}
