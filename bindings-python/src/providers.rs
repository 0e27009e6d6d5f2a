//! Model providers for Python: the core's (`Offline`, `Scripted`, `OpenAICompatible`,
//! `Cassette`, all subclasses of `Provider`) and any Python object with a
//! `complete(messages, **params)` method, sync or `async def`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use pyo3::exceptions::{PyStopAsyncIteration, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use mgx_core::llm::{ChatRequest, ChatResponse, LlmProvider, Pieces, ProviderId, Usage};
use mgx_core::providers::{Cassette, CassetteMode, Offline, OpenAiCompatible, Scripted};

use crate::bridge::{Plain, RunLoop, future_into_py};
use crate::convert::{from_py, to_py, type_name};
use crate::error::{MgxError, core_err, from_python};

/// A model provider. Pass one (or any object with a `complete(messages, **params)` method) to
/// `Team(provider=...)`; call `await provider.complete(messages)` to use it directly.
#[pyclass(name = "Provider", module = "mgx", subclass, frozen)]
pub(crate) struct PyProvider {
    pub(crate) inner: Arc<dyn LlmProvider>,
}

#[pymethods]
impl PyProvider {
    /// `kind/model`, e.g. `offline/scaffold` or `openai-compatible/gpt-4o-mini`.
    #[getter]
    fn id(&self) -> String {
        self.inner.id().to_string()
    }

    /// Ask the provider: `messages` is a list of `{"role", "content"}` dicts; `params` may set
    /// `model`, `temperature`, `max_tokens`, `stop`. Returns (awaitable) a dict with `content`,
    /// `finish_reason`, `usage`, `model`, `attempts`, `cached`.
    #[pyo3(signature = (messages, **params))]
    fn complete<'py>(
        &self,
        py: Python<'py>,
        messages: &Bound<'py, PyAny>,
        params: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = request_from_py(messages, params)?;
        let inner = self.inner.clone();
        future_into_py(py, async move {
            let answer = inner.complete(&request).await.map_err(|e| core_err(&e))?;
            Ok(Plain(answer))
        })
    }

    /// The answer in pieces as the provider produces them: `async for piece in
    /// provider.stream(messages)` gives dicts with `content` (the text added), `finish_reason`
    /// and `usage` (on the last pieces, when the server reports them). A provider that does not
    /// stream (a Python object, `Offline`, `Scripted`) gives its whole answer as one piece.
    /// The call starts at the first `__anext__`; an error ends the iteration with its
    /// exception (`IncompleteStreamError` when the server stopped mid-answer).
    #[pyo3(signature = (messages, **params))]
    fn stream(
        &self,
        messages: &Bound<'_, PyAny>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyDeltaStream> {
        let request = request_from_py(messages, params)?;
        Ok(PyDeltaStream {
            pieces: Arc::new(tokio::sync::Mutex::new(Pieces::new(
                self.inner.clone(),
                request,
            ))),
        })
    }

    fn __repr__(&self) -> String {
        format!("Provider('{}')", self.inner.id())
    }
}

/// `provider.stream(...)`: an async iterator of the answer's pieces.
#[pyclass(name = "DeltaStream", module = "mgx", frozen)]
pub(crate) struct PyDeltaStream {
    pieces: Arc<tokio::sync::Mutex<Pieces>>,
}

#[pymethods]
impl PyDeltaStream {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let pieces = self.pieces.clone();
        future_into_py(py, async move {
            match pieces.lock().await.next().await {
                Ok(Some(piece)) => Ok(Plain(piece)),
                Ok(None) => Err(PyStopAsyncIteration::new_err(())),
                Err(e) => Err(core_err(&e)),
            }
        })
    }

    /// End the stream before its last piece: the provider's call stops (an `async for` left
    /// with `break` ends it too, when the stream is let go).
    fn aclose<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let pieces = self.pieces.clone();
        future_into_py(py, async move {
            pieces.lock().await.close();
            Ok(())
        })
    }

    fn __repr__(&self) -> &'static str {
        "DeltaStream()"
    }
}

/// The offline provider: a deterministic scaffold generator (no model, no network) that
/// answers every action of the default team in the shape it asks for. The default provider.
#[pyclass(name = "Offline", module = "mgx", extends = PyProvider, frozen)]
pub(crate) struct PyOffline;

