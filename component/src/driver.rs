//! The thin driver (quinn's `ConnectionDriver` around quinn-proto): sockets, the clock,
//! reconnect back-off and the handles' commands around the sans-IO [`ComponentEngine`].
//! Nothing here decides anything the engine decides; it feeds it, drains it and turns its
//! events into [`Event`]s.

use crate::engine::{
    ComponentEngine, ComponentEngineConfig, ComponentEngineEvent, IgnoredFrame, ReplicationConfig,
    ReplicationEvent, Ticket,
};
use crate::event::{DisconnectReason, Event, State};
use crate::options::{ComponentOptions, Endpoint, MIN_MAX_FRAME};
use crate::request::{
    AnswerError, Command, HealthProbe, ReplicateReply, RequestInfo, RoleRequest, NO_REQUEST,
};
use crate::types::Role;
use crate::types::{Health, WatchdogReason};
use baton_codec::{AnyMessage, FrameCodec, Interface};
use baton_core::{Instant, LinkId};
use futures_util::{FutureExt, StreamExt};
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, watch};
use tokio_util::bytes::BytesMut;
use tokio_util::codec::{Encoder, FramedRead};
use tracing::{debug, info, warn, Instrument};

/// Bytes the node may leave unread before the component gives up on the link.
const MAX_UNSENT: usize = 256 * 1024;

/// How a connected session ended.
enum SessionEnd {
    /// The link went down; `worked` says the node sent at least one frame on it and it
    /// lasted at least the first back-off wait.
    Down { worked: bool },
    /// The application closed the component.
    Shutdown,
}

/// Why the session loop woke.
enum Wake {
    Frame(Option<Result<AnyMessage, baton_codec::FrameError>>),
    Command(Option<Command>),
    Wrote(std::io::Result<usize>),
    Timer,
    HandlesDropped,
}

pub(crate) struct Driver {
    endpoint: Endpoint,
    options: ComponentOptions,
    engine: ComponentEngine,
    /// The origin of the engine's clock.
    start: tokio::time::Instant,
    commands: mpsc::UnboundedReceiver<Command>,
    /// Handed to each [`RoleRequest`].
    commands_tx: mpsc::UnboundedSender<Command>,
    events: mpsc::UnboundedSender<Event>,
    state: watch::Sender<State>,
    /// The serial of the request the application may answer (the engine's pending one).
    pending: Option<u64>,
    /// `pending`, shared with the requests ([`RoleRequest::is_current`]); [`NO_REQUEST`]
    /// for none.
    current: Arc<AtomicU64>,
    next_serial: u64,
    next_link: u64,
    codec: FrameCodec,
    /// The watchdog fired on a silent link during this session: drop the link.
    silent: bool,
    /// The node refused the component id (PROTOCOL 6.9): stop once the link is down.
    refused: bool,
    /// The application's health probe ([`crate::Component::on_health_query`]).
    probe: Option<HealthProbe>,
    /// Who waits for each update sent (PROTOCOL 6.11).
    updates: HashMap<Ticket, ReplicateReply>,
}

impl Driver {
    /// A driver and the channels of its handles. Errors: an invalid component id.
    pub(crate) fn new(
        endpoint: Endpoint,
        mut options: ComponentOptions,
        commands: mpsc::UnboundedReceiver<Command>,
        commands_tx: mpsc::UnboundedSender<Command>,
        events: mpsc::UnboundedSender<Event>,
        state: watch::Sender<State>,
    ) -> Result<Driver, crate::Error> {
        options.max_frame = options.max_frame.max(MIN_MAX_FRAME);
        let engine = ComponentEngine::new(
            &options.id,
            ComponentEngineConfig {
                dead_interval: options.dead_interval,
                stall_grace: options.stall_grace,
                heartbeat_interval: options.heartbeat_interval,
            },
        )
        .map_err(|e| crate::Error::InvalidId(e.0))?;
        let engine = match options.replication {
            Some(r) => engine.with_replication(ReplicationConfig {
                standby: r.standby,
                encoding: options.encoding,
                max_frame: options.max_frame,
            }),
            None => engine,
        };
        Ok(Driver {
            codec: FrameCodec::with_max_frame(options.encoding, options.max_frame),
            endpoint,
            options,
            engine,
            start: tokio::time::Instant::now(),
            commands,
            commands_tx,
            events,
            state,
            pending: None,
            current: Arc::new(AtomicU64::new(NO_REQUEST)),
            next_serial: 0,
            next_link: 0,
            silent: false,
            refused: false,
            probe: None,
            updates: HashMap::new(),
        })
    }

