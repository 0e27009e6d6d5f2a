//! The `mgx` Node.js module. napi-rs registers every `#[napi]` item; this file only declares the
//! binding files, one per core module, and `error.rs` maps core errors to JS errors with `code`.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod caches;
pub mod error;
pub mod guardrails;
pub(crate) mod jscall;
pub mod patch;
pub mod providers;
pub mod roles;
pub(crate) mod settle;
pub mod stacks;
pub mod team;

/// The addon's own allocations (runs, reports, prompts) come from mimalloc: the runtime's
/// threads allocate and free on each other's behalf, where glibc's malloc contends (see
/// "bindings-node" in `benches/README.md`). Node's and V8's memory is not affected.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
