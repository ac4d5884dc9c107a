//! The fault suite of issue 11 (`bash bench/suite.sh faults`): clusters of real `baton node`
//! processes in network namespaces made for the run, faults injected into them, and every
//! moment two members served one service at once counted.
//!
//! Cluster kinds ([`Kind`]): three members in quorum mode; two members and a witness in
//! quorum mode; a pair (pair mode); a pair with `[fence]`, whose command kills the fenced
//! node by its pid ([`config::fence_script`]); three members in etcd mode on an etcd run in
//! the hub namespace (PROTOCOL 5.12; `etcd-server` installed by `bench/suite.sh`). Every
//! serving member has one linked
//! component (hosted in this process) and one script component whose `activate` and
//! `deactivate` write a marker file read every 2 ms ([`observe`]). Faults ([`Fault`]): SIGKILL
//! of the active; SIGSTOP of the active for twice the detection time (then SIGCONT); a
//! partition of the active and of a standby (its bridge port down for as long); a flapping
//! link (the active's port down and up five times, each for 0.25-1.25 detection times); a
//! forged peer ([`forge`]); a planned switchover (`switchover` on the active's control
//! socket: not a fault, but the same counts apply). Per fault: dual-active moments and overlap (over the fault and the
//! recovery), the time to another member serving everything, and whether the cluster settled
//! again. Then the corosync comparison ([`corosync`]).

mod cluster;
mod config;
mod corosync;
mod forge;
mod net;
mod observe;
mod track;
mod trial;

use crate::report::Table;
use crate::stats::Summary;
use crate::Options;
use cluster::Cluster;
use config::Timers;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

const SECTION: &str = "faults";

/// A kind of cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
pub enum Kind {
    /// alpha, beta, gamma; `election = "quorum"`.
    Quorum3,
    /// alpha, beta and the witness wit; quorum mode.
    Quorum2W,
    /// alpha, beta; pair mode.
    Pair,
    /// alpha, beta; pair mode with `[fence]`.
    PairFence,
    /// alpha, beta, gamma; `election = "etcd"` on an etcd (Debian `etcd-server`) run in the
    /// hub namespace (PROTOCOL 5.12), lease TTL [`config::ETCD_TTL_MS`].
    Etcd3,
}

impl Kind {
    /// Every kind, in the order of the tables.
    pub const ALL: [Kind; 5] = [
        Kind::Quorum3,
        Kind::Quorum2W,
        Kind::Pair,
        Kind::PairFence,
        Kind::Etcd3,
    ];

    /// Members: name and whether a witness.
    pub fn members(self) -> Vec<(&'static str, bool)> {
        match self {
            Kind::Quorum3 | Kind::Etcd3 => {
                vec![("alpha", false), ("beta", false), ("gamma", false)]
            }
            Kind::Quorum2W => vec![("alpha", false), ("beta", false), ("wit", true)],
            Kind::Pair | Kind::PairFence => vec![("alpha", false), ("beta", false)],
        }
    }

    /// Quorum mode.
    pub fn quorum(self) -> bool {
        matches!(self, Kind::Quorum3 | Kind::Quorum2W)
    }

    /// How long the cluster takes to see a failure: the dead interval (pair), the voter
    /// lease plus the election timeout and one stagger (quorum), the lease TTL plus etcd's
    /// expiry check (500 ms) (etcd).
    pub fn detect(self, heartbeat: Duration) -> Duration {
        match self {
            Kind::Quorum3 | Kind::Quorum2W => 9 * heartbeat,
            Kind::Pair | Kind::PairFence => 3 * heartbeat,
            Kind::Etcd3 => Duration::from_millis(config::ETCD_TTL_MS + 500),
        }
    }

    /// Its name in the tables.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Quorum3 => "3 members, quorum",
            Kind::Etcd3 => "3 members, etcd",
            Kind::Quorum2W => "2 members + witness, quorum",
            Kind::Pair => "pair",
            Kind::PairFence => "pair + fencing",
        }
    }
}

/// A fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
pub enum Fault {
    /// SIGKILL of the active node.
    Kill,
    /// SIGSTOP of the active node for the hold time, then SIGCONT.
    Stop,
    /// The active's bridge port down for the hold time.
    PartitionActive,
    /// A standby's bridge port down for the hold time.
    PartitionMinority,
    /// The active's bridge port down and up five times.
    Flap,
    /// A forged peer: hello as the active, then `nominationMsg{standby}`.
    Forged,
    /// A planned switchover: `switchover` on the active's control socket.
    Switchover,
}

