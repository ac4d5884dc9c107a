//! The process harness: a pair of `baton node` processes on loopback, each with two linked
//! components hosted in this process, and a status watcher on each node.
//!
//! Everything the harness sees becomes a [`Record`] on one channel, stamped with one
//! monotonic clock (tokio's `Instant`). The components accept every role request; an
//! instance serves from the moment it receives `setRole(active)` until it receives
//! `setRole(standby)` or stands down by itself (watchdog), as the [`Tracker`] follows.
//!
//! Every process started here (the nodes, the signal helper) is killed and reaped when the
//! [`Pair`] is dropped, whatever happened; a stopped node gets `SIGCONT` first.

use super::track::{Overlaps, Tracker};
use baton_component::{
    Backoff, Component, ComponentOptions, Endpoint, Event, Events, Role, WatchdogReason,
};
use baton_node::tls::{TlsConfig, TlsFiles};
use baton_node::watch::{watch_with, Sample};
use baton_status::{ServiceStatus, State};
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio::time::Instant;

/// Member names, highest priority first; a node's index is its position here.
pub const NAMES: [&str; 2] = ["alpha", "beta"];
/// The linked components of each node (the services).
pub const COMPONENTS: [&str; 2] = ["1001", "1002"];

/// What the harness saw.
#[derive(Debug, Clone)]
#[allow(dead_code)] // some fields are only read through `Debug`, in the `--keep` trace
pub enum What {
    /// The node's status watcher: a status, or `None` when the node could not be reached.
    Status(Option<ServiceStatus>),
    /// Component `comp` received `setRole(role)`.
    Requested {
        /// Component index.
        comp: usize,
        /// The role asked for.
        role: Role,
    },
    /// Component `comp` accepted `setRole(role)` (the accept returned).
    Confirmed {
        /// Component index.
        comp: usize,
        /// The role taken.
        role: Role,
    },
    /// Component `comp` could not answer a request (withdrawn or replaced meanwhile).
    NotConfirmed {
        /// Component index.
        comp: usize,
        /// The role that was asked for.
        role: Role,
    },
    /// Component `comp` stopped serving (standby request, watchdog, withdrawn promotion).
    StoodDown {
        /// Component index.
        comp: usize,
    },
    /// Component `comp`'s watchdog demoted it.
    SelfDemoted {
        /// Component index.
        comp: usize,
        /// `true`: the node was silent for the watchdog's interval; `false`: its link closed.
        silent: bool,
    },
    /// Component `comp` registered with its node.
    Connected {
        /// Component index.
        comp: usize,
    },
    /// Component `comp`'s node link went down.
    Disconnected {
        /// Component index.
        comp: usize,
    },
}

/// One observation: `what` happened on node `node` at `at`.
#[derive(Debug, Clone)]
pub struct Record {
    /// When the harness saw it.
    pub at: Instant,
    /// Which node (index into [`NAMES`]).
    pub node: usize,
    /// What.
    pub what: What,
}

/// What the component tasks share: the tracker and the record channel, under one lock so
/// that the order of the records is the order of their times.
struct Shared {
    origin: Instant,
    tracker: Mutex<Tracker>,
    tx: mpsc::UnboundedSender<Record>,
}

impl Shared {
    fn note(&self, node: usize, what: What) {
        let _guard = self.tracker.lock();
        let _ = self.tx.send(Record {
            at: Instant::now(),
            node,
            what,
        });
    }

    /// `comp` on `node` starts serving; `what` is recorded at the same instant.
    fn start(&self, node: usize, comp: usize, what: What) {
        let mut tracker = self.tracker.lock().unwrap_or_else(|p| p.into_inner());
        let at = Instant::now();
        tracker.start(comp, node, at.saturating_duration_since(self.origin));
        let _ = self.tx.send(Record { at, node, what });
    }

    /// `comp` on `node` stops serving (if it did); recorded as [`What::StoodDown`].
    fn stop(&self, node: usize, comp: usize) {
        let mut tracker = self.tracker.lock().unwrap_or_else(|p| p.into_inner());
        let at = Instant::now();
        if tracker.stop(comp, node, at.saturating_duration_since(self.origin)) {
            let _ = self.tx.send(Record {
                at,
                node,
                what: What::StoodDown { comp },
            });
        }
    }
}

