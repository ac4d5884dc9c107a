//! The node's history of role transitions (issue 15, item 4): every role change with its
//! time and cause, on two whole Nodes on the virtual clock, compared whole. "Why did it fail
//! over at 1.0 s" is answered by the node itself: the peer went down, or asked, or a
//! component failed, or the operator switched over.

mod support;

use baton_component::Health;
use baton_core::{Instant, NodeRole, NodeRole::*};
use baton_engine::{Cause, Transition, HISTORY_LEN};
use baton_monitor::Severity;
use std::time::Duration;
use support::*;

/// A transition without a failover time.
fn t(at: u64, from: NodeRole, to: NodeRole, cause: Cause) -> Transition {
    Transition {
        at: ms(at),
        from,
        to,
        cause,
        failover: None,
    }
}

/// The end of a promotion from standby that took `failover` ms from the fault.
fn done(at: u64, failover: u64) -> Transition {
    Transition {
        failover: Some(Duration::from_millis(failover)),
        ..t(at, Promoting, Active, Cause::ComponentsConfirmed)
    }
}

fn from_peer(peer: &str, message: &'static str) -> Cause {
    Cause::PeerElection {
        peer: peer.into(),
        message,
    }
}

/// Node `i`'s history.
fn history(p: &Pair, i: usize) -> Vec<Transition> {
    p.nodes[i].history().iter().cloned().collect()
}

/// Both started at 0, each with component "10" of `severity` that takes 20 ms to switch;
/// settled at 1 s (alpha Active, beta Standby).
fn settled(severity: Severity) -> Pair {
    let mut p = Pair::dialling_with(|me| {
        let mut c = sequence_config(me);
        c.components.insert("10".into(), policy(severity));
        c
    });
    p.attach(ALPHA, "10");
    p.attach(BETA, "10");
    for c in &mut p.components {
        c.answer = Answer::Accept(Duration::from_millis(20));
    }
    p.run_until(ms(1000));
    assert_eq!([p.nodes[0].role(), p.nodes[1].role()], [Active, Standby]);
    p
}

/// The startup election, as each node records it: alpha promotes on beta's assignment,
/// beta stands by on alpha's nomination.
fn startup() -> [Vec<Transition>; 2] {
    [
        vec![
            t(0, Negotiating, Promoting, from_peer("beta", "assigment")),
            t(20, Promoting, Active, Cause::ComponentsConfirmed),
        ],
        vec![t(
            0,
            Negotiating,
            Standby,
            from_peer("alpha", "nominationMsg"),
        )],
    ]
}

/// alpha crashes at 1 s: beta records the failover, caused by alpha going down, and how long
/// it took (its component confirmed 20 ms later).
#[test]
fn a_failover_is_recorded_with_its_cause_and_duration() {
    let mut p = settled(Severity::Fatal);
    p.crash(ALPHA);
    p.run_until(ms(2000));
    let [alpha, mut beta] = startup();
    beta.extend([
        t(
            1000,
            Standby,
            Promoting,
            Cause::PeerDown {
                peer: "alpha".into(),
            },
        ),
        done(1020, 20),
    ]);
    assert_eq!(history(&p, ALPHA), alpha);
    assert_eq!(history(&p, BETA), beta);
    let last = p.nodes[BETA].history().last().map(ToString::to_string);
    assert_eq!(
        last.as_deref(),
        Some("promoting -> active: components confirmed (failover 20 ms)")
    );
}

/// A switchover: alpha records the operator's request, beta alpha's handover nomination.
#[test]
fn a_switchover_is_recorded_on_both_nodes() {
    let mut p = settled(Severity::Fatal);
    assert_eq!(p.switchover(ALPHA), Ok(()));
    p.run_until(ms(2000));
    let [mut alpha, mut beta] = startup();
    alpha.extend([
        t(1000, Active, Demoting, Cause::Switchover),
        t(1020, Demoting, Standby, Cause::ComponentsConfirmed),
    ]);
    beta.extend([
        t(
            1020,
            Standby,
            Promoting,
            from_peer("alpha", "nominationMsg"),
        ),
        done(1040, 20),
    ]);
    assert_eq!(history(&p, ALPHA), alpha);
    assert_eq!(history(&p, BETA), beta);
}

/// A fatal failure on the Active: alpha records the component, beta alpha's request.
#[test]
fn a_fatal_failure_is_recorded_as_the_cause() {
    let mut p = settled(Severity::Fatal);
    p.set_health(0, Health::Failed);
    p.run_until(ms(2000));
    let [mut alpha, mut beta] = startup();
    let component = "10".to_owned();
    alpha.extend([
        t(1000, Active, Demoting, Cause::ComponentFailed { component }),
        t(1020, Demoting, Standby, Cause::ComponentsConfirmed),
    ]);
    beta.extend([
        t(
            1020,
            Standby,
            Promoting,
            from_peer("alpha", "nominationMsg"),
        ),
        done(1040, 20),
    ]);
    assert_eq!(history(&p, ALPHA), alpha);
    assert_eq!(history(&p, BETA), beta);
}

