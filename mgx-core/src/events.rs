//! Events: one JSON shape for everything a run reports, and the sinks that receive them.
//!
//! # The shape (schema version 1)
//!
//! ```json
//! {"event_type": "plan_ready", "timestamp": "2026-11-21T12:00:00.000Z", "task_id": "task_1",
//!  "run_id": "run_1", "seq": 3, "message": "Plan ready for review", "data": {"plan": {}}}
//! ```
//!
//! It is the WebSocket contract of the original system (seed 001, appendix B) plus `seq`, a
//! per-run counter that starts at 0 and never skips (a gap in what a sink received means an
//! event was dropped), so a web backend can forward events unchanged. `timestamp` is RFC 3339
//! in UTC with milliseconds. `data` is always an object. The same shape comes out of Rust,
//! Python (dicts) and Node (plain objects). [`EVENT_SCHEMA_VERSION`] changes when it does.
//!
//! # Event types
//!
//! The contract's `analysis_start`, `plan_ready`, `approval_required`, `approved`, `rejected`,
//! `progress`, `completion`, `failure` and `cancelled`, and what a run needs beyond them: see
//! [`EventType`]. A custom role can emit its own types ([`EventType::Custom`]).
//!
//! # Sinks never block a run
//!
//! [`EventSink::emit`] must return at once. The sinks here that hand events to a consumer
//! ([`ChannelSink`], [`JsonLinesSink`]) hold them in a bounded queue. When it is full, the
//! oldest non-terminal event is dropped to make room (and counted in `dropped`); terminal
//! events (`completion`, `failure`, `cancelled`) are never dropped — they are queued even
//! past the bound.

use std::collections::VecDeque;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll};
use std::time::SystemTime;

use futures::Stream;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The version of the event shape (see the module docs).
pub const EVENT_SCHEMA_VERSION: u32 = 1;

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventType {
    /// Analysis of the task started (contract).
    AnalysisStart,
    /// The plan is ready (contract).
    PlanReady,
    /// The plan waits for approval (contract).
    ApprovalRequired,
    /// The plan was approved (contract).
    Approved,
    /// The plan was rejected (contract).
    Rejected,
    /// A step of the run progressed (contract).
    Progress,
    /// The run finished successfully (contract; terminal).
    Completion,
    /// The run failed (contract; terminal).
    Failure,
    /// The run was cancelled (contract; terminal).
    Cancelled,
    /// Generated output passed validation.
    ValidationPassed,
    /// Generated output failed validation (the findings are in `data`).
    ValidationFailed,
    /// A revision round started.
    RevisionRound,
    /// An LLM call finished (tokens and cost in `data`, when known).
    LlmCall,
    /// An LLM call is retried.
    LlmRetry,
    /// An answer came from the cache.
    CacheHit,
    /// Files were written.
    FilesWritten,
    /// A patch was applied.
    PatchApplied,
    /// A patch failed.
    PatchFailed,
    /// The budget would be exceeded; the run stops.
    BudgetExceeded,
    /// Something degraded without failing the run (e.g. the cache backend is down).
    Warning,
    /// A git branch for the run's commit was created (`data.branch`).
    GitBranchCreated,
    /// The run's change set was committed (`data.commit`, `data.branch`).
    GitCommitCreated,
    /// The branch was pushed (`data.remote`).
    GitPushSuccess,
    /// Pushing failed; the commit stays (`data.error`).
    GitPushFailed,
    /// A draft pull request was opened (`data.url`).
    PullRequestOpened,
    /// A git step failed; the run's result is kept (`data.step`, `data.error`).
    GitOperationFailed,
    /// A type of the caller's own.
    Custom(String),
}

