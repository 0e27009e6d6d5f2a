//! An in-memory LRU cache with a time to live.

use std::collections::VecDeque;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use crossbeam_utils::CachePadded;
use lru::LruCache;
use rustc_hash::FxBuildHasher;

use super::{Cache, CacheKey, CacheStats};
use crate::error::{Error, Result};
use crate::llm::ChatResponse;

/// A source of time for expiry, in milliseconds from any fixed point. Tests inject their own
/// to move time; the default reads a coarse monotonic clock (a few nanoseconds a read).
pub trait Clock: Send + Sync {
    /// Milliseconds since this clock's fixed point.
    fn now_millis(&self) -> u64;
}

/// The default [`Clock`]: the system's coarse monotonic clock (millisecond resolution).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> u64 {
        // coarsetime ticks are 32.32 fixed-point seconds. `now()` would also store the time in
        // a global that every thread writes: that one cache line cost the cache all its scaling.
        ((u128::from(coarsetime::Instant::now_without_cache_update().as_ticks()) * 1000) >> 32)
            as u64
    }
}

struct Entry<V> {
    value: V,
    /// When it expires (clock milliseconds); `u64::MAX`: never.
    expires: u64,
    /// Which insertion this is (stale expiry records are skipped by it).
    seq: u64,
}

struct Shard<V> {
    lru: LruCache<CacheKey, Entry<V>, FxBuildHasher>,
    /// Insertions in order, which with one time to live is the order of expiry.
    expiry: VecDeque<(u64, u64, CacheKey)>,
    seq: u64,
    stats: CacheStats,
}

impl<V> Shard<V> {
    /// Drop every entry whose time is up. Amortised O(1) per insertion: each record is
    /// popped once.
    fn purge(&mut self, now: u64) {
        while let Some(&(expires, seq, key)) = self.expiry.front() {
            if expires > now {
                break;
            }
            self.expiry.pop_front();
            if self.lru.peek(&key).is_some_and(|e| e.seq == seq) {
                self.lru.pop(&key);
                self.stats.expirations += 1;
            }
        }
        // Records of replaced or evicted entries wait for their turn; keep them bounded (a
        // record is 48 bytes: at most 4 per entry of capacity, swept in one pass every 3 × the
        // capacity of insertions).
        if self.expiry.len() > 4 * self.lru.cap().get() + 64 {
            let lru = &self.lru;
            self.expiry
                .retain(|(_, seq, key)| lru.peek(key).is_some_and(|e| e.seq == *seq));
        }
    }
}

/// An in-memory LRU cache whose entries live for a fixed time.
///
/// - A lookup never returns an expired entry (it counts as a miss and an expiration), and an
///   expired entry stops holding capacity: expired entries are dropped before anything live is
///   evicted.
/// - It is split into shards (one lock each) so that threads do not contend; each shard is an
///   exact LRU of its share of the capacity. With one shard (capacities below 1,024 by
///   default) the whole cache is one exact LRU.
/// - The clock is injectable ([`MemoryCacheBuilder::clock`]), so tests can move time.
///
/// ```
/// use std::time::Duration;
/// use mgx_core::cache::{CacheKey, MemoryCache};
///
/// let cache: MemoryCache<u32> = MemoryCache::builder().capacity(2).ttl(Duration::from_secs(60)).build();
/// let (a, b, c) = (CacheKey([1; 32]), CacheKey([2; 32]), CacheKey([3; 32]));
/// cache.insert(a, 1);
/// cache.insert(b, 2);
/// assert_eq!(cache.lookup(&a), Some(1)); // a is now the most recently used
/// cache.insert(c, 3);                      // so b is evicted
/// assert_eq!(cache.lookup(&b), None);
/// assert_eq!(cache.stats().evictions, 1);
/// ```
pub struct MemoryCache<V = Arc<ChatResponse>> {
    // Padded so that two shards never share a cache line (threads on different shards would
    // otherwise slow each other down).
    shards: Box<[CachePadded<Mutex<Shard<V>>>]>,
    ttl: Option<u64>,
    clock: Arc<dyn Clock>,
    capacity: usize,
}

/// Builds a [`MemoryCache`].
pub struct MemoryCacheBuilder {
    capacity: usize,
    ttl: Option<Duration>,
    shards: Option<usize>,
    clock: Arc<dyn Clock>,
}

