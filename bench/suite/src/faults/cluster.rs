//! One cluster of `baton node` processes in network namespaces ([`super::net`]): its
//! configuration files, the processes (`ip netns exec <ns> baton node --config …`, so the
//! child's pid is the node's), the pid files the fence command reads, signals by pid, and
//! what [`super::observe`] watches. Every process is killed and reaped on drop; the
//! namespaces go after them (with anything left inside, e.g. a guard).

use super::config::{self, Timers};
use super::net::Net;
use super::observe::{self, Markers, Record, Shared, What};
use super::Kind;
use baton_component::{Backoff, Component, ComponentOptions, Endpoint, Role};
use baton_node::watch::Sample;
use baton_status::{ServiceStatus, State};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio::time::Instant;

/// The peer port of every member (each in its own namespace).
pub const PEER_PORT: u16 = 7401;
/// The status port of every member (on its namespace's loopback).
pub const STATUS_PORT: u16 = 7421;

/// A running cluster.
pub struct Cluster {
    /// What kind.
    pub kind: Kind,
    /// Member names, priority order.
    pub names: Vec<&'static str>,
    /// Whether each member is a witness.
    pub witness: Vec<bool>,
    dir: PathBuf,
    baton: PathBuf,
    nodes: Vec<Option<Child>>,
    stopped: Vec<bool>,
    /// Members that exited by themselves while the cluster settled, since when.
    exited: Vec<Option<Instant>>,
    /// The latest status of each member (`None`: unreachable or not heard yet).
    pub status: Vec<Option<ServiceStatus>>,
    comps: Vec<Option<Component>>,
    tasks: Vec<AbortHandle>,
    rx: mpsc::UnboundedReceiver<Record>,
    /// The tracker.
    pub shared: Arc<Shared>,
    markers: Option<Markers>,
    /// The etcd of an etcd-mode cluster, in the hub namespace.
    etcd: Option<Child>,
    /// The namespaces (dropped after the processes).
    pub net: Net,
}

impl Cluster {
    /// Writes the files into `dir`, creates the namespaces, starts every member, its
    /// components and the watchers.
    pub async fn start(
        kind: Kind,
        dir: PathBuf,
        baton: PathBuf,
        ip: &Path,
        timers: Timers,
    ) -> Result<Cluster, String> {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("pids"))
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let members = kind.members();
        let n = members.len();
        let net = Net::create(ip, n)?;
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Shared::new(n, tx.clone());
        let mut c = Cluster {
            kind,
            names: members.iter().map(|m| m.0).collect(),
            witness: members.iter().map(|m| m.1).collect(),
            dir,
            baton,
            nodes: (0..n).map(|_| None).collect(),
            stopped: vec![false; n],
            exited: vec![None; n],
            status: vec![None; n],
            comps: vec![None; n],
            tasks: Vec::new(),
            rx,
            shared: shared.clone(),
            markers: None,
            etcd: None,
            net,
        };
        if kind == Kind::Etcd3 {
            c.etcd = Some(c.start_etcd().await?);
        }
        for i in 0..n {
            std::fs::create_dir_all(c.dir.join(format!("{}.state.d", c.names[i])))
                .map_err(|e| format!("state_dir: {e}"))?;
            let path = c.dir.join(format!("{}.toml", c.names[i]));
            std::fs::write(&path, c.config(i, timers))
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        for i in 0..n {
            c.spawn(i)?;
        }
        let (wtx, mut wrx) = mpsc::unbounded_channel::<Sample>();
        for i in 0..n {
            let addr = ([127, 0, 0, 1], STATUS_PORT).into();
            observe::status_thread(c.net.members[i].clone(), i, addr, wtx.clone())?;
        }
        drop(wtx);
        c.tasks.push(
            tokio::spawn(async move {
                while let Some(s) = wrx.recv().await {
                    let r = Record {
                        at: s.at,
                        member: s.node,
                        what: What::Status(s.status),
                    };
                    if tx.send(r).is_err() {
                        return;
                    }
                }
            })
            .abort_handle(),
        );
        let mut files = Vec::new();
        for i in c.serving() {
            files.push((i, c.marker(i)));
            let mut options = ComponentOptions::new("1001");
            options.dead_interval = timers.watchdog();
            options.reconnect = Backoff {
                initial: Duration::from_millis(10),
                max: Duration::from_millis(50),
            };
            let endpoint = Endpoint::Unix(c.dir.join(format!("{}.sock", c.names[i])));
            let (component, events) = Component::connect(endpoint, options)
                .await
                .map_err(|e| format!("component 1001 of {}: {e}", c.names[i]))?;
            let task = tokio::spawn(observe::serve(i, component.clone(), events, shared.clone()));
            c.tasks.push(task.abort_handle());
            c.comps[i] = Some(component);
        }
        c.markers = Some(Markers::start(files, shared));
        Ok(c)
    }

    /// The members that serve (not witnesses).
    pub fn serving(&self) -> Vec<usize> {
        (0..self.names.len())
            .filter(|&i| !self.witness[i])
            .collect()
    }