#[pymethods]
impl PyOffline {
    #[new]
    fn new() -> PyClassInitializer<Self> {
        PyClassInitializer::from(PyProvider {
            inner: Arc::new(Offline),
        })
        .add_subclass(PyOffline)
    }
}

/// Answers from a list, one per call, in order; a call past the end is a `ScriptedError`. For
/// tests and demos.
#[pyclass(name = "Scripted", module = "mgx", extends = PyProvider, frozen)]
pub(crate) struct PyScripted {
    scripted: Arc<Scripted>,
}

#[pymethods]
impl PyScripted {
    #[new]
    #[pyo3(signature = (answers, model = "scripted"))]
    fn new(answers: Vec<String>, model: &str) -> PyResult<PyClassInitializer<Self>> {
        if answers.is_empty() {
            return Err(PyValueError::new_err("Scripted needs at least one answer"));
        }
        let scripted = Arc::new(Scripted::new(answers).with_model(model));
        Ok(PyClassInitializer::from(PyProvider {
            inner: scripted.clone(),
        })
        .add_subclass(PyScripted { scripted }))
    }

    /// The requests it has been asked, oldest first (dicts with `messages`, `model`, …).
    #[getter]
    fn calls<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.scripted.calls())
    }
}

/// Any server that speaks the OpenAI chat-completions API (OpenAI, Ollama, vLLM, LiteLLM …).
/// Unset values come from the environment: `MGX_BASE_URL`/`OPENAI_BASE_URL`,
/// `MGX_API_KEY`/`OPENAI_API_KEY`, `MGX_MODEL`. The key is never shown.
#[pyclass(name = "OpenAICompatible", module = "mgx", extends = PyProvider, frozen)]
pub(crate) struct PyOpenAiCompatible;

#[pymethods]
impl PyOpenAiCompatible {
    #[new]
    #[pyo3(signature = (model = None, base_url = None, api_key = None, max_attempts = None, timeout = None, connect_timeout = None, requests_per_minute = None, tokens_per_minute = None, max_concurrent = None))]
    #[allow(clippy::too_many_arguments)] // the keyword arguments of one Python constructor
    fn new(
        model: Option<String>,
        base_url: Option<String>,
        api_key: Option<String>,
        max_attempts: Option<u32>,
        timeout: Option<f64>,
        connect_timeout: Option<f64>,
        requests_per_minute: Option<u32>,
        tokens_per_minute: Option<u32>,
        max_concurrent: Option<usize>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let mut builder = OpenAiCompatible::builder();
        if let Some(m) = model {
            builder = builder.model(m);
        }
        if let Some(u) = base_url {
            builder = builder.base_url(u);
        }
        if let Some(k) = api_key {
            builder = builder.api_key(k);
        }
        let mut retry = mgx_core::providers::RetryPolicy::default();
        if let Some(n) = max_attempts {
            retry.max_attempts = n;
        }
        let mut timeouts = mgx_core::providers::Timeouts::default();
        if let Some(t) = timeout {
            timeouts.request = seconds("timeout", t)?;
        }
        if let Some(t) = connect_timeout {
            timeouts.connect = seconds("connect_timeout", t)?;
        }
        let limits = mgx_core::ratelimit::RateLimits {
            requests_per_minute,
            tokens_per_minute,
            max_concurrent,
        };
        let provider = builder
            .retry(retry)
            .timeouts(timeouts)
            .rate_limits(limits)
            .build()
            .map_err(|e| core_err(&e))?;
        Ok(PyClassInitializer::from(PyProvider {
            inner: Arc::new(provider),
        })
        .add_subclass(PyOpenAiCompatible))
    }
}

/// Records calls to a provider in a JSON-lines file and replays them: `mode` is `record`,
/// `replay` (a missing call goes to the provider), `replay_strict` (a missing call is a
/// `CassetteMissError`; needs `model`, the recording provider's model, when no provider is
/// given) or `record_missing`. Cassettes are shared by Rust, Python and Node.
#[pyclass(name = "Cassette", module = "mgx", extends = PyProvider, frozen)]
pub(crate) struct PyCassette;