impl EventType {
    /// The type's name in the JSON shape.
    pub fn as_str(&self) -> &str {
        match self {
            EventType::AnalysisStart => "analysis_start",
            EventType::PlanReady => "plan_ready",
            EventType::ApprovalRequired => "approval_required",
            EventType::Approved => "approved",
            EventType::Rejected => "rejected",
            EventType::Progress => "progress",
            EventType::Completion => "completion",
            EventType::Failure => "failure",
            EventType::Cancelled => "cancelled",
            EventType::ValidationPassed => "validation_passed",
            EventType::ValidationFailed => "validation_failed",
            EventType::RevisionRound => "revision_round",
            EventType::LlmCall => "llm_call",
            EventType::LlmRetry => "llm_retry",
            EventType::CacheHit => "cache_hit",
            EventType::FilesWritten => "files_written",
            EventType::PatchApplied => "patch_applied",
            EventType::PatchFailed => "patch_failed",
            EventType::BudgetExceeded => "budget_exceeded",
            EventType::Warning => "warning",
            EventType::GitBranchCreated => "git_branch_created",
            EventType::GitCommitCreated => "git_commit_created",
            EventType::GitPushSuccess => "git_push_success",
            EventType::GitPushFailed => "git_push_failed",
            EventType::PullRequestOpened => "pull_request_opened",
            EventType::GitOperationFailed => "git_operation_failed",
            EventType::Custom(name) => name,
        }
    }

    /// The type of a name (unknown names are [`EventType::Custom`]).
    pub fn parse(name: &str) -> EventType {
        match name {
            "analysis_start" => EventType::AnalysisStart,
            "plan_ready" => EventType::PlanReady,
            "approval_required" => EventType::ApprovalRequired,
            "approved" => EventType::Approved,
            "rejected" => EventType::Rejected,
            "progress" => EventType::Progress,
            "completion" => EventType::Completion,
            "failure" => EventType::Failure,
            "cancelled" => EventType::Cancelled,
            "validation_passed" => EventType::ValidationPassed,
            "validation_failed" => EventType::ValidationFailed,
            "revision_round" => EventType::RevisionRound,
            "llm_call" => EventType::LlmCall,
            "llm_retry" => EventType::LlmRetry,
            "cache_hit" => EventType::CacheHit,
            "files_written" => EventType::FilesWritten,
            "patch_applied" => EventType::PatchApplied,
            "patch_failed" => EventType::PatchFailed,
            "budget_exceeded" => EventType::BudgetExceeded,
            "warning" => EventType::Warning,
            "git_branch_created" => EventType::GitBranchCreated,
            "git_commit_created" => EventType::GitCommitCreated,
            "git_push_success" => EventType::GitPushSuccess,
            "git_push_failed" => EventType::GitPushFailed,
            "pull_request_opened" => EventType::PullRequestOpened,
            "git_operation_failed" => EventType::GitOperationFailed,
            other => EventType::Custom(other.to_string()),
        }
    }

    /// Whether it ends a run (`completion`, `failure`, `cancelled`): never dropped.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            EventType::Completion | EventType::Failure | EventType::Cancelled
        )
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EventType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(EventType::parse(&String::deserialize(d)?))
    }
}

/// One event, in the shape of the module docs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// What happened.
    pub event_type: EventType,
    /// When, RFC 3339 in UTC with milliseconds.
    pub timestamp: String,
    /// The task.
    pub task_id: String,
    /// The run.
    pub run_id: String,
    /// The event's number in its run, from 0.
    pub seq: u64,
    /// For people.
    pub message: String,
    /// For programs: always an object.
    pub data: serde_json::Value,
}

impl Event {
    /// The event as one line of JSON (no newline).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Makes the events of one run: numbers them and stamps them, and hands them to a sink.
///
/// An emitter nobody hears (see [`EventSink::is_listening`]) holds nothing: it allocates
/// nothing, and no event is built for it.
#[derive(Clone)]
pub struct Emitter {
    heard: Option<Arc<Heard>>,
}

/// What an emitter someone hears keeps, in one allocation shared by its clones.
struct Heard {
    task_id: String,
    run_id: String,
    seq: AtomicU64,
    sink: Arc<dyn EventSink>,
}

impl Emitter {
    /// An emitter for one run.
    pub fn new(task_id: &str, run_id: &str, sink: Arc<dyn EventSink>) -> Self {
        Emitter {
            heard: sink.is_listening().then(|| {
                Arc::new(Heard {
                    task_id: task_id.to_string(),
                    run_id: run_id.to_string(),
                    seq: AtomicU64::new(0),
                    sink,
                })
            }),
        }
    }

