//! Test support shared by the real-process tests (`processes.rs`, `hostile_input.rs`): a pair
//! of `baton node` processes with generated configurations on free loopback ports and a
//! scratch directory, status watchers, the `baton status --json` CLI, raw sockets that send
//! hostile bytes, and the node logs.
//!
//! The approach is `baton demo`'s (node/src/demo.rs): real processes, real sockets, the real
//! clock. Every wait has a deadline; every process is killed and reaped on drop, also when a
//! test panics (the logs' tails are printed then).
#![allow(dead_code)] // each test file uses a part of it

pub mod etcd;

use baton_codec::{AnyMessage, Encoding, FrameCodec};
use baton_status::{PeerState, ServiceStatus, State};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The `baton` binary under test.
pub const BATON: &str = env!("CARGO_BIN_EXE_baton");
/// Member names, highest priority first.
pub const NAMES: [&str; 2] = ["alpha", "beta"];
/// Member ids.
pub const IDS: [&str; 2] = ["1", "2"];
/// The script component every node has.
pub const COMPONENT: &str = "1001";

/// A runtime for one test (the nodes are other processes; one thread is enough).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A free loopback port for a node to bind ([`baton_node::loopback::free_port`]).
pub fn free_port() -> u16 {
    baton_node::loopback::free_port().expect("a free loopback port")
}

fn loopback(port: u16) -> SocketAddr {
    ([127, 0, 0, 1], port).into()
}

/// A scratch directory under the system's temp dir, removed on drop (kept when
/// `BATON_TEST_KEEP` is set).
pub struct Scratch {
    /// Its path.
    pub path: PathBuf,
}

