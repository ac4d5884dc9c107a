//! The keepalived pair in two network namespaces: crash, silent failure and graceful stop at
//! every advert interval, the same scenarios as the baton pair.
//!
//! # Setup
//! - Two network namespaces of this process, `bbk<pid>a` and `bbk<pid>b`, joined by a veth
//!   pair (`bk0` in each; created inside them, so no interface or address ever exists outside);
//!   members 10.250.0.1/24 (a) and 10.250.0.2/24 (b), virtual address 10.250.0.100/24.
//! - keepalived (Debian's 2.2.7) per member, `ip netns exec <ns> keepalived --vrrp --dont-fork
//!   --dont-respawn --log-console --log-detail --no-syslog` with its own configuration, pid
//!   files and log in a work folder (`$TMPDIR/baton-bench-keepalived-<pid>`, kept with
//!   `--keep`). VRRPv3 unicast (`unicast_src_ip`, one `unicast_peer`), one
//!   `virtual_ipaddress`, `advert_int` = the interval; a: `state MASTER`, priority 150; b:
//!   `state BACKUP`, priority 100; default preemption (no `nopreempt`, no `preempt_delay`);
//!   otherwise keepalived's defaults (no real-time scheduling, no notify scripts). keepalived
//!   starts even a `state MASTER` instance below priority 255 in BACKUP and takes the master
//!   role after Master_Down, discarding b's lower-priority adverts meanwhile.
//! - **Preemption.** Every trial starts from the same settled pair: a (150) MASTER, b (100)
//!   BACKUP. The fault always hits a, and the measured failover is always b taking over, so
//!   every sample is one distribution (Master_Down = 3 × interval + skew of priority 100,
//!   0.61 × interval). After the trial a is resumed or restarted and, preempting, takes the
//!   master role back; the harness waits for exactly one MASTER (a) and one BACKUP (b),
//!   then for one quiet interval (+100 ms) without any notification, then for a random
//!   delay uniform in [0, interval) so the fault falls at a random phase of a's adverts (as a
//!   real fault would) before the next trial. With `nopreempt` the roles would alternate and
//!   half the samples would use priority 150's shorter skew.
//! - **Timing.** Each keepalived writes its state changes to its `notify_fifo` (a FIFO the
//!   harness creates and holds open read-write); one harness thread per FIFO reads the lines
//!   and stamps each on arrival with `Instant::now()` (CLOCK_MONOTONIC). The fault is stamped
//!   with the same clock just before the first `kill(2)` (pids looked up beforehand). A sample
//!   is the time from that stamp to b's `INSTANCE "VI_1" MASTER` line. No notify script is
//!   forked, so the figure is keepalived's own reaction plus a pipe write and a thread wake-up.
//!
//! # Scenarios
//! - Crash: SIGKILL to every process of a's keepalived (the VRRP child first, found by parent
//!   pid in `/proc`, then the parent), so no priority-0 advert goes out.
//! - Silent: SIGSTOP to the same processes (a hung host); after the trial SIGCONT, and a's next
//!   advert (priority 150) sends b back to BACKUP.
//! - Switchover: SIGTERM to a's parent, keepalived's graceful stop (what `systemctl stop`
//!   does): it sends a priority-0 advert and b takes over after its skew time.
//!
//! A trial whose MASTER line does not come within 10 × interval + 5 s counts as missed. This
//! process is a child subreaper during the section so the VRRP child, orphaned when its parent
//! is killed, is reaped here; every keepalived is killed (after SIGCONT) and reaped, and the
//! namespaces deleted, on every way out of [`run`] (drop guards), errors and panics included.

pub(crate) mod config;
pub(crate) mod netns;
pub(crate) mod notify;
pub(crate) mod procs;

