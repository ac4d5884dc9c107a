//! Building `ElectionMessage`s, and the `electionError` descriptions this crate sends.

use baton_asn1::election::{
    Assigment, Candidate, CorrelationId, ElectionError, ElectionMessage, ElectionMessageMessage,
    ElectionResult, NominationMessage, Veto,
};
use rasn::types::NumericString;

/// `electionError` descriptions (PROTOCOL 2.4: "I cannot judge this now" / "this is wrong").
pub mod description {
    /// The responder is `Negotiating` and outranks the self-nominating sender \[F1\].
    pub const NEGOTIATING: &str = "negotiating";
    /// The responder is `Demoting` \[F8\].
    pub const DEMOTING: &str = "demoting";
    /// The nominee is not a member.
    pub const NOT_A_MEMBER: &str = "not a member";
    /// The message breaks its ASN.1 constraints, or names a member foreign to the exchange.
    pub const MALFORMED: &str = "malformed";
    /// The responder's own handover request to the sender is pending and the sender
    /// outranks it: crossing handover requests, only the higher accepts \[F10\].
    pub const HANDOVER_PENDING: &str = "handover pending";
    /// The responder's promotion failed and the sender outranks it \[F9\].
    pub const PROMOTION_FAILED: &str = "promotion failed";

    /// Whether `d` means "I cannot judge this now" (expected while the peer is busy).
    pub fn is_transient(d: &str) -> bool {
        matches!(
            d,
            NEGOTIATING | DEMOTING | HANDOVER_PENDING | PROMOTION_FAILED
        )
    }
}

/// A `CorrelationId` from digits. Anything outside the NumericString alphabet (which the
/// counter never produces) becomes the empty id.
pub fn correlation_id(digits: &str) -> CorrelationId {
    CorrelationId(NumericString::from_bytes(digits.as_bytes()).unwrap_or_default())
}

/// The digits of a `CorrelationId` (NumericString bytes are ASCII).
pub fn digits(id: &CorrelationId) -> String {
    String::from_utf8_lossy(id.0.as_bytes()).into_owned()
}

/// `nominationMsg{nominee}`.
pub fn nomination(id: &str, nominee: &str) -> ElectionMessage {
    ElectionMessage::new(
        correlation_id(id),
        ElectionMessageMessage::nominationMsg(NominationMessage::new(Candidate(
            nominee.to_owned(),
        ))),
    )
}

/// `assigment{active, standby}`.
pub fn assignment(id: CorrelationId, active: &str, standby: &str) -> ElectionMessage {
    result(
        id,
        ElectionResult::assigment(Assigment::new(
            Candidate(active.to_owned()),
            Candidate(standby.to_owned()),
        )),
    )
}

/// `veto{active, standby}`.
pub fn veto(id: CorrelationId, active: &str, standby: &str) -> ElectionMessage {
    result(
        id,
        ElectionResult::veto(Veto::new(
            Candidate(active.to_owned()),
            Candidate(standby.to_owned()),
        )),
    )
}

/// `electionError{description}`.
pub fn error(id: CorrelationId, description: &str) -> ElectionMessage {
    result(
        id,
        ElectionResult::electionError(ElectionError::new(description.to_owned())),
    )
}

fn result(id: CorrelationId, r: ElectionResult) -> ElectionMessage {
    ElectionMessage::new(id, ElectionMessageMessage::electionResult(r))
}
