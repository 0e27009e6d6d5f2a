//! A provider behind a cache, with in-flight de-duplication.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::future::{BoxFuture, FutureExt, Shared};

use crate::cache::{Cache, CacheKey};
use crate::error::Result;
use crate::llm::{ChatRequest, ChatResponse, LlmProvider, ProviderId};

type InFlight = Shared<BoxFuture<'static, Result<ChatResponse>>>;

/// Wraps a provider: answers from the cache when it can, and when several identical requests
/// arrive at once, makes one call and gives its answer to all of them. Errors are not cached.
///
/// ```
/// use std::sync::Arc;
/// use mgx_core::cache::MemoryCache;
/// use mgx_core::llm::{ChatRequest, LlmProvider};
/// use mgx_core::providers::{CachedProvider, Scripted};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let scripted = Arc::new(Scripted::new(["only once"]));
/// let cached = CachedProvider::new(scripted.clone(), Arc::new(MemoryCache::new(100, std::time::Duration::from_secs(60))));
/// let request = ChatRequest::user("hi");
/// let (a, b) = futures::join!(cached.complete(&request), cached.complete(&request));
/// assert_eq!((a?.content, b?.content), ("only once".to_string(), "only once".to_string()));
/// assert!(cached.complete(&request).await?.cached); // the third comes from the cache
/// assert_eq!(scripted.calls().len(), 1);
/// # Ok::<(), mgx_core::Error>(())
/// # }).unwrap();
/// ```
pub struct CachedProvider {
    inner: Arc<dyn LlmProvider>,
    cache: Arc<dyn Cache>,
    in_flight: Arc<Mutex<HashMap<CacheKey, InFlight>>>,
}

impl CachedProvider {
    /// `inner` behind `cache`.
    pub fn new(inner: Arc<dyn LlmProvider>, cache: Arc<dyn Cache>) -> Self {
        CachedProvider {
            inner,
            cache,
            in_flight: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The cache.
    pub fn cache(&self) -> &Arc<dyn Cache> {
        &self.cache
    }
}

impl std::fmt::Debug for CachedProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedProvider")
            .field("provider", &self.inner.id())
            .field("cache", &self.cache.stats())
            .finish()
    }
}

#[async_trait]
impl LlmProvider for CachedProvider {
    fn id(&self) -> ProviderId {
        self.inner.id()
    }

    async fn complete(&self, request: &ChatRequest) -> Result<ChatResponse> {
        let key = CacheKey::for_request(&self.inner.id(), request);
        if let Some(mut hit) = self.cache.get(&key).await {
            hit.cached = true;
            return Ok(hit);
        }
        let call = {
            let mut in_flight = self
                .in_flight
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match in_flight.get(&key) {
                Some(call) => call.clone(),
                None => {
                    let (inner, cache, request) =
                        (self.inner.clone(), self.cache.clone(), request.clone());
                    let table = self.in_flight.clone();
                    let call: InFlight = async move {
                        let result = inner.complete(&request).await;
                        if let Ok(answer) = &result {
                            cache.put(&key, answer).await;
                        }
                        table
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .remove(&key);
                        result
                    }
                    .boxed()
                    .shared();
                    in_flight.insert(key, call.clone());
                    call
                }
            }
        };
        call.await
    }
}