#[pymethods]
impl PyCassette {
    #[new]
    #[pyo3(signature = (path, mode = "replay", provider = None, model = None))]
    fn new(
        path: std::path::PathBuf,
        mode: &str,
        provider: Option<&Bound<'_, PyAny>>,
        model: Option<String>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let mode: CassetteMode = mode.parse().map_err(|e| core_err(&e))?;
        let inner = provider.map(provider_from).transpose()?;
        let cassette = match (inner, model) {
            (None, Some(model)) if mode == CassetteMode::ReplayStrict => {
                Cassette::replay(&path, model)
            }
            (None, None) if mode == CassetteMode::ReplayStrict => {
                return Err(PyValueError::new_err(
                    "a strict replay without a provider needs model= (the model the recording provider had)",
                ));
            }
            (inner, _) => Cassette::open(&path, mode, inner),
        }
        .map_err(|e| core_err(&e))?;
        Ok(PyClassInitializer::from(PyProvider {
            inner: Arc::new(cassette),
        })
        .add_subclass(PyCassette))
    }
}

fn seconds(name: &str, value: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| PyValueError::new_err(format!("{name} must be a number of seconds ≥ 0")))
}

/// The core provider behind a Python value: one of ours, or any object with `complete`.
pub(crate) fn provider_from(obj: &Bound<'_, PyAny>) -> PyResult<Arc<dyn LlmProvider>> {
    if let Ok(ours) = obj.cast::<PyProvider>() {
        return Ok(ours.get().inner.clone());
    }
    let complete = obj.getattr("complete").map_err(|_| {
        PyTypeError::new_err(format!(
            "a provider is an mgx provider or an object with a complete(messages, **params) method, not {}",
            type_name(obj)
        ))
    })?;
    if !complete.is_callable() {
        return Err(PyTypeError::new_err(format!(
            "{}.complete is not callable",
            type_name(obj)
        )));
    }
    let py = obj.py();
    let is_async = py
        .import("inspect")?
        .call_method1("iscoroutinefunction", (&complete,))?
        .is_truthy()?;
    let model = match obj.getattr("model") {
        Ok(m) if m.is_instance_of::<PyString>() => m.extract::<String>()?,
        _ => type_name(obj),
    };
    Ok(Arc::new(PythonProvider {
        obj: Arc::new(obj.clone().unbind()),
        is_async,
        id: ProviderId::new("python", &model),
    }))
}

/// A Python object as a core provider. A sync `complete` runs on tokio's blocking pool (it may
/// do blocking I/O); an `async def complete` runs on the event loop the run was started from,
/// started and read there in batches with the other runs' calls (see `bridge`).
struct PythonProvider {
    obj: Arc<Py<PyAny>>,
    is_async: bool,
    id: ProviderId,
}

/// Why an awaitable answer cannot be awaited.
const NO_LOOP: &str = "an async provider needs the event loop of the run: start the run from \
     async code (await team.run(...)) or with team.run_sync(...), which runs one";

#[async_trait]
impl LlmProvider for PythonProvider {
    fn id(&self) -> ProviderId {
        self.id.clone()
    }

    async fn complete(&self, request: &ChatRequest) -> mgx_core::Result<ChatResponse> {
        // The run's event loop, when it has one (a run started from async code carries it).
        let run_loop = RunLoop::of_task();
        if self.is_async {
            let run_loop = run_loop.ok_or_else(|| from_python(PyTypeError::new_err(NO_LOOP)))?;
            let (obj, request) = (self.obj.clone(), request.clone());
            return run_loop
                .call(
                    move |py| call_complete(py, &obj, &request),
                    response_from_py,
                )
                .await
                .map_err(from_python);
        }
        let (obj, request) = (self.obj.clone(), request.clone());
        let outcome = tokio::task::spawn_blocking(move || {
            crate::bridge::attach(|py| -> PyResult<Result<ChatResponse, Py<PyAny>>> {
                let answer = call_complete(py, &obj, &request)?;
                // A sync function may still hand back an awaitable.
                if answer.hasattr("__await__")? {
                    Ok(Err(answer.unbind()))
                } else {
                    response_from_py(&answer).map(Ok)
                }
            })
            .unwrap_or_else(|| Err(MgxError::new_err("the interpreter is exiting")))
        })
        .await
        .map_err(|e| mgx_core::Error::provider(format!("the provider's thread failed: {e}")))?
        .map_err(from_python)?;
        match outcome {
            Ok(answer) => Ok(answer),
            Err(awaitable) => {
                let run_loop =
                    run_loop.ok_or_else(|| from_python(PyTypeError::new_err(NO_LOOP)))?;
                run_loop
                    .call(move |py| Ok(awaitable.into_bound(py)), response_from_py)
                    .await
                    .map_err(from_python)
            }
        }
    }
}

