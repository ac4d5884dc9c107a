//! Exact-output tests of the component engine on a virtual clock.

use super::*;
use crate::types::WatchdogReason;
use baton_asn1::role::ReturnCode;
use baton_codec::Interface;
use baton_monitor::IgnoredReason;
use baton_monitor::{health_query, health_query_response, heart_beat, ComponentStatus};
use baton_role::{set_role, set_role_response};
use std::time::Duration;

const LINK: LinkId = LinkId(7);

fn ms(n: u64) -> Instant {
    Instant::ZERO + Duration::from_millis(n)
}

fn engine(config: ComponentEngineConfig) -> ComponentEngine {
    ComponentEngine::new("1001", config).expect("valid id")
}

fn transmits(e: &mut ComponentEngine) -> Vec<AnyMessage> {
    std::iter::from_fn(|| e.poll_transmit()).collect()
}

fn events(e: &mut ComponentEngine) -> Vec<ComponentEngineEvent> {
    std::iter::from_fn(|| e.poll_event()).collect()
}

fn heartbeat(correlation: &str, status: ComponentStatus) -> AnyMessage {
    AnyMessage::Monitor(heart_beat(correlation, "1001", status))
}

fn set(correlation: &str, role: baton_role::Role) -> AnyMessage {
    AnyMessage::Role(set_role(correlation, role))
}

/// Connected at 0 and active since `at` (request "9" accepted), with everything drained.
fn active_at(config: ComponentEngineConfig, at: u64) -> ComponentEngine {
    let mut e = engine(config);
    e.handle_connected(ms(0), LINK);
    e.handle_frame(ms(at), set("9", baton_role::Role::active));
    e.accept(ms(at)).expect("pending");
    transmits(&mut e);
    events(&mut e);
    e
}

#[test]
fn an_invalid_id_is_refused() {
    let err = ComponentEngine::new("12a", ComponentEngineConfig::default()).unwrap_err();
    assert_eq!(err, InvalidComponentId("12a".to_owned()));
}

#[test]
fn connecting_registers_with_a_heartbeat_and_arms_the_next() {
    let mut e = engine(ComponentEngineConfig::default());
    assert_eq!(e.poll_timeout(), None);
    e.handle_connected(ms(5), LINK);
    assert_eq!(transmits(&mut e), [heartbeat("1", ComponentStatus::ok)]);
    assert_eq!(
        events(&mut e),
        [ComponentEngineEvent::Connected {
            role: None,
            self_demoted: false
        }]
    );
    assert!(e.is_connected());
    assert_eq!(e.link(), Some(LINK));
    assert_eq!(e.id(), "1001");
    // The next pushed heartbeat, one interval later (no watchdog: not active).
    assert_eq!(e.poll_timeout(), Some(ms(1005)));
    e.handle_timeout(ms(1005));
    assert_eq!(transmits(&mut e), [heartbeat("2", ComponentStatus::ok)]);
    assert_eq!(e.poll_timeout(), Some(ms(2005)));
}

#[test]
fn a_set_role_is_requested_then_accepted_with_its_correlation_id() {
    let mut e = engine(ComponentEngineConfig::default());
    e.handle_connected(ms(0), LINK);
    transmits(&mut e);
    events(&mut e);
    e.handle_frame(ms(10), set("42", baton_role::Role::active));
    assert_eq!(
        events(&mut e),
        [ComponentEngineEvent::RoleRequested {
            role: Role::Active,
            correlation: "42".to_owned(),
            generation: None,
        }]
    );
    assert_eq!(
        e.pending_request(),
        Some(PendingRequest {
            role: Role::Active,
            correlation: "42".to_owned()
        })
    );
    assert_eq!(transmits(&mut e), []);
    assert_eq!(e.accept(ms(12)), Ok(Role::Active));
    assert_eq!(
        transmits(&mut e),
        [AnyMessage::Role(set_role_response(
            "42",
            ReturnCode::success
        ))]
    );
    assert_eq!(
        events(&mut e),
        [ComponentEngineEvent::RoleChanged {
            from: None,
            to: Role::Active
        }]
    );
    assert_eq!(e.role(), Some(Role::Active));
    assert_eq!(e.pending_request(), None);
    assert_eq!(e.accept(ms(13)), Err(NoPendingRequest));
    // Active: the watchdog runs from the last frame heard (10 ms), before the heartbeat.
    assert_eq!(e.poll_timeout(), Some(ms(200)));
}

