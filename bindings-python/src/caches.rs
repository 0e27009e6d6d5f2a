//! Response caches for Python: `MemoryCache` and `RedisCache`, subclasses of `Cache`.

use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use mgx_core::cache::{MemoryCache, RedisCache};

use crate::convert::to_py;
use crate::error::core_err;

/// A cache of model answers, shared by every run of the teams it is given to: the same request
/// to the same model is answered once.
#[pyclass(name = "Cache", module = "mgx", subclass, frozen)]
pub(crate) struct PyCache {
    pub(crate) inner: Arc<dyn mgx_core::Cache>,
}

#[pymethods]
impl PyCache {
    /// `{"hits", "misses", "sets", "evictions", "expirations", "errors"}` so far.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.stats())
    }

    /// Empty the cache (awaitable).
    fn clear<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        crate::bridge::future_into_py(
            py,
            async move { inner.clear().await.map_err(|e| core_err(&e)) },
        )
    }
}

fn ttl(seconds: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| PyValueError::new_err("ttl must be a positive number of seconds"))
}

/// An in-process LRU cache with a time to live: `capacity` answers, each kept `ttl` seconds.
#[pyclass(name = "MemoryCache", module = "mgx", extends = PyCache, frozen)]
pub(crate) struct PyMemoryCache;

#[pymethods]
impl PyMemoryCache {
    #[new]
    #[pyo3(signature = (capacity = 1024, ttl = 3600.0))]
    fn new(capacity: usize, ttl: f64) -> PyResult<PyClassInitializer<Self>> {
        if capacity == 0 {
            return Err(PyValueError::new_err("capacity must be at least 1"));
        }
        let cache: MemoryCache = MemoryCache::new(capacity, self::ttl(ttl)?);
        Ok(PyClassInitializer::from(PyCache {
            inner: Arc::new(cache),
        })
        .add_subclass(PyMemoryCache))
    }
}

/// A cache in Redis (`redis://host:port/db`), shared by processes: keys are `prefix:` and the
/// request's hash, each kept `ttl` seconds. When Redis is down, calls go to the model and the
/// run says so in a `warning` event. `ttl=0` keeps entries until Redis evicts them.
#[pyclass(name = "RedisCache", module = "mgx", extends = PyCache, frozen)]
pub(crate) struct PyRedisCache;

#[pymethods]
impl PyRedisCache {
    #[new]
    #[pyo3(signature = (url, prefix = "mgx", ttl = 86400.0))]
    fn new(url: &str, prefix: &str, ttl: f64) -> PyResult<PyClassInitializer<Self>> {
        let ttl = Duration::try_from_secs_f64(ttl)
            .map_err(|_| PyValueError::new_err("ttl must be a number of seconds ≥ 0"))?;
        let cache = RedisCache::new(url, prefix, ttl).map_err(|e| core_err(&e))?;
        Ok(PyClassInitializer::from(PyCache {
            inner: Arc::new(cache),
        })
        .add_subclass(PyRedisCache))
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyCache>()?;
    m.add_class::<PyMemoryCache>()?;
    m.add_class::<PyRedisCache>()?;
    Ok(())
}