use crate::report::{metric, Scenario, Series, System};
use crate::Options;
use nix::sys::signal::Signal;
use notify::{Event, State};
use procs::{Daemon, Launch};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Why no keepalived figures came out.
#[derive(Debug)]
pub enum Error {
    /// Not possible here (no root, no network namespaces, no keepalived): said, not failed.
    Skipped(String),
    /// Something went wrong while measuring.
    Failed(String),
}

const SECTION: &str = "keepalived";
/// Member a (the preferred master) and b.
const A: usize = 0;
const B: usize = 1;
const PRIORITY: [u8; 2] = [150, 100];
const INITIAL_STATE: [&str; 2] = ["MASTER", "BACKUP"];
const MEMBER: [&str; 2] = ["a", "b"];
const SCENARIOS: [Scenario; 3] = [Scenario::Crash, Scenario::Silent, Scenario::Switchover];
const VRID: u8 = 51;

/// Runs crash, silent and graceful stop at every interval.
pub fn run(opts: &Options) -> Result<Vec<Series>, Error> {
    let tools = Tools::find()?;
    let mut intervals = Vec::new();
    for &ms in &opts.intervals {
        match config::advert_int(ms) {
            Ok(_) => intervals.push(ms),
            Err(why) => crate::progress(SECTION, format!("interval skipped: {why}")),
        }
    }
    if intervals.is_empty() {
        return Err(Error::Skipped(
            "no interval keepalived accepts (multiples of 10 ms from 10 to 40950)".into(),
        ));
    }
    crate::progress(
        SECTION,
        format!(
            "{} in namespaces {}; event: backup's notify_fifo MASTER line, read by a harness thread",
            tools.version,
            netns::names(std::process::id()).join("/")
        ),
    );
    // Declared before the rig, so dropped after it: the orphans are reaped while it holds.
    let _reaper = procs::Subreaper::set().map_err(Error::Failed)?;
    let mut rig = Rig::new(&tools, opts.keep)?;
    let mut out = Vec::new();
    for &interval in &intervals {
        rig.fresh_start(interval).map_err(Error::Failed)?;
        for scenario in SCENARIOS {
            let mut series = Series {
                system: System::Keepalived,
                scenario,
                interval_ms: interval,
                metric: metric::NEW_MASTER.into(),
                samples_ms: Vec::new(),
                missed: 0,
            };
            for trial in 1..=opts.trials {
                let sample = rig.trial(scenario, interval).map_err(Error::Failed)?;
                let what = match sample {
                    Some(ms) => {
                        series.samples_ms.push(ms);
                        format!("{ms:.1} ms")
                    }
                    None => {
                        series.missed += 1;
                        "missed".into()
                    }
                };
                crate::progress(
                    SECTION,
                    format!(
                        "{} {interval} ms trial {trial}/{}: {what}",
                        scenario.name(),
                        opts.trials
                    ),
                );
            }
            out.push(series);
        }
    }
    Ok(out)
}

/// The programs the section needs.
struct Tools {
    ip: PathBuf,
    keepalived: PathBuf,
    version: String,
}

impl Tools {
    fn find() -> Result<Tools, Error> {
        if !cfg!(target_os = "linux") {
            return Err(Error::Skipped(
                "needs Linux network namespaces (this is not Linux)".into(),
            ));
        }
        let keepalived = find_program("keepalived").ok_or_else(|| {
            Error::Skipped("keepalived not installed: apt-get install keepalived".into())
        })?;
        let ip = find_program("ip").ok_or_else(|| {
            Error::Skipped("ip (iproute2) not installed: apt-get install iproute2".into())
        })?;
        if !nix::unistd::geteuid().is_root() {
            return Err(Error::Skipped(
                "needs root to create network namespaces (run baton-bench as root)".into(),
            ));
        }
        let version = std::process::Command::new(&keepalived)
            .arg("--version")
            .output()
            .ok()
            .and_then(|o| {
                let text = String::from_utf8_lossy(&o.stderr).into_owned()
                    + &String::from_utf8_lossy(&o.stdout);
                text.lines()
                    .find(|l| !l.trim().is_empty())
                    .map(|l| l.trim().to_owned())
            })
            .unwrap_or_else(|| "keepalived (version unknown)".into());
        Ok(Tools {
            ip,
            keepalived,
            version,
        })
    }
}

