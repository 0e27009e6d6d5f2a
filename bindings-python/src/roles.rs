//! Roles written in Python. Any object with a `name`, the message kinds it `watches` and a
//! `react(message, ctx)` method (sync or `async def`) is a member of the team, beside the
//! built-in roles `mgx.default_roles()` gives; `Team(roles=[...])` is the whole team.
//!
//! `react` runs on the run's event loop, in the run's `contextvars` context, as async
//! providers do. It sees the message as a dict (`kind`, `from`, `content`, `data`) and a
//! [`PyRoleContext`]: the run's task, stack, constraints and messages so far, and `ask`, a
//! model call made by the run itself — the role's provider, the budget, the cache, the call
//! timeout, cancellation, events and metrics, as for the built-in roles. It answers with a
//! message dict (`kind`, `content`, `data`), a list of them, or `None`.
//!
//! `ask` cannot hold the run's context (it lives in the run's future): it asks through an
//! [`AskHandle`], and the reaction's own future makes the call (`RunContext::serving`).

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use mgx_core::team::asks::{self, AskHandle, RunView};
use mgx_core::team::{Message, Role, RunContext, default_roles};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple, PyType};

use crate::bridge::{RunLoop, call_for_run, for_any_py, future_into_py};
use crate::convert::{from_py, to_py, type_name};
use crate::error::{MgxError, PyCause, core_err, exception_text};

/// One of the built-in roles (`team_leader`, `engineer`, `tester`, `reviewer`), for a team
/// that keeps some of them: `Team(roles=[r for r in mgx.default_roles() if r.name != "reviewer"])`.
#[pyclass(name = "BuiltinRole", module = "mgx", frozen)]
pub(crate) struct PyBuiltinRole {
    inner: Arc<dyn Role>,
}

#[pymethods]
impl PyBuiltinRole {
    /// The role's name.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// The message kinds it reacts to.
    #[getter]
    fn watches(&self) -> Vec<String> {
        self.inner.watches()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let name = PyString::new(py, self.inner.name()).repr()?;
        let watches = PyList::new(py, self.inner.watches())?.repr()?;
        Ok(format!("BuiltinRole(name={name}, watches={watches})"))
    }
}

/// The default team's four roles, in order.
#[pyfunction(name = "default_roles")]
fn py_default_roles() -> Vec<PyBuiltinRole> {
    default_roles()
        .into_iter()
        .map(|inner| PyBuiltinRole { inner })
        .collect()
}

/// The core roles behind `roles=`: built-in roles as they are, any other object as a
/// [`PythonRole`].
pub(crate) fn roles_from(roles: &Bound<'_, PyAny>) -> PyResult<Vec<Arc<dyn Role>>> {
    if roles.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "roles is a list of roles (mgx.default_roles() and objects with name, watches and react)",
        ));
    }
    roles
        .try_iter()
        .map_err(|_| {
            PyTypeError::new_err(format!(
                "roles is a list of roles, not {}",
                type_name(roles)
            ))
        })?
        .map(|role| {
            let role = role?;
            match role.cast::<PyBuiltinRole>() {
                Ok(builtin) => Ok(Arc::clone(&builtin.get().inner)),
                Err(_) => PythonRole::from_py(&role).map(|r| Arc::new(r) as Arc<dyn Role>),
            }
        })
        .collect()
}

/// A Python object as a core role.
struct PythonRole {
    obj: Arc<Py<PyAny>>,
    name: String,
    watches: Vec<String>,
}

