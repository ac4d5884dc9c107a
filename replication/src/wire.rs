//! Building `ReplicationMessage`s (PROTOCOL 2.8) and reading their correlation ids.

use baton_asn1::replication as r;
use r::ReplicationMessageMessage as M;
use rasn::types::NumericString;

/// A correlation id from a counter (at most 16 digits: ids wrap below 10^16).
pub fn correlation(n: u64) -> r::CorrelationId {
    // The decimal digits, written backwards into a buffer (no `String`: one per update).
    let mut digits = [0u8; 16];
    let mut at = digits.len();
    let mut rest = n % 10_000_000_000_000_000;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    // Digits only: always a valid NumericString.
    r::CorrelationId(NumericString::from_bytes(&digits[at..]).unwrap_or_default())
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

#[cfg(test)]
mod tests {
    use super::correlation;

    #[test]
    fn correlation_ids_are_the_counter_in_decimal_below_ten_to_the_sixteen() {
        let digits = |n| correlation(n).0.as_bytes().to_vec();
        assert_eq!(digits(0), b"0");
        assert_eq!(digits(7), b"7");
        assert_eq!(digits(1_234_567_890), b"1234567890");
        assert_eq!(digits(9_999_999_999_999_999), b"9999999999999999");
        assert_eq!(digits(10_000_000_000_000_005), b"5");
        assert_eq!(digits(u64::MAX), b"6744073709551615");
    }
}
