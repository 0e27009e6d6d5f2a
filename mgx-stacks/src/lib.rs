//! `mgx-stacks` is the catalogue of target stacks for mgx: what each stack is, how a project of
//! it is laid out, built and tested, the rules generated output must follow, and how to tell from
//! a task's text which stack it wants. It also defines the JSON task contract.
//!
//! It is pure and synchronous — no I/O beyond reading a stack file you name, no network — so a
//! CI tool or an editor plugin can use it without the agent runtime.
//!
//! ```
//! use mgx_stacks::{StackRegistry, TaskSpec};
//!
//! let registry = StackRegistry::builtin();
//!
//! // Look a stack up by id; a typo gets the closest ids in the error.
//! let fastapi = registry.get("fastapi")?;
//! assert_eq!(fastapi.test.as_ref().map(|t| t.framework.as_str()), Some("pytest"));
//! assert!(registry.get("fastapy").is_err());
//!
//! // Infer the stack from free text, with a confidence and the runners-up.
//! let inference = registry.infer("Build an Express API with JWT auth, not FastAPI");
//! assert_eq!(inference.stack.as_deref(), Some("express-ts"));
//! assert!(inference.is_confident());
//!
//! // When nothing fits, say so instead of guessing.
//! let inference = registry.infer("Build an Angular dashboard");
//! assert_eq!(inference.stack, None);
//! assert_eq!(inference.unsupported, ["angular"]);
//!
//! // The JSON task contract, strictly checked.
//! let task = TaskSpec::from_json(r#"{"task": "User CRUD API", "target_stack": "nestjs"}"#)?;
//! assert_eq!(task.resolve_stack(registry)?.spec().map(|s| s.name.as_str()), Some("Node.js + NestJS (TypeScript)"));
//! # Ok::<(), mgx_stacks::Error>(())
//! ```
//!
//! # Concepts
//!
//! - [`StackSpec`]: one stack — id, name, [`Category`], [`Language`], test framework, package
//!   manager, linter and formatter with their commands, layout, run commands, common
//!   dependencies, file extensions, the [`ValidationRules`] mgx-guardrails enforces, the
//!   [`PromptMaterial`] the team's prompts use and the [`InferenceHints`] inference scores.
//! - [`StackRegistry`]: the built-in stacks (the seventeen of the original system plus `django`,
//!   `flask`, `go-gin`, `rust-axum`, `rails`, `spring-boot`) in a stable order, plus stacks you
//!   register from JSON or TOML. The built-in specs are TOML files shipped in the crate's
//!   `stacks/` directory; they are the best template for your own.
//! - [`infer`]: word-aware, scored inference with negation; it returns the best stack, a
//!   confidence in `[0, 1]` and the candidates, or no stack with a note when nothing fits.
//! - [`TaskSpec`]: the task contract, from plain text or JSON; bad input is a typed [`Error`].
//! - [`stdlib`]: standard-library module names per language, for "no extra libraries" checks.
//! - [`paths`]: the path policy every written path must pass, shared by mgx-guardrails and mgx-patch.
//!
//! # Crate features
//!
//! None: the crate has no optional parts.

mod error;
pub mod infer;
pub mod paths;
mod registry;
mod spec;
pub mod stdlib;
mod task;

pub use error::{DataFormat, Error, Result};
pub use infer::{Candidate, Evidence, EvidenceKind, Inference};
pub use registry::{BUILTIN_IDS, StackRegistry};
pub use spec::{
    Category, InferenceHints, Language, LayoutEntry, PathPattern, PromptMaterial, RunCommands,
    ScaffoldFile, StackSpec, TestFramework, Tool, ValidationRules, dir_matches, path_matches,
};
pub use task::{OutputMode, ProjectType, ResolvedStack, TASK_FIELDS, TaskSpec};

/// The built-in stack with this id (a shortcut for `StackRegistry::builtin().get(id)`).
pub fn get_stack(id: &str) -> Result<&'static StackSpec> {
    StackRegistry::builtin().get(id)
}

/// The built-in stacks in registry order (a shortcut for `StackRegistry::builtin().iter()`).
pub fn stacks() -> impl ExactSizeIterator<Item = &'static StackSpec> {
    StackRegistry::builtin().iter()
}

/// Infer a built-in stack from free text (a shortcut for `StackRegistry::builtin().infer(text)`).
pub fn infer_stack(text: &str) -> Inference {
    StackRegistry::builtin().infer(text)
}
