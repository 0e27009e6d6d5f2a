//! The OpenAI-compatible HTTP provider.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use eventsource_stream::Eventsource;
use futures::stream::{self, StreamExt};
use serde::Deserialize;

use crate::error::{Error, Result, TimeoutStage};
use crate::llm::{
    ChatDelta, ChatRequest, ChatResponse, DeltaStream, FinishReason, LlmProvider, ProviderId, Usage,
};
use crate::ratelimit::{RateLimiter, RateLimits, RatePermit};

/// The base URL used when neither the builder nor the environment names one.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// An API key. It never appears in `Debug`, `Display`, logs, errors or events.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wrap a key.
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }

    /// The key itself, for the `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl std::fmt::Display for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How failed calls are retried: 429, 5xx, timeouts and connection errors, with exponential
/// backoff and jitter, honouring `Retry-After`, within a number of attempts and a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (default 4; 1 = no retries).
    pub max_attempts: u32,
    /// The wait before the first retry (default 500 ms); doubles each time.
    pub initial_backoff: Duration,
    /// The longest wait between attempts (default 30 s), unless the server asks for longer.
    pub max_backoff: Duration,
    /// The longest a call may take, retries and waits included (default 10 minutes).
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            deadline: Duration::from_secs(600),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1`: `initial × 2^(attempt-1)`, capped, times a random
    /// factor in [0.5, 1) so that clients do not retry in lockstep.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        exp.min(self.max_backoff)
            .mul_f64(0.5 + fastrand::f64() / 2.0)
    }
}

/// Time limits of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening the connection (default 10 s).
    pub connect: Duration,
    /// The whole answer, or a stream's headers (default 300 s).
    pub request: Duration,
    /// Between two chunks of a stream (default 60 s).
    pub between_chunks: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(300),
            between_chunks: Duration::from_secs(60),
        }
    }
}

/// Builds an [`OpenAiCompatible`] provider.
#[derive(Debug, Clone, Default)]
pub struct OpenAiCompatibleBuilder {
    base_url: Option<String>,
    api_key: Option<ApiKey>,
    model: Option<String>,
    retry: RetryPolicy,
    timeouts: Timeouts,
    limits: RateLimits,
}

impl OpenAiCompatibleBuilder {
    /// The server's base URL, up to and including `/v1` (e.g. `http://127.0.0.1:11434/v1`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The API key.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(ApiKey::new(key));
        self
    }

    /// The model used when a request names none.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// The retry policy.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The time limits.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Client-side rate limits, shared with every provider of the same base URL and key.
    pub fn rate_limits(mut self, limits: RateLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The provider. What the builder leaves unset comes from the environment: the base URL
    /// from `MGX_BASE_URL`, else `OPENAI_BASE_URL`, else [`DEFAULT_BASE_URL`]; the key from
    /// `MGX_API_KEY`, else `OPENAI_API_KEY` (none is fine for local servers); the model from
    /// `MGX_MODEL` (required one way or the other).
    pub fn build(self) -> Result<OpenAiCompatible> {
        let env = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
        };
        let base_url = self
            .base_url
            .or_else(|| env(&["MGX_BASE_URL", "OPENAI_BASE_URL"]))
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        let base_url = base_url.trim().trim_end_matches('/').to_string();
        let parsed = reqwest::Url::parse(&base_url)
            .map_err(|e| Error::config(format!("base URL {base_url:?}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::config(format!(
                "base URL {base_url:?}: only http and https are supported"
            )));
        }
        let api_key = self
            .api_key
            .or_else(|| env(&["MGX_API_KEY", "OPENAI_API_KEY"]).map(ApiKey));
        let model = self
            .model
            .or_else(|| env(&["MGX_MODEL"]))
            .ok_or_else(|| Error::config("no model: set one on the builder or in MGX_MODEL"))?;
        if self.retry.max_attempts == 0 {
            return Err(Error::config("retry.max_attempts must be at least 1"));
        }
        let client = http_client(self.timeouts.connect)?;
        let limiter = self.limits.is_limited().then(|| {
            RateLimiter::shared(&base_url, api_key.as_ref().map(ApiKey::expose), self.limits)
        });
        Ok(OpenAiCompatible {
            inner: Arc::new(Inner {
                client,
                url: format!("{base_url}/chat/completions"),
                base_url,
                api_key,
                model,
                retry: self.retry,
                timeouts: self.timeouts,
                limiter,
            }),
        })
    }
}

