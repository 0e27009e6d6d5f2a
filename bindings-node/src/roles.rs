//! Roles written in JS. Any object with a `name`, the message kinds it `watches` and a
//! `react(message, ctx)` method returning messages (or a Promise of them) is a member of the
//! team, beside the built-in roles `defaultRoles()` gives; `new Team({ roles: [...] })` is the
//! whole team.
//!
//! `react` is called on the JS thread through a thread-safe function, as JS providers are. It
//! sees the message as a plain object (`kind`, `from`, `content`, `data`) and a
//! [`RoleContext`]: the run's task, stack, constraints and messages so far, and `ask`, a model
//! call made by the run itself — the role's provider, the budget, the cache, the call timeout,
//! cancellation, events and metrics, as for the built-in roles. It answers with a message
//! object (`kind`, `content`, `data`), an array of them, or nothing.
//!
//! `ask` cannot hold the run's context (it lives in the run's future): it asks through an
//! [`AskHandle`], and the reaction's own future makes the call (`RunContext::serving`).

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use mgx_core::team::asks::{self, AskHandle, RunView};
use mgx_core::team::{Message, Role, RunContext};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunction;
use napi_derive::napi;
use serde_json::Value;

use crate::error::{Result, invalid, promise};
use crate::providers::{Answer, JsCause, napi_err};
use crate::settle::Json;

/// `react(message, ctx)` of a JS object, callable from any thread (weak: it does not keep Node
/// alive).
type ReactFn = ThreadsafeFunction<
    FnArgs<(Json, RoleContext)>,
    Answer,
    FnArgs<(Json, RoleContext)>,
    Status,
    false,
    true,
>;

/// One of the built-in roles (`team_leader`, `engineer`, `tester`, `reviewer`), for a team that
/// keeps some of them: `new Team({ roles: defaultRoles().filter((r) => r.name !== 'reviewer') })`.
#[napi]
pub struct BuiltinRole {
    inner: Arc<dyn Role>,
}

#[napi]
impl BuiltinRole {
    /// The role's name.
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// The message kinds it reacts to.
    #[napi(getter)]
    pub fn watches(&self) -> Vec<String> {
        self.inner.watches()
    }
}

/// The default team's four roles, in order: `team_leader`, `engineer`, `tester`, `reviewer`.
#[napi]
pub fn default_roles() -> Vec<BuiltinRole> {
    mgx_core::team::default_roles()
        .into_iter()
        .map(|inner| BuiltinRole { inner })
        .collect()
}

/// The core roles behind the `roles` option: built-in roles as they are, any other object as a
/// [`JsRole`].
pub(crate) fn roles_from(env: &Env, roles: Unknown) -> Result<Vec<Arc<dyn Role>>> {
    let not_a_list = || {
        invalid(
            "option `roles`: an array of roles (defaultRoles() and objects with name, watches and react)",
        )
    };
    if !roles.is_array().map_err(napi_err)? {
        return Err(not_a_list());
    }
    // SAFETY: the value is an array (checked above).
    let items: Vec<Unknown> =
        unsafe { Vec::from_napi_value(env.raw(), roles.raw()) }.map_err(|_| not_a_list())?;
    items
        .into_iter()
        .map(|item| {
            // SAFETY: `from_napi_value` checks the class recorded at wrap time and fails for
            // any other value, so a wrong guess is an `Err`, never a bad cast.
            if let Ok(builtin) =
                unsafe { ClassInstance::<BuiltinRole>::from_napi_value(env.raw(), item.raw()) }
            {
                return Ok(Arc::clone(&builtin.inner));
            }
            JsRole::from_js(env, item).map(|r| Arc::new(r) as Arc<dyn Role>)
        })
        .collect()
}

/// A JS object as a core role.
struct JsRole {
    react: Arc<ReactFn>,
    name: String,
    watches: Vec<String>,
}

