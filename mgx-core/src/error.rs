//! The error type of mgx-core.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Which time limit ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TimeoutStage {
    /// Opening the connection.
    Connect,
    /// Waiting for the response (or, when streaming, for its headers).
    Request,
    /// Waiting for the next chunk of a stream.
    BetweenChunks,
    /// The total deadline of a call, retries included.
    Deadline,
}

impl std::fmt::Display for TimeoutStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TimeoutStage::Connect => "connecting",
            TimeoutStage::Request => "waiting for the response",
            TimeoutStage::BetweenChunks => "waiting for the next stream chunk",
            TimeoutStage::Deadline => "the call's total deadline",
        })
    }
}

/// Everything that can go wrong in mgx-core. Each variant has a stable [`Error::code`], which
/// the Python binding maps to an exception class and the Node binding to `err.code`.
///
/// No variant ever holds an API key: errors built from server answers carry the server's
/// message, and request descriptions name the model and the first message only.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with an error status (after retries, when the status is retryable).
    #[error("the server answered {status}: {message}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The server's own error message (or the body, shortened).
        message: String,
        /// Whether the status is one that is retried (5xx).
        retryable: bool,
        /// Attempts made.
        attempts: u32,
    },
    /// The server kept answering 429 until the attempts or the deadline ran out.
    #[error("rate limited by the server after {attempts} attempts: {message}")]
    RateLimited {
        /// The server's message.
        message: String,
        /// The wait the server asked for last (`Retry-After`), if any.
        retry_after: Option<Duration>,
        /// Attempts made.
        attempts: u32,
    },
    /// A time limit ran out.
    #[error("timed out {stage} (after {attempts} attempts)")]
    Timeout {
        /// Which limit.
        stage: TimeoutStage,
        /// Attempts made.
        attempts: u32,
    },
    /// The connection failed or was reset.
    #[error("connection failed after {attempts} attempts: {message}")]
    Connection {
        /// What the transport said.
        message: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The server's answer is not the JSON (or event stream) an OpenAI-compatible server sends.
    #[error("malformed response from the server: {message}")]
    MalformedResponse {
        /// What was wrong.
        message: String,
    },
    /// A stream ended without `data: [DONE]` and without a finish reason: the answer is cut.
    #[error("the stream ended early, after {chunks} chunks, without [DONE] or a finish reason")]
    IncompleteStream {
        /// Chunks received before it ended.
        chunks: usize,
    },
    /// A configuration value is missing or invalid.
    #[error("invalid configuration: {message}")]
    Config {
        /// What is wrong.
        message: String,
    },
    /// Strict cassette replay met a call the cassette has not recorded.
    #[error("the cassette {path} has no recording of this call (key {key}): {request}")]
    CassetteMiss {
        /// The cassette file.
        path: PathBuf,
        /// The call's key (hex SHA-256).
        key: String,
        /// The model and the start of the last message.
        request: String,
    },
    /// A cassette file could not be read or written, or a line of it is not a recording.
    #[error("cassette {path}: {message}")]
    Cassette {
        /// The cassette file.
        path: PathBuf,
        /// What went wrong (with the line number for a bad line).
        message: String,
    },
    /// A scripted provider has no answer left for a call.
    #[error("scripted provider: {message}")]
    Scripted {
        /// What happened.
        message: String,
    },
    /// A provider failed in its own way (a server's error object, a provider written in Python
    /// or JavaScript that raised).
    #[error("provider failed: {message}")]
    Provider {
        /// The failure, as the provider reported it.
        message: String,
        /// The provider's own error, when it has one (a binding keeps the Python exception or
        /// the JavaScript error here, to hand it back to the caller).
        #[source]
        cause: Option<Arc<dyn std::error::Error + Send + Sync>>,
    },
    /// A role's own code failed: a custom role that returned an error of its own, or one
    /// written in Python or JavaScript that raised or answered in a shape that is not messages.
    #[error("the {role} role failed: {message}")]
    Role {
        /// The role's name.
        role: String,
        /// The failure, as the role reported it.
        message: String,
        /// The role's own error, when it has one (a binding keeps the Python exception or the
        /// JavaScript error here, to hand it back to the caller).
        #[source]
        cause: Option<Arc<dyn std::error::Error + Send + Sync>>,
    },
    /// A cache backend failed (callers degrade this to a miss).
    #[error("cache: {message}")]
    Cache {
        /// What went wrong.
        message: String,
    },
    /// A call would pass the run's budget; the run stops instead.
    #[error("{message}")]
    BudgetExceeded {
        /// Which limit, what was spent and what the call needed.
        message: String,
    },
    /// A model's answer could not be read in the shape its action asked for, even when asked
    /// again.
    #[error("the {what} could not be read: {message}")]
    Unreadable {
        /// What was asked for (`analysis`, `plan`, `tests` …).
        what: String,
        /// Why, with the start of the answer.
        message: String,
    },
    /// Generated output kept failing validation after the allowed revisions.
    #[error("the output failed validation after {attempts} attempts: {summary}")]
    Invalid {
        /// Attempts made.
        attempts: usize,
        /// The last validation's summary.
        summary: String,
    },
    /// The task could not be run as given (no stack fits it, it is empty …).
    #[error("{message}")]
    Task {
        /// What is wrong.
        message: String,
    },
    /// The run was cancelled.
    #[error("the run was cancelled")]
    Cancelled,
    /// Nobody approved or rejected the plan in time.
    #[error("no decision on the plan within {seconds} s")]
    ApprovalTimeout {
        /// The time allowed.
        seconds: u64,
    },
    /// Writing the result failed; nothing was half-written.
    #[error("writing the result failed: {message}")]
    Apply {
        /// What went wrong.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        message: String,
    },
}

