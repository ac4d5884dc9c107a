//! The soak: a pair at a 10 ms heartbeat with two linked components each, both cores kept
//! busy by two spinning processes, no fault injected. Everything that looks like a failover
//! is counted per node after the initial settle: node state changes, role requests to the
//! components, watchdog self-demotions, component and status links dropping. The goal is
//! zero of each.

use crate::failover::pair::{Pair, Record, What, NAMES};
use crate::report::Table;
use crate::spinners::Spinners;
use crate::Options;
use baton_status::State;
use std::process::Command;
use std::time::Duration;
use tokio::time::Instant;

/// The soak's heartbeat interval, ms.
const HEARTBEAT_MS: u64 = 10;

/// What the soak counts on one node.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    /// Changes of the node's state, as its status watcher saw them.
    pub state_changes: usize,
    /// `setRole` requests received by the node's components.
    pub role_requests: usize,
    /// Watchdog self-demotions of the node's components: the node was silent.
    pub self_demotions: usize,
    /// Watchdog self-demotions of the node's components: the node closed the link.
    pub link_demotions: usize,
    /// Times this node became Active while the other had been the last seen Active.
    pub failovers: usize,
    /// Component links to the node that went down.
    pub component_drops: usize,
    /// Times the status watcher lost the node.
    pub status_drops: usize,
}

/// Counts the records of a soak, per node. Pure, so that it can be tested.
#[derive(Debug, Clone)]
pub struct Counter {
    /// Per node.
    pub counts: [Counts; 2],
    last: [Option<State>; 2],
    /// The node last seen Active.
    active: Option<usize>,
    reachable: [bool; 2],
    /// Every node state change, as `"12.3 s alpha active -> degraded"`.
    pub changes: Vec<String>,
    start: Instant,
}

impl Counter {
    /// Counting from `start`, the nodes last seen in `states`.
    pub fn new(start: Instant, states: [Option<State>; 2]) -> Counter {
        Counter {
            counts: Default::default(),
            last: states,
            active: states.iter().position(|s| *s == Some(State::Active)),
            reachable: states.map(|s| s.is_some()),
            changes: Vec::new(),
            start,
        }
    }

    /// Takes one record into account.
    pub fn record(&mut self, r: &Record) {
        let Some(c) = self.counts.get_mut(r.node) else {
            return;
        };
        match &r.what {
            What::Status(Some(s)) => {
                self.reachable[r.node] = true;
                if let Some(prev) = self.last[r.node] {
                    if prev != s.state {
                        c.state_changes += 1;
                        self.changes.push(format!(
                            "{:.1} s {} {} -> {}",
                            r.at.saturating_duration_since(self.start).as_secs_f64(),
                            NAMES[r.node],
                            prev.as_str(),
                            s.state.as_str()
                        ));
                    }
                }
                let was = self.last[r.node].replace(s.state);
                let serving = |st: State| matches!(st, State::Active | State::Degraded);
                if s.state == State::Active {
                    // A promotion: this node became active from a state that does not serve
                    // (not an active node's repeated indication, nor its return from
                    // degraded).
                    if was.is_some_and(|w| !serving(w)) {
                        c.failovers += 1;
                    }
                    self.active = Some(r.node);
                }
            }
            What::Status(None) => {
                if self.reachable[r.node] {
                    c.status_drops += 1;
                }
                self.reachable[r.node] = false;
            }
            What::Requested { .. } => c.role_requests += 1,
            What::SelfDemoted { silent: true, .. } => c.self_demotions += 1,
            What::SelfDemoted { silent: false, .. } => c.link_demotions += 1,
            What::Disconnected { .. } => c.component_drops += 1,
            _ => {}
        }
    }

    /// Every count, both nodes.
    pub fn total(&self) -> usize {
        self.counts
            .iter()
            .map(|c| {
                c.state_changes
                    + c.role_requests
                    + c.self_demotions
                    + c.link_demotions
                    + c.component_drops
                    + c.status_drops
            })
            .sum()
    }
}

