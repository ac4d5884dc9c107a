//! Errors, classified by cause (as rustls does): a message that is invalid in itself
//! ([`DecodeError`]), a frame that breaks the framing ([`FrameError`]), and a value the local
//! caller should not have asked to send ([`EncodeError`]).

use crate::{Encoding, Interface};
use baton_asn1::ConstraintError;
use std::fmt;

/// A message could not be decoded. Displays as one line naming the field and the problem,
/// e.g. `ElectionMessage.message.nominationMsg.nominee: 17 characters, at most 16`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// ASN.1 name of the top-level type being decoded.
    pub message: &'static str,
    /// The rule it was decoded with.
    pub encoding: Encoding,
    /// What was wrong.
    pub kind: DecodeErrorKind,
}

/// What was wrong with bytes that did not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// The value decoded but breaks a constraint of its type (SIZE, NumericString alphabet).
    Constraint(ConstraintError),
    /// The bytes are not a value of the type in this rule (truncated, an unknown CHOICE
    /// alternative, a length beyond the data, a form the rule forbids, a constraint the rule's
    /// decoder refused on its own...).
    Malformed {
        /// ASN.1 field path where the decoder stopped, when known.
        path: String,
        /// The decoder's description.
        detail: String,
    },
    /// A whole value was decoded and this many bytes were left over.
    TrailingBytes(usize),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rule = self.encoding.name().to_ascii_uppercase();
        match &self.kind {
            DecodeErrorKind::Constraint(c) => write!(f, "{c}"),
            DecodeErrorKind::Malformed { path, detail } => {
                write!(f, "{path}: invalid {rule}: {detail}")
            }
            DecodeErrorKind::TrailingBytes(n) => write!(
                f,
                "{}: {n} trailing byte{} after the value ({rule})",
                self.message,
                if *n == 1 { "" } else { "s" }
            ),
        }
    }
}

impl std::error::Error for DecodeError {}

impl DecodeError {
    /// The broken constraint, if that is what was wrong.
    pub fn constraint(&self) -> Option<&ConstraintError> {
        match &self.kind {
            DecodeErrorKind::Constraint(c) => Some(c),
            _ => None,
        }
    }
}

/// A value could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The value breaks a constraint of its type: the caller built an invalid value.
    #[error("{0}")]
    Constraint(ConstraintError),
    /// The encoder refused the value for another reason.
    #[error("{message}: cannot encode in {encoding}: {detail}")]
    Codec {
        /// ASN.1 name of the top-level type.
        message: &'static str,
        /// The rule.
        encoding: Encoding,
        /// The encoder's description.
        detail: String,
    },
    /// The encoded message does not fit in a frame of the link's maximum size.
    #[error("{interface} message of {len} bytes exceeds the frame limit of {max} bytes")]
    FrameTooLarge {
        /// The message's interface.
        interface: Interface,
        /// Encoded length of the frame body.
        len: usize,
        /// The limit.
        max: usize,
    },
}

/// A frame could not be read. Any of these closes the link: the stream is no longer in sync
/// or the peer sent something it must not.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The declared length is over the link's limit; nothing was allocated for it.
    #[error("frame length {declared} exceeds the limit of {max} bytes")]
    TooLong {
        /// The length the peer declared.
        declared: u64,
        /// The link's limit.
        max: usize,
    },
    /// A frame of length 0: no interface id.
    #[error("empty frame: no interface id")]
    Empty,
    /// The interface id is not 1 to 5.
    #[error(
        "unknown interface id {0} (expected 1 election, 2 role, 3 monitor, 4 status, 5 replication)"
    )]
    UnknownInterface(u8),
    /// The message in the frame did not decode.
    #[error("{interface} frame: {error}")]
    Message {
        /// The interface named by the frame.
        interface: Interface,
        /// Why the message did not decode.
        error: DecodeError,
    },
    /// The stream ended inside a frame.
    #[error("connection closed inside a frame ({0} bytes of it received)")]
    Truncated(usize),
    /// The transport failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// Where a CHOICE alternative sits below its top-level `message` field, keyed by the type it
/// carries. rasn names fields as `Type.field` in its nested errors but says nothing of the
/// CHOICE alternatives crossed on the way; this table puts them back.
const ALTERNATIVES: [(&str, &str); 21] = [
    ("NominationMessage", "nominationMsg"),
    ("ElectionResult", "electionResult"),
    ("ElectionError", "electionResult.electionError"),
    ("Assigment", "electionResult.assigment"),
    ("Veto", "electionResult.veto"),
    ("SetRole", "setRole"),
    ("SetRoleResponse", "setRoleResponse"),
    ("HealthQuery", "healthQuery"),
    ("HealthQueryResponse", "healthQueryResponse"),
    ("HeartBeat", "heartBeat"),
    ("GetStatus", "getStatus"),
    ("StatusIndication", "statusIndication"),
    ("GetStatusResponse", "getStatusResponse"),
    ("Update", "update"),
    ("UpdateAck", "updateAck"),
    ("SyncRequest", "syncRequest"),
    ("SyncChunk", "syncChunk"),
    ("SyncDone", "syncDone"),
    ("Audit", "audit"),
    ("AuditResponse", "auditResponse"),
    ("ReplicationError", "replicationError"),
];

/// Converts a rasn decode error into the ASN.1 field path it occurred at and the root cause.
pub(crate) fn rasn_path_and_detail(
    top: &'static str,
    err: &rasn::error::DecodeError,
) -> (String, String) {
    use rasn::error::DecodeErrorKind as K;
    let mut path = String::from(top);
    let mut cur = err;
    while let K::FieldError { name, nested } = &*cur.kind {
        if let Some((ty, field)) = name.split_once('.') {
            if ty != top {
                if let Some((_, alt)) = ALTERNATIVES.iter().find(|(t, _)| *t == ty) {
                    path.push('.');
                    path.push_str(alt);
                }
            }
            path.push('.');
            push_camel(&mut path, field);
        }
        cur = nested;
    }
    (path, cur.kind.to_string())
}

/// Appends a Rust snake_case field name as its ASN.1 camelCase identifier.
fn push_camel(out: &mut String, snake: &str) {
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case() {
        let mut s = String::new();
        push_camel(&mut s, "bill_of_health");
        assert_eq!(s, "billOfHealth");
    }
}
