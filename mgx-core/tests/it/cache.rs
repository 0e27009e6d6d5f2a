//! Caches through the trait, in-flight de-duplication, and Redis (a real server).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
#[cfg(feature = "redis")]
use mgx_core::cache::Cache;
use mgx_core::cache::{CacheKey, MemoryCache, NoCache};
use mgx_core::llm::{ChatRequest, ChatResponse, LlmProvider, ProviderId};
use mgx_core::providers::CachedProvider;
use mgx_core::{Error, Result};

/// A provider that takes its time, counts its calls, and fails when asked to.
struct Slow {
    calls: AtomicUsize,
    fail: bool,
}

#[async_trait]
impl LlmProvider for Slow {
    fn id(&self) -> ProviderId {
        ProviderId::new("slow", "m")
    }

    async fn complete(&self, request: &ChatRequest) -> Result<ChatResponse> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(100)).await;
        if self.fail {
            return Err(Error::provider("down"));
        }
        Ok(ChatResponse::text(format!(
            "answer to {}",
            request.messages[0].content
        )))
    }
}

#[tokio::test]
async fn concurrent_identical_requests_make_one_call() {
    let slow = Arc::new(Slow {
        calls: AtomicUsize::new(0),
        fail: false,
    });
    let cached = Arc::new(CachedProvider::new(
        slow.clone(),
        Arc::new(MemoryCache::new(100, Duration::from_secs(60))),
    ));
    let mut tasks = Vec::new();
    for i in 0..20 {
        let cached = cached.clone();
        tasks.push(tokio::spawn(async move {
            let prompt = if i % 2 == 0 { "even" } else { "odd" };
            cached
                .complete(&ChatRequest::user(prompt))
                .await
                .unwrap()
                .content
        }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        let want = if i % 2 == 0 {
            "answer to even"
        } else {
            "answer to odd"
        };
        assert_eq!(t.await.unwrap(), want);
    }
    assert_eq!(slow.calls.load(Ordering::SeqCst), 2);
    let again = cached.complete(&ChatRequest::user("even")).await.unwrap();
    assert!(again.cached);
    assert_eq!(slow.calls.load(Ordering::SeqCst), 2);
    let stats = cached.cache().stats();
    assert_eq!((stats.sets, stats.hits), (2, 1));
}

#[tokio::test]
async fn errors_are_shared_but_never_cached() {
    let slow = Arc::new(Slow {
        calls: AtomicUsize::new(0),
        fail: true,
    });
    let cached = CachedProvider::new(
        slow.clone(),
        Arc::new(MemoryCache::new(100, Duration::from_secs(60))),
    );
    let r = ChatRequest::user("x");
    let (a, b) = futures::join!(cached.complete(&r), cached.complete(&r));
    assert!(a.is_err() && b.is_err());
    assert_eq!(slow.calls.load(Ordering::SeqCst), 1);
    assert!(cached.complete(&r).await.is_err());
    assert_eq!(
        slow.calls.load(Ordering::SeqCst),
        2,
        "a failure is asked again"
    );
}

#[tokio::test]
async fn no_cache_never_hits() {
    let slow = Arc::new(Slow {
        calls: AtomicUsize::new(0),
        fail: false,
    });
    let cached = CachedProvider::new(slow.clone(), Arc::new(NoCache::new()));
    cached.complete(&ChatRequest::user("a")).await.unwrap();
    cached.complete(&ChatRequest::user("a")).await.unwrap();
    assert_eq!(slow.calls.load(Ordering::SeqCst), 2);
    assert_eq!(cached.cache().stats().misses, 2);
}

#[tokio::test]
async fn different_parameters_are_different_keys() {
    let p = ProviderId::new("p", "m");
    let base = ChatRequest::user("same words");
    let mut hot = base.clone();
    hot.temperature = Some(1.0);
    let mut other_model = base.clone();
    other_model.model = Some("m2".into());
    let keys = [
        CacheKey::for_request(&p, &base),
        CacheKey::for_request(&p, &hot),
        CacheKey::for_request(&p, &other_model),
        CacheKey::for_request(&ProviderId::new("q", "m"), &base),
    ];
    for i in 0..keys.len() {
        for j in i + 1..keys.len() {
            assert_ne!(keys[i], keys[j]);
        }
    }
}

/// The URL of the real Redis server `.ci/test-all` starts, or `None` (the test says it skipped)
/// outside CI. In CI a missing server fails the test.
fn redis_url() -> Option<String> {
    match std::env::var("REDIS_URL") {
        Ok(url) => Some(url),
        Err(_) if std::env::var("CI").is_ok() => {
            panic!("CI must provide REDIS_URL (a real redis-server)")
        }
        Err(_) => {
            eprintln!("REDIS_URL is not set: skipping the Redis test");
            None
        }
    }
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn redis_stores_expires_lists_and_clears() {
    use mgx_core::cache::RedisCache;
    let Some(url) = redis_url() else { return };
    let prefix = format!("mgx-test-{}", std::process::id());
    let cache = RedisCache::new(&url, &prefix, Duration::from_secs(1)).unwrap();
    let key = CacheKey([7; 32]);
    assert_eq!(cache.get(&key).await, None);
    let answer = ChatResponse::text("from redis");
    cache.put(&key, &answer).await;
    assert_eq!(
        cache.get(&key).await.map(|a| a.content),
        Some("from redis".into())
    );
    assert_eq!(
        cache.keys().await.unwrap(),
        [format!("{prefix}:{}", key.to_hex())]
    );
    // SET … EX: Redis expires it.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(cache.get(&key).await, None);
    cache.put(&key, &answer).await;
    cache.put(&CacheKey([8; 32]), &answer).await;
    cache.clear().await.unwrap();
    assert!(cache.keys().await.unwrap().is_empty());
    let s = cache.stats();
    assert_eq!((s.hits, s.misses, s.sets, s.errors), (1, 2, 3, 0));
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn a_redis_outage_is_a_miss_with_a_warning_not_a_failure() {
    use mgx_core::cache::RedisCache;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let warnings = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = warnings.clone();
    let cache = RedisCache::new(
        &format!("redis://{closed}/"),
        "mgx",
        Duration::from_secs(60),
    )
    .unwrap()
    .with_warning_hook(move |m| seen.lock().unwrap().push(m.to_string()));
    let start = std::time::Instant::now();
    assert_eq!(cache.get(&CacheKey([1; 32])).await, None);
    cache
        .put(&CacheKey([1; 32]), &ChatResponse::text("x"))
        .await;
    assert!(start.elapsed() < Duration::from_secs(3));
    assert!(cache.stats().errors >= 1);
    assert!(warnings.lock().unwrap()[0].contains("continuing without it"));
    // And a run through it still gets its answer.
    let cached = CachedProvider::new(
        Arc::new(mgx_core::providers::Scripted::new(["fine"])),
        Arc::new(cache),
    );
    assert_eq!(
        cached
            .complete(&ChatRequest::user("q"))
            .await
            .unwrap()
            .content,
        "fine"
    );
}

#[cfg(not(feature = "redis"))]
#[test]
fn redis_tests_need_the_feature() {
    let _ = redis_url;
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn a_run_with_redis_down_completes_and_warns() {
    use futures::StreamExt;
    use mgx_core::cache::RedisCache;
    use mgx_core::events::ChannelSink;
    use mgx_core::team::{RunStatus, Team};
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let cache = RedisCache::new(
        &format!("redis://{closed}/"),
        "mgx",
        Duration::from_secs(60),
    )
    .unwrap();
    let (sink, stream) = ChannelSink::new(1024);
    let team = Team::builder()
        .stack("fastapi")
        .dry_run(true)
        .output_dir(std::env::temp_dir().join("mgx-redis-down"))
        .cache(Arc::new(cache))
        .sink(Arc::new(sink))
        .build()
        .unwrap();
    let report = team.run("Create a FastAPI /health endpoint").await;
    drop(team);
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    let warnings: Vec<_> = stream
        .filter(|e| futures::future::ready(e.event_type.as_str() == "warning"))
        .collect()
        .await;
    assert!(!warnings.is_empty());
    assert_eq!(warnings[0].data["component"], "cache");
}