    /// An emitter nobody hears: what [`Emitter::new`] makes for a sink that is not listening,
    /// without a sink to ask.
    pub fn silent() -> Self {
        Emitter { heard: None }
    }

    /// Whether anyone hears this emitter's events (see [`EventSink::is_listening`]).
    pub fn is_listening(&self) -> bool {
        self.heard.is_some()
    }

    /// Emit an event whose message and data are only built when someone listens: for events
    /// on hot paths (one per model call), where building unheard JSON would cost.
    pub fn emit_lazy(
        &self,
        event_type: EventType,
        build: impl FnOnce() -> (String, serde_json::Value),
    ) {
        if self.heard.is_some() {
            let (message, data) = build();
            self.emit(event_type, message, data);
        }
    }

    /// Emit an event; `data` that is not an object is wrapped as `{"value": data}`. Nothing is
    /// built when nobody listens.
    pub fn emit(&self, event_type: EventType, message: impl Into<String>, data: serde_json::Value) {
        let Some(heard) = &self.heard else {
            return;
        };
        let data = match data {
            serde_json::Value::Object(_) => data,
            serde_json::Value::Null => serde_json::Value::Object(Default::default()),
            other => serde_json::json!({ "value": other }),
        };
        let event = Event {
            event_type,
            timestamp: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
            task_id: heard.task_id.clone(),
            run_id: heard.run_id.clone(),
            seq: heard.seq.fetch_add(1, Ordering::SeqCst),
            message: message.into(),
            data,
        };
        heard.sink.emit(&event);
    }
}

/// `emit!(emitter, event_type, message, data)`: [`Emitter::emit`] whose message and data
/// (`format!`, `json!`) are only built when someone listens.
macro_rules! emit {
    ($emitter:expr, $event_type:expr, $message:expr, $data:expr $(,)?) => {
        $emitter.emit_lazy($event_type, || ($message.into(), $data))
    };
}
pub(crate) use emit;

impl fmt::Debug for Emitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Emitter");
        match &self.heard {
            Some(heard) => d
                .field("task_id", &heard.task_id)
                .field("run_id", &heard.run_id),
            None => d.field("listening", &false),
        }
        .finish()
    }
}

/// Receives every event. `emit` must not block: sinks that do I/O queue (see the module docs).
pub trait EventSink: Send + Sync {
    /// Take one event.
    fn emit(&self, event: &Event);

    /// Whether events reach anyone; an [`Emitter`] over a sink that says no (an empty
    /// [`FanOut`]) skips building them. Read once, when the emitter is made.
    fn is_listening(&self) -> bool {
        true
    }
}

/// A sink that calls a function for each event (on the emitting thread: keep it quick).
pub struct CallbackSink<F>(pub F);

impl<F: Fn(&Event) + Send + Sync> EventSink for CallbackSink<F> {
    fn emit(&self, event: &Event) {
        (self.0)(event);
    }
}

/// A sink that hands each event to several sinks, in order.
#[derive(Default, Clone)]
pub struct FanOut(pub Vec<Arc<dyn EventSink>>);

impl EventSink for FanOut {
    fn emit(&self, event: &Event) {
        for sink in &self.0 {
            sink.emit(event);
        }
    }

    fn is_listening(&self) -> bool {
        self.0.iter().any(|s| s.is_listening())
    }
}

