//! PROTOCOL 5.9: one test per rule \[Q1\]-\[Q9\] (DESIGN 3.6 numbers no \[Q6\]), each replaying
//! the situation of the counterexample the rule closed, with exact messages and times (ms of
//! the virtual clock).

mod quorum_util;

use baton_election::NodeRole::*;
use baton_election::{Event, Member, Round, VoterLease};
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

fn without(trace: Vec<String>, pairs: &[&str]) -> Vec<String> {
    trace
        .into_iter()
        .filter(|l| !pairs.iter().any(|p| l.contains(p)))
        .collect()
}

/// \[Q1\] The counterexample: a voter sends its grant, crashes before it is on disk, and
/// grants the same round to another after the restart: two winners. Here b's grant is held
/// until written; b crashes first: a never hears it, and b comes back unknown (abstaining).
#[test]
fn q1_grant_sent_only_once_persisted() {
    let mut c = Cluster::new(&["a", "b", "c"], &[]);
    c.nodes[1].auto_persist = false;
    c.start(0);
    c.start(1);
    c.run_until(900);
    assert_eq!(c.take_trace(), ["850 a>b nom 1 1 a"]);
    c.crash(1);
    c.start(1);
    c.run_until(1500);
    assert_eq!(
        c.take_trace(),
        [
            "950 a>b nom 1 2 a",
            "950 b>a err 0 2 lease",
            "1050 a>b nom 1 3 a",
            "1050 b>a err 0 3 lease",
            "1150 a>b nom 1 4 a",
            "1150 b>a err 0 4 lease",
            "1250 a>b nom 1 5 a",
            "1250 b>a err 0 5 lease",
        ],
        "void at 850 + 450 [Q4]"
    );
    assert_eq!(c.e(1).voter_lease(), VoterLease::Abstain);
    assert_eq!(c.role(0), Negotiating);
}

/// \[Q2\] A restarted voter does not know when it last renewed its lease: it re-arms the
/// lease of its persisted grant (c at 1300: until 2100) and refuses b meanwhile; its
/// components are set standby first.
#[test]
fn q2_restart_rearms_lease_and_stands_by_first() {
    let mut c = established(&["a", "b", "c"]);
    c.isolate(0);
    c.run_until(1300);
    c.crash(2);
    c.start(2);
    assert_eq!(
        c.nodes[2].events,
        [(
            1300,
            Event::SetComponents {
                role: baton_election::Role::standby,
                generation: baton_election::Generation(1)
            }
        )]
    );
    c.run_until(2300);
    assert_eq!(
        c.take_trace(),
        [
            "1850 b>c nom 2 101 b",
            "1850 c>b err 1 101 lease",
            "1950 b>c nom 2 102 b",
            "1950 c>b err 1 102 lease",
            "2050 b>c nom 2 103 b",
            "2050 c>b err 1 103 lease",
            "2150 b>c nom 2 104 b",
            "2150 c>b asg 2 104 b/c",
            "2250 b>c nom 2 105 b",
            "2250 c>b asg 2 105 b/c",
        ]
    );
    assert_eq!(c.role_times(1), [(2150, Promoting), (2150, Active)]);
}

/// \[Q3\] b lost a (a link cut) but c still renews a's lease: c grants nobody else while it
/// runs, so a keeps serving alone and b never wins.
#[test]
fn q3_no_grant_while_a_lease_for_another_runs() {
    let mut c = established(&["a", "b", "c"]);
    c.cut_pair(0, 1);
    c.run_until(2300);
    assert_eq!(
        without(c.take_trace(), &["a>c", "c>a"]),
        [
            "1850 b>c nom 2 101 b",
            "1850 c>b err 1 101 lease",
            "1950 b>c nom 2 102 b",
            "1950 c>b err 1 102 lease",
            "2050 b>c nom 2 103 b",
            "2050 c>b err 1 103 lease",
            "2150 b>c nom 2 104 b",
            "2150 c>b err 1 104 lease",
            "2250 b>c nom 2 105 b",
            "2250 c>b err 1 105 lease",
        ]
    );
    assert_eq!(c.roles(), [Active, Standby, Standby]);
    assert_eq!(c.e(2).voter_lease(), VoterLease::For(Member(0)));
}

/// \[Q4\] The candidacy of \[Q3\] is void at t_s + L_a = 1850 + 450: no retry after 2250,
/// and a grant answering it late makes no winner.
#[test]
fn q4_candidacy_void_at_start_plus_active_lease() {
    let mut c = established(&["a", "b", "c"]);
    c.cut_pair(0, 1);
    c.run_until(2299);
    assert_eq!(c.e(1).candidacy_round(), Some(Round(2)));
    c.run_until(2300);
    assert_eq!(c.e(1).candidacy_round(), None);
    c.take_trace();
    c.inject(2, 1, asg("2 105", "b", "c"));
    c.run_until(3000);
    assert_eq!(
        without(c.take_trace(), &["a>c", "c>a"]),
        Vec::<String>::new()
    );
    assert_eq!(c.role(1), Standby);
    assert_eq!(c.e(1).serving_round(), None);
}

