//! [F7]: only the answer to the latest valid nomination counts (matched by
//! `correlationId`); any other answer is ignored and cancels nothing else.

mod util;

use baton_core::{Instant, LinkId};
use baton_election::{Config, Election, Event, Generation, Member, NodeRole, Role};
use util::{asg, err, nom, veto};

const L1: LinkId = LinkId(1);
const L2: LinkId = LinkId(2);

fn t(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

/// Node `me` of ("a", "b"), started at 0, link L1 up at 0; transmits and events drained.
fn node(me: usize) -> Election {
    let mut c = Config::pair(["a", "b"], me);
    c.first_correlation_id = 1 + 100 * me as u64;
    let mut e = Election::new(c, t(0)).unwrap();
    e.handle_link_up(t(0), L1, Member(1 - me));
    e
}

fn transmits(e: &mut Election) -> Vec<baton_asn1::election::ElectionMessage> {
    std::iter::from_fn(|| e.poll_transmit().map(|t| t.message)).collect()
}

fn events(e: &mut Election) -> Vec<Event> {
    std::iter::from_fn(|| e.poll_event()).collect()
}

#[test]
fn only_the_latest_send_counts() {
    let mut a = node(0);
    assert_eq!(transmits(&mut a), vec![nom("0 1", "a")]);
    // An answer with an id never used: ignored.
    a.handle_message(t(1), L1, asg("0 999", "a", "b"));
    assert_eq!(a.role(), NodeRole::Negotiating);
    assert!(a.nomination_pending());
    // The real answer is an error: back off.
    a.handle_message(t(2), L1, err("0 1", "demoting"));
    assert_eq!(a.poll_timeout(), Some(t(102)));
    // A second answer to the id already answered: ignored, retry still armed.
    a.handle_message(t(3), L1, asg("0 1", "a", "b"));
    assert_eq!(a.role(), NodeRole::Negotiating);
    assert_eq!(a.poll_timeout(), Some(t(102)));
    a.handle_timeout(t(102));
    assert_eq!(transmits(&mut a), vec![nom("0 2", "a")]);
    // The earlier send's answer no longer counts.
    a.handle_message(t(103), L1, asg("0 1", "a", "b"));
    assert_eq!(a.role(), NodeRole::Negotiating);
    a.handle_message(t(104), L1, asg("0 2", "a", "b"));
    assert_eq!(a.role(), NodeRole::Promoting);
    assert!(transmits(&mut a).is_empty());
}

#[test]
fn stale_answer_cancels_no_retry() {
    let mut a = node(0);
    transmits(&mut a);
    a.handle_message(t(10), L1, err("0 1", "negotiating"));
    assert_eq!(a.poll_timeout(), Some(t(110)));
    a.handle_message(t(20), L1, veto("0 77", "b", "a"));
    a.handle_message(t(30), L1, err("0 1", "negotiating"));
    assert_eq!(
        a.poll_timeout(),
        Some(t(110)),
        "retry neither moved nor cancelled"
    );
    assert_eq!(a.role(), NodeRole::Negotiating);
    a.handle_timeout(t(110));
    assert_eq!(transmits(&mut a), vec![nom("0 2", "a")]);
}

#[test]
fn answer_to_self_nomination_void_by_yielding_is_ignored() {
    let mut b = node(1);
    assert_eq!(transmits(&mut b), vec![nom("0 101", "b")]);
    // a (higher) nominates itself: b agrees and yields; its own nomination is void.
    b.handle_message(t(1), L1, nom("0 1", "a"));
    assert_eq!(transmits(&mut b), vec![asg("0 1", "a", "b")]);
    assert_eq!(b.role(), NodeRole::Standby);
    assert!(!b.nomination_pending());
    events(&mut b);
    // Late answers to 101, even one naming b active: ignored.
    b.handle_message(t(2), L1, asg("0 101", "b", "a"));
    b.handle_message(t(3), L1, veto("0 101", "b", "a"));
    b.handle_message(t(4), L1, err("0 101", "negotiating"));
    assert_eq!(b.role(), NodeRole::Standby);
    assert!(events(&mut b).is_empty());
    assert!(transmits(&mut b).is_empty());
    assert_eq!(b.poll_timeout(), None);
}

#[test]
fn answer_to_handover_request_void_by_promotion_is_ignored() {
    // a failed a promotion alone, then the link comes up: handover request 1.
    let mut c = Config::pair(["a", "b"], 0);
    c.first_correlation_id = 1;
    let mut a = Election::new(c, t(0)).unwrap();
    a.handle_timeout(t(300));
    assert_eq!(a.role(), NodeRole::Promoting);
    a.handle_promotion_failed(t(301), Generation(1));
    assert_eq!(a.role(), NodeRole::PromotionFailed);
    a.handle_link_up(t(400), L1, Member(1));
    assert_eq!(transmits(&mut a), vec![nom("1 1", "b")]);
    // b failed too and asks a to take over: a (higher) promotes again [F9]; 1 is void.
    a.handle_message(t(401), L1, nom("0 101", "a"));
    assert_eq!(transmits(&mut a), vec![asg("2 101", "a", "b")]);
    assert_eq!(a.role(), NodeRole::Promoting);
    a.handle_message(t(402), L1, asg("0 1", "b", "a"));
    a.handle_message(t(403), L1, err("0 1", "promotion failed"));
    assert_eq!(a.role(), NodeRole::Promoting);
    assert_eq!(a.poll_timeout(), None, "no retry of a void request");
}

#[test]
fn answers_on_a_replaced_or_dead_link_are_ignored() {
    let mut a = node(0);
    assert_eq!(transmits(&mut a), vec![nom("0 1", "a")]);
    // The link is replaced: a nominates afresh on the new one.
    a.handle_link_up(t(5), L2, Member(1));
    assert_eq!(transmits(&mut a), vec![nom("0 2", "a")]);
    a.handle_message(t(6), L1, asg("0 2", "a", "b"));
    assert_eq!(a.role(), NodeRole::Negotiating, "old link: ignored");
    a.handle_message(t(7), L2, asg("0 1", "a", "b"));
    assert_eq!(a.role(), NodeRole::Negotiating, "not the latest id");
    a.handle_link_down(t(8), L2);
    a.handle_message(t(9), L2, asg("0 2", "a", "b"));
    assert_eq!(a.role(), NodeRole::Negotiating, "dead link: ignored");
    assert_eq!(
        a.poll_timeout(),
        Some(t(308)),
        "alone again: startup_wait re-armed"
    );
    a.handle_timeout(t(308));
    assert_eq!(a.role(), NodeRole::Promoting);
}

#[test]
fn late_components_answers_of_an_abandoned_promotion_do_not_count() {
    let mut b = node(1);
    transmits(&mut b);
    // Peer down before anything: b alone promotes.
    b.handle_link_down(t(1), L1);
    b.handle_timeout(t(301));
    assert_eq!(b.role(), NodeRole::Promoting);
    let ev = events(&mut b);
    assert!(ev.contains(&Event::SetComponents {
        role: Role::active,
        generation: Generation(1)
    }));
    // The peer comes back Active and vetoes: b (lower) abandons its promotion [F2].
    b.handle_link_up(t(400), L2, Member(0));
    assert_eq!(transmits(&mut b), vec![nom("1 102", "b")]);
    // a's round equals b's (both promoted alone once): priority decides.
    b.handle_message(t(401), L2, veto("1 102", "a", "b"));
    assert_eq!(b.role(), NodeRole::Demoting);
    assert_eq!(b.generation(), Generation(2));
    // The abandoned promotion's answers arrive: ignored.
    b.handle_components_done(t(402), Generation(1));
    b.handle_promotion_failed(t(402), Generation(1));
    assert_eq!(b.role(), NodeRole::Demoting);
    b.handle_components_done(t(403), Generation(2));
    assert_eq!(b.role(), NodeRole::Standby);
}
