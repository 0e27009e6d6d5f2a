//! Each core error kind is its own Python exception class under one `MgxError` base.
//!
//! ```text
//! MgxError
//! ├── StackError
//! │   ├── UnknownStackError        (.id, .closest)
//! │   ├── DuplicateStackError      (.id)
//! │   ├── InvalidStackSpecError    (.id, .field, .reason)
//! │   └── StackParseError          (.format)
//! ├── TaskError
//! │   ├── EmptyTaskError
//! │   ├── UnknownFieldError        (.field, .allowed)
//! │   ├── InvalidValueError        (.field, .value, .allowed)
//! │   ├── WrongTypeError           (.field, .expected, .found)
//! │   ├── MissingFieldError        (.field)
//! │   ├── MissingProjectPathError
//! │   └── InvalidJsonError         (.line, .column)
//! ├── MgxIOError                   (.path)
//! ├── InvalidUtf8Error             (.offset, .line)
//! ├── PatchError
//! │   ├── MalformedPatchError      (.line)
//! │   ├── UnsafePathError          (.path, .violation)
//! │   ├── SymlinkEscapeError       (.path)
//! │   ├── BinaryPatchError         (.path)
//! │   ├── JournalError             (.path)
//! │   ├── NoSuchBackupError        (.run)
//! │   └── ApplyError               writing a run's result failed; nothing was half-written
//! ├── ProviderError                a provider failed (`__cause__`: a Python provider's exception)
//! │   ├── ProviderStatusError      (.status, .retryable, .attempts)
//! │   ├── RateLimitError           (.retry_after, .attempts)
//! │   ├── ProviderTimeoutError     (.stage, .attempts)
//! │   ├── ProviderConnectionError  (.attempts)
//! │   ├── MalformedResponseError
//! │   ├── IncompleteStreamError    (.chunks)
//! │   └── ScriptedError
//! ├── CassetteError                (.path)
//! │   └── CassetteMissError        (.path, .key, .request)
//! ├── ConfigError
//! ├── RoleError                    a role written in Python raised (`__cause__`: its exception; .role)
//! ├── CacheError
//! ├── BudgetExceededError
//! ├── UnreadableOutputError        (.what)
//! ├── ValidationError              (.attempts, .summary)
//! ├── RejectedError                the plan or change set was rejected (.reason)
//! ├── CancelledError
//! └── ApprovalTimeoutError         (.seconds)
//! ```
//!
//! A run's own failure (`Error::Task`) raises `TaskError`; `Error::Io` raises `MgxIOError`.
//!
//! Every instance has `.code`, the core's stable error code (`unknown_stack` …).

use pyo3::IntoPyObjectExt;
use pyo3::create_exception;
use pyo3::prelude::*;

use mgx_core::stacks::Error as StackErr;

create_exception!(
    mgx,
    MgxError,
    pyo3::exceptions::PyException,
    "The base of every mgx error."
);
create_exception!(
    mgx,
    StackError,
    MgxError,
    "A stack is unknown, duplicated or malformed."
);
create_exception!(
    mgx,
    UnknownStackError,
    StackError,
    "No stack has this id; `.closest` lists look-alikes."
);
create_exception!(
    mgx,
    DuplicateStackError,
    StackError,
    "A stack with this id is registered already."
);
create_exception!(
    mgx,
    InvalidStackSpecError,
    StackError,
    "A stack spec breaks a rule of the format."
);
create_exception!(
    mgx,
    StackParseError,
    StackError,
    "Stack data is not valid JSON or TOML for a spec."
);
create_exception!(mgx, TaskError, MgxError, "The task input is invalid.");
create_exception!(mgx, EmptyTaskError, TaskError, "The task text is empty.");
create_exception!(
    mgx,
    UnknownFieldError,
    TaskError,
    "The task JSON has a field the contract does not know."
);
create_exception!(
    mgx,
    InvalidValueError,
    TaskError,
    "A task field has a value outside its allowed set."
);
create_exception!(
    mgx,
    WrongTypeError,
    TaskError,
    "A task field has the wrong JSON type."
);
create_exception!(
    mgx,
    MissingFieldError,
    TaskError,
    "A required task field is absent."
);
create_exception!(
    mgx,
    MissingProjectPathError,
    TaskError,
    "Patch mode needs `existing_project_path`."
);
create_exception!(
    mgx,
    InvalidJsonError,
    TaskError,
    "The task is not valid JSON."
);
create_exception!(mgx, MgxIOError, MgxError, "A file could not be read.");
create_exception!(
    mgx,
    InvalidUtf8Error,
    MgxError,
    "Output bytes are not valid UTF-8; `.offset` and `.line` say where."
);