    /// Connects, serves, reconnects with back-off, until the application closes the
    /// component or drops every handle.
    pub(crate) async fn run(mut self) {
        // The clock's origin is taken on the runtime that drives the component.
        self.start = tokio::time::Instant::now();
        let id = self.options.id.clone();
        let span = tracing::info_span!("baton_component", id = %id);
        self.run_inner().instrument(span).await;
    }

    async fn run_inner(&mut self) {
        let mut wait = Duration::ZERO;
        let mut failures = 0u32;
        loop {
            if !wait.is_zero() && self.idle(tokio::time::sleep(wait)).await.is_none() {
                break;
            }
            let endpoint = self.endpoint.clone();
            let timeout = self.options.connect_timeout;
            let attempt = tokio::time::timeout(timeout, connect(endpoint));
            let Some(result) = self.idle(attempt).await else {
                break;
            };
            let end = match result {
                Ok(Ok(Stream::Tcp(s))) => {
                    let _ = s.set_nodelay(true);
                    self.session(s).await
                }
                #[cfg(unix)]
                Ok(Ok(Stream::Unix(s))) => self.session(s).await,
                Ok(Err(e)) => {
                    failures = failures.saturating_add(1);
                    if failures == 1 {
                        warn!(endpoint = %self.endpoint, error = %e, "cannot connect to the node; retrying");
                    } else {
                        debug!(endpoint = %self.endpoint, error = %e, "cannot connect to the node");
                    }
                    wait = self.next_wait(wait);
                    continue;
                }
                Err(_) => {
                    failures = failures.saturating_add(1);
                    if failures == 1 {
                        warn!(endpoint = %self.endpoint, "connecting to the node timed out; retrying");
                    } else {
                        debug!(endpoint = %self.endpoint, "connecting to the node timed out");
                    }
                    wait = self.next_wait(wait);
                    continue;
                }
            };
            failures = 0;
            if self.refused {
                warn!("the node refused this component id: stopped (not reconnecting)");
                break;
            }
            match end {
                SessionEnd::Shutdown => break,
                // After a link that worked for a while, reconnect at once; a node that
                // closes links as soon as they open gets the back-off.
                SessionEnd::Down { worked: true } => wait = Duration::ZERO,
                SessionEnd::Down { worked: false } => wait = self.next_wait(wait),
            }
        }
        self.state.send_modify(|s| {
            s.connected = false;
            s.closed = true;
        });
        debug!("component closed");
    }

    fn next_wait(&self, wait: Duration) -> Duration {
        if wait.is_zero() {
            self.options.reconnect.first()
        } else {
            self.options.reconnect.next(wait)
        }
    }

    /// Runs `fut` while no link is up, serving the handles' commands meanwhile. `None`: the
    /// application closed the component.
    async fn idle<F: Future>(&mut self, fut: F) -> Option<F::Output> {
        tokio::pin!(fut);
        loop {
            tokio::select! {
                out = &mut fut => return Some(out),
                command = self.commands.recv() => {
                    let command = command?;
                    if !self.handle_command(command) {
                        return None;
                    }
                    let mut unsent = BytesMut::new();
                    self.drain(&mut unsent);
                }
                () = self.state.closed() => return None,
            }
        }
    }

