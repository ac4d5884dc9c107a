//! PROTOCOL 5.9.5 and 5.9.6: the default stagger (300 ms) keeps the priority order at
//! startup when the highest-priority member is late (a process started late, a slow grant
//! file write on a busy host), and does not delay the first backup's failover. The election
//! timer [Q8]: lease end + election_timeout + one stagger per member before this one, but
//! one election_timeout for the member last known serving.

mod quorum_util;

use baton_election::NodeRole::*;
use baton_election::QuorumTimers;
use quorum_util::*;
use std::time::Duration;

/// b and c start at 0; a starts `late` ms later and its grant file takes `write` ms to reach
/// the disk. Returns the cluster at 3 s.
fn late_highest(stagger: Duration, late: u64, write: u64) -> Cluster {
    let mut c = Cluster::with(&["a", "b", "c"], &[], |c| c.quorum.stagger = stagger);
    c.nodes[0].auto_persist = false;
    c.start(1);
    c.start(2);
    c.run_until(late);
    c.start(0);
    // a's abstention ends at late + 800, its election timer fires 50 ms later.
    let stands = late + 850;
    c.run_until(stands);
    assert_eq!(c.nodes[0].to_persist.len(), 1, "a stood at {stands}");
    c.run_until(stands + write);
    c.persist(0);
    c.run_until(3000);
    c
}

#[test]
fn default_stagger_is_300_ms() {
    assert_eq!(QuorumTimers::default().stagger, Duration::from_millis(300));
    assert_eq!(QuorumTimers::default().check(), Ok(()));
}

/// a 140 ms late and its grant write 140 ms slow: its nominations leave at 1130, before b's
/// timer (800 + 50 + 300 = 1150): a wins round 1. With the former 50 ms stagger b stood at
/// 900 and won (and kept the service, re-elected in round 3 after a's late candidacy [Q5]).
#[test]
fn priority_order_holds_at_startup_with_the_first_member_280_ms_behind() {
    let c = late_highest(QuorumTimers::default().stagger, 140, 140);
    assert_eq!(c.winners.iter().collect::<Vec<_>>(), [(&1, &0)]);
    assert_eq!(c.role_times(0), [(1130, Promoting), (1130, Active)]);
    assert_eq!(c.roles(), [Active, Standby, Standby]);

    let c = late_highest(Duration::from_millis(50), 140, 140);
    assert_eq!(c.winners.iter().collect::<Vec<_>>(), [(&1, &1), (&3, &1)]);
    assert_eq!(c.roles(), [Standby, Active, Standby]);
}

/// The margin is 300 ms (b's timer 1150 against a's 850): a member more than that behind
/// loses its priority at startup and does not take it back (no preemption): a's late
/// candidacy in round 1 only makes b re-elect in round 2 [Q5].
#[test]
fn priority_order_lost_beyond_the_stagger_margin() {
    let c = late_highest(QuorumTimers::default().stagger, 200, 200);
    assert_eq!(c.winners.iter().collect::<Vec<_>>(), [(&1, &1), (&2, &1)]);
    assert_eq!(c.role_times(1), [(1150, Promoting), (1150, Active)]);
    assert_eq!(c.roles(), [Standby, Active, Standby]);
}

/// The first backup's failover waits no stagger: a, serving, dies; the voters' leases end at
/// 1750 and b (a before it, last known serving, adds 50) stands at 1750 + 50 + 50, with a
/// stagger of 50, 300 or 1000 ms alike.
#[test]
fn first_backup_failover_does_not_wait_the_stagger() {
    for stagger in [50, 300, 1000] {
        let mut c = Cluster::with(&["a", "b", "c"], &[], |c| {
            c.quorum.stagger = Duration::from_millis(stagger)
        });
        c.start_all();
        c.run_until(1000);
        assert_eq!(c.roles(), [Active, Standby, Standby], "stagger {stagger}");
        c.crash(0);
        c.run_until(1900);
        assert_eq!(
            c.role_times(1),
            [(950, Standby), (1850, Promoting), (1850, Active)]
        );
    }
}
