//! Model checks the real quorum Election (PROTOCOL 5.9) with stateright at small bounds
//! (`conformance/MODEL.md`, "Quorum mode"): 3 voters and 2 members + a witness, with the
//! server isolated, crashes, a lost grant file, cuts, loss, duplication, clocks at ±10 %,
//! failure detection late or instant. Planted broken timing (components that outlive the
//! demotion bound, clocks beyond the configured drift) must be found.

use baton_conformance::model_quorum::check::{check, describe, Report};
use baton_conformance::model_quorum::properties::{FAILOVER, ONE_SERVING, SERVES};
use baton_conformance::model_quorum::{Bounds, Setup, Topology};
use std::time::Duration;

fn run(setup: Setup) -> Report {
    let label = format!(
        "{:?} {:?} horizon {} eager {} detect {} isolate {}",
        setup.topology,
        setup.bounds,
        setup.horizon,
        setup.eager,
        setup.detect,
        setup.isolate_server
    );
    let (m, r) = check(setup, 2);
    eprintln!(
        "{label}: {} states ({} generated), depth {}, {:.2?}",
        r.states, r.generated, r.max_depth, r.elapsed
    );
    for (name, path) in r.counterexamples.iter().take(1) {
        eprintln!("{}", describe(&m, name, path));
    }
    r
}

fn assert_holds(r: &Report) {
    let names: Vec<_> = r.counterexamples.iter().map(|(n, _)| *n).collect();
    assert!(names.is_empty(), "violated: {names:?}");
    assert!(r.examples.contains(&SERVES), "nobody ever serves");
}

fn setup(topology: Topology, bounds: Bounds, horizon: u32) -> Setup {
    let mut s = Setup::new(topology, bounds, horizon);
    s.eager = true;
    s
}

/// The server is cut off from both others: it must stop (lease) before another wins.
#[test]
fn three_members_server_isolated() {
    let mut s = setup(Topology::ThreeMembers, Bounds::default(), 12);
    s.isolate_server = true;
    let r = run(s);
    assert_holds(&r);
    assert!(
        r.examples.contains(&FAILOVER),
        "the isolated server is never replaced"
    );
}

#[test]
fn witness_server_isolated_detected_at_once() {
    let mut s = setup(Topology::TwoAndWitness, Bounds::default(), 12);
    s.isolate_server = true;
    s.detect = true;
    let r = run(s);
    assert_holds(&r);
    assert!(
        r.examples.contains(&FAILOVER),
        "the isolated server is never replaced"
    );
}

#[test]
fn three_members_a_crash() {
    let r = run(setup(
        Topology::ThreeMembers,
        Bounds {
            crashes: 1,
            ..Bounds::default()
        },
        8,
    ));
    assert_holds(&r);
}

#[test]
fn three_members_a_lost_grant_file() {
    let mut s = setup(
        Topology::ThreeMembers,
        Bounds {
            crashes: 1,
            lost_grants: 1,
            ..Bounds::default()
        },
        6,
    );
    s.detect = true;
    assert_holds(&run(s));
}

#[test]
fn witness_a_cut_and_a_loss() {
    let mut s = setup(
        Topology::TwoAndWitness,
        Bounds {
            cuts: 1,
            losses: 1,
            ..Bounds::default()
        },
        6,
    );
    s.converge_sample = 4;
    assert_holds(&run(s));
}

/// Grant writes and role-layer answers as separate steps, so a crash can come between a
/// grant and its write (\[Q1\]), with a duplicated message.
#[test]
fn witness_a_crash_between_grant_and_write_and_a_duplicate() {
    let mut s = Setup::new(
        Topology::TwoAndWitness,
        Bounds {
            crashes: 1,
            duplicates: 1,
            ..Bounds::default()
        },
        4,
    );
    s.converge_sample = 4;
    assert_holds(&run(s));
}

/// Components that take 1.5 s to stop when the demotion bound says 200 ms (a broken
/// watchdog): the lease inequality no longer covers them, and the checker must find two
/// members serving at once.
#[test]
fn planted_slow_demotion_is_found() {
    let mut s = setup(Topology::ThreeMembers, Bounds::default(), 12);
    s.isolate_server = true;
    s.converge_sample = 0;
    s.demotion = Duration::from_millis(1500);
    let r = run(s);
    let names: Vec<_> = r.counterexamples.iter().map(|(n, _)| *n).collect();
    assert!(names.contains(&ONE_SERVING), "not found: {names:?}");
}