/// The application side of one component instance: accepts every request and records it.
async fn serve(
    node: usize,
    comp: usize,
    component: Component,
    mut events: Events,
    shared: Arc<Shared>,
) {
    while let Some(event) = events.recv().await {
        match event {
            Event::RoleRequest(request) => {
                let role = request.role();
                match role {
                    Role::Active => shared.start(node, comp, What::Requested { comp, role }),
                    Role::Standby => {
                        shared.note(node, What::Requested { comp, role });
                        shared.stop(node, comp);
                    }
                }
                match request.accept().await {
                    Ok(()) => shared.note(node, What::Confirmed { comp, role }),
                    Err(_) => {
                        shared.note(node, What::NotConfirmed { comp, role });
                        if component.role() != Some(Role::Active) {
                            shared.stop(node, comp);
                        }
                    }
                }
            }
            Event::RequestWithdrawn { role: Role::Active }
                if component.role() != Some(Role::Active) =>
            {
                shared.stop(node, comp);
            }
            Event::SelfDemoted { reason } => {
                let silent = reason == WatchdogReason::Silent;
                shared.note(node, What::SelfDemoted { comp, silent });
                shared.stop(node, comp);
            }
            Event::RoleChanged {
                to: Role::Standby, ..
            } => shared.stop(node, comp),
            Event::Connected { .. } => shared.note(node, What::Connected { comp }),
            Event::Disconnected { .. } => shared.note(node, What::Disconnected { comp }),
            _ => {}
        }
    }
}

/// The components' watchdog at heartbeat `heartbeat` (dead interval three heartbeats): the
/// longest PROTOCOL 6.3 allows with no stall grace, `W + 2 ms <= D - H`.
pub fn watchdog(heartbeat: Duration) -> Duration {
    (2 * heartbeat).saturating_sub(Duration::from_millis(2))
}

fn free_port() -> Result<u16, String> {
    baton_node::loopback::free_port().map_err(|e| format!("no free loopback port: {e}"))
}

