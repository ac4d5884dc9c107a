//! The [`Node`]: inputs, outputs and the links it knows.

use crate::close::CloseReason;
use crate::config::{Change, ConfigDiff, NodeConfig, NodeConfigError};
use crate::dial::Dialer;
use crate::event::{Event, LinkKind, Transmit};
use crate::history::{Cause, History};
use crate::identity::Identity;
use crate::notice::Notice;
use crate::resume::Resume;
use crate::script::{scripts_of, Scripts};
use crate::stop::Stop;
use baton_codec::AnyMessage;
use baton_core::NodeRole;
use baton_core::{CorrelationCounter, Instant, LinkId};
use baton_election::{Election, Generation, Member, Role, UsageError};
use baton_monitor::{HealthMonitor, PeerLiveness};
use baton_role::RoleManager;
use baton_status::{PeerState, ServiceStatus, State, StatusServer};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// One member's node: the Election, Role, Monitor and Status machines composed. Sans-IO.
#[derive(Debug, Clone)]
pub struct Node {
    pub(crate) config: NodeConfig,
    pub(crate) election: Election,
    pub(crate) roles: RoleManager,
    pub(crate) health: HealthMonitor,
    pub(crate) peers: PeerLiveness,
    pub(crate) status: StatusServer,
    /// Every open link and what it is.
    pub(crate) links: BTreeMap<LinkId, LinkKind>,
    /// The open links the driver authenticated, and who is on each (PROTOCOL 3.4).
    pub(crate) identities: BTreeMap<LinkId, Identity>,
    /// Peer links whose hellos were exchanged, and the member on each.
    pub(crate) peer_links: BTreeMap<LinkId, Member>,
    /// The role-layer assignment carrying out the Election's latest `SetComponents`:
    /// (role manager generation, election generation, role).
    pub(crate) assignment: Option<(u64, Generation, Role)>,
    /// What each member last said of itself, by member index (this node's own entry unused).
    pub(crate) member_states: Vec<PeerState>,
    pub(crate) correlation: CorrelationCounter,
    /// Peer links this node closed because the peer broke the protocol, not yet reported.
    pub(crate) misbehaving: BTreeSet<LinkId>,
    /// Peer links closed for misbehaviour: reported to the Election as down at this time,
    /// unless a new link to the peer replaced them by then.
    pub(crate) deferred_down: Vec<(LinkId, Instant)>,
    /// The stop in progress, if [`Node::stop`] was called.
    pub(crate) stop: Option<Stop>,
    /// When to dial each peer ([`Event::Dial`]).
    pub(crate) dialer: Dialer,
    /// Registrations held after a stall of the node (PROTOCOL 6.3, *A resumed node*).
    pub(crate) resume: Resume,
    /// The script components: in-process components on links of the node's own
    /// ([`crate::SCRIPT_LINKS`] and up), which the driver never sees.
    pub(crate) scripts: Scripts,
    /// The last role transitions, with their causes ([`Node::history`]).
    pub(crate) history: History,
    /// Checks from the client's side, if configured (PROTOCOL 6.8).
    pub(crate) remote: Option<crate::RemoteCheck>,
    /// By member index: its last status line asked for the service (`remote=handover`), and
    /// this node has not acted on it yet.
    pub(crate) remote_asks: Vec<bool>,
    /// Replication through the node (PROTOCOL 6.11).
    pub(crate) replication: crate::replicate::Replication,
    pub(crate) transmits: VecDeque<Transmit>,
    pub(crate) events: VecDeque<Event>,
}

impl Node {
    /// A node that has just started: `Negotiating`, no links.
    ///
    /// # Errors
    /// A configuration the machines cannot run, naming what is wrong.
    pub fn new(config: NodeConfig, now: Instant) -> Result<Node, NodeConfigError> {
        config.validate()?;
        let election = Election::new(config.election(), now).map_err(NodeConfigError::Election)?;
        let seed = config.first_correlation_id;
        let peers =
            PeerLiveness::with_correlation(config.peer(), CorrelationCounter::starting_at(seed))
                .map_err(NodeConfigError::Monitor)?;
        let scripts = scripts_of(&config).map_err(NodeConfigError::ScriptId)?;
        let dialer = Dialer::new(now, config.me, config.members.len(), config.startup_wait);
        let member_states = vec![PeerState::Unknown; config.members.len()];
        let remote = config.remote_check.map(crate::RemoteCheck::new);
        let remote_asks = vec![false; config.members.len()];
        let replication = crate::replicate::Replication::new(
            config.replication.limits,
            config.replication.max_update_octets,
            seed,
        );
        let mut node = Node {
            roles: RoleManager::with_correlation(
                config.role(),
                CorrelationCounter::starting_at(seed),
            ),
            health: HealthMonitor::with_correlation(
                config.monitor(),
                CorrelationCounter::starting_at(seed),
            ),
            status: StatusServer::with_correlation(
                ServiceStatus::new(State::Negotiating),
                CorrelationCounter::starting_at(seed),
            ),
            correlation: CorrelationCounter::starting_at(seed),
            election,
            peers,
            config,
            links: BTreeMap::new(),
            identities: BTreeMap::new(),
            peer_links: BTreeMap::new(),
            assignment: None,
            member_states,
            misbehaving: BTreeSet::new(),
            deferred_down: Vec::new(),
            stop: None,
            dialer,
            resume: Resume::default(),
            scripts,
            history: History::default(),
            remote,
            remote_asks,
            replication,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        };
        node.open_scripts(now);
        node.process(now);
        Ok(node)
    }

