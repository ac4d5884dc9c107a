//! A cluster of `baton node` processes on loopback for the cluster tests: N members from one
//! configuration text (each member's file differs only in `name`), each serving member with
//! one script component whose hooks write its state file, a `state_dir` per member, and
//! `baton status --json` answers. Every process is started in its own process group and
//! killed (by its pid, with its group) and reaped on drop.

use crate::support::{free_port, status_json, Scratch, BATON};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::time::Instant;

/// One member as the test declares it.
#[derive(Debug, Clone)]
pub struct Member {
    /// Name.
    pub name: &'static str,
    /// Votes, never serves.
    pub witness: bool,
}

/// A serving member.
pub const fn serving(name: &'static str) -> Member {
    Member {
        name,
        witness: false,
    }
}

/// A witness.
pub const fn witness(name: &'static str) -> Member {
    Member {
        name,
        witness: true,
    }
}

/// A running (or stopped) cluster.
pub struct Cluster {
    /// The members, in priority order.
    pub members: Vec<Member>,
    /// Each member's peer address.
    pub peers: Vec<SocketAddr>,
    /// Each member's status address.
    pub status: Vec<SocketAddr>,
    /// The lines of `[timers]` in every file. Quorum clusters default to `stagger_ms = 300`:
    /// the priority order then holds on a loaded test machine (the default 50 ms can be lost
    /// to scheduling, and a lower-priority winner keeps the service).
    pub timers: String,
    children: Vec<Option<Child>>,
    scratch: Scratch,
}

impl Cluster {
    /// Writes every member's configuration: `extra` goes at the top level (after `name`),
    /// `tables` at the end (`[fence]`…; timers go in [`Cluster::timers`]).
    pub fn new(tag: &str, members: &[Member], extra: &str, tables: &str) -> Cluster {
        let scratch = Scratch::new(tag);
        let n = members.len();
        let peers: Vec<SocketAddr> = (0..n).map(|_| loopback(free_port())).collect();
        let status: Vec<SocketAddr> = (0..n).map(|_| loopback(free_port())).collect();
        let timers = if n >= 3 { "stagger_ms = 300\n" } else { "" };
        let c = Cluster {
            members: members.to_vec(),
            peers,
            status,
            timers: timers.to_owned(),
            children: (0..n).map(|_| None).collect(),
            scratch,
        };
        for i in 0..n {
            std::fs::create_dir_all(c.state_dir(i)).expect("state_dir");
            std::fs::write(c.config(i), c.config_text(i, extra, tables)).expect("config");
        }
        c
    }

    /// The configuration text of member `i`.
    pub fn config_text(&self, i: usize, extra: &str, tables: &str) -> String {
        let me = &self.members[i];
        let mut t = format!(
            "name = \"{}\"\nlog = \"info\"\nstate_dir = \"{}\"\n{extra}\n",
            me.name,
            self.state_dir(i).display()
        );
        for (j, m) in self.members.iter().enumerate() {
            t.push_str(&format!(
                "\n[[member]]\nname = \"{}\"\nid = \"{}\"\naddress = \"{}\"\n{}",
                m.name,
                j + 1,
                self.peers[j],
                if m.witness { "witness = true\n" } else { "" }
            ));
        }
        t.push_str(&format!("\n[timers]\n{}", self.timers));
        t.push_str(&format!("\n[listen]\nstatus = \"{}\"\n", self.status[i]));
        if !me.witness {
            let state = self.state_file(i);
            t.push_str(&format!(
                "\n[[component]]\nid = \"1001\"\nseverity = \"fatal\"\nactivate = \"echo active > \
                 {s}\"\ndeactivate = \"echo standby > {s}\"\ncheck = \"true\"\n",
                s = state.display()
            ));
        }
        t.push_str(tables);
        t
    }

    /// The scratch folder.
    pub fn dir(&self) -> &Path {
        &self.scratch.path
    }

    /// Member `i`'s configuration file.
    pub fn config(&self, i: usize) -> PathBuf {
        self.dir().join(format!("{}.toml", self.members[i].name))
    }

    /// Member `i`'s `state_dir`.
    pub fn state_dir(&self, i: usize) -> PathBuf {
        self.dir().join(format!("{}.state.d", self.members[i].name))
    }

    /// Member `i`'s log.
    pub fn log_path(&self, i: usize) -> PathBuf {
        self.dir().join(format!("{}.log", self.members[i].name))
    }

    /// Member `i`'s log so far.
    pub fn log(&self, i: usize) -> String {
        std::fs::read_to_string(self.log_path(i)).unwrap_or_default()
    }