create_exception!(
    mgx,
    PatchError,
    MgxError,
    "A patch cannot be read or applied at all."
);
create_exception!(
    mgx,
    MalformedPatchError,
    PatchError,
    "The diff cannot be read at `.line`."
);
create_exception!(
    mgx,
    UnsafePathError,
    PatchError,
    "A path breaks the path policy; nothing was written."
);
create_exception!(
    mgx,
    SymlinkEscapeError,
    PatchError,
    "A path leaves the root through a symbolic link."
);
create_exception!(
    mgx,
    BinaryPatchError,
    PatchError,
    "The patch is binary; mgx applies text patches only."
);
create_exception!(
    mgx,
    JournalError,
    PatchError,
    "A journal of an interrupted apply cannot be read."
);
create_exception!(
    mgx,
    NoSuchBackupError,
    PatchError,
    "No backup run with this id."
);

create_exception!(
    mgx,
    ApplyError,
    PatchError,
    "Writing a run's result failed; nothing was half-written."
);
create_exception!(
    mgx,
    ProviderError,
    MgxError,
    "A model provider failed; a Python provider's own exception is the `__cause__`."
);
create_exception!(
    mgx,
    ProviderStatusError,
    ProviderError,
    "The server answered an error status (after retries when retryable)."
);
create_exception!(
    mgx,
    RateLimitError,
    ProviderError,
    "The server kept answering 429; `.retry_after` is its last requested wait in seconds."
);
create_exception!(
    mgx,
    ProviderTimeoutError,
    ProviderError,
    "A time limit of a provider call ran out; `.stage` says which."
);
create_exception!(
    mgx,
    ProviderConnectionError,
    ProviderError,
    "The connection to the server failed or was reset."
);
create_exception!(
    mgx,
    MalformedResponseError,
    ProviderError,
    "The server's answer is not what an OpenAI-compatible server sends."
);
create_exception!(
    mgx,
    IncompleteStreamError,
    ProviderError,
    "A stream ended without [DONE] or a finish reason."
);
create_exception!(
    mgx,
    ScriptedError,
    ProviderError,
    "A scripted provider has no answer left."
);
create_exception!(
    mgx,
    CassetteError,
    MgxError,
    "A cassette file cannot be read or written."
);
create_exception!(
    mgx,
    CassetteMissError,
    CassetteError,
    "Strict replay met a call the cassette has not recorded."
);
create_exception!(
    mgx,
    ConfigError,
    MgxError,
    "A configuration value is missing or invalid."
);
create_exception!(
    mgx,
    RoleError,
    MgxError,
    "A role's own code failed: a Python role raised (its exception is the `__cause__`) or answered with something that is not messages."
);
create_exception!(mgx, CacheError, MgxError, "A cache backend failed.");
create_exception!(
    mgx,
    BudgetExceededError,
    MgxError,
    "A call would have passed the run's budget; the run stopped instead."
);
create_exception!(
    mgx,
    UnreadableOutputError,
    MgxError,
    "A model's answer could not be read in the shape asked for, even when asked again."
);
create_exception!(
    mgx,
    ValidationError,
    MgxError,
    "Generated output kept failing validation after the allowed revisions."
);
create_exception!(
    mgx,
    RejectedError,
    MgxError,
    "The plan or the change set was rejected; nothing was written."
);
create_exception!(
    mgx,
    CancelledError,
    MgxError,
    "The run was cancelled; nothing was written."
);
create_exception!(
    mgx,
    ApprovalTimeoutError,
    MgxError,
    "Nobody approved or rejected in time."
);

