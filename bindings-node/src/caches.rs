//! Response caches for JS: `MemoryCache` and `RedisCache`.

use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use mgx_core::cache as core;

use crate::error::{Result, core_err, invalid, promise};

macro_rules! cache_methods {
    ($t:ty) => {
        #[napi]
        impl $t {
            /// `{ hits, misses, sets, evictions, expirations, errors }` so far.
            #[napi(ts_return_type = "CacheStats")]
            pub fn stats(&self) -> Result<Value> {
                serde_json::to_value(self.inner.stats()).map_err(|e| invalid(e.to_string()))
            }

            /// Empty the cache.
            #[napi(ts_return_type = "Promise<void>")]
            pub fn clear<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Value>> {
                let inner = self.inner.clone();
                promise(env, async move {
                    inner.clear().await?;
                    Ok(crate::settle::Json::of(&()))
                })
            }
        }
    };
}

/// An in-process LRU cache with a time to live: `capacity` answers (default 1024), each kept
/// `ttl` seconds (default 3600). Give it to teams with `cache`.
#[napi]
pub struct MemoryCache {
    pub(crate) inner: Arc<dyn mgx_core::Cache>,
}

#[napi]
impl MemoryCache {
    #[napi(constructor)]
    pub fn new(capacity: Option<u32>, ttl: Option<f64>) -> Result<Self> {
        let capacity = capacity.unwrap_or(1024) as usize;
        if capacity == 0 {
            return Err(invalid("capacity must be at least 1"));
        }
        let ttl = Duration::try_from_secs_f64(ttl.unwrap_or(3600.0))
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| invalid("ttl must be a positive number of seconds"))?;
        let cache: core::MemoryCache = core::MemoryCache::new(capacity, ttl);
        Ok(MemoryCache {
            inner: Arc::new(cache),
        })
    }
}

cache_methods!(MemoryCache);

/// A cache in Redis (`redis://host:port/db`), shared by processes: keys under `prefix`
/// (default `mgx`), kept `ttl` seconds (default 86400; 0: until Redis evicts them). When Redis
/// is down, calls go to the model and the run says so in a `warning` event.
#[napi]
pub struct RedisCache {
    pub(crate) inner: Arc<dyn mgx_core::Cache>,
}

#[napi]
impl RedisCache {
    #[napi(constructor)]
    pub fn new(url: String, prefix: Option<String>, ttl: Option<f64>) -> Result<Self> {
        let ttl = Duration::try_from_secs_f64(ttl.unwrap_or(86400.0))
            .map_err(|_| invalid("ttl must be a number of seconds ≥ 0"))?;
        let cache = core::RedisCache::new(&url, prefix.as_deref().unwrap_or("mgx"), ttl)
            .map_err(|e| core_err(&e))?;
        Ok(RedisCache {
            inner: Arc::new(cache),
        })
    }
}

cache_methods!(RedisCache);

/// The cache of one of ours, if `value` is one.
pub(crate) fn cache_from(env: &Env, value: &Unknown) -> Option<Arc<dyn mgx_core::Cache>> {
    // SAFETY: `from_napi_value` checks the class recorded at wrap time; another object is an
    // `Err`, never a bad cast.
    unsafe {
        if let Ok(c) = ClassInstance::<MemoryCache>::from_napi_value(env.raw(), value.raw()) {
            return Some(c.inner.clone());
        }
        if let Ok(c) = ClassInstance::<RedisCache>::from_napi_value(env.raw(), value.raw()) {
            return Some(c.inner.clone());
        }
    }
    None
}
