//! The script guard (PROTOCOL 6.3) with real `baton node` processes on loopback: a script
//! component whose hooks append `MEMBER HOOK` to one history file; SIGKILL and SIGSTOP of the
//! node's whole process group (the guard has its own), SIGTERM, and a node without script
//! components. Only processes this test started are signalled, by pid or by the process
//! group it made for each node.

mod support;

use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::{free_port, runtime, state_word, Scratch, BATON};
use tokio::time::Instant;

/// Timers of these tests: heartbeat 50 ms, dead interval 1000 ms, so that the guard's bound
/// is `W = D - H - (D - H) / 10` = 855 ms (`baton_node::guard::bound`).
const TIMERS: &str = "heartbeat_ms = 50\ndead_interval_ms = 1000\nrole_timeout_ms = 5000";
const BOUND: Duration = Duration::from_millis(855);
/// Longest any one step may take (they take milliseconds; the margin is for loaded machines).
const STEP: Duration = Duration::from_secs(10);
const NAMES: [&str; 2] = ["alpha", "beta"];

/// One or two members, each with one script component writing to `hist`.
struct Cluster {
    scratch: Scratch,
    hist: PathBuf,
    peers: [SocketAddr; 2],
    status: [SocketAddr; 2],
    children: [Option<Child>; 2],
}

impl Cluster {
    fn new(tag: &str, scripts: bool) -> Cluster {
        Cluster::with(tag, scripts, ["", ""])
    }