    /// Serves one link until it goes down or the application closes the component.
    async fn session<S: AsyncRead + AsyncWrite + Send>(&mut self, io: S) -> SessionEnd {
        let (read, mut write) = tokio::io::split(io);
        let mut frames = FramedRead::new(read, self.codec.clone());
        let mut unsent = BytesMut::new();
        let link = LinkId(self.next_link);
        self.next_link += 1;
        self.silent = false;
        let mut heard = false;
        let opened = tokio::time::Instant::now();
        info!(endpoint = %self.endpoint, "connected to the node");
        let now = self.now();
        self.engine.handle_connected(now, link);
        self.drain(&mut unsent);

        // A frame read ahead (after a late wake-up) that ends the link: handled next turn.
        let mut deferred: Option<Wake> = None;
        let reason = loop {
            if self.silent {
                break DisconnectReason::Silent;
            }
            if unsent.len() > MAX_UNSENT {
                break DisconnectReason::Stalled;
            }
            let deadline = self.deadline();
            let mut wake = match deferred.take() {
                Some(wake) => wake,
                None => tokio::select! {
                    frame = frames.next() => Wake::Frame(frame),
                    command = self.commands.recv() => Wake::Command(command),
                    wrote = write.write_buf(&mut unsent), if !unsent.is_empty() => Wake::Wrote(wrote),
                    () = sleep_until(deadline), if deadline.is_some() => Wake::Timer,
                    () = self.state.closed() => Wake::HandlesDropped,
                },
            };
            // Read before judging (PROTOCOL 6.3, baton_core::is_stall): a wake-up more than
            // the stall threshold after a timer's deadline means this process did not run
            // meanwhile (a stall), so what the node sent before the deadline may still be
            // buffered: read it first. Otherwise a timer due now fires before the input that
            // woke us: a frame arriving after the dead interval does not save a silent link.
            let late = deadline.is_some_and(|d| {
                baton_core::is_stall(tokio::time::Instant::now().saturating_duration_since(d))
            });
            if late {
                if let Wake::Frame(Some(Ok(message))) = wake {
                    heard = true;
                    self.handle_frame(message);
                    wake = Wake::Timer;
                }
                if !matches!(wake, Wake::Frame(_)) {
                    tokio::task::yield_now().await;
                    while let Some(frame) = frames.next().now_or_never() {
                        match frame {
                            Some(Ok(message)) => {
                                heard = true;
                                self.handle_frame(message);
                            }
                            end => {
                                deferred = Some(Wake::Frame(end));
                                break;
                            }
                        }
                    }
                }
            }
            self.engine.handle_timeout(self.now());
            match wake {
                Wake::Frame(Some(Ok(message))) => {
                    heard = true;
                    self.handle_frame(message);
                }
                Wake::Frame(Some(Err(baton_codec::FrameError::Io(e)))) => {
                    break DisconnectReason::Io(e.to_string());
                }
                Wake::Frame(Some(Err(e))) => {
                    warn!(error = %e, "bad frame from the node: reconnecting");
                    break DisconnectReason::Frame(e.to_string());
                }
                Wake::Frame(None) => break DisconnectReason::Closed,
                Wake::Command(Some(Command::Leave)) => {
                    // PROTOCOL 6.9: the leave notice goes out before the close.
                    if self.engine.leave() {
                        self.drain(&mut unsent);
                        let flush = write.write_all(&unsent);
                        if tokio::time::timeout(self.options.connect_timeout, flush)
                            .await
                            .is_err()
                        {
                            warn!("the node did not take the leave notice in time");
                        }
                        unsent.clear();
                        info!("left the node (planned)");
                    }
                    let _ = write.shutdown().await;
                    self.close_link(&mut unsent, None);
                    return SessionEnd::Shutdown;
                }
                Wake::Command(Some(command)) => {
                    if !self.handle_command(command) {
                        self.close_link(&mut unsent, None);
                        return SessionEnd::Shutdown;
                    }
                }
                Wake::Command(None) | Wake::HandlesDropped => {
                    self.close_link(&mut unsent, None);
                    return SessionEnd::Shutdown;
                }
                Wake::Wrote(Ok(0)) => break DisconnectReason::Closed,
                Wake::Wrote(Ok(_)) | Wake::Timer => {}
                Wake::Wrote(Err(e)) => break DisconnectReason::Io(e.to_string()),
            }
            self.drain(&mut unsent);
        };
        match &reason {
            DisconnectReason::Frame(_) => {} // already logged
            DisconnectReason::Silent => {
                warn!("node silent for the dead interval: demoted to standby, reconnecting")
            }
            other => info!(reason = %other, "node link down"),
        }
        let _ = write.shutdown().await;
        self.close_link(&mut unsent, Some(reason));
        let lasted = opened.elapsed() >= self.options.reconnect.first();
        SessionEnd::Down {
            worked: heard && lasted,
        }
    }

    /// The link is gone: tells the engine and the application.
    fn close_link(&mut self, unsent: &mut BytesMut, reason: Option<DisconnectReason>) {
        self.state.send_modify(|s| s.connected = false);
        if let Some(reason) = reason {
            self.emit(Event::Disconnected { reason });
        }
        let now = self.now();
        self.engine.handle_closed(now);
        self.drain(unsent);
        unsent.clear();
    }

