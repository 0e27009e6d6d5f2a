//! A provider that answers from a script, for tests.

use std::collections::VecDeque;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::llm::{ChatRequest, ChatResponse, LlmProvider, ProviderId};

type Responder = dyn Fn(&ChatRequest) -> Result<ChatResponse> + Send + Sync;

enum Script {
    Queue(Mutex<VecDeque<Result<ChatResponse>>>),
    Closure(Box<Responder>),
}

/// Answers from a queue (in order; an error when it runs out) or from a closure. Every call is
/// kept, so a test can check what was asked.
///
/// ```
/// use mgx_core::llm::{ChatRequest, LlmProvider};
/// use mgx_core::providers::Scripted;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let echo = Scripted::from_fn(|req| Ok(mgx_core::llm::ChatResponse::text(
///     req.messages.last().map(|m| m.content.to_uppercase()).unwrap_or_default())));
/// assert_eq!(echo.complete(&ChatRequest::user("hi")).await?.content, "HI");
/// assert_eq!(echo.calls().len(), 1);
/// # Ok::<(), mgx_core::Error>(())
/// # }).unwrap();
/// ```
pub struct Scripted {
    script: Script,
    model: String,
    calls: Mutex<Vec<ChatRequest>>,
}

impl Scripted {
    /// Answer with these texts, one per call, in order.
    pub fn new<I, S>(answers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::from_results(answers.into_iter().map(|a| Ok(ChatResponse::text(a))))
    }

    /// Answer with these results (answers or errors), one per call, in order.
    pub fn from_results(results: impl IntoIterator<Item = Result<ChatResponse>>) -> Self {
        Scripted {
            script: Script::Queue(Mutex::new(results.into_iter().collect())),
            model: "scripted".into(),
            calls: Mutex::new(Vec::new()),
        }
    }

    /// Answer each call with a function of the request.
    pub fn from_fn(
        f: impl Fn(&ChatRequest) -> Result<ChatResponse> + Send + Sync + 'static,
    ) -> Self {
        Scripted {
            script: Script::Closure(Box::new(f)),
            model: "scripted".into(),
            calls: Mutex::new(Vec::new()),
        }
    }

    /// Name the model this provider reports in [`LlmProvider::id`].
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.model = model.into();
        self
    }

    /// Every request received so far.
    pub fn calls(&self) -> Vec<ChatRequest> {
        self.calls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl std::fmt::Debug for Scripted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scripted")
            .field("model", &self.model)
            .finish()
    }
}

#[async_trait]
impl LlmProvider for Scripted {
    fn id(&self) -> ProviderId {
        ProviderId::new("scripted", &self.model)
    }

    async fn complete(&self, request: &ChatRequest) -> Result<ChatResponse> {
        let n = {
            let mut calls = self
                .calls
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            calls.push(request.clone());
            calls.len()
        };
        match &self.script {
            Script::Queue(queue) => queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .pop_front()
                .unwrap_or_else(|| {
                    Err(Error::Scripted {
                        message: format!("no answer left for call {n} ({})", request.describe()),
                    })
                }),
            Script::Closure(f) => f(request),
        }
    }
}
