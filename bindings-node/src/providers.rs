//! Model providers for JS: the core's (`Offline`, `Scripted`, `OpenAICompatible`, `Cassette`)
//! and any JS object with a `complete(messages, params)` method returning an answer or a
//! Promise of one (called through a thread-safe function; a throw or a rejection becomes a
//! typed error, never a crashed process).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use mgx_core::llm::{ChatRequest, ChatResponse, LlmProvider, Pieces, ProviderId, Usage};
use mgx_core::providers as core;

use crate::error::{Code, Result, core_err, invalid, promise};
use crate::jscall::JsCaller;
use crate::settle::Json;

/// What a JS function returned: a Promise (awaited later, off the JS thread) or a value.
pub(crate) enum Answer {
    Later(Promise<Loose>),
    Now(Loose),
}

/// A JS value as JSON, with `undefined` read as `null` (a function that returns nothing).
pub(crate) struct Loose(pub(crate) Value);

impl FromNapiValue for Loose {
    unsafe fn from_napi_value(
        env: napi::sys::napi_env,
        value: napi::sys::napi_value,
    ) -> napi::Result<Self> {
        let mut kind = 0;
        // SAFETY: `env` and `value` come from napi for this call.
        let status = unsafe { napi::sys::napi_typeof(env, value, &mut kind) };
        if status == napi::sys::Status::napi_ok && kind == napi::sys::ValueType::napi_undefined {
            return Ok(Loose(Value::Null));
        }
        // SAFETY: as above; the conversion checks the value's type itself.
        unsafe { Value::from_napi_value(env, value) }.map(Loose)
    }
}

impl FromNapiValue for Answer {
    unsafe fn from_napi_value(
        env: napi::sys::napi_env,
        value: napi::sys::napi_value,
    ) -> napi::Result<Self> {
        let mut is_promise = false;
        // SAFETY: `env` and `value` come from napi for this call.
        let status = unsafe { napi::sys::napi_is_promise(env, value, &mut is_promise) };
        if status != napi::sys::Status::napi_ok {
            return Err(napi::Error::from_reason(
                "cannot tell whether a value is a Promise",
            ));
        }
        // SAFETY: as above; each conversion checks the value's type itself.
        unsafe {
            if is_promise {
                Ok(Answer::Later(Promise::from_napi_value(env, value)?))
            } else {
                Ok(Answer::Now(Loose::from_napi_value(env, value)?))
            }
        }
    }
}

impl Answer {
    /// The value, once a Promise has settled.
    pub(crate) async fn settled(self) -> napi::Result<Value> {
        match self {
            Answer::Later(promise) => promise.await.map(|l| l.0),
            Answer::Now(value) => Ok(value.0),
        }
    }
}

/// A JS error thrown (or a Promise rejected) inside JS code the core called; kept so that it
/// comes back to the caller as the `cause` of the error the run fails with.
#[derive(Debug)]
pub(crate) struct JsCause(pub(crate) napi::Error);

impl std::fmt::Display for JsCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.reason)
    }
}

impl std::error::Error for JsCause {}

/// A core error carrying a JS error.
pub(crate) fn from_js(err: napi::Error) -> mgx_core::Error {
    mgx_core::Error::Provider {
        message: if err.reason.is_empty() {
            format!("{}", err.status)
        } else {
            err.reason.clone()
        },
        cause: Some(Arc::new(JsCause(err))),
    }
}

/// Ask `inner` from JS: a Promise of the answer as a plain object.
fn complete_on<'env>(
    env: &'env Env,
    inner: Arc<dyn LlmProvider>,
    messages: Value,
    params: Option<Value>,
) -> Result<PromiseRaw<'env, Value>> {
    let request = request_of(messages, params)?;
    promise(env, async move {
        let answer = inner.complete(&request).await?;
        Ok(Json::of(&answer))
    })
}

/// The async iterator `provider.stream(...)` gives, around two native functions: `next` (a
/// Promise of the next piece, `null` at the end) and `end` (drops the stream: an early `break`
/// stops the provider's call).
const ITERATOR: &str = r"(function (next, end) {
  return {
    next: () => next().then((value) => (value === null ? { done: true, value: undefined } : { done: false, value })),
    return: (value) => end().then(() => ({ done: true, value })),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
})";

