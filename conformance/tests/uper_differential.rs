//! baton's direct UPER codec against rasn's generic one: the same bytes for every value, and
//! the same decision (and value) for any input, valid, mutated or random.

use baton_asn1::{election, monitor, role, status};
use baton_codec::{decode, encode, Encoding, Pdu};
use baton_conformance::strategies::*;
use proptest::prelude::*;

/// rasn's UPER with baton's rules on top (whole input, constraints).
fn reference<T: Pdu>(bytes: &[u8]) -> Option<T> {
    let (value, rest) = rasn::uper::decode_with_remainder::<T>(bytes).ok()?;
    (rest.is_empty() && value.validate().is_ok()).then_some(value)
}

fn same_bytes<T: Pdu>(value: &T) -> Result<Vec<u8>, TestCaseError> {
    let ours = encode(Encoding::Uper, value).unwrap();
    let theirs = rasn::uper::encode(value).unwrap();
    prop_assert_eq!(hex(&ours), hex(&theirs));
    Ok(ours)
}

fn same_decision<T: Pdu>(bytes: &[u8]) -> Result<(), TestCaseError> {
    let ours = decode::<T>(Encoding::Uper, bytes).ok();
    let theirs = reference::<T>(bytes);
    prop_assert_eq!(ours, theirs, "input {}", hex(bytes));
    Ok(())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(usize),
    Truncate(usize),
    Append(Vec<u8>),
    SetByte(usize, u8),
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    proptest::collection::vec(
        prop_oneof![
            any::<usize>().prop_map(Mutation::FlipBit),
            any::<usize>().prop_map(Mutation::Truncate),
            proptest::collection::vec(any::<u8>(), 1..4).prop_map(Mutation::Append),
            (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::SetByte(i, b)),
        ],
        1..4,
    )
}

fn mutate(mut bytes: Vec<u8>, ms: &[Mutation]) -> Vec<u8> {
    for m in ms {
        let len = bytes.len();
        match m {
            Mutation::FlipBit(i) if len > 0 => bytes[(i / 8) % len] ^= 1 << (i % 8),
            Mutation::Truncate(i) if len > 0 => bytes.truncate(i % len),
            Mutation::Append(tail) => bytes.extend_from_slice(tail),
            Mutation::SetByte(i, b) if len > 0 => bytes[i % len] = *b,
            _ => {}
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn election_matches_rasn(m in election_message(), ms in mutations()) {
        let bytes = same_bytes(&m)?;
        same_decision::<election::ElectionMessage>(&bytes)?;
        same_decision::<election::ElectionMessage>(&mutate(bytes, &ms))?;
    }

    #[test]
    fn role_matches_rasn(m in role_message(), ms in mutations()) {
        let bytes = same_bytes(&m)?;
        same_decision::<role::RoleMessage>(&bytes)?;
        same_decision::<role::RoleMessage>(&mutate(bytes, &ms))?;
    }

    #[test]
    fn monitor_matches_rasn(m in monitor_message(), ms in mutations()) {
        let bytes = same_bytes(&m)?;
        same_decision::<monitor::HealthMonitorMessage>(&bytes)?;
        same_decision::<monitor::HealthMonitorMessage>(&mutate(bytes, &ms))?;
    }

    #[test]
    fn status_matches_rasn(m in status_message(), ms in mutations()) {
        let bytes = same_bytes(&m)?;
        same_decision::<status::ServiceStatusMessage>(&bytes)?;
        same_decision::<status::ServiceStatusMessage>(&mutate(bytes, &ms))?;
    }

    #[test]
    fn random_bytes_get_the_same_decision(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
        same_decision::<election::ElectionMessage>(&bytes)?;
        same_decision::<role::RoleMessage>(&bytes)?;
        same_decision::<monitor::HealthMonitorMessage>(&bytes)?;
        same_decision::<status::ServiceStatusMessage>(&bytes)?;
    }
}

/// Around every boundary of the length determinant: 127/128 (8 to 16 bits), 16383/16384
/// (fragments), multiples of 16K and the 64K fragment.
#[test]
fn long_strings_and_fragments_match_rasn() {
    for len in [
        0, 1, 127, 128, 16383, 16384, 16385, 32768, 49152, 65535, 65536, 65537, 90000,
    ] {
        let text: String = "aé€".chars().cycle().take(len).collect();
        let m = status::ServiceStatusMessage::new(
            status::CorrelationId(rasn::types::NumericString::from_bytes(b"1").unwrap()),
            status::ServiceStatusMessageMessage::statusIndication(status::StatusIndication::new(
                status::Status(text),
            )),
        );
        let ours = encode(Encoding::Uper, &m).unwrap();
        assert_eq!(ours, rasn::uper::encode(&m).unwrap(), "{len} characters");
        assert_eq!(
            decode::<status::ServiceStatusMessage>(Encoding::Uper, &ours).unwrap(),
            m
        );
        // Cut anywhere inside: refused, no panic.
        for cut in [1, ours.len() / 2, ours.len() - 1] {
            assert!(decode::<status::ServiceStatusMessage>(Encoding::Uper, &ours[..cut]).is_err());
        }
    }
}
