//! What the Election hands to its caller: transmits and events.

use crate::config::Member;
use crate::role::{NodeRole, Role};
use baton_asn1::election::ElectionMessage;
use baton_core::LinkId;
use std::fmt;

/// An `ElectionMessage` to send to a peer, drained with
/// [`Election::poll_transmit`](crate::Election::poll_transmit).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Transmit {
    /// The peer's link (the one given to `handle_link_up`).
    pub link: LinkId,
    /// The peer.
    pub to: Member,
    /// The message.
    pub message: ElectionMessage,
}

/// Numbers the [`Event::SetComponents`] commands. A command supersedes every earlier one: the
/// role layer answers with the generation it was given, and the Election ignores answers
/// whose generation is not the latest (an abandoned promotion never counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Generation(pub u64);

impl fmt::Display for Generation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "gen#{}", self.0)
    }
}

/// Something the caller must know or do, drained with
/// [`Election::poll_event`](crate::Election::poll_event).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Event {
    /// The node's role changed.
    RoleChanged {
        /// The previous role.
        from: NodeRole,
        /// The new role.
        to: NodeRole,
    },
    /// Command to the role layer: set every component to `role`, then report with
    /// [`Election::handle_components_done`](crate::Election::handle_components_done) or (for
    /// `active` only) [`Election::handle_promotion_failed`](crate::Election::handle_promotion_failed),
    /// passing `generation`. Supersedes every earlier command.
    SetComponents {
        /// The component role value to set (`active` or `standby`).
        role: Role,
        /// This command's number.
        generation: Generation,
    },
    /// The peer sent something it should not have. The Election carried on (and answered
    /// `electionError` where PROTOCOL 5.5 says so); the caller logs it.
    PeerMisbehaved {
        /// The peer.
        peer: Member,
        /// What it did.
        reason: Misbehaviour,
    },
    /// The peer answered this node's valid nomination with an `electionError` other than the
    /// transient `negotiating`/`demoting` (`not a member`, `malformed`, ...): usually the two
    /// configurations disagree. The nomination is retried after the back-off all the same.
    NominationRefused {
        /// The peer.
        peer: Member,
        /// The peer's `description`.
        description: String,
    },
    /// Fencing (PROTOCOL 5.10): this node would promote without the active's agreement. The
    /// caller runs the fence command against `member`, then calls
    /// [`Election::handle_fence_done`](crate::Election::handle_fence_done). The node stays
    /// `Standby`/`Negotiating` until then.
    Fence {
        /// The member to fence (pair mode: the peer).
        member: Member,
    },
    /// Quorum mode (PROTOCOL 5.9.3): write this grant to `state_dir/grant` (temp file,
    /// fsync, rename, fsync of the directory), then call
    /// [`Election::handle_grant_persisted`](crate::Election::handle_grant_persisted). Every
    /// transmit is held until then \[Q1\]. If the write fails, stop the node.
    PersistGrant(crate::quorum::Grant),
    /// Etcd mode (PROTOCOL 5.12): carry this command to etcd and hand the answer back with
    /// [`Election::handle_etcd`](crate::Election::handle_etcd).
    Etcd(crate::etcd::EtcdCommand),
}

/// Peer misbehaviour reported by [`Event::PeerMisbehaved`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Misbehaviour {
    /// The message breaks a constraint of its ASN.1 type (the text names the field).
    Malformed(String),
    /// A nomination names a `Candidate` that is not a member.
    NomineeNotMember(String),
    /// A nomination names a member that is neither the sender nor this node (pair mode has
    /// no such nomination).
    NomineeNotInvolved(String),
    /// An `assigment`/`veto` answering this node's nomination does not pair this node with
    /// the peer (`active`, `standby` as received).
    InconsistentAnswer {
        /// `active` as received.
        active: String,
        /// `standby` as received.
        standby: String,
    },
    /// An answer to this node's handover request names this node active, which no responder
    /// rule produces.
    HandoverAnsweredWithSelf,
    /// A `correlationId` that is not `"<round> <seq>"` (PROTOCOL 2.3), as received. A request
    /// is answered `electionError{malformed}`; an answer is ignored.
    BadCorrelationId(String),
    /// Quorum mode: a witness nominated itself (witnesses never stand; PROTOCOL 5.9.1).
    WitnessNominated(String),
}

impl fmt::Display for Misbehaviour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Misbehaviour::Malformed(e) => write!(f, "malformed message: {e}"),
            Misbehaviour::NomineeNotMember(n) => write!(f, "nominee {n:?} is not a member"),
            Misbehaviour::NomineeNotInvolved(n) => {
                write!(f, "nominee {n:?} is neither the sender nor the receiver")
            }
            Misbehaviour::InconsistentAnswer { active, standby } => write!(
                f,
                "answer names active={active:?} standby={standby:?}, not this pair"
            ),
            Misbehaviour::HandoverAnsweredWithSelf => {
                write!(f, "handover request answered with the requester active")
            }
            Misbehaviour::WitnessNominated(n) => write!(f, "witness {n:?} nominated itself"),
            Misbehaviour::BadCorrelationId(id) => {
                write!(f, "correlationId {id:?} is not \"<round> <seq>\"")
            }
        }
    }
}
