//! Client-side rate limits, shared by everything that uses the same API key.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use governor::{DefaultDirectRateLimiter, Quota};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Limits on calls to one endpoint with one key. Unset limits do not limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimits {
    /// Requests per minute (retries count).
    pub requests_per_minute: Option<u32>,
    /// Tokens per minute (prompt estimate plus `max_tokens`, counted when a call starts).
    pub tokens_per_minute: Option<u32>,
    /// Calls in flight at once.
    pub max_concurrent: Option<usize>,
}

impl RateLimits {
    /// Whether any limit is set.
    pub fn is_limited(&self) -> bool {
        self.requests_per_minute.is_some()
            || self.tokens_per_minute.is_some()
            || self.max_concurrent.is_some()
    }
}

/// Enforces [`RateLimits`] (GCRA buckets from the `governor` crate for the per-minute limits,
/// a semaphore for concurrency). Get one with [`RateLimiter::shared`] so that every provider
/// with the same endpoint and key shares it.
pub struct RateLimiter {
    limits: RateLimits,
    requests: Option<DefaultDirectRateLimiter>,
    tokens: Option<(DefaultDirectRateLimiter, NonZeroU32)>,
    concurrent: Option<Arc<Semaphore>>,
}

/// Held while a call is in flight; dropping it frees the concurrency slot.
#[derive(Debug)]
pub struct RatePermit {
    _slot: Option<OwnedSemaphorePermit>,
}

impl RateLimiter {
    /// A limiter of its own (not shared).
    pub fn new(limits: RateLimits) -> RateLimiter {
        let per_minute = |n: u32| NonZeroU32::new(n).map(|n| (Quota::per_minute(n), n));
        RateLimiter {
            limits,
            requests: limits
                .requests_per_minute
                .and_then(per_minute)
                .map(|(q, _)| DefaultDirectRateLimiter::direct(q)),
            tokens: limits
                .tokens_per_minute
                .and_then(per_minute)
                .map(|(q, burst)| (DefaultDirectRateLimiter::direct(q), burst)),
            concurrent: limits
                .max_concurrent
                .map(|n| Arc::new(Semaphore::new(n.max(1)))),
        }
    }

    /// The limiter for `endpoint` used with `api_key`: one per pair in the process, made by
    /// the first caller with its `limits` (later callers share it as it is). The key itself is
    /// not kept, only a hash of it.
    pub fn shared(endpoint: &str, api_key: Option<&str>, limits: RateLimits) -> Arc<RateLimiter> {
        static REGISTRY: OnceLock<Mutex<HashMap<[u8; 32], Weak<RateLimiter>>>> = OnceLock::new();
        let mut hasher = Sha256::new();
        hasher.update(endpoint.as_bytes());
        hasher.update([0]);
        hasher.update(api_key.unwrap_or("").as_bytes());
        let id: [u8; 32] = hasher.finalize().into();
        let mut registry = REGISTRY
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(existing) = registry.get(&id).and_then(Weak::upgrade) {
            return existing;
        }
        registry.retain(|_, w| w.strong_count() > 0);
        let limiter = Arc::new(RateLimiter::new(limits));
        registry.insert(id, Arc::downgrade(&limiter));
        limiter
    }

    /// The limits enforced.
    pub fn limits(&self) -> RateLimits {
        self.limits
    }

    /// Wait for a concurrency slot and for `tokens` tokens of the per-minute budget (a call
    /// larger than a whole minute's budget waits for a full minute's worth).
    pub async fn start_call(&self, tokens: u64) -> RatePermit {
        let slot = match &self.concurrent {
            Some(sem) => sem.clone().acquire_owned().await.ok(),
            None => None,
        };
        if let Some((bucket, burst)) = &self.tokens {
            let wanted = u32::try_from(tokens).unwrap_or(u32::MAX).min(burst.get());
            if let Some(n) = NonZeroU32::new(wanted) {
                // `wanted` is at most the burst, so capacity always suffices.
                let _ = bucket.until_n_ready(n).await;
            }
        }
        RatePermit { _slot: slot }
    }

    /// Wait until one more request may be sent (each attempt, retries included).
    pub async fn before_request(&self) {
        if let Some(bucket) = &self.requests {
            bucket.until_ready().await;
        }
    }
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("limits", &self.limits)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[tokio::test]
    async fn the_same_endpoint_and_key_share_one_limiter() {
        let limits = RateLimits {
            max_concurrent: Some(1),
            ..RateLimits::default()
        };
        let a = RateLimiter::shared("http://127.0.0.1:1/v1", Some("k1"), limits);
        let b = RateLimiter::shared("http://127.0.0.1:1/v1", Some("k1"), RateLimits::default());
        let c = RateLimiter::shared("http://127.0.0.1:1/v1", Some("k2"), limits);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
        let held = a.start_call(1).await;
        // b shares a's single slot: it cannot start until `held` is dropped.
        let waiting = tokio::time::timeout(Duration::from_millis(50), b.start_call(1)).await;
        assert!(waiting.is_err());
        drop(held);
        let _ok = tokio::time::timeout(Duration::from_secs(5), b.start_call(1))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn requests_per_minute_spreads_calls_out() {
        // 600 a minute is one every 100 ms after a burst of 600: take the burst, then one more.
        let limiter = RateLimiter::new(RateLimits {
            requests_per_minute: Some(600),
            ..RateLimits::default()
        });
        for _ in 0..600 {
            limiter.before_request().await;
        }
        let start = Instant::now();
        limiter.before_request().await;
        assert!(
            start.elapsed() >= Duration::from_millis(50),
            "{:?}",
            start.elapsed()
        );
    }
}