/// \[Q5\] The cut heals: a, serving in round 1, sees b's round 2 and re-elects in round 3
/// keeping its role; b grants it (its own candidacy void). Without it, b would keep
/// standing in ever higher rounds that c refuses.
#[test]
fn q5_higher_round_makes_the_serving_member_reelect() {
    let mut c = established(&["a", "b", "c"]);
    c.cut_pair(0, 1);
    c.run_until(2000);
    c.forget();
    c.heal();
    c.run_until(2200);
    assert_eq!(
        c.take_trace(),
        [
            "2050 a>b nom 1 15 a",
            "2050 a>c nom 1 16 a",
            "2050 b>a nom 2 103 b",
            "2050 b>c nom 2 104 b",
            "2050 b>a veto 2 15 b/b",
            "2050 c>a asg 1 16 a/c",
            "2050 a>b err 1 103 lease",
            "2050 a>b nom 3 17 a",
            "2050 a>c nom 3 18 a",
            "2050 c>b err 1 104 lease",
            "2050 b>a asg 3 17 a/b",
            "2050 c>a asg 3 18 a/c",
            "2150 a>b nom 3 19 a",
            "2150 a>c nom 3 20 a",
            "2150 b>a asg 3 19 a/b",
            "2150 c>a asg 3 20 a/c",
        ]
    );
    assert!(c.role_times(0).is_empty(), "a stayed Active");
    assert_eq!(c.e(0).serving_round(), Some(Round(3)));
    assert_eq!((c.role(1), c.e(1).candidacy_round()), (Standby, None));
}

/// \[Q5b\] A veto for another member in a round at least the serving member's own: it
/// re-elects in seen + 1, keeping its role.
#[test]
fn q5b_veto_for_another_in_own_round_reelects() {
    let mut c = established(&["a", "b", "c"]);
    c.lossy = vec![(2, 0)];
    c.run_until(1050);
    c.take_trace();
    c.lossy.clear();
    c.inject(2, 0, veto("1 6", "b", "c"));
    c.settle();
    assert_eq!(
        c.take_trace(),
        [
            "1050 a>b nom 2 7 a",
            "1050 a>c nom 2 8 a",
            "1050 b>a asg 2 7 a/b",
            "1050 c>a asg 2 8 a/c"
        ]
    );
    assert_eq!(c.role(0), Active);
    assert_eq!(c.e(0).serving_round(), Some(Round(2)));
}

/// \[Q7\] A self-nomination is a grant to itself: b (standing at 900, its nominations slow),
/// a and c (at 950) each refuse the others in round 1 with a veto naming themselves, so no
/// round-1 grant can be given twice and nobody wins round 1. (Stagger 50: b at 800 + 50 + 50,
/// c at 800 + 50 + 2 × 50, a, started at 100, at 900 + 50.)
#[test]
fn q7_self_nomination_is_a_grant_to_itself() {
    let stagger = Duration::from_millis(50);
    let mut c = Cluster::with(&["a", "b", "c"], &[], |c| c.quorum.stagger = stagger);
    c.deliver = false;
    c.start(1);
    c.start(2);
    c.run_until(100);
    c.start(0);
    c.run_until(950);
    c.deliver = true;
    c.run_until(1000);
    assert_eq!(
        c.take_trace(),
        [
            "900 b>a nom 1 101 b",
            "900 b>c nom 1 102 b",
            "950 a>b nom 1 1 a",
            "950 a>c nom 1 2 a",
            "950 c>a nom 1 201 c",
            "950 c>b nom 1 202 c",
            "950 a>b veto 1 101 a/a",
            "950 c>b veto 1 102 c/c",
            "950 b>a veto 1 1 b/b",
            "950 c>a veto 1 2 c/c",
            "950 a>c veto 1 201 a/a",
            "950 b>c veto 1 202 b/b",
        ]
    );
    assert!(c.winners.is_empty());
    c.run_until(6000);
    assert_eq!(c.roles(), [Active, Standby, Standby]);
    assert_eq!(c.winners.keys().copied().collect::<Vec<_>>(), [3]);
}

/// \[Q8\] The election timer runs only while no voter lease runs, the node's own included:
/// c, renewing a's lease, never stands; b stands again only at its own lease end (2250 + 800)
/// + 50 + 1 × 50.
#[test]
fn q8_election_timer_waits_for_every_voter_lease() {
    let mut c = established(&["a", "b", "c"]);
    c.cut_pair(0, 1);
    c.run_until(3200);
    let b_stands: Vec<String> = c
        .take_trace()
        .into_iter()
        .filter(|l| l.contains(" b>c nom"))
        .collect();
    assert_eq!(
        b_stands,
        [
            "1850 b>c nom 2 101 b",
            "1950 b>c nom 2 102 b",
            "2050 b>c nom 2 103 b",
            "2150 b>c nom 2 104 b",
            "2250 b>c nom 2 105 b",
            "3150 b>c nom 3 106 b",
        ]
    );
    assert!(c.nodes[2]
        .events
        .iter()
        .all(|(_, e)| !matches!(e, Event::PersistGrant(_))));
}

/// \[Q9\] Renewals go to every voter; the lease counts from the send time of the latest
/// renewal answered by a quorum: 950 + 450 until the answers of 1050 arrive (at 1080),
/// then 1050 + 450 (not 1080 + 450).
#[test]
fn q9_lease_counted_from_renewal_send_time() {
    let mut c = established(&["a", "b", "c"]);
    c.deliver = false;
    c.run_until(1080);
    assert_eq!(c.e(0).lease_left(c.now), Some(Duration::from_millis(320)));
    c.deliver = true;
    c.settle();
    assert_eq!(
        c.take_trace(),
        [
            "1050 a>b nom 1 5 a",
            "1050 a>c nom 1 6 a",
            "1080 b>a asg 1 5 a/b",
            "1080 c>a asg 1 6 a/c"
        ]
    );
    assert_eq!(c.e(0).lease_left(c.now), Some(Duration::from_millis(420)));
}