/// The Python exception a Python provider raised, kept inside a core error so that it comes
/// back to the caller as the `__cause__` of the `ProviderError`, traceback and all.
#[derive(Debug)]
pub(crate) struct PyCause(pub(crate) PyErr);

impl std::fmt::Display for PyCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for PyCause {}

/// A core error carrying a Python exception raised by a Python provider the core called.
pub(crate) fn from_python(err: PyErr) -> mgx_core::Error {
    mgx_core::Error::Provider {
        message: exception_text(&err),
        cause: Some(std::sync::Arc::new(PyCause(err))),
    }
}

/// `ValueError: what it said`.
pub(crate) fn exception_text(err: &PyErr) -> String {
    crate::bridge::attach(|py| {
        let kind = err
            .get_type(py)
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "Exception".into());
        format!("{kind}: {}", err.value(py))
    })
    .unwrap_or_else(|| "a Python exception (the interpreter is exiting)".into())
}

/// Map a core error to its Python exception, with its fields as attributes; a Python
/// provider's exception becomes the `__cause__`.
pub(crate) fn core_err(err: &mgx_core::Error) -> PyErr {
    use mgx_core::Error as E;
    let message = err.to_string();
    let code = err.code();
    // From a runtime thread while the interpreter exits: the plain class, built lazily.
    let exiting = || MgxError::new_err(err.to_string());
    crate::bridge::attach(|py| {
        let (pyerr, attrs): (PyErr, Vec<Attr>) = match err {
            E::Status {
                status,
                retryable,
                attempts,
                ..
            } => (
                ProviderStatusError::new_err(message),
                vec![
                    ("status", status.into_py_any(py)),
                    ("retryable", retryable.into_py_any(py)),
                    ("attempts", attempts.into_py_any(py)),
                ],
            ),
            E::RateLimited {
                retry_after,
                attempts,
                ..
            } => (
                RateLimitError::new_err(message),
                vec![
                    (
                        "retry_after",
                        retry_after.map(|d| d.as_secs_f64()).into_py_any(py),
                    ),
                    ("attempts", attempts.into_py_any(py)),
                ],
            ),
            E::Timeout { stage, attempts } => (
                ProviderTimeoutError::new_err(message),
                vec![
                    ("stage", stage.to_string().into_py_any(py)),
                    ("attempts", attempts.into_py_any(py)),
                ],
            ),
            E::Connection { attempts, .. } => (
                ProviderConnectionError::new_err(message),
                vec![("attempts", attempts.into_py_any(py))],
            ),
            E::MalformedResponse { .. } => (MalformedResponseError::new_err(message), vec![]),
            E::IncompleteStream { chunks } => (
                IncompleteStreamError::new_err(message),
                vec![("chunks", chunks.into_py_any(py))],
            ),
            E::Config { .. } => (ConfigError::new_err(message), vec![]),
            E::CassetteMiss { path, key, request } => (
                CassetteMissError::new_err(message),
                vec![
                    ("path", path.display().to_string().into_py_any(py)),
                    ("key", key.into_py_any(py)),
                    ("request", request.into_py_any(py)),
                ],
            ),
            E::Cassette { path, .. } => (
                CassetteError::new_err(message),
                vec![("path", path.display().to_string().into_py_any(py))],
            ),
            E::Scripted { .. } => (ScriptedError::new_err(message), vec![]),
            E::Provider { .. } => (ProviderError::new_err(message), vec![]),
            E::Role { role, .. } => (
                RoleError::new_err(message),
                vec![("role", role.into_py_any(py))],
            ),
            E::Cache { .. } => (CacheError::new_err(message), vec![]),
            E::BudgetExceeded { .. } => (BudgetExceededError::new_err(message), vec![]),
            E::Unreadable { what, .. } => (
                UnreadableOutputError::new_err(message),
                vec![("what", what.into_py_any(py))],
            ),
            E::Invalid { attempts, summary } => (
                ValidationError::new_err(message),
                vec![
                    ("attempts", attempts.into_py_any(py)),
                    ("summary", summary.into_py_any(py)),
                ],
            ),
            E::Task { .. } => (TaskError::new_err(message), vec![]),
            E::Cancelled => (CancelledError::new_err(message), vec![]),
            E::ApprovalTimeout { seconds } => (
                ApprovalTimeoutError::new_err(message),
                vec![("seconds", seconds.into_py_any(py))],
            ),
            E::Apply { .. } => (ApplyError::new_err(message), vec![]),
            E::Io { path, .. } => (
                MgxIOError::new_err(message),
                vec![("path", path.display().to_string().into_py_any(py))],
            ),
            // The core enum is non-exhaustive: a kind added later still reaches Python as MgxError.
            _ => (MgxError::new_err(message), vec![]),
        };
        if let Some(cause) = err.cause().and_then(|c| c.downcast_ref::<PyCause>()) {
            pyerr.set_cause(py, Some(cause.0.clone_ref(py)));
        }
        with_attrs(py, pyerr, code, attrs)
    })
    .unwrap_or_else(exiting)
}

