//! Python types for `mgx_core::stacks`: `StackSpec`, `StackRegistry`, `Inference`, `TaskSpec`,
//! `ResolvedStack`, and the module functions `stacks`, `stack_ids`, `get_stack`, `infer_stack`.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use mgx_core::stacks as core;

use crate::convert::to_py;
use crate::error::stack_err;

/// One target stack (read-only). Nested parts (`test`, `rules` …) come as plain dicts.
#[pyclass(name = "StackSpec", module = "mgx", frozen)]
pub(crate) struct PyStackSpec {
    spec: Arc<core::StackSpec>,
}

impl PyStackSpec {
    fn new(spec: &core::StackSpec) -> Self {
        PyStackSpec {
            spec: Arc::new(spec.clone()),
        }
    }
    /// The wrapped spec.
    pub(crate) fn spec(&self) -> &core::StackSpec {
        &self.spec
    }
}

#[pymethods]
impl PyStackSpec {
    #[getter]
    fn id(&self) -> &str {
        &self.spec.id
    }
    #[getter]
    fn name(&self) -> &str {
        &self.spec.name
    }
    #[getter]
    fn category(&self) -> &'static str {
        self.spec.category.as_str()
    }
    /// The language's short code (`py`, `ts` …).
    #[getter]
    fn language(&self) -> &str {
        self.spec.language.code()
    }
    /// The language's display name (`Python`, `TypeScript` …).
    #[getter]
    fn language_name(&self) -> &str {
        self.spec.language.name()
    }
    #[getter]
    fn description(&self) -> &str {
        &self.spec.description
    }
    #[getter]
    fn package_manager(&self) -> Option<&str> {
        self.spec.package_manager.as_deref()
    }
    #[getter]
    fn test<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.spec.test)
    }
    #[getter]
    fn linter<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.spec.linter)
    }
    #[getter]
    fn formatter<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.spec.formatter)
    }
    #[getter]
    fn layout<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.spec.layout)
    }
    #[getter]
    fn run<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.spec.run)
    }
    #[getter]
    fn dependencies(&self) -> Vec<String> {
        self.spec.dependencies.clone()
    }
    #[getter]
    fn dev_dependencies(&self) -> Vec<String> {
        self.spec.dev_dependencies.clone()
    }
    #[getter]
    fn file_extensions(&self) -> Vec<String> {
        self.spec.file_extensions.clone()
    }
    #[getter]
    fn rules<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.spec.rules)
    }
    #[getter]
    fn prompt<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.spec.prompt)
    }
    #[getter]
    fn inference<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.spec.inference)
    }
    /// The prompt material as one Markdown block.
    fn prompt_brief(&self) -> String {
        self.spec.prompt_brief()
    }
    /// Whether a module belongs to the stack's platform (standard library or built-in).
    fn is_builtin_module(&self, module: &str) -> bool {
        self.spec.is_builtin_module(module)
    }
    /// The whole spec as a dict (the data-file shape).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &*self.spec)
    }
    /// The whole spec as JSON text.
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&*self.spec)
            .map_err(|e| crate::error::MgxError::new_err(e.to_string()))
    }
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyStackSpec>()
            .is_ok_and(|o| *o.get().spec == *self.spec)
    }
    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.spec.id.hash(&mut h);
        h.finish()
    }
    fn __repr__(&self) -> String {
        format!(
            "StackSpec(id={}, name={})",
            py_str(&self.spec.id),
            py_str(&self.spec.name)
        )
    }
}

/// The result of stack inference.
#[pyclass(name = "Inference", module = "mgx", frozen)]
pub(crate) struct PyInference {
    inner: core::Inference,
}

#[pymethods]
impl PyInference {
    /// The inferred stack id, or None when no stack fits.
    #[getter]
    fn stack(&self) -> Option<&str> {
        self.inner.stack.as_deref()
    }
    #[getter]
    fn confidence(&self) -> f64 {
        self.inner.confidence
    }
    /// Candidates, best first: dicts with `stack`, `score` and `evidence`.
    #[getter]
    fn candidates<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.candidates)
    }
    #[getter]
    fn unsupported(&self) -> Vec<String> {
        self.inner.unsupported.clone()
    }
    #[getter]
    fn note(&self) -> Option<&str> {
        self.inner.note.as_deref()
    }
    /// Whether a stack was inferred with at least the confident threshold.
    #[getter]
    fn is_confident(&self) -> bool {
        self.inner.is_confident()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }
    fn __repr__(&self) -> String {
        format!(
            "Inference(stack={}, confidence={})",
            py_opt(self.inner.stack.as_deref()),
            self.inner.confidence
        )
    }
}

/// A set of stacks: the built-in ones plus any registered from JSON or TOML.
#[pyclass(name = "StackRegistry", module = "mgx")]
pub(crate) struct PyStackRegistry {
    inner: core::StackRegistry,
}