    /// The script component's marker file of member `i`.
    pub fn marker(&self, i: usize) -> PathBuf {
        self.dir.join(format!("{}.marker", self.names[i]))
    }

    /// The working folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn config(&self, i: usize, timers: Timers) -> String {
        let marker = self.marker(i);
        config::member(
            self.kind,
            &self.names,
            &self.witness,
            i,
            &self.dir,
            timers,
            &marker,
        )
    }

    /// Starts etcd in the hub namespace on the bridge's address, its data in the working
    /// folder, and waits (up to 20 s) for its log to say it serves clients.
    async fn start_etcd(&self) -> Result<Child, String> {
        let etcd = crate::keepalived::find_program("etcd")
            .ok_or("etcd not installed (Debian etcd-server; bench/suite.sh installs it)")?;
        let log_path = self.dir.join("etcd.log");
        let log = std::fs::File::create(&log_path)
            .map_err(|e| format!("cannot open {}: {e}", log_path.display()))?;
        let client = format!("http://{}:{}", super::net::ETCD_ADDR, config::ETCD_PORT);
        let peer = "http://127.0.0.1:2380";
        let child = Command::new(self.net.ip())
            .args(["netns", "exec", self.net.hub()])
            .arg(etcd)
            .args(["--name", "bench", "--data-dir"])
            .arg(self.dir.join("etcd.data"))
            .args([
                "--listen-client-urls",
                &client,
                "--advertise-client-urls",
                &client,
                "--listen-peer-urls",
                peer,
                "--initial-advertise-peer-urls",
                peer,
                "--initial-cluster",
                &format!("bench={peer}"),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start etcd: {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = std::fs::read_to_string(&log_path).unwrap_or_default();
            if text.contains("ready to serve client requests") {
                return Ok(child);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "etcd not ready within 20 s: {}",
                    log_path.display()
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn spawn(&mut self, i: usize) -> Result<(), String> {
        let name = self.names[i];
        let log_path = self.dir.join(format!("{name}.log"));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| format!("cannot open {}: {e}", log_path.display()))?;
        let child = Command::new(self.net.ip())
            .args(["netns", "exec", &self.net.members[i]])
            .arg(&self.baton)
            .arg("node")
            .arg("--config")
            .arg(self.dir.join(format!("{name}.toml")))
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        let pid_file = self.dir.join("pids").join(name);
        std::fs::write(&pid_file, child.id().to_string())
            .map_err(|e| format!("cannot write {}: {e}", pid_file.display()))?;
        self.nodes[i] = Some(child);
        self.stopped[i] = false;
        self.exited[i] = None;
        Ok(())
    }

    /// Member `i`'s pid while it runs (not reaped).
    pub fn pid(&self, i: usize) -> Option<i32> {
        self.nodes[i]
            .as_ref()
            .and_then(|c| i32::try_from(c.id()).ok())
    }

    /// SIGKILL to member `i` (its pid); the time just before. Reaped at once.
    pub fn kill(&mut self, i: usize) -> Result<Instant, String> {
        let pid = self.pid(i).ok_or("not running")?;
        let t0 = Instant::now();
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        if let Some(mut child) = self.nodes[i].take() {
            let _ = child.wait();
        }
        self.stopped[i] = false;
        Ok(t0)
    }

    /// `switchover` on member `i`'s control socket: the time just before connecting, and
    /// the node's answer.
    pub async fn switchover(&mut self, i: usize) -> Result<(Instant, String), String> {
        let path = self.dir.join(format!("{}.ctl", self.names[i]));
        let t0 = Instant::now();
        Ok((t0, crate::control::command(&path, "switchover").await?))
    }

    /// SIGSTOP (`stop`) or SIGCONT to member `i`.
    pub fn pause(&mut self, i: usize, stop: bool) -> Result<(), String> {
        let pid = self.pid(i).ok_or("not running")?;
        let sig = if stop {
            Signal::SIGSTOP
        } else {
            Signal::SIGCONT
        };
        kill(Pid::from_raw(pid), sig).map_err(|e| format!("kill({pid}, {sig}): {e}"))?;
        self.stopped[i] = stop;
        Ok(())
    }

    /// After a fault: continues stopped members, restarts those that are not running
    /// (killed by the harness or by a fence command). Returns the names restarted.
    pub fn revive(&mut self) -> Result<Vec<&'static str>, String> {
        let mut restarted = Vec::new();
        for i in 0..self.names.len() {
            if self.stopped[i] {
                let _ = self.pause(i, false);
            }
            let exited = match self.nodes[i].as_mut() {
                None => true,
                Some(c) => !matches!(c.try_wait(), Ok(None)),
            };
            if exited {
                if let Some(mut c) = self.nodes[i].take() {
                    let _ = c.wait();
                }
                self.spawn(i)?;
                restarted.push(self.names[i]);
            }
        }
        super::reap_adopted();
        Ok(restarted)
    }

    /// Kills every member and starts them all again.
    pub fn reset(&mut self) -> Result<(), String> {
        for i in 0..self.names.len() {
            if self.stopped[i] {
                let _ = self.pause(i, false);
            }
            let _ = self.kill(i);
        }
        if let Some(mut etcd) = self.etcd.take() {
            let _ = etcd.kill();
            let _ = etcd.wait();
        }
        super::reap_adopted();
        for i in 0..self.names.len() {
            self.spawn(i)?;
        }
        Ok(())
    }

    /// The next record, or `None` at `until`; keeps [`Cluster::status`] up to date.
    pub async fn next(&mut self, until: Instant) -> Option<Record> {
        let r = tokio::time::timeout_at(until, self.rx.recv())
            .await
            .ok()
            .flatten()?;
        if let What::Status(s) = &r.what {
            self.status[r.member] = s.clone();
        }
        Some(r)
    }

    /// Reads records until `until`.
    pub async fn drain_until(&mut self, until: Instant) {
        while self.next(until).await.is_some() {}
    }

    /// The member that serves if the cluster is settled: it is Active with every service
    /// serving, every other serving member Standby with its linked component registered and
    /// nothing serving, every witness answering, and every member seeing every other one on a
    /// live link (a fault must not start while a link is still being redialled).
    pub fn settled(&self) -> Option<usize> {
        let serving = self.serving();
        let active: Vec<usize> = serving
            .iter()
            .copied()
            .filter(|&i| self.state(i) == Some(State::Active))
            .collect();
        let &[a] = active.as_slice() else {
            return None;
        };
        let comp_ok = |i: usize, role: Option<Role>| {
            self.comps[i].as_ref().is_some_and(|c| {
                let s = c.state();
                s.connected && (s.role == role || (role.is_none() && s.role != Some(Role::Active)))
            })
        };
        let full = (0..observe::SERVICES).all(|s| self.shared.serving(a, s));
        let others = serving.iter().filter(|&&i| i != a).all(|&i| {
            self.state(i) == Some(State::Standby)
                && comp_ok(i, None)
                && (0..observe::SERVICES).all(|s| !self.shared.serving(i, s))
        });
        let witnesses = (0..self.names.len())
            .filter(|&i| self.witness[i])
            .all(|i| self.status[i].is_some());
        let linked = (0..self.names.len()).all(|i| self.links_up(i));
        (full && comp_ok(a, Some(Role::Active)) && others && witnesses && linked).then_some(a)
    }

    /// Whether member `i`'s last status shows every other member on a live link: no `down` in
    /// its `members=` word, nor a peer that is `down`.
    fn links_up(&self, i: usize) -> bool {
        let Some(s) = &self.status[i] else {
            return false;
        };
        let peer_down = s
            .peer
            .as_ref()
            .is_some_and(|p| p.state == baton_status::PeerState::Down);
        let member_down = s
            .extra
            .iter()
            .filter_map(|w| w.strip_prefix("members="))
            .flat_map(|list| list.split(','))
            .any(|m| m.ends_with(":down"));
        !peer_down && !member_down
    }

    fn state(&self, i: usize) -> Option<State> {
        self.status[i].as_ref().map(|s| s.state)
    }

    /// Waits until settled and still settled `quiet` later; the active member.
    pub async fn settle(&mut self, timeout: Duration, quiet: Duration) -> Result<usize, String> {
        let deadline = Instant::now() + timeout;
        loop {
            // A member that exited meanwhile (a fence command killed it) is started again a
            // second later, as systemd's `Restart=always` with OPERATIONS' `RestartSec=1`.
            for i in 0..self.names.len() {
                if let Some(Ok(Some(status))) = self.nodes[i].as_mut().map(Child::try_wait) {
                    let name = self.names[i];
                    crate::progress(
                        "faults",
                        format!("{name} exited ({status}): restart in 1 s"),
                    );
                    self.nodes[i] = None;
                    self.exited[i] = Some(Instant::now());
                }
                if self.exited[i].is_some_and(|at| at.elapsed() >= Duration::from_secs(1)) {
                    self.spawn(i)?;
                }
            }
            if let Some(a) = self.settled() {
                self.drain_until((Instant::now() + quiet).min(deadline))
                    .await;
                if self.settled() == Some(a) {
                    return Ok(a);
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(format!(
                    "not settled within {timeout:?}: {}",
                    self.describe()
                ));
            }
            let _ = self
                .next((now + Duration::from_millis(20)).min(deadline))
                .await;
        }
    }

    /// Every member as the harness sees it.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (i, name) in self.names.iter().enumerate() {
            let st = self.status[i]
                .as_ref()
                .map_or("unreachable".into(), |s| s.to_string());
            let svc: Vec<&str> = (0..observe::SERVICES)
                .map(|s| if self.shared.serving(i, s) { "S" } else { "-" })
                .collect();
            let run = if self.nodes[i].is_some() {
                ""
            } else {
                " (not running)"
            };
            parts.push(format!("{name}{run}: {st} [{}]", svc.concat()));
        }
        parts.join("; ")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        self.markers = None;
        for i in 0..self.names.len() {
            if self.stopped[i] {
                let _ = self.pause(i, false);
            }
            let _ = self.kill(i);
        }
        super::reap_adopted();
    }
}
