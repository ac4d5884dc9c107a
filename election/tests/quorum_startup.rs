//! PROTOCOL 5.9: quorum-mode startup, witnesses, persistence and restarts, with exact
//! messages, times (ms of the virtual clock) and roles. Default timers: L_v 800, L_a 450,
//! renew 100, election_timeout 50, stagger 300, retry 100. At startup nobody is known serving:
//! the election timer of rank k is lease end + 50 + k × 300 [Q8].

mod quorum_util;

use baton_election::NodeRole::*;
use baton_election::{Event, Generation, Grant, Member, PersistedGrant, Role, Round, VoterLease};
use quorum_util::*;
use std::time::Duration;

fn grant(round: u32, member: usize) -> Grant {
    Grant {
        round: Round(round),
        member: Member(member),
    }
}

/// Every member starts with an unknown grant: each abstains for one voter lease (800 ms);
/// then a (rank 0) stands at 800 + 50, wins round 1 with b's grant, and renews from 950;
/// b and c stand by on the first renewal.
#[test]
fn quorum_startup_three_voters() {
    let mut c = Cluster::new(&["a", "b", "c"], &[]);
    c.start_all();
    c.run_until(849);
    assert!(c.take_trace().is_empty());
    assert_eq!(c.roles(), [Negotiating, Negotiating, Negotiating]);
    c.run_until(1000);
    assert_eq!(
        c.take_trace(),
        [
            "850 a>b nom 1 1 a",
            "850 a>c nom 1 2 a",
            "850 b>a asg 1 1 a/b",
            "850 c>a asg 1 2 a/c",
            "950 a>b nom 1 3 a",
            "950 a>c nom 1 4 a",
            "950 b>a asg 1 3 a/b",
            "950 c>a asg 1 4 a/c",
        ]
    );
    assert_eq!(
        c.take_events(0),
        [
            (
                0,
                Event::SetComponents {
                    role: Role::standby,
                    generation: Generation(1)
                }
            ),
            (850, Event::PersistGrant(grant(1, 0))),
            (
                850,
                Event::RoleChanged {
                    from: Negotiating,
                    to: Promoting
                }
            ),
            (
                850,
                Event::SetComponents {
                    role: Role::active,
                    generation: Generation(2)
                }
            ),
            (
                850,
                Event::RoleChanged {
                    from: Promoting,
                    to: Active
                }
            ),
        ]
    );
    assert_eq!(
        c.take_events(1),
        [
            (
                0,
                Event::SetComponents {
                    role: Role::standby,
                    generation: Generation(1)
                }
            ),
            (850, Event::PersistGrant(grant(1, 0))),
            (
                950,
                Event::RoleChanged {
                    from: Negotiating,
                    to: Standby
                }
            ),
        ]
    );
    assert_eq!(c.nodes[2].disk, PersistedGrant::Known(grant(1, 0)));
    assert_eq!(c.e(0).round(), Round(1));
    assert_eq!(c.e(0).lease_left(c.now), Some(Duration::from_millis(400)));
    assert_eq!(c.e(1).voter_lease(), VoterLease::For(Member(0)));
    assert!((0..3).all(|i| c.e(i).quorate() && c.e(i).is_settled()));
}

/// Two members and a witness: the same election; the witness votes and stands by.
#[test]
fn quorum_startup_two_plus_witness() {
    let mut c = Cluster::new(&["a", "b", "w"], &[2]);
    c.start_all();
    c.run_until(1000);
    assert_eq!(
        c.take_trace(),
        [
            "850 a>b nom 1 1 a",
            "850 a>w nom 1 2 a",
            "850 b>a asg 1 1 a/b",
            "850 w>a asg 1 2 a/w",
            "950 a>b nom 1 3 a",
            "950 a>w nom 1 4 a",
            "950 b>a asg 1 3 a/b",
            "950 w>a asg 1 4 a/w",
        ]
    );
    assert_eq!(c.roles(), [Active, Standby, Standby]);
}

/// a and b cannot reach each other and stand in the same round at the same time (no
/// stagger): the witness grants the first nomination it gets and vetoes the other.
#[test]
fn witness_tie_break() {
    let mut c = Cluster::with(&["a", "b", "w"], &[2], |c| {
        c.quorum.stagger = Duration::ZERO
    });
    c.cut.push((0, 1));
    c.start_all();
    c.run_until(1000);
    assert_eq!(
        c.take_trace(),
        [
            "850 a>w nom 1 1 a",
            "850 b>w nom 1 101 b",
            "850 w>a asg 1 1 a/w",
            "850 w>b veto 1 101 a/w",
            "950 a>w nom 1 2 a",
            "950 w>a asg 1 2 a/w",
        ]
    );
    assert_eq!(c.roles(), [Active, Negotiating, Standby]);
    assert_eq!(c.e(1).round(), Round(1), "b's candidacy was void");
    assert_eq!(c.e(1).candidacy_round(), None);
}