/// One HTTP client per connect timeout is enough; clients pool connections. The TLS backend is
/// rustls with ring (no system OpenSSL).
pub(crate) fn http_client(connect: Duration) -> Result<reqwest::Client> {
    static PROVIDER: OnceLock<()> = OnceLock::new();
    PROVIDER.get_or_init(|| {
        // Fails only when a provider is installed already, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
        .connect_timeout(connect)
        .build()
        .map_err(|e| Error::config(format!("HTTP client: {e}")))
}

struct Inner {
    client: reqwest::Client,
    base_url: String,
    url: String,
    api_key: Option<ApiKey>,
    model: String,
    retry: RetryPolicy,
    timeouts: Timeouts,
    limiter: Option<Arc<RateLimiter>>,
}

/// A provider for any server that speaks the OpenAI chat-completions API: OpenAI, Ollama,
/// vLLM, LiteLLM, llama.cpp's server and others.
///
/// ```no_run
/// use mgx_core::llm::{ChatRequest, LlmProvider};
/// use mgx_core::providers::OpenAiCompatible;
///
/// # async fn run() -> mgx_core::Result<()> {
/// let provider = OpenAiCompatible::builder()
///     .base_url("http://127.0.0.1:11434/v1")
///     .model("llama3.2")
///     .build()?;
/// let answer = provider.complete(&ChatRequest::user("Say hi")).await?;
/// println!("{} ({:?})", answer.content, answer.usage);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct OpenAiCompatible {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for OpenAiCompatible {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiCompatible")
            .field("base_url", &self.inner.base_url)
            .field("model", &self.inner.model)
            .field("api_key", &self.inner.api_key)
            .field("retry", &self.inner.retry)
            .field("timeouts", &self.inner.timeouts)
            .finish()
    }
}

/// How one attempt ended, when it did not succeed.
enum Failure {
    /// Try again (after at least `wait`, when the server asked).
    Retry {
        error: Error,
        wait: Option<Duration>,
    },
    /// Give up now.
    Fatal(Error),
}

impl OpenAiCompatible {
    /// A builder (see [`OpenAiCompatibleBuilder::build`] for what comes from the environment).
    pub fn builder() -> OpenAiCompatibleBuilder {
        OpenAiCompatibleBuilder::default()
    }