/// `next` or `end` of a stream, as a JS function returning a Promise.
type PieceFn<'env> = Function<'env, (), Made>;

/// A JS value made during the native call that returns it (a Promise), handed back as it is.
struct Made(napi::sys::napi_value);

impl ToNapiValue for Made {
    unsafe fn to_napi_value(
        _: napi::sys::napi_env,
        val: Self,
    ) -> napi::Result<napi::sys::napi_value> {
        Ok(val.0)
    }
}

/// An error of ours as a native function's (which carries a `Status`, not a code).
fn status_err(e: napi::Error<Code>) -> napi::Error {
    napi::Error::new(Status::GenericFailure, e.reason.clone())
}

/// Stream `inner`'s answer from JS: an async iterator of its pieces.
fn stream_on<'env>(
    env: &'env Env,
    inner: Arc<dyn LlmProvider>,
    messages: Value,
    params: Option<Value>,
) -> Result<Unknown<'env>> {
    let request = request_of(messages, params)?;
    let state = Arc::new(tokio::sync::Mutex::new(Pieces::new(inner, request)));
    let for_next = Arc::clone(&state);
    let next = env
        .create_function_from_closure::<(), Made, _>("mgxNextPiece", move |ctx| {
            let state = Arc::clone(&for_next);
            promise(ctx.env, async move {
                Ok(Json::of(&state.lock().await.next().await?))
            })
            .map(|p| Made(p.raw()))
            .map_err(status_err)
        })
        .map_err(napi_err)?;
    let end = env
        .create_function_from_closure::<(), Made, _>("mgxEndStream", move |ctx| {
            let state = Arc::clone(&state);
            promise(ctx.env, async move {
                state.lock().await.close();
                Ok(Json::of(&()))
            })
            .map(|p| Made(p.raw()))
            .map_err(status_err)
        })
        .map_err(napi_err)?;
    let wrap: Function<FnArgs<(PieceFn<'_>, PieceFn<'_>)>, Unknown> =
        env.run_script(ITERATOR).map_err(napi_err)?;
    wrap.call(FnArgs::from((next, end))).map_err(napi_err)
}

/// A chat request from JS: `messages`, and `params` in camelCase (`maxTokens` …).
fn request_of(messages: Value, params: Option<Value>) -> Result<ChatRequest> {
    let mut request = serde_json::Map::new();
    request.insert("messages".into(), messages);
    if let Some(Value::Object(params)) = params {
        for (k, v) in params {
            request.insert(camel_to_snake(&k), v);
        }
    }
    serde_json::from_value(Value::Object(request))
        .map_err(|e| invalid(format!("a chat request: {e}")))
}

/// `maxTokens` → `max_tokens`.
fn camel_to_snake(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

macro_rules! provider_methods {
    ($t:ty) => {
        #[napi]
        impl $t {
            /// `kind/model`, e.g. `offline/scaffold`.
            #[napi(getter)]
            pub fn id(&self) -> String {
                self.inner.id().to_string()
            }

            /// Ask the provider: `messages` are `{ role, content }` objects; `params` may set
            /// `model`, `temperature`, `maxTokens`, `stop`.
            #[napi(
                ts_args_type = "messages: ChatMessage[], params?: ChatParams",
                ts_return_type = "Promise<ChatResponse>"
            )]
            pub fn complete<'env>(
                &self,
                env: &'env Env,
                messages: Value,
                params: Option<Value>,
            ) -> Result<PromiseRaw<'env, Value>> {
                complete_on(env, self.inner.clone(), messages, params)
            }

            /// The answer in pieces as the provider produces them: `for await (const piece of
            /// provider.stream(messages))` gives `{ content, finish_reason, usage }` objects. A
            /// provider that does not stream (a JS object, `Offline`, `Scripted`) gives its whole
            /// answer as one piece. The call starts with the first piece asked for; an error
            /// rejects with its `code` and ends the stream; `break` stops the call.
            #[napi(
                ts_args_type = "messages: ChatMessage[], params?: ChatParams",
                ts_return_type = "AsyncIterableIterator<ChatDelta>"
            )]
            pub fn stream<'env>(
                &self,
                env: &'env Env,
                messages: Value,
                params: Option<Value>,
            ) -> Result<Unknown<'env>> {
                stream_on(env, self.inner.clone(), messages, params)
            }
        }
    };
}

