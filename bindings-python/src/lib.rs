//! The `mgx._mgx` Python extension module. This file only registers; each core module has its
//! own binding file, and `error.rs` maps every core error to its own exception class.

use pyo3::prelude::*;

mod bridge;
mod caches;
mod convert;
mod error;
mod guardrails;
mod patch;
mod providers;
mod roles;
mod stacks;
mod team;

/// The native part of the `mgx` Python package.
#[pymodule]
fn _mgx(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // Threads of the binding stop asking for the GIL before the interpreter finalises.
    let on_exit = wrap_pyfunction!(bridge::on_exit, m)?;
    m.py()
        .import("atexit")?
        .call_method1("register", (on_exit,))?;
    error::register(m)?;
    stacks::register(m)?;
    guardrails::register(m)?;
    patch::register(m)?;
    providers::register(m)?;
    caches::register(m)?;
    roles::register(m)?;
    team::register(m)?;
    Ok(())
}

/// The extension's own allocations (runs, reports, prompts) come from mimalloc: the runtime's
/// threads allocate and free on each other's behalf, where glibc's malloc contends (see
/// "bindings-python" in `benches/README.md`). Python's memory is not affected.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
