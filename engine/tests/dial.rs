//! Dialling the peer through the Node: [`Event::Dial`] when an attempt is due,
//! [`Node::handle_dialed`] and [`Node::handle_dial_failed`] for how it ended (PROTOCOL 4;
//! the numbers: PROTOCOL 11, note 17).

mod support;

use baton_core::{Instant, LinkId};
use baton_engine::{Event, LinkKind, Node, CONNECT_TIMEOUT};
use baton_monitor::LinkOrigin;
use std::time::Duration;
use support::{config, Pair, PEER};

fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

/// Node `i`'s dial requests, in order.
fn dials(p: &Pair, i: usize) -> Vec<Event> {
    p.events_of(i)
        .into_iter()
        .filter(|e| matches!(e, Event::Dial { .. }))
        .collect()
}

/// The dial requests a lone node emits, with the time of each, up to `end`; every attempt
/// fails as soon as it is asked for, after `takes`.
fn failing(node: &mut Node, end: Instant, takes: Duration) -> Vec<(Instant, Event)> {
    let mut seen = Vec::new();
    let mut now = Instant::ZERO;
    loop {
        while node.poll_transmit().is_some() {}
        let mut asked = Vec::new();
        while let Some(e) = node.poll_event() {
            if let Event::Dial { member } = e {
                seen.push((now, e));
                asked.push(member);
            }
        }
        for member in asked {
            node.handle_dial_failed(now + takes, member);
        }
        match node.poll_timeout() {
            Some(t) if t <= end => {
                now = now.max(t);
                node.handle_timeout(now);
            }
            _ => return seen,
        }
    }
}

#[test]
fn a_new_node_dials_its_peer_at_once() {
    let mut node = Node::new(config(0), Instant::ZERO).unwrap();
    let events: Vec<Event> = std::iter::from_fn(|| node.poll_event()).collect();
    assert_eq!(
        events
            .into_iter()
            .filter(|e| matches!(e, Event::Dial { .. }))
            .collect::<Vec<_>>(),
        [Event::Dial { member: 1 }]
    );
    // One attempt at a time: nothing more is due while it is under way.
    node.handle_timeout(ms(250));
    assert!(std::iter::from_fn(|| node.poll_event()).all(|e| !matches!(e, Event::Dial { .. })));
}

#[test]
fn failed_attempts_back_off_from_50_ms_to_half_the_startup_wait() {
    // Default startup_wait 300 ms: waits 50, 100, 150, 150 ms after each refusal.
    let mut node = Node::new(config(1), Instant::ZERO).unwrap();
    let seen = failing(&mut node, ms(600), Duration::ZERO);
    let dial = Event::Dial { member: 0 };
    assert_eq!(
        seen,
        [
            (ms(0), dial.clone()),
            (ms(50), dial.clone()),
            (ms(150), dial.clone()),
            (ms(300), dial.clone()),
            (ms(450), dial.clone()),
            (ms(600), dial),
        ]
    );
}

#[test]
fn an_attempt_that_times_out_backs_off_from_when_it_was_abandoned() {
    let mut node = Node::new(config(0), Instant::ZERO).unwrap();
    let seen = failing(&mut node, ms(2200), CONNECT_TIMEOUT);
    let times: Vec<Instant> = seen.into_iter().map(|(t, _)| t).collect();
    assert_eq!(times, [ms(0), ms(1050), ms(2150)]);
}

#[test]
fn a_dialled_link_opens_as_a_peer_link_this_node_dialled_and_is_dialled_again_when_it_closes() {
    let mut p = Pair::new();
    let now = p.now;
    p.nodes[0].handle_dialed(now, 1, PEER);
    p.nodes[1].handle_link_opened(now, PEER, LinkKind::Peer(LinkOrigin::Accepted));
    assert_eq!(
        p.nodes[0].link_kind(PEER),
        Some(LinkKind::Peer(LinkOrigin::Dialled))
    );
    p.run_for(Duration::from_secs(1));
    assert!(p.nodes[0].peer_is_up(1));
    assert_eq!(dials(&p, 0), [Event::Dial { member: 1 }], "only the first");

    // The peer restarted: its link closed, and the node dials again at once.
    p.clear_events();
    p.nodes[0].handle_link_closed(p.now, PEER);
    p.flush();
    assert_eq!(dials(&p, 0), [Event::Dial { member: 1 }]);
}

#[test]
fn a_dialled_link_closed_for_want_of_a_hello_is_dialled_again_after_the_back_off() {
    // PROTOCOL 4, Dialling: a link the peer was never up on counts as a failed attempt.
    let mut p = Pair::new();
    let now = p.now;
    // Nobody answers on this link: no hello within the dead interval, so the node closes it.
    let link = LinkId(7);
    p.nodes[0].handle_dialed(now, 1, link);
    p.alive[1] = false;
    p.flush();
    p.clear_events();
    p.run_for(Duration::from_millis(400));
    let seen = p.events_where(0, |e| {
        matches!(e, Event::Dial { .. } | Event::CloseLink { .. })
    });
    let kinds: Vec<(u64, bool)> = seen
        .iter()
        .map(|(t, e)| {
            let at = t.saturating_duration_since(now).as_millis() as u64;
            (at, matches!(e, Event::Dial { .. }))
        })
        .collect();
    assert_eq!(kinds, [(300, false), (350, true)], "{seen:?}");
}

#[test]
fn no_attempt_while_the_peer_is_up_on_a_link_it_dialled() {
    let mut p = Pair::new();
    // beta's first attempt was refused: its next is due at 50 ms...
    p.nodes[1].handle_dial_failed(p.now, 0);
    // ...but alpha's link, which beta accepted, comes up first.
    p.connect();
    p.run_for(Duration::from_secs(2));
    assert!(p.nodes[1].peer_is_up(0));
    assert_eq!(dials(&p, 1), [Event::Dial { member: 0 }], "only the first");

    // alpha's link closes: beta's attempt, due since 50 ms, is asked for at once.
    p.clear_events();
    p.nodes[1].handle_link_closed(p.now, PEER);
    p.flush();
    assert_eq!(dials(&p, 1), [Event::Dial { member: 0 }]);
}
