//! The tokio driver of `baton node`: a thin layer around the pure [`Node`] (quinn's driver
//! around quinn-proto is the model). One task owns the node and writes every frame itself;
//! every link has a reader task, and a flush task only while its socket is full ([`link`]);
//! listeners ([`listen`]) and the dialer ([`dial`]) hand it connections; the node's timers
//! become one `sleep_until`.
//!
//! Its TCP goes through a [`Net`]: [`run`] uses the operating system's ([`TokioNet`]) and
//! signals; [`run_with`] takes any network (a simulated one in `node/tests/turmoil.rs`), a
//! channel of [`Request`]s in place of signals, and reports the node's role on a watch.
//!
//! This is the only place that reads the clock, through `tokio::time` only
//! (so simulated time works): `now()` is the time since the driver started, as a
//! [`baton_core::Instant`].

mod control;
mod dial;
mod hooks;
mod link;
mod listen;
mod net;

pub use net::{Io, Listener, Net, TokioNet};

use crate::config::Config;
use baton_codec::AnyMessage;
use baton_core::LinkId;
use baton_election::NodeRole;
use baton_engine::{Change, Event, LinkKind, Node};
use baton_monitor::LinkOrigin;
use dial::Dial;
use link::LinkHandle;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::AbortHandle;
use tokio::time::Instant;
use tracing::{debug, info, warn};

/// Inputs handled one after another, once the inbox woke the driver, before it looks at its
/// timers, dials and signals again.
const INPUT_BATCH: usize = 64;

/// The least lateness of a timer wake-up that counts as a stall (tokio's timers have a 1 ms
/// granularity): the driver then takes in queued input before it runs the node's timers.
const STALL_THRESHOLD: Duration = Duration::from_millis(2);

/// The most queued inputs taken in after a stall before the timers run.
const STALL_READ_LIMIT: usize = 1024;

/// A connection of one of the kinds the node serves (TCP, Unix socket, simulated).
pub(crate) type Stream = Box<dyn Io>;

/// What the driver's task receives.
pub(crate) enum Input {
    /// A listener accepted a connection.
    Accepted {
        stream: Stream,
        kind: LinkKind,
        from: String,
    },
    /// A connect attempt to a peer ended.
    Dialed {
        dial: usize,
        result: std::io::Result<Stream>,
    },
    /// A frame arrived.
    Frame { link: LinkId, message: AnyMessage },
    /// A link ended (reader or writer); the reason is logged. `misbehaved`: the other side
    /// broke the framing or stalled mid-frame.
    Closed {
        link: LinkId,
        reason: String,
        misbehaved: bool,
    },
    /// A command from the control socket.
    Control {
        command: control::Command,
        reply: oneshot::Sender<String>,
    },
    /// The hook runner finished a script component's job.
    HooksDone(hooks::Done),
}

impl From<hooks::Done> for Input {
    fn from(done: hooks::Done) -> Input {
        Input::HooksDone(done)
    }
}

/// What an operator asks of a running driver: in production, the signals `baton node` gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// SIGTERM: hand the service over to the standby (planned switchover), then exit.
    Stop,
    /// SIGINT: exit at once, without handover.
    Exit,
    /// SIGHUP: read the configuration file again and say what would need a restart.
    Reload,
}

/// Why the node could not run.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// The configuration is valid but the machines refused it.
    #[error("configuration: {0}")]
    Config(String),
    /// A listener could not be opened.
    #[error("cannot listen on {what}: {error}")]
    Listen {
        /// Which listener.
        what: String,
        /// Why.
        error: std::io::Error,
    },
}

struct Driver<N> {
    cfg: Config,
    net: N,
    node: Node,
    t0: Instant,
    next_link: u64,
    links: HashMap<LinkId, LinkHandle>,
    inbox_tx: mpsc::Sender<Input>,
    dials: Vec<Dial>,
    /// Runs the script components' hooks.
    hooks: hooks::Runner,
    /// The node said [`Event::Exit`].
    exit: bool,
    /// Follows the node's role for whoever runs the driver.
    role: watch::Sender<NodeRole>,
    /// The listeners' tasks, ended with the driver.
    _listeners: Tasks,
}

