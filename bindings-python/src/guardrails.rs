//! Python types for `mgx_core::guardrails`: `Manifest`, `ValidationResult`, and the module
//! functions `parse_manifest`, `validate_output`, `build_revision_prompt`.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use mgx_core::guardrails as core;

use crate::convert::to_py;
use crate::error::{guardrails_err, stack_err};
use crate::stacks::PyStackSpec;

/// A parsed FILE manifest: `files`, `prose` and `duplicates` as lists of dicts.
#[pyclass(name = "Manifest", module = "mgx", frozen)]
pub(crate) struct PyManifest {
    inner: core::Manifest,
}

#[pymethods]
impl PyManifest {
    /// The files: dicts with `path`, `content`, `line`, `content_line`, `fence`.
    #[getter]
    fn files<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.files)
    }
    /// Text outside files: dicts with `line`, `end_line`, `text`.
    #[getter]
    fn prose<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.prose)
    }
    /// Paths given more than once: dicts with `path` and `lines`.
    #[getter]
    fn duplicates<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.duplicates)
    }
    /// The paths of the files, in order.
    fn paths(&self) -> Vec<String> {
        self.inner.paths().map(str::to_string).collect()
    }
    /// The manifest as text that `parse_manifest` reads back to the same files.
    fn render(&self) -> String {
        core::render(&self.inner)
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }
    fn __len__(&self) -> usize {
        self.inner.files.len()
    }
    fn __repr__(&self) -> String {
        format!(
            "Manifest({} files, {} prose spans)",
            self.inner.files.len(),
            self.inner.prose.len()
        )
    }
}

/// The result of validation: `errors`, `warnings` and `notes` as lists of dicts with `code`,
/// `severity`, `message`, `path` and `line`.
#[pyclass(name = "ValidationResult", module = "mgx", frozen)]
pub(crate) struct PyValidationResult {
    inner: core::ValidationResult,
}

#[pymethods]
impl PyValidationResult {
    #[getter]
    fn is_valid(&self) -> bool {
        self.inner.is_valid()
    }
    #[getter]
    fn errors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.inner.errors())
    }
    #[getter]
    fn warnings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.inner.warnings())
    }
    #[getter]
    fn notes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.inner.notes())
    }
    /// Whether any finding has this code (`"missing_required_file"` …).
    fn has(&self, code: &str) -> bool {
        self.inner.findings().any(|f| f.code.as_str() == code)
    }
    /// One line: `validation passed (1 warning)` or `validation failed: 2 errors, 1 warning`.
    fn summary(&self) -> String {
        self.inner.summary()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }
    fn __bool__(&self) -> bool {
        self.inner.is_valid()
    }
    fn __repr__(&self) -> String {
        format!("ValidationResult({})", self.inner.summary())
    }
}

/// `str` as is, `bytes` checked as UTF-8 (a bad byte raises `InvalidUtf8Error`).
fn text_of(text: &Bound<'_, PyAny>) -> PyResult<String> {
    if text.is_instance_of::<PyString>() {
        return text.extract::<String>();
    }
    if let Ok(b) = text.cast::<PyBytes>() {
        return core::text(b.as_bytes())
            .map(str::to_string)
            .map_err(guardrails_err);
    }
    Err(pyo3::exceptions::PyTypeError::new_err(
        "expected str or bytes",
    ))
}

/// Parse a FILE manifest (`str`, or UTF-8 `bytes`).
#[pyfunction]
fn parse_manifest(py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<PyManifest> {
    let text = text_of(text)?;
    let inner = py.detach(|| core::parse(&text));
    Ok(PyManifest { inner })
}

/// Validate generated output against a stack (an id or a `StackSpec`) and constraints.
#[pyfunction]
#[pyo3(signature = (text, stack = None, constraints = Vec::new(), strict = false, max_dependencies = 20, check_minified = true))]
fn validate_output(
    py: Python<'_>,
    text: &Bound<'_, PyAny>,
    stack: Option<&Bound<'_, PyAny>>,
    constraints: Vec<String>,
    strict: bool,
    max_dependencies: usize,
    check_minified: bool,
) -> PyResult<PyValidationResult> {
    let text = text_of(text)?;
    let spec: Option<mgx_core::stacks::StackSpec> = match stack {
        None => None,
        Some(s) if s.is_none() => None,
        Some(s) => match s.cast::<PyStackSpec>() {
            Ok(spec) => Some(spec.get().spec().clone()),
            Err(_) => Some(
                mgx_core::stacks::get_stack(&s.extract::<String>()?)
                    .map_err(stack_err)?
                    .clone(),
            ),
        },
    };
    let options = core::Options {
        strict,
        max_dependencies,
        check_minified,
    };
    let inner = py.detach(|| core::validate(&text, spec.as_ref(), &constraints, &options));
    Ok(PyValidationResult { inner })
}

/// The prompt that asks a model to fix its output.
#[pyfunction]
fn build_revision_prompt(result: &PyValidationResult, task: &str) -> String {
    core::build_revision_prompt(&result.inner, task)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyManifest>()?;
    m.add_class::<PyValidationResult>()?;
    m.add_function(wrap_pyfunction!(parse_manifest, m)?)?;
    m.add_function(wrap_pyfunction!(validate_output, m)?)?;
    m.add_function(wrap_pyfunction!(build_revision_prompt, m)?)?;
    Ok(())
}
