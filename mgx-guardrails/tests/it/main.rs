//! Integration tests of mgx-guardrails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failed unwrap is a failed test

/// The FILE manifest parser: golden cases, every defect of the original as a regression test,
/// and the render/parse law.
mod manifest;
mod starters;

/// The validator: every rule, and each misfire of the original (reference §2, §11.5) as a
/// regression test that now passes.
mod validate;