impl MemoryCacheBuilder {
    /// The most entries held (default 1,024; at least 1).
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// How long an entry lives (default one hour). `Duration::ZERO` means forever.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = (!ttl.is_zero()).then_some(ttl);
        self
    }

    /// The number of shards (rounded up to a power of two, at most the capacity). The default
    /// is one shard per 1,024 entries of capacity, at most 64.
    pub fn shards(mut self, shards: usize) -> Self {
        self.shards = Some(shards.max(1));
        self
    }

    /// The clock expiry is measured by.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The cache.
    pub fn build<V>(self) -> MemoryCache<V> {
        let wanted = self.shards.unwrap_or(self.capacity / 1024).clamp(1, 64);
        let count = wanted
            .next_power_of_two()
            .min(self.capacity.next_power_of_two());
        let count = if count > self.capacity {
            count / 2
        } else {
            count
        }
        .max(1);
        let shards = (0..count)
            .map(|i| {
                // Split the capacity exactly: the first shards take the remainder.
                let share = self.capacity / count + usize::from(i < self.capacity % count);
                let cap = NonZeroUsize::new(share.max(1)).unwrap_or(NonZeroUsize::MIN);
                CachePadded::new(Mutex::new(Shard {
                    lru: LruCache::with_hasher(cap, FxBuildHasher),
                    expiry: VecDeque::new(),
                    seq: 0,
                    stats: CacheStats::default(),
                }))
            })
            .collect();
        MemoryCache {
            shards,
            ttl: self
                .ttl
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            clock: self.clock,
            capacity: self.capacity,
        }
    }
}

impl MemoryCache {
    /// A builder (capacity 1,024, time to live one hour, the system clock). Its
    /// [`build`](MemoryCacheBuilder::build) makes a cache of answers, or of any `V: Clone`.
    pub fn builder() -> MemoryCacheBuilder {
        MemoryCacheBuilder {
            capacity: 1024,
            ttl: Some(Duration::from_secs(3600)),
            shards: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// A cache of `capacity` answers that live for `ttl` (`Duration::ZERO`: forever).
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self::builder().capacity(capacity).ttl(ttl).build()
    }
}

impl<V: Clone> MemoryCache<V> {
    fn shard(&self, key: &CacheKey) -> MutexGuard<'_, Shard<V>> {
        let index = usize::from(key.0[0]) & (self.shards.len() - 1);
        // A panic while a shard was locked cannot leave it inconsistent for our operations
        // (each is a few statements on owned data); keep serving.
        self.shards[index]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The live value under `key`, made the most recently used.
    pub fn lookup(&self, key: &CacheKey) -> Option<V> {
        let mut shard = self.shard(key);
        let now = if self.ttl.is_some() {
            self.clock.now_millis()
        } else {
            0
        };
        let found = shard
            .lru
            .get(key)
            .map(|entry| (entry.expires > now).then(|| entry.value.clone()));
        match found {
            Some(Some(value)) => {
                shard.stats.hits += 1;
                Some(value)
            }
            Some(None) => {
                shard.lru.pop(key);
                shard.stats.expirations += 1;
                shard.stats.misses += 1;
                None
            }
            None => {
                shard.stats.misses += 1;
                None
            }
        }
    }

    /// Store `value` under `key`, replacing what was there.
    pub fn insert(&self, key: CacheKey, value: V) {
        let mut shard = self.shard(&key);
        let expires = match self.ttl {
            Some(ttl) => {
                let now = self.clock.now_millis();
                shard.purge(now);
                now.saturating_add(ttl)
            }
            None => u64::MAX,
        };
        shard.seq += 1;
        let seq = shard.seq;
        if let Some((old_key, _)) = shard.lru.push(
            key,
            Entry {
                value,
                expires,
                seq,
            },
        ) && old_key != key
        {
            shard.stats.evictions += 1;
        }
        if self.ttl.is_some() {
            shard.expiry.push_back((expires, seq, key));
        }
        shard.stats.sets += 1;
    }

    /// Remove every entry (statistics are kept).
    pub fn clear_all(&self) {
        for shard in self.shards.iter() {
            let mut shard = shard
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            shard.lru.clear();
            shard.expiry.clear();
        }
    }