#[test]
fn a_refusal_answers_failure_and_keeps_the_role() {
    let mut e = engine(ComponentEngineConfig::default());
    e.handle_connected(ms(0), LINK);
    transmits(&mut e);
    events(&mut e);
    e.handle_frame(ms(1), set("3", baton_role::Role::standby));
    e.handle_frame(ms(2), set("4", baton_role::Role::active));
    events(&mut e);
    // The newer request replaced the older one.
    assert_eq!(e.refuse(ms(3)), Ok(Role::Active));
    assert_eq!(
        transmits(&mut e),
        [AnyMessage::Role(set_role_response(
            "4",
            ReturnCode::failure
        ))]
    );
    assert_eq!(events(&mut e), []);
    assert_eq!(e.role(), None);
    assert_eq!(e.refuse(ms(4)), Err(NoPendingRequest));
}

#[test]
fn silence_for_the_dead_interval_stands_an_active_component_by() {
    let mut e = active_at(ComponentEngineConfig::default(), 10);
    assert_eq!(e.poll_timeout(), Some(ms(200)));
    // Any frame restarts the watchdog, even one a component link does not carry.
    let nomination = baton_election::message::nomination("5", "alpha");
    e.handle_frame(ms(50), AnyMessage::Election(nomination));
    assert_eq!(
        events(&mut e),
        [ComponentEngineEvent::Ignored(IgnoredFrame::Interface(
            Interface::Election
        ))]
    );
    assert_eq!(e.poll_timeout(), Some(ms(240)));
    e.handle_timeout(ms(239));
    assert_eq!(events(&mut e), []);
    e.handle_timeout(ms(240));
    assert_eq!(
        events(&mut e),
        [
            ComponentEngineEvent::SelfDemoted {
                reason: WatchdogReason::Silent
            },
            ComponentEngineEvent::RoleChanged {
                from: Some(Role::Active),
                to: Role::Standby
            },
        ]
    );
    assert_eq!(e.role(), Some(Role::Standby));
    assert!(e.self_demoted());
    // The link is still up until the caller closes it; then it registers again.
    assert!(e.is_connected());
    e.handle_closed(ms(241));
    assert_eq!(events(&mut e), []);
    e.handle_connected(ms(260), LinkId(8));
    assert_eq!(transmits(&mut e), [heartbeat("2", ComponentStatus::ok)]);
    assert_eq!(
        events(&mut e),
        [ComponentEngineEvent::Connected {
            role: Some(Role::Standby),
            self_demoted: true
        }]
    );
}

#[test]
fn a_closed_link_withdraws_the_request_and_stands_an_active_component_by() {
    let mut e = active_at(ComponentEngineConfig::default(), 10);
    e.handle_frame(ms(20), set("10", baton_role::Role::standby));
    events(&mut e);
    e.set_health(ms(21), Health::Failed);
    e.handle_closed(ms(22));
    // The heartbeat of the change was not drained before the close: dropped with the link.
    assert_eq!(transmits(&mut e), []);
    assert_eq!(
        events(&mut e),
        [
            ComponentEngineEvent::RequestWithdrawn {
                role: Role::Standby
            },
            ComponentEngineEvent::SelfDemoted {
                reason: WatchdogReason::LinkClosed
            },
            ComponentEngineEvent::RoleChanged {
                from: Some(Role::Active),
                to: Role::Standby
            },
        ]
    );
    assert_eq!(e.pending_request(), None);
    assert_eq!(e.poll_timeout(), None);
    // Closing again, or a frame while closed, does nothing.
    e.handle_closed(ms(23));
    e.handle_frame(ms(24), set("11", baton_role::Role::active));
    assert_eq!(events(&mut e), []);
    assert_eq!(e.accept(ms(25)), Err(NoPendingRequest));
}

