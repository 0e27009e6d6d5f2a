//! Chat-completion requests and responses, and the [`LlmProvider`] trait every model backend
//! implements.
//!
//! The types serialise with serde in the shapes the Python and Node bindings expose, and the
//! trait is object-safe (`Arc<dyn LlmProvider>`), so a provider written in Python or JavaScript
//! can stand behind it.

use std::fmt;

use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// Who speaks in a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatRole {
    /// Instructions for the model.
    System,
    /// The caller.
    User,
    /// The model.
    Assistant,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Who speaks.
    pub role: ChatRole,
    /// What is said.
    pub content: String,
}

impl ChatMessage {
    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        ChatMessage {
            role: ChatRole::System,
            content: content.into(),
        }
    }

    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        ChatMessage {
            role: ChatRole::User,
            content: content.into(),
        }
    }

    /// An assistant message.
    pub fn assistant(content: impl Into<String>) -> Self {
        ChatMessage {
            role: ChatRole::Assistant,
            content: content.into(),
        }
    }
}

/// The shape the answer must have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseFormat {
    /// Free text (the default).
    Text,
    /// Any JSON object.
    JsonObject,
    /// JSON matching a schema, in the OpenAI `json_schema` form (`{"name", "schema", "strict"}`).
    JsonSchema {
        /// The `json_schema` object.
        json_schema: serde_json::Value,
    },
}

/// One chat-completion call.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ChatRequest {
    /// The model; `None` uses the provider's default model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The conversation.
    pub messages: Vec<ChatMessage>,
    /// Sampling temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// The most tokens the answer may have.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Sequences that end the answer.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stop: Vec<String>,
    /// The shape the answer must have.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
}

impl ChatRequest {
    /// A request with these messages and nothing else set.
    pub fn new(messages: Vec<ChatMessage>) -> Self {
        ChatRequest {
            messages,
            ..ChatRequest::default()
        }
    }

    /// A request of one user message.
    pub fn user(prompt: impl Into<String>) -> Self {
        ChatRequest::new(vec![ChatMessage::user(prompt)])
    }

    /// The model and the start of the last message, for error messages and logs.
    pub fn describe(&self) -> String {
        let last = self.messages.last().map_or("", |m| m.content.as_str());
        let mut start: String = last.chars().take(60).collect();
        if start.len() < last.len() {
            start.push('…');
        }
        format!(
            "model {}, {} messages, last: {start:?}",
            self.model.as_deref().unwrap_or("(default)"),
            self.messages.len()
        )
    }

    /// A rough count of the prompt's tokens (4 bytes a token), for rate limits and budgets
    /// before the server says the real figure.
    pub fn estimated_prompt_tokens(&self) -> u64 {
        let bytes: usize = self.messages.iter().map(|m| m.content.len() + 4).sum();
        (bytes as u64).div_ceil(4)
    }
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FinishReason {
    /// It finished (or met a stop sequence).
    Stop,
    /// It hit `max_tokens`.
    Length,
    /// Its answer was filtered.
    ContentFilter,
    /// It called a tool.
    ToolCalls,
    /// Anything else the server said.
    Other(String),
}

impl FinishReason {
    /// The server's word for it.
    pub fn as_str(&self) -> &str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
            FinishReason::ContentFilter => "content_filter",
            FinishReason::ToolCalls => "tool_calls",
            FinishReason::Other(s) => s,
        }
    }

    /// From the server's word.
    pub fn parse(s: &str) -> Self {
        match s {
            "stop" => FinishReason::Stop,
            "length" => FinishReason::Length,
            "content_filter" => FinishReason::ContentFilter,
            "tool_calls" | "function_call" => FinishReason::ToolCalls,
            other => FinishReason::Other(other.to_string()),
        }
    }
}

impl Serialize for FinishReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FinishReason {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(FinishReason::parse(&s))
    }
}

/// Token counts, as the server reported them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens of the prompt.
    pub prompt_tokens: u64,
    /// Tokens of the answer.
    pub completion_tokens: u64,
}

impl Usage {
    /// Both together.
    pub fn total(&self) -> u64 {
        self.prompt_tokens + self.completion_tokens
    }
}

/// The answer to a [`ChatRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    /// The text.
    pub content: String,
    /// Why the model stopped, when the server said.
    pub finish_reason: Option<FinishReason>,
    /// Token counts, when the server reported them — never estimated.
    pub usage: Option<Usage>,
    /// The model that answered, as the server named it.
    #[serde(default)]
    pub model: Option<String>,
    /// HTTP attempts this answer took (1 without retries; 0 when no server was asked).
    #[serde(default)]
    pub attempts: u32,
    /// Whether it came from a cache or a cassette instead of a provider call.
    #[serde(default)]
    pub cached: bool,
}

impl ChatResponse {
    /// An answer with this text, stopped normally, with no usage reported.
    pub fn text(content: impl Into<String>) -> Self {
        ChatResponse {
            content: content.into(),
            finish_reason: Some(FinishReason::Stop),
            usage: None,
            model: None,
            attempts: 0,
            cached: false,
        }
    }
}

/// A piece of a streamed answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ChatDelta {
    /// Text added by this piece (may be empty).
    pub content: String,
    /// Set on the piece that ends the answer.
    pub finish_reason: Option<FinishReason>,
    /// Set when the server reports usage (OpenAI: in a final chunk).
    pub usage: Option<Usage>,
}

/// Names a provider and its model; part of every cache key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProviderId {
    /// The provider (`openai-compatible`, `scripted`, a custom name …).
    pub provider: String,
    /// The model it uses by default.
    pub model: String,
}