/// A rejected run's exception: `RejectedError` with the reason.
pub(crate) fn rejected(reason: Option<&str>) -> PyErr {
    let reason = reason.unwrap_or("rejected");
    Python::attach(|py| {
        with_attrs(
            py,
            RejectedError::new_err(reason.to_string()),
            "rejected",
            vec![("reason", reason.into_py_any(py))],
        )
    })
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("MgxError", py.get_type::<MgxError>())?;
    m.add("StackError", py.get_type::<StackError>())?;
    m.add("UnknownStackError", py.get_type::<UnknownStackError>())?;
    m.add("DuplicateStackError", py.get_type::<DuplicateStackError>())?;
    m.add(
        "InvalidStackSpecError",
        py.get_type::<InvalidStackSpecError>(),
    )?;
    m.add("StackParseError", py.get_type::<StackParseError>())?;
    m.add("TaskError", py.get_type::<TaskError>())?;
    m.add("EmptyTaskError", py.get_type::<EmptyTaskError>())?;
    m.add("UnknownFieldError", py.get_type::<UnknownFieldError>())?;
    m.add("InvalidValueError", py.get_type::<InvalidValueError>())?;
    m.add("WrongTypeError", py.get_type::<WrongTypeError>())?;
    m.add("MissingFieldError", py.get_type::<MissingFieldError>())?;
    m.add(
        "MissingProjectPathError",
        py.get_type::<MissingProjectPathError>(),
    )?;
    m.add("InvalidJsonError", py.get_type::<InvalidJsonError>())?;
    m.add("MgxIOError", py.get_type::<MgxIOError>())?;
    m.add("InvalidUtf8Error", py.get_type::<InvalidUtf8Error>())?;
    m.add("PatchError", py.get_type::<PatchError>())?;
    m.add("MalformedPatchError", py.get_type::<MalformedPatchError>())?;
    m.add("UnsafePathError", py.get_type::<UnsafePathError>())?;
    m.add("SymlinkEscapeError", py.get_type::<SymlinkEscapeError>())?;
    m.add("BinaryPatchError", py.get_type::<BinaryPatchError>())?;
    m.add("JournalError", py.get_type::<JournalError>())?;
    m.add("NoSuchBackupError", py.get_type::<NoSuchBackupError>())?;
    m.add("ApplyError", py.get_type::<ApplyError>())?;
    m.add("ProviderError", py.get_type::<ProviderError>())?;
    m.add("ProviderStatusError", py.get_type::<ProviderStatusError>())?;
    m.add("RateLimitError", py.get_type::<RateLimitError>())?;
    m.add(
        "ProviderTimeoutError",
        py.get_type::<ProviderTimeoutError>(),
    )?;
    m.add(
        "ProviderConnectionError",
        py.get_type::<ProviderConnectionError>(),
    )?;
    m.add(
        "MalformedResponseError",
        py.get_type::<MalformedResponseError>(),
    )?;
    m.add(
        "IncompleteStreamError",
        py.get_type::<IncompleteStreamError>(),
    )?;
    m.add("ScriptedError", py.get_type::<ScriptedError>())?;
    m.add("CassetteError", py.get_type::<CassetteError>())?;
    m.add("CassetteMissError", py.get_type::<CassetteMissError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("RoleError", py.get_type::<RoleError>())?;
    m.add("CacheError", py.get_type::<CacheError>())?;
    m.add("BudgetExceededError", py.get_type::<BudgetExceededError>())?;
    m.add(
        "UnreadableOutputError",
        py.get_type::<UnreadableOutputError>(),
    )?;
    m.add("ValidationError", py.get_type::<ValidationError>())?;
    m.add("RejectedError", py.get_type::<RejectedError>())?;
    m.add("CancelledError", py.get_type::<CancelledError>())?;
    m.add(
        "ApprovalTimeoutError",
        py.get_type::<ApprovalTimeoutError>(),
    )?;
    Ok(())
}

/// A structured attribute set on an exception instance.
type Attr = (&'static str, PyResult<Py<PyAny>>);

/// Map a core stack error to its Python exception, with the structured fields as attributes.
pub(crate) fn stack_err(err: StackErr) -> PyErr {
    let message = err.to_string();
    let code = err.code();
    Python::attach(|py| {
        let (pyerr, attrs): (PyErr, Vec<Attr>) = match err {
            StackErr::UnknownStack { id, closest } => (
                UnknownStackError::new_err(message),
                vec![
                    ("id", id.into_py_any(py)),
                    ("closest", closest.into_py_any(py)),
                ],
            ),
            StackErr::DuplicateStack { id } => (
                DuplicateStackError::new_err(message),
                vec![("id", id.into_py_any(py))],
            ),
            StackErr::InvalidSpec { id, field, reason } => (
                InvalidStackSpecError::new_err(message),
                vec![
                    ("id", id.into_py_any(py)),
                    ("field", field.into_py_any(py)),
                    ("reason", reason.into_py_any(py)),
                ],
            ),
            StackErr::ParseSpec { format, .. } => (
                StackParseError::new_err(message),
                vec![("format", format.to_string().into_py_any(py))],
            ),
            StackErr::Io { path, .. } => (
                MgxIOError::new_err(message),
                vec![("path", path.display().to_string().into_py_any(py))],
            ),
            StackErr::EmptyTask => (EmptyTaskError::new_err(message), vec![]),
            StackErr::UnknownField { field, allowed } => (
                UnknownFieldError::new_err(message),
                vec![
                    ("field", field.into_py_any(py)),
                    ("allowed", allowed.into_py_any(py)),
                ],
            ),
            StackErr::InvalidValue {
                field,
                value,
                allowed,
            } => (
                InvalidValueError::new_err(message),
                vec![
                    ("field", field.into_py_any(py)),
                    ("value", value.into_py_any(py)),
                    ("allowed", allowed.into_py_any(py)),
                ],
            ),
            StackErr::WrongType {
                field,
                expected,
                found,
            } => (
                WrongTypeError::new_err(message),
                vec![
                    ("field", field.into_py_any(py)),
                    ("expected", expected.into_py_any(py)),
                    ("found", found.into_py_any(py)),
                ],
            ),
            StackErr::MissingField { field } => (
                MissingFieldError::new_err(message),
                vec![("field", field.into_py_any(py))],
            ),
            StackErr::MissingProjectPath => (MissingProjectPathError::new_err(message), vec![]),
            StackErr::InvalidJson { line, column, .. } => (
                InvalidJsonError::new_err(message),
                vec![
                    ("line", line.into_py_any(py)),
                    ("column", column.into_py_any(py)),
                ],
            ),
            // The core enum is non-exhaustive: a kind added later still reaches Python as MgxError.
            _ => (MgxError::new_err(message), vec![]),
        };
        with_attrs(py, pyerr, code, attrs)
    })
}

/// Map a guardrails error to its Python exception.
pub(crate) fn guardrails_err(err: mgx_core::guardrails::Error) -> PyErr {
    let message = err.to_string();
    let code = err.code();
    Python::attach(|py| {
        let (pyerr, attrs): (PyErr, Vec<Attr>) = match err {
            mgx_core::guardrails::Error::InvalidUtf8 { offset, line } => (
                InvalidUtf8Error::new_err(message),
                vec![
                    ("offset", offset.into_py_any(py)),
                    ("line", line.into_py_any(py)),
                ],
            ),
            _ => (MgxError::new_err(message), vec![]),
        };
        with_attrs(py, pyerr, code, attrs)
    })
}

/// Set `.code` and the structured attributes on an exception instance.
fn with_attrs(py: Python<'_>, pyerr: PyErr, code: &str, attrs: Vec<Attr>) -> PyErr {
    let value = pyerr.value(py);
    let _ = value.setattr("code", code);
    for (name, attr) in attrs {
        if let Ok(attr) = attr {
            let _ = value.setattr(name, attr);
        }
    }
    pyerr
}

/// Map a patch error to its Python exception.
pub(crate) fn patch_err(err: mgx_core::patch::Error) -> PyErr {
    use mgx_core::patch::Error as E;
    let message = err.to_string();
    let code = err.code();
    Python::attach(|py| {
        let (pyerr, attrs): (PyErr, Vec<Attr>) = match err {
            E::MalformedPatch { line, .. } => (
                MalformedPatchError::new_err(message),
                vec![("line", line.into_py_any(py))],
            ),
            E::UnsafePath { path, violation } => (
                UnsafePathError::new_err(message),
                vec![
                    ("path", path.into_py_any(py)),
                    ("violation", violation.code().into_py_any(py)),
                ],
            ),
            E::SymlinkEscape { path } => (
                SymlinkEscapeError::new_err(message),
                vec![("path", path.into_py_any(py))],
            ),
            E::Binary { path } => (
                BinaryPatchError::new_err(message),
                vec![("path", path.into_py_any(py))],
            ),
            E::Io { path, .. } => (
                MgxIOError::new_err(message),
                vec![("path", path.display().to_string().into_py_any(py))],
            ),
            E::Journal { path, .. } => (
                JournalError::new_err(message),
                vec![("path", path.display().to_string().into_py_any(py))],
            ),
            E::NoSuchBackup { run, .. } => (
                NoSuchBackupError::new_err(message),
                vec![("run", run.into_py_any(py))],
            ),
            _ => (PatchError::new_err(message), vec![]),
        };
        with_attrs(py, pyerr, code, attrs)
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use mgx_core::Error as E;
    use pyo3::prelude::*;

    use super::*;

    /// Every kind of core error reaches Python as its own class, with `.code` and its fields.
    #[test]
    fn every_core_error_kind_maps_to_its_class() {
        let cases: Vec<(E, &str, &[&str])> = vec![
            (
                E::Status {
                    status: 503,
                    message: "down".into(),
                    retryable: true,
                    attempts: 3,
                },
                "ProviderStatusError",
                &["status", "retryable", "attempts"],
            ),
            (
                E::RateLimited {
                    message: "slow down".into(),
                    retry_after: Some(Duration::from_secs(2)),
                    attempts: 4,
                },
                "RateLimitError",
                &["retry_after", "attempts"],
            ),
            (
                E::Timeout {
                    stage: mgx_core::TimeoutStage::Request,
                    attempts: 1,
                },
                "ProviderTimeoutError",
                &["stage", "attempts"],
            ),
            (
                E::Connection {
                    message: "refused".into(),
                    attempts: 2,
                },
                "ProviderConnectionError",
                &["attempts"],
            ),
            (
                E::MalformedResponse {
                    message: "not JSON".into(),
                },
                "MalformedResponseError",
                &[],
            ),
            (
                E::IncompleteStream { chunks: 7 },
                "IncompleteStreamError",
                &["chunks"],
            ),
            (
                E::Config {
                    message: "no model".into(),
                },
                "ConfigError",
                &[],
            ),
            (
                E::CassetteMiss {
                    path: PathBuf::from("c.jsonl"),
                    key: "ab".into(),
                    request: "gpt: hi".into(),
                },
                "CassetteMissError",
                &["path", "key", "request"],
            ),
            (
                E::Cassette {
                    path: PathBuf::from("c.jsonl"),
                    message: "line 3".into(),
                },
                "CassetteError",
                &["path"],
            ),
            (
                E::Scripted {
                    message: "no answer left".into(),
                },
                "ScriptedError",
                &[],
            ),
            (E::provider("crashed"), "ProviderError", &[]),
            (
                E::Role {
                    role: "security_reviewer".into(),
                    message: "ValueError: no".into(),
                    cause: None,
                },
                "RoleError",
                &["role"],
            ),
            (
                E::Cache {
                    message: "down".into(),
                },
                "CacheError",
                &[],
            ),
            (
                E::BudgetExceeded {
                    message: "over".into(),
                },
                "BudgetExceededError",
                &[],
            ),
            (
                E::Unreadable {
                    what: "plan".into(),
                    message: "no JSON".into(),
                },
                "UnreadableOutputError",
                &["what"],
            ),
            (
                E::Invalid {
                    attempts: 3,
                    summary: "2 errors".into(),
                },
                "ValidationError",
                &["attempts", "summary"],
            ),
            (
                E::Task {
                    message: "empty".into(),
                },
                "TaskError",
                &[],
            ),
            (E::Cancelled, "CancelledError", &[]),
            (
                E::ApprovalTimeout { seconds: 300 },
                "ApprovalTimeoutError",
                &["seconds"],
            ),
            (
                E::Apply {
                    message: "disk full".into(),
                },
                "ApplyError",
                &[],
            ),
            (
                E::Io {
                    path: PathBuf::from("x"),
                    message: "denied".into(),
                },
                "MgxIOError",
                &["path"],
            ),
        ];
        Python::initialize();
        Python::attach(|py| {
            for (error, class, fields) in cases {
                let raised = core_err(&error);
                let value = raised.value(py);
                assert_eq!(
                    value.get_type().name().unwrap().to_string(),
                    class,
                    "{error:?}"
                );
                assert!(value.is_instance_of::<MgxError>());
                let code: String = value.getattr("code").unwrap().extract().unwrap();
                assert_eq!(code, error.code());
                for field in fields {
                    assert!(value.hasattr(*field).unwrap(), "{class}.{field}");
                }
            }
        });
    }

    /// A Python provider's exception comes back as the `__cause__`, the very same object.
    #[test]
    fn a_python_exception_is_the_cause() {
        Python::initialize();
        Python::attach(|py| {
            let original = pyo3::exceptions::PyKeyError::new_err("boom");
            let original_value = original.value(py).clone();
            let core = from_python(original);
            assert_eq!(core.code(), "provider");
            assert!(core.to_string().contains("KeyError"));
            let raised = core_err(&core);
            let cause = raised.cause(py).expect("a cause");
            assert!(cause.value(py).is(&original_value));
            assert!(raised.value(py).is_instance_of::<ProviderError>());
        });
    }
}