#[test]
fn a_health_query_is_answered_with_the_health_set() {
    let mut e = engine(ComponentEngineConfig::default());
    e.handle_connected(ms(0), LINK);
    transmits(&mut e);
    events(&mut e);
    e.handle_frame(ms(100), AnyMessage::Monitor(health_query("77", "1001")));
    assert_eq!(
        transmits(&mut e),
        [AnyMessage::Monitor(health_query_response(
            "77",
            "1001",
            ComponentStatus::ok
        ))]
    );
    // A change is pushed at once; an unchanged health is not.
    e.set_health(ms(150), Health::Failed);
    e.set_health(ms(151), Health::Failed);
    assert_eq!(transmits(&mut e), [heartbeat("2", ComponentStatus::failed)]);
    assert_eq!(e.health(), Health::Failed);
    assert_eq!(e.poll_timeout(), Some(ms(1150)));
    e.handle_frame(ms(200), AnyMessage::Monitor(health_query("78", "1001")));
    assert_eq!(
        transmits(&mut e),
        [AnyMessage::Monitor(health_query_response(
            "78",
            "1001",
            ComponentStatus::failed
        ))]
    );
    assert_eq!(events(&mut e), []);
}

#[test]
fn messages_the_component_has_no_use_for_are_reported() {
    let mut e = engine(ComponentEngineConfig::default());
    e.handle_connected(ms(0), LINK);
    transmits(&mut e);
    events(&mut e);
    e.handle_frame(
        ms(1),
        AnyMessage::Role(set_role_response("5", ReturnCode::success)),
    );
    e.handle_frame(ms(2), AnyMessage::Monitor(health_query("6", "1002")));
    e.handle_frame(ms(3), heartbeat("7", ComponentStatus::ok));
    e.handle_frame(
        ms(4),
        AnyMessage::Election(baton_election::message::nomination("8", "alpha")),
    );
    assert_eq!(transmits(&mut e), []);
    assert_eq!(
        events(&mut e),
        [
            ComponentEngineEvent::Ignored(IgnoredFrame::RoleAnswer {
                correlation: "5".to_owned()
            }),
            ComponentEngineEvent::Ignored(IgnoredFrame::Health(
                IgnoredReason::ComponentIdMismatch {
                    expected: "1001".to_owned(),
                    got: "1002".to_owned()
                }
            )),
            ComponentEngineEvent::Ignored(IgnoredFrame::Health(IgnoredReason::UnexpectedMessage)),
            ComponentEngineEvent::Ignored(IgnoredFrame::Interface(Interface::Election)),
        ]
    );
}

fn graced() -> ComponentEngineConfig {
    ComponentEngineConfig {
        dead_interval: Duration::from_millis(100),
        stall_grace: Duration::from_millis(50),
        ..ComponentEngineConfig::default()
    }
}

#[test]
fn a_late_watchdog_is_moved_once_by_the_stall_grace_and_a_frame_ends_it() {
    // Last heard at 0: deadline 100; stall threshold a tenth of it, 10 ms.
    let mut e = active_at(graced(), 0);
    assert_eq!(e.poll_timeout(), Some(ms(100)));
    // 20 ms late: a stall. Moved to deadline + grace = 150, no demotion.
    e.handle_timeout(ms(120));
    assert_eq!(events(&mut e), []);
    assert_eq!(e.poll_timeout(), Some(ms(150)));
    // The node is heard: the watchdog restarts from there.
    e.handle_frame(ms(130), AnyMessage::Monitor(health_query("1", "1001")));
    assert_eq!(e.poll_timeout(), Some(ms(230)));
    e.handle_timeout(ms(150));
    assert_eq!(events(&mut e), []);
    assert_eq!(e.role(), Some(Role::Active));
}

#[test]
fn the_graced_watchdog_demotes_at_its_second_expiry() {
    let mut e = active_at(graced(), 0);
    e.handle_timeout(ms(120));
    e.handle_timeout(ms(150));
    assert_eq!(
        events(&mut e),
        [
            ComponentEngineEvent::SelfDemoted {
                reason: WatchdogReason::Silent
            },
            ComponentEngineEvent::RoleChanged {
                from: Some(Role::Active),
                to: Role::Standby
            },
        ]
    );
}

#[test]
fn a_watchdog_on_time_or_without_grace_demotes_at_once() {
    // Within the threshold (5 ms late): no stall.
    let mut e = active_at(graced(), 0);
    e.handle_timeout(ms(105));
    assert_eq!(events(&mut e).len(), 2);
    // No grace configured: a late expiry demotes too.
    let mut e = active_at(
        ComponentEngineConfig {
            dead_interval: Duration::from_millis(100),
            ..ComponentEngineConfig::default()
        },
        0,
    );
    e.handle_timeout(ms(140));
    assert_eq!(events(&mut e).len(), 2);
    assert_eq!(e.role(), Some(Role::Standby));
}

