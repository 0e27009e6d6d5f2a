//! mgx-core hot paths: the memory cache (single thread and with threads), cache key
//! derivation, and the provider's overhead per call against a local server — each with a
//! baseline measured in the same run.
//!
//! Run with `cargo bench -p mgx-core --bench core`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)] // a bench that cannot set up should stop loudly

use std::collections::HashMap;
use std::hint::black_box;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mgx_core::cache::{CacheKey, MemoryCache};
use mgx_core::llm::{ChatMessage, ChatRequest, LlmProvider, ProviderId};
use mgx_core::providers::OpenAiCompatible;

const OPS: usize = 1_000_000;
const KEYS: usize = 10_000;
const CAPACITY: usize = 8_192;

/// The workload of the original's cache benchmark: 1M operations over 10k keys, 80% lookups
/// (a miss is followed by a store), capacity 8,192. Keys drawn with a fixed xorshift.
fn workload() -> Vec<(bool, u32)> {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    (0..OPS)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ((x % 10) < 8, (x >> 20) as u32 % KEYS as u32)
        })
        .collect()
}

fn keys() -> Vec<CacheKey> {
    (0..KEYS)
        .map(|i| {
            let provider = ProviderId::new("bench", "m");
            CacheKey::for_request(&provider, &ChatRequest::user(format!("task {i}")))
        })
        .collect()
}

fn run_memory(cache: &MemoryCache<u64>, ops: &[(bool, u32)], keys: &[CacheKey]) -> u64 {
    let mut hits = 0;
    for &(get, k) in ops {
        let key = keys[k as usize];
        if get {
            match cache.lookup(&key) {
                Some(v) => hits += v,
                None => cache.insert(key, 1),
            }
        } else {
            cache.insert(key, 1);
        }
    }
    hits
}

fn memory_cache(c: &mut Criterion) {
    let ops = workload();
    let keys = keys();
    let mut group = c.benchmark_group("memory_cache");
    group.throughput(Throughput::Elements(OPS as u64));
    group.sample_size(20);
    group.bench_function("mgx_1M_mixed_ops_one_thread", |b| {
        b.iter(|| {
            let cache: MemoryCache<u64> = MemoryCache::builder()
                .capacity(CAPACITY)
                .ttl(Duration::from_secs(3600))
                .build();
            black_box(run_memory(&cache, &ops, &keys))
        })
    });
    // Baselines in the same run: the bare `lru` crate (no lock, no TTL, no statistics) and a
    // bare HashMap (no eviction at all) — the floor under any LRU cache.
    group.bench_function("baseline_bare_lru_crate", |b| {
        b.iter(|| {
            let mut lru: lru::LruCache<CacheKey, u64, rustc_hash::FxBuildHasher> =
                lru::LruCache::with_hasher(
                    NonZeroUsize::new(CAPACITY).unwrap(),
                    rustc_hash::FxBuildHasher,
                );
            let mut hits = 0;
            for &(get, k) in &ops {
                let key = keys[k as usize];
                if get {
                    match lru.get(&key) {
                        Some(v) => hits += *v,
                        None => {
                            lru.put(key, 1);
                        }
                    }
                } else {
                    lru.put(key, 1);
                }
            }
            black_box(hits)
        })
    });
    group.bench_function("baseline_bare_hashmap", |b| {
        b.iter(|| {
            let mut map: HashMap<CacheKey, u64, rustc_hash::FxBuildHasher> = HashMap::default();
            let mut hits = 0;
            for &(get, k) in &ops {
                let key = keys[k as usize];
                if get {
                    match map.get(&key) {
                        Some(v) => hits += *v,
                        None => {
                            map.insert(key, 1);
                        }
                    }
                } else {
                    map.insert(key, 1);
                }
            }
            black_box(hits)
        })
    });
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .max(2);
    group.bench_function(format!("mgx_1M_mixed_ops_{threads}_threads"), |b| {
        b.iter(|| {
            let cache: Arc<MemoryCache<u64>> = Arc::new(
                MemoryCache::builder()
                    .capacity(CAPACITY)
                    .ttl(Duration::from_secs(3600))
                    .shards(64)
                    .build(),
            );
            std::thread::scope(|s| {
                for part in ops.chunks(OPS / threads) {
                    let (cache, keys) = (&cache, &keys);
                    s.spawn(move || black_box(run_memory(cache, part, keys)));
                }
            });
        })
    });
    // The same threads, each with a cache of its own (half the capacity): what the machine
    // gives when nothing is shared.
    group.bench_function(
        format!("mgx_1M_mixed_ops_{threads}_threads_a_cache_each"),
        |b| {
            b.iter(|| {
                std::thread::scope(|s| {
                    for part in ops.chunks(OPS / threads) {
                        let keys = &keys;
                        s.spawn(move || {
                            let cache: MemoryCache<u64> = MemoryCache::builder()
                                .capacity(CAPACITY / threads)
                                .ttl(Duration::from_secs(3600))
                                .build();
                            black_box(run_memory(&cache, part, keys))
                        });
                    }
                });
            })
        },
    );
    group.bench_function("mgx_1M_mixed_ops_one_thread_no_ttl", |b| {
        b.iter(|| {
            let cache: MemoryCache<u64> = MemoryCache::builder()
                .capacity(CAPACITY)
                .ttl(Duration::ZERO)
                .build();
            black_box(run_memory(&cache, &ops, &keys))
        })
    });
    group.bench_function("mgx_1M_mixed_ops_one_thread_64_shards", |b| {
        b.iter(|| {
            let cache: MemoryCache<u64> = MemoryCache::builder()
                .capacity(CAPACITY)
                .ttl(Duration::from_secs(3600))
                .shards(64)
                .build();
            black_box(run_memory(&cache, &ops, &keys))
        })
    });
    group.finish();
}

