//! mgx-core integration tests: providers against real and mock servers, caches, cassettes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests stop loudly

mod cache;
mod cassette;
mod format;
mod git;
mod http;
mod litellm;
mod pool;
mod team;

/// A test's directory under the system's temp directory, `<prefix>-<pid>-<name>`, removed
/// when dropped: test runs leave nothing behind.
pub(crate) struct TestDir(std::path::PathBuf);

impl TestDir {
    /// The directory, emptied of what an earlier run of the same process id left; made
    /// when `create`.
    pub(crate) fn new(prefix: &str, name: &str, create: bool) -> Self {
        let dir = std::env::temp_dir().join(format!("{prefix}-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        if create {
            std::fs::create_dir_all(&dir).unwrap();
        }
        TestDir(dir)
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl std::ops::Deref for TestDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<std::path::Path> for TestDir {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

impl From<&TestDir> for std::path::PathBuf {
    fn from(dir: &TestDir) -> Self {
        dir.0.clone()
    }
}
