//! The conformance tool's own CI: faults planted in a test build of the node (feature
//! `plant`, `BATON_PLANT=<name>`) are each caught by the named conformance test, and by no
//! other. Run with `cargo test -p baton-node --features plant --test conformance_plants`
//! (`.ci/run` does); without the feature this file is empty.
#![cfg(feature = "plant")]

mod conformance_iut;

use conformance_iut::{runtime, Iut};

/// Runs the member suite against alpha with `plant`; the failed test ids.
fn failed_with(plant: &str) -> Vec<&'static str> {
    let iut = Iut::start(plant, 0, Some(plant));
    let report = runtime().block_on(baton_tester::member::run(&iut.member_setup()));
    eprintln!("{}", report.text(true));
    report.failed_ids()
}

#[test]
fn a_dropped_veto_is_caught_by_the_active_self_nomination_row() {
    assert_eq!(
        failed_with("veto-dropped"),
        ["election.active.self-nomination"]
    );
}

#[test]
fn an_unchecked_size_constraint_is_caught_by_the_constraint_test() {
    assert_eq!(
        failed_with("constraint-unchecked"),
        ["frame.constraint-refused"]
    );
}

#[test]
fn a_stale_answer_taken_is_caught_by_the_stale_answer_test() {
    assert_eq!(
        failed_with("stale-answer"),
        ["election.stale-answer-ignored"]
    );
}

#[test]
fn a_candidacy_kept_after_a_higher_veto_is_caught_by_the_void_on_veto_test() {
    let (_iut, setup) = Iut::start_quorum("higher-veto", Some("higher-veto-ignored"));
    let report = runtime().block_on(baton_tester::member::run(&setup));
    eprintln!("{}", report.text(true));
    assert_eq!(report.failed_ids(), ["quorum.void-on-veto"]);
}

#[test]
fn notices_sent_after_the_role_are_caught_by_the_reregistration_test() {
    let iut = Iut::start_with_component("notices", Some("notices-after-role"));
    let report = runtime().block_on(baton_tester::node::run(&iut.node_setup()));
    eprintln!("{}", report.text(true));
    let failed = report.failed_ids();
    // The first registration may come before the node has a role (then no setRole follows
    // it at once); the re-registration, to an Active node, always gets its role at once.
    assert!(failed.contains(&"node.reregistration"), "{failed:?}");
    assert!(
        failed
            .iter()
            .all(|id| ["node.reregistration", "node.notices-first"].contains(id)),
        "{failed:?}"
    );
}

#[test]
fn without_a_plant_the_same_build_passes() {
    assert_eq!(failed_with("none"), Vec::<&str>::new());
    let iut = Iut::start_with_component("clean", Some("none"));
    let report = runtime().block_on(baton_tester::node::run(&iut.node_setup()));
    assert_eq!(report.failed_ids(), Vec::<&str>::new());
}

#[test]
fn an_election_timer_without_its_stagger_is_caught_by_the_timer_test() {
    // Beta, rank 1: alpha, never known serving, adds a stagger to its timer.
    let (_iut, setup) = Iut::start_quorum_as("stagger", Some("stagger-ignored"), 1, false);
    let report = runtime().block_on(baton_tester::member::run(&setup));
    eprintln!("{}", report.text(true));
    assert_eq!(report.failed_ids(), ["quorum.election-timer-by-rank"]);
}

#[test]
fn a_hello_not_bound_to_its_certificate_is_caught_by_the_binding_test() {
    let (_iut, setup) = Iut::start_quorum_as("unbound", Some("hello-unbound"), 0, true);
    let report = runtime().block_on(baton_tester::member::run(&setup));
    eprintln!("{}", report.text(true));
    let failed = report.failed_ids();
    // With the member's own link up, the duplicate-link rule may still refuse the forger.
    assert!(
        failed.contains(&"tls.peer.hello-binds-certificate"),
        "{failed:?}"
    );
    assert!(
        failed.iter().all(|id| [
            "tls.peer.hello-binds-certificate",
            "tls.peer.refused-hello-keeps-link"
        ]
        .contains(id)),
        "{failed:?}"
    );
}
