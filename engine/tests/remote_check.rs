//! Checks from the client's side (seed 004; PROTOCOL 6.8): the counting rules of
//! [`RemoteCheck`] with exact outputs, then whole pairs on the virtual clock: only the standby
//! checks, its status line reports, and with `remote_check_handover` the active hands over.

mod support;

use baton_core::{Instant, NodeRole};
use baton_engine::{
    Cause, Event, NodeConfig, Notice, RemoteCheck, RemoteCheckConfig, RemoteOutcome as O,
    RemoteRun, RemoteVerdict as V,
};
use std::time::Duration;
use support::{ms, Pair, ALPHA, BETA};

fn check(handover: bool) -> RemoteCheck {
    RemoteCheck::new(RemoteCheckConfig {
        interval: Duration::from_millis(100),
        failures: 3,
        handover,
    })
}

/// Runs the check due at `t` and ends it at `t` with `outcome`: whether the verdict changed.
fn run(c: &mut RemoteCheck, t: u64, outcome: O) -> bool {
    assert_eq!(c.poll_timeout(), Some(ms(t)));
    c.handle_timeout(ms(t));
    let RemoteRun { id, member } = c.poll_run().expect("a run is due");
    assert_eq!(member, ALPHA);
    assert_eq!(c.poll_timeout(), None, "never two runs at once");
    c.handle_done(ms(t), id, outcome)
}

/// A check of alpha from time 0: the first run is due at 100 ms.
fn checking(handover: bool) -> RemoteCheck {
    let mut c = check(handover);
    assert_eq!(c.poll_timeout(), None);
    c.set_target(ms(0), Some(ALPHA));
    c
}

#[test]
fn n_minus_one_failures_then_a_success_reset_the_count() {
    let mut c = checking(false);
    assert!(!run(&mut c, 100, O::Failed));
    assert!(!run(&mut c, 200, O::Failed));
    assert!(!run(&mut c, 300, O::Ok));
    assert!(!run(&mut c, 400, O::Failed));
    assert!(!run(&mut c, 500, O::Failed));
    assert_eq!((c.verdict(), c.word()), (V::Ok, None));
    assert_eq!(c.failures_total(), 4);
}

#[test]
fn n_failures_in_a_row_report_failing_and_a_success_clears_it() {
    let mut c = checking(false);
    assert!(!run(&mut c, 100, O::Failed));
    assert!(!run(&mut c, 200, O::Failed));
    assert!(run(&mut c, 300, O::Failed));
    assert_eq!(c.verdict(), V::Failing);
    assert_eq!(c.word(), Some("remote=failing"));
    assert!(!c.asks_handover());
    assert!(!run(&mut c, 400, O::Failed));
    assert!(run(&mut c, 500, O::Ok));
    assert_eq!((c.verdict(), c.word()), (V::Ok, None));
}

#[test]
fn handover_is_asked_only_with_the_flag() {
    let mut c = checking(true);
    for t in [100, 200, 300] {
        run(&mut c, t, O::Failed);
    }
    assert!(c.asks_handover());
    assert_eq!(c.word(), Some("remote=handover"));
}

#[test]
fn an_uplink_failure_blames_this_member_and_resets_the_count() {
    let mut c = checking(true);
    run(&mut c, 100, O::Failed);
    run(&mut c, 200, O::Failed);
    assert!(run(&mut c, 300, O::UplinkFailed));
    assert_eq!(c.verdict(), V::UplinkFailing);
    assert_eq!(c.word(), Some("remote=uplink-failing"));
    assert!(!c.asks_handover());
    // The uplink is back (the remote check ran): no more self-blame; counting starts again.
    assert!(run(&mut c, 400, O::Failed));
    assert_eq!(c.verdict(), V::Ok);
    assert!(!run(&mut c, 500, O::Failed));
    assert!(run(&mut c, 600, O::Failed));
    assert_eq!(c.verdict(), V::Failing);
    // Failing, then the uplink fails: it blames itself, the report against alpha goes.
    assert!(run(&mut c, 700, O::UplinkFailed));
    assert!(!c.asks_handover());
    assert_eq!(c.failures_total(), 5);
}

#[test]
fn a_new_target_forgets_the_count_and_drops_the_run_still_out() {
    let mut c = checking(false);
    run(&mut c, 100, O::Failed);
    run(&mut c, 200, O::Failed);
    c.handle_timeout(ms(300));
    let out = c.poll_run().unwrap();
    c.set_target(ms(310), None);
    assert_eq!(c.poll_timeout(), None);
    assert!(!c.handle_done(ms(320), out.id, O::Failed));
    c.set_target(ms(400), Some(ALPHA));
    assert_eq!(c.poll_timeout(), Some(ms(500)));
    run(&mut c, 500, O::Failed);
    run(&mut c, 600, O::Failed);
    assert_eq!(c.verdict(), V::Ok);
}

