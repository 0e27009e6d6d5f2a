//! The one error type of `mgx-stacks`.

use std::fmt;
use std::path::PathBuf;

/// Everything that can go wrong in `mgx-stacks`: unknown or malformed stacks, and bad task input.
///
/// Each variant carries the structured facts a caller needs to react (the id, the field, the
/// allowed values), and its message says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No stack has this id. Check the spelling against `closest`, or register the stack first.
    #[error("unknown stack `{id}`{}", DidYouMean(closest))]
    UnknownStack {
        /// The id that was asked for.
        id: String,
        /// Registered ids that look like it, closest first (at most three).
        closest: Vec<String>,
    },

    /// A stack with this id is registered already. Use `StackRegistry::register_or_replace` to
    /// replace it on purpose.
    #[error("stack `{id}` is already registered; use `register_or_replace` to replace it")]
    DuplicateStack {
        /// The id registered twice.
        id: String,
    },

    /// A stack spec breaks a rule of the spec format (see `StackSpec::validate`). Fix the named field.
    #[error("invalid stack spec `{id}`: field `{field}` {reason}")]
    InvalidSpec {
        /// The id of the spec (empty when the id itself is missing).
        id: String,
        /// The field at fault, dotted for nested fields (`rules.required_files`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },

    /// Stack data could not be parsed. The message comes from the JSON or TOML parser and names
    /// the line and column.
    #[error("cannot parse stack data as {format}: {message}")]
    ParseSpec {
        /// The data format that was expected.
        format: DataFormat,
        /// The parser's message, with position where the parser knows it.
        message: String,
    },

    /// A stack file could not be read.
    #[error("cannot read `{}`", path.display())]
    Io {
        /// The file that was read.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },

    /// The task text is empty or only white space. Describe what the team should build.
    #[error("`task` must not be empty: describe what the team should build")]
    EmptyTask,

    /// The task JSON has a field the contract does not know. Remove it or fix its spelling.
    #[error(
        "unknown field `{field}` in the task; allowed fields: {}",
        Listed(allowed)
    )]
    UnknownField {
        /// The unknown field.
        field: String,
        /// Every field the contract allows.
        allowed: Vec<&'static str>,
    },

    /// A field of the task has a value outside its allowed set.
    #[error(
        "field `{field}` has the unknown value `{value}`; allowed: {}",
        Listed(allowed)
    )]
    InvalidValue {
        /// The field at fault.
        field: &'static str,
        /// The value given.
        value: String,
        /// The allowed values.
        allowed: Vec<&'static str>,
    },

    /// A field of the task has the wrong JSON type.
    #[error("field `{field}` must be {expected}, found {found}")]
    WrongType {
        /// The field at fault (`constraints[2]` for an array element).
        field: String,
        /// The JSON type the contract wants.
        expected: &'static str,
        /// The JSON type found.
        found: &'static str,
    },

    /// A required field of the task is absent.
    #[error("missing field `{field}` in the task")]
    MissingField {
        /// The missing field.
        field: &'static str,
    },

    /// `output_mode` is `patch_existing` but no `existing_project_path` says which project to patch.
    #[error("`existing_project_path` is required when `output_mode` is `patch_existing`")]
    MissingProjectPath,

    /// The task text is not valid JSON (or not a JSON object).
    #[error("the task is not valid JSON: {message} (line {line}, column {column})")]
    InvalidJson {
        /// The JSON parser's message.
        message: String,
        /// 1-based line of the error (0 when unknown).
        line: usize,
        /// 1-based column of the error (0 when unknown).
        column: usize,
    },
}

/// The data formats stack specs can be registered from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataFormat {
    /// JSON: one spec object, or an array of them.
    Json,
    /// TOML: one spec table, or `[[stack]]` tables.
    Toml,
}

impl fmt::Display for DataFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DataFormat::Json => "JSON",
            DataFormat::Toml => "TOML",
        })
    }
}

impl Error {
    /// A short, stable, machine-readable name of the error kind (`unknown_stack`, `empty_task` …),
    /// the same string the Python and Node bindings expose.
    pub fn code(&self) -> &'static str {
        match self {
            Error::UnknownStack { .. } => "unknown_stack",
            Error::DuplicateStack { .. } => "duplicate_stack",
            Error::InvalidSpec { .. } => "invalid_spec",
            Error::ParseSpec { .. } => "parse_spec",
            Error::Io { .. } => "io",
            Error::EmptyTask => "empty_task",
            Error::UnknownField { .. } => "unknown_field",
            Error::InvalidValue { .. } => "invalid_value",
            Error::WrongType { .. } => "wrong_type",
            Error::MissingField { .. } => "missing_field",
            Error::MissingProjectPath => "missing_project_path",
            Error::InvalidJson { .. } => "invalid_json",
        }
    }

    /// Whether the error is about the task input (as opposed to stack data or I/O).
    pub fn is_task_error(&self) -> bool {
        matches!(
            self,
            Error::EmptyTask
                | Error::UnknownField { .. }
                | Error::InvalidValue { .. }
                | Error::WrongType { .. }
                | Error::MissingField { .. }
                | Error::MissingProjectPath
                | Error::InvalidJson { .. }
        )
    }
}

struct DidYouMean<'a>(&'a [String]);

impl fmt::Display for DidYouMean<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            [] => Ok(()),
            [one] => write!(f, "; did you mean `{one}`?"),
            many => {
                f.write_str("; did you mean one of ")?;
                for (i, id) in many.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "`{id}`")?;
                }
                f.write_str("?")
            }
        }
    }
}

struct Listed<'a>(&'a [&'static str]);

impl fmt::Display for Listed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "`{item}`")?;
        }
        Ok(())
    }
}

/// The result type of `mgx-stacks`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_stack_message_lists_closest_ids() {
        let e = Error::UnknownStack {
            id: "fastapy".into(),
            closest: vec!["fastapi".into()],
        };
        assert_eq!(
            e.to_string(),
            "unknown stack `fastapy`; did you mean `fastapi`?"
        );
        let e = Error::UnknownStack {
            id: "x".into(),
            closest: vec![],
        };
        assert_eq!(e.to_string(), "unknown stack `x`");
        let e = Error::UnknownStack {
            id: "go".into(),
            closest: vec!["go-gin".into(), "go-fiber".into()],
        };
        assert_eq!(
            e.to_string(),
            "unknown stack `go`; did you mean one of `go-gin`, `go-fiber`?"
        );
    }

    #[test]
    fn invalid_value_message_lists_allowed_values() {
        let e = Error::InvalidValue {
            field: "output_mode",
            value: "overwrite".into(),
            allowed: vec!["generate_new", "patch_existing"],
        };
        assert_eq!(
            e.to_string(),
            "field `output_mode` has the unknown value `overwrite`; allowed: `generate_new`, `patch_existing`"
        );
        assert_eq!(e.code(), "invalid_value");
        assert!(e.is_task_error());
    }
}
