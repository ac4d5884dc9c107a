//! The Election state machine: its state, public API and role transitions.

use crate::config::{Alone, Config, ConfigError, Member};
use crate::event::{Event, Generation, Misbehaviour, Transmit};
use crate::fence::Fencing;
use crate::ids::Ids;
use crate::nominator::Nomination;
use crate::peer::PeerState;
use crate::responder::NominationKind;
use crate::role::NodeRole;
use crate::round::Round;
use crate::timer::{Timer, TimerTable};
use baton_asn1::election::{ElectionMessage, ElectionMessageMessage};
use baton_asn1::{Message, Validate};
use baton_core::{Instant, LinkId};
use std::collections::VecDeque;
use std::fmt;

/// What a node does once its components confirm `standby` (unless its peer is down then:
/// it promotes \[F5\]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum AfterDemotion {
    /// Become `Standby`.
    Nothing,
    /// Become `Standby`, then send a handover request (planned switchover, fatal failure).
    Handover,
    /// Become `Standby`, then answer the peer's self-nomination `id` with
    /// `assigment{peer, self}` (preempt).
    Answer {
        /// The self-nominating peer.
        to: Member,
        /// Its nomination's `seq` (PROTOCOL 2.3).
        seq: u16,
    },
}

/// The sans-IO Election of one member (PROTOCOL 5, pair mode).
///
/// Feed it with the `handle_*` methods, then drain [`Election::poll_transmit`],
/// [`Election::poll_event`] and [`Election::poll_timeout`]. It never reads a clock: every
/// input carries `now`. Its whole state is `Clone + Eq + Hash`, for model checking.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Election {
    pub(crate) config: Config,
    pub(crate) role: NodeRole,
    /// Indexed by member; the entry for this node stays empty.
    pub(crate) peers: Vec<PeerState>,
    /// The latest nomination, while valid \[F7\].
    pub(crate) pending: Option<Nomination>,
    pub(crate) after_demotion: AfterDemotion,
    /// A fatal component failure: the next promotion fails.
    pub(crate) fatal: bool,
    /// Number of the latest `SetComponents` command.
    pub(crate) generation: Generation,
    pub(crate) timers: TimerTable,
    pub(crate) ids: Ids,
    /// Round of the current or latest promotion (PROTOCOL 5.11).
    pub(crate) round: Round,
    /// Highest round seen, own included.
    pub(crate) seen_round: Round,
    /// A fencing under way (PROTOCOL 5.10).
    pub(crate) fencing: Option<Fencing>,
    /// Quorum-mode state (PROTOCOL 5.9); empty in pair mode.
    pub(crate) quorum: crate::quorum::QuorumState,
    /// Etcd-mode state (PROTOCOL 5.12); empty in the other modes.
    pub(crate) etcd: crate::etcd::EtcdState,
    pub(crate) transmits: VecDeque<Transmit>,
    pub(crate) events: VecDeque<Event>,
}

/// A local API call made at the wrong moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UsageError {
    /// A planned switchover needs an `Active` node; this one is in the given role.
    NotActive(NodeRole),
    /// A planned switchover needs a peer to hand over to; its link is down.
    PeerDown,
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsageError::NotActive(r) => {
                write!(f, "switchover needs an active node, this one is {r}")
            }
            UsageError::PeerDown => write!(f, "switchover needs the peer, its link is down"),
        }
    }
}

impl std::error::Error for UsageError {}

