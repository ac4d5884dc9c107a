//! Model checks the real Election against PROTOCOL 5.8's properties with stateright at small bounds
//! (`conformance/MODEL.md`), and shows that planted adapter faults are found.

use baton_conformance::model::check::{check, describe, Report};
use baton_conformance::model::properties::{
    BOTH_SERVE, CONVERGES, NEWER_LOWER_SERVES, NEWEST_SERVES, ONE_SERVING, SETTLES,
};
use baton_conformance::model::{model_with, Bounds, Planted, Variant};

fn run(bounds: Bounds, variant: Variant) -> Report {
    let (m, r) = check(model_with(bounds, variant), 2, None);
    eprintln!(
        "{bounds:?} {variant:?}: {} states ({} generated), depth {}, {:.2?}",
        r.states, r.generated, r.max_depth, r.elapsed
    );
    for (name, path) in &r.counterexamples {
        eprintln!("{}", describe(&m, name, path));
    }
    r
}

fn assert_holds(r: &Report) {
    let names: Vec<_> = r.counterexamples.iter().map(|(n, _)| *n).collect();
    assert!(names.is_empty(), "violated: {names:?}");
    assert!(r.examples.contains(&SETTLES), "the pair never settles");
}

#[test]
fn crashes_failures_switchovers() {
    let r = run(
        Bounds {
            crashes: 1,
            failures: 1,
            switchovers: 1,
            retries: 1,
            ..Bounds::default()
        },
        Variant::default(),
    );
    assert_holds(&r);
    assert!(r.states > 10_000);
}

#[test]
fn two_crashes() {
    let r = run(
        Bounds {
            crashes: 2,
            retries: 1,
            ..Bounds::default()
        },
        Variant::default(),
    );
    assert_holds(&r);
}

#[test]
fn a_partition() {
    let r = run(
        Bounds {
            partitions: 1,
            failures: 1,
            switchovers: 1,
            retries: 1,
            ..Bounds::default()
        },
        Variant::default(),
    );
    assert_holds(&r);
    assert!(
        r.examples.contains(&BOTH_SERVE),
        "the partition never bites"
    );
    assert!(
        r.examples.contains(&NEWER_LOWER_SERVES),
        "generation never beats priority in a heal"
    );
}

#[test]
fn preempt_and_fatal() {
    let r = run(
        Bounds {
            crashes: 1,
            fatals: 1,
            switchovers: 1,
            retries: 1,
            ..Bounds::default()
        },
        Variant {
            preempt: true,
            planted: None,
        },
    );
    assert_holds(&r);
}

#[test]
fn planted_stale_answers_break_property_1() {
    let r = run(
        Bounds {
            crashes: 1,
            retries: 1,
            ..Bounds::default()
        },
        Variant {
            preempt: false,
            planted: Some(Planted::ReplayStaleFrames),
        },
    );
    assert!(
        r.counterexamples.iter().any(|(n, _)| *n == ONE_SERVING),
        "a stale answer taken as current must give two serving nodes"
    );
}

#[test]
fn planted_lost_vetoes_break_convergence() {
    let r = run(
        Bounds {
            crashes: 1,
            retries: 1,
            ..Bounds::default()
        },
        Variant {
            preempt: false,
            planted: Some(Planted::DropVetoes),
        },
    );
    assert!(
        r.counterexamples.iter().any(|(n, _)| *n == CONVERGES),
        "without vetoes the pair must fail to converge"
    );
}

#[test]
fn planted_tied_rounds_break_heal_by_generation() {
    let r = run(
        Bounds {
            partitions: 1,
            retries: 1,
            ..Bounds::default()
        },
        Variant {
            preempt: false,
            planted: Some(Planted::TieRounds),
        },
    );
    assert!(
        r.counterexamples.iter().any(|(n, _)| *n == NEWEST_SERVES),
        "a heal by priority must leave the older round serving"
    );
}
