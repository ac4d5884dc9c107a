//! The seed's five sequences (PROTOCOL.md section 7) with real `baton node` processes on
//! loopback: SIGKILL and restarts, a slow or failing `activate` hook to widen or break a
//! promotion. Named `process_*` after the sans-IO tests of the same sequences
//! (`election/tests/sequences.rs`).
//!
//! Each test: a fresh pair ([`support::Pair`]) in a scratch directory, both status listeners
//! followed by a [`support::Watch`] (every change recorded), the final roles checked with
//! `baton status --json` and the script components' state files, and the whole history
//! checked for two nodes serving at once.

mod support;

use baton_status::{PeerState, State};
use std::time::Duration;
use support::{
    is, peer_of, runtime, settled, start_alpha_then_beta, state_word, word, Pair, Watch, NAMES,
};

/// Longest any one step may take (they take milliseconds; the margin is for loaded machines).
const STEP: Duration = Duration::from_secs(10);
/// Two status sockets read by one watcher may disagree on the order of events by this much.
const SKEW: Duration = Duration::from_millis(100);

/// Both nodes' `baton status --json` words and their components' state files.
async fn assert_final(pair: &Pair, active: usize) {
    let standby = 1 - active;
    assert_eq!(state_word(pair.specs[active].status).await, "active");
    assert_eq!(state_word(pair.specs[standby].status).await, "standby");
    pair.component_becomes(active, "active", STEP).await;
    pair.component_becomes(standby, "standby", STEP).await;
}

/// Every state word node `i` was seen in since `from` (unreachable omitted).
fn words_since(watch: &Watch, i: usize, from: tokio::time::Instant) -> Vec<State> {
    watch
        .since(from)
        .filter(|s| s.node == i)
        .filter_map(|s| word(&s.status))
        .collect()
}

#[test]
fn process_startup_election() {
    let mut pair = Pair::new("startup");
    runtime().block_on(async {
        let mut watch = Watch::start(&pair);
        pair.start(0);
        pair.start(1);
        watch
            .until("one active, one standby", STEP, |s| settled(s).is_some())
            .await;
        let active = settled(&watch.now).expect("settled");
        // Nothing moves after that.
        watch.record_for(Duration::from_millis(500)).await;
        assert_eq!(settled(&watch.now), Some(active), "{}", watch.render());
        assert_final(&pair, active).await;
        watch.assert_never_two_serving(SKEW);
        // The other one never served.
        assert!(
            !words_since(&watch, 1 - active, watch.t0).contains(&State::Active),
            "{} was active; seen:\n{}",
            NAMES[1 - active],
            watch.render()
        );
    });
}

#[test]
fn process_active_restart_after_peer_promotion() {
    let mut pair = Pair::new("restartafter");
    runtime().block_on(async {
        let mut watch = Watch::start(&pair);
        start_alpha_then_beta(&mut pair, &mut watch).await;

        let killed = tokio::time::Instant::now();
        pair.kill(0);
        let promoted = watch
            .until("beta active after alpha's death", STEP, |s| {
                is(&s[1], State::Active)
            })
            .await;
        pair.component_becomes(1, "active", STEP).await;
        assert!(
            promoted.duration_since(killed) < Duration::from_secs(3),
            "failover took {:?}",
            promoted.duration_since(killed)
        );

        let restarted = tokio::time::Instant::now();
        pair.start(0);
        watch
            .until("alpha back as standby, beta active", STEP, |s| {
                settled(s) == Some(1)
            })
            .await;
        watch.record_for(Duration::from_millis(300)).await;
        assert_eq!(settled(&watch.now), Some(1), "{}", watch.render());
        assert_final(&pair, 1).await;

        // Beta stayed active throughout alpha's restart; alpha never claimed the service.
        assert!(
            words_since(&watch, 1, promoted)
                .iter()
                .all(|w| *w == State::Active),
            "beta left active; seen:\n{}",
            watch.render()
        );
        let alpha = words_since(&watch, 0, restarted);
        assert!(
            !alpha.contains(&State::Promoting) && !alpha.contains(&State::Active),
            "restarted alpha claimed the service; seen:\n{}",
            watch.render()
        );
        watch.assert_never_two_serving(SKEW);
    });
}

/// Kills the active alpha while beta's `activate` is slow (1.5 s), restarts alpha as soon as
/// beta is promoting, and waits for the outcome. True if alpha's link came up while beta
/// was still promoting (the case under test).
async fn kill_alpha_and_restart_during_promotion(pair: &mut Pair, watch: &mut Watch) -> bool {
    pair.set_activate_delay(1, Some("1.5"));
    let killed = tokio::time::Instant::now();
    pair.kill(0);
    watch
        .until("beta promoting", STEP, |s| is(&s[1], State::Promoting))
        .await;
    pair.start(0);
    // Beta's status names alpha up (not down) while still promoting: the restart overlaps.
    watch
        .until("alpha's link up, or beta done promoting", STEP, |s| {
            !is(&s[1], State::Promoting) || !matches!(peer_of(&s[1]), Some(PeerState::Down) | None)
        })
        .await;
    watch.since(killed).any(|s| {
        s.node == 1
            && is(&s.status, State::Promoting)
            && !matches!(peer_of(&s.status), Some(PeerState::Down) | None)
    })
}

