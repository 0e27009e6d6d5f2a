//! Change sets: what to do to which files under a root, built from a diff or from whole files.

use serde::{Deserialize, Serialize};

use crate::diff::{FileChange, FilePatch, Hunk, LineKind, Patch};
use crate::error::{Error, Result};

/// One operation of a change set. Paths are relative to the root and pass the path policy
/// when the change set is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Operation {
    /// Create a file that must not exist yet (a diff's `new file`).
    Create {
        /// The new file.
        path: String,
        /// Its content.
        content: String,
    },
    /// Write a whole file, creating or replacing it (a FILE manifest entry).
    Write {
        /// The file.
        path: String,
        /// Its new content.
        content: String,
    },
    /// Change an existing file by hunks.
    Modify {
        /// The file.
        path: String,
        /// The hunks, placed with [`crate::place::place`].
        hunks: Vec<Hunk>,
        /// The diff of this file, for review artifacts.
        diff: String,
    },
    /// Delete a file. When `expected` is given, the file must have exactly that content (a
    /// diff's removed lines), so a changed file is never deleted by an old diff.
    Delete {
        /// The file.
        path: String,
        /// The content the file must have, if known.
        expected: Option<String>,
    },
    /// Copy a file, changing the copy by hunks; the source stays.
    Copy {
        /// The source.
        from: String,
        /// The new file.
        to: String,
        /// The hunks (may be empty).
        hunks: Vec<Hunk>,
        /// The diff of this file, for review artifacts.
        diff: String,
    },
    /// Move a file, changing it by hunks on the way.
    Rename {
        /// The old path.
        from: String,
        /// The new path.
        to: String,
        /// The hunks (may be empty).
        hunks: Vec<Hunk>,
        /// The diff of this file, for review artifacts.
        diff: String,
    },
}

impl Operation {
    /// The path the operation writes (the new path of a rename).
    pub fn path(&self) -> &str {
        match self {
            Operation::Create { path, .. }
            | Operation::Write { path, .. }
            | Operation::Modify { path, .. }
            | Operation::Delete { path, .. } => path,
            Operation::Rename { to, .. } | Operation::Copy { to, .. } => to,
        }
    }

    /// The name of the operation (`create`, `write`, `modify`, `delete`, `rename`).
    pub fn name(&self) -> &'static str {
        match self {
            Operation::Create { .. } => "create",
            Operation::Write { .. } => "write",
            Operation::Modify { .. } => "modify",
            Operation::Delete { .. } => "delete",
            Operation::Rename { .. } => "rename",
            Operation::Copy { .. } => "copy",
        }
    }
}

/// A list of operations applied together.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSet {
    /// The operations, in order.
    pub operations: Vec<Operation>,
}

impl ChangeSet {
    /// The change set of a parsed patch. Binary patches are refused.
    pub fn from_patch(patch: &Patch) -> Result<ChangeSet> {
        let mut operations = Vec::with_capacity(patch.files.len());
        for file in &patch.files {
            let path = file.path().unwrap_or("").to_string();
            if file.binary {
                return Err(Error::Binary { path });
            }
            let diff = crate::diff::render(&Patch {
                files: vec![file.clone()],
                warnings: Vec::new(),
            });
            let op = match file.change {
                FileChange::Create => Operation::Create {
                    path,
                    content: new_side(file),
                },
                FileChange::Delete => Operation::Delete {
                    path: file.old_path.clone().unwrap_or(path),
                    expected: (!file.hunks.is_empty()).then(|| old_side(file)),
                },
                FileChange::Modify => Operation::Modify {
                    path,
                    hunks: file.hunks.clone(),
                    diff,
                },
                FileChange::Rename | FileChange::Copy => {
                    let from = file.old_path.clone().unwrap_or_default();
                    let to = file.new_path.clone().unwrap_or_default();
                    let hunks = file.hunks.clone();
                    if file.change == FileChange::Copy {
                        Operation::Copy {
                            from,
                            to,
                            hunks,
                            diff,
                        }
                    } else {
                        Operation::Rename {
                            from,
                            to,
                            hunks,
                            diff,
                        }
                    }
                }
            };
            operations.push(op);
        }
        Ok(ChangeSet { operations })
    }

    /// Parse a unified diff into a change set.
    pub fn from_diff(text: &str) -> Result<ChangeSet> {
        ChangeSet::from_patch(&crate::diff::parse(text)?)
    }

    /// Whole-file writes, e.g. from a FILE manifest: `(path, content)` pairs.
    pub fn from_files<P: Into<String>, C: Into<String>>(
        files: impl IntoIterator<Item = (P, C)>,
    ) -> ChangeSet {
        ChangeSet {
            operations: files
                .into_iter()
                .map(|(path, content)| Operation::Write {
                    path: path.into(),
                    content: content.into(),
                })
                .collect(),
        }
    }
}

/// The new file a creation diff describes.
fn new_side(file: &FilePatch) -> String {
    side(file, LineKind::Remove, |h| h.new_no_newline)
}

/// The old file a deletion diff describes.
fn old_side(file: &FilePatch) -> String {
    side(file, LineKind::Add, |h| h.old_no_newline)
}

fn side(file: &FilePatch, skip: LineKind, no_newline: impl Fn(&Hunk) -> bool) -> String {
    let mut out = String::new();
    for hunk in &file.hunks {
        for line in hunk.lines.iter().filter(|l| l.kind != skip) {
            out.push_str(&line.text);
            out.push('\n');
        }
    }
    if file.hunks.last().is_some_and(no_newline) && out.ends_with('\n') {
        out.pop();
    }
    out
}
