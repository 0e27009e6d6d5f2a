//! Response caches: the [`Cache`] trait, its key, and the backends — [`NoCache`],
//! [`MemoryCache`] (LRU with a TTL) and, with the `redis` feature, `RedisCache`.
//!
//! # Keys
//!
//! A [`CacheKey`] is the SHA-256 of one line of compact JSON (no white space, UTF-8, fields in
//! this order, absent optional fields left out):
//!
//! ```text
//! {"schema":1,"provider":"openai-compatible","model":"gpt-4o-mini",
//!  "messages":[{"role":"user","content":"hi"}],
//!  "temperature":0.2,"max_tokens":100,"stop":["END"],"response_format":{"type":"json_object"}}
//! ```
//!
//! `model` is the request's model, or the provider's default when the request names none.
//! Objects inside `response_format` keep serde_json's sorted key order. `schema` is
//! [`KEY_SCHEMA`]; it changes whenever this format does, so old entries are never read as new
//! ones. Any other program can derive the same key. Keys print as 64 lowercase hex digits.
//!
//! There is no "semantic" cache: a cache that answers a different question with a stored
//! answer (the original's bag-of-words cache did, for 14 of 20 new tasks) is wrong, not fast.

mod memory;
#[cfg(feature = "redis")]
mod redis;

use std::fmt;
use std::io::Write;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::llm::{ChatMessage, ChatRequest, ChatResponse, ProviderId, ResponseFormat};

pub use memory::{Clock, MemoryCache, MemoryCacheBuilder, SystemClock};
#[cfg(feature = "redis")]
pub use redis::RedisCache;

/// The version of the key format (see the module docs).
pub const KEY_SCHEMA: u32 = 1;

/// The key of one cached answer: a SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CacheKey(pub [u8; 32]);

impl CacheKey {
    /// The key of `request` sent to `provider` (see the module docs for the exact bytes hashed).
    pub fn for_request(provider: &ProviderId, request: &ChatRequest) -> CacheKey {
        #[derive(Serialize)]
        struct Material<'a> {
            schema: u32,
            provider: &'a str,
            model: &'a str,
            messages: &'a [ChatMessage],
            #[serde(skip_serializing_if = "Option::is_none")]
            temperature: Option<f32>,
            #[serde(skip_serializing_if = "Option::is_none")]
            max_tokens: Option<u32>,
            #[serde(skip_serializing_if = "<[String]>::is_empty")]
            stop: &'a [String],
            #[serde(skip_serializing_if = "Option::is_none")]
            response_format: Option<&'a ResponseFormat>,
        }
        let material = Material {
            schema: KEY_SCHEMA,
            provider: &provider.provider,
            model: request.model.as_deref().unwrap_or(&provider.model),
            messages: &request.messages,
            temperature: request.temperature,
            max_tokens: request.max_tokens,
            stop: &request.stop,
            response_format: request.response_format.as_ref(),
        };
        // serde_json writes token by token; a buffer hands the hasher whole blocks (measured:
        // 1.46 M keys/s unbuffered, see benches/README.md).
        let mut out = std::io::BufWriter::with_capacity(1024, HashWriter(Sha256::new()));
        // Writing into a hasher cannot fail, and these types always serialise.
        let _ = serde_json::to_writer(&mut out, &material);
        let hasher = match out.into_inner() {
            Ok(h) => h.0,
            Err(e) => e.into_inner().into_parts().0.0,
        };
        CacheKey(hasher.finalize().into())
    }

    /// The key as 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// A key from 64 hex digits.
    pub fn from_hex(s: &str) -> Option<CacheKey> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).ok()?;
        Some(CacheKey(out))
    }
}

impl fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CacheKey({})", self.to_hex())
    }
}

impl fmt::Display for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

struct HashWriter(Sha256);

impl Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What a cache has done so far.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct CacheStats {
    /// Lookups that found a live entry.
    pub hits: u64,
    /// Lookups that found nothing (or only an expired entry).
    pub misses: u64,
    /// Entries stored.
    pub sets: u64,
    /// Live entries pushed out to make room.
    pub evictions: u64,
    /// Entries dropped because their time was up.
    pub expirations: u64,
    /// Backend failures, each answered as a miss (or a skipped store).
    pub errors: u64,
    /// Entries held now (live ones; `None` when the backend cannot say cheaply).
    pub size: Option<u64>,
    /// The most entries held (`None`: no limit, or not known).
    pub capacity: Option<u64>,
}

impl CacheStats {
    /// Hits over lookups (0 with no lookups).
    pub fn hit_rate(&self) -> f64 {
        let lookups = self.hits + self.misses;
        if lookups == 0 {
            0.0
        } else {
            self.hits as f64 / lookups as f64
        }
    }
}

/// A store of answers by [`CacheKey`]. Failures of a backend are not errors of a run: a
/// backend that cannot answer reports a miss and counts an error.
#[async_trait]
pub trait Cache: Send + Sync {
    /// The answer stored under `key`, if a live one is.
    async fn get(&self, key: &CacheKey) -> Option<ChatResponse>;

    /// Store `value` under `key` (with the cache's time to live).
    async fn put(&self, key: &CacheKey, value: &ChatResponse);

    /// What the cache has done so far.
    fn stats(&self) -> CacheStats;

    /// Remove every entry (statistics are kept).
    async fn clear(&self) -> Result<()>;
}

/// The cache that stores nothing: every lookup misses.
#[derive(Debug, Default)]
pub struct NoCache {
    misses: std::sync::atomic::AtomicU64,
}

impl NoCache {
    /// A cache that stores nothing.
    pub fn new() -> Self {
        NoCache::default()
    }
}

#[async_trait]
impl Cache for NoCache {
    async fn get(&self, _key: &CacheKey) -> Option<ChatResponse> {
        self.misses
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        None
    }

    async fn put(&self, _key: &CacheKey, _value: &ChatResponse) {}

    fn stats(&self) -> CacheStats {
        CacheStats {
            misses: self.misses.load(std::sync::atomic::Ordering::Relaxed),
            size: Some(0),
            capacity: Some(0),
            ..CacheStats::default()
        }
    }

    async fn clear(&self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hash_the_documented_bytes() {
        let provider = ProviderId::new("openai-compatible", "gpt-4o-mini");
        let mut request = ChatRequest::user("hi");
        request.temperature = Some(0.2);
        let key = CacheKey::for_request(&provider, &request);
        let text = r#"{"schema":1,"provider":"openai-compatible","model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"temperature":0.2}"#;
        let expected: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        assert_eq!(key.0, expected);
        assert_eq!(CacheKey::from_hex(&key.to_hex()), Some(key));
        // The request's model wins over the provider's default.
        request.model = Some("other".into());
        assert_ne!(CacheKey::for_request(&provider, &request), key);
    }
}