/// `name` in `PATH` or the sbin folders (which a non-login root shell may lack).
pub(crate) fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The work folder, removed on drop unless kept.
struct WorkDir {
    path: PathBuf,
    keep: bool,
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if self.keep {
            crate::progress(SECTION, format!("kept {}", self.path.display()));
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// A small random source for the fault phase (SplitMix64), seeded from the clock.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn seeded() -> Rng {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Rng(nanos ^ (u64::from(std::process::id()) << 32))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, d)` at microsecond resolution.
    pub(crate) fn below(&mut self, d: Duration) -> Duration {
        let us = d.as_micros() as u64;
        if us == 0 {
            Duration::ZERO
        } else {
            Duration::from_micros(self.next() % us)
        }
    }
}

/// Both members: their processes, FIFO readers, namespaces and files. Fields drop in
/// declaration order: the processes go before the namespaces they run in.
struct Rig {
    daemons: [Option<Daemon>; 2],
    _readers: Vec<notify::Reader>,
    _netns: netns::Pair,
    dir: WorkDir,
    launches: [Launch; 2],
    events: Receiver<Event>,
    /// The last tracked state each member reported, and when.
    last: [Option<(State, Instant)>; 2],
    rng: Rng,
}

impl Rig {
    fn new(tools: &Tools, keep: bool) -> Result<Rig, Error> {
        let pid = std::process::id();
        let path = std::env::temp_dir().join(format!("baton-bench-keepalived-{pid}"));
        std::fs::create_dir_all(&path)
            .map_err(|e| Error::Failed(format!("cannot create {}: {e}", path.display())))?;
        let dir = WorkDir { path, keep };
        let names = netns::names(pid);
        let (tx, events) = std::sync::mpsc::channel();
        let mut readers = Vec::new();
        for (node, member) in MEMBER.iter().enumerate() {
            let fifo = dir.path.join(format!("{member}.fifo"));
            let _ = std::fs::remove_file(&fifo);
            nix::unistd::mkfifo(
                &fifo,
                nix::sys::stat::Mode::S_IRUSR | nix::sys::stat::Mode::S_IWUSR,
            )
            .map_err(|e| Error::Failed(format!("mkfifo {}: {e}", fifo.display())))?;
            readers.push(notify::Reader::start(&fifo, node, tx.clone()).map_err(Error::Failed)?);
        }
        for stale in netns::sweep_stale(&tools.ip) {
            crate::progress(
                SECTION,
                format!("removed namespace {stale}, left by a killed earlier run"),
            );
        }
        let netns = netns::Pair::create(tools.ip.clone(), &names).map_err(|(env, e)| {
            if env {
                Error::Skipped(format!("cannot create network namespaces: {e}"))
            } else {
                Error::Failed(e)
            }
        })?;
        let launch = |node: usize| {
            let m = MEMBER[node];
            Launch {
                ip: tools.ip.clone(),
                keepalived: tools.keepalived.clone(),
                netns: names[node].clone(),
                config: dir.path.join(format!("{m}.conf")),
                pid_file: dir.path.join(format!("{m}.pid")),
                vrrp_pid_file: dir.path.join(format!("{m}.vrrp.pid")),
                log: dir.path.join(format!("{m}.log")),
            }
        };
        let launches = [launch(A), launch(B)];
        Ok(Rig {
            daemons: [None, None],
            _readers: readers,
            _netns: netns,
            dir,
            launches,
            events,
            last: [None, None],
            rng: Rng::seeded(),
        })
    }