/// The offline provider: a deterministic scaffold generator (no model, no network) that answers
/// every action of the default team in the shape it asks for. The default provider.
#[napi]
pub struct Offline {
    pub(crate) inner: Arc<dyn LlmProvider>,
}

#[napi]
impl Offline {
    #[napi(constructor)]
    pub fn new() -> Self {
        Offline {
            inner: Arc::new(core::Offline),
        }
    }
}

impl Default for Offline {
    fn default() -> Self {
        Self::new()
    }
}

provider_methods!(Offline);

/// Answers from a list, one per call, in order; a call past the end fails with code `scripted`.
#[napi]
pub struct Scripted {
    pub(crate) inner: Arc<dyn LlmProvider>,
    scripted: Arc<core::Scripted>,
}

#[napi]
impl Scripted {
    #[napi(constructor)]
    pub fn new(answers: Vec<String>, model: Option<String>) -> Result<Self> {
        if answers.is_empty() {
            return Err(invalid("Scripted needs at least one answer"));
        }
        let scripted = Arc::new(
            core::Scripted::new(answers).with_model(model.as_deref().unwrap_or("scripted")),
        );
        Ok(Scripted {
            inner: scripted.clone(),
            scripted,
        })
    }

    /// The requests it has been asked, oldest first.
    #[napi(getter, ts_return_type = "Array<Record<string, unknown>>")]
    pub fn calls(&self) -> Result<Value> {
        serde_json::to_value(self.scripted.calls()).map_err(|e| invalid(e.to_string()))
    }
}

provider_methods!(Scripted);

/// Options of an OpenAI-compatible provider; what is left out comes from the environment
/// (`MGX_BASE_URL`/`OPENAI_BASE_URL`, `MGX_API_KEY`/`OPENAI_API_KEY`, `MGX_MODEL`).
#[napi(object, js_name = "OpenAICompatibleOptions")]
pub struct OpenAiCompatibleOptions {
    pub model: Option<String>,
    pub base_url: Option<String>,
    /// Never shown in errors or logs.
    pub api_key: Option<String>,
    /// Attempts in all (default 4; 1 = no retries).
    pub max_attempts: Option<u32>,
    /// Seconds for the whole answer (default 300).
    pub timeout: Option<f64>,
    /// Seconds to connect (default 10).
    pub connect_timeout: Option<f64>,
    pub requests_per_minute: Option<u32>,
    pub tokens_per_minute: Option<u32>,
    pub max_concurrent: Option<u32>,
}

/// Any server that speaks the OpenAI chat-completions API (OpenAI, Ollama, vLLM, LiteLLM …),
/// with retries, `Retry-After`, timeouts and shared rate limits.
#[napi(js_name = "OpenAICompatible")]
pub struct OpenAiCompatible {
    pub(crate) inner: Arc<dyn LlmProvider>,
}

fn seconds(name: &str, value: f64) -> Result<Duration> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| invalid(format!("{name} must be a number of seconds ≥ 0")))
}