/// A stop on the Active hands over: recorded as the stop, not as a switchover.
#[test]
fn a_stop_is_recorded_as_the_cause() {
    let mut p = settled(Severity::Fatal);
    p.stop(ALPHA);
    p.run_until(ms(2000));
    let [mut alpha, _] = startup();
    alpha.extend([
        t(1000, Active, Demoting, Cause::Stop),
        t(1020, Demoting, Standby, Cause::ComponentsConfirmed),
    ]);
    assert_eq!(history(&p, ALPHA), alpha);
}

/// The history keeps the last [`HISTORY_LEN`] transitions: 40 switchovers (80 transitions
/// on each node) leave the 64 latest, the oldest first.
#[test]
fn the_history_is_bounded() {
    let mut p = settled(Severity::Fatal);
    let mut at = 1000;
    for n in 0..40 {
        let active = if n % 2 == 0 { ALPHA } else { BETA };
        assert_eq!(p.switchover(active), Ok(()), "switchover {n}");
        at += 500;
        p.run_until(ms(at));
    }
    let alpha = history(&p, ALPHA);
    assert_eq!(alpha.len(), HISTORY_LEN);
    let times: Vec<Instant> = alpha.iter().map(|t| t.at).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "oldest first");
    // 2 startup + 80 switchover transitions: the first 18 are gone (the startup and the
    // first 8 switchovers); the 9th (at 5 s, alpha Active) is the oldest kept; the last
    // (at 20.5 s) made alpha Active again.
    assert_eq!(alpha[0], t(5000, Active, Demoting, Cause::Switchover));
    assert_eq!(alpha.last(), Some(&done(20540, 20)));
}

/// Alone at startup: alpha, whose peer never answers, decides when its startup wait ends.
#[test]
fn alone_at_startup_is_the_startup_wait() {
    let mut p = Pair::new();
    p.run_until(ms(1000));
    let wait = p.configs[ALPHA].startup_wait.as_millis() as u64;
    assert_eq!(
        history(&p, ALPHA),
        [
            t(wait, Negotiating, Promoting, Cause::StartupWait),
            t(wait, Promoting, Active, Cause::ComponentsConfirmed),
        ]
    );
    let first = p.nodes[ALPHA]
        .history()
        .iter()
        .next()
        .map(ToString::to_string);
    assert_eq!(
        first.as_deref(),
        Some("negotiating -> promoting: no peer's answer within the startup wait")
    );
}

/// A fenced promotion (PROTOCOL 5.10): beta notices alpha down at 1 s, fences it, and
/// promotes when the fence command succeeded at 1.1 s: the cause is alpha down, and the
/// failover counts from then (the fence's 100 ms included).
#[test]
fn a_fenced_promotion_keeps_the_fault_as_its_cause() {
    let mut p = Pair::with(|me| {
        let mut c = config(me);
        c.fence = true;
        c
    });
    p.connect();
    p.run_until(ms(1000));
    p.crash(ALPHA);
    p.run_until(ms(1100));
    assert_eq!(p.nodes[BETA].role(), Standby, "fencing");
    let now = p.now;
    p.nodes[BETA].handle_fence_done(now, "alpha", true);
    p.flush();
    let down = Cause::PeerDown {
        peer: "alpha".into(),
    };
    let all = history(&p, BETA);
    assert_eq!(all.len(), 3, "{all:?}");
    assert_eq!(
        all[1..],
        [
            t(1100, Standby, Promoting, down),
            Transition {
                failover: Some(Duration::from_millis(100)),
                ..t(1100, Promoting, Active, Cause::ComponentsConfirmed)
            },
        ]
    );
}

/// A peer link closed for misbehaviour at 1 s, the peer (hung) not back within the dead
/// interval: beta promotes at 1.3 s for alpha down, the failover counted from 1 s.
#[test]
fn a_peer_link_grace_that_ran_out_is_the_peer_down() {
    let mut p = Pair::new();
    p.connect();
    p.run_until(ms(1000));
    let now = p.now;
    p.nodes[BETA].handle_link_misbehaved(now, PEER);
    p.alive[ALPHA] = false;
    p.run_until(ms(2000));
    let down = Cause::PeerDown {
        peer: "alpha".into(),
    };
    let all = history(&p, BETA);
    assert_eq!(all.len(), 3, "{all:?}");
    assert_eq!(
        all[1..],
        [
            t(1300, Standby, Promoting, down),
            Transition {
                failover: Some(Duration::from_millis(300)),
                ..t(1300, Promoting, Active, Cause::ComponentsConfirmed)
            },
        ]
    );
}