    /// The configuration.
    pub fn config(&self) -> &NodeConfig {
        &self.config
    }

    /// The node's role in the election.
    pub fn role(&self) -> NodeRole {
        self.election.role()
    }

    /// The current service status line.
    pub fn status(&self) -> &ServiceStatus {
        self.status.status()
    }

    /// The last role transitions, each with its time and cause (`baton status --history`).
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The Election, for inspection (tests, the simulation, `baton status` details).
    pub fn election(&self) -> &Election {
        &self.election
    }

    /// The role layer, for inspection.
    pub fn roles(&self) -> &RoleManager {
        &self.roles
    }

    /// The component health monitor, for inspection.
    pub fn health(&self) -> &HealthMonitor {
        &self.health
    }

    /// Changes a configured component's severity and dead interval (configuration reload).
    pub fn set_component_policy(
        &mut self,
        now: Instant,
        id: &str,
        policy: baton_monitor::ComponentPolicy,
    ) {
        self.health.set_policy(id, policy);
        self.config.components.insert(id.to_owned(), policy);
        self.process(now);
    }

    /// Applies a configuration reload's changes that concern the node: the policies of
    /// configured components ([`crate::Change::ComponentPolicy`]). The driver applies the
    /// log filter; refused changes are the driver's to report.
    pub fn reload(&mut self, now: Instant, diff: &ConfigDiff) {
        for change in &diff.applied {
            if let Change::ComponentPolicy { component, policy } = change {
                self.set_component_policy(now, component, *policy);
            }
        }
    }

    /// Whether member `member` (its index) is up on some peer link (hellos exchanged).
    pub fn peer_is_up(&self, member: usize) -> bool {
        self.peer_links.values().any(|m| m.0 == member)
    }

    /// The kind of an open link.
    pub fn link_kind(&self, link: LinkId) -> Option<LinkKind> {
        self.links.get(&link).copied()
    }

    /// A link opened. A peer link starts with this node's hello, unless it is refused at
    /// once: on a node that requires certificates ([`NodeConfig::authenticated`]) a peer link
    /// opened here carries none ([`CloseReason::PeerWithoutCertificate`], PROTOCOL 3.4; see
    /// [`Node::handle_link_authenticated`]).
    pub fn handle_link_opened(&mut self, now: Instant, link: LinkId, kind: LinkKind) {
        if self.links.contains_key(&link) {
            self.notice(Notice::LinkOpenedTwice { link });
            return;
        }
        self.links.insert(link, kind);
        match kind {
            LinkKind::Peer(origin) => {
                if let Some(reason) = self.refuse_peer_at_open(link) {
                    self.close(now, link, reason);
                } else if let Err(e) = self.peers.handle_link_opened(now, link, origin) {
                    self.close(now, link, CloseReason::PeerLinkRefused(e));
                }
            }
            LinkKind::Component => {}
            LinkKind::Client => {
                if let Err(e) = self.status.handle_client_connected(now, link) {
                    self.close(now, link, CloseReason::StatusClientRefused(e));
                }
            }
        }
        self.process(now);
    }

    /// A link closed (by the other side, or after [`Event::CloseLink`]).
    pub fn handle_link_closed(&mut self, now: Instant, link: LinkId) {
        self.forget(now, link);
        self.process(now);
    }

    /// The driver closed `link` because the other side broke the protocol (a frame that does
    /// not decode, a stall in the middle of a frame). As [`Node::handle_link_closed`], except
    /// that a peer on that link is not taken for dead: it is alive and will connect again, so
    /// it counts as down only if no new link to it is up within the dead interval. A node
    /// thus keeps its role when a peer sends it garbage.
    pub fn handle_link_misbehaved(&mut self, now: Instant, link: LinkId) {
        if self.peer_links.contains_key(&link) {
            self.misbehaving.insert(link);
        }
        self.forget(now, link);
        self.process(now);
    }

    /// A decoded frame arrived on `link`.
    pub fn handle_frame(&mut self, now: Instant, link: LinkId, message: AnyMessage) {
        if let (Some(m), AnyMessage::Election(e)) = (self.peer_links.get(&link), &message) {
            let peer = self
                .config
                .members
                .get(m.0)
                .map_or("?", |p| p.name.as_str());
            self.history.election_input(peer, e);
        }
        match self.links.get(&link).copied() {
            Some(kind) => self.route_frame(now, link, kind, message),
            None => self.notice(Notice::FrameOnUnknownLink { link }),
        }
        self.process(now);
    }