impl Error {
    /// A stable, machine-readable name of the error kind (`status`, `rate_limited`, `timeout`,
    /// `connection`, `malformed_response`, `incomplete_stream`, `config`, `cassette_miss`,
    /// `cassette`, `scripted`, `provider`, `role`, `cache`, `budget_exceeded`, `unreadable_output`,
    /// `validation`, `task`, `cancelled`, `approval_timeout`, `apply`, `io`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Status { .. } => "status",
            Error::RateLimited { .. } => "rate_limited",
            Error::Timeout { .. } => "timeout",
            Error::Connection { .. } => "connection",
            Error::MalformedResponse { .. } => "malformed_response",
            Error::IncompleteStream { .. } => "incomplete_stream",
            Error::Config { .. } => "config",
            Error::CassetteMiss { .. } => "cassette_miss",
            Error::Cassette { .. } => "cassette",
            Error::Scripted { .. } => "scripted",
            Error::Provider { .. } => "provider",
            Error::Role { .. } => "role",
            Error::Cache { .. } => "cache",
            Error::BudgetExceeded { .. } => "budget_exceeded",
            Error::Unreadable { .. } => "unreadable_output",
            Error::Invalid { .. } => "validation",
            Error::Task { .. } => "task",
            Error::Cancelled => "cancelled",
            Error::ApprovalTimeout { .. } => "approval_timeout",
            Error::Apply { .. } => "apply",
            Error::Io { .. } => "io",
        }
    }

    /// Whether trying the same call again may succeed (429, 5xx, timeouts, connection errors).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Status { retryable, .. } => *retryable,
            Error::RateLimited { .. } | Error::Timeout { .. } | Error::Connection { .. } => true,
            _ => false,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |e| Error::Io {
            path,
            message: e.to_string(),
        }
    }

    /// A [`Error::Provider`] with no cause.
    pub fn provider(message: impl Into<String>) -> Error {
        Error::Provider {
            message: message.into(),
            cause: None,
        }
    }

    /// The provider's or role's own error behind an [`Error::Provider`] or [`Error::Role`], as
    /// it was made (downcast it to its type: a binding's exception wrapper, a client's error).
    pub fn cause(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        match self {
            Error::Provider { cause, .. } | Error::Role { cause, .. } => cause.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Error {
        Error::Config {
            message: message.into(),
        }
    }
}

/// Two errors are equal when they are of the same kind and say the same (a provider's cause
/// is not compared: it is the provider's own object).
impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        self.code() == other.code() && self.to_string() == other.to_string()
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
