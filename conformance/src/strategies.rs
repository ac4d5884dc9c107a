//! proptest strategies: every top-level message with values anywhere in (or just outside)
//! their constraints.

use baton_asn1::{election, monitor, role, status};
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
