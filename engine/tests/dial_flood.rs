//! Issue 15 B1 and B2: a link that is accepted and refused at once is not dialled again in a
//! loop. The redial back-off (PROTOCOL 4, *Dialling*) doubles from 50 ms to 1 s while no
//! link has been up for a dead interval, so a misconfiguration costs a few dials and log
//! lines a second, not tens of thousands. Counted on the virtual clock.

mod support;

use baton_codec::AnyMessage;
use baton_core::{Instant, LinkId};
use baton_engine::{CloseReason, Event, LinkKind, Node, NodeConfig};
use baton_monitor::{HelloRefusal, LinkOrigin};
use std::collections::VecDeque;
use std::time::Duration;
use support::{config, ms, Pair};

/// The times of the attempts a node makes in its first 10 s when every link it dials is
/// refused at once: 50 ms doubling to 1 s.
const REFUSED_DIALS: [u64; 14] = [
    0, 50, 150, 350, 750, 1550, 2550, 3550, 4550, 5550, 6550, 7550, 8550, 9550,
];

/// B1: a node whose peer's address is its own: every attempt reaches the node itself, on a
/// link it dialled and one it accepted; each hello names the node itself. Returns the times
/// of its attempts and every link it closed, with the reason, up to `end`.
fn dialling_itself(end: Instant) -> (Vec<Instant>, Vec<(LinkId, CloseReason)>) {
    let mut node = Node::new(config(0), Instant::ZERO).expect("a valid configuration");
    let mut now = Instant::ZERO;
    let mut next_link = 10;
    let mut pairs: Vec<(LinkId, LinkId)> = Vec::new();
    let (mut dials, mut closed) = (Vec::new(), Vec::new());
    loop {
        // Deliver what the node sends on one end of a self-link at the other end, and act on
        // its events, until nothing moves at this instant.
        let mut frames: VecDeque<(LinkId, AnyMessage)> = VecDeque::new();
        loop {
            while let Some(t) = node.poll_transmit() {
                let other = pairs.iter().find_map(|(a, b)| {
                    (t.link == *a)
                        .then_some(*b)
                        .or((t.link == *b).then_some(*a))
                });
                if let Some(other) = other {
                    frames.push_back((other, t.message));
                }
            }
            let mut moved = false;
            while let Some(e) = node.poll_event() {
                moved = true;
                match e {
                    Event::Dial { member } => {
                        dials.push(now);
                        let (dialled, accepted) = (LinkId(next_link), LinkId(next_link + 1));
                        next_link += 2;
                        pairs.push((dialled, accepted));
                        node.handle_dialed(now, member, dialled);
                        let accepted_kind = LinkKind::Peer(LinkOrigin::Accepted);
                        node.handle_link_opened(now, accepted, accepted_kind);
                    }
                    Event::CloseLink { link, reason } => {
                        closed.push((link, reason));
                        if let Some(i) = pairs.iter().position(|(a, b)| *a == link || *b == link) {
                            let (a, b) = pairs.remove(i);
                            node.handle_link_closed(now, if a == link { b } else { a });
                        }
                    }
                    _ => {}
                }
            }
            if let Some((link, message)) = frames.pop_front() {
                node.handle_frame(now, link, message);
                moved = true;
            }
            if !moved && frames.is_empty() {
                break;
            }
        }
        match node.poll_timeout() {
            Some(t) if t <= end => {
                now = now.max(t);
                node.handle_timeout(now);
            }
            _ => return (dials, closed),
        }
    }
}

#[test]
fn b1_a_node_dialling_its_own_address_backs_off_to_one_attempt_a_second() {
    let (dials, closed) = dialling_itself(ms(10_000));
    let times: Vec<Instant> = REFUSED_DIALS.iter().map(|t| ms(*t)).collect();
    assert_eq!(
        dials, times,
        "14 attempts in 10 s (before: one every 50 ms, or a loop)"
    );
    // The accepted end of each self-link is refused first (the other end then closes):
    // one log line an attempt.
    let accepted: Vec<LinkId> = (0..dials.len() as u64)
        .map(|i| LinkId(11 + 2 * i))
        .collect();
    let links: Vec<LinkId> = closed.iter().map(|(l, _)| *l).collect();
    assert_eq!(links, accepted);
    let self_id = CloseReason::HelloRefused(HelloRefusal::SelfId);
    assert!(closed.iter().all(|(_, r)| *r == self_id), "{closed:?}");
    assert_eq!(
        self_id.to_string(),
        "hello refused: the hello names this node itself (its own member id: is this node's \
         own address configured for a peer, or do two members share an id?)"
    );
}

/// B2's configurations: alpha's file says beta is id 2, beta's file says it is id 3.
fn mismatched(me: usize) -> NodeConfig {
    match me {
        0 => NodeConfig::pair([("alpha", "1"), ("beta", "2")], 0),
        _ => NodeConfig::pair([("alpha", "1"), ("beta", "3")], 1),
    }
}

#[test]
fn b2_member_ids_that_differ_between_the_files_back_off_and_say_member_id_mismatch() {
    let mut p = Pair::dialling_with(mismatched);
    p.run_until(ms(10_000));
    for i in 0..2 {
        let dials: Vec<Instant> = p
            .events_where(i, |e| matches!(e, Event::Dial { .. }))
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        assert!(
            dials.len() <= REFUSED_DIALS.len(),
            "node {i}: {} attempts in 10 s: {dials:?}",
            dials.len()
        );
        // Never two attempts closer than 50 ms, and the waits grow to a second.
        let waits: Vec<Duration> = dials
            .windows(2)
            .map(|w| w[1].saturating_duration_since(w[0]))
            .collect();
        assert!(
            waits.iter().all(|w| *w >= Duration::from_millis(50)),
            "{waits:?}"
        );
        assert!(
            waits
                .last()
                .is_some_and(|w| *w >= Duration::from_millis(1000)),
            "{waits:?}"
        );
    }
    // alpha refuses beta's hello (id 3) on every link, in plain words.
    let closed = p.closed(0);
    assert!(
        !closed.is_empty() && closed.len() <= 2 * REFUSED_DIALS.len(),
        "{closed:?}"
    );
    let mismatch = CloseReason::HelloRefused(HelloRefusal::UnknownMember("3".into()));
    assert!(closed.iter().all(|(_, r)| *r == mismatch), "{closed:?}");
    assert!(mismatch.to_string().contains("member id mismatch"));
}
