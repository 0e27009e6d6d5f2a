//! Integration tests of mgx-patch.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failed unwrap is a failed test

/// Change sets on disk: transactions, modes, dry run, backups, path safety.
mod apply;
/// Crash safety: a child killed at random points; recover() gives all-old or all-new.
#[cfg(feature = "crash-points")]
mod crash;
/// Damaged, LLM-like diffs with known right answers (shared with `benches/damaged.rs`).
mod damage;
/// mgx-patch on damaged diffs: right or refused, never wrong.
mod damaged;
/// The diff parser: every real form, and each parsing defect of the original as a regression.
mod parse;
/// Hunk placement: offsets, normalisation, reduced context, ambiguity, already applied.
mod place;
/// Laws: apply(a, diff(a, b)) == b.
mod properties;
/// Reading a tree back (shared with `benches/releases.rs`).
mod tree;