impl Election {
    /// A node that has just started: `Negotiating`, no link up. With
    /// [`Alone::Promote`], it promotes itself if no peer link comes up within
    /// [`Config::startup_wait`].
    pub fn new(config: Config, now: Instant) -> Result<Self, ConfigError> {
        config.validate()?;
        let mut e = Election {
            peers: vec![PeerState::default(); config.members.len()],
            ids: Ids::starting_at(config.first_correlation_id),
            config,
            role: NodeRole::Negotiating,
            pending: None,
            after_demotion: AfterDemotion::Nothing,
            fatal: false,
            generation: Generation::default(),
            round: Round::default(),
            seen_round: Round::default(),
            fencing: None,
            quorum: crate::quorum::QuorumState::default(),
            etcd: crate::etcd::EtcdState::default(),
            timers: TimerTable::default(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        };
        if e.is_quorum() {
            e.q_start(now);
        } else if e.is_etcd() {
            e.e_start();
        } else {
            e.arm_startup_wait(now);
        }
        Ok(e)
    }

    // ---- outputs ----

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Election::handle_timeout`] must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.timers.next_deadline(),
            self.quorum.timers.next_deadline(),
            self.etcd.timers.next_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ---- inputs ----

    /// Handles every timer expired at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.is_quorum() {
            return self.q_handle_timeout(now);
        }
        if self.is_etcd() {
            return self.e_handle_timeout(now);
        }
        while let Some(t) = self.timers.next_expired(now) {
            match t {
                Timer::StartupWait => {
                    if self.role == NodeRole::Negotiating && !self.any_link_up() {
                        self.promote_unagreed(now);
                    }
                }
                Timer::Retry => self.retry_nomination(),
                Timer::FenceRetry => self.fence_retry_due(),
            }
        }
    }

    /// The link to `peer` is up (both hellos exchanged) as `link`. PROTOCOL 5.3: a
    /// `Negotiating`, `Promoting` or `Active` node nominates itself, a `PromotionFailed` node
    /// sends a handover request \[F3\], `Standby` and `Demoting` send nothing; a `Demoting`
    /// node sends a handover request once its demotion completes \[F11\].
    ///
    /// A link-up for a peer whose link is already up replaces that link (no failure is
    /// assumed); anything pending on the old link is dropped.
    pub fn handle_link_up(&mut self, now: Instant, link: LinkId, peer: Member) {
        if !self.is_peer(peer) {
            debug_assert!(false, "handle_link_up: {peer} is not a peer");
            return;
        }
        if self.is_quorum() {
            return self.q_link_up(link, peer);
        }
        if self.is_etcd() {
            // Etcd mode: links only feed the member table (PROTOCOL 5.12).
            self.peers[peer.0].link = Some(link);
            return;
        }
        let _ = now;
        self.forget_link_state(peer);
        self.peers[peer.0].link = Some(link);
        // PROTOCOL 5.10: the member being fenced is alive; the normal link-up rules apply.
        if self.fencing() == Some(peer) {
            self.abandon_fencing();
        }
        self.timers.stop(Timer::StartupWait);
        match self.role {
            NodeRole::Negotiating | NodeRole::Promoting | NodeRole::Active => {
                self.nominate(peer, NominationKind::SelfNomination)
            }
            NodeRole::PromotionFailed => self.nominate(peer, NominationKind::Handover),
            NodeRole::Standby => {}
            // [F11] (PROTOCOL 5.6, found by tests/explore.rs): both Demoting, the link dies and
            // comes back before either completes; both would end Standby with nothing to
            // send. The Demoting node owes the link-up a nomination: once its components
            // confirm, it becomes Standby and sends a handover request (crossing requests:
            // only the higher accepts [F10]).
            NodeRole::Demoting => self.after_demotion = AfterDemotion::Handover,
        }
    }

    /// Failure of the peer on `link` was detected (the link closed, or no heartbeat for the
    /// dead interval; the composer decides). A `Standby` node promotes; a `Negotiating` node
    /// is alone again and re-arms `startup_wait`; a `Demoting` node promotes once its
    /// demotion completes \[F5\]. Unknown links are ignored.
    pub fn handle_link_down(&mut self, now: Instant, link: LinkId) {
        if self.is_quorum() {
            return self.q_link_down(link);
        }
        if self.is_etcd() {
            if let Some(peer) = self.peer_on(link) {
                self.peers[peer.0].link = None;
            }
            return;
        }
        let Some(peer) = self.peer_on(link) else {
            return;
        };
        self.forget_link_state(peer);
        self.peers[peer.0].link = None;
        match self.role {
            NodeRole::Standby => self.promote_unagreed(now),
            NodeRole::Negotiating => self.arm_startup_wait(now),
            _ => {}
        }
    }

    /// A message from the peer on `link`. Messages on a link that is not (or no longer) up
    /// are ignored. Peer misbehaviour becomes [`Event::PeerMisbehaved`].
    pub fn handle_message(&mut self, now: Instant, link: LinkId, msg: ElectionMessage) {
        if self.is_quorum() {
            return self.q_handle_message(now, link, msg);
        }
        if self.is_etcd() {
            // Etcd mode elects through etcd only: Election messages change nothing.
            return;
        }
        let Some(from) = self.peer_on(link) else {
            return;
        };
        if let Err(e) = msg.validate() {
            self.misbehaved(from, Misbehaviour::Malformed(e.to_string()));
            match msg.message {
                ElectionMessageMessage::nominationMsg(_) => {
                    let id_path = baton_asn1::validate::Path::root("CorrelationId");
                    let id = if msg.correlation_id.validate_at(&id_path).is_ok() {
                        msg.correlation_id
                    } else {
                        crate::message::correlation_id("")
                    };
                    let reply = crate::message::error(id, crate::message::description::MALFORMED);
                    self.send(link, from, reply);
                }
                ElectionMessageMessage::electionResult(_) => {
                    // Treated as an `electionError` if it answers the pending nomination.
                    let err = baton_asn1::election::ElectionResult::electionError(
                        baton_asn1::election::ElectionError::new(
                            crate::message::description::MALFORMED.to_owned(),
                        ),
                    );
                    self.handle_answer(now, from, &msg.correlation_id, err);
                }
            }
            return;
        }
        match msg.message {
            ElectionMessageMessage::nominationMsg(n) => {
                self.handle_nomination(now, link, from, msg.correlation_id, n.nominee.0)
            }
            ElectionMessageMessage::electionResult(r) => {
                self.handle_answer(now, from, &msg.correlation_id, r)
            }
        }
    }

    /// The role layer confirmed the command of `generation` (every component answered, or
    /// for a demotion: answered or was marked failed, PROTOCOL 6.1). `Promoting` → `Active`;
    /// `Demoting` → `Standby` (or, peer down, promote \[F5\]). Answers for an earlier
    /// generation are ignored.
    pub fn handle_components_done(&mut self, now: Instant, generation: Generation) {
        if self.is_quorum() {
            return self.q_components_done(now, generation);
        }
        if self.is_etcd() {
            return self.e_components_done(now, generation);
        }
        if generation != self.generation {
            return;
        }
        match self.role {
            NodeRole::Promoting => self.set_role(NodeRole::Active),
            NodeRole::Demoting => self.demotion_done(now),
            _ => {}
        }
    }

    /// The promotion of `generation` failed (a component answered `failure` or timed out).
    /// `Promoting` → `PromotionFailed`, then a handover request \[F3\]. Answers for an earlier
    /// generation are ignored.
    pub fn handle_promotion_failed(&mut self, now: Instant, generation: Generation) {
        if self.is_quorum() {
            return self.q_handle_promotion_failed(now, generation);
        }
        if self.is_etcd() {
            return self.e_handle_promotion_failed(now, generation);
        }
        if generation == self.generation && self.role == NodeRole::Promoting {
            self.promotion_failed(now);
        }
    }

    /// Planned switchover (operator, on the Active): `Demoting`; once the components confirm,
    /// `Standby`, then a handover request to the peer.
    pub fn switchover(&mut self, now: Instant) -> Result<(), UsageError> {
        let _ = now;
        if self.is_quorum() {
            return self.q_switchover();
        }
        if self.is_etcd() {
            return self.e_switchover();
        }
        if self.role != NodeRole::Active {
            return Err(UsageError::NotActive(self.role));
        }
        if !self.any_link_up() {
            return Err(UsageError::PeerDown);
        }
        self.demote(AfterDemotion::Handover);
        Ok(())
    }

    /// A fatal component failure (PROTOCOL 5.6, 6.4): the node cannot serve. `Active` hands over
    /// exactly as a planned switchover does (even with the peer down: it then stops serving,
    /// \[F5\] re-promotes and that promotion fails); `Promoting` fails its promotion now;
    /// in every other role the next promotion fails. Stays until
    /// [`Election::handle_fatal_cleared`].
    pub fn handle_fatal(&mut self, now: Instant) {
        if self.is_quorum() {
            return self.q_fatal(now);
        }
        if self.is_etcd() {
            return self.e_fatal(now);
        }
        self.fatal = true;
        match self.role {
            NodeRole::Active => self.demote(AfterDemotion::Handover),
            NodeRole::Promoting => self.promotion_failed(now),
            _ => {}
        }
    }

    /// The fatal failure is over (the component recovered): promotions may succeed again.
    pub fn handle_fatal_cleared(&mut self, now: Instant) {
        if self.is_quorum() {
            return self.q_fatal_cleared(now);
        }
        if self.is_etcd() {
            return self.e_fatal_cleared(now);
        }
        let _ = now;
        self.fatal = false;
    }

    // ---- helpers ----

    fn is_peer(&self, m: Member) -> bool {
        m.0 < self.config.members.len() && m.0 != self.config.me
    }

    pub(crate) fn peer_on(&self, link: LinkId) -> Option<Member> {
        self.peers
            .iter()
            .position(|p| p.link == Some(link))
            .map(Member)
    }

    pub(crate) fn any_link_up(&self) -> bool {
        self.peers.iter().any(|p| p.link.is_some())
    }

    /// Drops what belongs to the current link of `peer`: the pending nomination, a deferred
    /// answer, the believed peer role.
    fn forget_link_state(&mut self, peer: Member) {
        self.drop_nomination_to(peer);
        if matches!(self.after_demotion, AfterDemotion::Answer { to, .. } if to == peer) {
            self.after_demotion = AfterDemotion::Nothing;
        }
        self.peers[peer.0].role = None;
    }

    fn arm_startup_wait(&mut self, now: Instant) {
        if self.config.alone == Alone::Promote {
            self.timers
                .set(Timer::StartupWait, now + self.config.startup_wait);
        }
    }

    pub(crate) fn send(&mut self, link: LinkId, to: Member, message: ElectionMessage) {
        self.transmits.push_back(Transmit { link, to, message });
    }

    pub(crate) fn misbehaved(&mut self, peer: Member, reason: Misbehaviour) {
        self.events
            .push_back(Event::PeerMisbehaved { peer, reason });
    }
}
