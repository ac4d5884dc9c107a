//! A configuration reload: the node applies the components' new policies.

use baton_core::{Instant, LinkId};
use baton_engine::{Change, ConfigDiff, Event, LinkKind, Node, NodeConfig, Notice};
use baton_monitor::{heart_beat, ComponentPolicy, ComponentStatus, FailureReason, Severity};

const COMPONENT: LinkId = LinkId(5);

fn drain(node: &mut Node) -> Vec<Event> {
    while node.poll_transmit().is_some() {}
    std::iter::from_fn(|| node.poll_event()).collect()
}

#[test]
fn a_reloaded_policy_decides_the_next_failure() {
    let mut cfg = NodeConfig::pair([("alpha", "1"), ("beta", "2")], 0);
    let minor = ComponentPolicy {
        severity: Severity::Minor,
        dead_interval: None,
    };
    cfg.components.insert("1001".into(), minor);
    let now = Instant::ZERO;
    let mut node = Node::new(cfg, now).unwrap();
    node.handle_link_opened(now, COMPONENT, LinkKind::Component);
    node.handle_frame(
        now,
        COMPONENT,
        heart_beat("1", "1001", ComponentStatus::ok).into(),
    );
    drain(&mut node);

    let major = ComponentPolicy {
        severity: Severity::Major,
        dead_interval: None,
    };
    let diff = ConfigDiff {
        applied: vec![Change::ComponentPolicy {
            component: "1001".into(),
            policy: major,
        }],
        refused: vec![],
    };
    node.reload(now, &diff);
    assert_eq!(node.config().components["1001"], major);
    drain(&mut node);

    node.handle_link_closed(now, COMPONENT);
    let events = drain(&mut node);
    assert_eq!(
        events
            .iter()
            .filter(|e| !matches!(e, Event::StatusChanged(_)))
            .cloned()
            .collect::<Vec<_>>(),
        vec![
            Event::Notice(Notice::ComponentFailed {
                component: "1001".into(),
                severity: Severity::Major,
                reason: FailureReason::LinkClosed,
            }),
            Event::RestartComponent { id: "1001".into() },
        ]
    );
}
