//! The node side for components: query health sequence (PROTOCOL 7.9), dead interval,
//! severities (PROTOCOL 6.4).

use baton_core::{Instant, LinkId};
use baton_monitor::{
    health_query, health_query_response, heart_beat, ComponentHealth, ComponentHealthConfig,
    ComponentHealthEvent, ComponentHealthState as H, ComponentPolicy, ComponentStatus,
    FailureReason, HealthMonitor, IgnoredReason, MonitorConfig, MonitorEvent as E, Severity,
    Transmit,
};
use std::collections::BTreeMap;
use std::time::Duration;

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn transmits(m: &mut HealthMonitor) -> Vec<Transmit> {
    std::iter::from_fn(|| m.poll_transmit()).collect()
}

fn events(m: &mut HealthMonitor) -> Vec<E> {
    std::iter::from_fn(|| m.poll_event()).collect()
}

fn tx(link: u64, message: baton_monitor::HealthMonitorMessage) -> Transmit {
    Transmit {
        link: LinkId(link),
        message,
    }
}

/// PROTOCOL 7.9, query health sequence: the component registers with a
/// `heartBeat`, then the node sends `healthQuery` every query interval and the component
/// answers `healthQueryResponse{billOfHealth{status ok}}` echoing the `correlationId`.
#[test]
fn query_health() {
    let mut node = HealthMonitor::default();
    let mut comp = ComponentHealth::new("7", ComponentHealthConfig::default()).unwrap();

    // Component -> node: registration heartBeat.
    comp.handle_node_connected(at(0), LinkId(1));
    let hello = comp.poll_transmit().unwrap();
    assert_eq!(hello, tx(1, heart_beat("1", "7", ComponentStatus::ok)));
    node.handle_message(at(0), LinkId(1), hello.message);
    assert_eq!(
        events(&mut node),
        vec![E::ComponentRegistered {
            id: "7".into(),
            link: LinkId(1),
            replaced: None
        }]
    );
    assert_eq!(node.health("7"), Some(H::Ok));
    assert_eq!(node.poll_timeout(), Some(at(100)));

    for (t, correlation) in [(100, "1"), (200, "2"), (300, "3")] {
        node.handle_timeout(at(t));
        // Node -> component: healthQuery, fresh correlationId.
        let query = transmits(&mut node);
        assert_eq!(query, vec![tx(1, health_query(correlation, "7"))]);
        // Component -> node: healthQueryResponse, same correlationId.
        comp.handle_message(at(t + 1), query[0].message.clone());
        let response = comp.poll_transmit().unwrap();
        assert_eq!(
            response,
            tx(
                1,
                health_query_response(correlation, "7", ComponentStatus::ok)
            )
        );
        node.handle_message(at(t + 2), LinkId(1), response.message);
        assert_eq!(events(&mut node), vec![]);
    }
    // Answers keep the component alive: dead interval from the last answer.
    assert_eq!(node.health("7"), Some(H::Ok));
    assert_eq!(node.counts(), (1, 1));
    assert_eq!(node.worst_failure(), None);
    assert_eq!(node.poll_timeout(), Some(at(400)));
    assert_eq!(comp.poll_event(), None::<ComponentHealthEvent>);
}

#[test]
fn dead_interval_fails_a_silent_component_and_it_recovers() {
    let mut node = HealthMonitor::default();
    node.handle_message(at(0), LinkId(1), heart_beat("9", "7", ComponentStatus::ok));
    events(&mut node);
    node.handle_timeout(at(100));
    node.handle_timeout(at(200));
    assert_eq!(
        transmits(&mut node),
        vec![tx(1, health_query("1", "7")), tx(1, health_query("2", "7"))]
    );
    node.handle_timeout(at(299));
    assert_eq!(events(&mut node), vec![]);
    node.handle_timeout(at(300));
    assert_eq!(
        events(&mut node),
        vec![E::ComponentFailed {
            id: "7".into(),
            severity: Severity::Minor,
            reason: FailureReason::Silent
        }]
    );
    assert_eq!(node.health("7"), Some(H::Failed(FailureReason::Silent)));
    // Still queried; a late answer to query "2" counts as life.
    assert_eq!(transmits(&mut node), vec![tx(1, health_query("3", "7"))]);
    node.handle_message(
        at(310),
        LinkId(1),
        health_query_response("2", "7", ComponentStatus::ok),
    );
    assert_eq!(
        events(&mut node),
        vec![E::ComponentRecovered { id: "7".into() }]
    );
    // "2" settled "1" too: answering either again is unknown.
    node.handle_message(
        at(320),
        LinkId(1),
        health_query_response("1", "7", ComponentStatus::ok),
    );
    assert_eq!(
        events(&mut node),
        vec![E::Ignored {
            link: LinkId(1),
            reason: IgnoredReason::UnknownCorrelation("1".into())
        }]
    );
    assert_eq!(node.poll_timeout(), Some(at(400)));
}

