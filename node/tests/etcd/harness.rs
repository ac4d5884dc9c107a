//! Members of an etcd-mode cluster (PROTOCOL 5.12) as real `baton node` processes, each with
//! one script component whose hooks write its state file and append
//! `<unix ns> <member> <active|standby>` to a journal shared by the cluster, from which
//! [`Members::dual_active`] counts the moments two components served at once. A member may
//! run in a network namespace of its own (a veth pair to the host), so that it can be cut
//! from etcd. Every process is killed by its pid and process group on drop; the namespaces
//! are deleted.

use crate::support::etcd::EtcdServer;
use crate::support::{free_port, status_json, Scratch, BATON};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::time::Instant;

/// The etcd lease TTL of the tests.
pub const TTL_MS: u64 = 2000;

/// A network namespace for one member: `etcd<tag>` with the veth pair
/// `et<tag>h` (host, 10.77.<n>.1) and `et<tag>n` (namespace, 10.77.<n>.2).
pub struct Netns {
    /// The namespace's name.
    pub name: String,
    host_if: String,
    /// The host side's address (etcd listens on it).
    pub host_ip: String,
    /// The member's address inside.
    pub ns_ip: String,
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("ip runs");
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Netns {
    /// Creates the namespace and its veth pair, both ends up.
    pub fn new(n: u8) -> Netns {
        let tag = format!("{}{n}", std::process::id() % 10_000);
        let name = format!("etcd{tag}");
        let host_if = format!("et{tag}h");
        let ns_if = format!("et{tag}n");
        let host_ip = format!("10.77.{n}.1");
        let ns_ip = format!("10.77.{n}.2");
        let _ = Command::new("ip").args(["netns", "del", &name]).output();
        ip(&["netns", "add", &name]);
        ip(&[
            "link", "add", &host_if, "type", "veth", "peer", "name", &ns_if,
        ]);
        ip(&["link", "set", &ns_if, "netns", &name]);
        ip(&["addr", "add", &format!("{host_ip}/24"), "dev", &host_if]);
        ip(&["link", "set", &host_if, "up"]);
        let inside = |args: &[&str]| {
            let mut all = vec!["netns", "exec", &name, "ip"];
            all.extend_from_slice(args);
            ip(&all);
        };
        inside(&["addr", "add", &format!("{ns_ip}/24"), "dev", &ns_if]);
        inside(&["link", "set", &ns_if, "up"]);
        inside(&["link", "set", "lo", "up"]);
        Netns {
            name,
            host_if,
            host_ip,
            ns_ip,
        }
    }

    /// Cuts (`false`) or restores (`true`) the link between the member and the host.
    pub fn link(&self, up: bool) {
        ip(&["link", "set", &self.host_if, if up { "up" } else { "down" }]);
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["link", "del", &self.host_if])
            .output();
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

/// The members of one cluster.
pub struct Members {
    /// Names, highest priority first.
    pub names: Vec<String>,
    /// Each member's status address.
    pub status: Vec<SocketAddr>,
    /// The namespace member `i` runs in, if any.
    pub netns: Vec<Option<Netns>>,
    children: Vec<Option<Child>>,
    /// Members killed by the test, and when (ns since the epoch): their components stop
    /// with their process group.
    killed: Vec<(String, u128)>,
    /// The scratch folder.
    pub dir: PathBuf,
    _scratch: Scratch,
}

/// Nanoseconds since the epoch: the clock the hooks stamp the journal with (`date +%s%N`).
#[allow(clippy::disallowed_methods, clippy::disallowed_types)] // compared with the journal
pub fn now_ns() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

impl Members {
    /// `n` members (`m0`, `m1`, …) with prefix `prefix` on `etcd`; member `i` in
    /// `netns[i]` when given (it reaches etcd on the namespace's host address). `extra`
    /// goes into `[etcd]`.
    pub fn new(
        tag: &str,
        n: usize,
        etcd: &EtcdServer,
        prefix: &str,
        netns: Vec<Option<Netns>>,
        extra: &str,
    ) -> Members {
        let scratch = Scratch::new(tag);
        let dir = scratch.path.clone();
        let names: Vec<String> = (0..n).map(|i| format!("m{i}")).collect();
        let mut netns = netns;
        netns.resize_with(n, || None);
        let host = |i: usize| -> String {
            netns[i]
                .as_ref()
                .map_or("127.0.0.1".to_owned(), |ns| ns.ns_ip.clone())
        };
        let peers: Vec<SocketAddr> = (0..n)
            .map(|i| {
                format!("{}:{}", host(i), free_port())
                    .parse()
                    .expect("addr")
            })
            .collect();
        let status: Vec<SocketAddr> = (0..n)
            .map(|i| {
                format!("{}:{}", host(i), free_port())
                    .parse()
                    .expect("addr")
            })
            .collect();
        let journal = dir.join("journal");
        for i in 0..n {
            let endpoint = netns[i]
                .as_ref()
                .map_or(etcd.url(), |ns| etcd.url_at(&ns.host_ip));
            let mut t = format!(
                "name = \"{}\"\nlog = \"info\"\nelection = \"etcd\"\n",
                names[i]
            );
            for (j, name) in names.iter().enumerate() {
                t.push_str(&format!(
                    "\n[[member]]\nname = \"{name}\"\nid = \"{}\"\naddress = \"{}\"\n",
                    j + 1,
                    peers[j]
                ));
            }
            let state = dir.join(format!("{}.component", names[i]));
            t.push_str(&format!(
                "\n[listen]\nstatus = \"{}\"\ncontrol_socket = \"{}\"\n",
                status[i],
                dir.join(format!("{}.ctl", names[i])).display()
            ));
            let hook = |word: &str| {
                format!(
                    "echo {word} > {s}; echo $(date +%s%N) {name} {word} >> {j}",
                    s = state.display(),
                    name = names[i],
                    j = journal.display()
                )
            };
            t.push_str(&format!(
                "\n[[component]]\nid = \"1001\"\nseverity = \"fatal\"\nactivate = \"{}\"\n\
                 deactivate = \"{}\"\ncheck = \"true\"\n",
                hook("active"),
                hook("standby")
            ));
            t.push_str(&format!(
                "\n[etcd]\nendpoints = [\"{endpoint}\"]\nprefix = \"{prefix}\"\nttl_ms = {TTL_MS}\n{extra}"
            ));
            std::fs::write(dir.join(format!("{}.toml", names[i])), t).expect("config");
        }
        Members {
            children: (0..n).map(|_| None).collect(),
            names,
            status,
            netns,
            killed: Vec::new(),
            dir,
            _scratch: scratch,
        }
    }

    /// Member `i`'s configuration file.
    pub fn config(&self, i: usize) -> PathBuf {
        self.dir.join(format!("{}.toml", self.names[i]))
    }

    /// Appends `text` to member `i`'s configuration file (a table of its own, `[tls]`).
    pub fn append(&self, i: usize, text: &str) {
        let path = self.config(i);
        let mut t = std::fs::read_to_string(&path).expect("config");
        t.push_str(text);
        std::fs::write(path, t).expect("config");
    }

    /// Waits until member `i`'s component last wrote `word` (`within`); panics with the logs.
    pub async fn until_component(&self, i: usize, word: &str, within: Duration) {
        let deadline = Instant::now() + within;
        while self.component(i) != word {
            if Instant::now() > deadline {
                self.dump();
                panic!("{}'s component not {word} after {within:?}", self.names[i]);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Member `i`'s log so far.
    pub fn log(&self, i: usize) -> String {
        std::fs::read_to_string(self.dir.join(format!("{}.log", self.names[i]))).unwrap_or_default()
    }

    /// Starts member `i` (in its namespace, if any), in a process group of its own.
    pub fn start(&mut self, i: usize) {
        assert!(self.children[i].is_none(), "{} runs", self.names[i]);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(format!("{}.log", self.names[i])))
            .expect("log");
        let mut cmd = match &self.netns[i] {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", &ns.name, BATON]);
                c
            }
            None => Command::new(BATON),
        };
        let child = cmd
            .arg("node")
            .arg("--config")
            .arg(self.config(i))
            .env(
                "RUST_LOG",
                "info,baton_node::driver=debug,baton_node::etcd=debug",
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("baton node starts");
        self.children[i] = Some(child);
    }

    /// Starts every member.
    pub fn start_all(&mut self) {
        for i in 0..self.names.len() {
            self.start(i);
        }
    }

    /// SIGKILL to member `i`'s process group (the node and its hooks), reaped; its
    /// component counts as stopped from now.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.children[i].take() {
            self.killed.push((self.names[i].clone(), now_ns()));
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .stderr(Stdio::null())
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends `signal` (`STOP`, `CONT`…) to member `i`'s node process only.
    pub fn signal(&self, i: usize, signal: &str) {
        if let Some(child) = &self.children[i] {
            let _ = Command::new("kill")
                .args([&format!("-{signal}"), &child.id().to_string()])
                .status();
        }
    }

    /// Every member's state word (`None`: no answer).
    pub async fn states(&self) -> Vec<Option<String>> {
        let mut all = Vec::new();
        for a in &self.status {
            let doc = status_json(*a).await.ok();
            all.push(doc.and_then(|d| d["state"].as_str().map(str::to_owned)));
        }
        all
    }

    /// Member `i`'s status document.
    pub async fn status_doc(&self, i: usize) -> Option<serde_json::Value> {
        status_json(self.status[i]).await.ok()
    }

    /// Waits until `pred` holds for the states (`within`); panics with them and the logs.
    pub async fn until(
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
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// What member `i`'s component last wrote.
    pub fn component(&self, i: usize) -> String {
        std::fs::read_to_string(self.dir.join(format!("{}.component", self.names[i])))
            .unwrap_or_default()
            .trim()
            .to_owned()
    }

    /// The journal: (ns since the epoch, member, serving), in time order, with each
    /// killed member's component stopping at its kill.
    pub fn journal(&self) -> Vec<(u128, String, bool)> {
        let text = std::fs::read_to_string(self.dir.join("journal")).unwrap_or_default();
        let mut all: Vec<(u128, String, bool)> = text
            .lines()
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                let t = w.next()?.parse().ok()?;
                let m = w.next()?.to_owned();
                Some((t, m, w.next()? == "active"))
            })
            .collect();
        all.extend(self.killed.iter().map(|(m, t)| (*t, m.clone(), false)));
        all.sort();
        all
    }

    /// Dual-active moments (as the cluster fault suite counts them, bench/suite
    /// `faults/track.rs`): a component starting to serve while another member's serves.
    pub fn dual_active(&self) -> Vec<String> {
        let mut serving: Vec<String> = Vec::new();
        let mut moments = Vec::new();
        for (t, m, active) in self.journal() {
            if active {
                if serving.iter().any(|s| *s != m) {
                    moments.push(format!("{t}: {m} active while {serving:?} serve"));
                }
                if !serving.contains(&m) {
                    serving.push(m);
                }
            } else {
                serving.retain(|s| *s != m);
            }
        }
        moments
    }

    /// When member `m` last became active (ns since the epoch), per the journal.
    pub fn activated(&self, m: usize) -> Option<u128> {
        self.journal()
            .into_iter()
            .filter(|(_, name, a)| *a && *name == self.names[m])
            .map(|(t, _, _)| t)
            .next_back()
    }

    /// Prints every log's tail.
    pub fn dump(&self) {
        for i in 0..self.names.len() {
            let log = self.log(i);
            let tail: Vec<&str> = log.lines().rev().take(30).collect();
            eprintln!("---- {} ----", self.names[i]);
            for l in tail.iter().rev() {
                eprintln!("{l}");
            }
        }
        eprintln!("---- journal ----\n{:?}", self.journal());
    }
}

impl Drop for Members {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.dump();
        }
        for i in 0..self.children.len() {
            self.kill(i);
        }
    }
}

/// Exactly one `active`, member `i`, and every other answering member `standby`; members
/// in `down` are not looked at.
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