/// `obj.complete(messages, **params)`.
fn call_complete<'py>(
    py: Python<'py>,
    obj: &Py<PyAny>,
    request: &ChatRequest,
) -> PyResult<Bound<'py, PyAny>> {
    let params = to_py(py, request)?.cast_into::<PyDict>()?;
    let messages = params
        .get_item("messages")?
        .ok_or_else(|| PyValueError::new_err("a request without messages"))?;
    params.del_item("messages")?;
    obj.bind(py)
        .call_method("complete", (messages,), Some(&params))
}

/// A provider's answer: a `str`, a dict (`content`, optional `usage` with `prompt_tokens` and
/// `completion_tokens`, `model`, `finish_reason`), or an OpenAI-SDK-shaped object
/// (`.choices[0].message.content`, `.usage`, `.model`).
fn response_from_py(answer: &Bound<'_, PyAny>) -> PyResult<ChatResponse> {
    if let Ok(text) = answer.cast::<PyString>() {
        return Ok(ChatResponse::text(text.extract::<String>()?));
    }
    if answer.cast::<PyDict>().is_ok() {
        let value = from_py(answer)?;
        if !value
            .get("content")
            .is_some_and(serde_json::Value::is_string)
        {
            return Err(PyTypeError::new_err(
                "a provider's dict answer needs a str 'content'",
            ));
        }
        #[derive(serde::Deserialize)]
        struct Shape {
            content: String,
            #[serde(default)]
            usage: Option<Usage>,
            #[serde(default)]
            model: Option<String>,
            #[serde(default)]
            finish_reason: Option<mgx_core::llm::FinishReason>,
        }
        let shape: Shape = serde_json::from_value(value)
            .map_err(|e| PyTypeError::new_err(format!("a provider's dict answer: {e}")))?;
        let mut response = ChatResponse::text(shape.content);
        response.usage = shape.usage;
        response.model = shape.model;
        if shape.finish_reason.is_some() {
            response.finish_reason = shape.finish_reason;
        }
        return Ok(response);
    }
    if answer.hasattr("choices")? {
        let first = answer.getattr("choices")?.get_item(0)?;
        let content: Option<String> = first.getattr("message")?.getattr("content")?.extract()?;
        let mut response = ChatResponse::text(content.unwrap_or_default());
        if let Ok(usage) = answer.getattr("usage")
            && !usage.is_none()
        {
            response.usage = Some(Usage {
                prompt_tokens: usage.getattr("prompt_tokens")?.extract()?,
                completion_tokens: usage.getattr("completion_tokens")?.extract()?,
            });
        }
        if let Ok(model) = answer.getattr("model") {
            response.model = model.extract().ok();
        }
        return Ok(response);
    }
    Err(PyTypeError::new_err(format!(
        "a provider answers with a str, a dict with 'content', or a chat completion, not {}",
        type_name(answer)
    )))
}

/// A request from Python: messages as `{"role", "content"}` dicts, and keyword params.
fn request_from_py(
    messages: &Bound<'_, PyAny>,
    params: Option<&Bound<'_, PyDict>>,
) -> PyResult<ChatRequest> {
    let mut value = serde_json::Map::new();
    value.insert("messages".into(), from_py(messages)?);
    if let Some(params) = params
        && let serde_json::Value::Object(more) = from_py(params.as_any())?
    {
        value.extend(more);
    }
    serde_json::from_value(serde_json::Value::Object(value))
        .map_err(|e| PyValueError::new_err(format!("a chat request: {e}")))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyProvider>()?;
    m.add_class::<PyDeltaStream>()?;
    m.add_class::<PyOffline>()?;
    m.add_class::<PyScripted>()?;
    m.add_class::<PyOpenAiCompatible>()?;
    m.add_class::<PyCassette>()?;
    Ok(())
}
