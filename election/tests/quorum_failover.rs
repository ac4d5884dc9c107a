//! PROTOCOL 5.9: failover, leases, ordered backup, release + handover, with exact messages,
//! times (ms of the virtual clock) and roles. Default timers: L_v 800, L_a 450, renew 100,
//! election_timeout 50, stagger 300, retry 100. The election timer [Q8]: lease end + 50 +
//! 300 per member before this one, but 50 for the member last known serving.

mod quorum_util;

use baton_election::NodeRole::*;
use baton_election::{Event, Role, Round};
use quorum_util::*;
use std::time::Duration;

/// Members started at 0: a Active from 850 (round 1), renewals every 100 ms from 950; the
/// log and events are cleared at 1000.
fn established(names: &[&str]) -> Cluster {
    let mut c = Cluster::new(names, &[]);
    c.start_all();
    c.run_until(1000);
    c.forget();
    c
}

/// PROTOCOL 5.9.6: the active cut off from the majority stops serving (lease end 950 + 450
/// = 1400, silently) before any voter can grant another: the voters' leases for it run
/// until 950 + 800 = 1750, and b's election timer fires at 1750 + 50 + 1 × 50.
#[test]
fn active_isolated_from_majority_demotes_before_new_winner() {
    let mut c = established(&["a", "b", "c"]);
    c.isolate(0);
    c.run_until(1399);
    assert_eq!(c.role(0), Active);
    assert_eq!(c.e(0).lease_left(c.now), Some(Duration::from_millis(1)));
    c.run_until(2000);
    assert_eq!(
        c.take_trace(),
        [
            "1850 b>c nom 2 101 b",
            "1850 c>b asg 2 101 b/c",
            "1950 b>c nom 2 102 b",
            "1950 c>b asg 2 102 b/c",
        ]
    );
    assert_eq!(c.role_times(0), [(1400, Demoting), (1400, Standby)]);
    assert_eq!(c.role_times(1), [(1850, Promoting), (1850, Active)]);
    // The lease arithmetic: a's components stop by 1400 + D (300) = 1700, before c's lease
    // for a ends (1750) and so before c's first grant to b (1850).
    let t = c.e(0).config().quorum;
    let stopped = 1400 + t.demotion_bound.as_millis() as u64;
    let voter_lease_end = 950 + t.voter_lease.as_millis() as u64;
    assert!(stopped <= voter_lease_end && voter_lease_end < 1850);
    assert!(!c.e(0).quorate());
    assert_eq!(c.e(1).round(), Round(2));
}

/// \[Q9\] Renewals answered by nobody: the lease ends 450 ms after the latest renewal
/// answered by a quorum (950), and the member demotes without a word.
#[test]
fn lease_expiry_demotes_silently() {
    let mut c = established(&["a", "b", "c"]);
    c.lossy = vec![(1, 0), (2, 0)];
    c.run_until(1500);
    let from_a: Vec<String> = c
        .take_trace()
        .into_iter()
        .filter(|l| l.contains(" a>"))
        .collect();
    assert_eq!(
        from_a,
        [
            "1050 a>b nom 1 5 a",
            "1050 a>c nom 1 6 a",
            "1150 a>b nom 1 7 a",
            "1150 a>c nom 1 8 a",
            "1250 a>b nom 1 9 a",
            "1250 a>c nom 1 10 a",
            "1350 a>b nom 1 11 a",
            "1350 a>c nom 1 12 a",
        ],
        "nothing from a at or after its lease end (1400)"
    );
    assert_eq!(
        c.take_events(0),
        [
            (
                1400,
                Event::RoleChanged {
                    from: Active,
                    to: Demoting
                }
            ),
            (
                1400,
                Event::SetComponents {
                    role: Role::standby,
                    generation: baton_election::Generation(3)
                }
            ),
            (
                1400,
                Event::RoleChanged {
                    from: Demoting,
                    to: Standby
                }
            ),
        ]
    );
    assert_eq!(c.e(0).lease_left(c.now), None);
}

/// \[Q9\] Renewals answered by a quorum keep the lease: always 450 ms minus the time since
/// the latest renewal.
#[test]
fn renewal_keeps_lease() {
    let mut c = established(&["a", "b", "c"]);
    c.run_until(5000);
    assert_eq!(c.role(0), Active);
    assert!(c.role_times(0).is_empty());
    assert_eq!(c.e(0).lease_left(c.now), Some(Duration::from_millis(400)));
    c.run_until(5049);
    assert_eq!(c.e(0).lease_left(c.now), Some(Duration::from_millis(351)));
    c.run_until(5050);
    assert_eq!(c.e(0).lease_left(c.now), Some(Duration::from_millis(450)));
    let trace = c.take_trace();
    assert_eq!(
        trace.len(),
        41 * 4,
        "two renewals and two answers every 100 ms"
    );
    assert_eq!(
        trace[trace.len() - 4..],
        [
            "5050 a>b nom 1 85 a",
            "5050 a>c nom 1 86 a",
            "5050 b>a asg 1 85 a/b",
            "5050 c>a asg 1 86 a/c",
        ]
    );
    assert!(c.e(0).quorate() && c.e(1).quorate());
}

