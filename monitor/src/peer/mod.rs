//! Node-to-node liveness on peer links: [`PeerLiveness`].

mod config;
mod hello;
mod park;

pub use config::PeerConfig;

use crate::ignored::IgnoredReason;
use crate::message::{component_id, correlation_id, text, Transmit};
use crate::MonitorError;
use baton_asn1::monitor::{
    BillOfHealth, ComponentId, ComponentStatus, HealthMonitorMessage,
    HealthMonitorMessageMessage as M, HealthQueryResponse, HeartBeat,
};
use baton_core::{
    default_stall_threshold, CorrelationCounter, Graced, Instant, LinkId, StallRule, Timers,
};
pub use hello::{HelloRefusal, LinkOrigin};
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

/// What the node learns about its peers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Both hellos exchanged on `link` with `member`: the link is up (PROTOCOL 4 "link-up"). A
    /// second `PeerUp` for a member that is up means its traffic moved to the new `link`.
    PeerUp {
        /// The peer's member id.
        member: String,
        /// The peer link.
        link: LinkId,
    },
    /// No heartbeat from `member` for the dead interval, or its link closed. The link is
    /// forgotten; the composer closes it.
    PeerDead {
        /// The peer's member id.
        member: String,
        /// The link it was up on.
        link: LinkId,
    },
    /// A valid hello for `member` on `link` waits: the member is settled on `up_on` (PROTOCOL
    /// 4, duplicate links). Nothing but heartbeats is taken from `link` until the member is
    /// heard on `up_on` (then `link` is refused) or `up_on` dies ([`Event::Moved`]).
    Parked {
        /// The member the hello names.
        member: String,
        /// The waiting link.
        link: LinkId,
        /// The link the member is up on.
        up_on: LinkId,
    },
    /// `member`'s link `from` fell silent for the dead interval, or closed, while a hello for
    /// it waited on `to`: the member is up on `to` now, and was never down (as for a second
    /// [`Event::PeerUp`]). `from` is forgotten; the composer closes it if it is open.
    Moved {
        /// The peer's member id.
        member: String,
        /// The link it was up on.
        from: LinkId,
        /// The link it is up on now.
        to: LinkId,
    },
    /// The peer link `link` is refused; the composer closes it.
    HelloRefused {
        /// The link.
        link: LinkId,
        /// Why.
        reason: HelloRefusal,
    },
    /// A message was ignored.
    Ignored {
        /// The link it came on.
        link: LinkId,
        /// Why.
        reason: IgnoredReason,
    },
}

/// The machine's timers, per link. Declared in the order they expire when due at the same
/// instant: a peer declared dead at the instant of a heartbeat is sent none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Dead(LinkId),
    Heartbeat(LinkId),
}

/// One open peer link.
#[derive(Debug, Clone)]
struct PeerLink {
    origin: LinkOrigin,
    /// The member named by the peer's hello, once received.
    member: Option<String>,
    /// When that hello was accepted.
    up_at: Option<Instant>,
    /// The member named by a hello that waits while that member is settled on another link
    /// (PROTOCOL 4, duplicate links; see `park`).
    parked: Option<String>,
    /// Whether the stall grace was granted since the peer was last heard.
    graced: Graced,
}

/// Node-to-node heartbeats (PROTOCOL 4).
///
/// On every peer link this node's first frame is its hello, a `heartBeat` carrying its member
/// id; then a `heartBeat` every heartbeat interval. The peer's first frame must be a hello
/// naming a configured member other than this node, else [`Event::HelloRefused`]. Once it
/// came, the link is up ([`Event::PeerUp`]); silence for the dead interval, or the link
/// closing, makes the peer dead ([`Event::PeerDead`]). A `healthQuery` from a peer (every
/// party may read) is answered `ok`.
#[derive(Debug, Clone)]
pub struct PeerLiveness {
    member_id: ComponentId,
    member_text: String,
    members: Vec<String>,
    heartbeat_interval: Duration,
    dead_interval: Duration,
    /// The stall grace of the dead interval (PROTOCOL 4).
    stall: StallRule,
    links: BTreeMap<LinkId, PeerLink>,
    correlation: CorrelationCounter,
    timers: Timers<Timer>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
}

