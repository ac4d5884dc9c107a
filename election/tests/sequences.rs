//! The election sequences (PROTOCOL 7.1 to 7.7, as PROTOCOL 5 specifies them),
//! run on two Elections wired together. Every test asserts the exact messages exchanged
//! (correlationIds echoed) and the roles reached.

mod util;

use baton_election::{NodeRole::*, UsageError};
use std::time::Duration;
use util::*;

/// Both start, the link comes up before `startup_wait`: both nominate themselves, b (lower)
/// agrees to a [F1: a answers `negotiating` and waits for b's answer], a promotes.
#[test]
fn startup_election() {
    let mut p = Pair::new();
    p.start(A);
    p.start(B);
    p.connect();
    p.run();
    assert_eq!(
        p.take_log(),
        vec![
            sent(A, B, nom("0 1", "a")),
            sent(B, A, nom("0 101", "b")),
            sent(B, A, asg("0 1", "a", "b")),
            sent(A, B, err("0 101", "negotiating")),
        ]
    );
    assert_eq!(p.role_trail(A), vec![Promoting, Active]);
    assert_eq!(p.role_trail(B), vec![Standby]);
    p.assert_converged(A);
}

/// a (Active) dies, b promotes; a restarts and finds b Active: b vetoes a, a stands by,
/// b's own nomination (refused while a negotiated) is retried and agreed.
#[test]
fn active_restart_after_peer_promotion() {
    let mut p = Pair::established();
    p.crash(A);
    p.run();
    assert_eq!(p.role(B), Active);
    assert_eq!(p.role_trail(B), vec![Promoting, Active]);
    p.start_with_ids(A, 1001);
    p.connect();
    p.settle();
    assert_eq!(
        p.take_log(),
        vec![
            sent(A, B, nom("0 1001", "a")),
            sent(B, A, nom("2 102", "b")),
            sent(B, A, veto("2 1001", "b", "a")),
            sent(A, B, err("0 102", "negotiating")),
        ]
    );
    assert_eq!(p.roles(), (Standby, Active));
    p.run();
    assert_eq!(
        p.take_log(),
        vec![
            sent(B, A, nom("2 103", "b")),
            sent(A, B, asg("0 103", "b", "a"))
        ]
    );
    assert_eq!(p.role_trail(A), vec![Standby]);
    p.assert_converged(B);
}

/// a restarts while b is still Promoting: b vetoes, a stands by, b completes.
#[test]
fn active_restart_during_peer_promotion() {
    let mut p = Pair::established();
    p.nodes[B].auto = false;
    p.crash(A);
    p.settle();
    assert_eq!(p.role(B), Promoting);
    p.start_with_ids(A, 1001);
    p.connect();
    p.settle();
    assert_eq!(
        p.take_log(),
        vec![
            sent(A, B, nom("0 1001", "a")),
            sent(B, A, nom("2 102", "b")),
            sent(B, A, veto("2 1001", "b", "a")),
            sent(A, B, err("0 102", "negotiating")),
        ]
    );
    assert_eq!(p.roles(), (Standby, Promoting));
    p.components_done(B);
    assert_eq!(p.roles(), (Standby, Active));
    p.run();
    assert_eq!(
        p.take_log(),
        vec![
            sent(B, A, nom("2 103", "b")),
            sent(A, B, asg("0 103", "b", "a"))
        ]
    );
    p.assert_converged(B);
}

/// a restarts while b is Promoting, then b's promotion fails: b asks a to take over [F3],
/// a (Standby) agrees and promotes, b stands by through Demoting.
#[test]
fn active_restart_during_peer_promotion_failure() {
    let mut p = Pair::established();
    p.nodes[B].auto = false;
    p.crash(A);
    p.settle();
    p.start_with_ids(A, 1001);
    p.connect();
    p.settle();
    assert_eq!(p.roles(), (Standby, Promoting));
    p.take_log();
    p.take_events(B);
    p.nodes[B].auto = true;
    p.promotion_fails(B);
    p.run();
    assert_eq!(
        p.take_log(),
        vec![
            sent(B, A, nom("2 103", "a")),
            sent(A, B, asg("3 103", "a", "b"))
        ],
        "b's self-nomination 102 was void once b failed: no retry of it"
    );
    assert_eq!(p.role_trail(B), vec![PromotionFailed, Demoting, Standby]);
    p.assert_converged(A);
}

/// Variant: b's promotion fails before the nominations cross, while a still negotiates: a
/// accepts the handover request from Negotiating [F10], b agrees to a's self-nomination.
#[test]
fn active_restart_during_peer_promotion_failure_while_negotiating() {
    let mut p = Pair::established();
    p.nodes[B].auto = false;
    p.crash(A);
    p.settle();
    p.start_with_ids(A, 1001);
    p.connect();
    p.nodes[B].auto = true;
    p.promotion_fails(B);
    p.run();
    assert_eq!(
        p.take_log(),
        vec![
            sent(A, B, nom("0 1001", "a")),
            sent(B, A, nom("2 102", "b")),
            sent(B, A, nom("2 103", "a")),
            sent(B, A, asg("2 1001", "a", "b")),
            sent(A, B, err("0 102", "negotiating")),
            sent(A, B, asg("3 103", "a", "b")),
        ]
    );
    p.assert_converged(A);
}

/// b (Standby) dies and restarts: a stays Active throughout, b agrees to a's
/// self-nomination, a's veto of b's void self-nomination is ignored.
#[test]
fn standby_restart() {
    let mut p = Pair::established();
    p.crash(B);
    p.run();
    assert_eq!(p.role(A), Active);
    p.start_with_ids(B, 1001);
    p.connect();
    p.run();
    assert_eq!(
        p.take_log(),
        vec![
            sent(A, B, nom("1 2", "a")),
            sent(B, A, nom("0 1001", "b")),
            sent(B, A, asg("0 2", "a", "b")),
            sent(A, B, veto("1 1001", "a", "b")),
        ]
    );
    assert!(p.role_trail(A).is_empty(), "a never left Active");
    assert_eq!(p.role_trail(B), vec![Standby]);
    p.assert_converged(A);
}

/// Operator switchover on a: Demoting, Standby, then a handover request; b promotes.
#[test]
fn planned_switchover() {
    let mut p = Pair::established();
    assert_eq!(
        p.nodes[B].election.as_mut().unwrap().switchover(p.now),
        Err(UsageError::NotActive(Standby))
    );
    let now = p.now;
    p.nodes[A]
        .election
        .as_mut()
        .unwrap()
        .switchover(now)
        .unwrap();
    p.flush(A);
    assert_eq!(p.role(A), Demoting);
    assert!(
        p.take_log().is_empty(),
        "nothing sent before the demotion completes"
    );
    p.run();
    assert_eq!(
        p.take_log(),
        vec![
            sent(A, B, nom("1 2", "b")),
            sent(B, A, asg("2 2", "b", "a"))
        ]
    );
    assert_eq!(p.role_trail(A), vec![Demoting, Standby]);
    assert_eq!(p.role_trail(B), vec![Promoting, Active]);
    p.assert_converged(B);
}

/// A partition: b promotes (round 2), both Active. The link heals: both nominate, both
/// veto; a, whose round (1) is older, demotes ([F2] healed by generation, PROTOCOL 5.11).
#[test]
fn dual_active_heals() {
    let mut p = Pair::established();
    p.partition();
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.roles(), (Active, Active));
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
    assert!(p.role_trail(B).is_empty(), "b kept its role");
    p.assert_converged(B);
}