    fn handle_frame(&mut self, message: AnyMessage) {
        let now = self.now();
        if let (Some(probe), AnyMessage::Monitor(m)) = (&self.probe, &message) {
            if matches!(
                m.message,
                baton_asn1::monitor::HealthMonitorMessageMessage::healthQuery(_)
            ) {
                // The application's answer, taken before the engine answers; a probe that
                // panics leaves the last health (set_health or the probe's previous answer).
                let probe = probe.clone();
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| probe())) {
                    Ok(health) => {
                        self.engine.set_health(now, health);
                        self.state.send_modify(|s| s.health = health);
                    }
                    Err(_) => warn!("the health probe panicked: answering the last health"),
                }
            }
        }
        self.engine.handle_frame(now, message);
    }

    /// Applies a command. `false`: shut down.
    fn handle_command(&mut self, command: Command) -> bool {
        let now = self.now();
        match command {
            Command::Answer {
                serial,
                accept,
                reply,
            } => {
                if self.pending != Some(serial) {
                    debug!(serial, "answer to a withdrawn or replaced request dropped");
                    reply.send(Err(AnswerError::Stale));
                    return true;
                }
                self.set_pending(None);
                let result = if accept {
                    self.engine.accept(now)
                } else {
                    self.engine.refuse(now)
                };
                match result {
                    Ok(role) => {
                        if accept {
                            info!(%role, "role accepted");
                        } else {
                            info!(%role, "role refused");
                        }
                        // The role change (if any) goes out before the answer's result.
                        self.drain_events();
                        reply.send(Ok(()));
                    }
                    Err(_) => {
                        self.publish_state();
                        reply.send(Err(AnswerError::Stale));
                    }
                }
            }
            Command::SetHealth(health) => {
                self.engine.set_health(now, health);
                self.state.send_modify(|s| s.health = health);
            }
            Command::SetProbe(probe) => self.probe = probe,
            Command::Replicate { operations, reply } => match self.engine.replicate(&operations) {
                Ok(ticket) => {
                    self.updates.insert(ticket, reply);
                }
                Err(e) => reply.send(Err(e)),
            },
            Command::Shutdown | Command::Leave => return false,
        }
        true
    }

    /// The request the application may answer, also for [`RoleRequest::is_current`].
    fn set_pending(&mut self, serial: Option<u64>) {
        self.pending = serial;
        self.current
            .store(serial.unwrap_or(NO_REQUEST), Ordering::Release);
    }

    /// Drains the engine: frames into `unsent`, events to the application.
    fn drain(&mut self, unsent: &mut BytesMut) {
        while let Some(message) = self.engine.poll_transmit() {
            self.encode(message, unsent);
        }
        self.drain_events();
    }

    /// The engine's events, to the application (and the log), in order.
    fn drain_events(&mut self) {
        self.publish_state();
        while let Some(e) = self.engine.poll_event() {
            self.on_event(e);
        }
        self.publish_state();
    }

    /// Publishes the engine's view to the handles. Called before any event or answer that
    /// reports it goes out, so that `Component::role` is never behind an event.
    fn publish_state(&self) {
        let role = self.engine.role();
        let self_demoted = self.engine.self_demoted();
        let connected = self.engine.is_connected();
        self.state.send_if_modified(|s| {
            let changed =
                s.role != role || s.self_demoted != self_demoted || s.connected != connected;
            s.role = role;
            s.self_demoted = self_demoted;
            s.connected = connected;
            changed
        });
    }

    fn on_event(&mut self, e: ComponentEngineEvent) {
        match e {
            ComponentEngineEvent::RoleRequested {
                role,
                correlation,
                generation,
            } => {
                let serial = self.next_serial;
                self.next_serial += 1;
                self.set_pending(Some(serial));
                info!(%role, correlation = %correlation, ?generation, "role requested");
                let deadline = self
                    .engine
                    .node_timers()
                    .role_timeout
                    .map(|t| tokio::time::Instant::now() + t);
                let restoration = match role {
                    Role::Active => self.engine.take_restoration(),
                    Role::Standby => None,
                };
                let request = RoleRequest::new(
                    RequestInfo {
                        role,
                        correlation,
                        generation,
                        deadline,
                        restoration,
                    },
                    serial,
                    self.current.clone(),
                    self.commands_tx.clone(),
                );
                // If nobody listens, the request drops here and refuses itself.
                self.emit(Event::RoleRequest(request));
            }
            ComponentEngineEvent::RequestWithdrawn { role } => {
                self.set_pending(None);
                self.emit(Event::RequestWithdrawn { role });
            }
            ComponentEngineEvent::SelfDemoted { reason } => {
                warn!(?reason, "watchdog: demoted to standby");
                if reason == WatchdogReason::Silent {
                    self.silent = true;
                }
                self.emit(Event::SelfDemoted { reason });
            }
            ComponentEngineEvent::RoleChanged { from, to } => {
                self.emit(Event::RoleChanged { from, to });
            }
            ComponentEngineEvent::Connected { role, self_demoted } => {
                if let Some(r) = self.options.replication {
                    info!(mode = ?r.mode, standby = ?r.standby, "replicating");
                }
                self.emit(Event::Connected { role, self_demoted });
            }
            ComponentEngineEvent::Replication(e) => self.on_replication(e),
            ComponentEngineEvent::Ignored(IgnoredFrame::RoleAnswer { correlation }) => {
                warn!(correlation = %correlation, "setRoleResponse from the node ignored");
            }
            ComponentEngineEvent::Ignored(IgnoredFrame::Health(reason)) => {
                warn!(?reason, "health message from the node ignored");
            }
            ComponentEngineEvent::Ignored(IgnoredFrame::Interface(Interface::Status)) => {
                debug!("status message from the node ignored");
            }
            ComponentEngineEvent::Ignored(IgnoredFrame::Interface(interface)) => {
                warn!(%interface, "message on a component link ignored");
            }
            ComponentEngineEvent::RestartRequested => {
                warn!("the node asks this component to restart (severity major, failed)");
                self.emit(Event::RestartRequested);
            }
            ComponentEngineEvent::UnknownComponentId => {
                warn!("the node's configuration lists no component of this id: refused");
                self.refused = true;
                self.state.send_modify(|s| s.refused = true);
                self.emit(Event::UnknownComponentId);
            }
            ComponentEngineEvent::NodeTimer { timer, value } => {
                debug!(?timer, ?value, "node timer");
                let timers = self.engine.node_timers();
                self.state.send_modify(|s| s.node_timers = timers);
            }
            ComponentEngineEvent::WatchdogTooLong { watchdog, bound } => {
                warn!(
                    ?watchdog,
                    ?bound,
                    "dead_interval + stall_grace is longer than the node's watchdog bound \
                     (PROTOCOL 6.3): the peer can promote before this component stands by"
                );
                self.emit(Event::WatchdogTooLong { watchdog, bound });
            }
            ComponentEngineEvent::ActiveRefused {
                correlation,
                watchdog,
                bound,
            } => {
                warn!(
                    correlation = %correlation,
                    ?watchdog,
                    ?bound,
                    "setRole(active) refused: dead_interval + stall_grace is longer than the \
                     node's watchdog bound (PROTOCOL 6.3, 6.9)"
                );
                self.emit(Event::ActiveRefused { watchdog, bound });
            }
        }
    }

    /// Replication's events: answers to their callers, the standby stream to the application.
    fn on_replication(&mut self, e: ReplicationEvent) {
        match e {
            ReplicationEvent::Acked { ticket, ack } => {
                if let Some(reply) = self.updates.remove(&ticket) {
                    reply.send(Ok(ack));
                }
            }
            ReplicationEvent::Failed { ticket, error } => {
                debug!(error = %error, "update failed");
                if let Some(reply) = self.updates.remove(&ticket) {
                    reply.send(Err(error));
                }
            }
            ReplicationEvent::StandbySync { records } => {
                info!(records = records.len(), "standby sync");
                self.emit(Event::StandbySync { records });
            }
            ReplicationEvent::StandbyUpdate {
                sequence,
                operations,
            } => self.emit(Event::StandbyUpdate {
                sequence,
                operations,
            }),
            ReplicationEvent::Resync { expected, got } => {
                warn!(
                    expected,
                    got, "standby stream broken: asked for a full sync"
                );
            }
            ReplicationEvent::NodeError { code, description } => {
                warn!(%code, description = %description, "replication error from the node");
            }
        }
    }

    fn encode(&mut self, message: AnyMessage, unsent: &mut BytesMut) {
        if let Err(e) = self.codec.encode(&message, unsent) {
            warn!(error = %e, "cannot encode a message for the node: dropped");
        }
    }

    fn emit(&self, event: Event) {
        let _ = self.events.send(event);
    }

    /// The engine's clock: time since the driver started.
    fn now(&self) -> Instant {
        Instant::from_duration(tokio::time::Instant::now().saturating_duration_since(self.start))
    }

    /// The engine's next timer, on tokio's clock.
    fn deadline(&self) -> Option<tokio::time::Instant> {
        let at = self.engine.poll_timeout()?;
        self.start.checked_add(at.since_origin())
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

enum Stream {
    Tcp(tokio::net::TcpStream),
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
}

async fn connect(endpoint: Endpoint) -> std::io::Result<Stream> {
    match endpoint {
        Endpoint::Tcp(addr) => tokio::net::TcpStream::connect(addr).await.map(Stream::Tcp),
        #[cfg(unix)]
        Endpoint::Unix(path) => tokio::net::UnixStream::connect(path)
            .await
            .map(Stream::Unix),
    }
}

/// The application's health, for the initial state.
pub(crate) fn initial_state() -> State {
    State {
        role: None,
        self_demoted: false,
        connected: false,
        health: Health::Ok,
        closed: false,
        refused: false,
        node_timers: crate::engine::NodeTimers::default(),
    }
}
