//! What replication tells the operator: [`ReplicationNotice`] (PROTOCOL 6.11, 9).

use baton_asn1::replication::ErrorCode;
use baton_core::LinkId;
use std::fmt;

/// A replication event worth a log line ([`crate::Notice::Replication`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplicationNotice {
    /// This standby node is not caught up with the active's repertory: it is not promoted
    /// until it is (`promote_unsynced = false`, PROTOCOL 6.11 *Eligibility*).
    NotCaughtUp,
    /// Caught up again: it may be promoted.
    CaughtUp,
    /// The peer answered `replicationError` (its message applied nothing).
    PeerRefused {
        /// The peer's member name.
        peer: String,
        /// The error code.
        code: ErrorCode,
        /// Its description.
        description: String,
    },
    /// An audit found the standby node's repertory different: repaired by a full sync.
    AuditMismatch {
        /// The standby's sequence number.
        sequence_number: u64,
        /// The standby's record count.
        entry_count: u32,
    },
    /// A component answered `replicationError` to what the node sent it.
    ComponentRefused {
        /// The component id.
        component: String,
        /// The error code.
        code: ErrorCode,
        /// Its description.
        description: String,
    },
    /// A replication message that needs no answer from this node now: ignored, link kept.
    Ignored {
        /// The link.
        link: LinkId,
        /// The message's alternative.
        message: &'static str,
        /// Why.
        why: &'static str,
    },
    /// Demoted with `sync` updates the standby node had not acknowledged: each was answered
    /// `replicationError{staleGeneration}`.
    Unacknowledged {
        /// How many.
        updates: usize,
    },
}

impl fmt::Display for ReplicationNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplicationNotice::NotCaughtUp => f.write_str(
                "replication: not caught up with the active's repertory: not eligible for \
                 promotion until synced (promote_unsynced = false)",
            ),
            ReplicationNotice::CaughtUp => {
                f.write_str("replication: caught up: eligible for promotion")
            }
            ReplicationNotice::PeerRefused {
                peer,
                code,
                description,
            } => write!(
                f,
                "replication: peer {peer} refused a message ({}): {description}",
                code_word(*code)
            ),
            ReplicationNotice::AuditMismatch {
                sequence_number,
                entry_count,
            } => write!(
                f,
                "replication: audit mismatch (standby at {sequence_number}, {entry_count} \
                 records): repaired by a full sync"
            ),
            ReplicationNotice::ComponentRefused {
                component,
                code,
                description,
            } => write!(
                f,
                "replication: component {component} refused a message ({}): {description}",
                code_word(*code)
            ),
            ReplicationNotice::Ignored { link, message, why } => {
                write!(f, "replication: {message} on {link} ignored: {why}")
            }
            ReplicationNotice::Unacknowledged { updates } => write!(
                f,
                "replication: demoted with {updates} sync updates not acknowledged by the \
                 standby node: refused (staleGeneration)"
            ),
        }
    }
}

/// The ASN.1 name of an error code.
pub(crate) fn code_word(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::staleGeneration => "staleGeneration",
        ErrorCode::outOfSequence => "outOfSequence",
        ErrorCode::repertoryFull => "repertoryFull",
        ErrorCode::syncRequired => "syncRequired",
        ErrorCode::malformedRequest => "malformedRequest",
    }
}

/// The ASN.1 name of a message's alternative.
pub(crate) fn kind(m: &baton_asn1::replication::ReplicationMessageMessage) -> &'static str {
    use baton_asn1::replication::ReplicationMessageMessage as M;
    match m {
        M::update(_) => "update",
        M::updateAck(_) => "updateAck",
        M::syncRequest(_) => "syncRequest",
        M::syncChunk(_) => "syncChunk",
        M::syncDone(_) => "syncDone",
        M::audit(_) => "audit",
        M::auditResponse(_) => "auditResponse",
        M::replicationError(_) => "replicationError",
    }
}
