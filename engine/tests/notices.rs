//! PROTOCOL 6.9, component link notices, on the node side: exact outputs of one node (no
//! peer) for a component that registers, fails `major`, leaves, or is not configured.

use baton_codec::AnyMessage;
use baton_core::{Instant, LinkId};
use baton_engine::{CloseReason, Event, LinkKind, Node, NodeConfig, Notice, Transmit};
use baton_monitor::{
    health_query, heart_beat, ComponentHealthState, ComponentPolicy, ComponentStatus, Severity,
};
use std::time::Duration;

const LINK: LinkId = LinkId(5);

fn ms(n: u64) -> Instant {
    Instant::ZERO + Duration::from_millis(n)
}

/// A node of a pair whose peer never comes, with component "10" of `severity` configured.
fn node(severity: Severity, refuse_unknown: bool) -> Node {
    let mut config = NodeConfig::pair([("alpha", "1"), ("beta", "2")], 0);
    config.components.insert(
        "10".into(),
        ComponentPolicy {
            severity,
            dead_interval: None,
        },
    );
    config.refuse_unknown_components = refuse_unknown;
    Node::new(config, ms(0)).expect("config")
}

fn transmits(n: &mut Node) -> Vec<Transmit> {
    std::iter::from_fn(|| n.poll_transmit()).collect()
}

/// The events but status changes and dial requests (not what these tests are about).
fn events(n: &mut Node) -> Vec<Event> {
    std::iter::from_fn(|| n.poll_event())
        .filter(|e| !matches!(e, Event::StatusChanged(_) | Event::Dial { .. }))
        .collect()
}

fn query(correlation: &str, id: &str) -> Transmit {
    Transmit {
        link: LINK,
        message: AnyMessage::Monitor(health_query(correlation, id)),
    }
}

/// Component "10" registered on `LINK` at 1 ms, outputs drained.
fn registered(severity: Severity) -> Node {
    let mut n = node(severity, true);
    n.handle_link_opened(ms(1), LINK, LinkKind::Component);
    let hb = heart_beat("1", "10", ComponentStatus::ok);
    n.handle_frame(ms(1), LINK, AnyMessage::Monitor(hb));
    transmits(&mut n);
    events(&mut n);
    n
}

/// The node's timers go out as notices right after registration, before anything else: role
/// timeout, this component's dead interval, query interval, watchdog bound `D - H - 2 ms`.
#[test]
fn a_registering_component_is_told_the_nodes_timers() {
    let mut n = node(Severity::Minor, true);
    n.handle_link_opened(ms(1), LINK, LinkKind::Component);
    let hb = heart_beat("1", "10", ComponentStatus::ok);
    n.handle_frame(ms(1), LINK, AnyMessage::Monitor(hb));
    assert_eq!(
        transmits(&mut n),
        [
            query("0 3 1000", "10"),
            query("0 4 300", "10"),
            query("0 5 100", "10"),
            query("0 6 198", "10"),
        ]
    );
    events(&mut n);
    // Their answers are signs of life that settle no query and are not logged as unknown.
    let answer = baton_monitor::health_query_response("0 3 1000", "10", ComponentStatus::ok);
    n.handle_frame(ms(2), LINK, AnyMessage::Monitor(answer));
    assert_eq!(events(&mut n), []);
}

/// An id the configuration does not list: the notice "0 2", then the close; nothing
/// registered.
#[test]
fn an_unknown_component_id_is_refused_with_a_notice_then_closed() {
    let mut n = node(Severity::Minor, true);
    n.handle_link_opened(ms(1), LINK, LinkKind::Component);
    let hb = heart_beat("1", "99", ComponentStatus::ok);
    n.handle_frame(ms(1), LINK, AnyMessage::Monitor(hb));
    assert_eq!(transmits(&mut n), [query("0 2", "99")]);
    assert_eq!(
        events(&mut n),
        [Event::CloseLink {
            link: LINK,
            reason: CloseReason::UnknownComponentId {
                component: "99".into()
            }
        }]
    );
    assert_eq!(n.health().health("99"), None);
    assert_eq!(n.health().counts(), (0, 1));
}

/// Without `refuse_unknown_components` (the machine's default) it registers as before.
#[test]
fn without_the_refusal_an_unknown_id_registers() {
    let mut n = node(Severity::Minor, false);
    n.handle_link_opened(ms(1), LINK, LinkKind::Component);
    let hb = heart_beat("1", "99", ComponentStatus::ok);
    n.handle_frame(ms(1), LINK, AnyMessage::Monitor(hb));
    assert_eq!(n.health().health("99"), Some(ComponentHealthState::Ok));
}