/// A sink that logs each event with `tracing` (target `mgx::events`, level INFO; `warning`
/// and `failure` at WARN).
#[derive(Debug, Default, Clone, Copy)]
pub struct TracingSink;

impl EventSink for TracingSink {
    fn emit(&self, event: &Event) {
        match event.event_type {
            EventType::Warning | EventType::Failure | EventType::BudgetExceeded => {
                tracing::warn!(target: "mgx::events", event_type = %event.event_type, run_id = %event.run_id, seq = event.seq, data = %event.data, "{}", event.message)
            }
            _ => {
                tracing::info!(target: "mgx::events", event_type = %event.event_type, run_id = %event.run_id, seq = event.seq, data = %event.data, "{}", event.message)
            }
        }
    }
}

/// The bounded queue behind [`ChannelSink`] and [`JsonLinesSink`].
struct Queue {
    state: Mutex<QueueState>,
    ready: Condvar,
    capacity: usize,
}

struct QueueState {
    events: VecDeque<Event>,
    dropped: u64,
    closed: bool,
    waker: Option<std::task::Waker>,
}

impl Queue {
    fn new(capacity: usize) -> Arc<Queue> {
        Arc::new(Queue {
            state: Mutex::new(QueueState {
                events: VecDeque::new(),
                dropped: 0,
                closed: false,
                waker: None,
            }),
            ready: Condvar::new(),
            capacity: capacity.max(1),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, QueueState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn push(&self, event: &Event) {
        let mut state = self.lock();
        if state.closed {
            return;
        }
        if state.events.len() >= self.capacity {
            // The oldest non-terminal event makes room (with only terminal events queued,
            // they all stay).
            if let Some(oldest) = state
                .events
                .iter()
                .position(|e| !e.event_type.is_terminal())
            {
                state.events.remove(oldest);
                state.dropped += 1;
            }
            if !event.event_type.is_terminal() && state.events.len() >= self.capacity {
                state.dropped += 1;
                return;
            }
        }
        state.events.push_back(event.clone());
        let waker = state.waker.take();
        drop(state);
        self.ready.notify_one();
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        let waker = state.waker.take();
        drop(state);
        self.ready.notify_all();
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn dropped(&self) -> u64 {
        self.lock().dropped
    }
}

/// A sink whose events come out of an [`EventStream`] (a `futures::Stream`).
///
/// ```
/// use std::sync::Arc;
/// use futures::StreamExt;
/// use mgx_core::events::{ChannelSink, Emitter, EventType};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let (sink, mut stream) = ChannelSink::new(1024);
/// let events = Emitter::new("task_1", "run_1", Arc::new(sink));
/// events.emit(EventType::AnalysisStart, "Starting task analysis", serde_json::json!({}));
/// let event = stream.next().await.unwrap();
/// assert_eq!((event.event_type.as_str(), event.seq), ("analysis_start", 0));
/// # });
/// ```
pub struct ChannelSink {
    queue: Arc<Queue>,
}

impl ChannelSink {
    /// A sink holding at most `capacity` non-terminal events, and its stream.
    pub fn new(capacity: usize) -> (ChannelSink, EventStream) {
        let queue = Queue::new(capacity);
        (
            ChannelSink {
                queue: queue.clone(),
            },
            EventStream { queue },
        )
    }

    /// Events dropped because the stream's reader fell behind.
    pub fn dropped(&self) -> u64 {
        self.queue.dropped()
    }
}

impl EventSink for ChannelSink {
    fn emit(&self, event: &Event) {
        self.queue.push(event);
    }
}

impl Drop for ChannelSink {
    fn drop(&mut self) {
        // The stream ends once the queued events are read.
        self.queue.close();
    }
}

/// The events of a [`ChannelSink`], in order; ends when the sink is dropped.
pub struct EventStream {
    queue: Arc<Queue>,
}

impl EventStream {
    /// Events dropped because this stream's reader fell behind.
    pub fn dropped(&self) -> u64 {
        self.queue.dropped()
    }
}

impl Stream for EventStream {
    type Item = Event;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        let mut state = self.queue.lock();
        if let Some(event) = state.events.pop_front() {
            return Poll::Ready(Some(event));
        }
        if state.closed {
            return Poll::Ready(None);
        }
        state.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        // Nobody reads any more: stop queueing.
        self.queue.close();
    }
}

/// A sink that appends each event as one line of JSON to a file, from a thread of its own.
/// [`JsonLinesSink::close`] (or dropping it) writes what is queued and flushes.
pub struct JsonLinesSink {
    queue: Arc<Queue>,
    writer: Mutex<Option<std::thread::JoinHandle<std::io::Result<()>>>>,
    path: PathBuf,
    failed: Arc<AtomicBool>,
}

impl JsonLinesSink {
    /// Append to `path` (created if missing), queueing at most `capacity` non-terminal events.
    pub fn create(path: impl AsRef<Path>, capacity: usize) -> Result<JsonLinesSink> {
        let path = path.as_ref().to_path_buf();
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(Error::io(&path))?;
        let queue = Queue::new(capacity);
        let failed = Arc::new(AtomicBool::new(false));
        let (q, f) = (queue.clone(), failed.clone());
        let writer = std::thread::Builder::new()
            .name("mgx-events-jsonl".into())
            .spawn(move || {
                let result = write_lines(&q, file);
                if result.is_err() {
                    f.store(true, Ordering::SeqCst);
                    q.close();
                }
                result
            })
            .map_err(Error::io(&path))?;
        Ok(JsonLinesSink {
            queue,
            writer: Mutex::new(Some(writer)),
            path,
            failed,
        })
    }

    /// Events dropped because the file could not keep up.
    pub fn dropped(&self) -> u64 {
        self.queue.dropped()
    }

    /// Write what is queued, flush, and stop. Events emitted afterwards are ignored.
    pub fn close(&self) -> Result<()> {
        self.queue.close();
        let handle = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(handle) = handle {
            match handle.join() {
                Ok(result) => result.map_err(Error::io(&self.path))?,
                Err(_) => {
                    return Err(Error::Io {
                        path: self.path.clone(),
                        message: "the event writer thread panicked".into(),
                    });
                }
            }
        }
        if self.failed.load(Ordering::SeqCst) {
            return Err(Error::Io {
                path: self.path.clone(),
                message: "writing events failed".into(),
            });
        }
        Ok(())
    }
}

fn write_lines(queue: &Queue, file: std::fs::File) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(file);
    loop {
        let batch: Vec<Event> = {
            let mut state = queue.lock();
            while state.events.is_empty() && !state.closed {
                state = queue
                    .ready
                    .wait(state)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            if state.events.is_empty() && state.closed {
                break;
            }
            state.events.drain(..).collect()
        };
        for event in batch {
            serde_json::to_writer(&mut out, &event)?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
    }
    out.flush()
}

impl EventSink for JsonLinesSink {
    fn emit(&self, event: &Event) {
        self.queue.push(event);
    }
}

impl Drop for JsonLinesSink {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    fn event(t: EventType, seq: u64) -> Event {
        Event {
            event_type: t,
            timestamp: String::new(),
            task_id: "t".into(),
            run_id: "r".into(),
            seq,
            message: String::new(),
            data: serde_json::json!({}),
        }
    }

    #[test]
    fn a_full_queue_drops_the_oldest_progress_never_a_terminal_event() {
        let (sink, mut stream) = ChannelSink::new(2);
        sink.emit(&event(EventType::Progress, 0));
        sink.emit(&event(EventType::Progress, 1));
        sink.emit(&event(EventType::Progress, 2));
        sink.emit(&event(EventType::Completion, 3));
        sink.emit(&event(EventType::Failure, 4));
        assert_eq!(sink.dropped(), 3);
        drop(sink);
        let got: Vec<u64> = futures::executor::block_on(async {
            let mut v = Vec::new();
            while let Some(e) = stream.next().await {
                v.push(e.seq);
            }
            v
        });
        assert_eq!(got, [3, 4]);
    }

    #[test]
    fn the_shape_is_the_contracts() {
        let (sink, stream) = ChannelSink::new(8);
        let emitter = Emitter::new("task_123", "run_456", Arc::new(sink));
        emitter.emit(
            EventType::PlanReady,
            "Plan ready for review",
            serde_json::json!({"plan": {"steps": ["a"]}}),
        );
        emitter.emit(
            EventType::Custom("security_review".into()),
            "x",
            serde_json::Value::Null,
        );
        drop(emitter);
        let events: Vec<Event> = futures::executor::block_on(stream.collect());
        let v: serde_json::Value = serde_json::from_str(&events[0].to_json()).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "data",
                "event_type",
                "message",
                "run_id",
                "seq",
                "task_id",
                "timestamp"
            ]
        );
        assert_eq!(v["event_type"], "plan_ready");
        assert!(v["timestamp"].as_str().unwrap().ends_with('Z'));
        assert_eq!(events[1].event_type.as_str(), "security_review");
        assert_eq!(events[1].seq, 1);
        assert_eq!(events[1].data, serde_json::json!({}));
        let back: Event = serde_json::from_value(v).unwrap();
        assert_eq!(back, events[0]);
    }

    #[test]
    fn an_emitter_nobody_listens_to_builds_nothing() {
        assert!(!FanOut(Vec::new()).is_listening());
        assert!(!FanOut(vec![Arc::new(FanOut(Vec::new()))]).is_listening());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let listening = FanOut(vec![
            Arc::new(FanOut(Vec::new())),
            Arc::new(CallbackSink(move |e: &Event| {
                log.lock().unwrap().push(e.seq)
            })),
        ]);
        assert!(listening.is_listening());
        let quiet = Emitter::new("t", "r", Arc::new(FanOut(Vec::new())));
        assert!(!quiet.is_listening());
        quiet.emit(EventType::Progress, "unheard", serde_json::Value::Null);
        quiet.emit_lazy(EventType::Progress, || unreachable!("built for nobody"));
        let silent = Emitter::silent();
        assert!(!silent.is_listening());
        silent.emit_lazy(EventType::Progress, || unreachable!("built for nobody"));
        assert_eq!(format!("{silent:?}"), "Emitter { listening: false }");
        let heard = Emitter::new("t", "r", Arc::new(listening));
        heard.emit(EventType::Progress, "first", serde_json::Value::Null);
        heard.emit_lazy(EventType::Progress, || {
            ("second".into(), serde_json::json!({"n": 2}))
        });
        assert_eq!(*seen.lock().unwrap(), [0, 1]);
    }

    #[test]
    fn json_lines_fan_out_and_callbacks_see_every_event_in_order() {
        let path = std::env::temp_dir().join(format!("mgx-events-{}.jsonl", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let file = Arc::new(JsonLinesSink::create(&path, 1024).unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let callback = CallbackSink(move |e: &Event| log.lock().unwrap().push(e.seq));
        let fan = FanOut(vec![
            file.clone(),
            Arc::new(callback),
            Arc::new(TracingSink),
        ]);
        let emitter = Emitter::new("t", "r", Arc::new(fan));
        for i in 0..100 {
            emitter.emit(
                EventType::Progress,
                format!("step {i}"),
                serde_json::json!({"step": i}),
            );
        }
        emitter.emit(EventType::Completion, "done", serde_json::json!({}));
        file.close().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let events: Vec<Event> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(events.len(), 101);
        assert!(events.iter().enumerate().all(|(i, e)| e.seq == i as u64));
        assert_eq!(events[100].event_type, EventType::Completion);
        assert_eq!(*seen.lock().unwrap(), (0..101).collect::<Vec<u64>>());
        let _ = std::fs::remove_file(&path);
    }
}