#[test]
fn a_zero_heartbeat_interval_is_raised_to_a_millisecond() {
    let mut e = engine(ComponentEngineConfig {
        heartbeat_interval: Duration::ZERO,
        ..ComponentEngineConfig::default()
    });
    e.handle_connected(ms(0), LINK);
    assert_eq!(e.poll_timeout(), Some(ms(1)));
    e.handle_timeout(ms(1));
    assert_eq!(transmits(&mut e).len(), 2);
}

/// PROTOCOL 2.3, Role correlationIds: the node's `"<round> <seq>"` id gives the request's
/// generation; the answer still echoes the whole id.
#[test]
fn a_set_role_id_of_the_node_form_gives_the_generation() {
    let mut e = engine(ComponentEngineConfig::default());
    e.handle_connected(ms(0), LINK);
    transmits(&mut e);
    events(&mut e);
    e.handle_frame(ms(10), set("7 3", baton_role::Role::active));
    assert_eq!(
        events(&mut e),
        [ComponentEngineEvent::RoleRequested {
            role: Role::Active,
            correlation: "7 3".to_owned(),
            generation: Some(7),
        }]
    );
    assert_eq!(e.accept(ms(12)), Ok(Role::Active));
    assert_eq!(
        transmits(&mut e),
        [AnyMessage::Role(set_role_response(
            "7 3",
            ReturnCode::success
        ))]
    );
    events(&mut e);
    // A malformed round (above u32) is no generation.
    e.handle_frame(ms(20), set("4294967296 1", baton_role::Role::standby));
    assert!(matches!(
        events(&mut e)[..],
        [ComponentEngineEvent::RoleRequested {
            generation: None,
            ..
        }]
    ));
}

fn query(correlation: &str) -> AnyMessage {
    AnyMessage::Monitor(health_query(correlation, "1001"))
}

fn answer(correlation: &str) -> AnyMessage {
    AnyMessage::Monitor(health_query_response(
        correlation,
        "1001",
        ComponentStatus::ok,
    ))
}

/// PROTOCOL 6.9: the node's notices are answered as queries, then reported; the timers are
/// kept, and a watchdog longer than the node's bound is reported once the bound is told.
#[test]
fn node_notices_are_answered_and_reported() {
    let config = ComponentEngineConfig {
        dead_interval: Duration::from_millis(190),
        stall_grace: Duration::from_millis(10),
        ..ComponentEngineConfig::default()
    };
    let mut e = engine(config);
    e.handle_connected(ms(0), LINK);
    transmits(&mut e);
    events(&mut e);
    for id in ["0 3 1000", "0 4 300", "0 5 100", "0 6 198", "0 1", "0 2"] {
        e.handle_frame(ms(1), query(id));
    }
    assert_eq!(
        transmits(&mut e),
        ["0 3 1000", "0 4 300", "0 5 100", "0 6 198", "0 1", "0 2"].map(answer)
    );
    let timer = |timer, ms| ComponentEngineEvent::NodeTimer {
        timer,
        value: Duration::from_millis(ms),
    };
    assert_eq!(
        events(&mut e),
        [
            timer(NodeTimer::RoleTimeout, 1000),
            timer(NodeTimer::ComponentDeadInterval, 300),
            timer(NodeTimer::QueryInterval, 100),
            timer(NodeTimer::WatchdogBound, 198),
            ComponentEngineEvent::WatchdogTooLong {
                watchdog: Duration::from_millis(200),
                bound: Duration::from_millis(198),
            },
            ComponentEngineEvent::RestartRequested,
            ComponentEngineEvent::UnknownComponentId,
        ]
    );
    assert_eq!(
        e.node_timers(),
        NodeTimers {
            role_timeout: Some(Duration::from_millis(1000)),
            dead_interval: Some(Duration::from_millis(300)),
            query_interval: Some(Duration::from_millis(100)),
            watchdog_bound: Some(Duration::from_millis(198)),
        }
    );
    // An ordinary query is no notice; nor a notice naming another component.
    e.handle_frame(ms(2), query("17"));
    e.handle_frame(ms(2), AnyMessage::Monitor(health_query("0 1", "1002")));
    assert_eq!(transmits(&mut e), [answer("17")]);
    assert!(!events(&mut e).contains(&ComponentEngineEvent::RestartRequested));
}