impl Fault {
    /// Every fault, in the order of the tables.
    pub const ALL: [Fault; 7] = [
        Fault::Kill,
        Fault::Stop,
        Fault::PartitionActive,
        Fault::PartitionMinority,
        Fault::Flap,
        Fault::Forged,
        Fault::Switchover,
    ];

    /// Its name in the tables.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Kill => "SIGKILL active",
            Fault::Stop => "SIGSTOP/SIGCONT active",
            Fault::PartitionActive => "partition active",
            Fault::PartitionMinority => "partition a standby",
            Fault::Flap => "flapping link (active)",
            Fault::Forged => "forged peer",
            Fault::Switchover => "switchover (planned)",
        }
    }
}

/// One fault's figures, as written to the samples file.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    /// Cluster kind.
    pub kind: Kind,
    /// Fault.
    pub fault: Fault,
    /// Fault number within its kind and fault.
    pub trial: usize,
    /// From just before the fault to another member serving every service, ms.
    pub failover_ms: Option<f64>,
    /// Dual-active moments.
    pub moments: usize,
    /// Total overlap, ms.
    pub overlap_ms: f64,
    /// Longest single overlap, ms.
    pub longest_ms: f64,
    /// Settled again without a restart of the cluster.
    pub converged: bool,
    /// Restarts of the whole cluster.
    pub resets: usize,
}

/// What the section produces: its tables and every sample.
pub struct Results {
    /// Markdown tables.
    pub tables: Vec<Table>,
    /// Every fault.
    pub samples: Vec<Sample>,
}

/// Reaps zombies this process adopted as a subreaper (guards and hooks of killed nodes).
pub fn reap_adopted() {
    use crate::keepalived::procs::parse_stat;
    let me = i32::try_from(std::process::id()).unwrap_or(0);
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return;
    };
    for e in dir.flatten() {
        let Ok(text) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let zombie = text
            .rfind(')')
            .is_some_and(|c| text[c + 1..].trim_start().starts_with('Z'));
        if let Some((pid, ppid)) = parse_stat(&text) {
            if ppid == me && zombie {
                let _ = nix::sys::wait::waitpid(
                    nix::unistd::Pid::from_raw(pid),
                    Some(nix::sys::wait::WaitPidFlag::WNOHANG),
                );
            }
        }
    }
}

/// Runs the section.
pub fn run(opts: &Options) -> Result<Results, String> {
    if !nix::unistd::geteuid().is_root() {
        let mut t = Table::new("Faults (issue 11)", &["skipped"]);
        t.row(vec!["needs root to create network namespaces".into()]);
        return Ok(Results {
            tables: vec![t],
            samples: Vec::new(),
        });
    }
    let ip = crate::keepalived::find_program("ip").ok_or("ip (iproute2) not installed")?;
    for stale in net::sweep_stale(&ip) {
        crate::progress(SECTION, format!("removed a stale namespace: {stale}"));
    }
    let _reaper = crate::keepalived::procs::Subreaper::set()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let root = std::env::temp_dir().join(format!("baton-bench-{}-faults", std::process::id()));
    let spinners = if opts.faults_busy {
        crate::progress(SECTION, "both cores kept busy by two spinning processes");
        Some(crate::spinners::Spinners::start(2)?)
    } else {
        None
    };
    let timers = Timers {
        heartbeat_ms: opts.faults_heartbeat,
    };
    let mut samples = Vec::new();
    let mut not_run = Vec::new();
    let kinds = if opts.clusters.is_empty() {
        Kind::ALL.to_vec()
    } else {
        opts.clusters.clone()
    };
    for kind in kinds {
        let dir = root.join(format!("{kind:?}").to_lowercase());
        let r = runtime.block_on(run_kind(opts, kind, dir, &ip, timers, &mut samples));
        if let Err(e) = r {
            crate::progress(SECTION, format!("{}: not run: {e}", kind.name()));
            not_run.push((kind, e));
        }
    }
    let mut tables = vec![table(opts, &samples, &not_run)];
    tables.extend(corosync::run(opts, &ip, &root, &samples));
    if let Some(t) = tables.first_mut() {
        t.notes.push(format!(
            "Machine {}: load average at the end of the section {}.",
            if spinners.is_some() {
                "busy (`--faults-busy`: two spinners, `sh -c 'while :; do :; done'`, on 2 cores)"
            } else {
                "not loaded by the suite"
            },
            std::fs::read_to_string("/proc/loadavg").map_or_else(
                |_| "unknown".into(),
                |l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
            )
        ));
    }
    drop(spinners);
    if !opts.keep {
        let _ = std::fs::remove_dir_all(&root);
    } else {
        crate::progress(SECTION, format!("kept {}", root.display()));
    }
    Ok(Results { tables, samples })
}