/// How late this process's timers fire: a task asks to wake every 2 ms and notes by how
/// much it overslept. The components live in this process, so this is how long they could
/// not run (their watchdog is 18 ms).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Late {
    /// Wake-ups measured.
    pub ticks: u64,
    /// The largest lateness, ms.
    pub max_ms: f64,
    /// Wake-ups more than 10 ms late.
    pub over_10ms: u64,
    /// Wake-ups more than 20 ms late.
    pub over_20ms: u64,
}

impl Late {
    /// Takes one wake-up `late_ms` late into account.
    pub fn add(&mut self, late_ms: f64) {
        self.ticks += 1;
        self.max_ms = self.max_ms.max(late_ms);
        if late_ms > 10.0 {
            self.over_10ms += 1;
        }
        if late_ms > 20.0 {
            self.over_20ms += 1;
        }
    }
}

/// The lateness monitor task; stops when dropped.
struct Lateness {
    late: std::sync::Arc<std::sync::Mutex<Late>>,
    task: tokio::task::AbortHandle,
}

impl Lateness {
    fn start() -> Lateness {
        let late = std::sync::Arc::new(std::sync::Mutex::new(Late::default()));
        let shared = late.clone();
        let task = tokio::spawn(async move {
            loop {
                let target = Instant::now() + Duration::from_millis(2);
                tokio::time::sleep_until(target).await;
                let late_ms = Instant::now()
                    .saturating_duration_since(target)
                    .as_secs_f64()
                    * 1000.0;
                shared
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .add(late_ms);
            }
        })
        .abort_handle();
        Lateness { late, task }
    }

    fn get(&self) -> Late {
        *self.late.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Lateness {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// CPU time (user + system) of process `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the command: state is field 3 of the line; utime 14, stime 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<f64>()
                .ok()
        })
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Runs the section; returns its table.
pub fn run(opts: &Options) -> Result<Vec<Table>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let mut runs = Vec::new();
    for &realtime in opts.soak_realtime.modes() {
        let tag = if realtime { "-rt" } else { "" };
        let dir =
            std::env::temp_dir().join(format!("baton-bench-{}-soak{tag}", std::process::id()));
        let result = runtime.block_on(soak(opts, dir.clone(), realtime));
        if opts.keep {
            crate::progress(
                "soak",
                format!("configuration and logs kept in {}", dir.display()),
            );
        }
        runs.push(result?);
    }
    Ok(vec![table(opts, &runs)])
}

/// What one soak measured.
struct Run {
    realtime: bool,
    harness_realtime: bool,
    active: usize,
    elapsed: f64,
    counts: [Counts; 2],
    changes: Vec<String>,
    cpu: [String; 2],
    running: [bool; 2],
    moments: [usize; 2],
    overlap_ms: f64,
    load_end: Option<f64>,
    loads: Vec<f64>,
    late: Late,
}