#[test]
fn per_component_dead_interval() {
    let mut components = BTreeMap::new();
    components.insert(
        "5".to_string(),
        ComponentPolicy {
            severity: Severity::Major,
            dead_interval: Some(Duration::from_millis(1000)),
        },
    );
    let mut node = HealthMonitor::new(MonitorConfig {
        components,
        ..MonitorConfig::default()
    });
    node.handle_message(at(0), LinkId(1), heart_beat("1", "5", ComponentStatus::ok));
    events(&mut node);
    for t in (100..1000).step_by(100) {
        node.handle_timeout(at(t));
    }
    assert_eq!(events(&mut node), vec![]);
    node.handle_timeout(at(1000));
    assert_eq!(
        events(&mut node),
        vec![E::ComponentFailed {
            id: "5".into(),
            severity: Severity::Major,
            reason: FailureReason::Silent
        }]
    );
}

#[test]
fn severities() {
    let mut components = BTreeMap::new();
    for (id, severity) in [
        ("1", Severity::Minor),
        ("2", Severity::Major),
        ("3", Severity::Fatal),
    ] {
        components.insert(
            id.to_string(),
            ComponentPolicy {
                severity,
                dead_interval: None,
            },
        );
    }
    let mut node = HealthMonitor::new(MonitorConfig {
        components,
        ..MonitorConfig::default()
    });
    assert_eq!(node.counts(), (0, 3));
    assert_eq!(node.health("3"), Some(H::Unregistered));
    assert_eq!(node.worst_failure(), Some(Severity::Fatal));
    for link in 1..=3 {
        let id = link.to_string();
        node.handle_message(
            at(0),
            LinkId(link),
            heart_beat("1", &id, ComponentStatus::ok),
        );
    }
    events(&mut node);
    assert_eq!(node.counts(), (3, 3));
    assert_eq!(node.worst_failure(), None);

    // Reported failure, with the configured severity; reported again: no second event.
    node.handle_message(
        at(10),
        LinkId(2),
        heart_beat("2", "2", ComponentStatus::failed),
    );
    node.handle_message(
        at(11),
        LinkId(2),
        heart_beat("3", "2", ComponentStatus::failed),
    );
    // A failed answer to a query.
    node.handle_timeout(at(100));
    let queries = transmits(&mut node);
    assert_eq!(queries[2], tx(3, health_query("3", "3")));
    node.handle_message(
        at(110),
        LinkId(3),
        health_query_response("3", "3", ComponentStatus::failed),
    );
    // A closed link.
    node.handle_link_closed(at(120), LinkId(1));
    assert_eq!(
        events(&mut node),
        vec![
            E::ComponentFailed {
                id: "2".into(),
                severity: Severity::Major,
                reason: FailureReason::ReportedFailed
            },
            E::ComponentFailed {
                id: "3".into(),
                severity: Severity::Fatal,
                reason: FailureReason::ReportedFailed
            },
            E::ComponentFailed {
                id: "1".into(),
                severity: Severity::Minor,
                reason: FailureReason::LinkClosed
            },
        ]
    );
    assert_eq!(node.counts(), (0, 3));
    assert_eq!(node.worst_failure(), Some(Severity::Fatal));
    assert_eq!(node.link_of("1"), None);

    // Major: the composer restarted "2"; it comes back on a new link and says ok.
    node.handle_link_closed(at(130), LinkId(2));
    node.handle_message(
        at(200),
        LinkId(4),
        heart_beat("1", "2", ComponentStatus::ok),
    );
    assert_eq!(
        events(&mut node),
        vec![
            E::ComponentRegistered {
                id: "2".into(),
                link: LinkId(4),
                replaced: None
            },
            E::ComponentRecovered { id: "2".into() },
        ]
    );
    assert_eq!(node.counts(), (1, 3));
    // The composer lowers the restarted component to minor.
    node.set_policy(
        "2",
        ComponentPolicy {
            severity: Severity::Minor,
            dead_interval: None,
        },
    );
    node.handle_message(
        at(210),
        LinkId(4),
        heart_beat("2", "2", ComponentStatus::failed),
    );
    assert_eq!(
        events(&mut node),
        vec![E::ComponentFailed {
            id: "2".into(),
            severity: Severity::Minor,
            reason: FailureReason::ReportedFailed
        }]
    );
    node.handle_message(
        at(220),
        LinkId(4),
        heart_beat("3", "2", ComponentStatus::ok),
    );
    assert_eq!(
        events(&mut node),
        vec![E::ComponentRecovered { id: "2".into() }]
    );
    // Unconfigured components get the default policy.
    node.handle_message(
        at(200),
        LinkId(5),
        heart_beat("1", "42", ComponentStatus::failed),
    );
    assert_eq!(
        events(&mut node),
        vec![
            E::ComponentRegistered {
                id: "42".into(),
                link: LinkId(5),
                replaced: None
            },
            E::ComponentFailed {
                id: "42".into(),
                severity: Severity::Minor,
                reason: FailureReason::ReportedFailed
            },
        ]
    );
    assert_eq!(
        node.components()
            .map(|(id, _, s, _)| (id, s))
            .collect::<Vec<_>>(),
        vec![
            ("1", Severity::Minor),
            ("2", Severity::Minor),
            ("3", Severity::Fatal),
            ("42", Severity::Minor)
        ]
    );
}

