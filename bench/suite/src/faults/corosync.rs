//! corosync 3.1.7 votequorum beside baton's quorum mode, in the same run.
//!
//! Three corosync instances (Debian's `corosync`, knet over UDP, no crypto,
//! `corosync_votequorum`) in three namespaces of [`super::net`] (10.251.0.11-13). Each runs as
//! `ip netns exec <ns> sh -c 'mount --bind DIR/run /run && mount --bind DIR/lib
//! /var/lib/corosync && exec corosync -f -c DIR/corosync.conf'`: `ip netns exec` gives it a
//! mount namespace of its own, so the three do not share the pid file or the ring id files,
//! and its IPC (abstract Unix sockets) is per network namespace. One `corosync-quorumtool -m
//! -p` on nodes 2 and 3 (line-buffered with `stdbuf -oL`, in the same namespace) prints the
//! quorum status at every change; a harness thread stamps each `Nodes:` line on arrival. A
//! sample: from just before SIGKILL (or SIGSTOP) of node 1 to the first `Nodes: 2` line of a
//! remaining node. After each trial node 1 is restarted (or continued) and the harness waits
//! for every monitor to print `Nodes: 3`. Timers: corosync's defaults (token 3000 ms), and
//! "matched": `token` = baton's detection time at this run's heartbeat (9 heartbeats: voter
//! lease + election timeout + one stagger) with `token_coefficient: 0` (otherwise corosync adds
//! 650 ms per node beyond two).

use super::net::{self, Net};
use super::{Fault, Kind, Sample};
use crate::report::Table;
use crate::stats::Summary;
use crate::Options;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::{Duration, Instant};

const SECTION: &str = "faults";

/// `(when, node, member count)` from a monitor.
type Seen = (Instant, usize, u32);

struct Corosync {
    net: Net,
    dir: PathBuf,
    programs: [PathBuf; 3],
    daemons: Vec<Option<Child>>,
    monitors: Vec<Option<Child>>,
    tx: Sender<Seen>,
    rx: Receiver<Seen>,
}

impl Corosync {
    fn start(
        ip: &Path,
        dir: PathBuf,
        programs: [PathBuf; 3],
        token: Option<u64>,
    ) -> Result<Corosync, String> {
        let _ = std::fs::remove_dir_all(&dir);
        let net = Net::create(ip, 3)?;
        let (tx, rx) = channel();
        let mut c = Corosync {
            net,
            dir,
            programs,
            daemons: vec![None, None, None],
            monitors: vec![None, None, None],
            tx,
            rx,
        };
        for i in 0..3 {
            for sub in ["run", "lib"] {
                std::fs::create_dir_all(c.node_dir(i).join(sub)).map_err(|e| format!("{e}"))?;
            }
            std::fs::write(c.node_dir(i).join("corosync.conf"), config(token))
                .map_err(|e| format!("corosync.conf: {e}"))?;
        }
        for i in 0..3 {
            c.spawn(i)?;
        }
        Ok(c)
    }

    fn node_dir(&self, i: usize) -> PathBuf {
        self.dir.join(format!("n{i}"))
    }

    fn spawn(&mut self, i: usize) -> Result<(), String> {
        let d = self.node_dir(i);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(d.join("corosync.log"))
            .map_err(|e| format!("corosync.log: {e}"))?;
        let err = log.try_clone().map_err(|e| format!("{e}"))?;
        let script = format!(
            "mount --bind {d}/run /run && mount --bind {d}/lib /var/lib/corosync && exec {} -f -c {d}/corosync.conf",
            self.programs[0].display(),
            d = d.display()
        );
        let child = Command::new(self.net.ip())
            .args(["netns", "exec", &self.net.members[i], "sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start corosync: {e}"))?;
        self.daemons[i] = Some(child);
        Ok(())
    }

    /// (Re)starts node `i`'s monitor; its lines go to the channel from a thread.
    fn monitor(&mut self, i: usize) -> Result<(), String> {
        if let Some(mut m) = self.monitors[i].take() {
            let _ = m.kill();
            let _ = m.wait();
        }
        let mut child = Command::new(self.net.ip())
            .args(["netns", "exec", &self.net.members[i]])
            .arg(&self.programs[2])
            .arg("-oL")
            .arg(&self.programs[1])
            .args(["-m", "-p"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start corosync-quorumtool: {e}"))?;
        let out = child.stdout.take().ok_or("no pipe")?;
        let tx = self.tx.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines() {
                let Ok(line) = line else { return };
                let at = Instant::now();
                if let Some(n) = nodes_line(&line) {
                    if tx.send((at, i, n)).is_err() {
                        return;
                    }
                }
            }
        });
        self.monitors[i] = Some(child);
        Ok(())
    }

