//! Building `ReplicationMessage`s (PROTOCOL 2.8) and reading their correlation ids.

use baton_asn1::replication as r;
use r::ReplicationMessageMessage as M;
use rasn::types::NumericString;

/// A correlation id from a counter (at most 16 digits: ids wrap below 10^16).
pub fn correlation(n: u64) -> r::CorrelationId {
    let digits = (n % 10_000_000_000_000_000).to_string();
    // Digits only: always a valid NumericString.
    r::CorrelationId(NumericString::from_bytes(digits.as_bytes()).unwrap_or_default())
}

/// A message with this correlation id.
pub fn message(id: &r::CorrelationId, m: M) -> r::ReplicationMessage {
    r::ReplicationMessage::new(id.clone(), m)
}

/// `replicationError{code, description}` answering `id`.
pub fn error(
    id: &r::CorrelationId,
    code: r::ErrorCode,
    description: String,
) -> r::ReplicationMessage {
    message(
        id,
        M::replicationError(r::ReplicationError::new(code, description)),
    )
}

/// `updateAck{generation, highestContiguous}` answering `id`.
pub fn ack(id: &r::CorrelationId, generation: u64, highest: u64) -> r::ReplicationMessage {
    message(
        id,
        M::updateAck(r::UpdateAck::new(
            r::Generation(generation),
            r::SequenceNumber(highest),
        )),
    )
}