impl JsRole {
    fn from_js(env: &Env, value: Unknown) -> Result<Self> {
        let what = "a role is one of defaultRoles() or an object with name, watches and react(message, ctx)";
        if value.get_type().map_err(napi_err)? != ValueType::Object {
            return Err(invalid(what));
        }
        // SAFETY: the value is an object (checked above).
        let object =
            unsafe { Object::from_napi_value(env.raw(), value.raw()) }.map_err(napi_err)?;
        let name: String = object
            .get("name")
            .ok()
            .flatten()
            .ok_or_else(|| invalid(format!("{what} (name must be a string)")))?;
        if name.trim().is_empty() {
            return Err(invalid("a role's name must not be empty"));
        }
        let watches: Vec<String> = object.get("watches").ok().flatten().ok_or_else(|| {
            invalid(format!(
                "role {name:?}: watches is an array of message kinds (strings)"
            ))
        })?;
        let react = object
            .get::<Unknown>("react")
            .map_err(napi_err)?
            .filter(|f| !matches!(f.get_type(), Ok(ValueType::Undefined | ValueType::Null)))
            .ok_or_else(|| invalid(format!("{what} (react is missing)")))?;
        if react.get_type().map_err(napi_err)? != ValueType::Function {
            return Err(invalid(format!("role {name:?}: react is not a function")));
        }
        // SAFETY: the value is a function (checked above).
        let react: Function<FnArgs<(Json, RoleContext)>, Answer> =
            unsafe { Function::from_napi_value(env.raw(), react.raw()) }.map_err(napi_err)?;
        let react = react
            .bind(object)
            .map_err(napi_err)?
            .build_threadsafe_function()
            .callee_handled::<false>()
            .weak::<true>()
            .build()
            .map_err(napi_err)?;
        Ok(JsRole {
            react: Arc::new(react),
            name,
            watches,
        })
    }

    /// `react` threw or rejected with `err`, or answered with something that is not messages:
    /// the core error of a call of ours it let through as it was (recognised by its message),
    /// otherwise a role error with the JS error as its cause.
    fn failure(&self, err: napi::Error, ours: &Raised) -> mgx_core::Error {
        let known = {
            let mut ours = ours.lock().unwrap_or_else(PoisonError::into_inner);
            ours.iter()
                .position(|e| e.to_string() == err.reason)
                .map(|at| ours.swap_remove(at))
        };
        known.unwrap_or_else(|| mgx_core::Error::Role {
            role: self.name.clone(),
            message: if err.reason.is_empty() {
                format!("{}", err.status)
            } else {
                err.reason.clone()
            },
            cause: Some(Arc::new(JsCause(err))),
        })
    }
}

/// The core errors `ctx.ask` rejected with: a role that lets one through ends the run with that
/// error (budget exceeded, cancelled …), not with a role error.
type Raised = Arc<Mutex<Vec<mgx_core::Error>>>;

#[async_trait]
impl Role for JsRole {
    fn name(&self) -> &str {
        &self.name
    }

    fn watches(&self) -> Vec<String> {
        self.watches.clone()
    }

    async fn react(&self, ctx: &RunContext, message: &Message) -> mgx_core::Result<Vec<Message>> {
        let (asks, mut requests) = asks::channel(&self.name);
        let raised: Raised = Arc::default();
        let context = RoleContext {
            asks,
            raised: Arc::clone(&raised),
            view: ctx.view(&self.name),
        };
        let args = FnArgs::from((Json::of(message), context));
        let reaction = async {
            let answer = self.react.call_async_catch(args).await?.settled().await?;
            messages_from(answer, &self.name)
        };
        // The calls `react` asks for are made here, where the run's context is, while it runs;
        // a cancelled run stops waiting for it (the JS function runs on, unheard).
        let outcome = ctx.serving(&mut requests, reaction).await?;
        outcome.map_err(|e| self.failure(e, &raised))
    }
}

/// What a JS role's `react(message, ctx)` is given besides the message: the run's task, stack,
/// constraints and messages so far (as they were when the reaction started), and `ask`, a model
/// call made by the run.
#[napi]
pub struct RoleContext {
    asks: AskHandle,
    raised: Raised,
    view: RunView,
}

#[napi]
impl RoleContext {
    /// The reacting role's name.
    #[napi(getter)]
    pub fn role(&self) -> String {
        self.view.role.clone()
    }

