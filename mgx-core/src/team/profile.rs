//! A run's profile: where its time went (phases, model latency) and the memory the process
//! held. On the report as [`RunProfile`]; `mgx run --profile FILE` writes it as JSON.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;
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
    pub(super) fn now() -> Self {
        static LAST: Mutex<Option<(Instant, Memory)>> = Mutex::new(None);
        let now = Instant::now();
        let last = *LAST
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((at, memory)) = last
            && now.saturating_duration_since(at) < Self::SHARED_FOR
        {
            return memory;
        }
        let memory = Self::read();
        *LAST
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((now, memory));
        memory
    }

    /// How long a reading is shared between runs.
    pub(super) const SHARED_FOR: Duration = Duration::from_millis(1);

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