    fn write_config(&self, node: usize, interval: u64) -> Result<(), String> {
        let c = config::NodeConfig {
            router_id: format!("bbk_{}", MEMBER[node]),
            fifo: self.dir.path.join(format!("{}.fifo", MEMBER[node])),
            interface: netns::IFACE.into(),
            src_ip: netns::ADDRS[node].into(),
            peer_ip: netns::ADDRS[1 - node].into(),
            priority: PRIORITY[node],
            initial_state: INITIAL_STATE[node],
            advert_ms: interval,
            vip: format!("{}/{}", netns::VIP, netns::PREFIX),
            vrid: VRID,
            rt_priority: None,
        };
        let text = config::render(&c)?;
        let path = &self.launches[node].config;
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    fn start(&mut self, node: usize) -> Result<(), String> {
        if let Some(mut old) = self.daemons[node].take() {
            old.kill_and_reap();
        }
        self.last[node] = None;
        self.daemons[node] = Some(Daemon::spawn(&self.launches[node])?);
        Ok(())
    }

    /// Kills both, writes the configurations for `interval`, starts b then a, waits settled.
    fn fresh_start(&mut self, interval: u64) -> Result<(), String> {
        for d in self.daemons.iter_mut() {
            if let Some(mut d) = d.take() {
                d.kill_and_reap();
            }
        }
        self.drain();
        self.last = [None, None];
        for node in [A, B] {
            self.write_config(node, interval)?;
        }
        self.start(B)?;
        self.start(A)?;
        self.wait_settled(interval, Some(Instant::now()))
            .map_err(|e| format!("the pair did not settle at {interval} ms: {e}"))
    }

    fn record(&mut self, ev: &Event) {
        match ev.notice.state {
            State::Master | State::Backup | State::Fault | State::Stop => {
                self.last[ev.node] = Some((ev.notice.state.clone(), ev.at));
            }
            State::Other(_) => {}
        }
    }

    fn drain(&mut self) {
        while let Ok(ev) = self.events.try_recv() {
            self.record(&ev);
        }
    }

    /// The next notification, if one comes before `deadline`.
    fn next_event(&mut self, deadline: Instant) -> Result<Option<Event>, String> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.events.recv_timeout(left) {
            Ok(ev) => {
                self.record(&ev);
                Ok(Some(ev))
            }
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err("the FIFO reader threads ended".into()),
        }
    }

    fn is(&self, node: usize, state: &State, since: Option<Instant>) -> bool {
        match &self.last[node] {
            Some((s, at)) => s == state && since.is_none_or(|t| *at >= t),
            None => false,
        }
    }

    /// Why a member is not running, if it is not.
    fn check_running(&mut self) -> Result<(), String> {
        for node in [A, B] {
            let dead = self.daemons[node].as_mut().is_none_or(Daemon::exited);
            if dead {
                return Err(format!(
                    "keepalived {} is not running; its log: {}",
                    MEMBER[node],
                    log_tail(&self.launches[node].log)
                ));
            }
        }
        Ok(())
    }

    /// Waits until a is MASTER (having said so after `a_since`, when given) and b BACKUP, and
    /// then for one interval plus 100 ms without any notification.
    fn wait_settled(&mut self, interval: u64, a_since: Option<Instant>) -> Result<(), String> {
        let adv = Duration::from_millis(interval);
        let limit = Instant::now() + adv * 10 + Duration::from_secs(10);
        let quiet = adv + Duration::from_millis(100);
        self.drain();
        loop {
            self.check_running()?;
            let now = Instant::now();
            if now >= limit {
                return Err(format!(
                    "no settled pair after {:.1} s (a: {}, b: {})",
                    (adv * 10 + Duration::from_secs(10)).as_secs_f64(),
                    self.describe(A),
                    self.describe(B)
                ));
            }
            if self.is(A, &State::Master, a_since) && self.is(B, &State::Backup, None) {
                // Settled unless something is said within the quiet time.
                if self.next_event(now + quiet)?.is_none() {
                    // Note the children now, to reap them whatever happens to the parents.
                    for d in self.daemons.iter_mut().flatten() {
                        d.processes();
                    }
                    return Ok(());
                }
            } else {
                let step = (now + Duration::from_millis(100)).min(limit);
                self.next_event(step)?;
            }
        }
    }

