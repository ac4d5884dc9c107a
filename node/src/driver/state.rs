//! The driver's state: the node, its open links, the hook runner. What the driver does with
//! each input (hand it to the node) and with each of the node's outputs (write it, close a
//! link, connect, run hooks, exit): I/O only, every decision is the node's.

use super::connect;
use super::control::Command;
use super::fence;
use super::grant;
use super::hooks;
use super::input::Input;
use super::links::Links;
use super::net::Net;
use super::remote;
use super::render;
use super::secure::Tls;
use crate::config::Config;
use baton_core::{LinkId, NodeRole};
use baton_engine::{Event, Node};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tracing::info;

/// The driver's state, owned by its one task.
pub(crate) struct Driver<N> {
    pub(crate) cfg: Config,
    pub(crate) node: Node,
    /// Runs the script components' hooks.
    pub(crate) hooks: hooks::Runner,
    net: N,
    /// When the node's clock began: its `now` is the time since.
    t0: Instant,
    links: Links,
    inbox: mpsc::Sender<Input>,
    /// The node said [`Event::Exit`].
    exit: bool,
    /// Why the node must stop at once (a grant that could not be persisted).
    pub(crate) fatal: Option<String>,
    /// Follows the node's role for whoever runs the driver.
    role: watch::Sender<NodeRole>,
    /// TLS on every TCP link, if configured.
    pub(crate) tls: Option<Tls>,
    /// The script guard, when the node has script components (PROTOCOL 6.3; `crate::guard`).
    pub(crate) guard: Option<crate::guard::Client>,
    /// Prometheus metrics, when `listen.metrics` is set.
    pub(crate) metrics: crate::metrics::Metrics,
    /// systemd's notifications, when it runs the node.
    pub(crate) notify: super::notify::Notifier,
    /// Etcd mode's client (PROTOCOL 5.12).
    pub(crate) etcd: Option<super::etcd::Etcd>,
}

impl<N: Net> Driver<N> {
    /// A driver for `node`, whose clock began at `t0`; links and connect attempts report to
    /// `inbox`.
    pub(crate) fn new(
        cfg: Config,
        net: N,
        node: Node,
        t0: Instant,
        inbox: mpsc::Sender<Input>,
        hooks: hooks::Runner,
        role: watch::Sender<NodeRole>,
    ) -> Self {
        role.send_replace(node.role());
        Driver {
            links: Links::new(cfg.encoding, cfg.max_frame, inbox.clone()),
            cfg,
            node,
            hooks,
            net,
            t0,
            inbox,
            exit: false,
            fatal: None,
            role,
            tls: None,
            guard: None,
            metrics: crate::metrics::Metrics::default(),
            notify: super::notify::Notifier::default(),
            etcd: None,
        }
    }

    /// The node's clock: the time since `t0`.
    pub(crate) fn now(&self) -> baton_core::Instant {
        baton_core::Instant::from_duration(self.t0.elapsed())
    }

