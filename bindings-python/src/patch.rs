//! Python functions for `mgx_core::patch`: `apply_patch`, `recover`, `list_backups`,
//! `restore_backup`, `prune_backups`, `make_diff`, and the `PatchResult` they return.

use std::path::PathBuf;

use pyo3::prelude::*;

use mgx_core::patch as core;

use crate::convert::to_py;
use crate::error::patch_err;

/// The result of applying a patch: `status`, `run`, and per-file `files` (dicts with
/// `path`, `operation`, `status`, `message`, `hunks`, `artifacts`).
#[pyclass(name = "PatchResult", module = "mgx", frozen)]
pub(crate) struct PyPatchResult {
    inner: core::ApplyReport,
}

#[pymethods]
impl PyPatchResult {
    /// `applied`, `already_applied`, `partial`, `refused`, `dry_run` or `dry_run_refused`.
    #[getter]
    fn status(&self) -> PyResult<String> {
        Ok(serde_json::to_value(self.inner.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default())
    }
    /// The run id when something was written (names the backups).
    #[getter]
    fn run(&self) -> Option<String> {
        self.inner.run.clone()
    }
    #[getter]
    fn files<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.files)
    }
    /// Whether everything is applied (or was already there).
    #[getter]
    fn ok(&self) -> bool {
        matches!(
            self.inner.status,
            core::ApplyStatus::Applied
                | core::ApplyStatus::AlreadyApplied
                | core::ApplyStatus::DryRun
        )
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }
    fn __repr__(&self) -> String {
        format!(
            "PatchResult(status='{}', files={})",
            self.status().unwrap_or_default(),
            self.inner.files.len()
        )
    }
}

/// Apply a unified diff under `root`: `mode` is `"all_or_nothing"` (default) or `"best_effort"`.
#[pyfunction]
#[pyo3(signature = (root, diff, mode = "all_or_nothing", dry_run = false, backup = true, fsync = true))]
fn apply_patch(
    py: Python<'_>,
    root: PathBuf,
    diff: &str,
    mode: &str,
    dry_run: bool,
    backup: bool,
    fsync: bool,
) -> PyResult<PyPatchResult> {
    let mode = match mode.replace('-', "_").as_str() {
        "all_or_nothing" => core::Mode::AllOrNothing,
        "best_effort" => core::Mode::BestEffort,
        other => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "unknown mode `{other}`; use \"all_or_nothing\" or \"best_effort\""
            )));
        }
    };
    let options = core::ApplyOptions {
        mode,
        dry_run,
        backup,
        fsync,
    };
    let result = py.detach(|| {
        core::ChangeSet::from_diff(diff).and_then(|changes| core::apply(&root, &changes, &options))
    });
    result
        .map(|inner| PyPatchResult { inner })
        .map_err(patch_err)
}

/// Bring interrupted applies under `root` to all-old or all-new; dicts with `run` and `outcome`.
#[pyfunction]
fn recover<'py>(py: Python<'py>, root: PathBuf) -> PyResult<Bound<'py, PyAny>> {
    let recovered = py.detach(|| core::recover(&root)).map_err(patch_err)?;
    to_py(py, &recovered)
}

/// Backup runs under `root`, newest first: dicts with `run`, `created`, `files`.
#[pyfunction]
fn list_backups<'py>(py: Python<'py>, root: PathBuf) -> PyResult<Bound<'py, PyAny>> {
    let runs = core::list_backups(&root).map_err(patch_err)?;
    to_py(py, &runs)
}

/// Undo a backup run (or only `path` of it) as a new transaction.
#[pyfunction]
#[pyo3(signature = (root, run, path = None))]
fn restore_backup(
    py: Python<'_>,
    root: PathBuf,
    run: &str,
    path: Option<&str>,
) -> PyResult<PyPatchResult> {
    py.detach(|| core::restore_backup(&root, run, path))
        .map(|inner| PyPatchResult { inner })
        .map_err(patch_err)
}

/// Keep the newest `keep` backup runs; returns the removed run ids.
#[pyfunction]
#[pyo3(signature = (root, keep = 5))]
fn prune_backups(root: PathBuf, keep: usize) -> PyResult<Vec<String>> {
    core::prune_backups(&root, keep).map_err(patch_err)
}

/// A unified diff from `old` to `new` for `path`.
#[pyfunction]
#[pyo3(signature = (old, new, path = "file"))]
fn make_diff(old: &str, new: &str, path: &str) -> String {
    core::make_diff(old, new, path)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPatchResult>()?;
    m.add_function(wrap_pyfunction!(apply_patch, m)?)?;
    m.add_function(wrap_pyfunction!(recover, m)?)?;
    m.add_function(wrap_pyfunction!(list_backups, m)?)?;
    m.add_function(wrap_pyfunction!(restore_backup, m)?)?;
    m.add_function(wrap_pyfunction!(prune_backups, m)?)?;
    m.add_function(wrap_pyfunction!(make_diff, m)?)?;
    Ok(())
}