/// ~430-byte payloads, like the original's benchmark of its key function.
fn payloads() -> Vec<ChatRequest> {
    (0..10_000)
        .map(|i| {
            let mut r = ChatRequest::new(vec![
                ChatMessage::system("You are the engineer of an mgx team. Answer with a FILE manifest."),
                ChatMessage::user(format!(
                    "Task {i}: add a /health endpoint to the FastAPI service, with a pytest test that checks the status code and the JSON body. Plan step {}: write app/routes/health.py and tests/test_health.py; keep the existing style; no extra libraries.",
                    i % 7
                )),
            ]);
            r.temperature = Some(0.2);
            r.max_tokens = Some(2048);
            r
        })
        .collect()
}

fn key_derivation(c: &mut Criterion) {
    let payloads = payloads();
    let provider = ProviderId::new("openai-compatible", "gpt-4o-mini");
    let bytes: usize = payloads
        .iter()
        .map(|p| serde_json::to_vec(&p.messages).unwrap().len())
        .sum();
    eprintln!(
        "key derivation: {} payloads, {} bytes of messages each on average",
        payloads.len(),
        bytes / payloads.len()
    );
    let mut group = c.benchmark_group("cache_key");
    group.throughput(Throughput::Elements(payloads.len() as u64));
    group.bench_function("mgx_10k_keys", |b| {
        b.iter(|| {
            for p in &payloads {
                black_box(CacheKey::for_request(&provider, p));
            }
        })
    });
    // Baseline: serialise to a String with serde_json, then SHA-256 it (two passes).
    group.bench_function("baseline_to_string_then_sha256", |b| {
        use sha2::Digest;
        b.iter(|| {
            for p in &payloads {
                let text = serde_json::to_string(&(&provider, p)).unwrap();
                black_box(sha2::Sha256::digest(text.as_bytes()));
            }
        })
    });
    group.finish();
}

fn provider_overhead(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(async {
        use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
        let server = MockServer::start().await;
        let body = serde_json::json!({"choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 5, "completion_tokens": 1}});
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
        server
    });
    let base = format!("{}/v1", server.uri());
    let provider = OpenAiCompatible::builder()
        .base_url(&base)
        .model("m")
        .build()
        .unwrap();
    let request = ChatRequest::user("Say ok");
    let client = reqwest::Client::new();
    let url = format!("{base}/chat/completions");
    let raw_body = serde_json::json!({"model": "m", "messages": [{"role": "user", "content": "Say ok"}], "stream": false});
    let mut group = c.benchmark_group("provider_call_local_server");
    group.bench_function("mgx_openai_compatible_complete", |b| {
        b.iter(|| rt.block_on(async { black_box(provider.complete(&request).await.unwrap()) }))
    });
    // Baseline: the same POST with a bare reqwest client, body read and parsed as JSON.
    group.bench_function("baseline_bare_reqwest_post", |b| {
        b.iter(|| {
            rt.block_on(async {
                let v: serde_json::Value = client
                    .post(&url)
                    .json(&raw_body)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                black_box(v)
            })
        })
    });
    group.finish();
}

criterion_group!(benches, memory_cache, key_derivation, provider_overhead);
criterion_main!(benches);