    /// As [`Cluster::new`], `activate` and `deactivate` starting with `before[0]` and
    /// `before[1]` (a shell command and `;`).
    fn with(tag: &str, scripts: bool, before: [&str; 2]) -> Cluster {
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

    fn config(&self, i: usize) -> PathBuf {
        self.scratch.path.join(format!("{}.toml", NAMES[i]))
    }

    fn log_path(&self, i: usize) -> PathBuf {
        self.scratch.path.join(format!("{}.log", NAMES[i]))
    }

    fn log(&self, i: usize) -> String {
        std::fs::read_to_string(self.log_path(i)).unwrap_or_default()
    }

    /// Starts node `i` in a process group of its own (its hooks with it; its guard has one
    /// of its own).
    fn start(&mut self, i: usize) {
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

    fn pid(&self, i: usize) -> u32 {
        self.children[i].as_ref().expect("running").id()
    }

    /// `kill -SIG -- -PGID` to node `i`'s process group (the node and its hooks).
    fn signal_group(&self, i: usize, sig: &str) {
        signal(sig, &format!("-{}", self.pid(i)));
    }

    /// The pid of node `i`'s guard, from its log.
    async fn guard_pid(&self, i: usize) -> u32 {
        let line = self.log_line(i, &["guard started", "pid="]).await;
        guard_pid_in(&line).expect("a pid")
    }

    /// Waits for a line of node `i`'s log holding every one of `needles`.
    async fn log_line(&self, i: usize, needles: &[&str]) -> String {
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
    fn hist(&self) -> Vec<String> {
        let text = std::fs::read_to_string(&self.hist).unwrap_or_default();
        text.lines().map(str::to_owned).collect()
    }

    /// Waits until the history after `mark` holds `line`; returns the history after `mark`.
    async fn hist_has(&self, mark: usize, line: &str) -> Vec<String> {
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
    async fn exited(&mut self, i: usize) {
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
            if let Some(pid) = guard_pid_in(&self.log(i)) {
                wait_dead(pid);
                if alive(pid) {
                    signal("KILL", &pid.to_string());
                }
            }
        }
    }
}

/// The guard's pid in the node's `guard started pid=N` line of `log`.
fn guard_pid_in(log: &str) -> Option<u32> {
    let line = log
        .lines()
        .find(|l| l.contains("guard started") && l.contains("pid="))?;
    let pid = line.split("pid=").nth(1)?;
    let digits: String = pid.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Waits up to 5 s for `pid` to end (a test's clean-up, outside any runtime).
#[allow(clippy::disallowed_methods)] // real time, in a Drop
fn wait_dead(pid: u32) {
    for _ in 0..500 {
        if !alive(pid) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn signal(sig: &str, target: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{sig}"), "--", target])
        .stderr(Stdio::null())
        .status();
}

/// Whether process `pid` exists and is not a zombie.
fn alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the command name in parentheses.
    stat.rsplit(')')
        .next()
        .and_then(|s| s.trim().chars().next())
        != Some('Z')
}

async fn until_dead(pid: u32, within: Duration) {
    let deadline = Instant::now() + within;
    while alive(pid) {
        assert!(Instant::now() < deadline, "process {pid} still runs");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Node `i`'s component was last told `activate` (true) or `deactivate`/`stop` (false).
fn last_active(hist: &[String], member: &str) -> bool {
    hist.iter()
        .rev()
        .find_map(|l| l.strip_prefix(member)?.strip_prefix(' '))
        .is_some_and(|hook| hook == "activate")
}

/// SIGKILL of the node's whole group: the guard reads the end of its stdin and runs
/// `deactivate`, then `stop`, at once (well within the bound), then exits.
#[test]
fn guard_on_sigkill() {
    runtime().block_on(async {
        let mut c = Cluster::new("guardkill", true);
        c.start(0);
        c.hist_has(0, "alpha activate").await;
        let guard = c.guard_pid(0).await;
        assert!(alive(guard));
        let mark = c.hist().len();
        c.signal_group(0, "KILL");
        let killed = Instant::now();
        c.hist_has(mark, "alpha deactivate").await;
        let took = killed.elapsed();
        assert!(took < BOUND, "deactivate {took:?} after SIGKILL");
        until_dead(guard, STEP).await;
        assert_eq!(c.hist()[mark..], ["alpha deactivate", "alpha stop"]);
        c.log_line(0, &["guard: node gone", "deactivating 1001"])
            .await;
        c.log_line(0, &["guard: exiting"]).await;
    });
}

/// SIGKILL while `activate` runs (it dies with the node's group): the guard heard of the
/// component before the activation started, and stands it down (PROTOCOL 6.3 [G1]).
#[test]
fn guard_covers_an_activation_in_progress() {
    runtime().block_on(async {
        let mut c = Cluster::with("guardmid", true, ["sleep 3;", ""]);
        c.start(0);
        c.log_line(0, &["role changed", "to=promoting"]).await;
        let guard = c.guard_pid(0).await;
        let mark = c.hist().len();
        tokio::time::sleep(Duration::from_millis(100)).await;
        c.signal_group(0, "KILL");
        until_dead(guard, STEP).await;
        assert_eq!(c.hist()[mark..], ["alpha deactivate", "alpha stop"]);
    });
}

/// SIGSTOP of the active's whole group for longer than the dead interval: its guard stands
/// the component down before the peer's `activate`; after SIGCONT the node learns it and
/// does not believe the component active (it activates it again only if the protocol says
/// so: it is still the active).
#[test]
fn guard_on_sigstop() {
    runtime().block_on(async {
        let mut c = Cluster::new("guardstop", true);
        c.start(0);
        c.hist_has(0, "alpha activate").await;
        c.start(1);
        let deadline = Instant::now() + STEP;
        while support::status_json(c.status[1])
            .await
            .ok()
            .map(|d| d["state"].clone())
            != Some("standby".into())
        {
            assert!(Instant::now() < deadline, "beta is not standby");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mark = c.hist().len();
        c.signal_group(0, "STOP");
        let h = c.hist_has(mark, "beta activate").await;
        let at = |l: &str| h.iter().position(|x| x == l);
        let (down, up) = (at("alpha deactivate"), at("beta activate"));
        assert!(
            down.is_some() && down < up,
            "alpha's guard did not stand alpha's component down before beta's activate: {h:?}"
        );
        c.log_line(0, &["guard: node silent", "deactivating 1001"])
            .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        c.signal_group(0, "CONT");
        let resumed = c.hist().len();
        c.log_line(
            0,
            &["guard: stood the component down while this node was silent"],
        )
        .await;
        // The report is applied a dead interval after it came; let the pair settle.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let words = [state_word(c.status[0]).await, state_word(c.status[1]).await];
        let h = c.hist();
        assert_eq!(
            words.iter().filter(|w| *w == "active").count(),
            1,
            "{words:?}, {h:?}"
        );
        for (i, member) in NAMES.iter().enumerate() {
            assert_eq!(
                last_active(&h, member),
                words[i] == "active",
                "{member} is {} but its hooks say otherwise: {h:?}",
                words[i]
            );
        }
        if words[0] == "standby" {
            assert!(
                !h[resumed..].contains(&"alpha activate".to_owned()),
                "alpha activated again while standby: {h:?}"
            );
        }
        assert!(alive(c.guard_pid(0).await), "alpha's guard still watches");
    });
}

/// SIGTERM to the node and its guard (as systemd's control-group stop does): the node runs
/// its exit jobs and says `bye`; the guard ignores SIGTERM and runs nothing itself, also while
/// a `deactivate` slower than its bound runs (the node beats meanwhile).
#[test]
fn guard_quiet_on_clean_exit() {
    runtime().block_on(async {
        let mut c = Cluster::with("guardterm", true, ["", "sleep 1.2;"]);
        c.start(0);
        c.hist_has(0, "alpha activate").await;
        let guard = c.guard_pid(0).await;
        let mark = c.hist().len();
        signal("TERM", &guard.to_string());
        signal("TERM", &c.pid(0).to_string());
        c.exited(0).await;
        until_dead(guard, STEP).await;
        assert_eq!(c.hist()[mark..], ["alpha deactivate", "alpha stop"]);
        let log = c.log(0);
        assert!(log.contains("guard: SIGTERM ignored"), "{log}");
        assert!(log.contains("guard: exiting"), "{log}");
        assert!(!log.contains("guard: node"), "{log}");
        assert!(!log.contains("guard not"), "{log}");
    });
}

/// A node without script components starts no guard.
#[test]
fn no_guard_without_script_components() {
    runtime().block_on(async {
        let mut c = Cluster::new("guardnone", false);
        c.start(0);
        c.log_line(0, &["node started"]).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let pid = c.pid(0);
        assert_eq!(children_of(pid), Vec::<u32>::new());
        assert!(!c.log(0).contains("guard"), "{}", c.log(0));
        signal("TERM", &pid.to_string());
        c.exited(0).await;
    });
}

/// The processes whose parent is `pid`.
fn children_of(pid: u32) -> Vec<u32> {
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
