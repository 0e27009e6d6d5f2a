//! The one error type of `mgx-patch`.

use std::path::PathBuf;

use mgx_stacks::paths::PathViolation;

/// What stops a patch from being read or a change set from being applied at all. Hunks that do
/// not place are not errors: they are part of the [`crate::ApplyReport`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The patch text cannot be read as a unified diff at this line. Fix the diff.
    #[error("malformed patch at line {line}: {message}")]
    MalformedPatch {
        /// The 1-based line of the patch.
        line: usize,
        /// What is wrong.
        message: String,
    },

    /// A path breaks the path policy (`..`, absolute, `~`, drive, UNC, `.git/` …); nothing was written.
    #[error("unsafe path `{path}`: {violation}")]
    UnsafePath {
        /// The path as given.
        path: String,
        /// Which rule it breaks.
        violation: PathViolation,
    },

    /// A path leads outside the root through a symbolic link; nothing was written.
    #[error("path `{path}` leaves the project through a symbolic link")]
    SymlinkEscape {
        /// The path as given.
        path: String,
    },

    /// The patch is binary; mgx applies text patches only.
    #[error("`{path}` has a binary patch; apply it with git, mgx applies text patches only")]
    Binary {
        /// The file.
        path: String,
    },

    /// A file operation failed. In all-or-nothing mode the tree was left as it was before.
    #[error("I/O error on `{}`", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A journal left by an interrupted apply cannot be read; the message says how to proceed.
    #[error("unreadable journal `{}`: {message}", path.display())]
    Journal {
        /// The journal file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },

    /// No backup run with this id exists under the root.
    #[error("no backup run `{run}` under `{}`", root.display())]
    NoSuchBackup {
        /// The root searched.
        root: PathBuf,
        /// The run id asked for.
        run: String,
    },
}

impl Error {
    /// A short, stable, machine-readable name of the error kind.
    pub fn code(&self) -> &'static str {
        match self {
            Error::MalformedPatch { .. } => "malformed_patch",
            Error::UnsafePath { .. } => "unsafe_path",
            Error::SymlinkEscape { .. } => "symlink_escape",
            Error::Binary { .. } => "binary_patch",
            Error::Io { .. } => "io",
            Error::Journal { .. } => "journal",
            Error::NoSuchBackup { .. } => "no_such_backup",
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}

/// The result type of `mgx-patch`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
