//! `mgx-core` is the runtime of mgx: a caller hands it a task, and a team of agent roles (team
//! leader, engineer, tester, reviewer) analyses and plans it, waits for approval, writes code and
//! tests, reviews and revises, validates the output against the target stack and writes the
//! result to disk. It is the crate Rust programs link, and the one the Python and Node bindings
//! wrap.
//!
//! **Status:** the team runtime is not built yet. Today the crate re-exports the parts that
//! exist, so the bindings and the `mgx` command already go through it:
//!
//! - [`stacks`] — stack specs, inference and the JSON task contract (complete);
//! - [`guardrails`] — FILE-manifest parsing and output validation (complete);
//! - [`patch`] — diffs, safe hunk placement and transactional change sets on disk.
//!
//! ```
//! use mgx_core::stacks::{StackRegistry, TaskSpec};
//!
//! let task = TaskSpec::from_text("Create a FastAPI /health endpoint with tests")?;
//! let resolved = task.resolve_stack(StackRegistry::builtin())?;
//! assert_eq!(resolved.spec().map(|s| s.id.as_str()), Some("fastapi"));
//!
//! // The team will validate every answer of the engineer before it touches disk.
//! let answer = "FILE: app/main.py\nfrom fastapi import FastAPI\nFILE: requirements.txt\nfastapi\n";
//! let result = mgx_core::guardrails::validate(answer, resolved.spec(), &task.constraints, &Default::default());
//! assert!(result.is_valid(), "{}", result.summary());
//! # Ok::<(), mgx_core::stacks::Error>(())
//! ```
//!
//! It will hold the traits `LlmProvider`, `Role`, `Action`, `Cache` and `EventSink`, the
//! `TeamBuilder`, the providers (OpenAI-compatible HTTP, an offline scaffold provider, scripted
//! and record/replay), caches (memory LRU+TTL, Redis), events in one JSON shape, and the run
//! itself — async on tokio.
//!
//! # Crate features
//!
//! None yet.

// The README's Rust code runs as a doctest, so the README cannot drift from the API.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

pub use mgx_guardrails as guardrails;
pub use mgx_patch as patch;
pub use mgx_stacks as stacks;