#[test]
fn process_active_restart_during_peer_promotion() {
    let mut pair = Pair::new("restartduring");
    runtime().block_on(async {
        let mut watch = Watch::start(&pair);
        start_alpha_then_beta(&mut pair, &mut watch).await;
        let killed = tokio::time::Instant::now();
        let overlapped = kill_alpha_and_restart_during_promotion(&mut pair, &mut watch).await;
        assert!(
            overlapped,
            "alpha's restart did not overlap beta's promotion; seen:\n{}",
            watch.render()
        );
        watch
            .until("beta completes, alpha standby", STEP, |s| {
                settled(s) == Some(1)
            })
            .await;
        watch.record_for(Duration::from_millis(300)).await;
        assert_eq!(settled(&watch.now), Some(1), "{}", watch.render());
        assert_final(&pair, 1).await;

        // Beta went straight from standby to active through one promotion.
        let mut beta = words_since(&watch, 1, killed);
        beta.dedup();
        assert_eq!(
            beta,
            [State::Promoting, State::Active],
            "beta's path; seen:\n{}",
            watch.render()
        );
        let alpha = words_since(&watch, 0, killed);
        assert!(
            !alpha.contains(&State::Promoting) && !alpha.contains(&State::Active),
            "restarted alpha claimed the service; seen:\n{}",
            watch.render()
        );
        watch.assert_never_two_serving(SKEW);
    });
}

#[test]
fn process_active_restart_during_peer_promotion_failure() {
    let mut pair = Pair::new("restartfail");
    runtime().block_on(async {
        let mut watch = Watch::start(&pair);
        start_alpha_then_beta(&mut pair, &mut watch).await;
        pair.set_activate_fails(1, true);
        let killed = tokio::time::Instant::now();
        let overlapped = kill_alpha_and_restart_during_promotion(&mut pair, &mut watch).await;
        assert!(
            overlapped,
            "alpha's restart did not overlap beta's promotion; seen:\n{}",
            watch.render()
        );
        let failed = watch
            .until("beta's promotion fails", STEP, |s| is(&s[1], State::Failed))
            .await;
        let back = watch
            .until("alpha takes the service back, beta standby", STEP, |s| {
                settled(s) == Some(0)
            })
            .await;
        watch.record_for(Duration::from_millis(300)).await;
        assert_eq!(settled(&watch.now), Some(0), "{}", watch.render());
        assert_final(&pair, 0).await;

        // Never none for long: alpha serves soon after beta gave up, and the whole gap is
        // the slow activate (1.5 s) plus little.
        assert!(
            back.duration_since(failed) < Duration::from_secs(2),
            "alpha took {:?} to serve after beta failed; seen:\n{}",
            back.duration_since(failed),
            watch.render()
        );
        let gap = watch.longest_without_active(killed);
        assert!(
            gap < Duration::from_secs(4),
            "no node active for {gap:?}; seen:\n{}",
            watch.render()
        );
        watch.assert_never_two_serving(SKEW);
        // Beta's component never became active.
        assert!(
            !pair.log(1).contains("hook=\"activate\" role=\"active\""),
            "beta's activate succeeded"
        );
    });
}

/// SIGKILL the standby beta, restart it after `pause` (None: at once): it must come back
/// standby, alpha staying active throughout, and beta's component never active.
async fn standby_restart(pair: &mut Pair, pause: Option<Duration>) {
    let mut watch = Watch::start(pair);
    start_alpha_then_beta(pair, &mut watch).await;
    let from = tokio::time::Instant::now();
    pair.kill(1);
    if let Some(pause) = pause {
        watch
            .until("alpha sees beta down", STEP, |s| {
                is(&s[0], State::Active) && peer_of(&s[0]) == Some(PeerState::Down)
            })
            .await;
        watch.record_for(pause).await;
    }
    pair.start(1);
    watch
        .until("beta back as standby", STEP, |s| settled(s) == Some(0))
        .await;
    watch.record_for(Duration::from_millis(300)).await;
    assert_eq!(settled(&watch.now), Some(0), "{}", watch.render());
    assert_final(pair, 0).await;
    assert!(
        words_since(&watch, 0, from)
            .iter()
            .all(|w| *w == State::Active),
        "alpha left active; seen:\n{}",
        watch.render()
    );
    let beta = words_since(&watch, 1, from);
    assert!(
        !beta.contains(&State::Promoting) && !beta.contains(&State::Active),
        "restarted beta claimed the service; seen:\n{}",
        watch.render()
    );
    assert!(
        !pair.log(1).contains("hook=\"activate\" role=\"active\""),
        "beta's component was activated beside alpha's"
    );
    watch.assert_never_two_serving(SKEW);
}

#[test]
fn process_standby_restart() {
    let mut pair = Pair::new("standbyrestart");
    runtime().block_on(standby_restart(&mut pair, None));
}

/// As `process_standby_restart`, with the standby down for 1.2 s first (a restart that takes
/// a moment: a reboot, a systemd restart delay). Regression: when only alpha dialled, its
/// back-off had grown to 800 ms by then, longer than beta's `startup_wait` (300 ms), and beta,
/// alone, promoted beside the active alpha. Now beta dials alpha as it starts, and the
/// back-off is capped at half of `startup_wait`.
#[test]
fn process_standby_restart_after_a_pause() {
    let mut pair = Pair::new("standbypause");
    runtime().block_on(standby_restart(
        &mut pair,
        Some(Duration::from_millis(1200)),
    ));
}