fn write_configs(
    dir: &Path,
    heartbeat_ms: u64,
    log: &str,
    peer: [u16; 2],
    status: [u16; 2],
    certs: Option<&Path>,
    realtime: bool,
) -> Result<(), String> {
    for (i, name) in NAMES.iter().enumerate() {
        let d = dir.display();
        let mut text = format!(
            r#"# baton-bench: member {name}
name = "{name}"
log = "{log}"
realtime = {realtime}

[[member]]
name = "alpha"
id = "1"
address = "127.0.0.1:{p0}"

[[member]]
name = "beta"
id = "2"
address = "127.0.0.1:{p1}"

[timers]
heartbeat_ms = {heartbeat_ms}

[listen]
component_socket = "{d}/{name}.sock"
status = "127.0.0.1:{s}"
control_socket = "{d}/{name}.ctl"
"#,
            p0 = peer[0],
            p1 = peer[1],
            s = status[i],
        );
        if let Some(c) = certs {
            let c = c.display();
            text += &format!(
                "\n[tls]\nca = \"{c}/ca.pem\"\ncert = \"{c}/{name}.pem\"\nkey = \"{c}/{name}.key\"\n"
            );
        }
        for id in COMPONENTS {
            text += &format!("\n[[component]]\nid = \"{id}\"\nseverity = \"fatal\"\n");
        }
        let path = dir.join(format!("{name}.toml"));
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// A node process and whether it is stopped (`SIGSTOP`).
struct Node {
    child: Child,
    stopped: bool,
}

/// A long-lived `sh` that sends signals with its `kill` builtin: no process start between
/// the harness's clock reading and the signal.
struct Signaller {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Signaller {
    fn start() -> Result<Signaller, String> {
        let mut child = Command::new("sh")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start sh (signals): {e}"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("sh (signals) has no pipes".into());
        };
        Ok(Signaller {
            child,
            stdin,
            stdout: BufReader::new(stdout),
        })
    }

    /// Sends `SIG<signal>` to `pid` and waits for the builtin to have done it.
    fn send(&mut self, signal: &str, pid: u32) -> Result<(), String> {
        writeln!(
            self.stdin,
            "if kill -{signal} {pid}; then echo ok; else echo failed; fi"
        )
        .and_then(|()| self.stdin.flush())
        .map_err(|e| format!("sh (signals): {e}"))?;
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .map_err(|e| format!("sh (signals): {e}"))?;
        match line.trim() {
            "ok" => Ok(()),
            "" => Err("sh (signals) exited".into()),
            _ => Err(format!("kill -{signal} {pid} failed")),
        }
    }
}

impl Drop for Signaller {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The node processes; killed (stopped ones continued first) and reaped on drop.
struct Procs {
    dir: PathBuf,
    baton: PathBuf,
    nodes: [Option<Node>; 2],
    /// Killed, not yet reaped.
    dead: Vec<Child>,
    signaller: Option<Signaller>,
}

impl Procs {
    fn spawn(&mut self, i: usize) -> Result<(), String> {
        if self.nodes[i].is_some() {
            return Err(format!("{} is already running", NAMES[i]));
        }
        let log_path = self.dir.join(format!("{}.log", NAMES[i]));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| format!("cannot open {}: {e}", log_path.display()))?;
        let child = Command::new(&self.baton)
            .arg("node")
            .arg("--config")
            .arg(self.dir.join(format!("{}.toml", NAMES[i])))
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.baton.display()))?;
        self.nodes[i] = Some(Node {
            child,
            stopped: false,
        });
        Ok(())
    }

    fn signal(&mut self, signal: &str, pid: u32) -> Result<(), String> {
        if let Some(s) = self.signaller.as_mut() {
            match s.send(signal, pid) {
                Ok(()) => return Ok(()),
                Err(e) => {
                    crate::progress("failover", format!("signal helper: {e}; using kill(1)"));
                    self.signaller = None;
                }
            }
        }
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.to_string())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run kill: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("kill -{signal} {pid} failed"))
        }
    }

    /// SIGKILL (SIGCONT first if stopped); the child is reaped later. The time is read just
    /// before the signal.
    fn kill(&mut self, i: usize) -> Option<Instant> {
        let mut node = self.nodes[i].take()?;
        if node.stopped {
            let _ = self.signal("CONT", node.child.id());
        }
        let t0 = Instant::now();
        let _ = node.child.kill();
        self.dead.push(node.child);
        Some(t0)
    }

    fn reap(&mut self) {
        self.dead
            .retain_mut(|c| !matches!(c.try_wait(), Ok(Some(_)) | Err(_)));
    }

    fn pid(&self, i: usize) -> Option<u32> {
        self.nodes[i].as_ref().map(|n| n.child.id())
    }

    /// Whether node `i` runs (has not exited by itself).
    fn running(&mut self, i: usize) -> bool {
        match self.nodes[i].as_mut() {
            Some(n) => matches!(n.child.try_wait(), Ok(None)),
            None => false,
        }
    }
}

impl Drop for Procs {
    fn drop(&mut self) {
        for i in 0..2 {
            let _ = self.kill(i);
        }
        for mut c in self.dead.drain(..) {
            let _ = c.kill();
            let _ = c.wait();
        }
        self.signaller = None;
    }
}

/// A pair of `baton node` processes with two linked components each, and status watchers.
pub struct Pair {
    /// Heartbeat interval of both nodes.
    pub heartbeat: Duration,
    dir: PathBuf,
    keep: bool,
    procs: Procs,
    /// `comps[node][comp]`: the component handles.
    comps: Vec<Vec<Component>>,
    tasks: Vec<AbortHandle>,
    rx: mpsc::UnboundedReceiver<Record>,
    shared: Arc<Shared>,
    /// The latest status each watcher received (`None`: unreachable or not yet heard).
    pub status: [Option<ServiceStatus>; 2],
    /// With `--keep`: every record, one a line, in `records.log`.
    trace: Option<std::io::BufWriter<std::fs::File>>,
}