impl ProviderId {
    /// A provider id.
    pub fn new(provider: impl Into<String>, model: impl Into<String>) -> Self {
        ProviderId {
            provider: provider.into(),
            model: model.into(),
        }
    }
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.provider, self.model)
    }
}

/// A stream of answer pieces.
pub type DeltaStream = BoxStream<'static, Result<ChatDelta>>;

/// A chat-completion backend: an HTTP server, a script, a recording, or an object from Python
/// or JavaScript.
///
/// ```
/// use mgx_core::llm::{ChatRequest, LlmProvider};
/// use mgx_core::providers::Scripted;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let provider = Scripted::new(["Hello!"]);
/// let answer = provider.complete(&ChatRequest::user("Say hello")).await?;
/// assert_eq!(answer.content, "Hello!");
/// # Ok::<(), mgx_core::Error>(())
/// # }).unwrap();
/// ```
#[async_trait]
pub trait LlmProvider: Send + Sync {
    /// The provider and its default model.
    fn id(&self) -> ProviderId;

    /// One call: the whole answer.
    async fn complete(&self, request: &ChatRequest) -> Result<ChatResponse>;

    /// The answer in pieces as they are produced. The default makes one call and yields the
    /// whole answer as one piece.
    async fn stream(&self, request: &ChatRequest) -> Result<DeltaStream> {
        let response = self.complete(request).await?;
        let delta = ChatDelta {
            content: response.content,
            finish_reason: response.finish_reason,
            usage: response.usage,
        };
        Ok(stream::once(async move { Ok(delta) }).boxed())
    }
}

/// A provider's answer in pieces, asked for when the first piece is: what the Python and Node
/// bindings hand out as an async iterator. It ends after its last piece, after an error, or
/// when [`Pieces::close`] drops the provider's stream (an HTTP provider's call stops).
///
/// ```
/// use mgx_core::llm::{ChatRequest, Pieces};
/// use mgx_core::providers::Scripted;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let provider = std::sync::Arc::new(Scripted::new(["Hello!"]));
/// let mut pieces = Pieces::new(provider.clone(), ChatRequest::user("Say hello"));
/// assert!(provider.calls().is_empty(), "nothing asked yet");
/// assert_eq!(pieces.next().await?.map(|p| p.content).as_deref(), Some("Hello!"));
/// assert_eq!(pieces.next().await?, None);
/// # Ok::<(), mgx_core::Error>(())
/// # }).unwrap();
/// ```
pub struct Pieces {
    state: PiecesState,
}

enum PiecesState {
    NotStarted(std::sync::Arc<dyn LlmProvider>, ChatRequest),
    Open(DeltaStream),
    Done,
}

impl Pieces {
    /// The pieces of `provider`'s answer to `request`, not yet asked for.
    pub fn new(provider: std::sync::Arc<dyn LlmProvider>, request: ChatRequest) -> Self {
        Pieces {
            state: PiecesState::NotStarted(provider, request),
        }
    }

    /// The next piece (the first starts the call); `None` once the answer has ended. An error
    /// ends the pieces: the calls after it give `None`.
    pub async fn next(&mut self) -> Result<Option<ChatDelta>> {
        if let PiecesState::NotStarted(..) = &self.state
            && let PiecesState::NotStarted(provider, request) =
                std::mem::replace(&mut self.state, PiecesState::Done)
        {
            self.state = PiecesState::Open(provider.stream(&request).await?);
        }
        let PiecesState::Open(stream) = &mut self.state else {
            return Ok(None);
        };
        let piece = stream.next().await.transpose();
        if !matches!(piece, Ok(Some(_))) {
            self.state = PiecesState::Done;
        }
        piece
    }

    /// End before the last piece: the provider's stream is dropped.
    pub fn close(&mut self) {
        self.state = PiecesState::Done;
    }
}

impl fmt::Debug for Pieces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            PiecesState::NotStarted(..) => "not started",
            PiecesState::Open(_) => "open",
            PiecesState::Done => "done",
        };
        f.debug_struct("Pieces").field("state", &state).finish()
    }
}

/// Collect a stream of pieces into one answer.
pub async fn collect(mut stream: DeltaStream) -> Result<ChatResponse> {
    let mut response = ChatResponse {
        content: String::new(),
        finish_reason: None,
        usage: None,
        model: None,
        attempts: 0,
        cached: false,
    };
    while let Some(delta) = stream.next().await {
        let delta = delta?;
        response.content.push_str(&delta.content);
        if delta.finish_reason.is_some() {
            response.finish_reason = delta.finish_reason;
        }
        if delta.usage.is_some() {
            response.usage = delta.usage;
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::providers::Scripted;

    #[tokio::test]
    async fn pieces_end_after_an_error_or_when_closed() {
        // No answer left: the first piece is the provider's error, and the pieces end.
        let provider = Arc::new(Scripted::new(Vec::<String>::new()));
        let mut pieces = Pieces::new(provider.clone(), ChatRequest::user("hi"));
        assert!(matches!(
            pieces.next().await,
            Err(crate::Error::Scripted { .. })
        ));
        assert_eq!(pieces.next().await.ok(), Some(None));
        assert_eq!(provider.calls().len(), 1, "not asked again");

        // Closed before the first piece: never asked.
        let provider = Arc::new(Scripted::new(["Hello!"]));
        let mut pieces = Pieces::new(provider.clone(), ChatRequest::user("hi"));
        pieces.close();
        assert_eq!(pieces.next().await.ok(), Some(None));
        assert!(provider.calls().is_empty());
        assert_eq!(format!("{pieces:?}"), r#"Pieces { state: "done" }"#);
    }
}
