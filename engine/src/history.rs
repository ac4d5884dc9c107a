//! The node's last role transitions, each with its time and its cause ([`History`]): "why
//! did it fail over at 03:12" answered without reading the logs (`baton status --history`).
//!
//! Decided where the decisions are made: the node notes what each input was (a peer's
//! Election message, a timer, an operator's switchover or stop) and the typed [`Notice`]s of
//! the step (a peer down, a fatal component failure, a failed promotion), and records each
//! role change of the Election with the most telling of them:
//! 1. the end of a promotion or demotion is [`Cause::ComponentsConfirmed`] (PROTOCOL 6.1);
//! 2. else the first telling notice of the step;
//! 3. else what the input was, unless a timer;
//! 4. else a fault noticed in an earlier step that no role change followed yet (a peer down
//!    before a fence command ended, PROTOCOL 5.10; a peer link closed with a grace that ran
//!    out);
//! 5. else the timer ([`Cause::StartupWait`] while negotiating), or [`Cause::Other`].
//!
//! A promotion from `standby` that ends `active` also records how long the failover took:
//! from the fault that caused it (the step that noticed it) to the components confirmed.

use crate::notice::Notice;
use baton_asn1::election::{ElectionMessage, ElectionMessageMessage, ElectionResult};
use baton_core::{Instant, NodeRole};
use baton_monitor::Severity;
use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

/// How many transitions a node keeps: the oldest goes first.
pub const HISTORY_LEN: usize = 64;

/// Why the node's role changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The peer went down: silent for the dead interval, or its link closed (PROTOCOL 4).
    PeerDown {
        /// Its member name.
        peer: String,
    },
    /// The peer came up (hellos exchanged, PROTOCOL 4).
    PeerUp {
        /// Its member name.
        peer: String,
    },
    /// An Election message from the peer (PROTOCOL 5): a nomination (a handover request
    /// when it names this node), an assignment, a veto or an error.
    PeerElection {
        /// Its member name.
        peer: String,
        /// The message's ASN.1 name: `nominationMsg`, `assigment`, `veto`, `electionError`.
        message: &'static str,
    },
    /// A component of severity `fatal` failed (PROTOCOL 6.4).
    ComponentFailed {
        /// The component id.
        component: String,
    },
    /// A component recovered: its fatal failure cleared.
    ComponentRecovered {
        /// The component id.
        component: String,
    },
    /// A component did not take `active` (PROTOCOL 6.1).
    PromotionFailed {
        /// The first component that failed.
        component: String,
    },
    /// Every component confirmed the role: a promotion or demotion ended (PROTOCOL 6.1).
    ComponentsConfirmed,
    /// An operator asked for a switchover (PROTOCOL 5.6).
    Switchover,
    /// The node was told to stop: it hands over first.
    Stop,
    /// A standby member's remote checks failed and it asked for the service
    /// (`remote=handover`, PROTOCOL 6.8): this active node hands over.
    RemoteCheckHandover {
        /// The member that asked.
        peer: String,
    },
    /// The node was negotiating and a timer ran out: the startup wait (PROTOCOL 5.6) or,
    /// in quorum mode, an election timer, with no outcome from a peer: it decided alone.
    StartupWait,
    /// Another timer of the node ran out: a retry, a lease (quorum mode), the grace of a
    /// peer link closed for misbehaviour.
    Timer,
    /// None of the above: a link opened or closed, a grant persisted, a fence command ended.
    Other,
}

