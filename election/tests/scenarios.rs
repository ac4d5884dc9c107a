//! PROTOCOL 5.8: the scenarios the first draft got wrong, one regression test each.

mod util;

use baton_election::{Event, Generation, NodeRole::*, Role};
use std::time::Duration;
use util::*;

/// Scenario 1: Staggered start: b alone promotes; a (higher priority) starts and must not promote:
/// b stays Active.
#[test]
fn scenario_1_staggered_start() {
    let mut p = Pair::new();
    p.start(B);
    p.run_for(Duration::from_millis(299));
    assert_eq!(p.role(B), Negotiating);
    p.run_for(Duration::from_millis(1));
    assert_eq!(p.role(B), Active, "alone for startup_wait: promote");
    p.run_for(Duration::from_secs(1));
    p.start(A);
    p.connect();
    p.run();
    assert_eq!(
        p.take_log(),
        vec![
            sent(A, B, nom("0 1", "a")),
            sent(B, A, nom("1 101", "b")),
            sent(B, A, veto("1 1", "b", "a")),
            sent(A, B, err("0 101", "negotiating")),
            sent(B, A, nom("1 102", "b")),
            sent(A, B, asg("0 102", "b", "a")),
        ]
    );
    assert_eq!(p.role_trail(A), vec![Standby], "a never promoted");
    p.assert_converged(B);
}

/// Scenario 2: A promotion fails while alone; the peer arrives: the failed node ends Standby, not
/// stuck.
#[test]
fn scenario_2_promotion_fails_alone_then_peer_arrives() {
    let mut p = Pair::new();
    p.nodes[A].fail_promotions = 1;
    p.start(A);
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.role(A), PromotionFailed);
    assert!(
        p.take_log().is_empty(),
        "no peer: the handover request waits for link-up"
    );
    p.start(B);
    p.connect();
    p.run();
    assert_eq!(
        p.take_log(),
        vec![
            sent(A, B, nom("1 1", "b")),
            sent(B, A, nom("0 101", "b")),
            sent(B, A, asg("2 1", "b", "a")),
            sent(A, B, asg("1 101", "b", "a")),
        ]
    );
    assert_eq!(
        p.role_trail(A),
        vec![Promoting, PromotionFailed, Demoting, Standby]
    );
    p.assert_converged(B);
}

/// Scenario 3: a promotes alone, b starts, a vetoes b and then a's promotion fails: b becomes Active
/// (never none).
#[test]
fn scenario_3_veto_then_promotion_fails() {
    let mut p = Pair::new();
    p.nodes[A].auto = false;
    p.start(A);
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.role(A), Promoting);
    p.start(B);
    p.connect();
    p.settle();
    assert_eq!(
        p.take_log(),
        vec![
            sent(A, B, nom("1 1", "a")),
            sent(B, A, nom("0 101", "b")),
            sent(B, A, asg("0 1", "a", "b")),
            sent(A, B, veto("1 101", "a", "b")),
        ]
    );
    assert_eq!(p.roles(), (Promoting, Standby));
    p.promotion_fails(A);
    p.settle();
    assert_eq!(
        p.take_log(),
        vec![
            sent(A, B, nom("1 2", "b")),
            sent(B, A, asg("3 2", "b", "a"))
        ]
    );
    assert_eq!(p.roles(), (Demoting, Active));
    p.components_done(A);
    p.run();
    p.assert_converged(B);
}

/// Scenario 4: Planned switchover, then the new Active's promotion fails: the old Active takes the
/// service back.
#[test]
fn scenario_4_switchover_then_new_active_fails() {
    let mut p = Pair::established();
    p.nodes[B].fail_promotions = 1;
    p.act(A, |e, now| e.switchover(now)).unwrap();
    p.run();
    assert_eq!(
        p.take_log(),
        vec![
            sent(A, B, nom("1 2", "b")),
            sent(B, A, asg("2 2", "b", "a")),
            sent(B, A, nom("2 102", "a")),
            sent(A, B, asg("3 102", "a", "b")),
        ]
    );
    assert_eq!(p.role_trail(A), vec![Demoting, Standby, Promoting, Active]);
    assert_eq!(
        p.role_trail(B),
        vec![Promoting, PromotionFailed, Demoting, Standby]
    );
    p.assert_converged(A);
}

