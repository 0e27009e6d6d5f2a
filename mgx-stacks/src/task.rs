//! The task contract: what a caller hands mgx, as plain text or as the JSON task format.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::infer::Inference;
use crate::registry::StackRegistry;
use crate::spec::StackSpec;

/// A task for the team, in the JSON task contract:
///
/// ```json
/// {
///   "task": "Create a REST API for user management",
///   "target_stack": "fastapi",
///   "project_type": "api",
///   "output_mode": "generate_new",
///   "strict_requirements": true,
///   "constraints": ["Use Pydantic models", "Add JWT authentication"],
///   "existing_project_path": "./my-project"
/// }
/// ```
///
/// Only `task` is required; plain text is the minimal form ([`TaskSpec::from_text`]). Parsing is
/// strict: an unknown field, a value outside its set, a wrong type, an unknown stack or patch
/// mode without a project path is a typed [`Error`] that names the field and what is allowed.
/// `null` counts as absent.
///
/// ```
/// use mgx_stacks::{OutputMode, TaskSpec};
///
/// let task = TaskSpec::from_json(r#"{"task": "Add JWT auth", "target_stack": "express-ts",
///     "output_mode": "patch_existing", "existing_project_path": "./api"}"#)?;
/// assert_eq!(task.output_mode, OutputMode::PatchExisting);
///
/// let err = TaskSpec::from_json(r#"{"task": "x", "target_stack": "fastapy"}"#).unwrap_err();
/// assert_eq!(err.to_string(), "unknown stack `fastapy`; did you mean `fastapi`?");
/// # Ok::<(), mgx_stacks::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Value")]
pub struct TaskSpec {
    /// What the team should build (trimmed, never empty).
    pub task: String,
    /// The stack id, or `None` to infer it from the task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_stack: Option<String>,
    /// The kind of project, if the caller says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_type: Option<ProjectType>,
    /// Whether to generate a new project or patch an existing one.
    pub output_mode: OutputMode,
    /// Whether the code must come as a strict FILE manifest with no prose.
    pub strict_requirements: bool,
    /// Extra requirements, one sentence each ("Use pnpm", "No extra libraries").
    pub constraints: Vec<String>,
    /// The project to patch (required in [`OutputMode::PatchExisting`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing_project_path: Option<PathBuf>,
}

/// The kind of project a task asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProjectType {
    /// A backend API.
    Api,
    /// A web application.
    Webapp,
    /// Front end and back end.
    Fullstack,
    /// Infrastructure (containers, CI/CD).
    Devops,
}

/// Whether the team writes a new project or patches an existing one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OutputMode {
    /// Write a new project under an output directory (the default).
    #[default]
    GenerateNew,
    /// Change an existing project through a transactional patch.
    PatchExisting,
}

impl ProjectType {
    /// Every value as written in the contract.
    pub const NAMES: [&'static str; 4] = ["api", "webapp", "fullstack", "devops"];

    /// The value as written in the contract.
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectType::Api => "api",
            ProjectType::Webapp => "webapp",
            ProjectType::Fullstack => "fullstack",
            ProjectType::Devops => "devops",
        }
    }

    fn parse(value: &str) -> Option<ProjectType> {
        match value {
            "api" => Some(ProjectType::Api),
            "webapp" => Some(ProjectType::Webapp),
            "fullstack" => Some(ProjectType::Fullstack),
            "devops" => Some(ProjectType::Devops),
            _ => None,
        }
    }
}

impl OutputMode {
    /// Every value as written in the contract.
    pub const NAMES: [&'static str; 2] = ["generate_new", "patch_existing"];

    /// The value as written in the contract.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputMode::GenerateNew => "generate_new",
            OutputMode::PatchExisting => "patch_existing",
        }
    }

    fn parse(value: &str) -> Option<OutputMode> {
        match value {
            "generate_new" => Some(OutputMode::GenerateNew),
            "patch_existing" => Some(OutputMode::PatchExisting),
            _ => None,
        }
    }
}

impl fmt::Display for ProjectType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for OutputMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The fields of the task contract, in documentation order.
pub const TASK_FIELDS: [&str; 7] = [
    "task",
    "target_stack",
    "project_type",
    "output_mode",
    "strict_requirements",
    "constraints",
    "existing_project_path",
];

