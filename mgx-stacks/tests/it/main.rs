//! Integration tests of mgx-stacks, one module per concern.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failed unwrap is a failed test

/// The built-in catalogue: every stack complete, every stack with rules.
mod catalogue;
/// Stack inference: the labelled set with its accuracy, the original's misfires, negation.
mod inference;
/// Property tests: inference and task parsing never panic and keep their invariants.
mod properties;
/// The registry: lookup, stable order, registering stacks from JSON and TOML.
mod registry;
/// The JSON task contract: defaults, and a typed error for each kind of bad input.
mod task;