    /// When the node must be woken next (its timers, its stop and its next connect attempt
    /// included), on tokio's clock.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        let node = self.node.poll_timeout().map(|t| self.t0 + t.since_origin());
        let guard = self.guard.as_ref().map(crate::guard::Client::due);
        node.into_iter().chain(guard).chain(self.notify.due()).min()
    }

    /// Whether the node said [`Event::Exit`], or must stop ([`Driver::fatal`]).
    pub(crate) fn should_exit(&self) -> bool {
        self.exit || self.fatal.is_some()
    }

    /// Hands one input to the node (or to the link table).
    pub(crate) fn on_input(&mut self, input: Input) {
        let now = self.now();
        match input {
            Input::Accepted {
                stream,
                kind,
                from,
                identity,
            } => {
                let link = self.links.attach(stream, from);
                let remote = self.links.remote(link).unwrap_or_default();
                render::accepted(link, kind, remote, identity.as_ref());
                match identity {
                    Some(id) => self.node.handle_link_authenticated(now, link, kind, id),
                    None => self.node.handle_link_opened(now, link, kind),
                }
            }
            Input::Dialed {
                member,
                address,
                result,
            } => match result {
                Ok((stream, identity)) => {
                    let link = self.links.attach(stream, address.to_string());
                    render::dialled(link, self.peer_name(member), address, identity.as_ref());
                    match identity {
                        Some(id) => self.node.handle_dialed_authenticated(now, member, link, id),
                        None => self.node.handle_dialed(now, member, link),
                    }
                }
                Err(e) => {
                    render::dial_failed(self.peer_name(member), address, &e);
                    // A refused handshake: something is running there and refuses us, so
                    // the back-off of a refused link (PROTOCOL 3.4, 4 *Dialling*).
                    if matches!(e, super::connect::DialError::Tls(_)) {
                        self.node.handle_dial_refused(now, member);
                    } else {
                        self.node.handle_dial_failed(now, member);
                    }
                }
            },
            Input::Frame { link, message } => {
                if self.links.contains(link) {
                    self.metrics.received(self.node.link_kind(link));
                    self.node.handle_frame(now, link, message);
                }
            }
            Input::Closed {
                link,
                reason,
                misbehaved,
            } => {
                if let Some(remote) = self.links.remove(link) {
                    let kind = self.node.link_kind(link);
                    render::link_closed(link, kind, &remote, &reason, misbehaved);
                    self.metrics
                        .closed(if misbehaved { "framing" } else { "remote" });
                    if misbehaved {
                        self.node.handle_link_misbehaved(now, link);
                    } else {
                        self.node.handle_link_closed(now, link);
                    }
                }
            }
            Input::Control {
                command,
                requester,
                reply,
            } => {
                let answer = match command {
                    Command::Switchover => match self.node.switchover_by(now, &requester) {
                        Ok(()) => "ok: switchover started".to_owned(),
                        Err(e) => format!("error: {e}"),
                    },
                    Command::History => {
                        let zero = crate::logging::time::now().saturating_sub(now.since_origin());
                        let status = self.node.status();
                        let replication =
                            crate::replication_view::document(&self.node.replication_status(now));
                        crate::history::answer(status, self.node.history(), zero, replication)
                    }
                };
                if command == Command::History {
                    tracing::debug!("control: {command} from {requester}");
                } else {
                    info!("control: {command} from {requester}: {answer}");
                }
                let _ = reply.send(answer);
            }
            Input::Dashboard { reply } => {
                let wall = crate::logging::time::now();
                let doc = crate::dashboard::document(&self.node, now, wall);
                let _ = reply.send(doc.to_string());
            }
            Input::HooksDone(done) => {
                self.metrics.hooks_done(done.job, done.ok);
                if let Some(guard) = &mut self.guard {
                    guard.job_done(done.job, done.ok);
                }
                self.node.handle_hooks_done(now, done.job, done.ok);
            }
            Input::GuardReport(report) => {
                if let Some(guard) = &mut self.guard {
                    guard.report(report);
                }
            }
            Input::FenceDone(done) => self.node.handle_fence_done(now, &done.name, done.ok),
            Input::Etcd(input) => self.node.handle_etcd(now, input),
            Input::RemoteDone(done) => {
                self.node
                    .handle_remote_check_done(now, done.id, done.outcome);
                self.metrics.refresh(&self.node);
            }
        }
    }

    /// The script guard's turn (PROTOCOL 6.3): a `beat` if due, and each component it stood
    /// down while the node was silent registers again (its link taken as closed).
    pub(crate) fn tick_guard(&mut self) {
        let Some(guard) = &mut self.guard else { return };
        let links = guard.tick();
        for link in links {
            let now = self.now();
            self.node.handle_link_closed(now, link);
        }
    }

    /// Writes the node's transmits and acts on its events, until both are empty.
    pub(crate) fn drain(&mut self) {
        let mut any = false;
        loop {
            let mut moved = false;
            while let Some(t) = self.node.poll_transmit() {
                moved = true;
                self.metrics.sent(self.node.link_kind(t.link));
                if let Err(reason) = self.links.send(t.link, t.message) {
                    self.close(t.link, &reason);
                }
            }
            while let Some(e) = self.node.poll_event() {
                moved = true;
                render::event(&e, &self.links, self.node.role());
                self.metrics.event(&e, &self.node);
                self.notify.event(&e);
                self.act(e);
            }
            if !moved {
                if any {
                    self.metrics.refresh(&self.node);
                }
                return;
            }
            any = true;
        }
    }

    /// Does what an event of the node asks.
    fn act(&mut self, event: Event) {
        match event {
            Event::CloseLink { link, .. } => {
                self.links.remove(link);
            }
            Event::RoleChanged { to, .. } => {
                self.role.send_replace(to);
            }
            Event::Dial { member } => match self.cfg.addresses.get(member) {
                Some(&address) => {
                    connect::spawn(&self.net, member, address, &self.inbox, self.tls.as_ref())
                }
                // No address: the configuration has one per member, so this does not happen.
                None => {
                    let now = self.now();
                    self.node.handle_dial_failed(now, member);
                }
            },
            Event::RunHooks { id, job } => {
                // The guard hears of an activation before it runs (PROTOCOL 6.3).
                if let Some(guard) = &mut self.guard {
                    guard.before_job(id, &job);
                }
                self.hooks.submit(id, job);
            }
            Event::Fence { member, name, id } => self.fence(member, name, id),
            Event::RemoteCheck { id, member, name } => {
                let active = remote::Active {
                    name,
                    address: self.cfg.addresses.get(member).copied(),
                };
                match &self.cfg.remote_check {
                    Some(commands) => remote::spawn(commands, id, active, self.inbox.clone()),
                    // Without the commands the node never asks (its configuration has none).
                    None => {
                        let now = self.now();
                        self.node.handle_remote_check_done(
                            now,
                            id,
                            baton_engine::RemoteOutcome::Ok,
                        );
                    }
                }
            }
            Event::PersistGrant {
                round,
                member,
                name,
            } => self.persist(round, member, &name),
            Event::Etcd(command) => match &mut self.etcd {
                Some(etcd) => etcd.execute(command, &self.inbox),
                None => {
                    self.fatal = Some("etcd mode without [etcd]: cannot reach etcd".into());
                }
            },
            Event::Exit { .. } => self.exit = true,
            Event::StatusChanged(_) | Event::RestartComponent { .. } | Event::Notice(_) => {}
        }
    }

    /// Writes quorum mode's grant to `state_dir/grant` (PROTOCOL 5.9.3) before anything the
    /// node holds for it is sent. Synchronous: a few milliseconds of fsync on the driver's
    /// one thread, and nothing of the node's moves meanwhile. A failed write stops the node.
    fn persist(&mut self, round: baton_election::Round, member: usize, name: &str) {
        if self.fatal.is_some() {
            return;
        }
        let Some(dir) = self.cfg.state_dir.clone() else {
            self.fatal = Some("quorum mode without state_dir: cannot persist a grant".into());
            return;
        };
        match grant::write(&dir, round.0, name) {
            Ok(path) => {
                tracing::debug!(%round, member = name, "grant written to {}", path.display());
                let now = self.now();
                self.node.handle_grant_persisted(now, round, member);
            }
            Err(e) => {
                self.fatal = Some(format!(
                    "cannot persist the grant (round {round}, member {name}) in {}: {e}: \
                     stopping rather than send a grant that is not on disk",
                    dir.display()
                ));
            }
        }
    }

    /// Runs the fence command against member `member` (PROTOCOL 5.10); without `[fence]`
    /// (the node never asks then) the fencing fails.
    fn fence(&mut self, member: usize, name: String, id: String) {
        let target = fence::Target {
            name,
            id,
            address: self.cfg.addresses.get(member).copied(),
        };
        match &self.cfg.fence {
            Some(command) => fence::spawn(command, target, self.inbox.clone()),
            None => {
                let now = self.now();
                self.node.handle_fence_done(now, &target.name, false);
            }
        }
    }

    /// Closes `link`, which cannot be written or does not read, and tells the node.
    fn close(&mut self, link: LinkId, reason: &str) {
        if let Some(remote) = self.links.remove(link) {
            render::closing(link, &remote, reason);
            self.metrics.closed("unwritable");
            let now = self.now();
            self.node.handle_link_closed(now, link);
        }
    }

    /// Member `member`'s name, for the log.
    fn peer_name(&self, member: usize) -> &str {
        self.node
            .config()
            .members
            .get(member)
            .map_or("?", |m| m.name.as_str())
    }
}
