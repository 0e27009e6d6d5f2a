//! Integration tests of mgx-guardrails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failed unwrap is a failed test

/// The FILE manifest parser: golden cases, every defect of the original as a regression test,
/// and the render/parse law.
mod manifest;
