//! mgx-core integration tests: providers against real and mock servers, caches, cassettes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests stop loudly

mod cache;
mod cassette;
mod format;
mod git;
mod http;
mod litellm;
mod team;