impl PeerLiveness {
    /// A machine with no peer link open.
    ///
    /// # Errors
    /// [`MonitorError::InvalidId`] if an id is not digits (at most 16),
    /// [`MonitorError::SelfNotMember`] if `member_id` is not among `members`.
    pub fn new(config: PeerConfig) -> Result<Self, MonitorError> {
        Self::with_correlation(config, CorrelationCounter::default())
    }

    /// As [`PeerLiveness::new`], with a counter the driver seeded.
    ///
    /// # Errors
    /// As [`PeerLiveness::new`].
    pub fn with_correlation(
        config: PeerConfig,
        correlation: CorrelationCounter,
    ) -> Result<Self, MonitorError> {
        let member_id = component_id(&config.member_id)?;
        for m in &config.members {
            component_id(m)?;
        }
        if !config.members.contains(&config.member_id) {
            return Err(MonitorError::SelfNotMember(config.member_id));
        }
        Ok(PeerLiveness {
            member_id,
            member_text: config.member_id,
            members: config.members,
            heartbeat_interval: config.heartbeat_interval,
            dead_interval: config
                .dead_interval
                .unwrap_or(config.heartbeat_interval * 3),
            stall: StallRule {
                threshold: config
                    .stall_threshold
                    .unwrap_or_else(|| default_stall_threshold(config.heartbeat_interval)),
                grace: config.stall_grace.unwrap_or(config.heartbeat_interval),
            },
            links: BTreeMap::new(),
            correlation,
            timers: Timers::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        })
    }

    /// A peer link opened: sends the hello and starts the heartbeats; the peer's hello is due
    /// within the dead interval.
    ///
    /// # Errors
    /// [`MonitorError::LinkAlreadyOpen`] if `link` is open already.
    pub fn handle_link_opened(
        &mut self,
        now: Instant,
        link: LinkId,
        origin: LinkOrigin,
    ) -> Result<(), MonitorError> {
        if self.links.contains_key(&link) {
            return Err(MonitorError::LinkAlreadyOpen(link));
        }
        self.links.insert(
            link,
            PeerLink {
                origin,
                member: None,
                up_at: None,
                parked: None,
                graced: Graced::default(),
            },
        );
        self.send_heartbeat(now, link);
        self.timers.set(Timer::Dead(link), now + self.dead_interval);
        Ok(())
    }

    /// A peer link closed: [`Event::PeerDead`] if it was up ([`Event::Moved`] if a hello for
    /// its member was parked).
    pub fn handle_link_closed(&mut self, now: Instant, link: LinkId) {
        if let Some(PeerLink {
            member: Some(member),
            ..
        }) = self.forget(link)
        {
            self.up_link_gone(now, link, member);
        }
    }

    /// A `HealthMonitorMessage` on peer link `link`.
    pub fn handle_message(&mut self, now: Instant, link: LinkId, message: HealthMonitorMessage) {
        let Some(peer) = self.links.get(&link) else {
            self.ignore(link, IgnoredReason::UnknownLink);
            return;
        };
        let id = text(&message.component_id.0);
        if let Some(parked) = peer.parked.clone() {
            // A parked link's heartbeats keep it open; nothing else is taken from it.
            if id == parked && !matches!(message.message, M::healthQueryResponse(_)) {
                self.timers.set(Timer::Dead(link), now + self.dead_interval);
            } else {
                self.ignore(link, IgnoredReason::UnexpectedMessage);
            }
            return;
        }
        let Some(member) = peer.member.clone() else {
            self.hello(now, link, id, &message.message);
            return;
        };
        if id != member {
            self.ignore(
                link,
                IgnoredReason::ComponentIdMismatch {
                    expected: member,
                    got: id,
                },
            );
            return;
        }
        match message.message {
            M::heartBeat(_) => {
                self.alive(now, link);
                self.refuse_parked_for(link);
            }
            M::healthQuery(_) => {
                self.alive(now, link);
                self.refuse_parked_for(link);
                self.transmits.push_back(Transmit {
                    link,
                    message: HealthMonitorMessage::new(
                        message.correlation_id,
                        self.member_id.clone(),
                        M::healthQueryResponse(HealthQueryResponse::new(BillOfHealth::new(
                            ComponentStatus::ok,
                        ))),
                    ),
                });
            }
            M::healthQueryResponse(_) => self.ignore(link, IgnoredReason::UnexpectedMessage),
        }
    }

