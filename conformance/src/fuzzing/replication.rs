//! Fuzz target `replication`: any bytes as a `ReplicationMessage` (PROTOCOL 2.8) in any rule.
//!
//! The first byte picks the rule (low 3 bits, [`Encoding::ALL`] order), the rest is decoded
//! with the checks of [`check_decode_in`]: no panic, a typed error naming a field under
//! `ReplicationMessage`, or a valid value that encodes and decodes back to itself. Its OER
//! and COER inputs exercise the list-count check made before rasn allocates (`oer_guard` in
//! `baton-codec`).

use super::check_decode_in;
use baton_codec::{Encoding, Interface};

/// Runs the `replication` check on one fuzz input.
///
/// # Errors
/// The property that failed.
pub fn check_replication(data: &[u8]) -> Result<(), String> {
    let Some((&selector, bytes)) = data.split_first() else {
        return Ok(());
    };
    let rule = Encoding::ALL[usize::from(selector & 7)];
    check_decode_in(rule, Interface::Replication, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_oer_count_is_a_typed_error_not_an_allocation() {
        // OER (rule index 5): correlationId "1", update, generation 1, sequenceNumber 1,
        // operations count 2^64 - 1, nothing after it.
        let mut data = vec![5, 0x01, b'1', 0x80];
        data.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
        data.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
        data.extend_from_slice(&[0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        check_replication(&data).unwrap();
        let err = baton_codec::decode::<baton_asn1::replication::ReplicationMessage>(
            Encoding::Oer,
            &data[1..],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "ReplicationMessage.message.update.operations: 18446744073709551615 items, \
             expected 1 to 64 (SIZE(1..64))"
        );
    }
}
