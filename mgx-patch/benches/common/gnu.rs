//! GNU patch as the benches run it: a process, `-p1`, never asking, never reversing.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

/// Apply `diff` under `root` with GNU patch; stops the bench when it fails.
pub(crate) fn gnu_patch(root: &Path, diff: &Path) {
    let status = Command::new("patch")
        .args(["-p1", "--quiet", "--forward", "--batch", "-E", "-d"])
        .arg(root)
        .stdin(fs::File::open(diff).unwrap())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}
