//! A run's profile: where its time went (phases, model latency) and the memory the process
//! held. On the report as [`RunProfile`]; `mgx run --profile FILE` writes it as JSON.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Where a run's time went, and the memory the process held.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RunProfile {
    /// Wall time of the whole run, in milliseconds.
    pub total_ms: u64,
    /// Wall time per phase, in milliseconds (`analysis`, `approval`, `code`, `tests`,
    /// `review`, `apply`, `format`, `git`).
    pub phase_ms: HashMap<Cow<'static, str>, u64>,
    /// Model calls (cache hits included).
    pub llm_calls: u64,
    /// Time spent waiting for models, all calls together, in milliseconds.
    pub llm_ms_total: u64,
    /// The median call, in milliseconds (`None` without calls).
    pub llm_ms_median: Option<u64>,
    /// The slowest call, in milliseconds.
    pub llm_ms_max: Option<u64>,
    /// The process's resident memory when the run started and when it ended, in bytes
    /// (`None` where the system does not say; Linux does). Readings are at most 1 ms old:
    /// runs starting or ending within the same millisecond share one.
    pub rss_start_bytes: Option<u64>,
    /// See `rss_start_bytes`.
    pub rss_end_bytes: Option<u64>,
    /// The process's peak resident memory so far when the run ended, in bytes: an upper
    /// bound of the run's own (other work of the process counts too).
    pub peak_rss_bytes: Option<u64>,
}

impl RunProfile {
    /// A profile from the run's wall time, phases and model call latencies.
    pub(super) fn new(
        total: Duration,
        phase_ms: HashMap<Cow<'static, str>, u64>,
        llm_ms: &[u64],
        rss_start_bytes: Option<u64>,
    ) -> Self {
        let mut sorted = llm_ms.to_vec();
        sorted.sort_unstable();
        let memory = Memory::now();
        RunProfile {
            total_ms: total.as_millis() as u64,
            phase_ms,
            llm_calls: llm_ms.len() as u64,
            llm_ms_total: llm_ms.iter().sum(),
            llm_ms_median: sorted.get(sorted.len() / 2).copied(),
            llm_ms_max: sorted.last().copied(),
            rss_start_bytes,
            rss_end_bytes: memory.rss,
            peak_rss_bytes: memory.peak,
        }
    }
}

/// The process's resident memory now and at its peak.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Memory {
    pub(super) rss: Option<u64>,
    pub(super) peak: Option<u64>,
}

impl Memory {
    /// The resident set and its peak (`VmRSS`, `VmHWM` of `/proc/self/status`). The kernel
    /// writes that file out on every read (≈ 10 µs), and thousands of concurrent runs each
    /// take two readings: a reading younger than [`Memory::SHARED_FOR`] is shared, so the
    /// figures are at most that old. Linux only; `None` elsewhere.
    ///
    /// The shared reading is two atomics, read without a lock: runs on several threads all
    /// took and released one lock twice a run, and the lock's line went back and forth
    /// between their cores, where a reading written once a millisecond stays in each.
    pub(super) fn now() -> Self {
        static EPOCH: OnceLock<Instant> = OnceLock::new();
        // When the shared reading was taken, in nanoseconds since `EPOCH`, plus one (0: never).
        static AT: AtomicU64 = AtomicU64::new(0);
        // The reading, packed (see `Memory::pack`): one load gives a consistent pair.
        static READING: AtomicU64 = AtomicU64::new(0);
        let epoch = *EPOCH.get_or_init(Instant::now);
        let now = u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let at = AT.load(Ordering::Acquire);
        if at != 0 && now.saturating_sub(at - 1) < Self::SHARED_FOR.as_nanos() as u64 {
            return Self::unpack(READING.load(Ordering::Relaxed));
        }
        let memory = Self::read();
        READING.store(memory.pack(), Ordering::Relaxed);
        AT.store(now.saturating_add(1), Ordering::Release);
        memory
    }

    /// How long a reading is shared between runs.
    pub(super) const SHARED_FOR: Duration = Duration::from_millis(1);

