//! proptest strategies: every top-level message with values anywhere in (or just outside)
//! their constraints.

use baton_asn1::{election, monitor, replication, role, status};
use proptest::prelude::*;
use rasn::types::NumericString;

fn numeric(s: &str) -> NumericString {
    NumericString::from_bytes(s.as_bytes()).expect("strategy makes digits and spaces")
}

/// A valid NumericString (SIZE(0..16)): digits and spaces.
pub fn numeric_id() -> impl Strategy<Value = NumericString> {
    "[0-9 ]{0,16}".prop_map(|s| numeric(&s))
}

/// A NumericString of 17 to 40 digits: over its SIZE.
pub fn long_numeric_id() -> impl Strategy<Value = NumericString> {
    "[0-9]{17,40}".prop_map(|s| numeric(&s))
}

/// A string of at most `max` characters of any kind (non-ASCII included).
pub fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..=max).prop_map(|c| c.into_iter().collect())
}

/// A string of `min..=max` characters.
pub fn text_between(min: usize, max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), min..=max).prop_map(|c| c.into_iter().collect())
}

fn candidate() -> impl Strategy<Value = election::Candidate> {
    text(16).prop_map(election::Candidate)
}

/// A valid `ElectionMessage`, any alternative.
pub fn election_message() -> impl Strategy<Value = election::ElectionMessage> {
    use election::{ElectionMessageMessage as M, ElectionResult as R};
    let message = prop_oneof![
        candidate().prop_map(|n| M::nominationMsg(election::NominationMessage::new(n))),
        text(64).prop_map(|d| M::electionResult(R::electionError(election::ElectionError::new(d)))),
        (candidate(), candidate())
            .prop_map(|(a, s)| M::electionResult(R::assigment(election::Assigment::new(a, s)))),
        (candidate(), candidate())
            .prop_map(|(a, s)| M::electionResult(R::veto(election::Veto::new(a, s)))),
    ];
    (numeric_id(), message)
        .prop_map(|(c, m)| election::ElectionMessage::new(election::CorrelationId(c), m))
}

/// A valid `RoleMessage`, any alternative.
pub fn role_message() -> impl Strategy<Value = role::RoleMessage> {
    use role::RoleMessageMessage as M;
    let message = prop_oneof![
        prop_oneof![Just(role::Role::active), Just(role::Role::standby)]
            .prop_map(|r| M::setRole(role::SetRole::new(r))),
        prop_oneof![
            Just(role::ReturnCode::success),
            Just(role::ReturnCode::failure)
        ]
        .prop_map(|c| M::setRoleResponse(role::SetRoleResponse::new(c))),
    ];
    (numeric_id(), message).prop_map(|(c, m)| role::RoleMessage::new(role::CorrelationId(c), m))
}

/// A valid `HealthMonitorMessage`, any alternative.
pub fn monitor_message() -> impl Strategy<Value = monitor::HealthMonitorMessage> {
    use monitor::HealthMonitorMessageMessage as M;
    let health = prop_oneof![
        Just(monitor::ComponentStatus::ok),
        Just(monitor::ComponentStatus::failed)
    ]
    .prop_map(monitor::BillOfHealth::new);
    let message = prop_oneof![
        Just(M::healthQuery(monitor::HealthQuery {})),
        health
            .clone()
            .prop_map(|b| M::healthQueryResponse(monitor::HealthQueryResponse::new(b))),
        health.prop_map(|b| M::heartBeat(monitor::HeartBeat::new(b))),
    ];
    (numeric_id(), numeric_id(), message).prop_map(|(c, id, m)| {
        monitor::HealthMonitorMessage::new(monitor::CorrelationId(c), monitor::ComponentId(id), m)
    })
}

/// A valid `ServiceStatusMessage`, any alternative.
pub fn status_message() -> impl Strategy<Value = status::ServiceStatusMessage> {
    use status::ServiceStatusMessageMessage as M;
    let line = || text(300).prop_map(status::Status);
    let message = prop_oneof![
        Just(M::getStatus(status::GetStatus {})),
        line().prop_map(|s| M::statusIndication(status::StatusIndication::new(s))),
        line().prop_map(|s| M::getStatusResponse(status::GetStatusResponse::new(s))),
    ];
    (numeric_id(), message)
        .prop_map(|(c, m)| status::ServiceStatusMessage::new(status::CorrelationId(c), m))
}

fn number() -> impl Strategy<Value = u64> {
    prop_oneof![
        0..=3u64,
        0..=i64::MAX.unsigned_abs(),
        Just(i64::MAX.unsigned_abs())
    ]
}

fn record_key() -> impl Strategy<Value = replication::RecordKey> {
    (
        numeric_id(),
        numeric_id(),
        proptest::collection::vec(any::<u8>(), 0..=64),
    )
        .prop_map(|(a, t, k)| {
            replication::RecordKey::new(
                replication::ApplicationId(a),
                replication::DataType(t),
                replication::DataKey(k.into()),
            )
        })
}

fn entry() -> impl Strategy<Value = replication::Entry> {
    (
        record_key(),
        proptest::collection::vec(any::<u8>(), 0..=300),
    )
        .prop_map(|(k, v)| replication::Entry::new(k, replication::DataValue(v.into())))
}

