//! A response cache in Redis, shared by every worker that points at the same server.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use redis::aio::ConnectionManager;

use super::{Cache, CacheKey, CacheStats};
use crate::error::{Error, Result};
use crate::llm::ChatResponse;

type WarningHook = Arc<dyn Fn(&str) + Send + Sync>;

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    sets: AtomicU64,
    errors: AtomicU64,
}

/// Answers stored in Redis as compact JSON under `<prefix>:<key hex>`, written with
/// `SET … EX <ttl>` (Redis expires them), listed with `SCAN` (never `KEYS`).
///
/// An outage is not a failed run: a lookup that cannot reach Redis (or takes longer than the
/// operation timeout, 500 ms by default) is a miss, a store is skipped, the error is counted in
/// [`CacheStats::errors`], logged with `tracing` and passed to the warning hook (the team run
/// turns it into a `warning` event). The connection is made on first use and re-made after
/// an outage, at most once a second.
pub struct RedisCache {
    client: redis::Client,
    connection: tokio::sync::Mutex<(Option<ConnectionManager>, Option<Instant>)>,
    prefix: String,
    ttl: Option<Duration>,
    op_timeout: Duration,
    counters: Counters,
    on_warning: Option<WarningHook>,
}

impl RedisCache {
    /// A cache on the server at `url` (`redis://host:port/db`), keys under `prefix`, entries
    /// living `ttl` (`Duration::ZERO`: until evicted by Redis). Nothing is connected yet; a bad
    /// URL is an error now.
    pub fn new(url: &str, prefix: &str, ttl: Duration) -> Result<RedisCache> {
        let client = redis::Client::open(url).map_err(|e| Error::Cache {
            message: format!("Redis URL: {e}"),
        })?;
        Ok(RedisCache {
            client,
            connection: tokio::sync::Mutex::new((None, None)),
            prefix: prefix.trim_end_matches(':').to_string(),
            ttl: (!ttl.is_zero()).then_some(ttl),
            op_timeout: Duration::from_millis(500),
            counters: Counters::default(),
            on_warning: None,
        })
    }

    /// The longest one operation may take before it counts as a failure (default 500 ms).
    pub fn with_op_timeout(mut self, timeout: Duration) -> Self {
        self.op_timeout = timeout;
        self
    }

    /// Call `hook` with a message whenever Redis fails.
    pub fn with_warning_hook(mut self, hook: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.on_warning = Some(Arc::new(hook));
        self
    }

    fn redis_key(&self, key: &CacheKey) -> String {
        format!("{}:{}", self.prefix, key.to_hex())
    }

    fn warn(&self, what: &str, error: &dyn std::fmt::Display) {
        self.counters.errors.fetch_add(1, Ordering::Relaxed);
        let message = format!("Redis cache {what} failed, continuing without it: {error}");
        tracing::warn!(target: "mgx::cache", "{message}");
        if let Some(hook) = &self.on_warning {
            hook(&message);
        }
    }

    async fn connection(&self) -> std::result::Result<ConnectionManager, String> {
        let mut guard = self.connection.lock().await;
        if let Some(conn) = &guard.0 {
            return Ok(conn.clone());
        }
        if let Some(last) = guard.1
            && last.elapsed() < Duration::from_secs(1)
        {
            return Err("not connected (retrying in a moment)".into());
        }
        guard.1 = Some(Instant::now());
        // One quick attempt: an outage is answered as a miss at once, and retried here at most
        // once a second, instead of the manager's own backoff holding up the run.
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_number_of_retries(0)
            .set_connection_timeout(Some(self.op_timeout))
            .set_response_timeout(Some(self.op_timeout));
        let made = tokio::time::timeout(
            self.op_timeout.max(Duration::from_secs(1)),
            ConnectionManager::new_with_config(self.client.clone(), config),
        )
        .await;
        match made {
            Ok(Ok(conn)) => {
                guard.0 = Some(conn.clone());
                Ok(conn)
            }
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("connecting timed out".into()),
        }
    }

    async fn run<T: redis::FromRedisValue>(&self, what: &str, cmd: &redis::Cmd) -> Option<T> {
        let mut conn = match self.connection().await {
            Ok(c) => c,
            Err(e) => {
                self.warn(what, &e);
                return None;
            }
        };
        match tokio::time::timeout(self.op_timeout, cmd.query_async::<T>(&mut conn)).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                self.warn(what, &e);
                None
            }
            Err(_) => {
                self.warn(what, &"timed out");
                None
            }
        }
    }

    /// Every key under the prefix, by `SCAN`.
    pub async fn keys(&self) -> Result<Vec<String>> {
        let mut conn = self
            .connection()
            .await
            .map_err(|message| Error::Cache { message })?;
        let pattern = format!("{}:*", self.prefix);
        let mut cursor: u64 = 0;
        let mut keys = Vec::new();
        loop {
            let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(500)
                .query_async(&mut conn)
                .await
                .map_err(|e| Error::Cache {
                    message: e.to_string(),
                })?;
            keys.extend(batch);
            if next == 0 {
                break;
            }
            cursor = next;
        }
        Ok(keys)
    }
}

impl std::fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCache")
            .field("prefix", &self.prefix)
            .field("ttl", &self.ttl)
            .finish()
    }
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &CacheKey) -> Option<ChatResponse> {
        let mut cmd = redis::cmd("GET");
        cmd.arg(self.redis_key(key));
        let found: Option<Option<String>> = self.run("lookup", &cmd).await;
        let answer =
            found
                .flatten()
                .and_then(|text| match serde_json::from_str::<ChatResponse>(&text) {
                    Ok(answer) => Some(answer),
                    Err(e) => {
                        self.warn("decoding an entry", &e);
                        None
                    }
                });
        let counter = if answer.is_some() {
            &self.counters.hits
        } else {
            &self.counters.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        answer
    }

    async fn put(&self, key: &CacheKey, value: &ChatResponse) {
        let Ok(text) = serde_json::to_string(value) else {
            return;
        };
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.redis_key(key)).arg(text);
        if let Some(ttl) = self.ttl {
            cmd.arg("EX").arg(ttl.as_secs().max(1));
        }
        if self.run::<()>("store", &cmd).await.is_some() {
            self.counters.sets.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.counters.hits.load(Ordering::Relaxed),
            misses: self.counters.misses.load(Ordering::Relaxed),
            sets: self.counters.sets.load(Ordering::Relaxed),
            errors: self.counters.errors.load(Ordering::Relaxed),
            // Redis evicts and expires on its own and a count would need a SCAN.
            ..CacheStats::default()
        }
    }

    async fn clear(&self) -> Result<()> {
        let keys = self.keys().await?;
        let mut conn = self
            .connection()
            .await
            .map_err(|message| Error::Cache { message })?;
        for chunk in keys.chunks(500) {
            redis::cmd("DEL")
                .arg(chunk)
                .query_async::<()>(&mut conn)
                .await
                .map_err(|e| Error::Cache {
                    message: e.to_string(),
                })?;
        }
        Ok(())
    }
}
