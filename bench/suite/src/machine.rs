//! The machine a run was made on, as the first table of the report.

use crate::report::Table;
use crate::Options;

fn first_line_with(path: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
}

fn command(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into())
}

/// The machine table: CPU, cores, memory, kernel, date, and the options of the run.
pub fn table(opts: &Options) -> Table {
    let mut t = Table::new("Machine and run", &["what", "value"]);
    let cpu = first_line_with("/proc/cpuinfo", "model name").unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = first_line_with("/proc/meminfo", "MemTotal").unwrap_or_else(|| "unknown".into());
    let rows = [
        ("cpu", cpu),
        ("cores", cores.to_string()),
        ("memory", mem),
        ("kernel", command("uname", &["-sr"])),
        ("date (UTC)", command("date", &["-u", "+%Y-%m-%d %H:%M"])),
        (
            "load average at start",
            std::fs::read_to_string("/proc/loadavg").map_or_else(
                |_| "unknown".into(),
                |l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
            ),
        ),
        ("trials", opts.trials.to_string()),
        (
            "intervals (ms)",
            opts.intervals
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ),
    ];
    for (k, v) in rows {
        t.row(vec![k.into(), v]);
    }
    t
}
