//! The guard tests' harness (`node/tests/guard.rs`): one or two `baton node` processes with a
//! script component writing `MEMBER HOOK` lines to one history file, their logs and guards,
//! signals to processes and groups this test started, `/proc` lookups.
#![allow(dead_code)]

use super::support::{free_port, Scratch, BATON};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::time::Instant;

/// Timers of these tests: heartbeat 50 ms, dead interval 1000 ms, so that the guard's bound
/// is `W = D - H - (D - H) / 10` = 855 ms (`baton_node::guard::bound`).
pub const TIMERS: &str = "heartbeat_ms = 50\ndead_interval_ms = 1000\nrole_timeout_ms = 5000";
/// The guard's bound at [`TIMERS`].
pub const BOUND: Duration = Duration::from_millis(855);
/// Longest any one step may take (they take milliseconds; the margin is for loaded machines).
pub const STEP: Duration = Duration::from_secs(10);
/// Member names, highest priority first.
pub const NAMES: [&str; 2] = ["alpha", "beta"];

/// One or two members, each with one script component writing to `hist`.
pub struct Cluster {
    pub scratch: Scratch,
    hist: PathBuf,
    peers: [SocketAddr; 2],
    /// Each node's status listener.
    pub status: [SocketAddr; 2],
    children: [Option<Child>; 2],
}

impl Cluster {
    /// Two members' files (with script components if `scripts`); nothing started.
    pub fn new(tag: &str, scripts: bool) -> Cluster {
        Cluster::with(tag, scripts, ["", ""])
    }

    /// As [`Cluster::new`], `activate` and `deactivate` starting with `before[0]` and
    /// `before[1]` (a shell command and `;`).
    pub fn with(tag: &str, scripts: bool, before: [&str; 2]) -> Cluster {
        let scratch = Scratch::new(tag);
        let hist = scratch.path.join("hist");
        let port = || SocketAddr::from(([127, 0, 0, 1], free_port()));
        let c = Cluster {
            hist,
            peers: [port(), port()],
            status: [port(), port()],
            children: [None, None],
            scratch,
        };
        let [b0, b1] = before;
        for (i, name) in NAMES.iter().enumerate() {
            let h = c.hist.display();
            let component = if scripts {
                format!(
                    "[[component]]\nid = \"1001\"\nseverity = \"fatal\"\n\
                     activate = '{b0} echo \"$BATON_MEMBER activate\" >> {h}'\n\
                     deactivate = '{b1} echo \"$BATON_MEMBER deactivate\" >> {h}'\n\
                     stop = 'echo \"$BATON_MEMBER stop\" >> {h}'\n"
                )
            } else {
                String::new()
            };
            let text = format!(
                "name = \"{name}\"\nlog = \"info\"\n\n\
                 [[member]]\nname = \"alpha\"\nid = \"1\"\naddress = \"{p0}\"\n\n\
                 [[member]]\nname = \"beta\"\nid = \"2\"\naddress = \"{p1}\"\n\n\
                 [timers]\n{TIMERS}\n\n[listen]\nstatus = \"{status}\"\n\n{component}",
                p0 = c.peers[0],
                p1 = c.peers[1],
                status = c.status[i],
            );
            std::fs::write(c.config(i), text).expect("the configuration is written");
        }
        c
    }

    /// Node `i`'s configuration file.
    pub fn config(&self, i: usize) -> PathBuf {
        self.scratch.path.join(format!("{}.toml", NAMES[i]))
    }

    /// Node `i`'s log file (its stderr, and its guard's).
    pub fn log_path(&self, i: usize) -> PathBuf {
        self.scratch.path.join(format!("{}.log", NAMES[i]))
    }

    /// Node `i`'s whole log.
    pub fn log(&self, i: usize) -> String {
        std::fs::read_to_string(self.log_path(i)).unwrap_or_default()
    }

    /// Starts node `i` in a process group of its own (its hooks with it; its guard has one
    /// of its own).
    pub fn start(&mut self, i: usize) {
        let log = std::fs::File::create(self.log_path(i)).expect("the log opens");
        let child = Command::new(BATON)
            .arg("node")
            .arg("--config")
            .arg(self.config(i))
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("baton node starts");
        self.children[i] = Some(child);
    }

    /// Node `i`'s pid (and process group).
    pub fn pid(&self, i: usize) -> u32 {
        self.children[i].as_ref().expect("running").id()
    }

    /// `kill -SIG -- -PGID` to node `i`'s process group (the node and its hooks).
    pub fn signal_group(&self, i: usize, sig: &str) {
        signal(sig, &format!("-{}", self.pid(i)));
    }