/// How the stack of a task was settled.
#[derive(Debug, Clone, PartialEq)]
pub enum ResolvedStack<'r> {
    /// The task named its stack.
    Explicit(&'r StackSpec),
    /// The stack was inferred from the task text; `spec` is `None` when nothing fits, and the
    /// inference says why.
    Inferred {
        /// The inferred stack, if any.
        spec: Option<&'r StackSpec>,
        /// The full inference: confidence, candidates, note.
        inference: Inference,
    },
}

impl<'r> ResolvedStack<'r> {
    /// The stack, if one was named or inferred.
    pub fn spec(&self) -> Option<&'r StackSpec> {
        match self {
            ResolvedStack::Explicit(spec) => Some(spec),
            ResolvedStack::Inferred { spec, .. } => *spec,
        }
    }

    /// 1.0 for an explicit stack, the inference's confidence otherwise.
    pub fn confidence(&self) -> f64 {
        match self {
            ResolvedStack::Explicit(_) => 1.0,
            ResolvedStack::Inferred { inference, .. } => inference.confidence,
        }
    }
}

impl TaskSpec {
    /// The minimal form: a plain-text task with every other field at its default.
    pub fn from_text(text: &str) -> Result<TaskSpec> {
        let task = text.trim();
        if task.is_empty() {
            return Err(Error::EmptyTask);
        }
        Ok(TaskSpec {
            task: task.to_string(),
            target_stack: None,
            project_type: None,
            output_mode: OutputMode::GenerateNew,
            strict_requirements: false,
            constraints: Vec::new(),
            existing_project_path: None,
        })
    }

    /// Parse the JSON task contract, checking `target_stack` against the built-in stacks.
    pub fn from_json(text: &str) -> Result<TaskSpec> {
        TaskSpec::from_json_in(text, StackRegistry::builtin())
    }

    /// Parse the JSON task contract, checking `target_stack` against `registry`.
    pub fn from_json_in(text: &str, registry: &StackRegistry) -> Result<TaskSpec> {
        let value: Value = serde_json::from_str(text).map_err(|e| Error::InvalidJson {
            message: strip_position(&e.to_string()),
            line: e.line(),
            column: e.column(),
        })?;
        let spec = TaskSpec::from_value(value)?;
        spec.check_stack(registry)?;
        Ok(spec)
    }

    /// Either form: text that starts with `{` is the JSON contract, anything else a plain task.
    pub fn parse(input: &str) -> Result<TaskSpec> {
        TaskSpec::parse_in(input, StackRegistry::builtin())
    }

    /// Either form, checking `target_stack` against `registry`.
    pub fn parse_in(input: &str, registry: &StackRegistry) -> Result<TaskSpec> {
        if input.trim_start().starts_with('{') {
            TaskSpec::from_json_in(input, registry)
        } else {
            TaskSpec::from_text(input)
        }
    }

