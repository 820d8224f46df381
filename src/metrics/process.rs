//! Process metrics (`process_*`, the names every Prometheus client library exports, so the usual
//! memory and restart alerts work unchanged), read from `/proc/self` at each scrape.
//!
//! No crate fits: kubert-prometheus-process (Linkerd's) is built on prometheus-client 0.23, whose
//! collector types are not 0.26's. Off Linux nothing is exported.
use std::fmt;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Unit;

/// One reading of the process, in the units Prometheus names them in.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sample {
    /// User and system CPU time, seconds.
    pub cpu_seconds: f64,
    /// Resident set size, bytes.
    pub resident_memory_bytes: u64,
    /// Virtual memory size, bytes.
    pub virtual_memory_bytes: u64,
    /// Open file descriptors.
    pub open_fds: u64,
    /// The soft limit on open file descriptors (none when unlimited or unreadable).
    pub max_fds: Option<u64>,
    /// When the process started, seconds since the Unix epoch.
    pub start_time_seconds: f64,
    /// OS threads.
    pub threads: u64,
}

/// The `process_*` collector, registered under the prefix `process`.
#[derive(Debug, Default)]
pub struct ProcessCollector;

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let Some(sample) = read() else {
            return Ok(());
        };
        let mut gauge = |name: &str, help: &str, unit: Option<&Unit>, value: f64| {
            let metric = ConstGauge::new(value);
            metric.encode(encoder.encode_descriptor(name, help, unit, MetricType::Gauge)?)
        };
        gauge(
            "resident_memory",
            "Resident memory size in bytes",
            Some(&Unit::Bytes),
            as_f64(sample.resident_memory_bytes),
        )?;
        gauge(
            "virtual_memory",
            "Virtual memory size in bytes",
            Some(&Unit::Bytes),
            as_f64(sample.virtual_memory_bytes),
        )?;
        gauge(
            "open_fds",
            "Number of open file descriptors",
            None,
            as_f64(sample.open_fds),
        )?;
        if let Some(max) = sample.max_fds {
            gauge(
                "max_fds",
                "Maximum number of open file descriptors",
                None,
                as_f64(max),
            )?;
        }
        gauge(
            "start_time",
            "Start time of the process since the Unix epoch in seconds",
            Some(&Unit::Seconds),
            sample.start_time_seconds,
        )?;
        gauge(
            "threads",
            "Number of OS threads in the process",
            None,
            as_f64(sample.threads),
        )?;
        let cpu = ConstCounter::new(sample.cpu_seconds);
        cpu.encode(encoder.encode_descriptor(
            "cpu",
            "Total user and system CPU time spent in seconds",
            Some(&Unit::Seconds),
            MetricType::Counter,
        )?)
    }
}

/// Counts as Prometheus floats (exact up to 2^53, far beyond any of these).
#[allow(clippy::cast_precision_loss)]
fn as_f64(n: u64) -> f64 {
    n as f64
}

/// Reads this process's sample, or `None` off Linux or when `/proc` cannot be read.
#[cfg(target_os = "linux")]
pub fn read() -> Option<Sample> {
    let stat = parse_stat(&std::fs::read_to_string("/proc/self/stat").ok()?)?;
    let boot_time = parse_boot_time(&std::fs::read_to_string("/proc/stat").ok()?)?;
    let open_fds = std::fs::read_dir("/proc/self/fd").ok()?.count();
    let max_fds = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| parse_max_fds(&limits));
    Some(stat.sample(
        System {
            ticks_per_second: rustix::param::clock_ticks_per_second(),
            page_size: u64::try_from(rustix::param::page_size()).unwrap_or(4096),
            boot_time,
        },
        // One of them is read_dir's own handle on /proc/self/fd.
        u64::try_from(open_fds.saturating_sub(1)).unwrap_or(u64::MAX),
        max_fds,
    ))
}

/// Off Linux, nothing is read and nothing exported.
#[cfg(not(target_os = "linux"))]
pub fn read() -> Option<Sample> {
    None
}

/// What converts `/proc/self/stat` into units.
#[derive(Clone, Copy, Debug)]
pub struct System {
    /// USER_HZ: the unit of the CPU times and the start time.
    pub ticks_per_second: u64,
    /// The unit of the resident set size.
    pub page_size: u64,
    /// When the machine booted, seconds since the Unix epoch (`btime` of /proc/stat).
    pub boot_time: u64,
}