    /// Timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.history.input(Cause::Timer);
        let (due, later): (Vec<_>, Vec<_>) =
            self.deferred_down.drain(..).partition(|(_, at)| *at <= now);
        self.deferred_down = later;
        for (link, _) in due {
            // Ignored by the Election if a new link to the peer replaced this one.
            self.election.handle_link_down(now, link);
        }
        self.election.handle_timeout(now);
        self.roles.handle_timeout(now);
        self.health.handle_timeout(now);
        self.peers.handle_timeout(now);
        self.status.handle_timeout(now);
        self.scripts.handle_timeout(now);
        if let Some(r) = &mut self.remote {
            r.handle_timeout(now);
        }
        self.step_replication_sync(now);
        self.process(now);
    }

    /// Planned switchover (operator, on the Active node).
    ///
    /// # Errors
    /// When this node is not Active or its peer is down.
    pub fn switchover(&mut self, now: Instant) -> Result<(), UsageError> {
        self.history.input(Cause::Switchover);
        // A peer link closed for misbehaviour is still up for the Election (until the dead
        // interval): the handover request would go nowhere, and the node would stand by with
        // nobody to take over (found by the `node_ops` fuzz target).
        if self.election.role() == NodeRole::Active && self.peer_links.is_empty() {
            return Err(UsageError::PeerDown);
        }
        let result = self.election.switchover(now);
        self.process(now);
        result
    }

    /// The earliest time [`Node::handle_timeout`] must be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        // The next step of a full sync under way (PROTOCOL 6.11) is no timer a stall is
        // judged by (`note_deadline`).
        [self.timers_deadline(), self.replication.sync_due]
            .into_iter()
            .flatten()
            .min()
    }

    /// The earliest deadline of the node's timers.
    pub(crate) fn timers_deadline(&self) -> Option<Instant> {
        [
            self.election.poll_timeout(),
            self.roles.poll_timeout(),
            self.health.poll_timeout(),
            self.peers.poll_timeout(),
            self.status.poll_timeout(),
            self.deferred_down.iter().map(|(_, at)| *at).min(),
            self.stop_deadline(),
            self.dial_timeout(),
            self.scripts.poll_timeout(),
            self.resume.deadline(),
            self.remote
                .as_ref()
                .and_then(crate::RemoteCheck::poll_timeout),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next thing the driver must do or may log.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Closes `link` on the node's own initiative: forgets it and tells the driver.
    pub(crate) fn close(&mut self, now: Instant, link: LinkId, reason: CloseReason) {
        if self.links.contains_key(&link) {
            if self.peer_links.contains_key(&link) {
                self.misbehaving.insert(link);
            }
            self.forget(now, link);
            if self.scripts.owns(link) {
                // The node's own link: nothing for the driver; the component connects again.
                let notice = self.scripts.closed_notice(link, reason);
                self.notice(Notice::Script(notice));
            } else {
                self.events.push_back(Event::CloseLink { link, reason });
            }
        }
    }

    /// Removes `link` from every machine that knows it.
    fn forget(&mut self, now: Instant, link: LinkId) {
        // A link this node dialled: dial again (at once if it lived a dead interval).
        let settle = self.config.dead_interval;
        self.dialer.handle_link_closed(now, link, settle);
        self.scripts.handle_closed(now, link);
        self.identities.remove(&link);
        self.replication_link_closed(link);
        match self.links.remove(&link) {
            Some(LinkKind::Peer(_)) => {
                self.peers.handle_link_closed(now, link);
                self.status.handle_client_closed(now, link);
            }
            Some(LinkKind::Component) => {
                self.health.handle_link_closed(now, link);
                self.roles.handle_link_closed(now, link);
                self.status.handle_client_closed(now, link);
            }
            Some(LinkKind::Client) => self.status.handle_client_closed(now, link),
            None => {}
        }
    }

    pub(crate) fn send(&mut self, link: LinkId, message: impl Into<AnyMessage>) {
        // The Election keeps a peer link closed for misbehaviour up until the dead interval
        // (`deferred_down`) and may still address it: never hand the driver a link the node
        // forgot (found by the `node_ops` fuzz target).
        if !self.links.contains_key(&link) {
            let interface = message.into().interface();
            self.notice(Notice::NotSent { link, interface });
            return;
        }
        if self.scripts.owns(link) {
            // Taken in by the script component within this processing step.
            self.scripts.deliver(link, message.into());
            return;
        }
        self.transmits.push_back(Transmit {
            link,
            message: message.into(),
        });
    }

    /// Queues a notice for the driver's log.
    pub(crate) fn notice(&mut self, notice: Notice) {
        self.history.notice(&notice);
        self.events.push_back(Event::Notice(notice));
    }
}