impl Drop for Pair {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        if let Some(mut trace) = self.trace.take() {
            let _ = trace.flush();
        }
        // The processes go with `procs`; the folder after them.
        for i in 0..2 {
            let _ = self.procs.kill(i);
        }
        for mut c in self.procs.dead.drain(..) {
            let _ = c.kill();
            let _ = c.wait();
        }
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

impl Pair {
    /// Writes the configurations into `dir` (created), starts both nodes, their components
    /// and the watchers. Returns at once; [`Pair::settle`] waits for the election.
    ///
    /// With `certs` (a folder made by `baton certs`: `ca.pem`, one `NAME.pem`/`NAME.key` per
    /// member and the client `bench.pem`/`bench.key`), both members' files get `[tls]` and
    /// the watchers connect with the client's certificate. With `realtime`, both nodes run
    /// with `realtime = true` (locked memory, SCHED_FIFO: OPERATIONS "Real-time scheduling").
    #[allow(clippy::too_many_arguments)]
    pub async fn start(
        dir: PathBuf,
        baton: PathBuf,
        certs: Option<&Path>,
        heartbeat_ms: u64,
        log: &str,
        keep: bool,
        realtime: bool,
    ) -> Result<Pair, String> {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let heartbeat = Duration::from_millis(heartbeat_ms);
        let peer = [free_port()?, free_port()?];
        let status_ports = [free_port()?, free_port()?];
        write_configs(&dir, heartbeat_ms, log, peer, status_ports, certs, realtime)?;
        let client_tls = match certs {
            Some(c) => Some(
                TlsConfig::load(&TlsFiles {
                    ca: c.join("ca.pem"),
                    cert: c.join("bench.pem"),
                    key: c.join("bench.key"),
                })
                .map_err(|e| format!("the watchers' client certificate: {e}"))?,
            ),
            None => None,
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            origin: Instant::now(),
            tracker: Mutex::new(Tracker::new(COMPONENTS.len())),
            tx: tx.clone(),
        });
        let mut pair = Pair {
            heartbeat,
            dir: dir.clone(),
            keep,
            procs: Procs {
                dir: dir.clone(),
                baton,
                nodes: [None, None],
                dead: Vec::new(),
                signaller: Signaller::start().ok(),
            },
            comps: Vec::new(),
            tasks: Vec::new(),
            rx,
            shared: shared.clone(),
            status: [None, None],
            trace: None,
        };
        if keep {
            let path = dir.join("records.log");
            let file = std::fs::File::create(&path)
                .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
            pair.trace = Some(std::io::BufWriter::new(file));
        }
        pair.procs.spawn(0)?;
        pair.procs.spawn(1)?;

        // The watchers, their samples forwarded as records.
        let (wtx, mut wrx) = mpsc::unbounded_channel::<Sample>();
        for (i, port) in status_ports.iter().enumerate() {
            let addr: SocketAddr = ([127, 0, 0, 1], *port).into();
            pair.tasks.push(
                tokio::spawn(watch_with(i, addr, client_tls.clone(), wtx.clone())).abort_handle(),
            );
        }
        drop(wtx);
        let forward = tx;
        pair.tasks.push(
            tokio::spawn(async move {
                while let Some(s) = wrx.recv().await {
                    let record = Record {
                        at: s.at,
                        node: s.node,
                        what: What::Status(s.status),
                    };
                    if forward.send(record).is_err() {
                        return;
                    }
                }
            })
            .abort_handle(),
        );

        // The components: the watchdog at the longest the rule of PROTOCOL 6.3 allows with no
        // stall grace: the peer's dead interval (three heartbeats) minus one heartbeat minus a
        // 2 ms margin.
        for (node, name) in NAMES.iter().enumerate() {
            let mut handles = Vec::new();
            for (comp, id) in COMPONENTS.iter().enumerate() {
                let mut options = ComponentOptions::new(*id);
                options.dead_interval = watchdog(heartbeat);
                options.reconnect = Backoff {
                    initial: Duration::from_millis(10),
                    max: Duration::from_millis(100),
                };
                let endpoint = Endpoint::Unix(dir.join(format!("{name}.sock")));
                let (component, events) = Component::connect(endpoint, options)
                    .await
                    .map_err(|e| format!("component {id} of {name}: {e}"))?;
                let task =
                    tokio::spawn(serve(node, comp, component.clone(), events, shared.clone()));
                pair.tasks.push(task.abort_handle());
                handles.push(component);
            }
            pair.comps.push(handles);
        }
        Ok(pair)
    }

