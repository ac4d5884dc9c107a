//! Generation (PROTOCOL 5.11): every promotion takes a round, carried in every
//! `correlationId` (PROTOCOL 2.3); when two actives meet, the older round stands down
//! (\[F2\] healed by generation), equal rounds fall back on priority.

mod util;

use baton_core::LinkId;
use baton_election::{NodeRole::*, Round};
use std::time::Duration;
use util::*;

/// `stalled` stops (SIGSTOP): its peer detects the failure (the dead interval) and closes the
/// link; the stalled Election hears nothing until [`resume`].
fn stall(p: &mut Pair, stalled: usize) -> LinkId {
    p.check_safety = false;
    let link = p.link.take().expect("link up");
    p.wire.clear();
    p.act(1 - stalled, |e, now| e.handle_link_down(now, link));
    link
}

/// The stalled node continues (SIGCONT) and reads the end of its closed link.
fn resume(p: &mut Pair, stalled: usize, link: LinkId) {
    p.act(stalled, |e, now| e.handle_link_down(now, link));
}

fn rounds(p: &Pair, i: usize) -> (Round, Round) {
    (p.e(i).round(), p.e(i).seen_round())
}

/// Issue 11 item 6: a (Active, round 1) stalls for 2.6 s; b detects the failure and promotes
/// in round 2 (it agreed to a's promotion, so it counts round 1 as seen). a resumes, still
/// Active: the link comes back, both claim the service, and a (higher priority, but older
/// round) stands down; b keeps the service: no second failover.
#[test]
fn heal_by_generation_stalled_old_active_stands_down() {
    let mut p = Pair::established();
    assert_eq!(rounds(&p, A), (Round(1), Round(1)));
    assert_eq!(rounds(&p, B), (Round(0), Round(1)));
    let link = stall(&mut p, A);
    p.run_for(Duration::from_millis(2600));
    assert_eq!(p.roles(), (Active, Active));
    assert_eq!(p.role_trail(B), vec![Promoting, Active]);
    assert_eq!(rounds(&p, B), (Round(2), Round(2)));
    assert!(p.take_log().is_empty());
    p.take_events(B);
    resume(&mut p, A, link);
    assert_eq!(
        p.role(A),
        Active,
        "a link-down changes nothing on an Active"
    );
    p.connect();
    p.run();
    assert_eq!(
        p.take_log(),
        vec![
            sent(A, B, nom("1 2", "a")),
            sent(B, A, nom("2 102", "b")),
            sent(B, A, veto("2 2", "b", "a")),
            sent(A, B, veto("1 102", "a", "b")),
        ]
    );
    assert_eq!(p.role_trail(A), vec![Demoting, Standby]);
    assert!(p.role_trail(B).is_empty(), "b kept the service");
    p.assert_converged(B);
    assert_eq!(rounds(&p, A), (Round(1), Round(2)));
}

/// A partition: b promotes in round 2 while a stays Active in round 1. The partition heals:
/// both veto, a (older round) stands down even though it outranks b.
#[test]
fn heal_by_generation_partition_newer_round_keeps_the_service() {
    let mut p = Pair::established();
    p.partition();
    p.run_for(Duration::from_secs(3));
    assert_eq!(p.roles(), (Active, Active));
    assert_eq!((p.e(A).round(), p.e(B).round()), (Round(1), Round(2)));
    p.take_events(A);
    p.take_events(B);
    p.connect();
    p.run();
    assert_eq!(
        p.take_log(),
        vec![
            sent(A, B, nom("1 2", "a")),
            sent(B, A, nom("2 102", "b")),
            sent(B, A, veto("2 2", "b", "a")),
            sent(A, B, veto("1 102", "a", "b")),
        ]
    );
    assert_eq!(p.role_trail(A), vec![Demoting, Standby]);
    assert!(p.role_trail(B).is_empty());
    p.assert_converged(B);
}

