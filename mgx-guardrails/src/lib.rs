//! `mgx-guardrails` checks what a model generated before it may touch a project: it parses the
//! FILE manifest (`FILE: path` followed by the file's content) and validates the files against
//! the target stack's rules from [`mgx_stacks`].
//!
//! **Status:** this crate is a placeholder in the workspace layout; it exports the stack types it
//! builds on and nothing of its own yet. It will hold, pure and synchronous:
//!
//! - one fence-aware manifest parser that keeps content byte-exact and reports prose and
//!   duplicates, with a renderer (parse ∘ render = identity);
//! - a validator with stable finding codes: the shared path policy, required and forbidden
//!   files matched by real path, forbidden imports and "no extra libraries" per language on code
//!   only (never prose), constraints with negation, mixed-stack warnings, a minified-code
//!   detector, and a revision-prompt builder.
//!
//! The rules it will enforce are already data in each [`mgx_stacks::StackSpec::rules`]:
//!
//! ```
//! let rules = &mgx_guardrails::stacks::get_stack("fastapi")?.rules;
//! assert!(rules.required_files.iter().any(|f| f.contains("app/main.py")));
//! # Ok::<(), mgx_stacks::Error>(())
//! ```
//!
//! # Crate features
//!
//! None yet.

pub use mgx_stacks as stacks;
