//! Deterministic simulation of quorum mode through whole engine nodes
//! (`baton_conformance::sim`, topologies three, witness and five): per-host clocks within
//! `1 ± ρ`, grant files written with a delay (lost on a crash mid-write; lost or corrupt on
//! a restart in lost-file runs), fencing in a third of the seeds, crashes, stalls, isolation
//! of the active or of a minority, flapping links, resets, duplicated frames, refusals,
//! switchovers. Every step checks that at most one member has active components, that a
//! witness never serves and (except in lost-file runs) one winner per round; after the
//! faults, convergence within the quorum bound.
//!
//! With `simulation.rs` (the pair), 1000 seeds in all: pair 250, three 300, witness 300,
//! five 150. Replay: `BATON_SIM_SEED=<seed> BATON_SIM_TOPOLOGY=<topology> cargo test -p
//! baton-conformance --test simulation replay -- --nocapture`. Campaign: `cargo run
//! --release -p baton-conformance --bin simulate -- --mode quorum --seeds 100000`
//! (`conformance/MODEL.md`, "Simulation").
//!
//! The model's walks (`model_quorum::walk`: the bare Election on the model's ticks) keep a
//! smaller smoke test here: the engine-level schedules above cover what they covered, with
//! the real node around the Election.

use baton_conformance::model_quorum::walk::{describe, walk, WalkConfig};
use baton_conformance::model_quorum::Topology as ModelTopology;
use baton_conformance::sim::clock::HostClock;
use baton_conformance::sim::{self, check, FaultConfig, SimConfig, Topology, World};
use baton_election::NodeRole;
use std::time::{Duration, Instant as WallClock};

/// The CI length: 4 s of faults and 7.5 s of quiet (the campaign's 5 s and 8 s: the quiet
/// phase still outlasts the 7 s convergence bound).
fn ci(topology: Topology) -> SimConfig {
    SimConfig {
        fault_phase: Duration::from_secs(4),
        quiet_phase: Duration::from_millis(7500),
        ..SimConfig::for_topology(topology)
    }
}

fn batch(topology: Topology, seeds: std::ops::Range<u64>) {
    let config = ci(topology);
    let start = WallClock::now();
    let (mut worst, mut faults, mut rounds, mut twice) = (Duration::ZERO, 0, 0, 0);
    for seed in seeds.clone() {
        match sim::run(seed, &config) {
            Ok(o) => {
                worst = worst.max(o.converged_after.unwrap_or_default());
                faults += o.faults.len();
                rounds += o.rounds;
                twice += o.rounds_won_twice;
            }
            Err(v) => panic!("{v}"),
        }
    }
    eprintln!(
        "{topology} seeds {seeds:?}: ok in {:?}, {faults} faults, {rounds} rounds won, {twice} \
         won twice (lost-file runs), slowest convergence {worst:?}",
        start.elapsed()
    );
    assert!(faults > seeds.count(), "too few faults injected");
}

#[test]
fn three_0_to_149() {
    batch(Topology::Three, 0..150);
}

#[test]
fn three_150_to_299() {
    batch(Topology::Three, 150..300);
}

#[test]
fn witness_0_to_149() {
    batch(Topology::TwoAndWitness, 0..150);
}

#[test]
fn witness_150_to_299() {
    batch(Topology::TwoAndWitness, 150..300);
}

#[test]
fn five_0_to_74() {
    batch(Topology::Five, 0..75);
}

#[test]
fn five_75_to_149() {
    batch(Topology::Five, 75..150);
}

fn walks(topology: ModelTopology, seeds: std::ops::Range<u64>) {
    let cfg = WalkConfig::new(topology);
    for seed in seeds {
        if let Err(f) = walk(seed, &cfg) {
            panic!("{}", describe(&cfg, &f));
        }
    }
}

/// The model's walk mode (used by `model_check_quorum --walk`) still runs and passes.
#[test]
fn model_walks_smoke() {
    walks(ModelTopology::ThreeMembers, 0..100);
    walks(ModelTopology::TwoAndWitness, 0..100);
}

/// A schedule replays exactly, clocks and grant files included.
#[test]
fn a_quorum_seed_replays() {
    let config = SimConfig::for_topology(Topology::Three);
    let (a, b) = (
        sim::run(7, &config).expect("passes"),
        sim::run(7, &config).expect("passes"),
    );
    assert_eq!(
        (a.steps, a.delivered, &a.faults, a.rounds),
        (b.steps, b.delivered, &b.faults, b.rounds)
    );
}

// ---- scenarios ----

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn run(w: &mut World, d: Duration) {
    if let Err(v) = w.run_for(d) {
        panic!("{v}");
    }
}

/// A scripted quorum cluster (no random faults; `fence` on or off), converged.
fn converged(topology: Topology, seed: u64, fence: bool) -> World {
    let config = SimConfig {
        faults: FaultConfig::none(),
        fence_every: u64::from(fence),
        lost_grant_every: 0,
        components: (2, 2),
        ..SimConfig::for_topology(topology)
    };
    let mut w = World::new(seed, config);
    run(&mut w, ms(3000));
    check::converged(&w).unwrap_or_else(|e| panic!("{e}\n{}", w.trace_lines().join("\n")));
    w
}

fn active(w: &World) -> usize {
    (0..w.members.len())
        .find(|m| w.role(*m) == Some(NodeRole::Active))
        .expect("an active member")
}

fn first_change_to(w: &World, m: usize, to: NodeRole, after: Duration) -> Option<Duration> {
    w.role_changes()
        .iter()
        .map(|c| (c.0.since_origin(), c.1, c.3))
        .find(|(at, who, role)| *who == m && *role == to && *at >= after)
        .map(|c| c.0)
}