/// Ordered backup: the active dies; the voters' leases end together (1750) and the election
/// timers are staggered by rank: b (a before it, last known serving: 50) at 1750 + 50 + 50 =
/// 1850 takes over, whatever the stagger; c and d stay Standby.
#[test]
fn ordered_backup_highest_eligible_takes_over() {
    let mut c = established(&["a", "b", "c", "d"]);
    c.crash(0);
    c.run_until(1900);
    assert_eq!(
        c.take_trace(),
        [
            "1850 b>c nom 2 101 b",
            "1850 b>d nom 2 102 b",
            "1850 c>b asg 2 101 b/c",
            "1850 d>b asg 2 102 b/d",
        ]
    );
    assert_eq!(c.role_times(1), [(1850, Promoting), (1850, Active)]);
    assert_eq!((c.role(2), c.role(3)), (Standby, Standby));
}

/// Ordered backup skips a member with a failed fatal component: c (a before it, last known
/// serving: 50; b: 300) at 1750 + 50 + 50 + 300 = 2150.
#[test]
fn ineligible_member_skipped() {
    let mut c = established(&["a", "b", "c", "d"]);
    c.act(1, |e, now| e.handle_fatal(now));
    c.crash(0);
    c.run_until(2200);
    assert_eq!(
        c.take_trace(),
        [
            "2150 c>b nom 2 201 c",
            "2150 c>d nom 2 202 c",
            "2150 b>c asg 2 201 c/b",
            "2150 d>c asg 2 202 c/d",
        ]
    );
    assert_eq!(c.role_times(2), [(2150, Promoting), (2150, Active)]);
    assert_eq!((c.role(1), c.role(3)), (Standby, Standby));
}

/// Planned switchover: a demotes, then releases with a handover request naming b in its
/// round; the voters holding a's grant end that lease and agree; b stands at once.
#[test]
fn release_and_handover() {
    let mut c = established(&["a", "b", "c"]);
    c.act(0, |e, now| e.switchover(now)).unwrap();
    c.run_until(1100);
    assert_eq!(
        c.take_trace(),
        [
            "1000 a>b nom 1 5 b",
            "1000 a>c nom 1 6 b",
            "1000 b>a asg 1 5 b/b",
            "1000 b>a nom 2 101 b",
            "1000 b>c nom 2 102 b",
            "1000 c>a asg 1 6 b/c",
            "1000 a>b asg 2 101 b/a",
            "1000 c>b asg 2 102 b/c",
            "1100 b>a nom 2 103 b",
            "1100 b>c nom 2 104 b",
            "1100 a>b asg 2 103 b/a",
            "1100 c>b asg 2 104 b/c",
        ]
    );
    assert_eq!(c.role_times(0), [(1000, Demoting), (1000, Standby)]);
    assert_eq!(c.role_times(1), [(1000, Promoting), (1000, Active)]);
    assert_eq!(c.e(1).serving_round(), Some(Round(2)));
}

/// Promotion failure: Demoting, then PromotionFailed and a release + handover to the next
/// eligible member (b), which stands at once; a stands by on b's first renewal.
#[test]
fn promotion_failure_hands_over() {
    let mut c = Cluster::new(&["a", "b", "c"], &[]);
    c.nodes[0].fail_promotions = 1;
    c.start_all();
    c.run_until(950);
    assert_eq!(
        c.take_trace(),
        [
            "850 a>b nom 1 1 a",
            "850 a>c nom 1 2 a",
            "850 b>a asg 1 1 a/b",
            "850 c>a asg 1 2 a/c",
            "850 a>b nom 1 3 b",
            "850 a>c nom 1 4 b",
            "850 b>a asg 1 3 b/b",
            "850 b>a nom 2 101 b",
            "850 b>c nom 2 102 b",
            "850 c>a asg 1 4 b/c",
            "850 a>b asg 2 101 b/a",
            "850 c>b asg 2 102 b/c",
            "950 b>a nom 2 103 b",
            "950 b>c nom 2 104 b",
            "950 a>b asg 2 103 b/a",
            "950 c>b asg 2 104 b/c",
        ]
    );
    assert_eq!(
        c.role_times(0),
        [
            (850, Promoting),
            (850, Demoting),
            (850, PromotionFailed),
            (950, Standby)
        ]
    );
    assert_eq!(c.role_times(1), [(850, Promoting), (850, Active)]);
}
