//! Framing (PROTOCOL 3.1) over tokio-util's codec traits.

use baton_asn1::{election, monitor, replication as rep, role, status};
use baton_codec::{
    AnyMessage, EncodeError, EncodeFrameError, Encoding, FrameCodec, FrameError, Interface,
};
use bytes::BytesMut;
use rasn::types::NumericString;
use tokio_util::codec::{Decoder, Encoder};

fn num(s: &str) -> NumericString {
    NumericString::from_bytes(s.as_bytes()).unwrap()
}

fn one_of_each() -> Vec<AnyMessage> {
    vec![
        election::ElectionMessage::new(
            election::CorrelationId(num("42")),
            election::ElectionMessageMessage::electionResult(election::ElectionResult::assigment(
                election::Assigment::new(
                    election::Candidate("node-a".into()),
                    election::Candidate("node-b".into()),
                ),
            )),
        )
        .into(),
        role::RoleMessage::new(
            role::CorrelationId(num("9")),
            role::RoleMessageMessage::setRole(role::SetRole::new(role::Role::active)),
        )
        .into(),
        monitor::HealthMonitorMessage::new(
            monitor::CorrelationId(num("7")),
            monitor::ComponentId(num("1001")),
            monitor::HealthMonitorMessageMessage::healthQuery(monitor::HealthQuery {}),
        )
        .into(),
        status::ServiceStatusMessage::new(
            status::CorrelationId(num("")),
            status::ServiceStatusMessageMessage::statusIndication(status::StatusIndication::new(
                status::Status("active peer=b:standby components=3/3".into()),
            )),
        )
        .into(),
        // PROTOCOL 2.8, interface id 5.
        rep::ReplicationMessage::new(
            rep::CorrelationId(num("31")),
            rep::ReplicationMessageMessage::update(rep::Update::new(
                rep::Generation(2),
                rep::SequenceNumber(1),
                rep::Operations(vec![rep::Operation::delete(rep::RecordKey::new(
                    rep::ApplicationId(num("1001")),
                    rep::DataType(num("2")),
                    rep::DataKey(b"call-7".to_vec().into()),
                ))]),
            )),
        )
        .into(),
    ]
}

#[test]
fn frames_round_trip_in_every_rule_even_byte_by_byte() {
    for encoding in Encoding::ALL {
        let mut codec = FrameCodec::new(encoding);
        let mut wire = BytesMut::new();
        for m in one_of_each() {
            codec.encode(&m, &mut wire).unwrap();
        }
        // Whole stream at once.
        let mut all = wire.clone();
        let mut got = Vec::new();
        while let Some(m) = codec.decode(&mut all).unwrap() {
            got.push(m);
        }
        assert_eq!(got, one_of_each(), "{encoding}");
        assert!(all.is_empty());
        // One byte at a time.
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        for b in wire.iter() {
            buf.extend_from_slice(&[*b]);
            while let Some(m) = codec.decode(&mut buf).unwrap() {
                got.push(m);
            }
        }
        assert_eq!(got, one_of_each(), "{encoding} byte by byte");
    }
}

#[test]
fn frame_layout_is_length_interface_message() {
    let mut codec = FrameCodec::new(Encoding::Der);
    let mut wire = BytesMut::new();
    let m = &one_of_each()[1]; // RoleMessage setRole active
    codec.encode(m, &mut wire).unwrap();
    let body = baton_codec::encode(
        Encoding::Der,
        match m {
            AnyMessage::Role(r) => r,
            _ => unreachable!(),
        },
    )
    .unwrap();
    let mut expected = ((body.len() + 1) as u32).to_be_bytes().to_vec();
    expected.push(Interface::Role as u8);
    expected.extend_from_slice(&body);
    assert_eq!(&wire[..], &expected[..]);
}

#[test]
fn oversize_length_is_refused_before_allocating() {
    let mut codec = FrameCodec::with_max_frame(Encoding::Der, 1024);
    let mut buf = BytesMut::with_capacity(8);
    buf.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 1]);
    let cap = buf.capacity();
    match codec.decode(&mut buf) {
        Err(FrameError::TooLong { declared, max }) => {
            assert_eq!(declared, u64::from(u32::MAX));
            assert_eq!(max, 1024);
        }
        other => panic!("expected TooLong, got {other:?}"),
    }
    assert_eq!(buf.capacity(), cap, "nothing reserved for the frame");
    // Exactly at the limit is accepted as a length (and waits for the bytes).
    let mut buf = BytesMut::new();
    buf.extend_from_slice(&1024u32.to_be_bytes());
    assert!(codec.decode(&mut buf).unwrap().is_none());
    let mut buf = BytesMut::new();
    buf.extend_from_slice(&1025u32.to_be_bytes());
    assert!(matches!(
        codec.decode(&mut buf),
        Err(FrameError::TooLong { declared: 1025, .. })
    ));
}

#[test]
fn bad_frames_have_typed_errors() {
    let mut codec = FrameCodec::new(Encoding::Der);
    let mut buf = BytesMut::from(&[0u8, 0, 0, 0][..]);
    assert!(matches!(codec.decode(&mut buf), Err(FrameError::Empty)));
    let mut buf = BytesMut::from(&[0u8, 0, 0, 1, 9][..]);
    assert!(matches!(
        codec.decode(&mut buf),
        Err(FrameError::UnknownInterface(9))
    ));
    let mut buf = BytesMut::from(&[0u8, 0, 0, 1, 6][..]);
    assert!(matches!(
        codec.decode(&mut buf),
        Err(FrameError::UnknownInterface(6))
    ));
    // Interface 5 is replication: an empty body is a ReplicationMessage that does not decode.
    let mut buf = BytesMut::from(&[0u8, 0, 0, 1, 5][..]);
    match codec.decode(&mut buf) {
        Err(FrameError::Message { interface, error }) => {
            assert_eq!(interface, Interface::Replication);
            assert_eq!(error.message, "ReplicationMessage");
        }
        other => panic!("{other:?}"),
    }
    let mut buf = BytesMut::from(&[0u8, 0, 0, 3, 1, 0x30, 0x00][..]);
    match codec.decode(&mut buf) {
        Err(e @ FrameError::Message { interface, .. }) => {
            assert_eq!(interface, Interface::Election);
            assert!(
                e.to_string().starts_with("election frame: ElectionMessage"),
                "{e}"
            );
        }
        other => panic!("expected a message error, got {other:?}"),
    }
    let mut buf = BytesMut::from(&[0u8, 0, 0, 9, 1, 0x30][..]);
    assert!(codec.decode(&mut buf).unwrap().is_none());
    assert!(matches!(
        codec.decode_eof(&mut buf),
        Err(FrameError::Truncated(6))
    ));
    assert!(codec.decode_eof(&mut BytesMut::new()).unwrap().is_none());
}

#[test]
fn encoding_over_the_limit_is_an_error() {
    let mut codec = FrameCodec::with_max_frame(Encoding::Der, 16);
    let mut wire = BytesMut::new();
    let m = &one_of_each()[3];
    match codec.encode(m, &mut wire) {
        Err(EncodeFrameError::Encode(EncodeError::FrameTooLarge { interface, max, .. })) => {
            assert_eq!(interface, Interface::Status);
            assert_eq!(max, 16);
        }
        other => panic!("expected FrameTooLarge, got {other:?}"),
    }
    assert!(wire.is_empty(), "nothing written");
}
