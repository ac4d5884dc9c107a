//! Byte-exact agreement with the independent implementation, in both directions, for every
//! vector in every rule it shares with baton; and every malformed input refused with the
//! right kind of error.

use baton_codec::{AnyMessage, DecodeErrorKind, Encoding};
use baton_conformance::vectors::{self, MalformedKind};

fn jer_value(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).expect("JER is JSON")
}

#[test]
fn valid_vectors_agree_byte_for_byte_both_ways() {
    let vectors = vectors::valid().expect("valid.json loads");
    assert!(vectors.len() >= 20, "only {} vectors", vectors.len());
    let mut checked = 0;
    for v in &vectors {
        let json = serde_json::to_vec(&v.value).unwrap();
        let value = AnyMessage::decode(v.interface, Encoding::Jer, &json)
            .unwrap_or_else(|e| panic!("{}: value does not decode: {e}", v.name));
        assert!(!v.encodings.is_empty(), "{}: no encodings", v.name);
        for (encoding, peer) in &v.encodings {
            // Peer's bytes -> baton's value.
            let decoded = AnyMessage::decode(v.interface, *encoding, peer)
                .unwrap_or_else(|e| panic!("{} {encoding}: {e}", v.name));
            assert_eq!(decoded, value, "{} {encoding}: decoded value", v.name);
            // baton's value -> the peer's bytes.
            let ours = value.encode(*encoding).unwrap();
            if *encoding == Encoding::Jer {
                // JER: equal JSON (the peer's key order and escapes may differ).
                assert_eq!(jer_value(&ours), jer_value(peer), "{} jer", v.name);
            } else if *encoding == Encoding::Ber {
                // baton writes DER for BER: the peer's BER must decode (above), and where the
                // peer's BER is DER (asn1tools writes definite lengths) the bytes agree.
                let der = v.encodings.iter().find(|(e, _)| *e == Encoding::Der);
                if der.is_some_and(|(_, d)| d == peer) {
                    assert_eq!(&ours, peer, "{} ber", v.name);
                }
            } else {
                assert_eq!(
                    hex::encode(&ours),
                    hex::encode(peer),
                    "{} {encoding}: encoded bytes",
                    v.name
                );
            }
            checked += 1;
        }
    }
    eprintln!("{checked} (vector, rule) pairs agree");
}

#[test]
fn every_rule_and_alternative_is_covered() {
    let vectors = vectors::valid().unwrap();
    for encoding in [
        Encoding::Ber,
        Encoding::Der,
        Encoding::Uper,
        Encoding::Aper,
        Encoding::Oer,
        Encoding::Coer,
        Encoding::Jer,
    ] {
        assert!(
            vectors
                .iter()
                .filter(|v| v.encodings.iter().any(|(e, _)| *e == encoding))
                .count()
                >= 20,
            "{encoding}: too few vectors"
        );
    }
    let alternatives = [
        "nominationMsg",
        "electionError",
        "assigment",
        "veto",
        "setRole",
        "setRoleResponse",
        "healthQuery",
        "healthQueryResponse",
        "heartBeat",
        "getStatus",
        "statusIndication",
        "getStatusResponse",
        // failover-replication-interface (PROTOCOL 2.8)
        "update",
        "add",
        "modify",
        "delete",
        "updateAck",
        "syncRequest",
        "full",
        "fromSequenceNumber",
        "syncChunk",
        "syncDone",
        "audit",
        "auditResponse",
        "replicationError",
    ];
    for alt in alternatives {
        let needle = format!("\"{alt}\"");
        assert!(
            vectors
                .iter()
                .any(|v| v.value.to_string().contains(&needle)),
            "no vector for {alt}"
        );
    }
}

#[test]
fn malformed_vectors_are_refused_with_the_right_error() {
    let vectors = vectors::malformed().expect("malformed.json loads");
    assert!(vectors.len() >= 30, "only {} vectors", vectors.len());
    for v in &vectors {
        let err = match AnyMessage::decode(v.interface, v.encoding, &v.bytes) {
            Ok(m) => panic!("{} ({}): decoded as {m:?}", v.name, v.encoding),
            Err(e) => e,
        };
        let text = err.to_string();
        assert!(!text.contains('\n'), "{}: one line: {text}", v.name);
        match v.kind {
            MalformedKind::Size | MalformedKind::Alphabet | MalformedKind::Range => {
                let field = v
                    .field
                    .as_deref()
                    .expect("size/alphabet/range vectors name a field");
                assert!(
                    text.starts_with(&format!("{field}: ")),
                    "{} ({}): {text:?} does not name {field}",
                    v.name,
                    v.encoding
                );
                if let DecodeErrorKind::Constraint(c) = &err.kind {
                    use baton_asn1::Violation as V;
                    let is_size = matches!(
                        c.violation,
                        V::TooLong { .. } | V::OctetsOutOfRange { .. } | V::ItemsOutOfRange { .. }
                    );
                    assert_eq!(is_size, v.kind == MalformedKind::Size, "{}", v.name);
                    let is_range = matches!(c.violation, V::IntegerOutOfRange { .. });
                    assert_eq!(is_range, v.kind == MalformedKind::Range, "{}", v.name);
                }
            }
            MalformedKind::Trailing => assert!(
                matches!(err.kind, DecodeErrorKind::TrailingBytes(_)),
                "{} ({}): {text}",
                v.name,
                v.encoding
            ),
            _ => assert!(
                matches!(err.kind, DecodeErrorKind::Malformed { .. }),
                "{} ({}): {text}",
                v.name,
                v.encoding
            ),
        }
    }
}