async fn soak(opts: &Options, dir: std::path::PathBuf, realtime: bool) -> Result<Run, String> {
    let mut pair = Pair::start(
        dir,
        opts.baton_exe(),
        None,
        HEARTBEAT_MS,
        "info",
        opts.keep,
        realtime,
    )
    .await?;
    let active = pair.settle(Duration::from_secs(20)).await?;
    let _ = pair.take_overlaps();
    let pids = [pair.pid(0), pair.pid(1)];
    let spinners = Spinners::start(2)?;
    // After the spinners started (they must not inherit it); stays for the rest of the run.
    let harness_realtime = realtime && opts.soak_harness_realtime;
    if harness_realtime {
        let outcome = baton_node::realtime::enter(baton_node::realtime::DEFAULT_PRIORITY);
        if let (Err(e), _) | (_, Err(e)) = (&outcome.memory_locked, &outcome.scheduled) {
            return Err(format!("--soak-harness-realtime: {e}"));
        }
    }
    let duration = Duration::from_secs(opts.soak_secs);
    let mode = match (realtime, harness_realtime) {
        (false, _) => "",
        (true, false) => " realtime = true;",
        (true, true) => " realtime = true, harness SCHED_FIFO too;",
    };
    crate::progress(
        "soak",
        format!(
            "{mode} {} active; {} s at a {HEARTBEAT_MS} ms heartbeat with 2 spinners",
            NAMES[active], opts.soak_secs
        ),
    );
    let start = Instant::now();
    let end = start + duration;
    let cpu0 = pids.map(|p| p.and_then(cpu_ticks));
    let mut counter = Counter::new(start, [pair.state(0), pair.state(1)]);
    let mut loads = Vec::new();
    let lateness = Lateness::start();
    let mut next_progress = start + Duration::from_secs(30);
    loop {
        let until = next_progress.min(end);
        while let Some(r) = pair.next(until).await {
            counter.record(&r);
        }
        if Instant::now() >= end {
            break;
        }
        let load = load_average();
        loads.extend(load);
        let c = &counter.counts;
        crate::progress(
            "soak",
            format!(
                "{mode} {:.0}/{} s (alpha/beta): failovers {}/{}, state changes {}/{}, role \
                 requests {}/{}, self-demotions {}/{}, component drops {}/{}, status drops \
                 {}/{}, harness late >20 ms {}, load {}",
                start.elapsed().as_secs_f64(),
                opts.soak_secs,
                c[0].failovers,
                c[1].failovers,
                c[0].state_changes,
                c[1].state_changes,
                c[0].role_requests,
                c[1].role_requests,
                c[0].self_demotions + c[0].link_demotions,
                c[1].self_demotions + c[1].link_demotions,
                c[0].component_drops,
                c[1].component_drops,
                c[0].status_drops,
                c[1].status_drops,
                lateness.get().over_20ms,
                load.map_or("?".into(), |l| format!("{l:.2}")),
            ),
        );
        next_progress += Duration::from_secs(30);
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu1 = pids.map(|p| p.and_then(cpu_ticks));
    let load_end = load_average();
    loads.extend(load_end);
    let running = [pair.running(0), pair.running(1)];
    let overlaps = pair.take_overlaps();
    let late = lateness.get();
    drop(lateness);
    drop(spinners);
    drop(pair);

    let tck = clock_ticks_per_second();
    let cpu = |i: usize| match (cpu0[i], cpu1[i]) {
        (Some(a), Some(b)) if elapsed > 0.0 => {
            format!(
                "{:.1}",
                (b.saturating_sub(a)) as f64 / tck / elapsed * 100.0
            )
        }
        _ => "?".into(),
    };
    let moments = [0, 1].map(|n| overlaps.moments.iter().filter(|m| m.node == n).count());
    crate::progress(
        "soak",
        format!(
            "{mode} done: {} events counted ({} node state changes)",
            counter.total(),
            counter.counts[0].state_changes + counter.counts[1].state_changes
        ),
    );
    Ok(Run {
        realtime,
        harness_realtime,
        active,
        elapsed,
        counts: counter.counts.clone(),
        changes: counter.changes.clone(),
        cpu: [cpu(0), cpu(1)],
        running,
        moments,
        overlap_ms: overlaps.overlap.as_secs_f64() * 1000.0,
        load_end,
        loads,
        late,
    })
}

/// One table, two columns (alpha, beta) per run, a note per run.
fn table(opts: &Options, runs: &[Run]) -> Table {
    let label = |r: &Run, name: &str| {
        if runs.len() > 1 || r.realtime {
            let mode = if r.realtime { "realtime" } else { "normal" };
            format!("{name} ({mode})")
        } else {
            name.to_owned()
        }
    };
    let mut header = vec!["counted after the settle".to_owned()];
    for r in runs {
        header.push(label(r, "alpha"));
        header.push(label(r, "beta"));
    }
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut t = Table::new(
        format!(
            "soak: {} s at a {HEARTBEAT_MS} ms heartbeat, both cores busy, no fault",
            opts.soak_secs
        ),
        &header,
    );
    type Count = fn(&Counts) -> usize;
    let rows: [(&str, Count); 7] = [
        ("promotions (became active)", |c| c.failovers),
        ("node state changes", |c| c.state_changes),
        ("component role requests", |c| c.role_requests),
        ("component self-demotions: node silent (watchdog)", |c| {
            c.self_demotions
        }),
        ("component self-demotions: node link closed", |c| {
            c.link_demotions
        }),
        ("component links dropped", |c| c.component_drops),
        ("status watcher disconnects", |c| c.status_drops),
    ];
    let row = |t: &mut Table, name: &str, cell: &dyn Fn(&Run, usize) -> String| {
        let mut cells = vec![name.to_owned()];
        for r in runs {
            cells.push(cell(r, 0));
            cells.push(cell(r, 1));
        }
        t.row(cells);
    };
    for (name, f) in rows {
        row(&mut t, name, &|r, i| f(&r.counts[i]).to_string());
    }
    row(
        &mut t,
        "dual-active moments (a component started serving beside its twin)",
        &|r, i| r.moments[i].to_string(),
    );
    row(&mut t, "node CPU, % of one core", &|r, i| r.cpu[i].clone());
    row(&mut t, "node still running at the end", &|r, i| {
        r.running[i].to_string()
    });
    for r in runs {
        let mode = if r.harness_realtime {
            "With `realtime = true` (both nodes: locked memory, SCHED_FIFO 10) and the harness \
             hosting the components SCHED_FIFO 10 too (`--soak-harness-realtime`): "
        } else if r.realtime {
            "With `realtime = true` (both nodes: locked memory, SCHED_FIFO 10): "
        } else if runs.len() > 1 {
            "Normal scheduling: "
        } else {
            ""
        };
        let mean_load = if r.loads.is_empty() {
            "?".into()
        } else {
            format!("{:.2}", r.loads.iter().sum::<f64>() / r.loads.len() as f64)
        };
        t.notes.push(format!(
            "{mode}{} active at the start; measured for {:.1} s; 1-minute load average {} at \
             the end, {mean_load} on average over the run's samples; dual-active moments {} \
             ({:.1} ms overlap in all); 2 spinners (`sh -c 'while :; do :; done'`); component \
             watchdog {:.0} ms, node dead interval 30 ms. This process (the harness, hosting the \
             four components) asked to wake every 2 ms {} times: woke at \
             most {:.1} ms late, {} times more than 10 ms late, {} times more than 20 ms (the \
             components' watchdog is 18 ms).",
            NAMES[r.active],
            r.elapsed,
            r.load_end.map_or("?".into(), |l| format!("{l:.2}")),
            r.moments[0] + r.moments[1],
            r.overlap_ms,
            crate::failover::pair::watchdog(Duration::from_millis(HEARTBEAT_MS)).as_secs_f64()
                * 1000.0,
            r.late.ticks,
            r.late.max_ms,
            r.late.over_10ms,
            r.late.over_20ms
        ));
        if !r.changes.is_empty() {
            let shown: Vec<&str> = r.changes.iter().take(20).map(String::as_str).collect();
            t.notes.push(format!(
                "{mode}state changes ({} in all): {}",
                r.changes.len(),
                shown.join("; ")
            ));
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_component::Role;
    use baton_status::ServiceStatus;

    fn rec(start: Instant, node: usize, what: What) -> Record {
        Record {
            at: start + Duration::from_millis(1500),
            node,
            what,
        }
    }

    #[test]
    fn counts_changes_not_repeats() {
        let s = Instant::now();
        let mut c = Counter::new(s, [Some(State::Active), Some(State::Standby)]);
        let st = |state| What::Status(Some(ServiceStatus::new(state)));
        c.record(&rec(s, 0, st(State::Active)));
        assert_eq!(c.total(), 0, "a repeated state is no change");
        c.record(&rec(s, 0, st(State::Degraded)));
        c.record(&rec(s, 0, st(State::Active)));
        c.record(&rec(s, 1, What::Status(None)));
        c.record(&rec(s, 1, What::Status(None)));
        c.record(&rec(s, 1, st(State::Standby)));
        c.record(&rec(
            s,
            1,
            What::Requested {
                comp: 0,
                role: Role::Standby,
            },
        ));
        c.record(&rec(
            s,
            1,
            What::SelfDemoted {
                comp: 1,
                silent: true,
            },
        ));
        c.record(&rec(s, 1, st(State::Active)));
        c.record(&rec(s, 0, What::Disconnected { comp: 1 }));
        c.record(&rec(
            s,
            0,
            What::Confirmed {
                comp: 1,
                role: Role::Active,
            },
        ));
        assert_eq!(c.counts[0].state_changes, 2);
        assert_eq!(c.counts[1].state_changes, 1);
        assert_eq!(c.counts[1].failovers, 1, "beta took over from alpha");
        assert_eq!(c.counts[0].failovers, 0);
        assert_eq!(
            c.counts[1].status_drops, 1,
            "one disconnect, however many samples"
        );
        assert_eq!(c.counts[1].role_requests, 1);
        assert_eq!(c.counts[1].self_demotions, 1);
        assert_eq!(c.counts[0].component_drops, 1);
        assert_eq!(c.total(), 7, "failovers are among the state changes");
        assert_eq!(c.changes[0], "1.5 s alpha active -> degraded");
        // Alpha, active all along, indicates again after beta's promotion: no promotion.
        c.record(&rec(s, 0, st(State::Active)));
        assert_eq!(c.counts[0].failovers, 0);
    }

    #[test]
    fn lateness_thresholds() {
        let mut l = Late::default();
        for ms in [0.1, 10.0, 10.5, 25.0] {
            l.add(ms);
        }
        assert_eq!((l.ticks, l.over_10ms, l.over_20ms), (4, 2, 1));
        assert_eq!(l.max_ms, 25.0);
    }

    #[test]
    fn proc_stat_fields() {
        // This process has a stat file with numbers where utime and stime are.
        assert!(cpu_ticks(std::process::id()).is_some());
        assert!(cpu_ticks(u32::MAX).is_none());
    }

    fn run_of(realtime: bool, promotions: usize) -> Run {
        let mut counts = [Counts::default(), Counts::default()];
        counts[1].failovers = promotions;
        Run {
            realtime,
            harness_realtime: false,
            active: 0,
            elapsed: 600.0,
            counts,
            changes: Vec::new(),
            cpu: ["1.0".into(), "2.0".into()],
            running: [true, true],
            moments: [0, 0],
            overlap_ms: 0.0,
            load_end: Some(2.0),
            loads: vec![2.0],
            late: Late::default(),
        }
    }

    #[test]
    fn both_soaks_share_one_table_normal_first() {
        let opts = <crate::Options as clap::Parser>::parse_from([
            "baton-bench",
            "soak",
            "--soak-realtime",
            "both",
        ]);
        assert_eq!(opts.soak_realtime.modes(), [false, true]);
        let t = table(&opts, &[run_of(false, 3), run_of(true, 0)]);
        assert_eq!(
            t.header,
            [
                "counted after the settle",
                "alpha (normal)",
                "beta (normal)",
                "alpha (realtime)",
                "beta (realtime)"
            ]
        );
        assert_eq!(
            t.rows[0],
            ["promotions (became active)", "0", "3", "0", "0"]
        );
        assert_eq!(
            t.rows[8],
            ["node CPU, % of one core", "1.0", "2.0", "1.0", "2.0"]
        );
        assert!(
            t.notes[1].starts_with("With `realtime = true`"),
            "{:?}",
            t.notes
        );
        let one = table(&opts, &[run_of(false, 1)]);
        assert_eq!(one.header, ["counted after the settle", "alpha", "beta"]);
    }
}