    /// The working folder (configurations, logs, sockets).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The next record, or `None` at `until`. Keeps [`Pair::status`] up to date.
    pub async fn next(&mut self, until: Instant) -> Option<Record> {
        let record = tokio::time::timeout_at(until, self.rx.recv())
            .await
            .ok()
            .flatten()?;
        if let What::Status(s) = &record.what {
            self.status[record.node] = s.clone();
        }
        if let Some(trace) = self.trace.as_mut() {
            let at = record.at.saturating_duration_since(self.shared.origin);
            let name = NAMES.get(record.node).unwrap_or(&"?");
            if writeln!(
                trace,
                "{:.3} {name} {:?}",
                at.as_secs_f64() * 1000.0,
                record.what
            )
            .is_err()
            {
                self.trace = None;
            }
        }
        Some(record)
    }

    /// Writes `text` into the `--keep` trace, stamped with `at`.
    pub fn mark(&mut self, at: Instant, text: &str) {
        if let Some(trace) = self.trace.as_mut() {
            let at = at.saturating_duration_since(self.shared.origin);
            if writeln!(trace, "{:.3} --- {text}", at.as_secs_f64() * 1000.0).is_err() {
                self.trace = None;
            }
        }
    }

    /// Reads records until `until`, discarding them.
    pub async fn drain_until(&mut self, until: Instant) {
        while self.next(until).await.is_some() {}
    }

    /// The node state node `i`'s watcher last reported.
    pub fn state(&self, i: usize) -> Option<State> {
        self.status[i].as_ref().map(|s| s.state)
    }

    fn serving(&self, node: usize, comp: usize) -> bool {
        self.shared
            .tracker
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_serving(comp, node)
    }

    /// Whether `a` is Active with every component serving and confirmed, and the other
    /// node Standby with every component registered and none serving.
    fn settled_with(&self, a: usize) -> bool {
        let s = 1 - a;
        let full = Some((COMPONENTS.len() as u32, COMPONENTS.len() as u32));
        let status_ok = self.status[a]
            .as_ref()
            .is_some_and(|st| st.state == State::Active && st.components == full)
            && self.status[s]
                .as_ref()
                .is_some_and(|st| st.state == State::Standby && st.components == full);
        status_ok
            && (0..COMPONENTS.len()).all(|c| {
                let on_a = self.comps[a][c].state();
                let on_s = self.comps[s][c].state();
                on_a.connected
                    && on_a.role == Some(Role::Active)
                    && self.serving(a, c)
                    && on_s.connected
                    && on_s.role != Some(Role::Active)
                    && !self.serving(s, c)
            })
    }

    /// The active node if the pair is settled.
    pub fn settled(&self) -> Option<usize> {
        (0..2).find(|&a| self.settled_with(a))
    }

    /// Whether both watchers last reported an active (or degraded) node.
    pub fn both_active(&self) -> bool {
        (0..2).all(|i| matches!(self.state(i), Some(State::Active | State::Degraded)))
    }