async fn run_kind(
    opts: &Options,
    kind: Kind,
    dir: PathBuf,
    ip: &std::path::Path,
    timers: Timers,
    samples: &mut Vec<Sample>,
) -> Result<(), String> {
    let heartbeat = Duration::from_millis(timers.heartbeat_ms);
    let p = trial::Params::new(heartbeat, kind.detect(heartbeat));
    let mut c = Cluster::start(kind, dir, opts.baton_exe(), ip, timers).await?;
    crate::progress(
        SECTION,
        format!("{}: starting in {}", kind.name(), c.dir().display()),
    );
    let mut active = c.settle(p.settle, p.quiet).await?;
    let faults = if opts.fault.is_empty() {
        Fault::ALL.to_vec()
    } else {
        opts.fault.clone()
    };
    for fault in faults {
        for n in 1..=opts.faults {
            let label = format!("{} / {} {n}/{}", kind.name(), fault.name(), opts.faults);
            let (o, a) = trial::run(&mut c, fault, active, &p)
                .await
                .map_err(|e| format!("{label}: {e}"))?;
            active = a;
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            let mut line = format!(
                "{label}: new active {}, {} dual-active moment(s) ({:.1} ms), {}",
                o.failover_ms
                    .map_or("none".into(), |v| format!("{v:.1} ms")),
                o.overlaps.moments.len(),
                ms(o.overlaps.overlap),
                if o.converged {
                    "converged"
                } else {
                    "NOT converged"
                }
            );
            if let Some(note) = &o.note {
                line += &format!(" ({note})");
            }
            crate::progress(SECTION, line);
            samples.push(Sample {
                kind,
                fault,
                trial: n,
                failover_ms: o.failover_ms,
                moments: o.overlaps.moments.len(),
                overlap_ms: ms(o.overlaps.overlap),
                longest_ms: ms(o.overlaps.longest),
                converged: o.converged,
                resets: o.resets,
            });
        }
    }
    Ok(())
}

fn table(opts: &Options, samples: &[Sample], not_run: &[(Kind, String)]) -> Table {
    let mut t = Table::new(
        format!(
            "Faults (issue 11): heartbeat {} ms, {} of each fault per cluster{}",
            opts.faults_heartbeat,
            opts.faults,
            if opts.faults_busy {
                ", both cores busy"
            } else {
                ""
            }
        ),
        &[
            "cluster",
            "fault",
            "faults run",
            "dual-active moments",
            "total overlap ms",
            "max overlap ms",
            "new active, ms: min / median / max (n)",
            "converged",
            "cluster restarts",
        ],
    );
    for kind in Kind::ALL {
        if let Some((_, why)) = not_run.iter().find(|(k, _)| *k == kind) {
            let ran = samples.iter().filter(|s| s.kind == kind).count();
            t.row(vec![
                kind.name().into(),
                "all".into(),
                ran.to_string(),
                format!("not run: {why}"),
            ]);
        }
        for fault in Fault::ALL {
            let of: Vec<&Sample> = samples
                .iter()
                .filter(|s| s.kind == kind && s.fault == fault)
                .collect();
            if of.is_empty() {
                continue;
            }
            let times: Vec<f64> = of.iter().filter_map(|s| s.failover_ms).collect();
            let new = match Summary::of(&times) {
                Some(s) => format!("{} ({})", s.triple(1), s.n),
                None => "none".into(),
            };
            t.row(vec![
                kind.name().into(),
                fault.name().into(),
                of.len().to_string(),
                of.iter().map(|s| s.moments).sum::<usize>().to_string(),
                format!("{:.1}", of.iter().map(|s| s.overlap_ms).sum::<f64>()),
                format!("{:.1}", of.iter().map(|s| s.longest_ms).fold(0.0, f64::max)),
                new,
                format!("{}/{}", of.iter().filter(|s| s.converged).count(), of.len()),
                of.iter().map(|s| s.resets).sum::<usize>().to_string(),
            ]);
        }
    }
    t.notes.push(
        "Each serving member: one linked component (in the harness) and one script component \
         (activate/deactivate write a marker file, read every 2 ms). A dual-active moment: an \
         instance starting to serve while another instance of the same service serves; overlap: \
         the time two or more served, over the fault and the recovery after it. New active: from \
         just before the fault to another member serving both services (for a partitioned \
         standby or a forged peer: a member starting to serve beside, or instead of, the active; \
         a flap may fail over when the link stays down past the detection time; for a switchover: \
         from just before the command to the member it hands over to serving both). Converged: settled again \
         (one member active with both services, the others standby) within the settle time \
         after the fault was undone, without restarting the cluster. See bench/suite/README.md."
            .into(),
    );
    t
}
