//! A child process applies a change set and dies at a random point; `recover` must then leave
//! the tree exactly as it was before (all-old) or exactly as the change set makes it (all-new),
//! never a mix, never a loss, with no temporary file or journal left.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::tree::snapshot;
use mgx_patch::{ChangeSet, Operation, list_backups, recover, restore_backup};

const CHILD: &str = env!("CARGO_BIN_EXE_mgx-patch-crash-child");

/// A project of 20 files, and a change set that replaces 20 files, creates 6 (in new
/// directories) and deletes 6.
fn fixture(root: &Path) -> ChangeSet {
    let _ = fs::remove_dir_all(root);
    for i in 0..26 {
        let p = root.join(format!("src/m{}/f{i}.txt", i % 4));
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, format!("old {i}\n").repeat(50)).unwrap();
    }
    let mut ops = Vec::new();
    for i in 0..20 {
        ops.push(Operation::Write {
            path: format!("src/m{}/f{i}.txt", i % 4),
            content: format!("new {i}\n").repeat(60),
        });
    }
    for i in 0..6 {
        ops.push(Operation::Create {
            path: format!("gen/d{}/n{i}.txt", i % 2),
            content: format!("created {i}\n"),
        });
    }
    for i in 20..26 {
        ops.push(Operation::Delete {
            path: format!("src/m{}/f{i}.txt", i % 4),
            expected: None,
        });
    }
    ChangeSet { operations: ops }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

fn spawn(root: &Path, changes: &str, crash_at: Option<u64>) -> std::process::Child {
    let mut cmd = Command::new(CHILD);
    cmd.arg(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(n) = crash_at {
        cmd.env("MGX_PATCH_CRASH_AT", n.to_string());
    }
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(changes.as_bytes())
        .unwrap();
    child
}

fn check(
    root: &Path,
    old: &BTreeMap<String, Vec<u8>>,
    new: &BTreeMap<String, Vec<u8>>,
    trial: &str,
) -> bool {
    let recovered = recover(root).unwrap();
    assert!(recovered.len() <= 1, "{trial}: {recovered:?}");
    let now = snapshot(root);
    let is_old = &now == old;
    assert!(
        is_old || &now == new,
        "{trial}: the tree is neither all-old nor all-new"
    );
    assert!(
        now.keys().all(|k| !k.contains(".mgx-tmp-")),
        "{trial}: a temporary file is left"
    );
    let journal = root.join(".mgx/journal");
    assert!(
        !journal.exists() || fs::read_dir(&journal).unwrap().next().is_none(),
        "{trial}: a journal is left"
    );
    // Recovery is idempotent.
    assert!(recover(root).unwrap().is_empty());
    // A committed run left exactly its backup; a rolled-back one left none.
    let runs = list_backups(root).unwrap();
    assert_eq!(runs.len(), usize::from(!is_old), "{trial}: {runs:?}");
    if let Some(run) = runs.first() {
        // ...and that backup brings back every old file.
        restore_backup(root, &run.run, None).unwrap();
        assert!(
            &snapshot(root) == old,
            "{trial}: the backup does not restore the old tree"
        );
    }
    is_old
}

#[test]
fn a_killed_apply_always_recovers_to_all_old_or_all_new() {
    let base: PathBuf =
        std::env::temp_dir().join(format!("mgx-patch-crash-{}", std::process::id()));
    let root = base.join("tree");
    let changes = fixture(&root);
    let json = serde_json::to_string(&changes).unwrap();
    let old = snapshot(&root);
    // The expected new tree, and how many crash points a full commit passes.
    let status = spawn(&root, &json, None).wait().unwrap();
    assert!(status.success());
    let new = snapshot(&root);
    assert_ne!(old, new);
    // The journal, 26 staged files (20 replaced, 6 created), 26 backups (20 replaced, 6
    // deleted), the backups made durable, 32 renames or deletions.
    let points = 1 + 26 + 26 + 1 + 32;

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("crash test seed {seed}");
    let mut rng = Rng(seed);
    let (mut olds, mut news) = (0, 0);

    // 200 trials stopped at a random numbered crash point of the commit.
    for trial in 0..200 {
        fixture(&root);
        let at = rng.next() % (points + 3);
        let _ = spawn(&root, &json, Some(at)).wait().unwrap();
        if check(
            &root,
            &old,
            &new,
            &format!("crash point {at} (seed {seed}, trial {trial})"),
        ) {
            olds += 1
        } else {
            news += 1
        }
    }
    // 50 trials killed with SIGKILL after a random delay.
    let full = {
        fixture(&root);
        let start = Instant::now();
        let _ = spawn(&root, &json, None).wait().unwrap();
        start.elapsed()
    };
    for trial in 0..50 {
        fixture(&root);
        let delay = Duration::from_micros(rng.next() % (full.as_micros() as u64 + 1).max(1));
        let mut child = spawn(&root, &json, None);
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        if check(
            &root,
            &old,
            &new,
            &format!("kill after {delay:?} (seed {seed}, trial {trial})"),
        ) {
            olds += 1
        } else {
            news += 1
        }
    }
    println!("250 interrupted applies: {olds} recovered to all-old, {news} to all-new, 0 mixed");
    assert!(
        olds > 0 && news > 0,
        "both outcomes must have been exercised"
    );
    let _ = fs::remove_dir_all(&base);
}
