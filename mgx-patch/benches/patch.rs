//! Benchmarks of mgx-patch: mgx-patch against GNU patch, measured in the same run on the same inputs:
//!
//! - `fifty_hunks`: 50 hunks that each add a line, on a 5,000-line file (the original system
//!   rejected 49 of them);
//! - `patch_set`: 20 files of 500 lines, 5 hunks each.
//!
//! For each: mgx placement in memory, mgx `apply` on disk (the whole transaction: journal,
//! backups, fsync, atomic renames), and `patch -p1` (GNU patch as a process, no fsync).
//! Run with `cargo bench -p mgx-patch --bench patch`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark that cannot set up should stop loudly

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use mgx_patch::{ApplyOptions, ApplyStatus, ChangeSet, diff, place::place};
use std::hint::black_box;

#[path = "common/gnu.rs"]
mod gnu;
use gnu::gnu_patch;

/// A file of `lines` lines and a diff with `hunks` hunks that each add one line.
fn case(name: &str, lines: usize, hunks: usize) -> (String, String) {
    let original: String = (1..=lines)
        .map(|i| format!("{name} line {i}: some code here\n"))
        .collect();
    let mut patch = format!("--- a/{name}\n+++ b/{name}\n");
    let step = lines / hunks;
    for k in 0..hunks {
        let at = step * k + step / 2; // the new line goes after line `at`
        patch.push_str(&format!(
            "@@ -{},3 +{},4 @@\n {name} line {}: some code here\n {name} line {}: some code here\n+added {k}\n {name} line {}: some code here\n",
            at - 1,
            at - 1 + k,
            at - 1,
            at,
            at + 1
        ));
    }
    (original, patch)
}

fn gnu_patch_available() -> bool {
    Command::new("patch")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Reset `root` to `files`, keeping `root/.mgx/`: the measured case is a project mgx has
/// patched before (the first apply in a project creates three directories once).
fn write_files(root: &Path, files: &[(String, String)]) {
    if let Ok(entries) = fs::read_dir(root) {
        for e in entries.flatten() {
            if e.file_name() != ".mgx" {
                let _ = fs::remove_file(e.path());
            }
        }
    }
    fs::create_dir_all(root).unwrap();
    for (name, content) in files {
        fs::write(root.join(name), content).unwrap();
    }
}

fn bench_case(
    c: &mut Criterion,
    group_name: &str,
    files: Vec<(String, String)>,
    patch_text: String,
) {
    let scratch: PathBuf = std::env::temp_dir().join(format!(
        "mgx-patch-bench-{}-{group_name}",
        std::process::id()
    ));
    let diff_file = scratch.with_extension("diff");
    fs::create_dir_all(scratch.parent().unwrap()).unwrap();
    fs::write(&diff_file, &patch_text).unwrap();
    let bytes: usize = files.iter().map(|(_, c)| c.len()).sum();
    let parsed = diff::parse(&patch_text).unwrap();
    let changes = ChangeSet::from_patch(&parsed).unwrap();

    // Both tools must produce the same tree, or the comparison means nothing.
    write_files(&scratch, &files);
    let report = mgx_patch::apply(
        &scratch,
        &changes,
        &ApplyOptions {
            backup: false,
            ..ApplyOptions::default()
        },
    )
    .unwrap();
    assert_eq!(report.status, ApplyStatus::Applied);
    let ours: Vec<String> = files
        .iter()
        .map(|(n, _)| fs::read_to_string(scratch.join(n)).unwrap())
        .collect();
    let gnu = gnu_patch_available();
    if gnu {
        write_files(&scratch, &files);
        gnu_patch(&scratch, &diff_file);
        let theirs: Vec<String> = files
            .iter()
            .map(|(n, _)| fs::read_to_string(scratch.join(n)).unwrap())
            .collect();
        assert_eq!(ours, theirs, "mgx-patch and GNU patch disagree");
    } else {
        eprintln!("GNU patch not found: the baseline is skipped");
    }

    let mut group = c.benchmark_group(group_name);
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("mgx_place_in_memory", |b| {
        b.iter(|| {
            for (file, (_, content)) in parsed.files.iter().zip(&files) {
                black_box(place(content, &file.hunks));
            }
        })
    });
    group.bench_function("mgx_apply_on_disk", |b| {
        b.iter_batched(
            || write_files(&scratch, &files),
            |()| {
                let options = ApplyOptions {
                    backup: false,
                    ..ApplyOptions::default()
                };
                // Parsing is part of the run, as it is for GNU patch.
                let changes = ChangeSet::from_diff(&patch_text).unwrap();
                black_box(mgx_patch::apply(&scratch, &changes, &options).unwrap())
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("mgx_apply_on_disk_no_fsync", |b| {
        b.iter_batched(
            || write_files(&scratch, &files),
            |()| {
                let options = ApplyOptions {
                    backup: false,
                    fsync: false,
                    ..ApplyOptions::default()
                };
                // Parsing is part of the run, as it is for GNU patch.
                let changes = ChangeSet::from_diff(&patch_text).unwrap();
                black_box(mgx_patch::apply(&scratch, &changes, &options).unwrap())
            },
            BatchSize::PerIteration,
        )
    });
    if gnu {
        group.bench_function("gnu_patch_on_disk", |b| {
            b.iter_batched(
                || write_files(&scratch, &files),
                |()| gnu_patch(&scratch, &diff_file),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
    let _ = fs::remove_dir_all(&scratch);
    let _ = fs::remove_file(&diff_file);
}

fn benches(c: &mut Criterion) {
    let (original, patch) = case("big.txt", 5000, 50);
    bench_case(
        c,
        "fifty_hunks_5000_lines",
        vec![("big.txt".into(), original)],
        patch,
    );

    let mut files = Vec::new();
    let mut patch = String::new();
    for i in 0..20 {
        let name = format!("f{i}.txt");
        let (original, p) = case(&name, 500, 5);
        files.push((name, original));
        patch.push_str(&p);
    }
    bench_case(c, "patch_set_20_files", files, patch);
}

criterion_group!(group, benches);
criterion_main!(group);