#[test]
fn reregistration_replaces_the_old_link() {
    let mut node = HealthMonitor::default();
    node.handle_message(at(0), LinkId(1), heart_beat("1", "7", ComponentStatus::ok));
    node.handle_message(at(50), LinkId(2), heart_beat("1", "7", ComponentStatus::ok));
    assert_eq!(
        events(&mut node),
        vec![
            E::ComponentRegistered {
                id: "7".into(),
                link: LinkId(1),
                replaced: None
            },
            E::ComponentRegistered {
                id: "7".into(),
                link: LinkId(2),
                replaced: Some(LinkId(1))
            },
        ]
    );
    node.handle_timeout(at(100));
    assert_eq!(transmits(&mut node), vec![tx(2, health_query("1", "7"))]);
    // The abandoned link is no longer watched: its closing changes nothing.
    node.handle_link_closed(at(110), LinkId(1));
    node.handle_message(
        at(120),
        LinkId(1),
        heart_beat("2", "7", ComponentStatus::ok),
    );
    assert_eq!(
        events(&mut node),
        vec![E::ComponentRegistered {
            id: "7".into(),
            link: LinkId(1),
            replaced: Some(LinkId(2))
        }]
    );
}

#[test]
fn misbehaviour_is_an_event() {
    let mut node = HealthMonitor::default();
    node.handle_message(
        at(0),
        LinkId(1),
        health_query_response("1", "7", ComponentStatus::ok),
    );
    node.handle_message(at(0), LinkId(2), heart_beat("1", "", ComponentStatus::ok));
    node.handle_message(at(0), LinkId(3), heart_beat("1", "7", ComponentStatus::ok));
    node.handle_message(at(0), LinkId(3), heart_beat("2", "8", ComponentStatus::ok));
    node.handle_message(at(0), LinkId(3), health_query("3", "7"));
    node.handle_message(
        at(0),
        LinkId(3),
        health_query_response("99", "7", ComponentStatus::ok),
    );
    assert_eq!(
        events(&mut node),
        vec![
            E::Ignored {
                link: LinkId(1),
                reason: IgnoredReason::NotRegistered
            },
            E::Ignored {
                link: LinkId(2),
                reason: IgnoredReason::EmptyComponentId
            },
            E::ComponentRegistered {
                id: "7".into(),
                link: LinkId(3),
                replaced: None
            },
            E::Ignored {
                link: LinkId(3),
                reason: IgnoredReason::ComponentIdMismatch {
                    expected: "7".into(),
                    got: "8".into()
                }
            },
            E::Ignored {
                link: LinkId(3),
                reason: IgnoredReason::UnexpectedMessage
            },
            E::Ignored {
                link: LinkId(3),
                reason: IgnoredReason::UnknownCorrelation("99".into())
            },
        ]
    );
    // Queries stop once no component is registered.
    node.handle_link_closed(at(10), LinkId(3));
    events(&mut node);
    node.handle_timeout(at(100));
    assert_eq!(transmits(&mut node), vec![]);
    assert_eq!(node.poll_timeout(), None);
}