/// Scenario 5: Both Promoting when a partition heals: exactly one completes. b (lower) demotes [F2];
/// its abandoned promotion's late confirmation does not count.
#[test]
fn scenario_5_both_promoting_when_partition_heals() {
    let mut p = Pair::new();
    p.check_safety = false; // partitioned from the start
    p.nodes[A].auto = false;
    p.nodes[B].auto = false;
    p.start(A);
    p.start(B);
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.roles(), (Promoting, Promoting));
    let abandoned = p.nodes[B].command.unwrap();
    assert_eq!(abandoned, (Role::active, Generation(1)));
    p.connect();
    p.settle();
    assert_eq!(
        p.take_log(),
        vec![
            sent(A, B, nom("1 1", "a")),
            sent(B, A, nom("1 101", "b")),
            sent(B, A, veto("1 1", "b", "a")),
            sent(A, B, veto("1 101", "a", "b")),
        ]
    );
    assert_eq!(p.roles(), (Promoting, Demoting));
    assert_eq!(p.nodes[B].command, Some((Role::standby, Generation(2))));
    // The abandoned promotion's components answer late: ignored.
    p.act(B, |e, now| e.handle_components_done(now, abandoned.1));
    p.act(B, |e, now| e.handle_promotion_failed(now, abandoned.1));
    assert_eq!(p.role(B), Demoting);
    p.components_done(B);
    p.components_done(A);
    p.run();
    assert!(
        !p.role_trail(B).contains(&Active),
        "b never completed its promotion"
    );
    p.assert_converged(A);
}

/// Scenario 5 with `preempt`: b yields to a's self-nomination at once and answers it after its
/// demotion; a completes.
#[test]
fn scenario_5_both_promoting_when_partition_heals_with_preempt() {
    let mut p = Pair::with(|c| c.preempt = true);
    p.check_safety = false;
    p.nodes[A].auto = false;
    p.nodes[B].auto = false;
    p.start(A);
    p.start(B);
    p.run_for(Duration::from_secs(1));
    p.connect();
    p.settle();
    assert_eq!(p.roles(), (Promoting, Demoting));
    p.components_done(B);
    p.components_done(A);
    p.run();
    assert_eq!(
        p.take_log(),
        vec![
            sent(A, B, nom("1 1", "a")),
            sent(B, A, nom("1 101", "b")),
            sent(A, B, veto("1 101", "a", "b")),
            sent(B, A, asg("1 1", "a", "b")),
        ]
    );
    p.assert_converged(A);
}

/// Scenario 6: A stale answer to a self-nomination made void by yielding arrives late: ignored, no
/// double Active. b (Active, lower) yields to a's self-nomination (preempt); a's answer to
/// b's now void self-nomination arrives after, and then a forged late `assigment` naming b
/// (as a reordering link could deliver it): both ignored, no retry, no promotion.
#[test]
fn scenario_6_stale_answer_after_yield_ignored() {
    let mut p = Pair::with(|c| c.preempt = true);
    p.start(B);
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.role(B), Active);
    p.nodes[B].auto = false;
    p.start(A);
    p.connect();
    assert!(p.deliver_to(B)); // a's self-nomination: b yields
    assert_eq!(p.role(B), Demoting);
    assert!(!p.e(B).nomination_pending(), "b's self-nomination is void");
    assert!(p.deliver_to(A)); // b's self-nomination: a negotiates, answers an error
    assert!(p.deliver_to(B)); // the stale error
    assert_eq!(p.e(B).poll_timeout(), None, "no retry of a void nomination");
    let stale = asg("0 101", "b", "a");
    p.act(B, |e, now| {
        e.handle_message(now, baton_core::LinkId(1), stale)
    });
    assert_eq!(p.role(B), Demoting, "stale assignment naming b ignored");
    assert!(p
        .take_events(B)
        .iter()
        .all(|e| !matches!(e, Event::PeerMisbehaved { .. })));
    p.components_done(B);
    p.nodes[B].auto = true;
    p.run();
    assert_eq!(
        p.take_log(),
        vec![
            sent(A, B, nom("0 1", "a")),
            sent(B, A, nom("1 101", "b")),
            sent(A, B, err("0 101", "negotiating")),
            sent(B, A, asg("1 1", "a", "b")),
        ]
    );
    p.assert_converged(A);
}