    /// Sends due heartbeats; declares silent peers dead and refuses links without a hello.
    ///
    /// Stall grace: a dead interval of an up link that ends more than the stall threshold
    /// late is extended once by the stall grace instead (this node did not run at its
    /// deadline); a second expiry, late or not, declares the peer dead. Hearing the peer
    /// ends the grace.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some((timer, deadline)) = self.timers.next_expired_at(now) {
            match timer {
                Timer::Heartbeat(link) => self.send_heartbeat(now, link),
                Timer::Dead(link) if self.grant_grace(now, deadline, link) => {}
                Timer::Dead(link) => match self.forget(link) {
                    Some(PeerLink {
                        member: Some(member),
                        ..
                    }) => {
                        self.up_link_gone(now, link, member);
                    }
                    Some(PeerLink {
                        parked: Some(member),
                        ..
                    }) => self.refuse(link, HelloRefusal::AlreadyUp { member }),
                    Some(PeerLink { member: None, .. }) => self.refuse(link, HelloRefusal::NoHello),
                    None => {}
                },
            }
        }
    }

    /// The next deadline: a heartbeat or a dead interval.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The link `member` is up on, if any.
    pub fn link_of(&self, member: &str) -> Option<LinkId> {
        self.links
            .iter()
            .find(|(_, p)| p.member.as_deref() == Some(member))
            .map(|(l, _)| *l)
    }

    /// The members whose link is up, with their links, in link order.
    pub fn peers_up(&self) -> impl Iterator<Item = (&str, LinkId)> + '_ {
        self.links
            .iter()
            .filter_map(|(l, p)| p.member.as_deref().map(|m| (m, *l)))
    }

    fn alive(&mut self, now: Instant, link: LinkId) {
        let at = now + self.dead_interval;
        if let Some(peer) = self.links.get_mut(&link) {
            peer.graced.heard();
        }
        self.timers.set(Timer::Dead(link), at);
    }

    /// The dead interval of up link `link`, due at `deadline`, just expired at `now`: if the
    /// stall rule grants a grace (PROTOCOL 4: fired late, none granted since the peer was
    /// last heard), extends it and returns `true`. A link without a hello gets no grace.
    fn grant_grace(&mut self, now: Instant, deadline: Instant, link: LinkId) -> bool {
        let Some(peer) = self.links.get_mut(&link) else {
            return false;
        };
        if peer.member.is_none() {
            return false;
        }
        let Some(until) = self.stall.extend(&mut peer.graced, deadline, now) else {
            return false;
        };
        self.timers.set(Timer::Dead(link), until);
        true
    }

    fn send_heartbeat(&mut self, now: Instant, link: LinkId) {
        let message = HealthMonitorMessage::new(
            correlation_id(&self.correlation.next_id()),
            self.member_id.clone(),
            M::heartBeat(HeartBeat::new(BillOfHealth::new(ComponentStatus::ok))),
        );
        self.transmits.push_back(Transmit { link, message });
        self.timers
            .set(Timer::Heartbeat(link), now + self.heartbeat_interval);
    }

    /// Forgets `link` and its timers, returning its state.
    fn forget(&mut self, link: LinkId) -> Option<PeerLink> {
        self.timers.stop(Timer::Dead(link));
        self.timers.stop(Timer::Heartbeat(link));
        self.links.remove(&link)
    }

    fn refuse(&mut self, link: LinkId, reason: HelloRefusal) {
        self.forget(link);
        self.events.push_back(Event::HelloRefused { link, reason });
    }

    fn ignore(&mut self, link: LinkId, reason: IgnoredReason) {
        self.events.push_back(Event::Ignored { link, reason });
    }
}