/// A watchdog within the bound is not reported.
#[test]
fn a_watchdog_within_the_bound_is_not_reported() {
    let mut e = engine(ComponentEngineConfig::default());
    e.handle_connected(ms(0), LINK);
    events(&mut e);
    e.handle_frame(ms(1), query("0 6 198"));
    assert_eq!(
        events(&mut e),
        [ComponentEngineEvent::NodeTimer {
            timer: NodeTimer::WatchdogBound,
            value: Duration::from_millis(198)
        }]
    );
}

/// PROTOCOL 6.9: the leave notice is a `heartBeat{failed}` with id "0 0"; nothing while not
/// connected.
#[test]
fn leaving_queues_the_leave_notice() {
    let mut e = engine(ComponentEngineConfig::default());
    assert!(!e.leave());
    e.handle_connected(ms(0), LINK);
    transmits(&mut e);
    assert!(e.leave());
    assert_eq!(
        transmits(&mut e),
        [heartbeat("0 0", ComponentStatus::failed)]
    );
}

#[test]
fn a_watchdog_above_the_bound_refuses_active_and_takes_standby() {
    let config = ComponentEngineConfig {
        dead_interval: Duration::from_millis(190),
        stall_grace: Duration::from_millis(10),
        ..ComponentEngineConfig::default()
    };
    let mut e = engine(config);
    e.handle_connected(ms(0), LINK);
    transmits(&mut e);
    events(&mut e);
    // Before the node tells a bound, nothing is second-guessed.
    e.handle_frame(ms(1), set("1 1", baton_role::Role::active));
    assert!(matches!(
        events(&mut e).as_slice(),
        [ComponentEngineEvent::RoleRequested { .. }]
    ));
    assert_eq!(e.accept(ms(2)), Ok(Role::Active));
    transmits(&mut e);
    events(&mut e);
    // The node's bound, 198 ms, below the 200 ms watchdog: standby is taken as always...
    e.handle_frame(ms(3), query("0 6 198"));
    transmits(&mut e);
    events(&mut e);
    e.handle_frame(ms(4), set("1 2", baton_role::Role::standby));
    assert!(matches!(
        events(&mut e).as_slice(),
        [ComponentEngineEvent::RoleRequested {
            role: Role::Standby,
            ..
        }]
    ));
    assert_eq!(e.accept(ms(5)), Ok(Role::Standby));
    transmits(&mut e);
    events(&mut e);
    // ...and active is refused at once, with no request left for the application.
    e.handle_frame(ms(6), set("2 3", baton_role::Role::active));
    assert_eq!(
        transmits(&mut e),
        [AnyMessage::Role(set_role_response(
            "2 3",
            ReturnCode::failure
        ))]
    );
    assert_eq!(
        events(&mut e),
        [ComponentEngineEvent::ActiveRefused {
            correlation: "2 3".to_owned(),
            watchdog: Duration::from_millis(200),
            bound: Duration::from_millis(198),
        }]
    );
    assert_eq!(e.pending_request(), None);
    assert_eq!(e.role(), Some(Role::Standby));
    // Within the bound (a node with longer timers), active is requested again.
    e.handle_frame(ms(7), query("0 6 250"));
    transmits(&mut e);
    events(&mut e);
    e.handle_frame(ms(8), set("2 4", baton_role::Role::active));
    assert!(matches!(
        events(&mut e).as_slice(),
        [ComponentEngineEvent::RoleRequested {
            role: Role::Active,
            ..
        }]
    ));
}

fn replicating(standby: StandbyKind) -> ComponentEngine {
    engine(ComponentEngineConfig::default()).with_replication(ReplicationConfig {
        standby,
        encoding: baton_codec::Encoding::Der,
        max_frame: 64 * 1024,
    })
}

fn replication(
    correlation: &str,
    m: baton_asn1::replication::ReplicationMessageMessage,
) -> AnyMessage {
    use baton_asn1::replication as r;
    AnyMessage::Replication(r::ReplicationMessage::new(
        r::CorrelationId(correlation.as_bytes().try_into().expect("digits")),
        m,
    ))
}

