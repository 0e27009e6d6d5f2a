//! Damaged, LLM-like diffs with known right answers, applied by mgx-patch, GNU patch and git
//! apply on the same cases (the generator is `tests/it/damage.rs`). Prints, per kind of damage,
//! how often each tool was right, refused, or wrote a wrong file.
//!
//! Run with `cargo bench -p mgx-patch --bench damaged` (100 cases per kind; under `cargo test`
//! it runs 3 per kind to check that it works).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark that cannot set up should stop loudly

#[path = "../tests/it/damage.rs"]
mod damage;

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use damage::{Case, KINDS, Outcome, Rng};

fn available(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Run an external tool on a case in `dir`; judge by the file it leaves.
fn external(case: &Case, dir: &Path, run: impl Fn(&Path, &Path) -> bool) -> Outcome {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join("f.rs"), &case.file).unwrap();
    let diff = dir.join("change.diff");
    fs::write(&diff, &case.diff).unwrap();
    let ok = run(dir, &diff);
    let now = fs::read_to_string(dir.join("f.rs")).unwrap_or_default();
    if now == case.expected {
        Outcome::Correct
    } else if now == case.file && !ok {
        Outcome::Refused
    } else {
        // Applied somewhere else, or left half-patched.
        Outcome::Wrong
    }
}

fn gnu_patch(dir: &Path, diff: &Path) -> bool {
    Command::new("patch")
        .args([
            "-p1",
            "--forward",
            "--batch",
            "--silent",
            "--no-backup-if-mismatch",
            "-r",
            "-",
            "-d",
        ])
        .arg(dir)
        .stdin(fs::File::open(diff).unwrap())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn git_apply(dir: &Path, diff: &Path) -> bool {
    Command::new("git")
        .args(["apply", "--recount"])
        .arg(diff)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let per_kind = if full { 100 } else { 3 };
    let corpus = damage::corpus();
    let scratch = std::env::temp_dir().join(format!("mgx-damaged-{}", std::process::id()));
    let (gnu, git) = (available("patch"), available("git"));
    let mut rng = Rng(0xDA3A_6ED0_1FF5_0001);
    let tools: Vec<&str> = ["mgx-patch"]
        .into_iter()
        .chain(gnu.then_some("GNU patch"))
        .chain(git.then_some("git apply"))
        .collect();
    // tool -> (right, refused, wrong)
    let mut totals = vec![(0usize, 0usize, 0usize); tools.len()];
    println!(
        "{:<20} {:<10} {:>6} {:>8} {:>6}",
        "damage", "tool", "right", "refused", "WRONG"
    );
    for kind in KINDS {
        let mut counts = vec![(0usize, 0usize, 0usize); tools.len()];
        let mut made = 0;
        while made < per_kind {
            let source = &corpus[rng.below(corpus.len())];
            let Some(case) = damage::make(source, kind, &mut rng) else {
                continue;
            };
            made += 1;
            let outcomes: Vec<Outcome> = tools
                .iter()
                .map(|tool| match *tool {
                    "mgx-patch" => damage::mgx(&case),
                    "GNU patch" => external(&case, &scratch, gnu_patch),
                    _ => external(&case, &scratch, git_apply),
                })
                .collect();
            for (c, o) in counts.iter_mut().zip(outcomes) {
                match o {
                    Outcome::Correct => c.0 += 1,
                    Outcome::Refused => c.1 += 1,
                    Outcome::Wrong => c.2 += 1,
                }
            }
        }
        for ((tool, c), t) in tools.iter().zip(&counts).zip(totals.iter_mut()) {
            println!("{kind:<20} {tool:<10} {:>6} {:>8} {:>6}", c.0, c.1, c.2);
            t.0 += c.0;
            t.1 += c.1;
            t.2 += c.2;
        }
    }
    let n = per_kind * KINDS.len();
    for (tool, t) in tools.iter().zip(&totals) {
        println!(
            "TOTAL {tool:<10} {n} cases: {} right ({:.1}%), {} refused, {} wrong ({:.1}%)",
            t.0,
            100.0 * t.0 as f64 / n as f64,
            t.1,
            t.2,
            100.0 * t.2 as f64 / n as f64
        );
    }
    assert_eq!(totals[0].2, 0, "mgx-patch wrote a wrong file");
    let _ = fs::remove_dir_all(&scratch);
}