/// \[Q1\] A voter's grant answer leaves only once the grant is on disk.
#[test]
fn grant_held_until_persisted() {
    let mut c = Cluster::new(&["a", "b", "c"], &[]);
    c.nodes[1].auto_persist = false;
    c.nodes[2].auto_persist = false;
    c.start_all();
    c.run_until(900);
    assert_eq!(c.take_trace(), ["850 a>b nom 1 1 a", "850 a>c nom 1 2 a"]);
    assert!(c.e(1).grant_persisting());
    assert_eq!(c.nodes[1].to_persist, [grant(1, 0)]);
    assert_eq!(c.nodes[1].disk, PersistedGrant::Unknown);
    assert_eq!(c.role(0), Negotiating, "no grant came back");
    c.persist(1);
    c.settle();
    assert_eq!(c.take_trace(), ["900 b>a asg 1 1 a/b"]);
    assert_eq!(c.role(0), Active);
    c.persist(2);
    c.settle();
    assert_eq!(c.take_trace(), ["900 c>a asg 1 2 a/c"]);
}

/// A missing or corrupt grant file: the restarted voter abstains for one voter lease (its
/// answers are `electionError{lease}` in round 0), then grants again.
#[test]
fn unknown_grant_abstains_one_voter_lease() {
    let mut c = Cluster::new(&["a", "b", "c"], &[]);
    c.start_all();
    c.run_until(2000);
    c.crash(2);
    c.nodes[2].disk = PersistedGrant::Unknown;
    c.start(2);
    c.forget();
    c.run_until(3000);
    let c_said: Vec<String> = c
        .take_trace()
        .into_iter()
        .filter(|l| l.contains(" c>"))
        .collect();
    assert_eq!(
        c_said,
        [
            "2050 c>a err 0 26 lease",
            "2150 c>a err 0 28 lease",
            "2250 c>a err 0 30 lease",
            "2350 c>a err 0 32 lease",
            "2450 c>a err 0 34 lease",
            "2550 c>a err 0 36 lease",
            "2650 c>a err 0 38 lease",
            "2750 c>a err 0 40 lease",
            "2850 c>a asg 1 42 a/c",
            "2950 c>a asg 1 44 a/c",
        ]
    );
    assert_eq!(c.role_times(2), [(2950, Standby)]);
    assert_eq!(c.nodes[2].disk, PersistedGrant::Known(grant(1, 0)));
}

/// \[Q2\] A restarted member: Negotiating, components standby first, the voter lease of its
/// persisted grant re-armed. The restarted active (a, at 1100) does not stand before its
/// lease ends (1900 + 50), and grants b (a lease for itself does not bind it).
#[test]
fn restart_rearms_voter_lease() {
    let mut c = Cluster::new(&["a", "b", "c"], &[]);
    c.start_all();
    c.run_until(1000);
    c.crash(0);
    c.run_until(1100);
    c.forget();
    c.start(0);
    assert_eq!(
        c.take_events(0),
        [(
            1100,
            Event::SetComponents {
                role: Role::standby,
                generation: Generation(1)
            }
        )]
    );
    assert_eq!(c.role(0), Negotiating);
    assert_eq!(c.e(0).voter_lease(), VoterLease::For(Member(0)));
    assert_eq!(c.e(0).latest_grant(), Some(grant(1, 0)));
    c.run_until(2000);
    assert_eq!(
        c.take_trace(),
        [
            "1850 b>a nom 2 101 b",
            "1850 b>c nom 2 102 b",
            "1850 a>b asg 2 101 b/a",
            "1850 c>b asg 2 102 b/c",
            "1950 b>a nom 2 103 b",
            "1950 b>c nom 2 104 b",
            "1950 a>b asg 2 103 b/a",
            "1950 c>b asg 2 104 b/c",
        ]
    );
    assert_eq!(c.role_times(0), [(1950, Standby)]);
    assert_eq!(c.role_times(1), [(1850, Promoting), (1850, Active)]);
}

/// \[Q5\] The serving member sees a higher round (b's nomination in round 7): it refuses,
/// and re-elects in round 8 while staying Active.
#[test]
fn higher_round_reelects_keeping_role() {
    let mut c = Cluster::new(&["a", "b", "c"], &[]);
    c.start_all();
    c.run_until(1000);
    c.forget();
    c.inject(1, 0, nom("7 900", "b"));
    c.run_until(1100);
    assert_eq!(
        c.take_trace(),
        [
            "1000 a>b err 1 900 lease",
            "1000 a>b nom 8 5 a",
            "1000 a>c nom 8 6 a",
            "1000 b>a asg 8 5 a/b",
            "1000 c>a asg 8 6 a/c",
            "1100 a>b nom 8 7 a",
            "1100 a>c nom 8 8 a",
            "1100 b>a asg 8 7 a/b",
            "1100 c>a asg 8 8 a/c",
        ]
    );
    assert_eq!(c.take_events(0), [(1000, Event::PersistGrant(grant(8, 0)))]);
    assert_eq!(c.role(0), Active);
    assert_eq!(c.e(0).serving_round(), Some(Round(8)));
}
