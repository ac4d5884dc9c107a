//! What `/proc` says of a process: CPU time, resident memory, load average; and the open-file
//! limit a run needs.

/// Clock ticks per second of `utime`/`stime` in `/proc/<pid>/stat`: USER_HZ, 100 on every
/// Linux architecture the suite runs on.
const USER_HZ: f64 = 100.0;

/// One reading of a process.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    /// User plus system CPU time, seconds.
    pub cpu_secs: f64,
    /// Resident set size, KiB (`VmRSS`).
    pub rss_kib: u64,
    /// Peak resident set size, KiB (`VmHWM`).
    pub hwm_kib: u64,
}

/// Reads `/proc/<pid>/stat` and `/proc/<pid>/status` (`pid` "self" for this process).
pub fn sample(pid: &str) -> Result<Sample, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|e| format!("/proc/{pid}/stat: {e}"))?;
    // The command name (field 2) is in parentheses and may hold spaces: split after it.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or_else(|| format!("/proc/{pid}/stat: no command name"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 and 15 of the line are utime and stime; `rest` starts at field 3.
    let tick = |i: usize| -> Result<f64, String> {
        fields
            .get(i - 3)
            .and_then(|f| f.parse::<u64>().ok())
            .map(|t| t as f64 / USER_HZ)
            .ok_or_else(|| format!("/proc/{pid}/stat: field {i} missing"))
    };
    let cpu_secs = tick(14)? + tick(15)?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("/proc/{pid}/status: {e}"))?;
    let kib = |key: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Ok(Sample {
        cpu_secs,
        rss_kib: kib("VmRSS:"),
        hwm_kib: kib("VmHWM:"),
    })
}

/// CPU time of the calling thread, seconds (`/proc/thread-self/schedstat`, nanoseconds).
pub fn thread_cpu_secs() -> Result<f64, String> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat")
        .map_err(|e| format!("/proc/thread-self/schedstat: {e}"))?;
    text.split_whitespace()
        .next()
        .and_then(|ns| ns.parse::<u64>().ok())
        .map(|ns| ns as f64 / 1e9)
        .ok_or_else(|| "/proc/thread-self/schedstat: no run time".to_owned())
}

/// The 1-minute load average now, as printed (e.g. "1.37"), or "?".
pub fn load1() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// Raises this process's soft open-file limit to at least `needed` (up to the hard limit; a
/// child inherits it). Returns the soft limit now in force.
pub fn raise_nofile(needed: u64) -> Result<u64, String> {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (soft, hard) =
        getrlimit(Resource::RLIMIT_NOFILE).map_err(|e| format!("getrlimit(NOFILE): {e}"))?;
    if soft >= needed {
        return Ok(soft);
    }
    let want = needed.min(hard);
    setrlimit(Resource::RLIMIT_NOFILE, want, hard)
        .map_err(|e| format!("setrlimit(NOFILE, {want}): {e}"))?;
    if want < needed {
        return Err(format!(
            "open-file limit: {needed} needed, hard limit {hard} (raise it: ulimit -Hn, or run as root)"
        ));
    }
    Ok(want)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_cpu_time_and_memory() {
        let s = sample("self").unwrap();
        assert!(s.rss_kib > 0);
        assert!(s.hwm_kib >= s.rss_kib);
        assert!(s.cpu_secs >= 0.0);
        assert!(thread_cpu_secs().unwrap() > 0.0);
    }

    #[test]
    fn an_absent_process_is_an_error() {
        assert!(sample("0").is_err());
    }
}