#[pymethods]
impl PyStackRegistry {
    /// A registry with the built-in stacks (`builtins=True`) or an empty one.
    #[new]
    #[pyo3(signature = (builtins = true))]
    fn new(builtins: bool) -> Self {
        let inner = if builtins {
            core::StackRegistry::with_builtins()
        } else {
            core::StackRegistry::new()
        };
        PyStackRegistry { inner }
    }
    fn get(&self, id: &str) -> PyResult<PyStackSpec> {
        self.inner.get(id).map(PyStackSpec::new).map_err(stack_err)
    }
    fn ids(&self) -> Vec<String> {
        self.inner.ids().map(str::to_string).collect()
    }
    fn stacks(&self) -> Vec<PyStackSpec> {
        self.inner.iter().map(PyStackSpec::new).collect()
    }
    fn infer(&self, py: Python<'_>, text: &str) -> PyInference {
        let inner = py.detach(|| self.inner.infer(text));
        PyInference { inner }
    }
    /// Register stacks from JSON text (one spec or a list); returns the new ids.
    fn register_json(&mut self, text: &str) -> PyResult<Vec<String>> {
        self.inner.register_json(text).map_err(stack_err)
    }
    /// Register stacks from TOML text (one spec or `[[stack]]` tables); returns the new ids.
    fn register_toml(&mut self, text: &str) -> PyResult<Vec<String>> {
        self.inner.register_toml(text).map_err(stack_err)
    }
    /// Register stacks from a `.json` or `.toml` file; returns the new ids.
    fn register_file(&mut self, path: std::path::PathBuf) -> PyResult<Vec<String>> {
        self.inner.register_file(path).map_err(stack_err)
    }
    /// Register a stack from a dict in the data-file shape, optionally replacing one with the same id.
    #[pyo3(signature = (spec, replace = false))]
    fn register(&mut self, spec: &Bound<'_, PyDict>, replace: bool) -> PyResult<Vec<String>> {
        let json = spec
            .py()
            .import("json")?
            .call_method1("dumps", (spec,))?
            .extract::<String>()?;
        if replace {
            let spec: core::StackSpec = serde_json::from_str(&json).map_err(|e| {
                stack_err(core::Error::ParseSpec {
                    format: core::DataFormat::Json,
                    message: e.to_string(),
                })
            })?;
            let id = spec.id.clone();
            self.inner.register_or_replace(spec).map_err(stack_err)?;
            Ok(vec![id])
        } else {
            self.inner.register_json(&json).map_err(stack_err)
        }
    }
    fn __len__(&self) -> usize {
        self.inner.len()
    }
    fn __contains__(&self, id: &str) -> bool {
        self.inner.contains(id)
    }
    fn __repr__(&self) -> String {
        format!("StackRegistry({} stacks)", self.inner.len())
    }
}

/// A task in the JSON task contract.
#[pyclass(name = "TaskSpec", module = "mgx", frozen)]
pub(crate) struct PyTaskSpec {
    inner: core::TaskSpec,
}

fn registry_or_builtin<'a>(
    registry: &'a Option<PyRef<'_, PyStackRegistry>>,
) -> &'a core::StackRegistry {
    match registry {
        Some(r) => &r.inner,
        None => core::StackRegistry::builtin(),
    }
}

