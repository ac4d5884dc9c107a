//! Seeded random walks of the quorum model (`model_quorum::walk`): the real quorum
//! Election (PROTOCOL 5.9) for 3 members and for 2 members + a witness, 6 s of faults per
//! walk (crashes, a lost grant file, cuts, loss, duplication, promotion failures, clocks
//! at ±10 %), then the fair run must converge. Every step checks that at most one member
//! serves (components until the demotion bound) and one winner per round.
//!
//! Campaign: `cargo run --release -p baton-conformance --bin model_check_quorum -- --walk
//! 100000 [--witness]` (`conformance/MODEL.md`, "Quorum mode").

use baton_conformance::model_quorum::walk::{describe, walk, WalkConfig};
use baton_conformance::model_quorum::Topology;

fn walks(topology: Topology, seeds: std::ops::Range<u64>) {
    let cfg = WalkConfig::new(topology);
    let (mut faults, mut rounds, mut worst) = (0u64, 0usize, 0u32);
    for seed in seeds.clone() {
        match walk(seed, &cfg) {
            Ok(o) => {
                faults += u64::from(o.faults);
                rounds += o.rounds;
                worst = worst.max(o.converged_after);
            }
            Err(f) => panic!("{}", describe(&cfg, &f)),
        }
    }
    eprintln!("{topology:?} seeds {seeds:?}: {faults} faults, {rounds} rounds, worst convergence {worst} ticks");
    assert!(faults > seeds.count() as u64, "too few faults injected");
}

#[test]
fn three_members_1000_seeds() {
    walks(Topology::ThreeMembers, 0..1000);
}

#[test]
fn two_members_and_a_witness_1000_seeds() {
    walks(Topology::TwoAndWitness, 0..1000);
}

/// A walk replays exactly: the same seed gives the same outcome.
#[test]
fn a_seed_replays() {
    let cfg = WalkConfig::new(Topology::ThreeMembers);
    let (a, b) = (
        walk(7, &cfg).expect("passes"),
        walk(7, &cfg).expect("passes"),
    );
    assert_eq!(
        (a.steps, a.faults, a.rounds, a.converged_after),
        (b.steps, b.faults, b.rounds, b.converged_after)
    );
}
