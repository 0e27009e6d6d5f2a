//! `mgx-guardrails` checks what a model generated before it may touch a project: it parses the
//! FILE manifest (`FILE: path` followed by the file's content) and validates the files against
//! the target stack's rules from [`mgx_stacks`] and the task's constraints.
//!
//! It is pure and synchronous — no I/O, no network — so the same checks run in the agent
//! runtime, in a CI job or in an editor.
//!
//! ```
//! use mgx_guardrails::{parse, validate, FindingCode, Options};
//! use mgx_stacks::get_stack;
//!
//! let output = "FILE: app/main.py\n```python\nimport logging\nfrom fastapi import FastAPI\nfrom app.config import settings\n\
//!               app = FastAPI()\n```\nFILE: requirements.txt\n```\nfastapi\nuvicorn\npython-dotenv\n```\n";
//! let manifest = parse(output);
//! assert_eq!(manifest.files.len(), 2);
//!
//! // `logging` is the standard library and `app` the project's own package: not "extra".
//! let stack = get_stack("fastapi")?;
//! let result = validate(output, Some(stack), &["No extra libraries"], &Options::default());
//! assert!(result.is_valid(), "{}", result.summary());
//! assert!(result.has(FindingCode::MissingRecommendedFile)); // .env.example, tests: warnings
//!
//! // Strict mode refuses prose anywhere, not only before the first file.
//! let strict = validate(&format!("{output}Hope this helps!\n"), Some(stack), &[] as &[&str], &Options::strict(true));
//! assert!(strict.has(FindingCode::ProseOutsideFiles));
//! # Ok::<(), mgx_stacks::Error>(())
//! ```
//!
//! # Concepts
//!
//! - [`manifest`]: one parser for the FILE manifest, fence-aware, content kept exactly, prose
//!   and duplicates reported; [`render`] writes a manifest back.
//! - [`validate()`]: every rule in one pass over the files, returning a [`ValidationResult`] of
//!   [`Finding`]s, each with a stable [`FindingCode`], a message, and the path and line it
//!   concerns, in a deterministic order.
//! - [`imports`]: per-language import extraction that skips comments and strings, for forbidden
//!   imports and "no extra libraries".
//! - [`constraints`]: task constraints understood with negation and synonyms.
//! - [`minified`]: a detector for minified or malformed code that knows strings, comments and
//!   data files.
//! - [`build_revision_prompt`]: the feedback prompt for the auto-revision loop.
//!
//! # Crate features
//!
//! None: the crate has no optional parts.

pub mod constraints;
pub mod deps;
mod error;
pub mod imports;
pub mod manifest;
pub mod minified;
mod revision;
mod validate;

pub use constraints::{Constraint, PackageManager};
pub use error::{Error, text};
pub use manifest::{Duplicate, Manifest, ManifestFile, ProseSpan, parse, parse_bytes, render};
pub use mgx_stacks as stacks;
pub use revision::build_revision_prompt;
pub use validate::{
    Finding, FindingCode, Options, Severity, ValidationResult, Validator, validate,
};