#[test]
fn an_unconfigured_component_is_forgotten_when_it_leaves_a_configured_one_stays_failed() {
    let mut components = BTreeMap::new();
    components.insert("7".to_string(), ComponentPolicy::default());
    let mut node = HealthMonitor::new(MonitorConfig {
        components,
        ..MonitorConfig::default()
    });
    node.handle_message(at(0), LinkId(1), heart_beat("1", "7", ComponentStatus::ok));
    node.handle_message(at(0), LinkId(2), heart_beat("1", "99", ComponentStatus::ok));
    events(&mut node);
    assert_eq!(node.counts(), (2, 2));
    node.handle_link_closed(at(10), LinkId(2));
    node.handle_link_closed(at(10), LinkId(1));
    assert_eq!(
        events(&mut node),
        vec![
            E::ComponentFailed {
                id: "99".into(),
                severity: Severity::Minor,
                reason: FailureReason::LinkClosed
            },
            E::ComponentFailed {
                id: "7".into(),
                severity: Severity::Minor,
                reason: FailureReason::LinkClosed
            },
        ]
    );
    assert_eq!(node.counts(), (0, 1), "99 forgotten, 7 failed");
    assert_eq!(node.health("7"), Some(H::Failed(FailureReason::LinkClosed)));
    assert_eq!(node.health("99"), None);
}

/// A registered component "7" on link 1 (query interval 100 ms, dead interval 300 ms, stall
/// grace 100 ms, stall threshold 10 ms), heard at 0.
fn registered_7() -> HealthMonitor {
    let mut node = HealthMonitor::default();
    node.handle_message(at(0), LinkId(1), heart_beat("1", "7", ComponentStatus::ok));
    events(&mut node);
    transmits(&mut node);
    node
}

fn silent_7() -> Vec<E> {
    vec![E::ComponentFailed {
        id: "7".into(),
        severity: Severity::Minor,
        reason: FailureReason::Silent,
    }]
}

/// Stall grace (PROTOCOL 6.4): a component's dead interval that ends late (the node stalled)
/// is extended once; a query goes out and the component's answer within the grace keeps it
/// ok. Once heard, a later late expiry gets a grace again.
#[test]
fn stall_grace_a_late_dead_interval_is_extended_once_and_an_answer_ends_it() {
    let mut node = registered_7();
    // Answers to the rounds at 100 and 200 never come; dead interval due at 300.
    node.handle_timeout(at(100));
    node.handle_timeout(at(200));
    transmits(&mut node);
    // Handled at 340: 40 ms late. The round due at 300 goes out; no failure.
    node.handle_timeout(at(340));
    assert_eq!(events(&mut node), vec![]);
    assert_eq!(transmits(&mut node), vec![tx(1, health_query("3", "7"))]);
    assert_eq!(node.health("7"), Some(H::Ok));
    // The component answers within the grace (to 440).
    node.handle_message(
        at(345),
        LinkId(1),
        health_query_response("3", "7", ComponentStatus::ok),
    );
    assert_eq!(events(&mut node), vec![]);
    // Dead interval due at 645; late again: a new grace, as it was heard since.
    node.handle_timeout(at(700));
    assert_eq!(events(&mut node), vec![]);
    assert_eq!(node.health("7"), Some(H::Ok));
    // Grace to 800, nothing heard: failed.
    node.handle_timeout(at(800));
    assert_eq!(events(&mut node), silent_7());
}

/// A second late expiry without an answer in between fails the component.
#[test]
fn stall_grace_a_second_late_expiry_fails_the_component() {
    let mut node = registered_7();
    node.handle_timeout(at(340));
    assert_eq!(events(&mut node), vec![]);
    node.handle_timeout(at(500));
    assert_eq!(events(&mut node), silent_7());
}

/// A dead interval handled in time fails the component at once; a zero grace disables it.
#[test]
fn stall_grace_a_timely_expiry_fails_the_component_and_zero_disables_it() {
    let mut node = registered_7();
    node.handle_timeout(at(305));
    assert_eq!(events(&mut node), silent_7());

    let mut node = HealthMonitor::new(MonitorConfig {
        stall_grace: Some(Duration::ZERO),
        ..MonitorConfig::default()
    });
    node.handle_message(at(0), LinkId(1), heart_beat("1", "7", ComponentStatus::ok));
    events(&mut node);
    node.handle_timeout(at(400));
    assert_eq!(events(&mut node), silent_7());
}