impl Cause {
    /// A short name of the kind of cause, for machines: `peer_down`, `peer_up`,
    /// `peer_election`, `component_failed`, `component_recovered`, `promotion_failed`,
    /// `components_confirmed`, `switchover`, `stop`, `remote_check_handover`, `startup_wait`,
    /// `timer`, `other`.
    pub fn kind(&self) -> &'static str {
        match self {
            Cause::PeerDown { .. } => "peer_down",
            Cause::PeerUp { .. } => "peer_up",
            Cause::PeerElection { .. } => "peer_election",
            Cause::ComponentFailed { .. } => "component_failed",
            Cause::ComponentRecovered { .. } => "component_recovered",
            Cause::PromotionFailed { .. } => "promotion_failed",
            Cause::ComponentsConfirmed => "components_confirmed",
            Cause::Switchover => "switchover",
            Cause::Stop => "stop",
            Cause::RemoteCheckHandover { .. } => "remote_check_handover",
            Cause::StartupWait => "startup_wait",
            Cause::Timer => "timer",
            Cause::Other => "other",
        }
    }

    /// Whether it is a fault that a later role change may follow (a promotion after a fence
    /// command, PROTOCOL 5.10).
    fn is_fault(&self) -> bool {
        matches!(self, Cause::PeerDown { .. } | Cause::ComponentFailed { .. })
    }

    /// The cause a notice tells, if it tells one.
    fn of_notice(notice: &Notice) -> Option<Cause> {
        Some(match notice {
            Notice::PeerDown { peer, .. } => Cause::PeerDown { peer: peer.clone() },
            Notice::PeerUp { peer, .. } => Cause::PeerUp { peer: peer.clone() },
            Notice::ComponentFailed {
                component,
                severity: Severity::Fatal,
                ..
            } => Cause::ComponentFailed {
                component: component.clone(),
            },
            Notice::ComponentRecovered { component } => Cause::ComponentRecovered {
                component: component.clone(),
            },
            Notice::PromotionFailed { component, .. } => Cause::PromotionFailed {
                component: component.clone(),
            },
            _ => return None,
        })
    }
}

impl fmt::Display for Cause {
    /// The operator's words: `peer alpha down`, `nominationMsg from alpha`, ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::PeerDown { peer } => write!(f, "peer {peer} down"),
            Cause::PeerUp { peer } => write!(f, "peer {peer} up"),
            Cause::PeerElection { peer, message } => write!(f, "{message} from {peer}"),
            Cause::ComponentFailed { component } => {
                write!(f, "component {component} failed (fatal)")
            }
            Cause::ComponentRecovered { component } => {
                write!(f, "component {component} recovered")
            }
            Cause::PromotionFailed { component } => {
                write!(f, "component {component} did not take active")
            }
            Cause::ComponentsConfirmed => f.write_str("components confirmed"),
            Cause::Switchover => f.write_str("switchover asked"),
            Cause::Stop => f.write_str("stopping: handing over"),
            Cause::RemoteCheckHandover { peer } => {
                write!(f, "{peer}'s remote checks fail: it asked for the service")
            }
            Cause::StartupWait => f.write_str("no peer's answer within the startup wait"),
            Cause::Timer => f.write_str("timer"),
            Cause::Other => f.write_str("other"),
        }
    }
}

/// One role change: when, from what to what, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// When (the node's clock: the driver reports it as wall-clock time).
    pub at: Instant,
    /// The role before.
    pub from: NodeRole,
    /// The role after.
    pub to: NodeRole,
    /// Why.
    pub cause: Cause,
    /// On `promoting` to `active` after a promotion from `standby`: from the fault noticed
    /// to the components confirmed.
    pub failover: Option<Duration>,
}

impl fmt::Display for Transition {
    /// `standby -> promoting: peer alpha down`, `(failover 20 ms)` added when measured.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (from, to) = (self.from.status_word(), self.to.status_word());
        write!(f, "{from} -> {to}: {}", self.cause)?;
        if let Some(d) = self.failover {
            write!(f, " (failover {} ms)", d.as_millis())?;
        }
        Ok(())
    }
}

/// The last [`HISTORY_LEN`] transitions, and what the step under way noticed.
#[derive(Debug, Clone, Default)]
pub struct History {
    entries: VecDeque<Transition>,
    /// What this step's input was, if it tells a cause.
    input: Option<Cause>,
    /// The first telling notice of this step.
    noticed: Option<Cause>,
    /// A peer link of this step closed with a grace (for misbehaviour, or while another
    /// link awaited its hello): the peer down if no link is up by its end.
    grace: Option<Cause>,
    /// A fault noticed in an earlier step, and when, that no role change followed yet.
    pending: Option<(Cause, Instant)>,
    /// When the failover under way began (its fault noticed).
    failover_from: Option<Instant>,
    /// Whether this step recorded a transition.
    changed: bool,
}