    /// The task's text.
    #[napi(getter)]
    pub fn task(&self) -> String {
        self.view.task.clone()
    }

    /// The stack's id (`fastapi` …), or `null` when the run has none.
    #[napi(getter)]
    pub fn stack(&self) -> Option<String> {
        self.view.stack.clone()
    }

    /// The constraints the output must meet.
    #[napi(getter)]
    pub fn constraints(&self) -> Vec<String> {
        self.view.constraints.clone()
    }

    /// The run's messages before this reaction, oldest first.
    #[napi(getter, ts_return_type = "Message[]")]
    pub fn history(&self) -> Value {
        let messages: Vec<&Message> = self.view.history.iter().map(Arc::as_ref).collect();
        serde_json::to_value(messages).unwrap_or(Value::Null)
    }

    /// The newest message of `kind` before this reaction, or `null`.
    #[napi(ts_return_type = "Message | null")]
    pub fn latest(&self, kind: String) -> Option<Value> {
        self.view
            .latest(&kind)
            .and_then(|m| serde_json::to_value(m).ok())
    }

    /// Ask the role's model: a Promise of the answer's text. `action` names the call in events,
    /// metrics and the cache key (default: the role's name); `system` is the system prompt
    /// (default: the team's prompt for `action`, if it has one). The run's budget, cache, call
    /// timeout and cancellation apply; a failure rejects with the error's own `code`
    /// (`budget_exceeded`, `cancelled` …), which ends the run as that error when the role lets
    /// it through.
    #[napi(
        ts_args_type = "prompt: string, options?: { action?: string; system?: string }",
        ts_return_type = "Promise<string>"
    )]
    pub fn ask<'env>(
        &self,
        env: &'env Env,
        prompt: String,
        options: Option<Object>,
    ) -> Result<PromiseRaw<'env, Value>> {
        let (action, system) = match options {
            Some(o) => (
                o.get::<String>("action").map_err(napi_err)?,
                o.get::<String>("system").map_err(napi_err)?,
            ),
            None => (None, None),
        };
        let call = self.asks.ask(prompt, action, system).map_err(|ended| {
            napi::Error::new(
                crate::error::Code("role"),
                format!("{ended}: ctx.ask is for its reaction only"),
            )
        })?;
        let raised = Arc::clone(&self.raised);
        promise(env, async move {
            match call.await {
                Ok(text) => Ok(Json::of(&text)),
                Err(error) => {
                    raised
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(error.clone());
                    Err(error.into())
                }
            }
        })
    }
}

/// What `react` answered, as messages from `role`: a message object, an array of them, or
/// nothing (`undefined`, `null`).
fn messages_from(answer: Value, role: &str) -> napi::Result<Vec<Message>> {
    match answer {
        Value::Null => Ok(Vec::new()),
        Value::Object(_) => Ok(vec![message_from(answer, role)?]),
        Value::Array(items) => items
            .into_iter()
            .map(|item| message_from(item, role))
            .collect(),
        other => Err(napi::Error::from_reason(format!(
            "role {role:?}: react answers with a message ({{ kind, content, data }}), an array of them or nothing, not {other}"
        ))),
    }
}

/// `{ kind: string, content?: string, data?: any }`.
fn message_from(item: Value, role: &str) -> napi::Result<Message> {
    let bad = |what: String| napi::Error::from_reason(format!("role {role:?}: {what}"));
    let Value::Object(mut map) = item else {
        return Err(bad(format!(
            "react answered an array holding {item}, where each item is a message object"
        )));
    };
    let kind = match map.remove("kind") {
        Some(Value::String(kind)) if !kind.trim().is_empty() => kind,
        Some(Value::String(_)) => return Err(bad("a message's `kind` must not be empty".into())),
        Some(_) => return Err(bad("a message's `kind` is a string".into())),
        None => return Err(bad("a message needs a `kind`".into())),
    };
    let content = match map.remove("content") {
        Some(Value::String(content)) => content,
        None | Some(Value::Null) => String::new(),
        Some(_) => return Err(bad("a message's `content` is a string".into())),
    };
    let data = map.remove("data").unwrap_or(Value::Null);
    Ok(Message::new(&kind, role, content, data))
}
