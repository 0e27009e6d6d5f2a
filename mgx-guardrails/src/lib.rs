//! `mgx-guardrails` checks what a model generated before it may touch a project: it parses the
//! FILE manifest (`FILE: path` followed by the file's content) and validates the files against
//! the target stack's rules from [`mgx_stacks`] and the task's constraints.
//!
//! It is pure and synchronous — no I/O, no network — so the same checks run in the agent
//! runtime, in a CI job or in an editor.
//!
//! ```
//! use mgx_guardrails::parse;
//!
//! let output = "FILE: app/main.py\n```python\nfrom fastapi import FastAPI\napp = FastAPI()\n```\n\
//!               FILE: requirements.txt\nfastapi\nuvicorn\n";
//! let manifest = parse(output);
//! assert_eq!(manifest.files.len(), 2);
//! ```
//!
//! # Concepts
//!
//! - [`manifest`]: one parser for the FILE manifest, fence-aware, content kept exactly, prose
//!   and duplicates reported; [`render`] writes a manifest back.
//! - [`validate`]: every rule in one pass over the files, returning a [`ValidationResult`] of
//!   [`Finding`]s, each with a stable [`FindingCode`], a message, and the path and line it
//!   concerns, in a deterministic order.
//! - [`imports`]: per-language import extraction that skips comments and strings, for forbidden
//!   imports and "no extra libraries".
//! - [`constraints`]: task constraints understood with negation and synonyms.
//! - [`minified`]: a detector for minified or malformed code that knows strings, comments and
//!   data files.
//! - [`revision_prompt`]: the feedback prompt for the auto-revision loop.
//!
//! # Crate features
//!
//! None: the crate has no optional parts.

mod error;
pub mod manifest;

pub use error::Error;
pub use manifest::{Duplicate, Manifest, ManifestFile, ProseSpan, parse, parse_bytes, render};
pub use mgx_stacks as stacks;