/// A `major` linked component that reports failed is asked to restart (the notice "0 1")
/// and the driver is told (`RestartComponent`).
#[test]
fn a_failed_major_linked_component_is_asked_to_restart() {
    let mut n = registered(Severity::Major);
    let hb = heart_beat("2", "10", ComponentStatus::failed);
    n.handle_frame(ms(5), LINK, AnyMessage::Monitor(hb));
    assert_eq!(transmits(&mut n), [query("0 1", "10")]);
    let events = events(&mut n);
    assert!(
        events.contains(&Event::RestartComponent { id: "10".into() }),
        "{events:?}"
    );
}

/// A `minor` one is not.
#[test]
fn a_failed_minor_component_is_not_asked_to_restart() {
    let mut n = registered(Severity::Minor);
    let hb = heart_beat("2", "10", ComponentStatus::failed);
    n.handle_frame(ms(5), LINK, AnyMessage::Monitor(hb));
    assert_eq!(transmits(&mut n), []);
}

/// The leave notice (a `heartBeat` with id "0 0"): the link is closed as a leave, the
/// component is not registered any more, and no failure is reported (no restart either).
#[test]
fn a_component_that_leaves_is_unregistered_not_failed() {
    let mut n = registered(Severity::Major);
    let leave = heart_beat("0 0", "10", ComponentStatus::failed);
    n.handle_frame(ms(5), LINK, AnyMessage::Monitor(leave));
    assert_eq!(transmits(&mut n), []);
    let events = events(&mut n);
    assert_eq!(
        events
            .iter()
            .filter(|e| !matches!(e, Event::Notice(_)))
            .collect::<Vec<_>>(),
        [&Event::CloseLink {
            link: LINK,
            reason: CloseReason::ComponentLeft {
                component: "10".into()
            }
        }]
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::Notice(Notice::ComponentFailed { .. }))),
        "{events:?}"
    );
    assert_eq!(
        n.health().health("10"),
        Some(ComponentHealthState::Unregistered)
    );
    // The driver then reports the link closed: still no failure.
    n.handle_link_closed(ms(6), LINK);
    assert!(!std::iter::from_fn(|| n.poll_event())
        .any(|e| matches!(e, Event::Notice(Notice::ComponentFailed { .. }))));
}

/// A component that registers again while the node already has a role for it (here:
/// `Active`) is told the timers first, then the current role: PROTOCOL 6.9, "before any
/// `setRole`" (the `setRole` once went out first, found by `baton conformance node`,
/// `node.reregistration`).
#[test]
fn the_notices_come_before_the_current_role() {
    let mut n = registered(Severity::Fatal);
    // Alone for startup_wait: it promotes and sets the component active. Each timer at its
    // deadline (a late one would be a stall, and a stalled node holds a registering
    // component, PROTOCOL 6.3).
    let mut out = Vec::new();
    while !out
        .iter()
        .any(|t: &Transmit| matches!(t.message, AnyMessage::Role(_)))
    {
        let at = n.poll_timeout().expect("a timer");
        assert!(at < ms(1000), "no promotion by {at:?}: {out:?}");
        n.handle_timeout(at);
        out.extend(transmits(&mut n));
    }
    let now = n.poll_timeout().expect("a timer").min(ms(301));
    let Some(AnyMessage::Role(set_role)) = out.last().map(|t| t.message.clone()) else {
        panic!("no setRole after the promotion: {out:?}");
    };
    let response = baton_role::set_role_response(
        &String::from_utf8_lossy(set_role.correlation_id.0.as_bytes()),
        baton_asn1::role::ReturnCode::success,
    );
    n.handle_frame(now, LINK, AnyMessage::Role(response));
    transmits(&mut n);
    events(&mut n);

    const AGAIN: LinkId = LinkId(6);
    n.handle_link_opened(now, AGAIN, LinkKind::Component);
    let hb = heart_beat("7", "10", ComponentStatus::ok);
    n.handle_frame(now, AGAIN, AnyMessage::Monitor(hb));
    let on = |link, message| Transmit { link, message };
    assert_eq!(
        transmits(&mut n),
        [
            on(AGAIN, AnyMessage::Monitor(health_query("0 3 1000", "10"))),
            on(AGAIN, AnyMessage::Monitor(health_query("0 4 300", "10"))),
            on(AGAIN, AnyMessage::Monitor(health_query("0 5 100", "10"))),
            on(AGAIN, AnyMessage::Monitor(health_query("0 6 198", "10"))),
            on(
                AGAIN,
                AnyMessage::Role(baton_role::set_role("1 2", baton_asn1::role::Role::active))
            ),
        ]
    );
}