impl PythonRole {
    fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
        let what = || {
            format!(
                "a role is one of mgx.default_roles() or an object with name, watches and react(message, ctx), not {}",
                type_name(obj)
            )
        };
        let name: String = obj
            .getattr(intern!(obj.py(), "name"))
            .and_then(|n| n.extract())
            .map_err(|_| PyTypeError::new_err(format!("{} (name must be a str)", what())))?;
        if name.trim().is_empty() {
            return Err(PyValueError::new_err("a role's name must not be empty"));
        }
        if obj.is_instance_of::<PyType>() {
            return Err(PyTypeError::new_err(format!(
                "role {name:?} is a class: pass an instance of it"
            )));
        }
        let watches = obj
            .getattr(intern!(obj.py(), "watches"))
            .map_err(|_| PyTypeError::new_err(format!("{} (watches is missing)", what())))?;
        if watches.is_instance_of::<PyString>() {
            return Err(PyTypeError::new_err(format!(
                "role {name:?}: watches is a list of message kinds, not a str"
            )));
        }
        let watches: Vec<String> = watches.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "role {name:?}: watches is a list of message kinds (str)"
            ))
        })?;
        let react = obj
            .getattr(intern!(obj.py(), "react"))
            .map_err(|_| PyTypeError::new_err(format!("{} (react is missing)", what())))?;
        if !react.is_callable() {
            return Err(PyTypeError::new_err(format!(
                "role {name:?}: react is not callable"
            )));
        }
        Ok(PythonRole {
            obj: Arc::new(obj.clone().unbind()),
            name,
            watches,
        })
    }

    /// `react` raised `err`, or answered with something that is not messages: the core error
    /// of a call of ours it let through as it was, otherwise a role error with the exception as
    /// its cause.
    fn failure(&self, err: PyErr, ours: &Raised) -> mgx_core::Error {
        let known = crate::bridge::attach(|py| {
            let value = err.value(py);
            let mut ours = ours.lock().unwrap_or_else(PoisonError::into_inner);
            let at = ours
                .iter()
                .position(|(raised, _)| raised.bind(py).is(value))?;
            Some(ours.swap_remove(at).1)
        })
        .flatten();
        known.unwrap_or_else(|| mgx_core::Error::Role {
            role: self.name.clone(),
            message: exception_text(&err),
            cause: Some(Arc::new(PyCause(err))),
        })
    }
}

/// The exceptions `ctx.ask` raised for failed calls, with the core errors they stand for: a
/// role that lets one through ends the run with that error (budget exceeded, cancelled …),
/// not with a role error.
type Raised = Arc<Mutex<Vec<(Py<PyAny>, mgx_core::Error)>>>;

#[async_trait]
impl Role for PythonRole {
    fn name(&self) -> &str {
        &self.name
    }

    fn watches(&self) -> Vec<String> {
        self.watches.clone()
    }

    async fn react(&self, ctx: &RunContext, message: &Message) -> mgx_core::Result<Vec<Message>> {
        let (asks, mut requests) = asks::channel(&self.name);
        let raised: Raised = Arc::default();
        let context = PyRoleContext {
            asks,
            raised: Arc::clone(&raised),
            view: ctx.view(&self.name),
        };
        let (obj, message, role) = (Arc::clone(&self.obj), message.clone(), self.name.clone());
        let start = for_any_py(move |py| {
            let ctx = Bound::new(py, context)?;
            let message = to_py(py, &message)?;
            obj.bind(py)
                .call_method1(intern!(py, "react"), (message, ctx))
        });
        let finish = move |answer: &Bound<'_, PyAny>| messages_from_py(answer, &role);
        let run_loop = RunLoop::of_task();
        let reaction = call_for_run(run_loop.as_ref(), "role", start, finish);
        // The calls `react` asks for are made here, where the run's context is, while it runs;
        // a cancelled run stops waiting for it (and cancels it).
        let outcome = ctx.serving(&mut requests, reaction).await?;
        outcome.map_err(|e| self.failure(e, &raised))
    }
}

/// What a Python role's `react(message, ctx)` is given besides the message: the run's task,
/// stack, constraints and messages so far (as they were when the reaction started), and
/// `ask`, a model call made by the run.
#[pyclass(name = "RoleContext", module = "mgx", frozen)]
pub(crate) struct PyRoleContext {
    asks: AskHandle,
    raised: Raised,
    view: RunView,
}

#[pymethods]
impl PyRoleContext {
    /// The reacting role's name.
    #[getter]
    fn role(&self) -> &str {
        &self.view.role
    }

    /// The task's text.
    #[getter]
    fn task(&self) -> &str {
        &self.view.task
    }

    /// The stack's id (`fastapi` …), or `None` when the run has none.
    #[getter]
    fn stack(&self) -> Option<&str> {
        self.view.stack.as_deref()
    }

    /// The constraints the output must meet.
    #[getter]
    fn constraints(&self) -> Vec<String> {
        self.view.constraints.clone()
    }