/// A stalled active's components stand down on their watchdog; another member promotes only
/// once the voters' leases ran out (never two serving: checked at every step); the resumed
/// node stands down at once and does not serve again.
#[test]
fn a_stalled_active_is_replaced_after_the_voter_leases() {
    let mut w = converged(Topology::Three, 11, false);
    let old = active(&w);
    let stalled_at = w.now().since_origin();
    w.stall(old);
    run(&mut w, ms(2000));
    assert_eq!(w.components_active(old), [false, false]);
    // The stalled node still believes it is Active: it has not run since.
    assert_eq!(w.role(old), Some(NodeRole::Active));
    let new = (0..3)
        .find(|m| *m != old && w.role(*m) == Some(NodeRole::Active))
        .expect("a new active");
    let promoted = first_change_to(&w, new, NodeRole::Promoting, stalled_at).unwrap();
    // The voters' leases (800 ms on drifting clocks) from their last renewal, at most one
    // renew period (100 ms) before the stall.
    assert!(
        promoted - stalled_at >= ms(650),
        "{:?}",
        promoted - stalled_at
    );
    let resumed_at = w.now().since_origin();
    w.resume(old);
    run(&mut w, ms(3000));
    assert_eq!(active(&w), new);
    assert_eq!(w.role(old), Some(NodeRole::Standby));
    assert_eq!(
        first_change_to(&w, old, NodeRole::Promoting, resumed_at),
        None
    );
    check::converged(&w).unwrap();
}

/// Two members and a witness: the witness's vote lets beta take over when alpha dies; the
/// witness never serves and has no components.
#[test]
fn the_witness_breaks_the_tie() {
    let mut w = converged(Topology::TwoAndWitness, 12, false);
    assert!(w.members[2].components.is_empty());
    let old = active(&w);
    assert_ne!(old, 2, "the witness never serves");
    w.crash(old);
    run(&mut w, ms(2500));
    assert_eq!(active(&w), 1 - old);
    assert_eq!(w.role(2), Some(NodeRole::Standby));
    w.restart(old);
    run(&mut w, ms(3000));
    assert_eq!(active(&w), 1 - old, "no preemption");
    check::converged(&w).unwrap();
}

/// With fencing, the member that wins after a stall fences the stalled active: the fence
/// command kills it (it is reachable), the winner promotes, the killed member restarts as a
/// standby.
#[test]
fn fencing_kills_a_stalled_active() {
    let mut w = converged(Topology::Three, 13, true);
    let old = active(&w);
    w.stall(old);
    run(&mut w, ms(2500));
    let new = active(&w);
    assert_ne!(new, old, "killed, restarted, not active");
    assert!(
        w.faults_applied()
            .iter()
            .any(|f| f.ends_with(&format!("fence kills n{old}"))),
        "{:?}",
        w.faults_applied()
    );
    run(&mut w, ms(3000));
    assert_eq!(w.role(old), Some(NodeRole::Standby));
    assert_eq!(active(&w), new);
    check::converged(&w).unwrap();
}

/// The first seed of `0..100` that breaks "at most one serving" under `config`.
fn first_dual_active(config: &SimConfig) -> Option<sim::Violation> {
    (0..100).find_map(|seed| {
        sim::run(seed, config)
            .err()
            .filter(|v| v.check == "6 (at most one serving)")
    })
}

/// The checks can fail: applications that take up to 900 ms to stand by (beyond the
/// demotion bound `D` = 300 ms of the lease inequality) let a new member serve beside them.
#[test]
fn a_planted_slow_demotion_is_found() {
    let config = SimConfig {
        standby_think_max: ms(900),
        ..ci(Topology::Three)
    };
    let v = first_dual_active(&config).expect("a demotion beyond D is found");
    eprintln!("{}", v.message);
}

/// A converged three-member cluster whose clocks, from now on, run at `slow` ppm on the
/// active and `fast` ppm on the others (the same readings now); then the active is cut off.
fn isolate_drifting_active(slow: i64, fast: i64) -> (World, Result<(), sim::Violation>) {
    let config = SimConfig {
        faults: FaultConfig::none(),
        fence_every: 0,
        lost_grant_every: 0,
        ..ci(Topology::Three)
    };
    let mut w = World::new(21, config);
    run(&mut w, ms(3000));
    let a = active(&w);
    let t = w.now().since_origin().as_nanos() as i128;
    for m in 0..3 {
        let rate_ppm = if m == a { slow } else { fast };
        let reading = w.members[m].clock.local(w.now()).since_origin().as_nanos() as i128;
        let origin = reading - t * (1_000_000 + i128::from(rate_ppm)) / 1_000_000 + 1;
        let origin = Duration::from_nanos(u64::try_from(origin).expect("origins are seconds"));
        w.members[m].clock = HostClock { rate_ppm, origin };
    }
    w.isolate(1 << a);
    let result = w.run_for(ms(2000));
    (w, result)
}

/// At the edge of ρ (the active 1 % slow, the voters 1 % fast) the isolated active stands
/// down before another member serves; the checks fail with 45 % (planted).
#[test]
fn drift_within_rho_is_safe_beyond_it_is_found() {
    let (w, within) = isolate_drifting_active(-10_000, 10_000);
    within.unwrap_or_else(|v| panic!("{v}"));
    assert_eq!(
        (0..3)
            .filter(|m| w.role(*m) == Some(NodeRole::Active))
            .count(),
        1
    );
    let (_, beyond) = isolate_drifting_active(-450_000, 450_000);
    let v = beyond.expect_err("two serving at once");
    assert_eq!(v.check, "6 (at most one serving)", "{v}");
}