    /// Waits until the monitors of nodes 1 and 2 said `Nodes: 3` after `since`.
    fn whole(&mut self, since: Instant, limit: Duration) -> Result<(), String> {
        let end = Instant::now() + limit;
        let mut ok = [true, false, false];
        while !ok.iter().all(|&b| b) {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!("corosync: not 3 members within {limit:?} ({ok:?})"));
            }
            match self.rx.recv_timeout(left.min(Duration::from_secs(1))) {
                Ok((at, i, n)) if at >= since && i > 0 => ok[i] = n == 3,
                Ok(_) => {}
                // A monitor started before its corosync took IPC connections has exited.
                Err(_) => {
                    for i in 1..3 {
                        let gone = self.monitors[i]
                            .as_mut()
                            .is_none_or(|m| !matches!(m.try_wait(), Ok(None)));
                        if gone {
                            self.monitor(i)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// One fault on node 0 (its monitor is not used): ms to the first `Nodes: 2` of node 1 or 2, then recovery.
    fn trial(&mut self, fault: Fault, limit: Duration) -> Result<Option<f64>, String> {
        while self.rx.try_recv().is_ok() {}
        let pid = self.daemons[0]
            .as_ref()
            .and_then(|c| i32::try_from(c.id()).ok())
            .ok_or("corosync 0 not running")?;
        let sig = if fault == Fault::Kill {
            Signal::SIGKILL
        } else {
            Signal::SIGSTOP
        };
        let t0 = Instant::now();
        kill(Pid::from_raw(pid), sig).map_err(|e| format!("kill: {e}"))?;
        let end = t0 + limit;
        let mut sample = None;
        while sample.is_none() {
            match self
                .rx
                .recv_timeout(end.saturating_duration_since(Instant::now()))
            {
                Ok((at, i, n)) if i != 0 && n < 3 && at >= t0 => {
                    sample = Some(at.duration_since(t0).as_secs_f64() * 1000.0)
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        let since = Instant::now();
        if fault == Fault::Kill {
            if let Some(mut c) = self.daemons[0].take() {
                let _ = c.wait();
            }
            self.spawn(0)?;
        } else {
            let _ = kill(Pid::from_raw(pid), Signal::SIGCONT);
        }
        self.whole(since, Duration::from_secs(60))?;
        std::thread::sleep(Duration::from_millis(500));
        Ok(sample)
    }
}

impl Drop for Corosync {
    fn drop(&mut self) {
        for c in self.daemons.iter_mut().chain(self.monitors.iter_mut()) {
            if let Some(mut c) = c.take() {
                if let Ok(pid) = i32::try_from(c.id()) {
                    let _ = kill(Pid::from_raw(pid), Signal::SIGCONT);
                }
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

/// The member count of a `Nodes:` line of `corosync-quorumtool -m -p`.
fn nodes_line(line: &str) -> Option<u32> {
    line.trim().strip_prefix("Nodes:")?.trim().parse().ok()
}

/// A corosync.conf for the three nodes; `token` in ms (`None`: corosync's default).
fn config(token: Option<u64>) -> String {
    let token = token.map_or(String::new(), |t| {
        format!("  token: {t}\n  token_coefficient: 0\n")
    });
    let mut nodes = String::new();
    for i in 0..3 {
        nodes += &format!(
            "  node {{\n    ring0_addr: {}\n    nodeid: {}\n    name: n{i}\n  }}\n",
            net::addr(i),
            i + 1
        );
    }
    format!(
        "totem {{\n  version: 2\n  cluster_name: batonbench\n  transport: knet\n  \
         crypto_cipher: none\n  crypto_hash: none\n{token}}}\nnodelist {{\n{nodes}}}\n\
         quorum {{\n  provider: corosync_votequorum\n}}\nlogging {{\n  to_stderr: yes\n  \
         to_logfile: no\n  to_syslog: no\n  timestamp: on\n}}\n"
    )
}

/// Runs the comparison; its table (or one saying why it did not run).
pub fn run(opts: &Options, ip: &Path, root: &Path, samples: &[Sample]) -> Vec<Table> {
    let mut t = Table::new(
        "Quorum failover: baton quorum mode and corosync 3.1.7 votequorum (same run)",
        &[
            "system",
            "timers",
            "SIGKILL, ms: min / median / max (n)",
            "SIGSTOP, ms: min / median / max (n)",
            "switchover, ms: min / median / max (n)",
        ],
    );
    let hb = opts.faults_heartbeat;
    for kind in [Kind::Quorum3, Kind::Quorum2W] {
        let cell = |f: Fault| {
            let v: Vec<f64> = samples
                .iter()
                .filter(|s| s.kind == kind && s.fault == f)
                .filter_map(|s| s.failover_ms)
                .collect();
            Summary::of(&v).map_or("-".into(), |s| format!("{} ({})", s.triple(1), s.n))
        };
        t.row(vec![
            format!("baton, {}: new active serving", kind.name()),
            format!("heartbeat {hb} ms, voter lease {} ms", 8 * hb),
            cell(Fault::Kill),
            cell(Fault::Stop),
            cell(Fault::Switchover),
        ]);
    }
    let baton_median = |f: Fault| {
        let v: Vec<f64> = samples
            .iter()
            .filter(|s| s.kind == Kind::Quorum3 && s.fault == f)
            .filter_map(|s| s.failover_ms)
            .collect();
        Summary::of(&v).map(|s| s.median)
    };
    let programs =
        ["corosync", "corosync-quorumtool", "stdbuf"].map(crate::keepalived::find_program);
    let [Some(a), Some(b), Some(c)] = programs else {
        t.row(vec![
            "corosync".into(),
            "not run: corosync not installed (apt-get install corosync)".into(),
        ]);
        return vec![t];
    };
    if opts.corosync_trials == 0 {
        t.row(vec![
            "corosync".into(),
            "not run: --corosync-trials 0".into(),
        ]);
        return vec![t];
    }
    let matched = 9 * hb;
    for (label, token) in [
        ("defaults (token 3000 ms)".to_owned(), None),
        (format!("matched: token {matched} ms"), Some(matched)),
    ] {
        let dir = root.join(format!("corosync-{}", token.unwrap_or(0)));
        match run_setting(opts, ip, dir, [a.clone(), b.clone(), c.clone()], token) {
            Ok((cells, medians)) => {
                let mut row = vec![
                    "corosync: remaining node's membership change".into(),
                    label.clone(),
                ];
                row.extend(cells);
                row.push("none (votequorum has no switchover)".into());
                t.row(row);
                let ratio = |f: Fault, m: Option<f64>| match (baton_median(f), m) {
                    (Some(b), Some(c)) if c > 0.0 => format!("{:.2}", b / c),
                    _ => "-".into(),
                };
                t.row(vec![
                    "baton (3 members) / corosync, medians".into(),
                    label,
                    ratio(Fault::Kill, medians[0]),
                    ratio(Fault::Stop, medians[1]),
                    "-".into(),
                ]);
            }
            Err(e) => {
                crate::progress(SECTION, format!("corosync {label}: {e}"));
                t.row(vec!["corosync".into(), label, format!("failed: {e}")]);
            }
        }
    }
    t.notes.push(
        "baton: from just before the signal to another member serving both components (script \
         activate included), from the fault table above. corosync: from just before the signal \
         to the first `Nodes: 2` printed by `corosync-quorumtool -m -p` on a remaining node (no \
         resource is started). Matched: corosync's `token` set to baton's detection time (9 \
         heartbeats) and `token_coefficient` to 0 (by default corosync adds 650 ms per node beyond two: \
         an effective token of 3650 ms for three nodes at the defaults); its consensus timeout \
         stays at its default, 1.2 x token. Switchover: from just before the `switchover` \
         command on the active's control socket to another member serving both components."
            .into(),
    );
    vec![t]
}

fn run_setting(
    opts: &Options,
    ip: &Path,
    dir: PathBuf,
    programs: [PathBuf; 3],
    token: Option<u64>,
) -> Result<(Vec<String>, [Option<f64>; 2]), String> {
    let mut c = Corosync::start(ip, dir, programs, token)?;
    let since = Instant::now();
    std::thread::sleep(Duration::from_millis(500));
    for i in 1..3 {
        c.monitor(i)?;
    }
    c.whole(since, Duration::from_secs(30))?;
    let limit = Duration::from_millis(token.unwrap_or(3000) * 5 + 5000);
    let mut cells = Vec::new();
    let mut medians = [None, None];
    for (k, fault) in [Fault::Kill, Fault::Stop].into_iter().enumerate() {
        let mut v = Vec::new();
        let mut missed = 0;
        for n in 1..=opts.corosync_trials {
            match c.trial(fault, limit)? {
                Some(ms) => v.push(ms),
                None => missed += 1,
            }
            let last = v.last().map_or("missed".into(), |ms| format!("{ms:.1} ms"));
            let what = format!("{} {n}/{}: {last}", fault.name(), opts.corosync_trials);
            crate::progress(SECTION, format!("corosync token {token:?} {what}"));
        }
        medians[k] = Summary::of(&v).map(|s| s.median);
        let s = Summary::of(&v).map_or("-".into(), |s| format!("{} ({})", s.triple(1), s.n));
        cells.push(format!("{s}, {missed} missed").replace(", 0 missed", ""));
    }
    Ok((cells, medians))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_lines_are_read() {
        assert_eq!(nodes_line("Nodes:            2"), Some(2));
        assert_eq!(nodes_line("Node ID:          2"), None);
        assert!(config(Some(900)).contains("token: 900\n  token_coefficient: 0\n"));
        assert!(!config(None).contains("token"));
    }
}