    /// Waits until the pair is settled, then for two more heartbeats (at least 20 ms) and
    /// checks it still is. Returns the active node.
    pub async fn settle(&mut self, timeout: Duration) -> Result<usize, String> {
        let deadline = Instant::now() + timeout;
        let quiet = (2 * self.heartbeat).max(Duration::from_millis(20));
        loop {
            if let Some(a) = self.settled() {
                let until = (Instant::now() + quiet).min(deadline);
                self.drain_until(until).await;
                if self.settled() == Some(a) {
                    return Ok(a);
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(format!(
                    "the pair did not settle within {timeout:?}: {}",
                    self.describe()
                ));
            }
            // Component state changes come with records; re-check every 20 ms anyway.
            let tick = (now + Duration::from_millis(20)).min(deadline);
            let _ = self.next(tick).await;
        }
    }

    /// The pair as the harness sees it, for error messages.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (i, name) in NAMES.iter().enumerate() {
            let st = match &self.status[i] {
                Some(s) => format!(
                    "{:?} components {:?}",
                    s.state,
                    s.components.unwrap_or((0, 0))
                ),
                None => "unreachable".into(),
            };
            let comps: Vec<String> = (0..COMPONENTS.len())
                .map(|c| {
                    let s = self.comps[i][c].state();
                    format!(
                        "{}:{}{}{}",
                        COMPONENTS[c],
                        s.role.map_or("none", Role::name),
                        if s.connected { "" } else { "/down" },
                        if self.serving(i, c) { "/serving" } else { "" }
                    )
                })
                .collect();
            let alive = if self.procs.nodes[i].is_some() {
                ""
            } else {
                " (not running)"
            };
            parts.push(format!("{name}{alive}: {st}, {}", comps.join(" ")));
        }
        parts.join("; ")
    }

    /// The dual-active moments and overlap since the last take.
    pub fn take_overlaps(&self) -> Overlaps {
        let at = Instant::now().saturating_duration_since(self.shared.origin);
        self.shared
            .tracker
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take(at)
    }

    /// SIGKILL node `i`; the time just before the signal.
    pub fn kill(&mut self, i: usize) -> Result<Instant, String> {
        self.procs
            .kill(i)
            .ok_or_else(|| format!("{} is not running", NAMES[i]))
    }

    /// SIGSTOP node `i`; the time just before the signal.
    pub fn stop(&mut self, i: usize) -> Result<Instant, String> {
        let pid = self
            .procs
            .pid(i)
            .ok_or_else(|| format!("{} is not running", NAMES[i]))?;
        let t0 = Instant::now();
        self.procs.signal("STOP", pid)?;
        if let Some(n) = self.procs.nodes[i].as_mut() {
            n.stopped = true;
        }
        Ok(t0)
    }

    /// SIGCONT node `i`.
    pub fn resume(&mut self, i: usize) -> Result<(), String> {
        let pid = self
            .procs
            .pid(i)
            .ok_or_else(|| format!("{} is not running", NAMES[i]))?;
        self.procs.signal("CONT", pid)?;
        if let Some(n) = self.procs.nodes[i].as_mut() {
            n.stopped = false;
        }
        Ok(())
    }

    /// Starts node `i` again (after a kill).
    pub fn restart(&mut self, i: usize) -> Result<(), String> {
        self.procs.reap();
        self.procs.spawn(i)
    }

    /// Kills both nodes and starts them again.
    pub fn reset(&mut self) -> Result<(), String> {
        for i in 0..2 {
            let _ = self.procs.kill(i);
        }
        self.procs.reap();
        self.procs.spawn(0)?;
        self.procs.spawn(1)
    }

    /// Whether node `i` is running (was started and has not exited by itself).
    pub fn running(&mut self, i: usize) -> bool {
        self.procs.running(i)
    }

    /// Node `i`'s process id.
    pub fn pid(&self, i: usize) -> Option<u32> {
        self.procs.pid(i)
    }

    /// Sends `switchover` on node `i`'s control socket; the time just before connecting,
    /// or `None` when the node answers that it is not active (any other refusal is an
    /// error).
    pub async fn switchover(&mut self, i: usize) -> Result<Option<Instant>, String> {
        let path = self.dir.join(format!("{}.ctl", NAMES[i]));
        let t0 = Instant::now();
        let answer = crate::control::command(&path, "switchover").await?;
        if answer.starts_with("ok") {
            Ok(Some(t0))
        } else if answer.contains("needs an active node") {
            Ok(None)
        } else {
            Err(format!("switchover refused by {}: {answer}", NAMES[i]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::watchdog;
    use std::time::Duration;

    #[test]
    fn the_watchdog_keeps_the_margin_of_protocol_6_3() {
        for hb in [10u64, 100, 1000] {
            let h = Duration::from_millis(hb);
            let w = watchdog(h);
            assert!(w + Duration::from_millis(2) <= 3 * h - h, "{hb} ms");
            assert!(w > h, "{hb} ms: the watchdog must outlast a query interval");
        }
        assert_eq!(
            watchdog(Duration::from_millis(10)),
            Duration::from_millis(18)
        );
    }
}
