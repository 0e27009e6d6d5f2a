//! Providers: the OpenAI-compatible HTTP client, a scripted provider for tests, a
//! record/replay cassette around any provider, and a cache with in-flight de-duplication
//! around any provider.

mod cached;
mod cassette;
mod offline;
mod openai;
mod scripted;

pub use cached::CachedProvider;
pub use cassette::{CASSETTE_FORMAT, Cassette, CassetteEntry, CassetteMode};
pub use offline::{ACTION_TAG, Offline};
pub use openai::{
    ApiKey, DEFAULT_BASE_URL, OpenAiCompatible, OpenAiCompatibleBuilder, RetryPolicy, Timeouts,
};
pub use scripted::Scripted;

pub(crate) use openai::http_client;