    fn describe(&self, node: usize) -> String {
        match &self.last[node] {
            None => "nothing reported".into(),
            Some((s, _)) => format!("{s:?}"),
        }
    }

    /// One trial from a settled pair; leaves the pair settled again. `None`: missed.
    fn trial(&mut self, scenario: Scenario, interval: u64) -> Result<Option<f64>, String> {
        let adv = Duration::from_millis(interval);
        std::thread::sleep(self.rng.below(adv));
        self.drain();
        let a = self.daemons[A]
            .as_mut()
            .ok_or("keepalived a is not running")?;
        let pids = a.processes();
        let Some((&parent, children)) = pids.split_last() else {
            return Err("keepalived a has no process".into());
        };
        let children = children.to_vec();
        let (targets, signal) = match scenario {
            Scenario::Crash => (pids.clone(), Signal::SIGKILL),
            Scenario::Silent => (pids.clone(), Signal::SIGSTOP),
            Scenario::Switchover => (vec![parent], Signal::SIGTERM),
        };
        let t0 = Instant::now();
        let sent = a.signal(&targets, signal);
        if sent == 0 {
            return Err(format!("could not signal keepalived a ({signal})"));
        }
        let deadline = t0 + adv * 10 + Duration::from_secs(5);
        let mut sample = None;
        while let Some(ev) = self.next_event(deadline)? {
            if ev.node == B && ev.notice.state == State::Master && ev.at >= t0 {
                sample = Some((ev.at - t0).as_secs_f64() * 1e3);
                break;
            }
        }
        let settled = self.recover(scenario, interval, &children);
        if let Err(why) = settled {
            crate::progress(
                SECTION,
                format!("pair not settled after the trial ({why}); restarting both"),
            );
            self.fresh_start(interval)?;
        }
        Ok(sample)
    }

    /// Resumes or restarts a and waits for the pair to settle.
    fn recover(
        &mut self,
        scenario: Scenario,
        interval: u64,
        children: &[i32],
    ) -> Result<(), String> {
        let adv = Duration::from_millis(interval);
        let a = self.daemons[A]
            .as_mut()
            .ok_or("keepalived a is not running")?;
        match scenario {
            Scenario::Crash => {
                a.reap_after_kill(children);
                self.start(A)?;
                self.wait_settled(interval, Some(Instant::now()))
            }
            Scenario::Silent => {
                a.resume();
                self.wait_settled(interval, None)
            }
            Scenario::Switchover => {
                if !a.wait_exit(adv * 3 + Duration::from_secs(5), children) {
                    crate::progress(SECTION, "keepalived a did not stop on SIGTERM; killed");
                    a.kill_and_reap();
                }
                self.start(A)?;
                self.wait_settled(interval, Some(Instant::now()))
            }
        }
    }
}

/// The last lines of a log, for error messages.
fn log_tail(path: &Path) -> String {
    match std::fs::read_to_string(path) {
        Err(e) => format!("(cannot read {}: {e})", path.display()),
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            let from = lines.len().saturating_sub(5);
            format!("{} [...] {}", path.display(), lines[from..].join(" | "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_phases_stay_below_the_bound() {
        let mut r = Rng(1);
        let d = Duration::from_millis(10);
        let draws: Vec<Duration> = (0..1000).map(|_| r.below(d)).collect();
        assert!(draws.iter().all(|x| *x < d));
        // Not constant: both halves of the interval are hit.
        assert!(draws.iter().any(|x| *x < d / 2));
        assert!(draws.iter().any(|x| *x >= d / 2));
        assert_eq!(r.below(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn programs_are_found_in_sbin() {
        // `sh` is everywhere; a made-up name nowhere.
        assert!(find_program("sh").is_some());
        assert!(find_program("no-such-program-baton-bench").is_none());
    }
}
