//! `mgx-core` is the runtime of mgx: a caller hands it a task, and a team of agent roles (team
//! leader, engineer, tester, reviewer) analyses and plans it, waits for approval, writes code and
//! tests, reviews and revises, validates the output against the target stack and writes the
//! result to disk. It is the crate Rust programs link, and the one the Python and Node bindings
//! wrap.
//!
//! **Status:** LLM providers, caches, events, budgets and the team run ([`team`]: roles,
//! actions, the `TeamBuilder`, approval, a human reviewer, cancellation, patch mode, resume,
//! the offline provider) are built; the Python and Node bindings expose them next. The crate also re-exports the pure
//! crates, so the bindings and the `mgx` command go through it:
//!
//! - [`stacks`] — stack specs, inference and the JSON task contract;
//! - [`guardrails`] — FILE-manifest parsing and output validation;
//! - [`patch`] — diffs, safe hunk placement and transactional change sets on disk;
//! - [`llm`] — requests, answers and the [`LlmProvider`] trait; [`providers`] — the
//!   OpenAI-compatible HTTP provider (retries, streaming, timeouts, shared rate limits), a
//!   scripted provider, record/replay cassettes, a cache with in-flight de-duplication;
//! - [`cache`] — the [`Cache`] trait, its documented key, memory (LRU + TTL) and Redis backends;
//! - [`events`] — the event shape of the seed's contract and non-blocking sinks;
//! - [`cost`] — prices per model (never invented), [`ratelimit`] — limits per endpoint and key,
//!   [`budget`] — a run's dollar and token limits, checked before every call;
//! - [`parse`] — JSON answers read out of model text tolerantly, never by keyword;
//! - [`team`] — the team run: roles that react to messages, the default team of four, the
//!   builder, the report, and a [`team::RunPool`] for thousands of runs at once (each kept on
//!   one thread).
//!
//! ```
//! use mgx_core::stacks::{StackRegistry, TaskSpec};
//!
//! let task = TaskSpec::from_text("Create a FastAPI /health endpoint with tests")?;
//! let resolved = task.resolve_stack(StackRegistry::builtin())?;
//! assert_eq!(resolved.spec().map(|s| s.id.as_str()), Some("fastapi"));
//!
//! // The team will validate every answer of the engineer before it touches disk.
//! let answer = "FILE: app/main.py\nfrom fastapi import FastAPI\nFILE: requirements.txt\nfastapi\n";
//! let result = mgx_core::guardrails::validate(answer, resolved.spec(), &task.constraints, &Default::default());
//! assert!(result.is_valid(), "{}", result.summary());
//! # Ok::<(), mgx_core::stacks::Error>(())
//! ```
//!
//! A model call through a cache, with events:
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use mgx_core::cache::MemoryCache;
//! use mgx_core::events::{ChannelSink, Emitter, EventType};
//! use mgx_core::llm::{ChatRequest, LlmProvider};
//! use mgx_core::providers::{CachedProvider, Scripted};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let provider = CachedProvider::new(
//!     Arc::new(Scripted::new(["{\"complexity\": \"S\"}"])),
//!     Arc::new(MemoryCache::new(1024, Duration::from_secs(3600))),
//! );
//! let (sink, _stream) = ChannelSink::new(256);
//! let events = Emitter::new("task_1", "run_1", Arc::new(sink));
//! let answer = provider.complete(&ChatRequest::user("Analyse: a FastAPI health endpoint")).await?;
//! events.emit(EventType::LlmCall, "analysis", serde_json::json!({"usage": answer.usage}));
//! assert_eq!(answer.content, "{\"complexity\": \"S\"}");
//! # Ok::<(), mgx_core::Error>(())
//! # }).unwrap();
//! ```
//!
//! # Crate features
//!
//! - `redis`: [`cache::RedisCache`], a response cache shared by workers through Redis.

// The README's Rust code runs as a doctest, so the README cannot drift from the API.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

pub mod budget;
pub mod cache;
pub mod cost;
mod error;
pub mod events;
pub mod format;
pub mod git;
pub mod llm;
pub mod parse;
pub mod providers;
pub mod ratelimit;
pub mod team;

pub use cache::Cache;
pub use error::{Error, Result, TimeoutStage};
pub use events::EventSink;
pub use llm::LlmProvider;
pub use mgx_guardrails as guardrails;
pub use mgx_patch as patch;
pub use mgx_stacks as stacks;
