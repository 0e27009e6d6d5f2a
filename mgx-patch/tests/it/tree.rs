//! Reading a project tree back for comparisons (shared with `benches/releases.rs`).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// Every file under `root` outside `.mgx/`, by relative path, with its bytes.
pub(crate) fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if rel == ".mgx" {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    out
}