#[napi]
impl OpenAiCompatible {
    #[napi(constructor)]
    pub fn new(options: Option<OpenAiCompatibleOptions>) -> Result<Self> {
        let o = options.unwrap_or(OpenAiCompatibleOptions {
            model: None,
            base_url: None,
            api_key: None,
            max_attempts: None,
            timeout: None,
            connect_timeout: None,
            requests_per_minute: None,
            tokens_per_minute: None,
            max_concurrent: None,
        });
        let mut b = core::OpenAiCompatible::builder();
        if let Some(m) = o.model {
            b = b.model(m);
        }
        if let Some(u) = o.base_url {
            b = b.base_url(u);
        }
        if let Some(k) = o.api_key {
            b = b.api_key(k);
        }
        let mut retry = core::RetryPolicy::default();
        if let Some(n) = o.max_attempts {
            retry.max_attempts = n;
        }
        let mut timeouts = core::Timeouts::default();
        if let Some(t) = o.timeout {
            timeouts.request = seconds("timeout", t)?;
        }
        if let Some(t) = o.connect_timeout {
            timeouts.connect = seconds("connectTimeout", t)?;
        }
        let limits = mgx_core::ratelimit::RateLimits {
            requests_per_minute: o.requests_per_minute,
            tokens_per_minute: o.tokens_per_minute,
            max_concurrent: o.max_concurrent.map(|n| n as usize),
        };
        let provider = b
            .retry(retry)
            .timeouts(timeouts)
            .rate_limits(limits)
            .build()
            .map_err(|e| core_err(&e))?;
        Ok(OpenAiCompatible {
            inner: Arc::new(provider),
        })
    }
}

provider_methods!(OpenAiCompatible);

/// Records a provider's calls in a JSON-lines file and replays them. `mode`: `record`,
/// `replay` (default; a call it lacks goes to the provider), `replay_strict` (a call it lacks
/// fails with code `cassette_miss`; give `model`, the recording provider's model, when there is
/// no provider) or `record_missing`. One format in Rust, Python and Node.
#[napi]
pub struct Cassette {
    pub(crate) inner: Arc<dyn LlmProvider>,
}

#[napi]
impl Cassette {
    #[napi(
        constructor,
        ts_args_type = "path: string, options?: { mode?: 'record' | 'replay' | 'replay_strict' | 'record_missing'; provider?: Provider | CompletesChat; model?: string }"
    )]
    pub fn new(env: Env, path: String, options: Option<Object>) -> Result<Self> {
        let (mode, provider, model) = match options {
            Some(o) => (
                o.get::<String>("mode").map_err(napi_err)?,
                o.get::<Unknown>("provider").map_err(napi_err)?,
                o.get::<String>("model").map_err(napi_err)?,
            ),
            None => (None, None, None),
        };
        let mode: core::CassetteMode = mode
            .as_deref()
            .unwrap_or("replay")
            .parse()
            .map_err(|e| core_err(&e))?;
        let inner = match provider {
            Some(p) if !matches!(p.get_type(), Ok(ValueType::Undefined | ValueType::Null)) => {
                Some(provider_from(&env, p)?)
            }
            _ => None,
        };
        let cassette = match (inner, model) {
            (None, Some(model)) if mode == core::CassetteMode::ReplayStrict => {
                core::Cassette::replay(&path, model)
            }
            (None, None) if mode == core::CassetteMode::ReplayStrict => {
                return Err(invalid(
                    "a strict replay without a provider needs `model` (the model the recording provider had)",
                ));
            }
            (inner, _) => core::Cassette::open(&path, mode, inner),
        }
        .map_err(|e| core_err(&e))?;
        Ok(Cassette {
            inner: Arc::new(cassette),
        })
    }
}

provider_methods!(Cassette);

pub(crate) fn napi_err(e: napi::Error) -> napi::Error<Code> {
    napi::Error::new(Code("invalid_argument"), e.reason)
}

/// The provider of one of ours, if `value` is one.
fn ours(env: &Env, value: &Unknown) -> Option<Arc<dyn LlmProvider>> {
    // SAFETY: `from_napi_value` checks the class recorded at wrap time and fails for any other
    // object, so a wrong guess is an `Err`, never a bad cast.
    unsafe {
        let (env, raw) = (env.raw(), value.raw());
        if let Ok(p) = ClassInstance::<Offline>::from_napi_value(env, raw) {
            return Some(p.inner.clone());
        }
        if let Ok(p) = ClassInstance::<Scripted>::from_napi_value(env, raw) {
            return Some(p.inner.clone());
        }
        if let Ok(p) = ClassInstance::<OpenAiCompatible>::from_napi_value(env, raw) {
            return Some(p.inner.clone());
        }
        if let Ok(p) = ClassInstance::<Cassette>::from_napi_value(env, raw) {
            return Some(p.inner.clone());
        }
    }
    None
}