#[test]
fn a_hot_engine_registers_then_asks_for_its_records() {
    use baton_asn1::replication as r;
    let mut e = replicating(StandbyKind::Hot);
    e.handle_connected(ms(0), LINK);
    assert_eq!(
        transmits(&mut e),
        [
            heartbeat("1", ComponentStatus::ok),
            replication(
                "1",
                r::ReplicationMessageMessage::syncRequest(r::SyncRequest::new(r::SyncStart::full(
                    r::FullSync::new()
                )))
            ),
        ]
    );
    // A cold one only registers.
    let mut e = replicating(StandbyKind::Cold);
    e.handle_connected(ms(0), LINK);
    assert_eq!(transmits(&mut e), [heartbeat("1", ComponentStatus::ok)]);
}

#[test]
fn an_engine_replicates_while_active_in_the_generation_it_accepted() {
    use baton_asn1::replication as r;
    let mut e = replicating(StandbyKind::Cold);
    let op = [crate::Operation::delete("1", b"k".to_vec())];
    assert_eq!(e.replicate(&op), Err(ReplicateError::NotConnected));
    e.handle_connected(ms(0), LINK);
    transmits(&mut e);
    assert_eq!(e.replicate(&op), Err(ReplicateError::NotActive));
    e.handle_frame(ms(1), set("12 3", baton_role::Role::active));
    assert_eq!(e.take_restoration(), Some(Restoration::Records(vec![])));
    e.accept(ms(1)).expect("pending");
    transmits(&mut e);
    events(&mut e);
    assert_eq!(e.replicate(&op), Ok(Ticket(0)));
    let key = r::RecordKey::new(
        r::ApplicationId("1001".as_bytes().try_into().expect("digits")),
        r::DataType("1".as_bytes().try_into().expect("digits")),
        r::DataKey(b"k".to_vec().into()),
    );
    assert_eq!(
        transmits(&mut e),
        [replication(
            "1",
            r::ReplicationMessageMessage::update(r::Update::new(
                r::Generation(12),
                r::SequenceNumber(1),
                r::Operations(vec![r::Operation::delete(key)]),
            ))
        )]
    );
    e.handle_frame(
        ms(2),
        replication(
            "1",
            r::ReplicationMessageMessage::updateAck(r::UpdateAck::new(
                r::Generation(12),
                r::SequenceNumber(1),
            )),
        ),
    );
    assert_eq!(
        events(&mut e),
        [ComponentEngineEvent::Replication(ReplicationEvent::Acked {
            ticket: Ticket(0),
            ack: crate::Ack {
                sequence: 1,
                generation: 12
            },
        })]
    );
    // Without replication an interface-5 frame is ignored, as before.
    let mut plain = engine(ComponentEngineConfig::default());
    plain.handle_connected(ms(0), LINK);
    events(&mut plain);
    plain.handle_frame(
        ms(1),
        replication(
            "1",
            r::ReplicationMessageMessage::updateAck(r::UpdateAck::new(
                r::Generation(1),
                r::SequenceNumber(1),
            )),
        ),
    );
    assert_eq!(
        events(&mut plain),
        [ComponentEngineEvent::Ignored(IgnoredFrame::Interface(
            Interface::Replication
        ))]
    );
    assert_eq!(plain.replicate(&op), Err(ReplicateError::NotReplicating));
}

/// PROTOCOL 6.11: a sync that is neither this link's request's answer nor pushed while
/// streamed to (here: a node's push reaching a hot standby between a gap and the answer)
/// is kept as a promotion's records only until the hot copy is newer: once the answer and
/// a stream update came, the promotion restores the streamed copy, not those records.
#[test]
fn a_hot_copy_newer_than_kept_records_is_restored() {
    use baton_asn1::replication as r;
    use r::ReplicationMessageMessage as M;
    let mut e = replicating(StandbyKind::Hot);
    e.handle_connected(ms(0), LINK);
    transmits(&mut e);
    let done = |seq: u64| {
        M::syncDone(r::SyncDone::new(
            r::Generation(2),
            r::SequenceNumber(seq),
            r::EntryCount(0),
        ))
    };
    e.handle_frame(ms(1), replication("900", done(3)));
    e.handle_frame(ms(2), replication("1", done(5)));
    let update = M::update(r::Update::new(
        r::Generation(2),
        r::SequenceNumber(6),
        r::Operations(vec![]),
    ));
    e.handle_frame(ms(3), replication("901", update));
    events(&mut e);
    e.handle_frame(ms(4), set("12 3", baton_role::Role::active));
    assert_eq!(e.take_restoration(), Some(Restoration::Streamed));
}
