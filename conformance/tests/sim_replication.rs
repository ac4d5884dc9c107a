//! The simulation with replication (issue 13, PROTOCOL 6.11; `baton_conformance::sim::replicate`):
//! every component replicates through its node and writes records while active; after every
//! schedule no acknowledged `sync` update may be lost.
//!
//! - `replication_schedules_0_to_59`: 60 seeded schedules of the pair with every fault;
//! - `a_crash_of_the_active_loses_no_acknowledged_sync_update`: scripted, the standby node
//!   takes over with every acknowledged update;
//! - `planted_repertory_corruption_is_caught`: the standby node's repertory silently loses
//!   the acknowledged records, then the active crashes: the check names the lost update.
//!
//! More seeds: `cargo run --release -p baton-conformance --bin simulate -- --replication
//! --seeds 10000`.
//!
//! Known failures (open, reported for issue 13): `simulate --replication --start 1000 --seeds
//! 1000 --keep-going` fails 1 of 1000 (20 before rfix). Seed 1662 loses a `sync` update held
//! twice: during a partition the active crashes and restarts empty, its connect attempt into the
//! partition has not timed out when `startup_wait` ends, and it promotes alone (`alone =
//! "promote"`) and syncs the other node, which held the last copy, from nothing (PROTOCOL 6.11,
//! *What remains lost*). Fixed by rfix: the nineteen seeds where a node restarted empty was
//! promoted over a failed node holding the only copy (PROTOCOL 6.11, *Joins between standby
//! nodes*); 1169 (`n1's election is not settled`) passes now, its schedule changed; its cause
//! apparently was not replication's: the active's `nomination` on a new link whose hello still
//! waited at the peer (PROTOCOL 4, duplicate links) was dropped there and never answered.
//! The same pattern fails seed 398 of `--start 0 --seeds 1000` (1 of 1000; it passed before
//! the join answers changed its schedule); `--start 2000 --seeds 1000`: none.

use baton_conformance::sim::{self, replicate, SimConfig, World};
use baton_election::NodeRole;
use std::time::Duration;

const A: usize = 0;
const B: usize = 1;

fn config() -> SimConfig {
    SimConfig {
        replication: true,
        ..SimConfig::default()
    }
}

#[test]
fn replication_schedules_0_to_59() {
    let (mut acked, mut allowed, mut async_lost) = (0, 0, 0);
    for seed in 0..60 {
        match sim::run(seed, &config()) {
            Ok(o) => {
                acked += o.replication.acked_sync;
                allowed += o.replication.sync_lost_allowed;
                async_lost += o.replication.async_lost;
            }
            Err(v) => panic!("{v}"),
        }
    }
    // The schedules do replicate (a run whose components never wrote would pass).
    assert!(acked > 1000, "{acked} sync updates acknowledged");
    eprintln!(
        "60 schedules: {acked} sync updates acknowledged, {allowed} lost as allowed \
         (their only holder crashed or left Active), {async_lost} async lost"
    );
}

fn scripted(seed: u64) -> World {
    let config = SimConfig {
        components: (1, 1),
        replication: true,
        ..SimConfig::scripted()
    };
    let mut w = World::new(seed, config);
    run(&mut w, Duration::from_millis(1500));
    assert_eq!(w.role(A), Some(NodeRole::Active));
    assert_eq!(w.role(B), Some(NodeRole::Standby));
    w
}

fn run(w: &mut World, d: Duration) {
    if let Err(v) = w.run_for(d) {
        panic!("{v}");
    }
}

#[test]
fn a_crash_of_the_active_loses_no_acknowledged_sync_update() {
    let mut w = scripted(7);
    w.crash(A);
    run(&mut w, Duration::from_millis(1500));
    assert_eq!(w.role(B), Some(NodeRole::Active));
    let counts = replicate::acknowledged_kept(&w).unwrap();
    assert!(counts.acked_sync > 20, "{counts:?}");
    assert_eq!(counts.sync_lost_allowed, 0, "{counts:?}");
}

#[test]
fn planted_repertory_corruption_is_caught() {
    let mut w = scripted(7);
    assert_eq!(w.corrupt_standby_replica(), Some(B));
    w.crash(A);
    run(&mut w, Duration::from_millis(1500));
    assert_eq!(w.role(B), Some(NodeRole::Active));
    let lost = replicate::acknowledged_kept(&w).unwrap_err();
    assert!(
        lost.contains("of component 11 acknowledged at")
            && lost.ends_with("(held twice) is not in the repertory of the active node Some(1)"),
        "{lost}"
    );
}

/// `BATON_SIM_SEED=<seed> cargo test -p baton-conformance --test sim_replication replay --
/// --nocapture`: one replication schedule with the full trace.
#[test]
fn replay() {
    let Ok(seed) = std::env::var("BATON_SIM_SEED") else {
        return;
    };
    let seed: u64 = seed.parse().expect("BATON_SIM_SEED must be a number");
    let config = SimConfig {
        full_trace: true,
        ..config()
    };
    match sim::run(seed, &config) {
        Ok(o) => eprintln!("seed {seed}: ok {o:#?}"),
        Err(v) => panic!("{v}"),
    }
}