/// Both start alone (no link) and promote in round 1: equal rounds, so priority decides as
/// \[F2\] always did: b (lower) stands down.
#[test]
fn heal_by_generation_equal_rounds_lower_priority_stands_down() {
    let mut p = Pair::new();
    p.check_safety = false;
    p.start(A);
    p.start(B);
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.roles(), (Active, Active));
    assert_eq!((p.e(A).round(), p.e(B).round()), (Round(1), Round(1)));
    p.take_events(A);
    p.take_events(B);
    p.connect();
    p.run();
    assert_eq!(
        p.take_log(),
        vec![
            sent(A, B, nom("1 1", "a")),
            sent(B, A, nom("1 101", "b")),
            sent(B, A, veto("1 1", "b", "a")),
            sent(A, B, veto("1 101", "a", "b")),
        ]
    );
    assert!(p.role_trail(A).is_empty());
    assert_eq!(p.role_trail(B), vec![Demoting, Standby]);
    p.assert_converged(A);
}

/// Every promotion takes `max(round, seen) + 1`; an answer that promotes its sender carries
/// that round; requests carry the sender's seen round (PROTOCOL 2.3, 5.11).
#[test]
fn rounds_grow_with_each_promotion_and_travel_in_ids() {
    let mut p = Pair::established();
    p.act(A, |e, now| e.switchover(now)).unwrap();
    p.run();
    assert_eq!(
        p.take_log(),
        vec![
            sent(A, B, nom("1 2", "b")),
            sent(B, A, asg("2 2", "b", "a"))
        ]
    );
    p.assert_converged(B);
    assert_eq!(rounds(&p, A), (Round(1), Round(2)));
    assert_eq!(rounds(&p, B), (Round(2), Round(2)));
    p.act(B, |e, now| e.switchover(now)).unwrap();
    p.run();
    assert_eq!(
        p.take_log(),
        vec![
            sent(B, A, nom("2 102", "a")),
            sent(A, B, asg("3 102", "a", "b"))
        ]
    );
    p.assert_converged(A);
    assert_eq!(rounds(&p, A), (Round(3), Round(3)));
    // A restart forgets rounds (pair mode persists nothing); the first answer teaches them.
    p.crash(B);
    p.start_with_ids(B, 1001);
    assert_eq!(rounds(&p, B), (Round(0), Round(0)));
    p.connect();
    p.run();
    assert_eq!(
        p.take_log(),
        vec![
            sent(A, B, nom("3 3", "a")),
            sent(B, A, nom("0 1001", "b")),
            sent(B, A, asg("0 3", "a", "b")),
            sent(A, B, veto("3 1001", "a", "b")),
        ]
    );
    p.assert_converged(A);
    // b's agreement (round 0, older than a's) renews nothing; b counts a's round as seen.
    assert_eq!(rounds(&p, A), (Round(3), Round(3)));
    assert_eq!(rounds(&p, B), (Round(0), Round(4)));
}

/// Both promoted alone in round 1, a's promotion failed. The link comes up: b (Active) is
/// asked to take over by a request as new as its round, agrees and renews its round (2);
/// a's later agreement (round 1, older) renews nothing. b serves with the newest round, and
/// a counts it as seen.
#[test]
fn an_agreement_renews_the_serving_round() {
    let mut p = Pair::new();
    p.check_safety = false;
    p.start(A);
    p.start(B);
    p.nodes[A].fail_promotions = 1;
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.roles(), (PromotionFailed, Active));
    assert_eq!((p.e(A).round(), p.e(B).round()), (Round(1), Round(1)));
    p.connect();
    p.run();
    assert_eq!(
        p.take_log(),
        vec![
            sent(A, B, nom("1 1", "b")),
            sent(B, A, nom("1 101", "b")),
            sent(B, A, asg("2 1", "b", "a")),
            sent(A, B, asg("1 101", "b", "a")),
        ]
    );
    p.assert_converged(B);
    assert_eq!(rounds(&p, B), (Round(2), Round(2)));
    assert_eq!(rounds(&p, A), (Round(1), Round(2)));
}
