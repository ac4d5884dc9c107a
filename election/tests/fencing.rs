//! Fencing in pair mode (PROTOCOL 5.10): with `Config::fence`, a promotion without the
//! active's agreement waits for `handle_fence_done`; agreed promotions need none.

mod util;

use baton_election::{Event, Generation, Member, NodeRole::*, Role};
use std::time::Duration;
use util::*;

/// As `Pair::established`, with fencing on both nodes: a Active, b Standby.
fn established() -> Pair {
    let mut p = Pair::with(|c| c.fence = true);
    p.start(A);
    p.start(B);
    p.connect();
    p.run();
    p.assert_converged(A);
    p.take_log();
    p.take_events(A);
    p.take_events(B);
    p
}

fn fence_a() -> Event {
    Event::Fence { member: Member(A) }
}

fn promoted(from: baton_election::NodeRole, generation: u64) -> Vec<Event> {
    vec![
        Event::RoleChanged {
            from,
            to: Promoting,
        },
        Event::SetComponents {
            role: Role::active,
            generation: Generation(generation),
        },
        Event::RoleChanged {
            from: Promoting,
            to: Active,
        },
    ]
}

/// a dies; b (Standby) would promote without a's agreement: it fences a first, stays
/// Standby meanwhile, and promotes once the fence command succeeded.
#[test]
fn fence_success_promotes() {
    let mut p = established();
    p.crash(A);
    assert_eq!(p.take_events(B), vec![fence_a()]);
    assert_eq!(p.role(B), Standby);
    assert_eq!(p.e(B).fencing(), Some(Member(A)));
    assert!(!p.e(B).is_settled());
    p.run();
    assert_eq!(p.role(B), Standby, "no promotion until the fence is done");
    assert!(p.take_events(B).is_empty());
    p.act(B, |e, now| e.handle_fence_done(now, Member(A), true));
    p.run();
    assert_eq!(p.take_events(B), promoted(Standby, 2));
    assert_eq!(p.e(B).fencing(), None);
    // A second (late) answer changes nothing.
    p.act(B, |e, now| e.handle_fence_done(now, Member(A), true));
    assert!(p.take_events(B).is_empty());
    assert!(p.take_log().is_empty());
}

/// The fence command fails: b stays Standby, still fencing, and asks again after
/// `fence_retry` (1 s); the second try succeeds.
#[test]
fn fence_failure_stays_standby_and_retries() {
    let mut p = established();
    p.crash(A);
    assert_eq!(p.take_events(B), vec![fence_a()]);
    let failed_at = p.now;
    p.act(B, |e, now| e.handle_fence_done(now, Member(A), false));
    assert_eq!(p.role(B), Standby);
    assert_eq!(p.e(B).fencing(), Some(Member(A)));
    assert_eq!(
        p.e(B).poll_timeout(),
        Some(failed_at + Duration::from_secs(1))
    );
    // An answer while waiting for the retry is not the answer to a request: ignored.
    p.act(B, |e, now| e.handle_fence_done(now, Member(A), true));
    assert_eq!(p.role(B), Standby);
    p.run_for(Duration::from_millis(999));
    assert!(p.take_events(B).is_empty());
    p.run_for(Duration::from_millis(1));
    assert_eq!(p.take_events(B), vec![fence_a()]);
    assert_eq!(p.e(B).poll_timeout(), None);
    p.act(B, |e, now| e.handle_fence_done(now, Member(A), false));
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.take_events(B), vec![fence_a()], "retried again");
    p.act(B, |e, now| e.handle_fence_done(now, Member(A), true));
    p.run();
    assert_eq!(p.take_events(B), promoted(Standby, 2));
    assert!(p.take_log().is_empty());
}

/// While b fences a (after a failed try), a comes back: its link is up, so it is alive:
/// fencing is abandoned, the retry timer stopped, the normal link-up rules apply, and the
/// fence command's late success is ignored.
#[test]
fn fence_abandoned_when_peer_returns() {
    let mut p = established();
    p.crash(A);
    assert_eq!(p.take_events(B), vec![fence_a()]);
    p.act(B, |e, now| e.handle_fence_done(now, Member(A), false));
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.take_events(B), vec![fence_a()]);
    p.start_with_ids(A, 1001);
    p.connect();
    assert_eq!(p.e(B).fencing(), None);
    p.act(B, |e, now| e.handle_fence_done(now, Member(A), true));
    p.run();
    assert_eq!(
        p.take_log(),
        vec![
            sent(A, B, nom("0 1001", "a")),
            sent(B, A, asg("0 1001", "a", "b")),
        ]
    );
    assert_eq!(p.role(B), Standby);
    assert!(
        p.take_events(B).is_empty(),
        "the late success promoted nothing"
    );
    p.assert_converged(A);
}

/// A planned switchover is agreed by both: no fencing on either side (nor for the vetoed
/// restart that follows).
#[test]
fn switchover_needs_no_fence() {
    let mut p = established();
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
    assert_eq!(p.take_events(B), promoted(Standby, 2));
    let fenced = |p: &Pair, i: usize| {
        p.nodes[i]
            .events
            .iter()
            .any(|e| matches!(e, Event::Fence { .. }))
    };
    assert!(!fenced(&p, A));
    p.crash(A);
    p.start_with_ids(A, 1001);
    p.connect();
    p.run();
    p.assert_converged(B);
    assert!(!fenced(&p, A) && !fenced(&p, B));
}

/// Alone for `startup_wait`: a fences b before promoting (it cannot know whether b serves),
/// stays Negotiating while it fences.
#[test]
fn fence_before_promoting_alone_at_startup() {
    let mut p = Pair::with(|c| c.fence = true);
    p.start(A);
    p.run_for(Duration::from_millis(300));
    assert_eq!(p.take_events(A), vec![Event::Fence { member: Member(B) }]);
    assert_eq!(p.role(A), Negotiating);
    p.act(A, |e, now| e.handle_fence_done(now, Member(B), true));
    p.run();
    assert_eq!(p.take_events(A), promoted(Negotiating, 1));
}

/// \[F5\] with fencing: a demotes for a switchover, b dies before a's components confirm;
/// a ends its demotion Standby and fences b instead of promoting at once.
#[test]
fn fence_after_demotion_with_peer_down_f5() {
    let mut p = established();
    p.nodes[A].auto = false;
    p.act(A, |e, now| e.switchover(now)).unwrap();
    assert_eq!(p.role(A), Demoting);
    p.crash(B);
    p.take_events(A);
    p.components_done(A);
    assert_eq!(
        p.take_events(A),
        vec![
            Event::RoleChanged {
                from: Demoting,
                to: Standby
            },
            Event::Fence { member: Member(B) },
        ]
    );
    p.act(A, |e, now| e.handle_fence_done(now, Member(B), true));
    assert_eq!(p.role(A), Promoting);
}