    /// The statistics, summed over shards; `size` counts live entries only.
    pub fn stats(&self) -> CacheStats {
        let now = self.clock.now_millis();
        let mut total = CacheStats {
            size: Some(0),
            capacity: Some(self.capacity as u64),
            ..CacheStats::default()
        };
        for shard in self.shards.iter() {
            let mut shard = shard
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if self.ttl.is_some() {
                shard.purge(now);
            }
            let s = shard.stats;
            total.hits += s.hits;
            total.misses += s.misses;
            total.sets += s.sets;
            total.evictions += s.evictions;
            total.expirations += s.expirations;
            total.size = total.size.map(|n| n + shard.lru.len() as u64);
        }
        total
    }
}

impl<V> std::fmt::Debug for MemoryCache<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryCache")
            .field("capacity", &self.capacity)
            .field("ttl_ms", &self.ttl)
            .field("shards", &self.shards.len())
            .finish()
    }
}

#[async_trait]
impl Cache for MemoryCache<Arc<ChatResponse>> {
    async fn get(&self, key: &CacheKey) -> Option<ChatResponse> {
        self.lookup(key).map(|v| ChatResponse::clone(&v))
    }

    async fn put(&self, key: &CacheKey, value: &ChatResponse) {
        self.insert(*key, Arc::new(value.clone()));
    }

    fn stats(&self) -> CacheStats {
        MemoryCache::stats(self)
    }

    async fn clear(&self) -> Result<(), Error> {
        self.clear_all();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[derive(Default)]
    struct TestClock(AtomicU64);

    impl Clock for TestClock {
        fn now_millis(&self) -> u64 {
            self.0.load(Ordering::SeqCst)
        }
    }

    fn key(n: u32) -> CacheKey {
        let mut k = [0u8; 32];
        k[..4].copy_from_slice(&n.to_le_bytes());
        CacheKey(k)
    }

    #[test]
    fn expired_entries_never_hit_and_stop_holding_capacity() {
        let clock = Arc::new(TestClock::default());
        let cache: MemoryCache<u32> = MemoryCache::builder()
            .capacity(3)
            .ttl(Duration::from_secs(10))
            .clock(clock.clone())
            .build();
        cache.insert(key(1), 1);
        cache.insert(key(2), 2);
        clock.0.store(5_000, Ordering::SeqCst);
        cache.insert(key(3), 3);
        assert_eq!(cache.lookup(&key(1)), Some(1)); // recently used, but old
        clock.0.store(10_000, Ordering::SeqCst);
        // 1 and 2 are expired now: a new entry takes their room, and 3 is not evicted.
        cache.insert(key(4), 4);
        assert_eq!(cache.lookup(&key(1)), None);
        assert_eq!(cache.lookup(&key(3)), Some(3));
        let s = cache.stats();
        assert_eq!((s.expirations, s.evictions, s.size), (2, 0, Some(2)));
        assert_eq!((s.hits, s.misses, s.sets), (2, 1, 4));
        clock.0.store(20_000, Ordering::SeqCst);
        assert_eq!(
            cache.stats().size,
            Some(0),
            "expired entries are not counted"
        );
    }

    #[test]
    fn replacing_a_key_restarts_its_time_and_is_not_an_eviction() {
        let clock = Arc::new(TestClock::default());
        let cache: MemoryCache<u32> = MemoryCache::builder()
            .capacity(2)
            .ttl(Duration::from_secs(10))
            .clock(clock.clone())
            .build();
        cache.insert(key(1), 1);
        clock.0.store(9_000, Ordering::SeqCst);
        cache.insert(key(1), 11);
        clock.0.store(15_000, Ordering::SeqCst);
        assert_eq!(cache.lookup(&key(1)), Some(11));
        assert_eq!(cache.stats().evictions, 0);
        assert_eq!(cache.stats().expirations, 0);
    }

    #[test]
    fn shards_split_capacity_exactly_and_evict_lru() {
        let cache: MemoryCache<u32> = MemoryCache::builder()
            .capacity(10_000)
            .ttl(Duration::ZERO)
            .build();
        assert!(cache.shards.len() > 1);
        for n in 0..20_000 {
            cache.insert(key(n), n);
        }
        let s = cache.stats();
        assert_eq!(s.size, Some(10_000));
        assert_eq!(s.evictions, 10_000);
    }

    #[test]
    fn expiry_records_stay_bounded_under_replacement() {
        let clock = Arc::new(TestClock::default());
        let cache: MemoryCache<u32> = MemoryCache::builder()
            .capacity(4)
            .ttl(Duration::from_secs(3600))
            .clock(clock)
            .build();
        for n in 0..100_000 {
            cache.insert(key(n % 3), n);
        }
        let shard = cache.shards[0].lock().unwrap();
        assert!(shard.expiry.len() <= 4 * 4 + 64 + 1);
    }
}