    /// The run's messages before this reaction, oldest first, as dicts.
    #[getter]
    fn history<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for message in &self.view.history {
            list.append(to_py(py, message.as_ref())?)?;
        }
        Ok(list)
    }

    /// The newest message of `kind` before this reaction, or `None`.
    fn latest<'py>(&self, py: Python<'py>, kind: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.view.latest(kind).map(|m| to_py(py, m)).transpose()
    }

    /// Ask the role's model: awaitable, gives the answer's text. `action` names the call in
    /// events, metrics and the cache key (default: the role's name); `system` is the system
    /// prompt (default: the team's prompt for `action`, if it has one). The run's budget,
    /// cache, call timeout and cancellation apply; a failure raises the error's own class
    /// (`BudgetExceededError`, `CancelledError` …), which ends the run as that error when the
    /// role lets it through.
    #[pyo3(signature = (prompt, *, action = None, system = None))]
    fn ask<'py>(
        &self,
        py: Python<'py>,
        prompt: String,
        action: Option<String>,
        system: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let call = self.asks.ask(prompt, action, system).map_err(|ended| {
            MgxError::new_err(format!("{ended}: ctx.ask is for its reaction only"))
        })?;
        let raised = Arc::clone(&self.raised);
        future_into_py(py, async move {
            call.await.map_err(|error| {
                let err = core_err(&error);
                crate::bridge::attach(|py| {
                    raised
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push((err.value(py).clone().into_any().unbind(), error));
                });
                err
            })
        })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let role = PyString::new(py, &self.view.role).repr()?;
        let stack = match &self.view.stack {
            Some(stack) => PyString::new(py, stack).repr()?.to_string(),
            None => "None".into(),
        };
        Ok(format!(
            "RoleContext(role={role}, stack={stack}, messages={})",
            self.view.history.len()
        ))
    }
}

/// What `react` answered, as messages from `role`: a message dict, a list (or tuple) of them,
/// or `None`.
fn messages_from_py(answer: &Bound<'_, PyAny>, role: &str) -> PyResult<Vec<Message>> {
    if answer.is_none() {
        return Ok(Vec::new());
    }
    if let Ok(one) = answer.cast::<PyDict>() {
        return Ok(vec![message_from_py(one, role)?]);
    }
    if answer.is_instance_of::<PyList>() || answer.is_instance_of::<PyTuple>() {
        return answer
            .try_iter()?
            .map(|item| {
                let item = item?;
                let dict = item.cast::<PyDict>().map_err(|_| {
                    PyTypeError::new_err(format!(
                        "role {role:?}: react answered a list holding a {}, where each item is a message dict",
                        type_name(&item)
                    ))
                })?;
                message_from_py(dict, role)
            })
            .collect();
    }
    Err(PyTypeError::new_err(format!(
        "role {role:?}: react answers with a message dict ({{'kind': ..., 'content': ..., 'data': ...}}), a list of them or None, not {}",
        type_name(answer)
    )))
}

/// `{"kind": str, "content": str = "", "data": JSON-able = None}`.
fn message_from_py(dict: &Bound<'_, PyDict>, role: &str) -> PyResult<Message> {
    let kind: String = dict
        .get_item(intern!(dict.py(), "kind"))?
        .ok_or_else(|| PyTypeError::new_err(format!("role {role:?}: a message needs a 'kind'")))?
        .extract()
        .map_err(|_| PyTypeError::new_err(format!("role {role:?}: a message's 'kind' is a str")))?;
    if kind.trim().is_empty() {
        return Err(PyValueError::new_err(format!(
            "role {role:?}: a message's 'kind' must not be empty"
        )));
    }
    let content: String = match dict.get_item(intern!(dict.py(), "content"))? {
        Some(c) if !c.is_none() => c.extract().map_err(|_| {
            PyTypeError::new_err(format!("role {role:?}: a message's 'content' is a str"))
        })?,
        _ => String::new(),
    };
    let data = match dict.get_item(intern!(dict.py(), "data"))? {
        Some(d) => from_py(&d)?,
        None => serde_json::Value::Null,
    };
    Ok(Message::new(&kind, role, content, data))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyBuiltinRole>()?;
    m.add_class::<PyRoleContext>()?;
    m.add_function(wrap_pyfunction!(py_default_roles, m)?)?;
    Ok(())
}
