//! Real-world diffs between consecutive releases of registry packages (made by
//! `benches/fetch-releases.sh`), applied by mgx-patch and by GNU patch in the same run, after
//! checking that both produce exactly the next release (and that mgx-patch, applying the diff
//! again, reports it already applied and writes nothing). Both sides parse the diff and patch the
//! tree in the measured time; GNU patch also pays for starting a process, mgx-patch is a
//! library call (the CLI figures are in `benches/README.md`).
//!
//! Each iteration starts from a project at rest: the old release is copied once, and between
//! iterations only the files the diff touches are put back (rewriting all of a 1,000-file tree
//! each time would leave the file system busy writing it back while the tools run, and the
//! figures would measure that).
//!
//! Before criterion's own measurements, each case is also timed in paired rounds (see
//! [`paired`]): the ratio to GNU patch that survives a noisy machine.
//!
//! Run with `bash mgx-patch/benches/fetch-releases.sh && cargo bench -p mgx-patch --bench releases`.
//! Without the downloaded data the bench says so and measures nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark that cannot set up should stop loudly

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use mgx_patch::{ApplyOptions, ApplyStatus, ChangeSet, Operation};

#[path = "common/gnu.rs"]
mod gnu;
use gnu::gnu_patch;

#[path = "../tests/it/tree.rs"]
mod tree;
use tree::snapshot as files;

/// Make `to` a copy of `from`, keeping `to/.mgx/` if present: the measured case is a project
/// mgx has patched before, whose `.mgx/journal/` and `.mgx/backups/` already exist (the first
/// apply in a project creates those three directories once).
fn copy_tree(from: &Path, to: &Path) {
    if let Ok(entries) = fs::read_dir(to) {
        for e in entries.flatten() {
            let p = e.path();
            if e.file_name() == ".mgx" {
                continue;
            }
            if p.is_dir() {
                fs::remove_dir_all(&p).unwrap();
            } else {
                fs::remove_file(&p).unwrap();
            }
        }
    }
    for (rel, bytes) in files(from) {
        let p = to.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }
    fs::create_dir_all(to).unwrap();
}

/// Put back the old release's version of every path the diff touches (removing paths the old
/// release does not have, and any `.orig`/`.rej` GNU patch may leave beside them).
fn restore(old: &Path, to: &Path, touched: &[String]) {
    for rel in touched {
        let target = to.join(rel);
        match fs::read(old.join(rel)) {
            Ok(bytes) => fs::write(&target, bytes).unwrap(),
            Err(_) => {
                let _ = fs::remove_file(&target);
            }
        }
        for extra in [".orig", ".rej"] {
            let _ = fs::remove_file(to.join(format!("{rel}{extra}")));
        }
    }
}

/// Rounds of the paired comparison.
const PAIRED_ROUNDS: usize = 41;