    /// Member `i`'s script component's state file.
    pub fn state_file(&self, i: usize) -> PathBuf {
        self.dir()
            .join(format!("{}.component", self.members[i].name))
    }

    /// What member `i`'s component last wrote (`active`, `standby`, or "").
    pub fn component(&self, i: usize) -> String {
        std::fs::read_to_string(self.state_file(i))
            .unwrap_or_default()
            .trim()
            .to_owned()
    }

    /// Member `i`'s persisted grant (`state_dir/grant`): round and member name.
    pub fn grant_round(&self, i: usize) -> Option<(u32, String)> {
        let text = std::fs::read_to_string(self.state_dir(i).join("grant")).ok()?;
        let mut lines = text.lines().skip(1);
        let round = lines.next()?.strip_prefix("round ")?.parse().ok()?;
        let member = lines.next()?.strip_prefix("member ")?.to_owned();
        Some((round, member))
    }

    /// Starts member `i`: `baton node --config`, stderr appended to its log, in a process
    /// group of its own.
    pub fn start(&mut self, i: usize) {
        assert!(self.children[i].is_none(), "{} runs", self.members[i].name);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path(i))
            .expect("log");
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

    /// Writes every member's configuration again (after [`Cluster::timers`] changed), with
    /// `tables` at the end.
    pub fn rewrite(&self, tables: &str) {
        for i in 0..self.members.len() {
            std::fs::write(self.config(i), self.config_text(i, "", tables)).expect("config");
        }
    }

    /// Starts every member.
    pub fn start_all(&mut self) {
        for i in 0..self.members.len() {
            self.start(i);
        }
    }

    /// SIGKILL to member `i`'s process group (the node and its hooks), then reaps it.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.children[i].take() {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .stderr(Stdio::null())
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends `signal` (`HUP`, `TERM`…) to member `i`'s node process (its pid only).
    pub fn signal(&self, i: usize, signal: &str) {
        if let Some(child) = &self.children[i] {
            let _ = Command::new("kill")
                .args([&format!("-{signal}"), &child.id().to_string()])
                .status();
        }
    }

    /// Waits (up to `within`) for member `i` to exit on its own: its exit status.
    pub async fn exited(&mut self, i: usize, within: Duration) -> Option<i32> {
        let deadline = Instant::now() + within;
        loop {
            let child = self.children[i].as_mut()?;
            if let Ok(Some(status)) = child.try_wait() {
                self.children[i] = None;
                return Some(status.code().unwrap_or(-1));
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Member `i`'s state word and status document (`baton status --json`), if it answers.
    pub async fn status(&self, i: usize) -> Option<serde_json::Value> {
        status_json(self.status[i]).await.ok()
    }

    /// Every member's state word (`None`: no answer).
    pub async fn states(&self) -> Vec<Option<String>> {
        let mut all = Vec::new();
        for i in 0..self.members.len() {
            let doc = self.status(i).await;
            all.push(doc.and_then(|d| d["state"].as_str().map(str::to_owned)));
        }
        all
    }

    /// Waits until `pred` holds for the states (`within`), returning them; panics with the
    /// states and the logs' tails otherwise.
    pub async fn until_states(
        &self,
        within: Duration,
        what: &str,
        pred: impl Fn(&[Option<String>]) -> bool,
    ) -> Vec<Option<String>> {
        let deadline = Instant::now() + within;
        loop {
            let s = self.states().await;
            if pred(&s) {
                return s;
            }
            if Instant::now() > deadline {
                self.dump();
                panic!("not {what} after {within:?}: {s:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Prints every log's tail (a failed test).
    pub fn dump(&self) {
        for i in 0..self.members.len() {
            let log = self.log(i);
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("---- {} ----", self.members[i].name);
            for l in tail.iter().rev() {
                eprintln!("{l}");
            }
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.dump();
        }
        for i in 0..self.children.len() {
            self.kill(i);
        }
    }
}

fn loopback(port: u16) -> SocketAddr {
    ([127, 0, 0, 1], port).into()
}

/// `states` with exactly one `active`, which is member `i`, and every other answering member
/// `standby` (witnesses too).
pub fn only_active(states: &[Option<String>], i: usize, down: &[usize]) -> bool {
    states.iter().enumerate().all(|(j, s)| {
        if down.contains(&j) {
            true
        } else if j == i {
            s.as_deref() == Some("active")
        } else {
            s.as_deref() == Some("standby")
        }
    })
}

/// `baton ARGS…`: exit status, stdout and stderr.
pub fn baton(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BATON)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("baton runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