/// The fields of `/proc/self/stat` that make a [`Sample`] (proc(5)).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    /// Field 14 + 15: user and system time, in ticks.
    pub cpu_ticks: u64,
    /// Field 20.
    pub threads: u64,
    /// Field 22: start time after boot, in ticks.
    pub start_ticks: u64,
    /// Field 23: bytes.
    pub virtual_bytes: u64,
    /// Field 24: pages.
    pub resident_pages: u64,
}

impl Stat {
    fn sample(&self, system: System, open_fds: u64, max_fds: Option<u64>) -> Sample {
        let ticks = as_f64(system.ticks_per_second.max(1));
        Sample {
            cpu_seconds: as_f64(self.cpu_ticks) / ticks,
            resident_memory_bytes: self.resident_pages.saturating_mul(system.page_size),
            virtual_memory_bytes: self.virtual_bytes,
            open_fds,
            max_fds,
            start_time_seconds: as_f64(system.boot_time) + as_f64(self.start_ticks) / ticks,
            threads: self.threads,
        }
    }
}

/// Parses `/proc/<pid>/stat`. The command name (field 2) is in parentheses and may hold spaces
/// and parentheses itself, so the fields are counted from the last `)`.
pub fn parse_stat(text: &str) -> Option<Stat> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 (state).
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    Some(Stat {
        cpu_ticks: field(14)?.saturating_add(field(15)?),
        threads: field(20)?,
        start_ticks: field(22)?,
        virtual_bytes: field(23)?,
        resident_pages: field(24)?,
    })
}

/// `btime` of `/proc/stat`: the boot time, seconds since the Unix epoch.
pub fn parse_boot_time(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

/// The soft limit of "Max open files" in `/proc/<pid>/limits` (`None` when unlimited).
pub fn parse_max_fds(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("Max open files"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|soft| soft.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real line (from this machine), with a command name that holds ") (" to be awkward.
    const STAT: &str = "4242 (goto) (op x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 50 0 0 20 0 7 0 123456 104857600 2560 18446744073709551615 1 1 0 0 0 0 0 4096 17987 0 0 0 17 1 0 0 0 0 0\n";

    #[test]
    fn stat_fields_are_counted_from_the_last_parenthesis() {
        assert_eq!(
            parse_stat(STAT),
            Some(Stat {
                cpu_ticks: 300,
                threads: 7,
                start_ticks: 123_456,
                virtual_bytes: 104_857_600,
                resident_pages: 2560,
            })
        );
        assert_eq!(parse_stat("4242 (truncated) S 1 2"), None);
        assert_eq!(parse_stat("no parenthesis"), None);
    }

    #[test]
    fn a_sample_is_in_seconds_and_bytes() {
        let stat = parse_stat(STAT).expect("stat");
        let sample = stat.sample(
            System {
                ticks_per_second: 100,
                page_size: 4096,
                boot_time: 1_700_000_000,
            },
            12,
            Some(1024),
        );
        assert_eq!(
            sample,
            Sample {
                cpu_seconds: 3.0,
                resident_memory_bytes: 10_485_760,
                virtual_memory_bytes: 104_857_600,
                open_fds: 12,
                max_fds: Some(1024),
                start_time_seconds: 1_700_001_234.56,
                threads: 7,
            }
        );
    }

    #[test]
    fn boot_time_and_fd_limit_are_read() {
        assert_eq!(
            parse_boot_time("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n"),
            Some(1_700_000_000)
        );
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max cpu time              unlimited            unlimited            seconds   \n\
                      Max open files            1048576              1048576              files     \n";
        assert_eq!(parse_max_fds(limits), Some(1_048_576));
        assert_eq!(
            parse_max_fds(
                "Max open files            unlimited            unlimited            files\n"
            ),
            None
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_is_read_from_proc() {
        let sample = read().expect("/proc/self is readable on Linux");
        assert!(sample.resident_memory_bytes > 1024 * 1024, "{sample:?}");
        assert!(
            sample.virtual_memory_bytes >= sample.resident_memory_bytes,
            "{sample:?}"
        );
        assert!(sample.open_fds >= 3, "{sample:?}");
        assert!(sample.threads >= 1, "{sample:?}");
        let now = jiff::Timestamp::now().as_second() as f64;
        assert!(
            sample.start_time_seconds > now - 3600.0 && sample.start_time_seconds <= now + 1.0,
            "started within the last hour: {sample:?}"
        );
    }
}