impl History {
    /// The transitions kept, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Transition> + '_ {
        self.entries.iter()
    }

    /// How many transitions are kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The latest transition.
    pub fn last(&self) -> Option<&Transition> {
        self.entries.back()
    }

    /// This step's input is `cause`, unless an earlier call of the step said what it was
    /// (a stop's switchover is a stop).
    pub(crate) fn input(&mut self, cause: Cause) {
        self.input.get_or_insert(cause);
    }

    /// This step's input is an Election message from `peer`.
    pub(crate) fn election_input(&mut self, peer: &str, message: &ElectionMessage) {
        let message = match &message.message {
            ElectionMessageMessage::nominationMsg(_) => "nominationMsg",
            ElectionMessageMessage::electionResult(ElectionResult::assigment(_)) => "assigment",
            ElectionMessageMessage::electionResult(ElectionResult::veto(_)) => "veto",
            ElectionMessageMessage::electionResult(ElectionResult::electionError(_)) => {
                "electionError"
            }
        };
        let peer = peer.to_owned();
        self.input(Cause::PeerElection { peer, message });
    }

    /// A notice of this step: the first telling one is the step's cause; a peer up or a
    /// component recovered clears the matching fault of an earlier step.
    pub(crate) fn notice(&mut self, notice: &Notice) {
        if let Notice::PeerLinkClosedForMisbehaviour { peer, .. }
        | Notice::PeerLinkClosedAwaitingHello { peer, .. } = notice
        {
            let peer = peer.clone();
            self.grace.get_or_insert(Cause::PeerDown { peer });
        }
        let Some(cause) = Cause::of_notice(notice) else {
            return;
        };
        let clears = match (&self.pending, &cause) {
            (Some((Cause::PeerDown { peer: a }, _)), Cause::PeerUp { peer: b }) => a == b,
            (
                Some((Cause::ComponentFailed { component: a }, _)),
                Cause::ComponentRecovered { component: b },
            ) => a == b,
            _ => false,
        };
        if clears {
            self.pending = None;
        }
        self.noticed.get_or_insert(cause);
    }

    /// The Election changed the role at `now`: recorded with its cause.
    pub(crate) fn record(&mut self, now: Instant, from: NodeRole, to: NodeRole) {
        use NodeRole::{Active, Demoting, Promoting, Standby};
        let mut since = now;
        // Followed by a role change: no longer pending.
        let pending = self.pending.take();
        // A timer that ends a wait a fault began (a lease, a peer link's grace) is told by
        // the fault.
        let input = self.input.clone().filter(|c| *c != Cause::Timer);
        let cause = if matches!((from, to), (Promoting, Active) | (Demoting, Standby)) {
            Cause::ComponentsConfirmed
        } else if let Some(c) = self.noticed.clone().or(input) {
            c
        } else if let Some((c, at)) = pending {
            since = at;
            c
        } else if let Some(c) = self.input.clone() {
            c
        } else {
            Cause::Other
        };
        let cause = match cause {
            Cause::Timer if from == NodeRole::Negotiating => Cause::StartupWait,
            c => c,
        };
        self.changed = true;
        let mut failover = None;
        match (from, to) {
            (Standby, Promoting) => self.failover_from = Some(since),
            (Promoting, Active) => {
                failover = self
                    .failover_from
                    .take()
                    .map(|t| now.saturating_duration_since(t));
            }
            (Promoting, _) => self.failover_from = None,
            _ => {}
        }
        if self.entries.len() == HISTORY_LEN {
            self.entries.pop_front();
        }
        self.entries.push_back(Transition {
            at: now,
            from,
            to,
            cause,
            failover,
        });
    }

    /// The step that ran at `now` is over: a fault it noticed that no role change followed
    /// stays pending; the rest is forgotten.
    pub(crate) fn end_step(&mut self, now: Instant) {
        let grace = self.grace.take();
        if let Some(c) = self.noticed.take().filter(Cause::is_fault).or(grace) {
            if !self.changed {
                self.pending = Some((c, now));
            }
        }
        self.input = None;
        self.changed = false;
    }
}
