//! PROTOCOL 5.9: quorum fencing (5.9.8), the timer inequality's numbers (5.9.6), the
//! configuration checks (5.9.1) and witnesses, with exact outputs.

mod quorum_util;

use baton_election::NodeRole::*;
use baton_election::{
    Config, ConfigError, Event, Grant, Member, QuorumConfigError, QuorumTimers, Round, TimersError,
    VoterLease,
};
use quorum_util::*;
use std::time::Duration;

/// PROTOCOL 5.10 in quorum mode: the winner of round 2 fences the member last known
/// serving that did not release (a, crashed) before promoting; a failed fencing is retried
/// after `fence_retry` while it keeps the lease with renewals.
#[test]
fn quorum_fencing_before_promotion() {
    let mut c = Cluster::with(&["a", "b", "c"], &[], |c| c.fence = true);
    c.start_all();
    c.run_until(1000);
    c.forget();
    c.crash(0);
    c.run_until(1850);
    assert_eq!(
        c.take_events(1),
        [
            (
                1850,
                Event::PersistGrant(Grant {
                    round: Round(2),
                    member: Member(1)
                })
            ),
            (1850, Event::Fence { member: Member(0) }),
        ]
    );
    assert_eq!((c.role(1), c.e(1).fencing()), (Standby, Some(Member(0))));
    c.act(1, |e, now| e.handle_fence_done(now, Member(0), false));
    c.run_until(2849);
    assert!(c.take_events(1).is_empty());
    assert_eq!(c.e(2).voter_lease(), VoterLease::For(Member(1)));
    c.run_until(2850);
    assert_eq!(
        c.take_events(1),
        [(2850, Event::Fence { member: Member(0) })]
    );
    c.act(1, |e, now| e.handle_fence_done(now, Member(0), true));
    c.settle();
    assert_eq!(c.role_times(1), [(2850, Promoting), (2850, Active)]);
    assert_eq!(c.e(1).fencing(), None);
}

/// A switchover releases: the new winner fences nobody.
#[test]
fn quorum_release_needs_no_fencing() {
    let mut c = Cluster::with(&["a", "b", "c"], &[], |c| c.fence = true);
    c.start_all();
    c.run_until(1000);
    c.act(0, |e, now| e.switchover(now)).unwrap();
    c.settle();
    assert_eq!(c.role(1), Active);
    assert!(c.nodes[1]
        .events
        .iter()
        .all(|(_, e)| !matches!(e, Event::Fence { .. })));
}

/// PROTOCOL 5.9.6: the defaults pass; DESIGN's example (ρ = 1 %, D = 500 ms, L_v = 1500 ms)
/// allows L_a up to 975.297 ms; each broken bound is refused with its numbers.
#[test]
fn timers_check_reports_numbers() {
    assert_eq!(QuorumTimers::default().check(), Ok(()));
    let mut t = QuorumTimers {
        voter_lease: Duration::from_millis(1500),
        demotion_bound: Duration::from_millis(500),
        active_lease: Duration::from_millis(975),
        ..QuorumTimers::default()
    };
    assert_eq!(t.check(), Ok(()));
    assert_eq!(t.max_active_lease(), Duration::from_nanos(975_297_028));
    t.active_lease = Duration::from_millis(976);
    let e = t.check().unwrap_err();
    assert_eq!(
        e.to_string(),
        "lease inequality broken: active_lease 976.000 ms / (1 - 10000 ppm) + demotion_bound \
         500.000 ms = 1485.858 ms exceeds voter_lease 1500.000 ms / (1 + 10000 ppm) = \
         1485.148 ms; with these, active_lease must be at most 975.297 ms"
    );
    let t = QuorumTimers {
        renew: Duration::from_millis(151),
        ..QuorumTimers::default()
    };
    assert_eq!(
        t.check(),
        Err(TimersError::Renew {
            renew: Duration::from_millis(151),
            max: Duration::from_millis(150)
        })
    );
    assert_eq!(
        QuorumTimers::default()
            .check_retry(Duration::from_millis(225))
            .unwrap_err()
            .to_string(),
        "retry 225.000 ms must be under active_lease / 2 = 225.000 ms"
    );
    let mut c = Config::quorum(&["a", "b", "c"], 0);
    c.quorum.voter_lease = Duration::from_millis(700);
    assert!(matches!(
        c.validate(),
        Err(ConfigError::Quorum(QuorumConfigError::Timers(
            TimersError::Lease { .. }
        )))
    ));
}

/// PROTOCOL 5.9.1: 3 to 9 voters, witnesses valid and not everyone.
#[test]
fn quorum_config_checks() {
    let q = |names: &[&str], w: &[usize]| {
        let mut c = Config::quorum(names, 0);
        c.witnesses = w.to_vec();
        c.validate()
    };
    let err = |e| Err(ConfigError::Quorum(e));
    assert_eq!(q(&["a", "b", "w"], &[2]), Ok(()));
    assert_eq!(q(&["a", "b"], &[]), err(QuorumConfigError::TooFewVoters(2)));
    let ten = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
    assert_eq!(q(&ten, &[]), err(QuorumConfigError::TooManyMembers(10)));
    assert_eq!(q(&ten[..9], &[]), Ok(()));
    assert_eq!(
        q(&["a", "b", "w"], &[3]),
        err(QuorumConfigError::BadWitness(3))
    );
    assert_eq!(
        q(&["a", "b", "w"], &[2, 2]),
        err(QuorumConfigError::BadWitness(2))
    );
    assert_eq!(
        q(&["a", "b", "w"], &[0, 1, 2]),
        err(QuorumConfigError::NoCandidate)
    );
}

/// A witness never stands, and a witness's self-nomination is refused.
#[test]
fn witness_never_stands() {
    let mut c = Cluster::new(&["w", "a", "b"], &[0]);
    c.start_all();
    c.run_until(1000);
    assert_eq!(c.roles(), [Standby, Active, Standby]);
    assert_eq!(c.e(1).serving_round(), Some(Round(1)));
    c.take_trace();
    c.inject(0, 1, nom("9 1", "w"));
    assert_eq!(c.take_trace(), ["1000 a>w err 1 1 not a candidate"]);
}

/// \[Q1\] A transmit held for a grant being written is dropped with its link: it never
/// leaves on a dead link (the harness refuses such a transmit).
#[test]
fn held_transmit_dropped_with_its_link() {
    let mut c = Cluster::new(&["a", "b", "c"], &[]);
    c.nodes[1].auto_persist = false;
    c.start_all();
    c.run_until(850);
    assert_eq!(
        c.take_trace(),
        [
            "850 a>b nom 1 1 a",
            "850 a>c nom 1 2 a",
            "850 c>a asg 1 2 a/c"
        ]
    );
    c.cut_pair(0, 1);
    c.persist(1);
    assert!(c.take_trace().is_empty());
    assert!(c.e(1).is_settled());
}
