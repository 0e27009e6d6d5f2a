//! Model calls asked for by code that cannot hold the run's context: a role written in Python
//! or JavaScript gets an [`AskHandle`] instead of the [`RunContext`] (which lives in the run's
//! future), and its reaction is driven by [`RunContext::serving`], which makes the calls the
//! handle asks for while the reaction runs.
//!
//! ```
//! # async fn example(ctx: &mgx_core::team::RunContext) -> mgx_core::Result<()> {
//! use mgx_core::team::asks;
//!
//! let (handle, mut requests) = asks::channel("security_reviewer");
//! let reaction = async move {
//!     // Elsewhere (another thread, another language) with the handle only.
//!     match handle.ask("Any secrets in this code?", None, None) {
//!         Ok(answer) => answer.await,
//!         Err(ended) => unreachable!("served while the reaction runs: {ended}"),
//!     }
//! };
//! let answer = ctx.serving(&mut requests, reaction).await??;
//! # let _ = answer;
//! # Ok(())
//! # }
//! ```

use std::future::Future;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::{mpsc, oneshot};

use super::{Message, RunContext};
use crate::error::{Error, Result};

/// A model call asked for through an [`AskHandle`].
#[derive(Debug)]
pub struct AskRequest {
    prompt: String,
    action: Option<String>,
    system: Option<String>,
    answer: oneshot::Sender<Result<String>>,
}

/// Asks the run for model calls from anywhere (it is `Send`, `Sync` and cheap to clone); valid
/// while the reaction it was made for is being served.
#[derive(Debug, Clone)]
pub struct AskHandle {
    role: std::sync::Arc<str>,
    requests: mpsc::UnboundedSender<AskRequest>,
}

/// The requests of one handle, for [`RunContext::serving`].
#[derive(Debug)]
pub struct AskRequests {
    role: std::sync::Arc<str>,
    requests: mpsc::UnboundedReceiver<AskRequest>,
}

/// A handle asking for `role`, and the requests it makes.
pub fn channel(role: &str) -> (AskHandle, AskRequests) {
    let role: std::sync::Arc<str> = role.into();
    let (requests, received) = mpsc::unbounded_channel();
    (
        AskHandle {
            role: std::sync::Arc::clone(&role),
            requests,
        },
        AskRequests {
            role,
            requests: received,
        },
    )
}

/// Why a handle cannot ask: the reaction it was made for is over.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("role {0:?}: the reaction this context was given to has ended")]
pub struct Ended(pub String);

impl AskHandle {
    /// Ask the role's model: `prompt` as the user message, `action` naming the call (default:
    /// the role's name), `system` as the system prompt (default: the team's prompt for the
    /// action). The answer's text, or the run's error for the call (budget exceeded, cancelled
    /// …); an error of kind `role` when the reaction ended before the call did.
    pub fn ask(
        &self,
        prompt: impl Into<String>,
        action: Option<String>,
        system: Option<String>,
    ) -> std::result::Result<impl Future<Output = Result<String>> + Send + 'static, Ended> {
        let (answer, answered) = oneshot::channel();
        self.requests
            .send(AskRequest {
                prompt: prompt.into(),
                action,
                system,
                answer,
            })
            .map_err(|_| Ended(self.role.to_string()))?;
        let role = std::sync::Arc::clone(&self.role);
        Ok(async move {
            answered.await.unwrap_or_else(|_| {
                Err(Error::Role {
                    role: role.to_string(),
                    message: "the reaction ended before its call did".into(),
                    cause: None,
                })
            })
        })
    }
}

/// What a reaction that runs elsewhere is shown of its run: the run as it was when the
/// reaction started.
#[derive(Debug, Clone)]
pub struct RunView {
    /// The reacting role's name.
    pub role: String,
    /// The task's text.
    pub task: String,
    /// The stack's id, when the run has one.
    pub stack: Option<String>,
    /// The constraints the output must meet.
    pub constraints: Vec<String>,
    /// The messages published so far, oldest first.
    pub history: Vec<std::sync::Arc<Message>>,
}

impl RunView {
    /// The newest message of `kind`.
    pub fn latest(&self, kind: &str) -> Option<&Message> {
        self.history
            .iter()
            .rev()
            .find(|m| m.kind == kind)
            .map(|m| m.as_ref())
    }
}

impl RunContext {
    /// The run as `role` is shown it now (see [`RunView`]).
    pub fn view(&self, role: &str) -> RunView {
        RunView {
            role: role.to_string(),
            task: self.task.task.clone(),
            stack: self.stack.map(|s| s.id.clone()),
            constraints: self.constraints.clone(),
            history: self.history(),
        }
    }

    /// Run `reaction`, making the model calls `requests` brings (for its role) while it runs,
    /// at once when asked at once; calls still going when it ends are dropped with it, and
    /// their askers get an error. When the run is cancelled first, the reaction is dropped
    /// (a binding cancels the foreign task with it) and the outcome is [`Error::Cancelled`].
    pub async fn serving<T>(
        &self,
        requests: &mut AskRequests,
        reaction: impl Future<Output = T>,
    ) -> Result<T> {
        let role = std::sync::Arc::clone(&requests.role);
        let mut reaction = std::pin::pin!(reaction);
        let mut calls = FuturesUnordered::new();
        loop {
            tokio::select! {
                outcome = &mut reaction => return Ok(outcome),
                () = self.cancelled() => return Err(Error::Cancelled),
                Some(request) = requests.requests.recv() => calls.push(self.answer(&role, request)),
                Some(()) = calls.next(), if !calls.is_empty() => {}
            }
        }
    }

    /// Make the call `request` asks for and answer it.
    async fn answer(&self, role: &str, request: AskRequest) {
        let action = request.action.as_deref().unwrap_or(role);
        let system = request.system.unwrap_or_else(|| self.system_prompt(action));
        let answer = self
            .ask(role, action, &system, &request.prompt)
            .await
            .map(|response| response.content);
        let _ = request.answer.send(answer);
    }
}