    /// Build from a JSON value (the shape checks only; see [`TaskSpec::check_stack`]).
    pub fn from_value(value: Value) -> Result<TaskSpec> {
        let Value::Object(mut map) = value else {
            return Err(Error::WrongType {
                field: "(task)".into(),
                expected: "a JSON object or plain text",
                found: type_name(&value),
            });
        };
        if let Some(field) = map.keys().find(|k| !TASK_FIELDS.contains(&k.as_str())) {
            return Err(Error::UnknownField {
                field: field.clone(),
                allowed: TASK_FIELDS.to_vec(),
            });
        }
        let task = match take_string(&mut map, "task")? {
            Some(task) => task,
            None => return Err(Error::MissingField { field: "task" }),
        };
        let mut spec = TaskSpec::from_text(&task)?;
        spec.target_stack = take_string(&mut map, "target_stack")?.map(|s| s.trim().to_string());
        if let Some(value) = take_string(&mut map, "project_type")? {
            spec.project_type =
                Some(
                    ProjectType::parse(value.trim()).ok_or_else(|| Error::InvalidValue {
                        field: "project_type",
                        value,
                        allowed: ProjectType::NAMES.to_vec(),
                    })?,
                );
        }
        if let Some(value) = take_string(&mut map, "output_mode")? {
            spec.output_mode =
                OutputMode::parse(value.trim()).ok_or_else(|| Error::InvalidValue {
                    field: "output_mode",
                    value,
                    allowed: OutputMode::NAMES.to_vec(),
                })?;
        }
        match map.remove("strict_requirements") {
            None | Some(Value::Null) => {}
            Some(Value::Bool(b)) => spec.strict_requirements = b,
            Some(other) => {
                return Err(Error::WrongType {
                    field: "strict_requirements".into(),
                    expected: "a boolean",
                    found: type_name(&other),
                });
            }
        }
        match map.remove("constraints") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.into_iter().enumerate() {
                    match item {
                        Value::String(s) if !s.trim().is_empty() => {
                            spec.constraints.push(s.trim().to_string())
                        }
                        Value::String(_) => {
                            return Err(Error::WrongType {
                                field: format!("constraints[{i}]"),
                                expected: "a non-empty string",
                                found: "an empty string",
                            });
                        }
                        other => {
                            return Err(Error::WrongType {
                                field: format!("constraints[{i}]"),
                                expected: "a string",
                                found: type_name(&other),
                            });
                        }
                    }
                }
            }
            Some(other) => {
                return Err(Error::WrongType {
                    field: "constraints".into(),
                    expected: "an array of strings",
                    found: type_name(&other),
                });
            }
        }
        spec.existing_project_path = take_string(&mut map, "existing_project_path")?
            .filter(|p| !p.trim().is_empty())
            .map(PathBuf::from);
        spec.check_mode()?;
        Ok(spec)
    }

    /// Check `target_stack` (if set) against `registry`: an unknown id is
    /// [`Error::UnknownStack`] with the closest ids.
    pub fn check_stack(&self, registry: &StackRegistry) -> Result<()> {
        match &self.target_stack {
            Some(id) => registry.get(id).map(|_| ()),
            None => Ok(()),
        }
    }

    /// Settle the stack: the named one, else inference over the task text.
    ///
    /// ```
    /// use mgx_stacks::{StackRegistry, TaskSpec};
    /// let task = TaskSpec::from_text("Create a FastAPI /health endpoint with tests")?;
    /// let resolved = task.resolve_stack(StackRegistry::builtin())?;
    /// assert_eq!(resolved.spec().map(|s| s.id.as_str()), Some("fastapi"));
    /// # Ok::<(), mgx_stacks::Error>(())
    /// ```
    pub fn resolve_stack<'r>(&self, registry: &'r StackRegistry) -> Result<ResolvedStack<'r>> {
        match &self.target_stack {
            Some(id) => Ok(ResolvedStack::Explicit(registry.get(id)?)),
            None => {
                let inference = registry.infer(&self.task);
                let spec = inference.stack.as_deref().and_then(|id| registry.find(id));
                Ok(ResolvedStack::Inferred { spec, inference })
            }
        }
    }

    /// The task as JSON in the contract's shape (absent optional fields left out).
    pub fn to_json(&self) -> String {
        // Serialising plain strings, booleans and enums into a `String` cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    fn check_mode(&self) -> Result<()> {
        if self.output_mode == OutputMode::PatchExisting && self.existing_project_path.is_none() {
            return Err(Error::MissingProjectPath);
        }
        Ok(())
    }
}

impl TryFrom<Value> for TaskSpec {
    type Error = Error;

    fn try_from(value: Value) -> Result<Self> {
        TaskSpec::from_value(value)
    }
}

fn take_string(map: &mut Map<String, Value>, field: &'static str) -> Result<Option<String>> {
    match map.remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(Error::WrongType {
            field: field.into(),
            expected: "a string",
            found: type_name(&other),
        }),
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// serde_json appends " at line L column C"; the error carries them as fields instead.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_from_minimal_json() {
        let t = TaskSpec::from_json(r#"{"task": "  Build a todo API  "}"#).unwrap();
        assert_eq!(t, TaskSpec::from_text("Build a todo API").unwrap());
        assert_eq!(t.output_mode, OutputMode::GenerateNew);
        assert!(!t.strict_requirements);
    }

    #[test]
    fn serde_round_trip() {
        let t = TaskSpec::from_json(
            r#"{"task":"x","target_stack":"nextjs","project_type":"webapp","strict_requirements":true,
                "constraints":["Use App Router"],"output_mode":"patch_existing","existing_project_path":"./app"}"#,
        )
        .unwrap();
        let back: TaskSpec = serde_json::from_str(&t.to_json()).unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn json_errors_carry_position() {
        match TaskSpec::from_json("{\"task\": \n 12,}") {
            Err(Error::InvalidJson { line: 2, .. }) => {}
            other => panic!("{other:?}"),
        }
    }
}