    /// The base URL in use.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    fn body(&self, request: &ChatRequest, stream: bool) -> serde_json::Value {
        let mut body = serde_json::json!({
            "model": request.model.as_deref().unwrap_or(&self.inner.model),
            "messages": request.messages,
            "stream": stream,
        });
        if let Some(t) = request.temperature {
            body["temperature"] = serde_json::json!(t);
        }
        if let Some(n) = request.max_tokens {
            body["max_tokens"] = serde_json::json!(n);
        }
        if !request.stop.is_empty() {
            body["stop"] = serde_json::json!(request.stop);
        }
        if let Some(format) = &request.response_format {
            body["response_format"] = serde_json::json!(format);
        }
        if stream {
            body["stream_options"] = serde_json::json!({"include_usage": true});
        }
        body
    }

    async fn start(&self, request: &ChatRequest) -> Option<RatePermit> {
        let limiter = self.inner.limiter.as_ref()?;
        let tokens = request.estimated_prompt_tokens() + u64::from(request.max_tokens.unwrap_or(0));
        Some(limiter.start_call(tokens).await)
    }

    /// Send `body` until a success status arrives or the policy gives up. With `read_body`,
    /// the whole body is read within the request timeout (and a failure to read it retried).
    async fn send(&self, body: &serde_json::Value, read_body: bool) -> Result<(Sent, u32)> {
        let inner = &self.inner;
        let started = Instant::now();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            if let Some(limiter) = &inner.limiter {
                limiter.before_request().await;
            }
            let remaining = inner.retry.deadline.saturating_sub(started.elapsed());
            if remaining.is_zero() {
                return Err(Error::Timeout {
                    stage: TimeoutStage::Deadline,
                    attempts: attempt - 1,
                });
            }
            let limit = inner.timeouts.request.min(remaining);
            let outcome = tokio::time::timeout(limit, self.attempt(body, read_body, attempt)).await;
            let failure = match outcome {
                Ok(Ok(sent)) => return Ok((sent, attempt)),
                Ok(Err(failure)) => failure,
                Err(_) => Failure::Retry {
                    error: Error::Timeout {
                        stage: if limit < inner.timeouts.request {
                            TimeoutStage::Deadline
                        } else {
                            TimeoutStage::Request
                        },
                        attempts: attempt,
                    },
                    wait: None,
                },
            };
            match failure {
                Failure::Fatal(error) => return Err(error),
                Failure::Retry { error, wait } => {
                    if attempt >= inner.retry.max_attempts {
                        return Err(error);
                    }
                    let backoff = inner.retry.backoff(attempt);
                    let wait = wait.map_or(backoff, |w| w.max(backoff));
                    let remaining = inner.retry.deadline.saturating_sub(started.elapsed());
                    if wait >= remaining {
                        // Waiting as asked would pass the deadline: give up now, saying why.
                        return Err(error);
                    }
                    tracing::debug!(target: "mgx::llm", attempt, wait_ms = wait.as_millis() as u64, error = %error, "retrying");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    async fn attempt(
        &self,
        body: &serde_json::Value,
        read_body: bool,
        attempt: u32,
    ) -> std::result::Result<Sent, Failure> {
        let inner = &self.inner;
        let mut builder = inner.client.post(&inner.url).json(body);
        if let Some(key) = &inner.api_key {
            builder = builder.bearer_auth(key.expose());
        }
        let response = builder
            .send()
            .await
            .map_err(|e| transport_failure(&e, attempt))?;
        let status = response.status();
        if status.is_success() {
            if !read_body {
                return Ok(Sent::Streaming(response));
            }
            let bytes = response
                .bytes()
                .await
                .map_err(|e| transport_failure(&e, attempt))?;
            return Ok(Sent::Read(bytes.to_vec()));
        }
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let text = response.text().await.unwrap_or_default();
        let message = server_message(&text);
        let code = status.as_u16();
        if code == 429 {
            Err(Failure::Retry {
                error: Error::RateLimited {
                    message,
                    retry_after,
                    attempts: attempt,
                },
                wait: retry_after,
            })
        } else if status.is_server_error() {
            Err(Failure::Retry {
                error: Error::Status {
                    status: code,
                    message,
                    retryable: true,
                    attempts: attempt,
                },
                wait: retry_after,
            })
        } else {
            Err(Failure::Fatal(Error::Status {
                status: code,
                message,
                retryable: false,
                attempts: attempt,
            }))
        }
    }
}

/// A successful answer: still streaming, or read in full.
enum Sent {
    Streaming(reqwest::Response),
    Read(Vec<u8>),
}

fn transport_failure(e: &reqwest::Error, attempt: u32) -> Failure {
    let error = if e.is_timeout() {
        Error::Timeout {
            stage: if e.is_connect() {
                TimeoutStage::Connect
            } else {
                TimeoutStage::Request
            },
            attempts: attempt,
        }
    } else {
        Error::Connection {
            message: describe_transport(e),
            attempts: attempt,
        }
    };
    Failure::Retry { error, wait: None }
}

/// The error and its sources, without the URL (which may carry credentials in odd setups).
fn describe_transport(e: &reqwest::Error) -> String {
    let mut parts = vec![e.without_url_ref()];
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.dedup();
    parts.join(": ")
}

trait WithoutUrlRef {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrlRef for reqwest::Error {
    fn without_url_ref(&self) -> String {
        let mut text = self.to_string();
        if let Some(url) = self.url() {
            text = text.replace(&format!(" for url ({url})"), "");
        }
        text
    }
}

/// `Retry-After` as seconds (whole or not) or an HTTP date.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs.min(86_400.0)));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// The server's own error message: `{"error": {"message": …}}`, `{"error": "…"}`,
/// `{"message": …}`, or the body itself, shortened.
fn server_message(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        let found = v
            .pointer("/error/message")
            .or_else(|| v.get("error").filter(|e| e.is_string()))
            .or_else(|| v.get("message"))
            .or_else(|| v.get("detail"))
            .and_then(|m| m.as_str());
        if let Some(m) = found {
            return m.to_string();
        }
    }
    let body = body.trim();
    if body.is_empty() {
        return "(no message)".to_string();
    }
    let mut short: String = body.chars().take(500).collect();
    if short.len() < body.len() {
        short.push('…');
    }
    short
}

#[derive(Deserialize)]
struct WireUsage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
}

impl WireUsage {
    fn usage(&self) -> Option<Usage> {
        Some(Usage {
            prompt_tokens: self.prompt_tokens?,
            completion_tokens: self.completion_tokens?,
        })
    }
}

#[derive(Deserialize)]
struct WireMessage {
    content: Option<String>,
}

#[derive(Deserialize)]
struct WireChoice {
    message: Option<WireMessage>,
    delta: Option<WireMessage>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct WireResponse {
    #[serde(default)]
    choices: Vec<WireChoice>,
    usage: Option<WireUsage>,
    model: Option<String>,
    error: Option<serde_json::Value>,
}

fn parse_json(bytes: &[u8]) -> Result<WireResponse> {
    serde_json::from_slice(bytes).map_err(|e| Error::MalformedResponse {
        message: format!(
            "{e}: {}",
            server_message(&String::from_utf8_lossy(bytes))
                .chars()
                .take(200)
                .collect::<String>()
        ),
    })
}

fn error_in_body(error: &serde_json::Value) -> Error {
    let message = error
        .get("message")
        .and_then(|m| m.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| error.to_string());
    Error::provider(message)
}

#[async_trait]
impl LlmProvider for OpenAiCompatible {
    fn id(&self) -> ProviderId {
        ProviderId::new("openai-compatible", &self.inner.model)
    }

    async fn complete(&self, request: &ChatRequest) -> Result<ChatResponse> {
        let _permit = self.start(request).await;
        let body = self.body(request, false);
        let (sent, attempts) = self.send(&body, true).await?;
        let bytes = match sent {
            Sent::Read(bytes) => bytes,
            Sent::Streaming(response) => response
                .bytes()
                .await
                .map_or_else(|_| Vec::new(), |b| b.to_vec()),
        };
        let wire = parse_json(&bytes)?;
        if let Some(error) = &wire.error {
            return Err(error_in_body(error));
        }
        let choice = wire
            .choices
            .first()
            .ok_or_else(|| Error::MalformedResponse {
                message: "the answer has no choices".into(),
            })?;
        let content = choice
            .message
            .as_ref()
            .and_then(|m| m.content.clone())
            .unwrap_or_default();
        Ok(ChatResponse {
            content,
            finish_reason: choice.finish_reason.as_deref().map(FinishReason::parse),
            usage: wire.usage.as_ref().and_then(WireUsage::usage),
            model: wire.model,
            attempts,
            cached: false,
        })
    }

    async fn stream(&self, request: &ChatRequest) -> Result<DeltaStream> {
        let permit = self.start(request).await;
        let body = self.body(request, true);
        let response = match self.send(&body, false).await? {
            (Sent::Streaming(response), _) => response,
            (Sent::Read(bytes), _) => {
                // Not reached: `send` reads bodies only when asked. Treat it as a stream end.
                return Err(Error::MalformedResponse {
                    message: format!("expected an event stream, got {} bytes", bytes.len()),
                });
            }
        };
        let state = StreamState {
            events: response.bytes_stream().eventsource().boxed(),
            idle: self.inner.timeouts.between_chunks,
            chunks: 0,
            finished: false,
            ended: false,
            _permit: permit,
        };
        Ok(stream::unfold(state, next_delta).boxed())
    }
}

type SseEvents = futures::stream::BoxStream<
    'static,
    std::result::Result<
        eventsource_stream::Event,
        eventsource_stream::EventStreamError<reqwest::Error>,
    >,
>;

struct StreamState {
    events: SseEvents,
    idle: Duration,
    chunks: usize,
    /// A finish reason was seen.
    finished: bool,
    /// Nothing more will be yielded.
    ended: bool,
    _permit: Option<RatePermit>,
}

async fn next_delta(mut state: StreamState) -> Option<(Result<ChatDelta>, StreamState)> {
    if state.ended {
        return None;
    }
    loop {
        let next = match tokio::time::timeout(state.idle, state.events.next()).await {
            Err(_) => {
                state.ended = true;
                let error = Error::Timeout {
                    stage: TimeoutStage::BetweenChunks,
                    attempts: 1,
                };
                return Some((Err(error), state));
            }
            Ok(next) => next,
        };
        match next {
            None => {
                state.ended = true;
                if state.finished {
                    return None;
                }
                let error = Error::IncompleteStream {
                    chunks: state.chunks,
                };
                return Some((Err(error), state));
            }
            Some(Err(e)) => {
                state.ended = true;
                let error = match e {
                    eventsource_stream::EventStreamError::Transport(e) => Error::Connection {
                        message: describe_transport(&e),
                        attempts: 1,
                    },
                    other => Error::MalformedResponse {
                        message: other.to_string(),
                    },
                };
                return Some((Err(error), state));
            }
            Some(Ok(event)) => {
                let data = event.data.trim();
                if data == "[DONE]" {
                    state.ended = true;
                    return None;
                }
                if data.is_empty() {
                    continue;
                }
                state.chunks += 1;
                let wire = match parse_json(data.as_bytes()) {
                    Ok(w) => w,
                    Err(e) => {
                        state.ended = true;
                        return Some((Err(e), state));
                    }
                };
                if let Some(error) = &wire.error {
                    state.ended = true;
                    return Some((Err(error_in_body(error)), state));
                }
                let choice = wire.choices.first();
                let delta = ChatDelta {
                    content: choice
                        .and_then(|c| c.delta.as_ref())
                        .and_then(|d| d.content.clone())
                        .unwrap_or_default(),
                    finish_reason: choice
                        .and_then(|c| c.finish_reason.as_deref())
                        .map(FinishReason::parse),
                    usage: wire.usage.as_ref().and_then(WireUsage::usage),
                };
                if delta.finish_reason.is_some() {
                    state.finished = true;
                }
                if delta.content.is_empty()
                    && delta.finish_reason.is_none()
                    && delta.usage.is_none()
                {
                    continue;
                }
                return Some((Ok(delta), state));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_and_dates() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        let later = SystemTime::now() + Duration::from_secs(30);
        let d = parse_retry_after(&httpdate::fmt_http_date(later)).unwrap();
        assert!(
            d > Duration::from_secs(25) && d <= Duration::from_secs(30),
            "{d:?}"
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let p = RetryPolicy::default();
        for attempt in 1..10 {
            let d = p.backoff(attempt);
            let full = Duration::from_millis(500)
                .saturating_mul(1 << (attempt - 1))
                .min(Duration::from_secs(30));
            assert!(d >= full / 2 && d <= full, "{attempt}: {d:?}");
        }
    }

    #[test]
    fn server_messages_are_found_in_every_usual_shape() {
        assert_eq!(
            server_message(r#"{"error":{"message":"bad key"}}"#),
            "bad key"
        );
        assert_eq!(server_message(r#"{"error":"nope"}"#), "nope");
        assert_eq!(server_message(r#"{"detail":"Not Found"}"#), "Not Found");
        assert_eq!(server_message("plain text"), "plain text");
        assert_eq!(server_message(""), "(no message)");
    }

    #[test]
    fn the_key_never_shows() {
        let p = OpenAiCompatible::builder()
            .base_url("http://127.0.0.1:9/v1")
            .api_key("sk-secret-123")
            .model("m")
            .build()
            .unwrap();
        let shown = format!("{p:?}");
        assert!(!shown.contains("sk-secret-123"), "{shown}");
        assert!(shown.contains("redacted"));
    }
}