/// Tasks aborted when dropped.
#[derive(Default)]
struct Tasks(Vec<AbortHandle>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

/// Runs a node on the operating system's network until SIGTERM (planned handover, then exit)
/// or SIGINT; SIGHUP checks the configuration file again. Correlation ids are seeded from
/// the wall clock, so that they differ across restarts.
///
/// # Errors
/// When a listener cannot be opened or the configuration cannot run.
pub async fn run(mut cfg: Config) -> Result<(), DriverError> {
    cfg.node.first_correlation_id = seed();
    let requests = signals();
    let role = watch::Sender::new(NodeRole::Negotiating);
    run_with(cfg, TokioNet, requests, role).await
}

/// Runs a node with its TCP on `net` until `requests` asks it to exit ([`Request::Exit`], or
/// [`Request::Stop`] once handed over); a closed `requests` channel asks nothing. `role`
/// follows the node's role. Reads time only through `tokio::time` (simulated time works) and
/// takes `cfg.node.first_correlation_id` as given. Unix sockets and script components, if
/// configured, use tokio directly.
///
/// # Errors
/// When a listener cannot be opened or the configuration cannot run.
pub async fn run_with<N: Net>(
    cfg: Config,
    net: N,
    mut requests: mpsc::Receiver<Request>,
    role: watch::Sender<NodeRole>,
) -> Result<(), DriverError> {
    let (inbox_tx, mut inbox) = mpsc::channel::<Input>(1024);
    let me = cfg.node.me;
    let listen_err = |what: String| move |error| DriverError::Listen { what, error };
    let mut listeners = Tasks::default();

    let peer_addr = cfg.addresses[me];
    let peers = net
        .bind(peer_addr)
        .await
        .map_err(listen_err(format!("peer address {peer_addr}")))?;
    let peer_role = listen::Role::Peer;
    listeners
        .0
        .push(listen::net(peers, peer_role, inbox_tx.clone()));
    if let Some(path) = &cfg.component_socket {
        let l = listen::bind_unix(path).map_err(listen_err(format!("{}", path.display())))?;
        let role = listen::Role::Component;
        listeners.0.push(listen::unix(l, role, inbox_tx.clone()));
    }
    if let Some(addr) = cfg.component_tcp {
        let l = net
            .bind(addr)
            .await
            .map_err(listen_err(format!("component address {addr}")))?;
        let role = listen::Role::Component;
        listeners.0.push(listen::net(l, role, inbox_tx.clone()));
    }
    if let Some(addr) = cfg.status {
        let l = net
            .bind(addr)
            .await
            .map_err(listen_err(format!("status address {addr}")))?;
        let role = listen::Role::Status;
        listeners.0.push(listen::net(l, role, inbox_tx.clone()));
    }
    if let Some(path) = &cfg.control_socket {
        let l = listen::bind_unix(path).map_err(listen_err(format!("{}", path.display())))?;
        listeners.0.push(control::serve(l, inbox_tx.clone()));
    }

    // Script components: `deactivate` (and `stop`) before anything else, clearing what a
    // crashed node may have left active (PROTOCOL 11, note 15). The node's clock starts after.
    let hooks = hooks::Runner::start(&cfg.node.scripts, inbox_tx.clone());
    hooks.run_at_start(Node::start_jobs(&cfg.node)).await;
    let t0 = Instant::now();

    let node = Node::new(cfg.node.clone(), baton_core::Instant::ZERO)
        .map_err(|e| DriverError::Config(e.to_string()))?;
    let dials = (0..cfg.addresses.len())
        .filter(|m| *m != me)
        .map(|m| Dial::new(m, cfg.addresses[m], t0, cfg.node.startup_wait))
        .collect();
    role.send_replace(node.role());
    let mut d = Driver {
        node,
        net,
        t0,
        next_link: 1,
        links: HashMap::new(),
        inbox_tx,
        dials,
        hooks,
        exit: false,
        role,
        _listeners: listeners,
        cfg,
    };
    info!(
        member = %d.node.config().members[me].name,
        peer_address = %peer_addr,
        encoding = %d.cfg.encoding,
        "node started"
    );

    let mut requests_open = true;
    // One timer for the node's deadline, moved when the deadline moves (a new one per input
    // cost a timer-wheel insertion and removal per frame).
    let sleep = tokio::time::sleep_until(d.deadline());
    tokio::pin!(sleep);
    'run: loop {
        d.drain();
        if d.should_exit() {
            break;
        }
        d.start_dials();
        match d.next_due() {
            Some(due) if due != sleep.deadline() => sleep.as_mut().reset(due),
            // Nothing due: an hour ahead, moved only when that nears.
            None if sleep.deadline() < Instant::now() + Duration::from_secs(60) => {
                sleep.as_mut().reset(d.deadline())
            }
            _ => {}
        }
        tokio::select! {
            input = inbox.recv() => match input {
                Some(input) => {
                    d.on_input(input);
                    // Whatever else has arrived, before the per-wakeup work above: each
                    // input is still handled and its output drained in order.
                    if d.take_queued(&mut inbox, INPUT_BATCH) {
                        break 'run;
                    }
                }
                None => break,
            },
            () = &mut sleep => {
                // Read before judging: woken more than STALL_THRESHOLD after the deadline,
                // the driver did not run meanwhile (a stall of this process or host), so
                // frames that came before the deadline may still wait in the link readers
                // or the inbox. Let the readers run, take in what they queued, then run the
                // timers (the machines' stall grace covers a peer stalled with us).
                if Instant::now().saturating_duration_since(sleep.deadline()) > STALL_THRESHOLD {
                    tokio::task::yield_now().await;
                    tokio::task::yield_now().await;
                    if d.take_queued(&mut inbox, STALL_READ_LIMIT) {
                        break 'run;
                    }
                    d.drain();
                }
                let now = d.now();
                d.node.handle_timeout(now);
            }
            request = requests.recv(), if requests_open => match request {
                Some(Request::Stop) => {
                    let now = d.now();
                    d.node.stop(now);
                }
                Some(Request::Exit) => {
                    info!("exiting without handover");
                    break;
                }
                Some(Request::Reload) => d.reload(),
                None => requests_open = false,
            },
        }
    }
    d.hooks.run_at_exit(d.node.exit_jobs()).await;
    info!(role = ?d.node.role(), "node stopped");
    Ok(())
}