impl Scratch {
    /// A new, empty directory whose name says which test made it.
    pub fn new(tag: &str) -> Scratch {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        // Short: Unix socket paths live in here (108 bytes at most).
        let short: String = tag
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(12)
            .collect();
        let path = std::env::temp_dir().join(format!("bt-{}-{n}-{short}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a scratch directory");
        Scratch { path }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::env::var_os("BATON_TEST_KEEP").is_some() {
            eprintln!("kept {}", self.path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Everything about one member's node: its files and addresses.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Member name.
    pub name: &'static str,
    /// Member id.
    pub id: &'static str,
    /// Its configuration file.
    pub config: PathBuf,
    /// Its log (stderr, `RUST_LOG=info`; every incarnation appends).
    pub log: PathBuf,
    /// Peer listener.
    pub peer: SocketAddr,
    /// Status listener.
    pub status: SocketAddr,
    /// Component Unix socket.
    pub component_socket: PathBuf,
    /// Component TCP listener.
    pub component_tcp: SocketAddr,
    /// Control socket.
    pub control: PathBuf,
    /// The script component's state file: `active` or `standby`, written by its hooks.
    pub state_file: PathBuf,
    /// While this file exists, `activate` exits 1.
    pub fail_marker: PathBuf,
    /// Seconds `activate` sleeps before acting, read from this file when it exists.
    pub delay_file: PathBuf,
}

/// A pair of `baton node` processes (alpha outranks beta), each with one fatal script
/// component (id 1001) whose hooks write its state file. Killed and reaped on drop.
pub struct Pair {
    /// Both nodes' files and addresses.
    pub specs: [Spec; 2],
    children: [Option<Child>; 2],
    /// How many times each node was started.
    pub starts: [u32; 2],
    scratch: Scratch,
}

impl Pair {
    /// Configurations with the default timers (role timeout raised to 5 s so a slow
    /// `activate` is a slow promotion, not a failed one).
    pub fn new(tag: &str) -> Pair {
        Pair::with_timers(tag, "")
    }

    /// As [`Pair::new`], with more lines for the `[timers]` table.
    pub fn with_timers(tag: &str, timers: &str) -> Pair {
        let scratch = Scratch::new(tag);
        let d = scratch.path.clone();
        let peer = [free_port(), free_port()];
        let specs = [0, 1].map(|i| {
            let name = NAMES[i];
            Spec {
                name,
                id: IDS[i],
                config: d.join(format!("{name}.toml")),
                log: d.join(format!("{name}.log")),
                peer: loopback(peer[i]),
                status: loopback(free_port()),
                component_socket: d.join(format!("{name}.sock")),
                component_tcp: loopback(free_port()),
                control: d.join(format!("{name}.ctl")),
                state_file: d.join(format!("{name}.state")),
                fail_marker: d.join(format!("{name}.fail")),
                delay_file: d.join(format!("{name}.delay")),
            }
        });
        for s in &specs {
            let activate = format!(
                "d=$(cat {delay} 2>/dev/null); if [ -n \"$d\" ]; then sleep \"$d\"; fi; \
                 if [ -e {fail} ]; then echo \"activate refused: {fail} exists\" >&2; exit 1; fi; \
                 echo active > {state}",
                delay = s.delay_file.display(),
                fail = s.fail_marker.display(),
                state = s.state_file.display(),
            );
            let text = format!(
                r#"# generated by node/tests/support: member {name}
name = "{name}"
log = "info"

[[member]]
name = "alpha"
id = "1"
address = "{p0}"

[[member]]
name = "beta"
id = "2"
address = "{p1}"

[timers]
role_timeout_ms = 5000
{timers}

[listen]
component_socket = "{sock}"
component_tcp = "{ctcp}"
status = "{status}"
control_socket = "{ctl}"

[[component]]
id = "{COMPONENT}"
severity = "fatal"
activate = {activate:?}
deactivate = "echo standby > {state}"
check = "true"
"#,
                name = s.name,
                p0 = specs[0].peer,
                p1 = specs[1].peer,
                sock = s.component_socket.display(),
                ctcp = s.component_tcp,
                status = s.status,
                ctl = s.control.display(),
                state = s.state_file.display(),
            );
            std::fs::write(&s.config, text).expect("the configuration is written");
        }
        Pair {
            specs,
            children: [None, None],
            starts: [0, 0],
            scratch,
        }
    }

    /// The scratch directory.
    pub fn dir(&self) -> &Path {
        &self.scratch.path
    }

    /// Starts node `i` (`baton node --config`, stderr appended to its log), in its own process
    /// group so that killing it also kills the hooks it is running.
    pub fn start(&mut self, i: usize) {
        assert!(self.children[i].is_none(), "{} is running", NAMES[i]);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.specs[i].log)
            .expect("the log opens");
        let child = Command::new(BATON)
            .arg("node")
            .arg("--config")
            .arg(&self.specs[i].config)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("baton node starts");
        self.children[i] = Some(child);
        self.starts[i] += 1;
    }

    /// SIGKILL to node `i` and its hooks (its process group), then reaps it.
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

    /// The process id of node `i`, if it is running.
    pub fn pid(&self, i: usize) -> Option<u32> {
        self.children[i].as_ref().map(Child::id)
    }

    /// Whether node `i` is still running (it did not exit on its own).
    pub fn running(&mut self, i: usize) -> bool {
        match &mut self.children[i] {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// What node `i`'s script component last wrote: `active`, `standby`, or "" if nothing.
    pub fn component(&self, i: usize) -> String {
        std::fs::read_to_string(&self.specs[i].state_file)
            .unwrap_or_default()
            .trim()
            .to_owned()
    }

    /// Waits until node `i`'s component state is `want`.
    pub async fn component_becomes(&self, i: usize, want: &str, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            if self.component(i) == want {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{}'s component is {:?}, not {want:?}, after {within:?}",
                NAMES[i],
                self.component(i)
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// From now on, node `i`'s `activate` sleeps `seconds` first (`None`: no delay).
    pub fn set_activate_delay(&self, i: usize, seconds: Option<&str>) {
        match seconds {
            Some(s) => std::fs::write(&self.specs[i].delay_file, s).expect("delay file"),
            None => {
                let _ = std::fs::remove_file(&self.specs[i].delay_file);
            }
        }
    }

    /// From now on, node `i`'s `activate` exits 1 (until called with false).
    pub fn set_activate_fails(&self, i: usize, fails: bool) {
        if fails {
            std::fs::write(&self.specs[i].fail_marker, "").expect("marker file");
        } else {
            let _ = std::fs::remove_file(&self.specs[i].fail_marker);
        }
    }

    /// Node `i`'s whole log.
    pub fn log(&self, i: usize) -> String {
        std::fs::read_to_string(&self.specs[i].log).unwrap_or_default()
    }

    /// The length of node `i`'s log, to look only at what comes after.
    pub fn log_mark(&self, i: usize) -> usize {
        std::fs::metadata(&self.specs[i].log).map_or(0, |m| m.len() as usize)
    }

    /// Node `i`'s log lines written since `mark`.
    pub fn log_since(&self, i: usize, mark: usize) -> Vec<String> {
        let log = self.log(i);
        log.get(mark..)
            .unwrap_or("")
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Waits until a line written to node `i`'s log since `mark` contains every one of
    /// `needles`; returns it.
    pub async fn log_line(
        &self,
        i: usize,
        mark: usize,
        needles: &[&str],
        within: Duration,
    ) -> String {
        let deadline = Instant::now() + within;
        loop {
            if let Some(line) = self
                .log_since(i, mark)
                .into_iter()
                .find(|l| needles.iter().all(|n| l.contains(n)))
            {
                return line;
            }
            assert!(
                Instant::now() < deadline,
                "no line with {needles:?} in {}'s log within {within:?}; since the mark:\n{}",
                NAMES[i],
                self.log_since(i, mark).join("\n")
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        for i in 0..2 {
            self.kill(i);
        }
        if std::thread::panicking() {
            for (i, name) in NAMES.iter().enumerate() {
                let log = self.log(i);
                let lines: Vec<&str> = log.lines().collect();
                let from = lines.len().saturating_sub(60);
                eprintln!(
                    "---- {name} log (last {} lines; {} starts) ----\n{}",
                    lines.len() - from,
                    self.starts[i],
                    lines[from..].join("\n")
                );
            }
        }
    }
}

/// `baton status --json --address ADDR`: the JSON document, or the error line.
pub async fn status_json(address: SocketAddr) -> Result<serde_json::Value, String> {
    let child = tokio::process::Command::new(BATON)
        .args(["status", "--json", "--address", &address.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("baton status: {e}"))?;
    let out = tokio::time::timeout(Duration::from_secs(5), child.wait_with_output())
        .await
        .map_err(|_| "baton status did not end within 5 s".to_owned())?
        .map_err(|e| format!("baton status: {e}"))?;
    // The exit status says the state (0 active, 3 to 8 the others); 1 and 2 are failures.
    if !matches!(out.status.code(), Some(0 | 3..=8)) {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("not JSON: {e}"))
}

/// `baton status --json`'s `state` word for node at `address`.
pub async fn state_word(address: SocketAddr) -> String {
    let doc = status_json(address).await.expect("baton status answers");
    doc["state"].as_str().expect("a state word").to_owned()
}

use baton_node::watch::watch_with;
pub use baton_node::watch::Sample;

/// Follows both nodes' status listeners (getStatus, then every statusIndication), and
/// reconnects when a node goes away. Keeps the whole history of changes.
pub struct Watch {
    rx: mpsc::UnboundedReceiver<Sample>,
    /// The latest status of each node (None: unreachable).
    pub now: [Option<ServiceStatus>; 2],
    /// Every change seen, in the order received.
    pub history: Vec<Sample>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// When the watch started.
    pub t0: Instant,
}

impl Watch {
    /// Starts watching (inside the test's runtime).
    pub fn start(pair: &Pair) -> Watch {
        Watch::start_with(pair, None)
    }

    /// As [`Watch::start`], with TLS (a client's certificate) when given.
    pub fn start_with(pair: &Pair, tls: Option<baton_node::tls::TlsConfig>) -> Watch {
        let (tx, rx) = mpsc::unbounded_channel();
        let tasks = (0..2)
            .map(|i| tokio::spawn(watch_with(i, pair.specs[i].status, tls.clone(), tx.clone())))
            .collect();
        Watch {
            rx,
            now: [None, None],
            history: Vec::new(),
            tasks,
            t0: Instant::now(),
        }
    }

    fn apply(&mut self, s: Sample) {
        if self.now[s.node] != s.status {
            self.now[s.node] = s.status.clone();
            self.history.push(s);
        }
    }

    /// The state words now.
    pub fn words(&self) -> [Option<State>; 2] {
        [0, 1].map(|i| self.now[i].as_ref().map(|s| s.state))
    }

    /// Waits until `pred` holds of both nodes' latest statuses; returns when it first did.
    /// Panics with the history after `within`.
    pub async fn until(
        &mut self,
        what: &str,
        within: Duration,
        pred: impl Fn(&[Option<ServiceStatus>; 2]) -> bool,
    ) -> Instant {
        let deadline = Instant::now() + within;
        loop {
            if pred(&self.now) {
                return self.history.last().map_or(Instant::now(), |s| s.at);
            }
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(s)) => {
                    let at = s.at;
                    self.apply(s);
                    if pred(&self.now) {
                        return at;
                    }
                }
                Ok(None) => panic!("the status watchers stopped"),
                Err(_) => panic!(
                    "{what:?} did not happen within {within:?}; seen:\n{}",
                    self.render()
                ),
            }
        }
    }

    /// Keeps recording for `d` (to see that nothing changes, or what does).
    pub async fn record_for(&mut self, d: Duration) {
        let deadline = Instant::now() + d;
        while let Ok(Some(s)) = tokio::time::timeout_at(deadline, self.rx.recv()).await {
            self.apply(s);
        }
    }

    /// History entries after `since`.
    pub fn since(&self, since: Instant) -> impl Iterator<Item = &Sample> + '_ {
        self.history.iter().filter(move |s| s.at >= since)
    }

    /// The history, one line per change, with ms since the watch started.
    pub fn render(&self) -> String {
        self.history
            .iter()
            .map(|s| {
                format!(
                    "{:>8.1} ms  {:<5} {}",
                    s.at.duration_since(self.t0).as_secs_f64() * 1000.0,
                    NAMES[s.node],
                    s.status
                        .as_ref()
                        .map_or("(unreachable)".to_owned(), ToString::to_string)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Replays the history: panics if both nodes were ever seen `active`/`degraded` at once,
    /// or both claiming the service (`promoting`, `active`, `degraded`) for longer than
    /// `skew` (two sockets read by one watcher: their orders may differ by that much).
    pub fn assert_never_two_serving(&self, skew: Duration) {
        let serving = |s: &Option<ServiceStatus>| {
            matches!(
                s.as_ref().map(|s| s.state),
                Some(State::Active | State::Degraded)
            )
        };
        let claiming = |s: &Option<ServiceStatus>| {
            matches!(
                s.as_ref().map(|s| s.state),
                Some(State::Promoting | State::Active | State::Degraded)
            )
        };
        let mut now: [Option<ServiceStatus>; 2] = [None, None];
        let mut both_claiming_since: Option<Instant> = None;
        for s in &self.history {
            now[s.node] = s.status.clone();
            assert!(
                !(serving(&now[0]) && serving(&now[1])),
                "two active nodes at once; seen:\n{}",
                self.render()
            );
            if claiming(&now[0]) && claiming(&now[1]) {
                both_claiming_since.get_or_insert(s.at);
            } else if let Some(since) = both_claiming_since.take() {
                assert!(
                    s.at.duration_since(since) <= skew,
                    "both nodes claimed the service for {:?}; seen:\n{}",
                    s.at.duration_since(since),
                    self.render()
                );
            }
        }
        assert!(
            both_claiming_since.is_none(),
            "both nodes claim the service at the end; seen:\n{}",
            self.render()
        );
    }

    /// The longest time after `from` during which no node was seen `active`/`degraded`,
    /// up to the last change seen.
    pub fn longest_without_active(&self, from: Instant) -> Duration {
        let serving = |s: &Option<ServiceStatus>| {
            matches!(
                s.as_ref().map(|s| s.state),
                Some(State::Active | State::Degraded)
            )
        };
        let mut now: [Option<ServiceStatus>; 2] = [None, None];
        let mut gap_since: Option<Instant> = None;
        let mut longest = Duration::ZERO;
        for s in &self.history {
            now[s.node] = s.status.clone();
            if s.at < from {
                continue;
            }
            let any = serving(&now[0]) || serving(&now[1]);
            match (any, gap_since) {
                (false, None) => gap_since = Some(s.at),
                (true, Some(g)) => {
                    longest = longest.max(s.at.duration_since(g));
                    gap_since = None;
                }
                _ => {}
            }
        }
        if let Some(g) = gap_since {
            longest = longest.max(Instant::now().duration_since(g));
        }
        longest
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// The state word of a status, if any.
pub fn word(s: &Option<ServiceStatus>) -> Option<State> {
    s.as_ref().map(|s| s.state)
}

/// True if the status's word is `want`.
pub fn is(s: &Option<ServiceStatus>, want: State) -> bool {
    word(s) == Some(want)
}

/// What the node says of its peer.
pub fn peer_of(s: &Option<ServiceStatus>) -> Option<PeerState> {
    s.as_ref().and_then(|s| s.peer.as_ref()).map(|p| p.state)
}

/// One node active and the other standby, each seeing the other up in that state; returns
/// the active one.
pub fn settled(s: &[Option<ServiceStatus>; 2]) -> Option<usize> {
    (0..2).find(|&a| {
        let b = 1 - a;
        is(&s[a], State::Active)
            && is(&s[b], State::Standby)
            && peer_of(&s[a]) == Some(PeerState::Up(State::Standby))
            && peer_of(&s[b]) == Some(PeerState::Up(State::Active))
    })
}

/// A frame as the reference codec writes it: length, interface id, DER message.
pub fn frame(message: impl Into<AnyMessage>) -> Vec<u8> {
    let message = message.into();
    let body = message.encode(Encoding::Der).expect("a valid message");
    let mut out = Vec::with_capacity(5 + body.len());
    out.extend_from_slice(&(1 + body.len() as u32).to_be_bytes());
    out.push(message.interface() as u8);
    out.extend_from_slice(&body);
    out
}

/// How a raw connection ended.
#[derive(Debug)]
pub struct Ended {
    /// "eof" or the error (a reset when the node closed with our bytes unread).
    pub how: String,
    /// From the end of our write to the end of the link.
    pub after: Duration,
    /// Everything the node sent before.
    pub received: Vec<u8>,
}

/// Sends `bytes` on `stream` and reads until the node closes it. Panics if it is still
/// open after `within`.
pub async fn send_expect_close<S>(
    mut stream: S,
    bytes: &[u8],
    within: Duration,
    what: &str,
) -> Ended
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // The node may close before reading it all: a failed write is fine, the read says how.
    let _ = stream.write_all(bytes).await;
    let _ = stream.flush().await;
    let sent = Instant::now();
    let deadline = sent + within;
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) => {
                return Ended {
                    how: "eof".into(),
                    after: sent.elapsed(),
                    received,
                }
            }
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
            Ok(Err(e)) => {
                return Ended {
                    how: e.to_string(),
                    after: sent.elapsed(),
                    received,
                }
            }
            Err(_) => panic!("{what}: the link is still open {within:?} after the bytes were sent"),
        }
    }
}

/// Reads whole frames from `stream` until one satisfies `pred`; panics after `within` or if
/// the link closes first.
pub async fn read_until<S>(
    stream: &mut S,
    within: Duration,
    what: &str,
    mut pred: impl FnMut(&AnyMessage) -> bool,
) -> AnyMessage
where
    S: AsyncRead + Unpin,
{
    let deadline = Instant::now() + within;
    let mut codec = FrameCodec::new(Encoding::Der);
    let mut buf = bytes::BytesMut::new();
    loop {
        while let Some(m) = tokio_util::codec::Decoder::decode(&mut codec, &mut buf)
            .expect("the node's frames decode")
        {
            if pred(&m) {
                return m;
            }
        }
        let mut chunk = [0u8; 4096];
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Ok(Ok(0)) => panic!("{what}: the link closed"),
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Ok(Err(e)) => panic!("{what}: {e}"),
            Err(_) => panic!("{what}: nothing matching within {within:?}"),
        }
    }
}

/// Starts alpha alone (it promotes after `startup_wait`), then beta (vetoed into standby):
/// alpha active, beta standby, components agreeing. Deterministic, unlike a race of both.
pub async fn start_alpha_then_beta(pair: &mut Pair, watch: &mut Watch) {
    pair.start(0);
    watch
        .until("alpha active alone", Duration::from_secs(10), |s| {
            is(&s[0], State::Active)
        })
        .await;
    pair.start(1);
    watch
        .until("alpha active, beta standby", Duration::from_secs(10), |s| {
            settled(s) == Some(0)
        })
        .await;
    pair.component_becomes(0, "active", Duration::from_secs(5))
        .await;
    pair.component_becomes(1, "standby", Duration::from_secs(5))
        .await;
}

/// Adds `listen` to node `i`'s `[listen]` table, and `top` to its top-level keys.
pub fn configure(pair: &Pair, i: usize, top: &str, listen: &str) {
    let path = &pair.specs[i].config;
    let text = std::fs::read_to_string(path).expect("the configuration");
    let text = text
        .replacen("log = \"info\"\n", &format!("log = \"info\"\n{top}\n"), 1)
        .replacen("[listen]\n", &format!("[listen]\n{listen}\n"), 1);
    std::fs::write(path, text).expect("the configuration is written");
}

/// Gives both nodes a metrics listener (`listen.metrics`: metrics and the dashboard); their
/// addresses.
pub fn with_metrics(pair: &Pair) -> [SocketAddr; 2] {
    [0, 1].map(|i| {
        let address: SocketAddr = ([127, 0, 0, 1], free_port()).into();
        configure(pair, i, "", &format!("metrics = \"{address}\""));
        address
    })
}

/// `GET path` on a node's metrics listener, answered within `within`: the response head and
/// body.
pub async fn http_get(address: SocketAddr, path: &str, within: Duration) -> (String, String) {
    let mut s = tokio::net::TcpStream::connect(address)
        .await
        .expect("the metrics listener accepts");
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").as_bytes())
        .await
        .expect("the request is sent");
    let mut answer = String::new();
    tokio::time::timeout(within, s.read_to_string(&mut answer))
        .await
        .expect("an answer in time")
        .expect("the answer is read");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    (head.to_owned(), body.to_owned())
}

/// Makes sure `binary` is on the PATH, installing the Debian package `package` with apt-get
/// when it is missing (as the README's test command promises); panics with the reason when it
/// cannot (a test that needs it must fail, not skip).
pub fn ensure_debian_package(binary: &str, package: &str) {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let found = || {
        Command::new("sh")
            .args(["-c", &format!("command -v {binary}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if found() {
        return;
    }
    let install = |update: bool| {
        let script = if update {
            format!("apt-get update -q && apt-get install -y -q {package}")
        } else {
            format!("apt-get install -y -q {package}")
        };
        Command::new("sh")
            .args(["-c", &script])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .output()
    };
    eprintln!("{binary} is missing: installing the Debian package {package}");
    let first = install(false);
    if !found() {
        let second = install(true);
        assert!(
            found(),
            "{binary} is missing and `apt-get install {package}` did not install it \
             (run the tests as root on Debian, or install {package}): {first:?} {second:?}"
        );
    }
}