#[pymethods]
impl PyTaskSpec {
    /// The minimal form: a plain-text task.
    #[staticmethod]
    fn from_text(text: &str) -> PyResult<Self> {
        core::TaskSpec::from_text(text)
            .map(|inner| PyTaskSpec { inner })
            .map_err(stack_err)
    }
    /// The JSON task contract; `target_stack` is checked against `registry` (default: built-ins).
    #[staticmethod]
    #[pyo3(signature = (text, registry = None))]
    fn from_json(text: &str, registry: Option<PyRef<'_, PyStackRegistry>>) -> PyResult<Self> {
        core::TaskSpec::from_json_in(text, registry_or_builtin(&registry))
            .map(|inner| PyTaskSpec { inner })
            .map_err(stack_err)
    }
    /// Either form: text starting with `{` is JSON, anything else plain text.
    #[staticmethod]
    #[pyo3(signature = (text, registry = None))]
    fn parse(text: &str, registry: Option<PyRef<'_, PyStackRegistry>>) -> PyResult<Self> {
        core::TaskSpec::parse_in(text, registry_or_builtin(&registry))
            .map(|inner| PyTaskSpec { inner })
            .map_err(stack_err)
    }
    #[getter]
    fn task(&self) -> &str {
        &self.inner.task
    }
    #[getter]
    fn target_stack(&self) -> Option<&str> {
        self.inner.target_stack.as_deref()
    }
    #[getter]
    fn project_type(&self) -> Option<&'static str> {
        self.inner.project_type.map(|p| p.as_str())
    }
    #[getter]
    fn output_mode(&self) -> &'static str {
        self.inner.output_mode.as_str()
    }
    #[getter]
    fn strict_requirements(&self) -> bool {
        self.inner.strict_requirements
    }
    #[getter]
    fn constraints(&self) -> Vec<String> {
        self.inner.constraints.clone()
    }
    #[getter]
    fn existing_project_path(&self) -> Option<String> {
        self.inner
            .existing_project_path
            .as_ref()
            .map(|p| p.display().to_string())
    }
    /// The named stack, else the inferred one.
    #[pyo3(signature = (registry = None))]
    fn resolve_stack(
        &self,
        registry: Option<PyRef<'_, PyStackRegistry>>,
    ) -> PyResult<PyResolvedStack> {
        let registry = registry_or_builtin(&registry);
        let resolved = self.inner.resolve_stack(registry).map_err(stack_err)?;
        Ok(match resolved {
            core::ResolvedStack::Explicit(spec) => PyResolvedStack {
                stack: Some(PyStackSpec::new(spec)),
                source: "explicit",
                confidence: 1.0,
                inference: None,
            },
            core::ResolvedStack::Inferred { spec, inference } => PyResolvedStack {
                stack: spec.map(PyStackSpec::new),
                source: "inferred",
                confidence: inference.confidence,
                inference: Some(inference),
            },
            // The core enum may grow; an unknown resolution has no stack.
            #[allow(unreachable_patterns)]
            _ => PyResolvedStack {
                stack: None,
                source: "unknown",
                confidence: 0.0,
                inference: None,
            },
        })
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyTaskSpec>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }
    fn __repr__(&self) -> String {
        format!(
            "TaskSpec(task={}, target_stack={})",
            py_str(&self.inner.task),
            py_opt(self.inner.target_stack.as_deref())
        )
    }
}

/// How a task's stack was settled.
#[pyclass(name = "ResolvedStack", module = "mgx", frozen)]
pub(crate) struct PyResolvedStack {
    stack: Option<PyStackSpec>,
    source: &'static str,
    confidence: f64,
    inference: Option<core::Inference>,
}

#[pymethods]
impl PyResolvedStack {
    /// The stack, or None when none was named or inferred.
    #[getter]
    fn stack(&self) -> Option<PyStackSpec> {
        self.stack.as_ref().map(|s| PyStackSpec {
            spec: Arc::clone(&s.spec),
        })
    }
    /// `"explicit"` or `"inferred"`.
    #[getter]
    fn source(&self) -> &'static str {
        self.source
    }
    #[getter]
    fn confidence(&self) -> f64 {
        self.confidence
    }
    /// The inference, when the stack was inferred.
    #[getter]
    fn inference(&self) -> Option<PyInference> {
        self.inference.clone().map(|inner| PyInference { inner })
    }
    fn __repr__(&self) -> String {
        let id = self.stack.as_ref().map(|s| s.spec.id.as_str());
        format!(
            "ResolvedStack(stack={}, source={}, confidence={})",
            py_opt(id),
            py_str(self.source),
            self.confidence
        )
    }
}

/// A Python-style string literal for reprs.
fn py_str(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// `None` or a Python-style string literal.
fn py_opt(s: Option<&str>) -> String {
    s.map_or_else(|| "None".to_string(), py_str)
}

/// Every built-in stack, in registry order.
#[pyfunction]
fn stacks() -> Vec<PyStackSpec> {
    core::stacks().map(PyStackSpec::new).collect()
}

/// The ids of the built-in stacks, in registry order.
#[pyfunction]
fn stack_ids() -> Vec<&'static str> {
    core::StackRegistry::builtin().ids().collect()
}

/// The built-in stack with this id; UnknownStackError (with `.closest`) otherwise.
#[pyfunction]
fn get_stack(id: &str) -> PyResult<PyStackSpec> {
    core::get_stack(id).map(PyStackSpec::new).map_err(stack_err)
}

/// Infer a built-in stack from free text.
#[pyfunction]
fn infer_stack(py: Python<'_>, text: &str) -> PyInference {
    let inner = py.detach(|| core::infer_stack(text));
    PyInference { inner }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyStackSpec>()?;
    m.add_class::<PyStackRegistry>()?;
    m.add_class::<PyInference>()?;
    m.add_class::<PyTaskSpec>()?;
    m.add_class::<PyResolvedStack>()?;
    m.add_function(wrap_pyfunction!(stacks, m)?)?;
    m.add_function(wrap_pyfunction!(stack_ids, m)?)?;
    m.add_function(wrap_pyfunction!(get_stack, m)?)?;
    m.add_function(wrap_pyfunction!(infer_stack, m)?)?;
    m.add("CONFIDENT", core::infer::CONFIDENT)?;
    Ok(())
}