/// SIGTERM, SIGINT and SIGHUP as [`Request`]s; watched from now on.
fn signals() -> mpsc::Receiver<Request> {
    use tokio::signal::unix::SignalKind;
    let (tx, rx) = mpsc::channel(8);
    let mut term = signal(SignalKind::terminate());
    let mut int = signal(SignalKind::interrupt());
    let mut hup = signal(SignalKind::hangup());
    tokio::spawn(async move {
        loop {
            let request = tokio::select! {
                Some(()) = recv(&mut term) => Request::Stop,
                Some(()) = recv(&mut int) => Request::Exit,
                Some(()) = recv(&mut hup) => Request::Reload,
                else => return,
            };
            if tx.send(request).await.is_err() {
                return;
            }
        }
    });
    rx
}

fn signal(kind: tokio::signal::unix::SignalKind) -> Option<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(kind)
        .map_err(|e| warn!("cannot watch signal {kind:?}: {e}"))
        .ok()
}

async fn recv(s: &mut Option<tokio::signal::unix::Signal>) -> Option<()> {
    match s {
        Some(s) => s.recv().await,
        None => std::future::pending().await,
    }
}

#[allow(clippy::disallowed_methods, clippy::disallowed_types)] // driver: seeds ids from the wall clock
fn seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_millis() as u64 % 1_000_000_000_000)
}