/// Both members with a remote check (every 100 ms, 3 in a row), `handover` as given.
fn remote(handover: bool) -> impl Fn(usize) -> NodeConfig {
    move |me| {
        let mut c = support::sequence_config(me);
        c.remote_check = Some(RemoteCheckConfig {
            interval: Duration::from_millis(100),
            failures: 3,
            handover,
        });
        c
    }
}

/// A pair, alpha active and beta standby, and the time it settled.
fn settled(handover: bool) -> (Pair, Instant) {
    let mut pair = Pair::dialling_with(remote(handover));
    pair.run_for(Duration::from_millis(1000));
    assert_eq!(pair.nodes[ALPHA].role(), NodeRole::Active);
    assert_eq!(pair.nodes[BETA].role(), NodeRole::Standby);
    (pair, ms(1000))
}

#[test]
fn only_the_standby_checks_and_only_the_member_that_says_it_is_active() {
    let (mut pair, _) = settled(false);
    pair.run_for(Duration::from_millis(1000));
    assert!(pair.remote_runs.len() >= 10, "{:?}", pair.remote_runs);
    assert!(
        pair.remote_runs
            .iter()
            .all(|(_, node, member)| (*node, *member) == (BETA, ALPHA)),
        "{:?}",
        pair.remote_runs
    );
    assert_eq!(
        pair.nodes[BETA].status().to_string(),
        "standby peer=alpha:active"
    );
}

#[test]
fn failing_checks_show_in_the_standbys_status_line_and_log_once() {
    let (mut pair, _) = settled(false);
    pair.clear_events();
    pair.remote_outcome[BETA] = O::Failed;
    pair.run_for(Duration::from_millis(1000));
    assert_eq!(
        pair.nodes[BETA].status().to_string(),
        "standby peer=alpha:active remote=failing"
    );
    let reports: Vec<Notice> = pair
        .notices(BETA)
        .into_iter()
        .filter(|n| matches!(n, Notice::RemoteCheck { .. }))
        .collect();
    assert_eq!(
        reports,
        [Notice::RemoteCheck {
            active: "alpha".into(),
            verdict: V::Failing,
            failures: 3,
            handover: false,
        }]
    );
    assert_eq!(
        reports[0].to_string(),
        "remote check of alpha's service: failing (3 in a row while it says it is healthy)"
    );
    // Without the flag nothing moves.
    assert_eq!(pair.nodes[ALPHA].role(), NodeRole::Active);
    assert_eq!(
        pair.nodes[BETA].remote_check().unwrap().failures_total(),
        10
    );
}

#[test]
fn with_the_flag_the_active_hands_over_as_a_planned_switchover() {
    let (mut pair, _) = settled(true);
    pair.clear_events();
    pair.remote_outcome[BETA] = O::Failed;
    pair.run_for(Duration::from_millis(1000));
    assert_eq!(pair.nodes[BETA].role(), NodeRole::Active);
    assert_eq!(pair.nodes[ALPHA].role(), NodeRole::Standby);
    let asked = Notice::RemoteHandoverAsked {
        peer: "beta".into(),
        refused: None,
    };
    assert!(
        pair.notices(ALPHA).contains(&asked),
        "{:?}",
        pair.notices(ALPHA)
    );
    let cause = pair.nodes[ALPHA]
        .history()
        .iter()
        .find(|t| (t.from, t.to) == (NodeRole::Active, NodeRole::Demoting))
        .map(|t| t.cause.clone());
    assert_eq!(
        cause,
        Some(Cause::RemoteCheckHandover {
            peer: "beta".into()
        })
    );
    // Beta serves and checks nobody; alpha, now the standby, checks beta (its checks pass).
    assert_eq!(
        pair.nodes[BETA].status().to_string(),
        "active peer=alpha:standby"
    );
    assert_eq!(
        pair.nodes[ALPHA].status().to_string(),
        "standby peer=beta:active"
    );
}

#[test]
fn a_standby_whose_uplink_fails_blames_itself_and_asks_nothing() {
    let (mut pair, _) = settled(true);
    pair.remote_outcome[BETA] = O::UplinkFailed;
    pair.run_for(Duration::from_millis(1000));
    assert_eq!(
        pair.nodes[BETA].status().to_string(),
        "standby peer=alpha:active remote=uplink-failing"
    );
    assert_eq!(pair.nodes[ALPHA].role(), NodeRole::Active);
    assert!(!pair
        .events_of(ALPHA)
        .iter()
        .any(|e| matches!(e, Event::Notice(Notice::RemoteHandoverAsked { .. }))));
}