/// Scenario 7: A switchover races a link-up self-nomination, and handover requests cross: only the
/// higher accepts [F10]. a Active and b PromotionFailed after a partition; the link heals
/// and the operator switches a over at that moment.
#[test]
fn scenario_7_switchover_races_link_up_handovers_cross() {
    let mut p = Pair::established();
    p.nodes[B].fail_promotions = 1;
    p.partition();
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.roles(), (Active, PromotionFailed));
    p.check_safety = true;
    p.connect();
    p.act(A, |e, now| e.switchover(now)).unwrap();
    p.run();
    assert_eq!(
        p.take_log(),
        vec![
            // link-up: a's self-nomination (void at once by the switchover), b's handover
            sent(A, B, nom("1 2", "a")),
            sent(B, A, nom("2 102", "a")),
            // a demoted at once: Standby, its own handover request
            sent(A, B, nom("1 3", "b")),
            // b agrees to the stale self-nomination (a ignores the answer) and stands by
            sent(B, A, asg("2 2", "a", "b")),
            // the handover requests cross: a (higher) accepts, b refuses
            sent(A, B, asg("3 102", "a", "b")),
            sent(B, A, err("2 3", "handover pending")),
        ]
    );
    assert_eq!(p.role_trail(A), [Demoting, Standby, Promoting, Active]);
    p.assert_converged(A);
}

/// Both Active after a partition, healed with preempt: b yields (Demoting) while the
/// operator switches a over (Demoting). Role layers answer only when told.
fn both_demoting() -> Pair {
    let mut p = Pair::with(|c| c.preempt = true);
    p.start(A);
    p.start(B);
    p.connect();
    p.run();
    p.assert_converged(A);
    p.partition();
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.roles(), (Active, Active));
    p.nodes[A].auto = false;
    p.nodes[B].auto = false;
    p.connect();
    p.act(A, |e, now| e.switchover(now)).unwrap();
    p.settle();
    assert_eq!(p.roles(), (Demoting, Demoting));
    p
}

/// Scenario 8: Both Demoting when the link dies: one promotes [F5]. With a crash the survivor
/// promotes; with a partition both do, and the pair converges once it heals.
#[test]
fn scenario_8_both_demoting_when_link_dies() {
    let mut p = both_demoting();
    p.crash(B);
    p.components_done(A);
    assert_eq!(
        p.role(A),
        Promoting,
        "peer down when the demotion completes: promote"
    );
    p.components_done(A);
    assert_eq!(p.role(A), Active);
    p.nodes[A].auto = true;
    p.nodes[B].auto = true;
    p.start_with_ids(B, 1001);
    p.connect();
    p.run();
    p.assert_converged(A);

    let mut p = both_demoting();
    p.partition();
    p.nodes[A].auto = true;
    p.nodes[B].auto = true;
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.roles(), (Active, Active), "nobody stays demoted");
    p.connect();
    p.run();
    p.assert_converged(A);
}

/// Scenario 8, link flapping: both Demoting, the link dies and comes back before either
/// completes. Without \[F11\] (PROTOCOL 5.6) both end Standby with nothing to send (found by
/// tests/explore.rs); a node whose link came up while Demoting sends a handover request
/// once Standby, and of the crossing requests only the higher accepts [F10].
#[test]
fn scenario_8_both_demoting_when_link_flaps() {
    let mut p = both_demoting();
    p.partition();
    p.connect();
    p.take_log();
    assert!(p.wire.is_empty(), "Demoting nodes send nothing on link-up");
    p.components_done(A);
    p.components_done(B);
    assert_eq!(p.roles(), (Standby, Standby));
    p.nodes[A].auto = true;
    p.nodes[B].auto = true;
    p.run();
    assert_eq!(
        p.take_log(),
        vec![
            sent(A, B, nom("2 3", "b")),
            sent(B, A, nom("2 103", "a")),
            sent(B, A, err("2 3", "handover pending")),
            sent(A, B, asg("3 103", "a", "b")),
        ]
    );
    p.assert_converged(A);
}

/// Scenario 9: Both promotions fail during a partition: no endless `electionError` exchange; the
/// higher member accepts the crossing handover request [F9] and the pair converges.
#[test]
fn scenario_9_both_promotions_fail_during_partition() {
    let mut p = Pair::new();
    p.check_safety = false;
    p.nodes[A].fail_promotions = 1;
    p.nodes[B].fail_promotions = 1;
    p.start(A);
    p.start(B);
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.roles(), (PromotionFailed, PromotionFailed));
    p.check_safety = true;
    p.connect();
    p.run();
    assert_eq!(
        p.take_log(),
        vec![
            sent(A, B, nom("1 1", "b")),
            sent(B, A, nom("1 101", "a")),
            sent(B, A, err("1 1", "promotion failed")),
            sent(A, B, asg("2 101", "a", "b")),
        ]
    );
    p.assert_converged(A);
}