impl<N: Net> Driver<N> {
    /// Takes in up to `limit` inputs already queued, each after draining the node's output
    /// of the previous one. Returns `true` when the node should exit.
    fn take_queued(&mut self, inbox: &mut mpsc::Receiver<Input>, limit: usize) -> bool {
        for _ in 0..limit {
            let Ok(input) = inbox.try_recv() else { break };
            self.drain();
            if self.should_exit() {
                return true;
            }
            self.on_input(input);
        }
        false
    }

    fn now(&self) -> baton_core::Instant {
        baton_core::Instant::from_duration(self.t0.elapsed())
    }

    /// When the driver must wake up next; an hour from now if nothing is due.
    fn deadline(&self) -> Instant {
        self.next_due()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600))
    }

    /// The earliest of the node's (its stop's and its script components' included) and the
    /// dials' deadlines.
    fn next_due(&self) -> Option<Instant> {
        let node = self.node.poll_timeout().map(|t| self.t0 + t.since_origin());
        let dial = self
            .dials
            .iter()
            .filter_map(|d| d.due(self.node.peer_is_up(d.member)))
            .min();
        [node, dial].into_iter().flatten().min()
    }

    fn new_link(&mut self) -> LinkId {
        let id = LinkId(self.next_link);
        self.next_link += 1;
        id
    }

    fn attach(&mut self, stream: Stream, kind: LinkKind) -> LinkId {
        let link = self.new_link();
        let (enc, max) = (self.cfg.encoding, self.cfg.max_frame);
        let inbox = self.inbox_tx.clone();
        let handle = link::spawn(stream, link, enc, max, inbox);
        self.links.insert(link, handle);
        let now = self.now();
        self.node.handle_link_opened(now, link, kind);
        link
    }

    fn on_input(&mut self, input: Input) {
        let now = self.now();
        match input {
            Input::Accepted { stream, kind, from } => {
                let link = self.attach(stream, kind);
                debug!(%link, ?kind, %from, "accepted");
            }
            Input::Dialed { dial, result } => match result {
                Ok(stream) => {
                    let link = self.attach(stream, LinkKind::Peer(LinkOrigin::Dialled));
                    debug!(%link, peer = self.dials[dial].member, "dialled");
                    self.dials[dial].connected(link);
                }
                Err(e) => {
                    debug!(address = %self.dials[dial].address, "dial failed: {e}");
                    self.dials[dial].failed(Instant::now());
                }
            },
            Input::Frame { link, message } => {
                if !self.links.contains_key(&link) {
                    return;
                }
                self.node.handle_frame(now, link, message);
            }
            Input::Closed {
                link,
                reason,
                misbehaved,
            } => {
                if self.links.remove(&link).is_some() {
                    self.forget_dial(link);
                    if misbehaved {
                        warn!(%link, "link closed: {reason}");
                        self.node.handle_link_misbehaved(now, link);
                    } else {
                        info!(%link, "link closed: {reason}");
                        self.node.handle_link_closed(now, link);
                    }
                }
            }
            Input::Control { command, reply } => {
                let answer = match command {
                    control::Command::Switchover => match self.node.switchover(now) {
                        Ok(()) => "ok: switchover started".to_owned(),
                        Err(e) => format!("error: {e}"),
                    },
                };
                info!("control: {command:?}: {answer}");
                let _ = reply.send(answer);
            }
            Input::HooksDone(done) => self.node.handle_hooks_done(now, done.job, done.ok),
        }
    }

    fn forget_dial(&mut self, link: LinkId) {
        for d in &mut self.dials {
            if d.link == Some(link) {
                d.closed(Instant::now());
            }
        }
    }

    fn start_dials(&mut self) {
        let now = Instant::now();
        for (i, d) in self.dials.iter_mut().enumerate() {
            let peer_up = self.node.peer_is_up(d.member);
            if d.due(peer_up).is_some_and(|t| t <= now) {
                d.pending = true;
                let (addr, inbox, net) = (d.address, self.inbox_tx.clone(), self.net.clone());
                tokio::spawn(async move {
                    let result = tokio::time::timeout(dial::CONNECT_TIMEOUT, net.connect(addr))
                        .await
                        .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
                        .map(|s| Box::new(s) as Stream);
                    let _ = inbox.send(Input::Dialed { dial: i, result }).await;
                });
            }
        }
    }

    /// Sends the node's transmits and acts on its events, until both are empty.
    fn drain(&mut self) {
        loop {
            let mut moved = false;
            while let Some(t) = self.node.poll_transmit() {
                moved = true;
                let failed = match self.links.get(&t.link) {
                    Some(h) => h.send(t.message).err(),
                    None => None,
                };
                if let Some(reason) = failed {
                    self.close(t.link, reason.to_owned());
                }
            }
            while let Some(e) = self.node.poll_event() {
                moved = true;
                match e {
                    Event::CloseLink { link, reason } => {
                        info!(%link, "closing link: {reason}");
                        self.links.remove(&link);
                        self.forget_dial(link);
                    }
                    Event::RoleChanged { from, to } => {
                        info!(?from, ?to, "role changed");
                        self.role.send_replace(to);
                    }
                    Event::StatusChanged(status) => info!(%status, "status changed"),
                    Event::RestartComponent { id } => {
                        warn!(component = %id, "component failed (major): restarting");
                    }
                    Event::RunHooks { id, job } => self.hooks.submit(id, job),
                    // The driver still dials with its own Dial (until it dials for the Node).
                    Event::Dial { .. } => {}
                    Event::Notice(notice) => info!("{notice}"),
                    Event::Exit { handed_over } => {
                        if !handed_over {
                            warn!(role = %self.node.role(), "exiting without a completed handover");
                        }
                        self.exit = true;
                    }
                }
            }
            if !moved {
                return;
            }
        }
    }

    fn close(&mut self, link: LinkId, reason: String) {
        if self.links.remove(&link).is_some() {
            warn!(%link, "closing link: {reason}");
            self.forget_dial(link);
            let now = self.now();
            self.node.handle_link_closed(now, link);
        }
    }

    /// Whether the node said [`Event::Exit`].
    fn should_exit(&self) -> bool {
        self.exit
    }

    /// SIGHUP: applies what can change in a running node (log filter, the severity and dead
    /// interval of configured components: [`Config::diff`]) and refuses the rest with a log
    /// line.
    fn reload(&mut self) {
        let new = match crate::config::load(&self.cfg.path) {
            Err(e) => {
                warn!("reload: configuration not reloaded: {e}");
                return;
            }
            Ok(new) => new,
        };
        let diff = self.cfg.diff(&new);
        let mut applied = Vec::new();
        for change in &diff.applied {
            match change {
                Change::LogFilter { filter } => match crate::logging::set_config_filter(filter) {
                    Ok(true) => applied.push(change.to_string()),
                    Ok(false) => info!("reload: log filter left to RUST_LOG"),
                    Err(e) => warn!("reload: log filter {filter} not applied: {e}"),
                },
                Change::ComponentPolicy { .. } => applied.push(change.to_string()),
            }
        }
        let now = self.now();
        self.node.reload(now, &diff);
        self.cfg.apply(&diff);
        if applied.is_empty() && diff.refused.is_empty() {
            info!("reload: nothing changed");
        }
        if !applied.is_empty() {
            info!("reload: applied {}", applied.join("; "));
        }
        if !diff.refused.is_empty() {
            let refused: Vec<String> = diff.refused.iter().map(ToString::to_string).collect();
            warn!(
                "reload: these changes need a restart and were not applied: {}",
                refused.join(", ")
            );
        }
    }
}
