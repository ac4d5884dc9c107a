//! The client-visible outage at a virtual IP: baton's built-in `[[vip]]` (PROTOCOL 6.10) and
//! keepalived's `virtual_ipaddress` moving the same VIP in the same topology, in one run.
//!
//! # Setup
//! - [`baton_node::vip::lab`]: namespaces `bvip<pid>a`, `b` (the members, 10.253.0.1 and .2),
//!   `c` (the client, .3) and `s` (the bridge joining them); VIP 10.253.0.100/24 on `eth0`.
//! - A UDP echo service in each member answers with its letter; the client sends it a
//!   datagram at the VIP every millisecond (on time during an outage too: [`lab::Prober`])
//!   and stamps each answer (CLOCK_MONOTONIC) on arrival. A sampler reads, through netlink,
//!   which member holds the VIP, as fast as it can.
//! - baton: a pair of `baton node` with one `[[vip]]` each (defaults: probe 1 ms, 3
//!   announcements 10 ms apart), heartbeat = the interval, dead interval 3 × it. keepalived:
//!   the keepalived section's VRRPv3 unicast pair (a priority 150, b 100, default preemption)
//!   with `virtual_ipaddress { 10.253.0.100/24 dev eth0 }`, `advert_int` = the interval.
//! - `--vip-realtime`: both real-time alike, baton's nodes with `realtime = true` (memory
//!   locked, SCHED_FIFO 10), keepalived with `vrrp_rt_priority 10` and `vrrp_no_swap`.
//! - `--keep`: the nodes' and keepalived's logs and configurations, and `trials.log`: each
//!   trial's fault on the wall clock (to read beside the logs) and the client's answers
//!   around it.
//!
//! # A trial
//! From a settled pair (one member holds the VIP and answers the client; then one interval of
//! random phase), the fault hits the member holding the VIP at `t0`:
//! - crash: SIGKILL of its node (baton; the guard stays) or of every keepalived process; its
//!   echo service is muted at `t0` (the host's service went down with it);
//! - silent: SIGSTOP of the same, the echo muted likewise (a hung host);
//! - switchover: `baton switchover` to its node; keepalived's nearest, a graceful stop
//!   (SIGTERM: priority 0); its echo keeps answering.
//!
//! The outage is from `t0` (or the old holder's last answer after it, when later: a
//! switchover's old holder serves until it lets go) to the first answer from the other
//! member. A trial with no such answer within 10 × interval + 5 s is missed. Then the old
//! holder is restored (restarted, SIGCONT, or left standby) and the pair settles again:
//! baton keeps the new holder (no preemption); keepalived's a preempts back. The next fault
//! hits whichever member holds the VIP alone when the pair settled. "Both held"
//! counts the trials in which any sample found the VIP on both members.

use crate::keepalived::procs::{Daemon, Launch, Subreaper};
use crate::keepalived::{config, find_program, notify, Rng};
use crate::report::{cell, Scenario, Series, System, Table};
use baton_node::vip::lab::{self, Echo, Lab, Presence, Prober};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

const SECTION: &str = "vip";
/// The metric of this section's series.
pub const METRIC: &str = "client outage at the VIP";
const SCENARIOS: [Scenario; 3] = [Scenario::Crash, Scenario::Silent, Scenario::Switchover];
const LETTER: [u8; 2] = [b'a', b'b'];

/// What the section measured: its series (one per system, scenario and interval) and its
/// table (which also counts the trials with the VIP on both members in a sample).
pub struct Outcome {
    /// The outages.
    pub series: Vec<Series>,
    /// The table (and notes).
    pub tables: Vec<Table>,
}

