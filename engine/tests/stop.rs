//! The stop policy: hand over, then exit (PROTOCOL 7.6), with a deadline of
//! `2 × role_timeout + 1 s`.

mod support;

use baton_core::NodeRole;
use baton_election::UsageError;
use baton_engine::{Event, Node, Notice};
use std::time::Duration;
use support::{config, Pair};

/// The deadline with the default role timeout (1 s).
const DEADLINE: Duration = Duration::from_secs(3);

fn exits(p: &Pair, i: usize) -> Vec<Event> {
    p.events_of(i)
        .into_iter()
        .filter(|e| matches!(e, Event::Exit { .. }))
        .collect()
}

/// alpha Active, beta Standby, events cleared.
fn settled() -> Pair {
    let mut p = Pair::new();
    p.connect();
    p.run_for(Duration::from_secs(1));
    assert_eq!(
        [p.nodes[0].role(), p.nodes[1].role()],
        [NodeRole::Active, NodeRole::Standby]
    );
    p.clear_events();
    p
}

#[test]
fn the_active_hands_over_then_exits_once() {
    let mut p = settled();
    p.nodes[0].stop(p.now);
    assert!(p.nodes[0].is_stopping());
    p.flush();
    assert_eq!(
        p.notices(0).first(),
        Some(&Notice::StopHandingOver),
        "{:?}",
        p.events
    );
    p.run_for(Duration::from_secs(1));
    assert_eq!(
        [p.nodes[0].role(), p.nodes[1].role()],
        [NodeRole::Standby, NodeRole::Active]
    );
    assert_eq!(exits(&p, 0), vec![Event::Exit { handed_over: true }]);
    // Exactly once, and the deadline no longer wakes the node.
    p.run_for(DEADLINE);
    assert_eq!(exits(&p, 0), vec![Event::Exit { handed_over: true }]);
    assert_eq!(exits(&p, 1), vec![]);
    // A second stop does nothing.
    p.nodes[0].stop(p.now);
    p.flush();
    assert_eq!(exits(&p, 0), vec![Event::Exit { handed_over: true }]);
}

#[test]
fn an_active_whose_peer_does_not_take_over_exits_at_the_deadline() {
    let mut p = settled();
    // beta hangs: the handover request is never answered.
    p.alive[1] = false;
    let start = p.now;
    p.nodes[0].stop(start);
    assert!(p.nodes[0]
        .poll_timeout()
        .is_some_and(|t| t <= start + DEADLINE));
    p.run_for(DEADLINE - Duration::from_millis(1));
    assert_eq!(exits(&p, 0), vec![], "not before the deadline");
    assert_ne!(p.nodes[0].role(), NodeRole::Standby);
    p.run_for(Duration::from_millis(1));
    assert_eq!(exits(&p, 0), vec![Event::Exit { handed_over: false }]);
    // The passed deadline no longer wakes the node.
    let after = p.nodes[0].poll_timeout();
    assert!(after.is_none_or(|t| t > start + DEADLINE), "{after:?}");
}

#[test]
fn a_standby_exits_at_once() {
    let mut p = settled();
    p.nodes[1].stop(p.now);
    p.flush();
    assert_eq!(
        p.events_of(1),
        vec![
            Event::Notice(Notice::StopNothingToHandOver {
                reason: UsageError::NotActive(NodeRole::Standby)
            }),
            Event::Exit { handed_over: true },
        ]
    );
    assert_eq!(p.nodes[1].role(), NodeRole::Standby);
}

#[test]
fn an_active_with_no_peer_exits_at_once_without_handing_over() {
    let start = baton_core::Instant::ZERO;
    let mut node = Node::new(config(0), start).unwrap();
    // Alone: it promotes after the startup wait and the (empty) assignment.
    let mut now = start;
    while node.role() != NodeRole::Active {
        now = node.poll_timeout().expect("a timer");
        node.handle_timeout(now);
        assert!(now < start + Duration::from_secs(5), "{:?}", node.role());
    }
    while node.poll_event().is_some() {}
    node.stop(now);
    let events: Vec<Event> = std::iter::from_fn(|| node.poll_event()).collect();
    assert_eq!(
        events,
        vec![
            Event::Notice(Notice::StopNothingToHandOver {
                reason: UsageError::PeerDown
            }),
            Event::Exit { handed_over: false },
        ]
    );
}