    /// The pid of node `i`'s guard, from its log.
    pub async fn guard_pid(&self, i: usize) -> u32 {
        let line = self.log_line(i, &["guard started", "pid="]).await;
        guard_pid_in(&line).expect("a pid")
    }

    /// Waits for a line of node `i`'s log holding every one of `needles`.
    pub async fn log_line(&self, i: usize, needles: &[&str]) -> String {
        let deadline = Instant::now() + STEP;
        loop {
            let log = self.log(i);
            if let Some(l) = log.lines().find(|l| needles.iter().all(|n| l.contains(n))) {
                return l.to_owned();
            }
            assert!(Instant::now() < deadline, "no {needles:?} in:\n{log}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// The history: one `MEMBER HOOK` line per hook that ran.
    pub fn hist(&self) -> Vec<String> {
        let text = std::fs::read_to_string(&self.hist).unwrap_or_default();
        text.lines().map(str::to_owned).collect()
    }

    /// Waits until the history after `mark` holds `line`; returns the history after `mark`.
    pub async fn hist_has(&self, mark: usize, line: &str) -> Vec<String> {
        let deadline = Instant::now() + STEP;
        loop {
            let h = self.hist().split_off(mark.min(self.hist().len()));
            if h.iter().any(|l| l == line) {
                return h;
            }
            assert!(Instant::now() < deadline, "no {line:?} in {h:?}");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Waits for node `i` to exit on its own.
    pub async fn exited(&mut self, i: usize) {
        let deadline = Instant::now() + STEP;
        let child = self.children[i].as_mut().expect("running");
        while matches!(child.try_wait(), Ok(None)) {
            assert!(Instant::now() < deadline, "{} did not exit", NAMES[i]);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.children[i] = None;
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for (i, name) in NAMES.iter().enumerate() {
            if let Some(mut child) = self.children[i].take() {
                signal("KILL", &format!("-{}", child.id()));
                let _ = child.wait();
            }
            if std::thread::panicking() {
                eprintln!("---- {name} log ----\n{}", self.log(i));
            }
        }
        // Each guard ends with its node's end of stdin, once its hooks ran: given 5 s.
        for i in 0..2 {
            for pid in guard_pids_in(&self.log(i)) {
                wait_dead(pid);
                if alive(pid) {
                    signal("KILL", &pid.to_string());
                }
            }
        }
    }
}

/// The pids of the node's `guard started pid=N` lines of `log`, in order.
pub fn guard_pids_in(log: &str) -> Vec<u32> {
    log.lines()
        .filter(|l| l.contains("guard started"))
        .filter_map(|l| {
            let pid = l.split("pid=").nth(1)?;
            let digits: String = pid.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect()
}

/// The first guard's pid in `log`.
pub fn guard_pid_in(log: &str) -> Option<u32> {
    guard_pids_in(log).first().copied()
}

/// Waits up to 5 s for `pid` to end (a test's clean-up, outside any runtime).
#[allow(clippy::disallowed_methods)] // real time, in a Drop
pub fn wait_dead(pid: u32) {
    for _ in 0..500 {
        if !alive(pid) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `kill -SIG -- TARGET` (a pid, or `-PGID`).
pub fn signal(sig: &str, target: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{sig}"), "--", target])
        .stderr(Stdio::null())
        .status();
}

/// Whether process `pid` exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the command name in parentheses.
    stat.rsplit(')')
        .next()
        .and_then(|s| s.trim().chars().next())
        != Some('Z')
}

/// Waits until `pid` ended (a zombie counts as ended).
pub async fn until_dead(pid: u32, within: Duration) {
    let deadline = Instant::now() + within;
    while alive(pid) {
        assert!(Instant::now() < deadline, "process {pid} still runs");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// `member`'s component was last told `activate` (true) or `deactivate`/`stop` (false).
pub fn last_active(hist: &[String], member: &str) -> bool {
    hist.iter()
        .rev()
        .find_map(|l| l.strip_prefix(member)?.strip_prefix(' '))
        .is_some_and(|hook| hook == "activate")
}

/// The processes whose parent is `pid`.
pub fn children_of(pid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            let stat = std::fs::read_to_string(Path::new("/proc").join(p.to_string()).join("stat"))
                .unwrap_or_default();
            let ppid = stat
                .rsplit(')')
                .next()
                .and_then(|s| s.split_whitespace().nth(1));
            ppid == Some(&pid.to_string())
        })
        .collect()
}