/// Runs the section.
///
/// # Errors
/// The lab could not be built or a pair did not settle.
pub fn run(opts: &crate::Options) -> Result<Outcome, String> {
    if !nix::unistd::geteuid().is_root() {
        return Err("needs root to create network namespaces (run baton-bench as root)".into());
    }
    let intervals: Vec<u64> = opts
        .intervals
        .iter()
        .copied()
        .filter(|&ms| config::advert_int(ms).is_ok())
        .collect();
    if intervals.is_empty() {
        return Err("no interval keepalived accepts (multiples of 10 ms)".into());
    }
    let keepalived = find_program("keepalived");
    if keepalived.is_none() {
        crate::progress(SECTION, "keepalived not installed: its rows are skipped");
    }
    let _reaper = Subreaper::set()?;
    let dir = std::env::temp_dir().join(format!("baton-bench-vip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut rig = Rig::new(opts.keep.then(|| dir.join("trials.log")).as_deref())?;
    let mut out = Vec::new();
    let mut both = Vec::new();
    for &interval in &intervals {
        let systems: &[System] = if keepalived.is_some() {
            &[System::Baton, System::Keepalived]
        } else {
            &[System::Baton]
        };
        for &system in systems {
            let mut pair: Box<dyn Pair> = match (system, &keepalived) {
                (System::Keepalived, Some(k)) => Box::new(Keepalived::start(
                    &rig,
                    k,
                    &dir,
                    interval,
                    opts.vip_realtime,
                )?),
                _ => Box::new(Baton::start(
                    &rig,
                    &opts.baton_exe(),
                    &dir,
                    interval,
                    opts.vip_realtime,
                )?),
            };
            for scenario in SCENARIOS {
                let mut series = Series {
                    system,
                    scenario,
                    interval_ms: interval,
                    metric: METRIC.into(),
                    samples_ms: Vec::new(),
                    missed: 0,
                };
                let mut with_both = 0;
                for trial in 1..=opts.trials {
                    let label =
                        format!("{system:?} {} {interval} ms trial {trial}", scenario.name());
                    let (sample, two) = rig.trial(&label, pair.as_mut(), scenario, interval)?;
                    with_both += usize::from(two);
                    let what = match sample {
                        Some(ms) => {
                            series.samples_ms.push(ms);
                            format!("{ms:.2} ms")
                        }
                        None => {
                            series.missed += 1;
                            "missed".into()
                        }
                    };
                    crate::progress(
                        SECTION,
                        format!(
                            "{system:?} {} {interval} ms trial {trial}/{}: {what}{}",
                            scenario.name(),
                            opts.trials,
                            if two { ", VIP on both members" } else { "" }
                        ),
                    );
                }
                out.push(series);
                both.push(with_both);
            }
            drop(pair);
            rig.clear();
        }
    }
    if !opts.keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let tables = vec![table(&out, &both, &intervals, opts.vip_realtime)];
    Ok(Outcome {
        series: out,
        tables,
    })
}

/// The headline table: per scenario and interval, baton and keepalived, the ratio of medians.
fn table(series: &[Series], both: &[usize], intervals: &[u64], realtime: bool) -> Table {
    let mut t = Table::new(
        "VIP: client-visible outage (ms, min / median / max (trials))",
        &[
            "scenario",
            "interval",
            "baton [[vip]]",
            "keepalived virtual_ipaddress",
            "baton / keepalived (medians)",
            "trials with the VIP on both members (baton, keepalived)",
        ],
    );
    let find = |sys, sc, iv| {
        series
            .iter()
            .position(|s| s.system == sys && s.scenario == sc && s.interval_ms == iv)
    };
    for scenario in SCENARIOS {
        for &iv in intervals {
            let b = find(System::Baton, scenario, iv);
            let k = find(System::Keepalived, scenario, iv);
            let median = |i: Option<usize>| i.and_then(|i| series[i].summary()).map(|s| s.median);
            let ratio = match (median(b), median(k)) {
                (Some(x), Some(y)) if y > 0.0 => format!("{:.2}", x / y),
                _ => "-".into(),
            };
            let count = |i: Option<usize>| i.map_or("-".into(), |i| both[i].to_string());
            t.row(vec![
                scenario.name().into(),
                format!("{iv} ms"),
                cell(b.map(|i| &series[i]), 2),
                cell(k.map(|i| &series[i]), 2),
                ratio,
                format!("{}, {}", count(b), count(k)),
            ]);
        }
    }
    t.notes.push(if realtime {
        "Both systems real-time (--vip-realtime): baton's nodes with `realtime = true` \
         (SCHED_FIFO 10, memory locked), keepalived with `vrrp_rt_priority 10` and \
         `vrrp_no_swap`."
            .into()
    } else {
        "Both systems at normal scheduling (without --vip-realtime).".into()
    });
    t.notes.push(
        "From the fault (for a switchover: the old holder's last answer) to the client's first \
         answer from the new holder, asking a UDP echo service at the VIP every millisecond \
         from a third namespace on the same bridge; crash and silent mute the faulted \
         member's service at the fault (its host's service is down too). keepalived leaves the \
         VIP on a killed or stopped member (it cannot remove it): the client follows the new \
         master's gratuitous ARPs."
            .into(),
    );
    t
}

/// A pair that moves the VIP.
trait Pair {
    /// Hits member `old`, the holder, with `scenario`.
    fn fault(&mut self, old: usize, scenario: Scenario) -> Result<(), String>;
    /// Restores member `old`, hit by `scenario`, once the other took over (or the trial
    /// missed).
    fn restore(&mut self, lab: &Lab, old: usize, scenario: Scenario) -> Result<(), String>;
    /// How long to leave the pair alone after a restore before the next fault.
    fn settle(&self) -> Duration;
}

/// The lab and what runs in it for the whole section.
struct Rig {
    /// With `--keep`: each trial's fault (wall clock, to read beside the nodes' logs) and the
    /// client's answers around it, in `trials.log`.
    trace: Option<std::fs::File>,
    prober: Prober,
    presence: Presence,
    echo: Echo,
    lab: Lab,
    rng: Rng,
}

impl Rig {
    fn new(trace: Option<&Path>) -> Result<Rig, String> {
        let prefix = format!("bvip{}", std::process::id() % 100_000);
        let lab = Lab::create(&prefix)?;
        let echo = Echo::start(&lab)?;
        let presence = Presence::start(&lab)?;
        let prober = Prober::start(&lab, Duration::from_millis(1))?;
        crate::progress(
            SECTION,
            format!(
                "lab {prefix}a/b/c/s: client asks {}:{} every 1 ms",
                lab::VIP,
                lab::ECHO_PORT
            ),
        );
        let trace = match trace {
            Some(path) => {
                Some(std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?)
            }
            None => None,
        };
        Ok(Rig {
            trace,
            prober,
            presence,
            echo,
            lab,
            rng: Rng::seeded(),
        })
    }

    /// Removes the VIP wherever a system left it (between systems).
    fn clear(&self) {
        for i in 0..2 {
            let cidr = format!("{}/{}", lab::VIP, lab::PREFIX);
            let _ = lab::ip(&[
                "-n",
                &self.lab.member(i),
                "addr",
                "del",
                &cidr,
                "dev",
                lab::IFACE,
            ]);
            self.echo.mute(i, false);
        }
    }

    /// Waits until one member alone holds the VIP and the client got an answer from it after
    /// this call: that member (baton's holder is whichever the pair chose: a loaded machine
    /// may have moved it since).
    fn settled(&self, limit: Duration) -> Result<usize, String> {
        let end = Instant::now() + limit;
        let holder = loop {
            match self.presence.samples().last().map(|s| s.held) {
                Some([true, false]) => break 0,
                Some([false, true]) => break 1,
                last if Instant::now() > end => {
                    return Err(format!(
                        "no single holder of the VIP: latest sample {last:?}"
                    ))
                }
                _ => std::thread::sleep(Duration::from_millis(2)),
            }
        };
        let since = Instant::now();
        let end = since + limit;
        loop {
            let answered = self
                .prober
                .answers()
                .iter()
                .rev()
                .take_while(|a| a.at >= since)
                .any(|a| a.from == LETTER[holder]);
            if answered {
                return Ok(holder);
            }
            if Instant::now() > end {
                return Err(format!(
                    "the client got no answer from {}",
                    lab::NAMES[holder]
                ));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// One trial: the outage (ms) or `None` (missed), and whether a sample found the VIP on
    /// both members.
    fn trial(
        &mut self,
        label: &str,
        pair: &mut dyn Pair,
        scenario: Scenario,
        interval: u64,
    ) -> Result<(Option<f64>, bool), String> {
        let iv = Duration::from_millis(interval);
        let old = self.settled(iv * 10 + Duration::from_secs(10))?;
        let new = 1 - old;
        std::thread::sleep(self.rng.below(iv));
        let mark = self.presence.samples().len();
        let t0 = Instant::now();
        let wall0 = std::time::SystemTime::now();
        if scenario != Scenario::Switchover {
            self.echo.mute(old, true);
        }
        pair.fault(old, scenario)?;
        let deadline = t0 + iv * 10 + Duration::from_secs(5);
        let mut sample = None;
        while Instant::now() < deadline {
            let answers = self.prober.answers();
            if let Some(d) = lab::outage(&answers, t0, LETTER[new]) {
                sample = Some(d.as_secs_f64() * 1e3);
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        if let Some(trace) = self.trace.as_mut() {
            use std::io::Write as _;
            let _ = writeln!(
                trace,
                "{label} fault at {} UTC: {}; answers (member, ms from the fault): {}",
                utc(wall0),
                sample.map_or("missed".into(), |ms| format!("{ms:.2} ms")),
                around(&self.prober.answers(), t0)
            );
        }
        self.echo.mute(old, false);
        pair.restore(&self.lab, old, scenario)?;
        std::thread::sleep(pair.settle());
        self.settled(iv * 10 + Duration::from_secs(10))?;
        let two = self.presence.samples()[mark..]
            .iter()
            .any(lab::Sample::both);
        Ok((sample, two))
    }
}

/// `time` as `HH:MM:SS.micros` (UTC), as the nodes' logs stamp their lines.
fn utc(time: std::time::SystemTime) -> String {
    let d = time
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let s = d.as_secs() % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:06}",
        s / 3600,
        s / 60 % 60,
        s % 60,
        d.subsec_micros()
    )
}

/// The client's answers from 3 ms before `fault` on (40 at most): the member's letter and the
/// time from the fault, in ms.
fn around(answers: &[lab::Answer], fault: Instant) -> String {
    answers
        .iter()
        .filter(|a| a.at + Duration::from_millis(3) >= fault)
        .take(40)
        .map(|a| {
            let ms = if a.at >= fault {
                (a.at - fault).as_secs_f64() * 1e3
            } else {
                -(fault - a.at).as_secs_f64() * 1e3
            };
            format!("{}{ms:.2}", char::from(a.from))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A pair of `baton node` with a `[[vip]]`.
struct Baton {
    exe: PathBuf,
    configs: [PathBuf; 2],
    controls: [PathBuf; 2],
    logs: [PathBuf; 2],
    nodes: [Option<Child>; 2],
    interval: Duration,
}

impl Baton {
    fn start(
        rig: &Rig,
        exe: &Path,
        dir: &Path,
        interval: u64,
        realtime: bool,
    ) -> Result<Baton, String> {
        let name =
            |i: usize, ext: &str| dir.join(format!("baton-{}-{interval}.{ext}", lab::NAMES[i]));
        let mut b = Baton {
            exe: exe.to_owned(),
            configs: [name(0, "toml"), name(1, "toml")],
            controls: [name(0, "ctl"), name(1, "ctl")],
            logs: [name(0, "log"), name(1, "log")],
            nodes: [None, None],
            interval: Duration::from_millis(interval),
        };
        for i in 0..2 {
            let mut text = lab::node_config(i, interval, &b.controls[i], "");
            if realtime {
                // A top-level key: before the file's first table.
                text.insert_str(0, "realtime = true\n");
            }
            std::fs::write(&b.configs[i], text).map_err(|e| e.to_string())?;
        }
        b.spawn(&rig.lab, 0)?;
        lab::wait_holder(&rig.presence, 0, Duration::from_secs(10))?;
        b.spawn(&rig.lab, 1)?;
        std::thread::sleep(b.settle());
        Ok(b)
    }

    fn spawn(&mut self, lab: &Lab, i: usize) -> Result<(), String> {
        let child = lab::start_node(lab, i, &self.exe, &self.configs[i], &self.logs[i])?;
        self.nodes[i] = Some(child);
        Ok(())
    }

    fn signal(&self, i: usize, s: Signal) -> Result<(), String> {
        let child = self.nodes[i].as_ref().ok_or("the node is not running")?;
        let pid = i32::try_from(child.id()).map_err(|e| e.to_string())?;
        kill(Pid::from_raw(pid), s).map_err(|e| format!("{s} to {}: {e}", lab::NAMES[i]))
    }
}

impl Pair for Baton {
    fn fault(&mut self, h: usize, scenario: Scenario) -> Result<(), String> {
        match scenario {
            Scenario::Crash => self.signal(h, Signal::SIGKILL),
            Scenario::Silent => self.signal(h, Signal::SIGSTOP),
            Scenario::Switchover => {
                let out = std::process::Command::new(&self.exe)
                    .arg("switchover")
                    .arg("--control")
                    .arg(&self.controls[h])
                    .output()
                    .map_err(|e| e.to_string())?;
                if out.status.success() {
                    Ok(())
                } else {
                    Err(format!(
                        "switchover: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    ))
                }
            }
        }
    }

    fn restore(&mut self, lab: &Lab, h: usize, scenario: Scenario) -> Result<(), String> {
        match scenario {
            Scenario::Crash => {
                if let Some(mut c) = self.nodes[h].take() {
                    let _ = c.wait();
                }
                self.spawn(lab, h)?;
            }
            Scenario::Silent => self.signal(h, Signal::SIGCONT)?,
            Scenario::Switchover => {}
        }
        Ok(())
    }

    fn settle(&self) -> Duration {
        // The restarted or resumed member hears its peer and settles as standby.
        self.interval * 18 + Duration::from_millis(300)
    }
}

impl Drop for Baton {
    fn drop(&mut self) {
        for c in self.nodes.iter_mut().filter_map(Option::take) {
            let mut c = c;
            if let Ok(pid) = i32::try_from(c.id()) {
                let _ = kill(Pid::from_raw(pid), Signal::SIGCONT);
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
            let _ = c.wait();
        }
        // The guards saw their nodes go and removed the VIP; the lab kills what is left.
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// keepalived's pair with `virtual_ipaddress` (the keepalived section's configuration).
struct Keepalived {
    launches: [Launch; 2],
    daemons: [Option<Daemon>; 2],
    _readers: Vec<notify::Reader>,
    /// The state changes, unread: the FIFOs are only drained so keepalived never blocks.
    _events: std::sync::mpsc::Receiver<notify::Event>,
    interval: Duration,
}

impl Keepalived {
    fn start(
        rig: &Rig,
        keepalived: &Path,
        dir: &Path,
        interval: u64,
        realtime: bool,
    ) -> Result<Keepalived, String> {
        let ip = find_program("ip").ok_or("ip (iproute2) not installed")?;
        let (tx, rx) = std::sync::mpsc::channel();
        let mut readers = Vec::new();
        let mut launches = Vec::new();
        for i in 0..2 {
            let m = ["a", "b"][i];
            let fifo = dir.join(format!("keepalived-{m}-{interval}.fifo"));
            let _ = std::fs::remove_file(&fifo);
            nix::unistd::mkfifo(
                &fifo,
                nix::sys::stat::Mode::S_IRUSR | nix::sys::stat::Mode::S_IWUSR,
            )
            .map_err(|e| format!("mkfifo {}: {e}", fifo.display()))?;
            readers.push(notify::Reader::start(&fifo, i, tx.clone())?);
            let c = config::NodeConfig {
                router_id: format!("bvip_{m}"),
                fifo,
                interface: lab::IFACE.into(),
                src_ip: lab::MEMBERS[i].to_string(),
                peer_ip: lab::MEMBERS[1 - i].to_string(),
                priority: [150, 100][i],
                initial_state: ["MASTER", "BACKUP"][i],
                advert_ms: interval,
                vip: format!("{}/{}", lab::VIP, lab::PREFIX),
                vrid: 52,
                rt_priority: realtime.then_some(10),
            };
            let conf = dir.join(format!("keepalived-{m}-{interval}.conf"));
            std::fs::write(&conf, config::render(&c)?).map_err(|e| e.to_string())?;
            launches.push(Launch {
                ip: ip.clone(),
                keepalived: keepalived.to_owned(),
                netns: rig.lab.member(i),
                config: conf,
                pid_file: dir.join(format!("keepalived-{m}.pid")),
                vrrp_pid_file: dir.join(format!("keepalived-{m}.vrrp.pid")),
                log: dir.join(format!("keepalived-{m}-{interval}.log")),
            });
        }
        let launches: [Launch; 2] = launches.try_into().map_err(|_| "two launches")?;
        let mut k = Keepalived {
            daemons: [None, None],
            launches,
            _readers: readers,
            _events: rx,
            interval: Duration::from_millis(interval),
        };
        k.daemons[1] = Some(Daemon::spawn(&k.launches[1])?);
        k.daemons[0] = Some(Daemon::spawn(&k.launches[0])?);
        lab::wait_holder(&rig.presence, 0, k.interval * 10 + Duration::from_secs(10))?;
        std::thread::sleep(k.settle());
        Ok(k)
    }
}

impl Pair for Keepalived {
    fn fault(&mut self, old: usize, scenario: Scenario) -> Result<(), String> {
        let a = self.daemons[old]
            .as_mut()
            .ok_or("keepalived a is not running")?;
        let pids = a.processes();
        let parent = *pids.last().ok_or("keepalived a has no process")?;
        let (targets, signal) = match scenario {
            Scenario::Crash => (pids.clone(), Signal::SIGKILL),
            Scenario::Silent => (pids.clone(), Signal::SIGSTOP),
            Scenario::Switchover => (vec![parent], Signal::SIGTERM),
        };
        if a.signal(&targets, signal) == 0 {
            return Err(format!("could not signal keepalived a ({signal})"));
        }
        Ok(())
    }

    fn restore(&mut self, _lab: &Lab, old: usize, scenario: Scenario) -> Result<(), String> {
        match scenario {
            Scenario::Silent => {
                if let Some(d) = self.daemons[old].as_mut() {
                    d.resume();
                }
            }
            Scenario::Crash | Scenario::Switchover => {
                if let Some(mut d) = self.daemons[old].take() {
                    d.kill_and_reap();
                }
                self.daemons[old] = Some(Daemon::spawn(&self.launches[old])?);
            }
        }
        // a (priority 150) preempts: it holds the VIP again once settled.
        Ok(())
    }

    fn settle(&self) -> Duration {
        self.interval * 3 + Duration::from_millis(300)
    }
}
