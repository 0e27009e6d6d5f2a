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
//! └── PatchError
//!     ├── MalformedPatchError      (.line)
//!     ├── UnsafePathError          (.path, .violation)
//!     ├── SymlinkEscapeError       (.path)
//!     ├── BinaryPatchError         (.path)
//!     ├── JournalError             (.path)
//!     └── NoSuchBackupError        (.run)
//! ```
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