    /// Resident set and peak in KiB, 32 bits each (up to 4 TiB); `u32::MAX` is `None`.
    fn pack(self) -> u64 {
        let kib = |b: Option<u64>| {
            b.map_or(u64::from(u32::MAX), |b| {
                (b / 1024).min(u64::from(u32::MAX) - 1)
            })
        };
        (kib(self.rss) << 32) | kib(self.peak)
    }

    fn unpack(packed: u64) -> Self {
        let bytes = |kib: u64| (kib != u64::from(u32::MAX)).then_some(kib * 1024);
        Memory {
            rss: bytes(packed >> 32),
            peak: bytes(packed & u64::from(u32::MAX)),
        }
    }

    fn read() -> Self {
        // On the stack: a growing `String` per reading cost more than the reading.
        let mut buf = [0u8; 8192];
        let Some(status) = read_proc("/proc/self/status", &mut buf) else {
            return Memory::default();
        };
        Memory {
            rss: kib_field(status, "VmRSS:"),
            peak: kib_field(status, "VmHWM:"),
        }
    }
}

/// `path` read whole into `buf` (procfs files are generated on read; one read gives them
/// whole when the buffer is large enough). `None` where the file is missing or larger.
fn read_proc<'b>(path: &str, buf: &'b mut [u8]) -> Option<&'b str> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).ok()?;
    let mut len = 0;
    loop {
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
        if len == buf.len() {
            return None;
        }
    }
    std::str::from_utf8(&buf[..len]).ok()
}

/// A `Name:   123 kB` line of `/proc/self/status`, in bytes.
fn kib_field(status: &str, name: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse::<u64>().ok())
        .map(|kb| kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_reading_keeps_its_pair_and_says_what_is_unknown() {
        for memory in [
            Memory {
                rss: Some(150 * 1024 * 1024),
                peak: Some(170 * 1024 * 1024),
            },
            Memory {
                rss: None,
                peak: Some(4096),
            },
            Memory::default(),
        ] {
            let back = Memory::unpack(memory.pack());
            assert_eq!((back.rss, back.peak), (memory.rss, memory.peak));
        }
        // Kernel figures are whole KiB; anything past 4 TiB stays known, at the ceiling.
        let huge = Memory::unpack(
            Memory {
                rss: Some(u64::MAX),
                peak: Some(0),
            }
            .pack(),
        );
        assert_eq!(huge.rss, Some((u64::from(u32::MAX) - 1) * 1024));
        assert_eq!(huge.peak, Some(0));
        if cfg!(target_os = "linux") {
            let a = Memory::now();
            let b = Memory::now();
            assert!(a.rss.is_some() && b.peak >= b.rss);
        }
    }

    #[test]
    fn latencies_are_summed_and_ranked_and_memory_is_read_where_the_system_says() {
        let p = RunProfile::new(
            Duration::from_millis(900),
            HashMap::from([(Cow::Borrowed("code"), 300)]),
            &[50, 10, 200, 30, 40],
            Some(1),
        );
        assert_eq!(p.total_ms, 900);
        assert_eq!((p.llm_calls, p.llm_ms_total), (5, 330));
        assert_eq!((p.llm_ms_median, p.llm_ms_max), (Some(40), Some(200)));
        let none = RunProfile::new(Duration::ZERO, HashMap::new(), &[], None);
        assert_eq!((none.llm_ms_median, none.llm_ms_max), (None, None));
        if cfg!(target_os = "linux") {
            let peak = p.peak_rss_bytes.expect("Linux reports the peak");
            let rss = p.rss_end_bytes.expect("and the resident set");
            assert!(peak >= rss && rss > 1024 * 1024);
            // The same figures /proc/self/status gives in text, within what moved meanwhile.
            let status = std::fs::read_to_string("/proc/self/status").unwrap();
            let kib = |name: &str| -> u64 {
                let line = status.lines().find(|l| l.starts_with(name)).unwrap();
                line.split_whitespace().nth(1).unwrap().parse().unwrap()
            };
            assert!(kib("VmHWM:") * 1024 >= peak);
            assert!((kib("VmRSS:") * 1024).abs_diff(rss) < 64 * 1024 * 1024);
        }
    }
}
