//! PROTOCOL 5.9: a randomized property test of quorum mode over message loss, duplication,
//! delay, a slow grant file on b (its transmits held until written), crashes with restarts
//! from the grant file, partitions (whole or of one link) and switchovers (3 voters, and 2 +
//! witness). After every step: at most one winner per round and at most one member Promoting
//! or Active (the harness checks both); once faults stop: exactly one Active.

mod quorum_util;

use baton_election::NodeRole;
use proptest::prelude::*;
use quorum_util::*;
use std::time::Duration;

#[derive(Debug, Clone)]
enum Op {
    Deliver,
    Lose,
    Duplicate,
    /// Time passes, messages flow at once.
    Advance(u16),
    /// Time passes, messages wait (delay) for `Deliver`, `Lose`, `Duplicate` or `Advance`.
    Hold(u16),
    Crash(usize),
    Restart(usize),
    Isolate(usize),
    Cut(usize, usize),
    Heal,
    Switchover(usize),
    /// Node b writes its oldest grant asked for (b writes only on this op when `slow_disk`).
    Persist,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => Just(Op::Deliver),
        2 => Just(Op::Lose),
        2 => Just(Op::Duplicate),
        6 => (1u16..400).prop_map(Op::Advance),
        3 => (1u16..400).prop_map(Op::Hold),
        1 => (0usize..3).prop_map(Op::Crash),
        1 => (0usize..3).prop_map(Op::Restart),
        1 => (0usize..3).prop_map(Op::Isolate),
        2 => (0usize..3, 1usize..3).prop_map(|(i, d)| Op::Cut(i, (i + d) % 3)),
        1 => Just(Op::Heal),
        1 => (0usize..3).prop_map(Op::Switchover),
        2 => Just(Op::Persist),
    ]
}

fn run(witness: bool, slow_disk: bool, ops: &[Op]) {
    let (names, w): (&[&str], &[usize]) = if witness {
        (&["a", "b", "w"], &[2])
    } else {
        (&["a", "b", "c"], &[])
    };
    let mut c = Cluster::new(names, w);
    c.deliver = false;
    c.nodes[1].auto_persist = !slow_disk;
    c.start_all();
    for op in ops {
        match *op {
            Op::Deliver => {
                c.deliver_next();
            }
            Op::Lose => c.drop_next(),
            Op::Duplicate => c.duplicate_next(),
            Op::Advance(ms) => {
                c.deliver = true;
                c.run_for(Duration::from_millis(u64::from(ms)));
                c.deliver = false;
            }
            Op::Hold(ms) => c.run_for(Duration::from_millis(u64::from(ms))),
            Op::Crash(i) if c.is_up(i) => c.crash(i),
            Op::Restart(i) if !c.is_up(i) => c.start(i),
            Op::Isolate(i) => c.isolate(i),
            Op::Cut(i, j) => c.cut_pair(i, j),
            Op::Heal => c.heal(),
            Op::Switchover(i) if c.is_up(i) => {
                let _ = c.act(i, |e, now| e.switchover(now));
            }
            Op::Persist if c.is_up(1) && !c.nodes[1].to_persist.is_empty() => c.persist(1),
            _ => {}
        }
    }
    // Faults stop: every member runs, links heal, messages flow, b's disk keeps up.
    c.nodes[1].auto_persist = true;
    while c.is_up(1) && !c.nodes[1].to_persist.is_empty() {
        c.persist(1);
    }
    for i in 0..c.n() {
        if !c.is_up(i) {
            c.start(i);
        }
    }
    c.heal();
    c.deliver = true;
    c.run_for(Duration::from_secs(30));
    let active: Vec<usize> = (0..c.n())
        .filter(|i| c.role(*i) == NodeRole::Active)
        .collect();
    assert_eq!(active.len(), 1, "roles {:?} after {ops:?}", c.roles());
    for i in (0..c.n()).filter(|i| !active.contains(i)) {
        assert_eq!(c.role(i), NodeRole::Standby, "roles {:?}", c.roles());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn at_most_one_winner_per_round_three_voters(
        slow_disk: bool,
        ops in prop::collection::vec(op(), 0..80),
    ) {
        run(false, slow_disk, &ops);
    }

    #[test]
    fn at_most_one_winner_per_round_two_plus_witness(
        slow_disk: bool,
        ops in prop::collection::vec(op(), 0..80),
    ) {
        run(true, slow_disk, &ops);
    }
}