/// The three contenders timed in turn, round after round, so that the machine's load changes
/// hit them alike (criterion times one after the other, seconds apart). Prints each median and
/// the ratios to GNU patch.
fn paired(
    name: &str,
    old: &Path,
    scratch: &Path,
    touched: &[String],
    diff: &str,
    diff_path: &Path,
) {
    let durable = ApplyOptions {
        backup: false,
        ..ApplyOptions::default()
    };
    let fast = ApplyOptions {
        fsync: false,
        ..durable
    };
    let mut times: [Vec<f64>; 3] = Default::default();
    for _ in 0..PAIRED_ROUNDS {
        for (k, samples) in times.iter_mut().enumerate() {
            restore(old, scratch, touched);
            let start = Instant::now();
            match k {
                0 => {
                    let changes = ChangeSet::from_diff(diff).unwrap();
                    mgx_patch::apply(scratch, &changes, &durable).unwrap();
                }
                1 => {
                    let changes = ChangeSet::from_diff(diff).unwrap();
                    mgx_patch::apply(scratch, &changes, &fast).unwrap();
                }
                _ => gnu_patch(scratch, diff_path),
            }
            samples.push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    let [durable, fast, gnu] = times.map(|mut t| {
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    });
    eprintln!(
        "{name}: paired medians of {PAIRED_ROUNDS} rounds: mgx {durable:.2} ms, mgx no fsync {fast:.2} ms, \
         GNU patch {gnu:.2} ms; no fsync / GNU = {:.2}, fsync / GNU = {:.2}",
        fast / gnu,
        durable / gnu
    );
}

fn benches(c: &mut Criterion) {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release-diffs");
    let Ok(entries) = fs::read_dir(&data) else {
        eprintln!(
            "no release diffs under {}: run mgx-patch/benches/fetch-releases.sh first",
            data.display()
        );
        return;
    };
    let mut cases: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("change.diff").exists())
        .collect();
    cases.sort();
    let scratch = std::env::temp_dir().join(format!("mgx-releases-{}", std::process::id()));
    let mut group = c.benchmark_group("releases");
    group.sample_size(20);
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let diff_path = case.join("change.diff");
        let diff = fs::read_to_string(&diff_path).unwrap();
        let changes = ChangeSet::from_diff(&diff).unwrap();
        let expected = files(&case.join("expected"));
        let old = case.join("old");
        let mut touched: Vec<String> = Vec::new();
        for op in &changes.operations {
            touched.push(op.path().to_string());
            if let Operation::Rename { from, .. } = op {
                touched.push(from.clone());
            }
        }
        let options = ApplyOptions {
            backup: false,
            ..ApplyOptions::default()
        };
        // Both tools must produce exactly the next release.
        copy_tree(&case.join("old"), &scratch);
        let report = mgx_patch::apply(&scratch, &changes, &options).unwrap();
        assert_eq!(report.status, ApplyStatus::Applied, "{name}: {report:?}");
        assert!(
            files(&scratch) == expected,
            "{name}: mgx-patch did not produce the next release"
        );
        // Applied again to the next release, the diff changes nothing.
        let again = mgx_patch::apply(&scratch, &changes, &options).unwrap();
        assert_eq!(
            again.status,
            ApplyStatus::AlreadyApplied,
            "{name}: re-applied: {again:?}"
        );
        assert!(
            files(&scratch) == expected,
            "{name}: re-applying changed the tree"
        );
        restore(&old, &scratch, &touched);
        assert!(
            files(&scratch) == files(&old),
            "{name}: restore is incomplete"
        );
        gnu_patch(&scratch, &diff_path);
        assert!(
            files(&scratch) == expected,
            "{name}: GNU patch did not produce the next release"
        );
        eprintln!(
            "{name}: {} files, {} hunks, {} KB of diff",
            changes.operations.len(),
            diff.matches("\n@@").count(),
            diff.len() / 1024
        );
        paired(&name, &old, &scratch, &touched, &diff, &diff_path);

        group.bench_function(format!("{name}/mgx_apply_on_disk"), |b| {
            b.iter_batched(
                || restore(&old, &scratch, &touched),
                |()| {
                    let changes = ChangeSet::from_diff(&diff).unwrap();
                    mgx_patch::apply(&scratch, &changes, &options).unwrap()
                },
                BatchSize::PerIteration,
            )
        });
        let fast = ApplyOptions {
            fsync: false,
            ..options.clone()
        };
        group.bench_function(format!("{name}/mgx_apply_on_disk_no_fsync"), |b| {
            b.iter_batched(
                || restore(&old, &scratch, &touched),
                |()| {
                    let changes = ChangeSet::from_diff(&diff).unwrap();
                    mgx_patch::apply(&scratch, &changes, &fast).unwrap()
                },
                BatchSize::PerIteration,
            )
        });
        group.bench_function(format!("{name}/gnu_patch_on_disk"), |b| {
            b.iter_batched(
                || restore(&old, &scratch, &touched),
                |()| gnu_patch(&scratch, &diff_path),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
    let _ = fs::remove_dir_all(&scratch);
}

criterion_group!(group, benches);
criterion_main!(group);