/// A valid `ReplicationMessage` (PROTOCOL 2.8), any alternative, lists of 1 to 64 items.
pub fn replication_message() -> impl Strategy<Value = replication::ReplicationMessage> {
    use replication::{Operation as O, ReplicationMessageMessage as M};
    let operation = prop_oneof![
        entry().prop_map(O::add),
        entry().prop_map(O::modify),
        record_key().prop_map(O::delete),
    ];
    let items = || prop_oneof![4 => 1..=3usize, 1 => 1..=64usize];
    let digest = any::<[u8; 32]>().prop_map(|d| replication::Digest(d.into()));
    let message = prop_oneof![
        (
            number(),
            number(),
            items().prop_flat_map(move |n| { proptest::collection::vec(operation.clone(), n) })
        )
            .prop_map(|(g, s, ops)| M::update(replication::Update::new(
                replication::Generation(g),
                replication::SequenceNumber(s),
                replication::Operations(ops)
            ))),
        (number(), number()).prop_map(|(g, s)| M::updateAck(replication::UpdateAck::new(
            replication::Generation(g),
            replication::SequenceNumber(s)
        ))),
        prop_oneof![
            Just(replication::SyncStart::full(replication::FullSync {})),
            number().prop_map(|n| replication::SyncStart::fromSequenceNumber(
                replication::SequenceNumber(n)
            )),
        ]
        .prop_map(|s| M::syncRequest(replication::SyncRequest::new(s))),
        (
            number(),
            items().prop_flat_map(|n| proptest::collection::vec(entry(), n))
        )
            .prop_map(|(g, e)| M::syncChunk(replication::SyncChunk::new(
                replication::Generation(g),
                replication::Entries(e)
            ))),
        (number(), number(), any::<u32>()).prop_map(|(g, s, c)| M::syncDone(
            replication::SyncDone::new(
                replication::Generation(g),
                replication::SequenceNumber(s),
                replication::EntryCount(c)
            )
        )),
        (number(), number(), any::<u32>(), digest.clone()).prop_map(|(g, s, c, d)| M::audit(
            replication::Audit::new(
                replication::Generation(g),
                replication::SequenceNumber(s),
                replication::EntryCount(c),
                d
            )
        )),
        (any::<bool>(), number(), any::<u32>(), digest).prop_map(|(ok, s, c, d)| {
            let result = if ok {
                replication::AuditResult::consistent
            } else {
                replication::AuditResult::inconsistent
            };
            M::auditResponse(replication::AuditResponse::new(
                result,
                replication::SequenceNumber(s),
                replication::EntryCount(c),
                d,
            ))
        }),
        (
            prop_oneof![
                Just(replication::ErrorCode::staleGeneration),
                Just(replication::ErrorCode::outOfSequence),
                Just(replication::ErrorCode::repertoryFull),
                Just(replication::ErrorCode::syncRequired),
                Just(replication::ErrorCode::malformedRequest),
            ],
            text(64)
        )
            .prop_map(|(c, d)| M::replicationError(replication::ReplicationError::new(c, d))),
    ];
    (numeric_id(), message)
        .prop_map(|(c, m)| replication::ReplicationMessage::new(replication::CorrelationId(c), m))
}

/// An `ElectionMessage` breaking exactly one constraint, with the path of the broken field.
pub fn invalid_election_message() -> impl Strategy<Value = (election::ElectionMessage, String)> {
    use election::{ElectionMessageMessage as M, ElectionResult as R};
    let long = || text_between(17, 40).prop_map(election::Candidate);
    let ok_id = || numeric_id().prop_map(election::CorrelationId);
    prop_oneof![
        (long_numeric_id(), candidate()).prop_map(|(c, n)| (
            election::ElectionMessage::new(
                election::CorrelationId(c),
                M::nominationMsg(election::NominationMessage::new(n))
            ),
            "ElectionMessage.correlationId".to_owned()
        )),
        (ok_id(), long()).prop_map(|(c, n)| (
            election::ElectionMessage::new(
                c,
                M::nominationMsg(election::NominationMessage::new(n))
            ),
            "ElectionMessage.message.nominationMsg.nominee".to_owned()
        )),
        (ok_id(), long(), candidate()).prop_map(|(c, a, s)| (
            election::ElectionMessage::new(
                c,
                M::electionResult(R::assigment(election::Assigment::new(a, s)))
            ),
            "ElectionMessage.message.electionResult.assigment.active".to_owned()
        )),
        (ok_id(), candidate(), long()).prop_map(|(c, a, s)| (
            election::ElectionMessage::new(
                c,
                M::electionResult(R::veto(election::Veto::new(a, s)))
            ),
            "ElectionMessage.message.electionResult.veto.standby".to_owned()
        )),
    ]
}

/// A `HealthMonitorMessage` whose componentId is over its SIZE.
pub fn invalid_monitor_message() -> impl Strategy<Value = monitor::HealthMonitorMessage> {
    (numeric_id(), long_numeric_id()).prop_map(|(c, id)| {
        monitor::HealthMonitorMessage::new(
            monitor::CorrelationId(c),
            monitor::ComponentId(id),
            monitor::HealthMonitorMessageMessage::healthQuery(monitor::HealthQuery {}),
        )
    })
}