/// The core provider behind a JS value: one of ours, or any object with `complete`.
pub(crate) fn provider_from(env: &Env, value: Unknown) -> Result<Arc<dyn LlmProvider>> {
    if let Some(p) = ours(env, &value) {
        return Ok(p);
    }
    let not_a_provider = || {
        invalid(
            "a provider is an mgx provider or an object with a complete(messages, params) method",
        )
    };
    if value.get_type().map_err(napi_err)? != ValueType::Object {
        return Err(not_a_provider());
    }
    // SAFETY: the value is an object (checked above).
    let object = unsafe { Object::from_napi_value(env.raw(), value.raw()) }.map_err(napi_err)?;
    let complete = object
        .get::<Unknown>("complete")
        .map_err(|_| not_a_provider())?
        .filter(|f| matches!(f.get_type(), Ok(ValueType::Function)))
        .ok_or_else(not_a_provider)?;
    let caller = JsCaller::new(env, complete, object).map_err(napi_err)?;
    let model = object
        .get::<Unknown>("model")
        .ok()
        .flatten()
        .filter(|m| matches!(m.get_type(), Ok(ValueType::String)))
        .and_then(|m| unsafe { String::from_napi_value(env.raw(), m.raw()) }.ok())
        .unwrap_or_else(|| "js".to_string());
    Ok(Arc::new(JsProvider {
        complete: Arc::new(caller),
        id: ProviderId::new("js", &model),
    }))
}

/// A JS object as a core provider.
struct JsProvider {
    complete: Arc<JsCaller<FnArgs<(f64, Json, Json)>>>,
    id: ProviderId,
}

#[async_trait]
impl LlmProvider for JsProvider {
    fn id(&self) -> ProviderId {
        self.id.clone()
    }

    async fn complete(&self, request: &ChatRequest) -> mgx_core::Result<ChatResponse> {
        let mut params = serde_json::to_value(request)
            .map_err(|e| mgx_core::Error::provider(format!("a request: {e}")))?;
        let messages = params
            .as_object_mut()
            .and_then(|p| p.remove("messages"))
            .unwrap_or(Value::Null);
        if let Some(p) = params.as_object_mut()
            && let Some(max) = p.remove("max_tokens")
        {
            p.insert("maxTokens".into(), max);
        }
        let answer = self
            .complete
            .call(|id| FnArgs::from((id, Json::of(&messages), Json::of(&params))))
            .await
            .map_err(from_js)?;
        response_from(answer)
    }
}

/// A JS provider's answer: a string, `{ content, usage?, model?, finish_reason? }`, or an
/// OpenAI-SDK chat completion (`choices[0].message.content`, `usage`, `model`).
fn response_from(answer: Value) -> mgx_core::Result<ChatResponse> {
    let bad = |what: &str| {
        mgx_core::Error::provider(format!(
            "a provider answers with a string, an object with a string `content`, or a chat completion; got {what}"
        ))
    };
    match answer {
        Value::String(text) => Ok(ChatResponse::text(text)),
        Value::Object(map) => {
            let content = match map.get("content") {
                Some(Value::String(s)) => s.clone(),
                _ => match map
                    .get("choices")
                    .and_then(|c| c.get(0))
                    .and_then(|c| c.get("message"))
                    .and_then(|m| m.get("content"))
                {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Null) => String::new(),
                    _ => return Err(bad("an object without either")),
                },
            };
            let mut response = ChatResponse::text(content);
            let usage = map.get("usage").filter(|u| !u.is_null());
            response.usage = usage.and_then(|u| {
                let n =
                    |k: &str, alt: &str| u.get(k).or_else(|| u.get(alt)).and_then(Value::as_u64);
                Some(Usage {
                    prompt_tokens: n("prompt_tokens", "promptTokens")?,
                    completion_tokens: n("completion_tokens", "completionTokens")?,
                })
            });
            response.model = map.get("model").and_then(Value::as_str).map(str::to_string);
            Ok(response)
        }
        Value::Null => Err(bad("nothing")),
        other => Err(bad(&format!("{other}"))),
    }
}
