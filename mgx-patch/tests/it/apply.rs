use std::fs;
use std::path::{Path, PathBuf};

use crate::tree::snapshot;
use mgx_patch::{
    ApplyOptions, ApplyStatus, ChangeSet, Error, FileStatus, Mode, apply, list_backups, make_diff,
    prune_backups, restore_backup,
};

/// A test's project directory under the system's temp directory, removed when dropped: test
/// runs leave nothing behind.
struct Root(PathBuf);

impl Drop for Root {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

impl std::ops::Deref for Root {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Root {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

fn temp_root(name: &str) -> Root {
    let dir = std::env::temp_dir().join(format!(
        "mgx-patch-{name}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    Root(dir)
}

fn write(root: &Path, path: &str, content: &str) {
    let p = root.join(path);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, content).unwrap();
}

fn read(root: &Path, path: &str) -> Option<String> {
    fs::read_to_string(root.join(path)).ok()
}

#[test]
fn a_multi_file_diff_applies_atomically_with_backups() {
    let root = temp_root("multi");
    write(&root, "src/a.py", "def a():\n    return 1\n");
    write(&root, "old.txt", "bye\n");
    let diff = "--- a/src/a.py\n+++ b/src/a.py\n@@ -1,2 +1,2 @@\n def a():\n-    return 1\n+    return 2\n--- /dev/null\n+++ b/src/new/b.py\n@@ -0,0 +1,2 @@\n+x = 1\n+y = 2\n--- a/old.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n";
    let report = apply(
        &root,
        &ChangeSet::from_diff(diff).unwrap(),
        &ApplyOptions::default(),
    )
    .unwrap();
    assert_eq!(report.status, ApplyStatus::Applied, "{report:?}");
    assert_eq!(read(&root, "src/a.py").unwrap(), "def a():\n    return 2\n");
    assert_eq!(read(&root, "src/new/b.py").unwrap(), "x = 1\ny = 2\n");
    assert_eq!(read(&root, "old.txt"), None);
    let backups = list_backups(&root).unwrap();
    assert_eq!(backups.len(), 1);
    assert_eq!(Some(backups[0].run.clone()), report.run);
    // No temporary files or journals are left behind.
    assert!(snapshot(&root).keys().all(|p| !p.contains(".mgx-tmp-")));
    assert!(
        fs::read_dir(root.join(".mgx/journal"))
            .unwrap()
            .next()
            .is_none()
    );
    // Applying the same diff again: already applied, nothing written.
    let again = apply(
        &root,
        &ChangeSet::from_diff(diff).unwrap(),
        &ApplyOptions::default(),
    )
    .unwrap();
    assert_eq!(again.status, ApplyStatus::AlreadyApplied, "{again:?}");
    assert_eq!(list_backups(&root).unwrap().len(), 1);
}

#[test]
fn regression_all_or_nothing_writes_nothing_and_leaves_no_created_files() {
    // Reference §5.4: rollback left files created earlier in the set behind.
    let root = temp_root("aon");
    write(&root, "a.txt", "a\n");
    let before = snapshot(&root);
    let diff = "--- /dev/null\n+++ b/created.txt\n@@ -0,0 +1 @@\n+new\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-not there\n+x\n";
    let report = apply(
        &root,
        &ChangeSet::from_diff(diff).unwrap(),
        &ApplyOptions::default(),
    )
    .unwrap();
    assert_eq!(report.status, ApplyStatus::Refused);
    assert_eq!(report.files[0].status, FileStatus::Skipped);
    assert_eq!(report.files[1].status, FileStatus::Failed);
    assert_eq!(snapshot(&root), before);
    assert!(
        !root.join(".mgx").exists(),
        "a refused change set leaves no trace"
    );
}

#[test]
fn regression_paths_outside_the_root_are_refused() {
    // Reference §5.5: `../outside.txt` and absolute paths were written.
    let root = temp_root("paths");
    for path in [
        "../outside.txt",
        "/tmp/mgx-abs.txt",
        "~/x",
        ".git/config",
        "a/../../b",
        ".mgx/journal/x.json",
    ] {
        let changes = ChangeSet::from_files([(path, "x")]);
        match apply(&root, &changes, &ApplyOptions::default()) {
            Err(Error::UnsafePath { path: p, .. }) => assert_eq!(p, path),
            other => panic!("{path}: {other:?}"),
        }
    }
    assert!(!root.parent().unwrap().join("outside.txt").exists());
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_root_are_refused() {
    let root = temp_root("symlink");
    let outside = temp_root("symlink-outside");
    std::os::unix::fs::symlink(&outside, root.join("link")).unwrap();
    let changes = ChangeSet::from_files([("link/evil.txt", "x")]);
    assert!(matches!(
        apply(&root, &changes, &ApplyOptions::default()),
        Err(Error::SymlinkEscape { .. })
    ));
    assert!(!outside.join("evil.txt").exists());
    // A link that stays inside is fine.
    fs::create_dir_all(root.join("real")).unwrap();
    std::os::unix::fs::symlink(root.join("real"), root.join("inside")).unwrap();
    let changes = ChangeSet::from_files([("inside/ok.txt", "x")]);
    assert_eq!(
        apply(&root, &changes, &ApplyOptions::default())
            .unwrap()
            .status,
        ApplyStatus::Applied
    );
    assert_eq!(read(&root, "real/ok.txt").as_deref(), Some("x"));
}

#[test]
fn best_effort_writes_what_places_and_leaves_review_artifacts() {
    let root = temp_root("best");
    write(&root, "ok.txt", "a\n");
    write(&root, "bad.txt", "1\n2\n3\n");
    let diff = "--- a/ok.txt\n+++ b/ok.txt\n@@ -1 +1 @@\n-a\n+A\n--- a/bad.txt\n+++ b/bad.txt\n@@ -1,2 +1,2 @@\n-1\n+one\n 2\n@@ -3 +3 @@\n-nope\n+x\n";
    let options = ApplyOptions {
        mode: Mode::BestEffort,
        ..ApplyOptions::default()
    };
    let report = apply(&root, &ChangeSet::from_diff(diff).unwrap(), &options).unwrap();
    assert_eq!(report.status, ApplyStatus::Partial);
    assert_eq!(read(&root, "ok.txt").as_deref(), Some("A\n"));
    assert_eq!(
        read(&root, "bad.txt").as_deref(),
        Some("1\n2\n3\n"),
        "the original is never touched"
    );
    assert_eq!(
        read(&root, "bad.txt.mgx_new").as_deref(),
        Some("one\n2\n3\n"),
        "with the hunks that placed"
    );
    assert!(
        read(&root, "bad.txt.mgx_failed_diff.txt")
            .unwrap()
            .contains("-nope")
    );
    let log: serde_json::Value =
        serde_json::from_str(&read(&root, "bad.txt.mgx_apply_log.json").unwrap()).unwrap();
    assert_eq!(log["hunks"][1]["status"], "not_found");
    assert_eq!(report.files[1].artifacts.len(), 3);
}

#[test]
fn dry_run_reports_everything_and_writes_nothing() {
    let root = temp_root("dry");
    write(&root, "a.txt", "a\n");
    let before = snapshot(&root);
    let diff = "--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-a\n+b\n";
    let options = ApplyOptions {
        dry_run: true,
        ..ApplyOptions::default()
    };
    let report = apply(&root, &ChangeSet::from_diff(diff).unwrap(), &options).unwrap();
    assert_eq!(report.status, ApplyStatus::DryRun);
    assert_eq!(report.files[0].hunks[0].line, Some(1));
    assert_eq!(snapshot(&root), before);
}

#[test]
fn regression_backups_never_collide_and_restore_works_with_glob_characters() {
    // Reference §5.3/§6: one-second backup names overwrote each other; `[id].tsx` could not be restored.
    let root = temp_root("backups");
    write(&root, "app/[id]/page.tsx", "v1\n");
    for v in 2..=4 {
        let changes = ChangeSet::from_files([("app/[id]/page.tsx", format!("v{v}\n"))]);
        assert_eq!(
            apply(&root, &changes, &ApplyOptions::default())
                .unwrap()
                .status,
            ApplyStatus::Applied
        );
    }
    let runs = list_backups(&root).unwrap();
    assert_eq!(
        runs.len(),
        3,
        "three runs within the same second, three backups"
    );
    // Undo the newest run for that one file: back to v3.
    restore_backup(&root, &runs[0].run, Some("app/[id]/page.tsx")).unwrap();
    assert_eq!(read(&root, "app/[id]/page.tsx").as_deref(), Some("v3\n"));
    // Undo the oldest run: back to v1.
    restore_backup(&root, &runs[2].run, None).unwrap();
    assert_eq!(read(&root, "app/[id]/page.tsx").as_deref(), Some("v1\n"));
    assert!(matches!(
        restore_backup(&root, "nope", None),
        Err(Error::NoSuchBackup { .. })
    ));
    let before = list_backups(&root).unwrap().len();
    let removed = prune_backups(&root, 2).unwrap();
    assert_eq!(removed.len(), before - 2);
    let kept = list_backups(&root).unwrap();
    assert_eq!(kept.len(), 2);
    // Pruning removes a run's files with its record: what is left is exactly the kept runs'
    // records and the backups of the files that existed before them.
    let mut left: Vec<String> = fs::read_dir(root.join(".mgx/backups"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let mut expected: Vec<String> = kept
        .iter()
        .flat_map(|r| {
            let files = r.files.iter().enumerate().filter(|(_, f)| f.existed);
            std::iter::once(format!("{}.json", r.run))
                .chain(files.map(|(i, _)| format!("{}.{i}", r.run)))
        })
        .collect();
    expected.sort();
    assert_eq!(left, expected);
}

#[test]
fn regression_creates_keep_content_and_never_overwrite_silently() {
    // Reference §5.3: a CREATE dropped the trailing newline and overwrote an existing file without a backup.
    let root = temp_root("create");
    let diff = "--- /dev/null\n+++ b/n.txt\n@@ -0,0 +1,2 @@\n+a\n+b\n";
    apply(
        &root,
        &ChangeSet::from_diff(diff).unwrap(),
        &ApplyOptions::default(),
    )
    .unwrap();
    assert_eq!(read(&root, "n.txt").as_deref(), Some("a\nb\n"));
    write(&root, "n.txt", "other\n");
    let report = apply(
        &root,
        &ChangeSet::from_diff(diff).unwrap(),
        &ApplyOptions::default(),
    )
    .unwrap();
    assert_eq!(report.status, ApplyStatus::Refused);
    assert_eq!(read(&root, "n.txt").as_deref(), Some("other\n"));
}

#[test]
fn deletions_check_what_they_delete() {
    let root = temp_root("delete");
    write(&root, "d.txt", "changed since\n");
    let diff = "--- a/d.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-original\n";
    let report = apply(
        &root,
        &ChangeSet::from_diff(diff).unwrap(),
        &ApplyOptions::default(),
    )
    .unwrap();
    assert_eq!(report.status, ApplyStatus::Refused);
    assert!(read(&root, "d.txt").is_some());
}

#[test]
fn renames_and_copies() {
    let root = temp_root("rename");
    write(&root, "old.rs", "fn a() {}\nfn b() {}\n");
    let diff = "diff --git a/old.rs b/new.rs\nsimilarity index 90%\nrename from old.rs\nrename to new.rs\n--- a/old.rs\n+++ b/new.rs\n@@ -1,2 +1,2 @@\n fn a() {}\n-fn b() {}\n+fn c() {}\n";
    assert_eq!(
        apply(
            &root,
            &ChangeSet::from_diff(diff).unwrap(),
            &ApplyOptions::default()
        )
        .unwrap()
        .status,
        ApplyStatus::Applied
    );
    assert_eq!(read(&root, "old.rs"), None);
    assert_eq!(
        read(&root, "new.rs").as_deref(),
        Some("fn a() {}\nfn c() {}\n")
    );
    let copy = "diff --git a/new.rs b/copy.rs\ncopy from new.rs\ncopy to copy.rs\n";
    assert_eq!(
        apply(
            &root,
            &ChangeSet::from_diff(copy).unwrap(),
            &ApplyOptions::default()
        )
        .unwrap()
        .status,
        ApplyStatus::Applied
    );
    assert_eq!(read(&root, "copy.rs"), read(&root, "new.rs"));
}

#[test]
fn make_diff_applies_back() {
    let root = temp_root("makediff");
    let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
    let new = "a\nB\nc\nd\ne\nf\nG\nh\ni\n";
    write(&root, "f.txt", old);
    let report = apply(
        &root,
        &ChangeSet::from_diff(&make_diff(old, new, "f.txt")).unwrap(),
        &ApplyOptions::default(),
    )
    .unwrap();
    assert_eq!(report.status, ApplyStatus::Applied);
    assert_eq!(read(&root, "f.txt").as_deref(), Some(new));
}

#[test]
fn diff_minus_n_creations_apply() {
    // `diff -ruN old new` writes a new file as additions to an empty file with an epoch timestamp.
    let root = temp_root("diffn");
    let diff = "diff -ruN old/n.txt new/n.txt\n--- old/n.txt\t1970-01-01 00:00:00.000000000 +0000\n+++ new/n.txt\t2024-01-01 00:00:00.000000000 +0000\n@@ -0,0 +1,2 @@\n+a\n+b\n";
    let report = apply(
        &root,
        &ChangeSet::from_diff(diff).unwrap(),
        &ApplyOptions::default(),
    )
    .unwrap();
    assert_eq!(report.status, ApplyStatus::Applied, "{report:?}");
    assert_eq!(read(&root, "n.txt").as_deref(), Some("a\nb\n"));
}

#[test]
fn a_journal_torn_while_being_written_is_discarded_and_the_tree_kept() {
    // The journal is written before anything else, so a torn one belongs to a run that died
    // before touching a file: recovery drops it and leaves the tree alone.
    let root = temp_root("torn-journal");
    fs::write(root.join("a.txt"), "old\n").unwrap();
    let journal = root.join(".mgx/journal");
    fs::create_dir_all(&journal).unwrap();
    fs::write(
        journal.join("1-2-3-4.json"),
        "{\"version\": 2, \"run\": \"1-2",
    )
    .unwrap();
    let recovered = mgx_patch::recover(&root).unwrap();
    assert_eq!(recovered.len(), 1);
    assert_eq!(recovered[0].run, "1-2-3-4");
    assert_eq!(fs::read_to_string(root.join("a.txt")).unwrap(), "old\n");
    assert!(mgx_patch::recover(&root).unwrap().is_empty());

    // A journal of another format version is not guessed at.
    fs::write(
        journal.join("5-6-7-8.json"),
        r#"{"version": 1, "run": "5-6-7-8", "created": 0, "keep_backups": true, "files": [], "created_dirs": []}"#,
    )
    .unwrap();
    match mgx_patch::recover(&root) {
        Err(Error::Journal { message, .. }) => assert!(message.contains("version 1"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn recover_removes_backups_left_by_a_run_that_died_after_its_commit() {
    // Without kept backups the journal goes first (the commit), the backup files after it.
    let root = temp_root("orphans");
    fs::write(root.join("a.txt"), "new\n").unwrap();
    let backups = root.join(".mgx/backups");
    fs::create_dir_all(&backups).unwrap();
    fs::write(backups.join("1-2-3-4.0"), "old\n").unwrap();
    // A kept run's files stay.
    fs::write(backups.join("5-6-7-8.0"), "old\n").unwrap();
    fs::write(
        backups.join("5-6-7-8.json"),
        r#"{"run": "5-6-7-8", "created": 0, "files": [{"path": "a.txt", "existed": true}]}"#,
    )
    .unwrap();
    assert!(mgx_patch::recover(&root).unwrap().is_empty());
    assert!(!backups.join("1-2-3-4.0").exists());
    assert!(backups.join("5-6-7-8.0").exists());
    assert_eq!(list_backups(&root).unwrap().len(), 1);
    assert_eq!(fs::read_to_string(root.join("a.txt")).unwrap(), "new\n");
}
