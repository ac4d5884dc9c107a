//! Components in order (PROTOCOL 6.1, *Components in order*): `setRole` in the order of
//! `after` on a promotion, in reverse on a demotion; exact outputs.

use baton_asn1::role::ReturnCode;
use baton_core::LinkId;
use baton_role::{
    ComponentOrder, ComponentRoleState as S, FailedComponent, FailureReason, ManagerEvent as E,
    OrderError, Role, RoleConfig, RoleManager,
};
use std::time::Duration;

mod support;
use support::{answer, at, events, transmits, tx};

fn assigned(component: &str, role: Role) -> E {
    E::ComponentAssigned {
        component: component.into(),
        role,
    }
}

/// A manager whose component "2" (the VIP) is after "1" (the application); "3" has no order.
fn manager(pairs: &[(&str, &[&str])]) -> RoleManager {
    let order = ComponentOrder::new(pairs.iter().map(|(id, a)| (*id, a.iter().copied())));
    RoleManager::new(RoleConfig {
        role_timeout: Duration::from_secs(1),
        order: order.unwrap(),
    })
}

/// Components "1", "2", "3" on links 1, 2, 3; "2" after "1".
fn app_vip_other() -> RoleManager {
    let mut m = manager(&[("2", &["1"])]);
    for (link, id) in [(1, "1"), (2, "2"), (3, "3")] {
        m.handle_component_registered(at(0), LinkId(link), id)
            .unwrap();
    }
    m
}

/// Promotes `app_vip_other` with every answer a success: correlation ids 1 to 3 used.
fn promoted() -> RoleManager {
    let mut m = app_vip_other();
    m.assign(at(0), Role::active);
    answer(&mut m, at(1), 1, "1", ReturnCode::success);
    answer(&mut m, at(1), 3, "2", ReturnCode::success);
    answer(&mut m, at(2), 2, "3", ReturnCode::success);
    transmits(&mut m);
    events(&mut m);
    m
}

#[test]
fn a_promotion_sends_active_to_a_component_only_once_the_ones_it_is_after_confirmed() {
    let mut m = app_vip_other();
    assert_eq!(m.assign(at(10), Role::active), 1);
    // "1" and "3" at once; "2" held: no setRole, no role timeout, its state unchanged.
    assert_eq!(
        transmits(&mut m),
        vec![tx(1, "1", Role::active), tx(3, "2", Role::active)]
    );
    assert_eq!(m.component("2"), Some((LinkId(2), S::Unassigned)));
    assert_eq!(m.poll_timeout(), Some(at(1010)));
    // "3" confirming releases nothing.
    answer(&mut m, at(20), 3, "2", ReturnCode::success);
    assert_eq!(transmits(&mut m), vec![]);
    // "1" confirming releases "2", whose role timeout runs from its own setRole (per step).
    answer(&mut m, at(900), 1, "1", ReturnCode::success);
    assert_eq!(transmits(&mut m), vec![tx(2, "3", Role::active)]);
    assert_eq!(m.poll_timeout(), Some(at(1900)));
    m.handle_timeout(at(1010));
    assert_eq!(transmits(&mut m), vec![]);
    answer(&mut m, at(1500), 2, "3", ReturnCode::success);
    assert_eq!(
        events(&mut m),
        vec![
            assigned("3", Role::active),
            assigned("1", Role::active),
            assigned("2", Role::active),
            E::AssignmentDone {
                role: Role::active,
                generation: 1,
                failed: vec![]
            },
        ]
    );
    assert!(!m.is_assigning());
}

#[test]
fn a_demotion_goes_in_reverse_and_completes_even_if_a_component_refuses() {
    let mut m = promoted();
    assert_eq!(m.assign(at(100), Role::standby), 2);
    // "1" waits for "2", which is after it.
    assert_eq!(
        transmits(&mut m),
        vec![tx(2, "4", Role::standby), tx(3, "5", Role::standby)]
    );
    assert_eq!(
        m.component("1"),
        Some((LinkId(1), S::Assigned(Role::active)))
    );
    // "2" refuses to stand by: "1" is sent standby all the same.
    answer(&mut m, at(110), 2, "4", ReturnCode::failure);
    assert_eq!(transmits(&mut m), vec![tx(1, "6", Role::standby)]);
    answer(&mut m, at(120), 3, "5", ReturnCode::success);
    answer(&mut m, at(130), 1, "6", ReturnCode::success);
    assert_eq!(
        events(&mut m),
        vec![
            E::ComponentFailed {
                component: "2".into(),
                role: Role::standby,
                reason: FailureReason::Refused
            },
            assigned("3", Role::standby),
            assigned("1", Role::standby),
            E::AssignmentDone {
                role: Role::standby,
                generation: 2,
                failed: vec![FailedComponent {
                    component: "2".into(),
                    reason: FailureReason::Refused
                }]
            },
        ]
    );
}

#[test]
fn a_component_that_times_out_in_a_demotion_releases_the_ones_before_it() {
    let mut m = promoted();
    m.assign(at(100), Role::standby);
    assert_eq!(
        transmits(&mut m),
        vec![tx(2, "4", Role::standby), tx(3, "5", Role::standby)]
    );
    m.handle_timeout(at(1100));
    assert_eq!(transmits(&mut m), vec![tx(1, "6", Role::standby)]);
}

#[test]
fn a_promotion_failing_midway_leaves_the_later_components_unsent_and_the_demotion_reverses() {
    let mut m = app_vip_other();
    m.assign(at(0), Role::active);
    assert_eq!(
        transmits(&mut m),
        vec![tx(1, "1", Role::active), tx(3, "2", Role::active)]
    );
    answer(&mut m, at(5), 3, "2", ReturnCode::success);
    answer(&mut m, at(10), 1, "1", ReturnCode::failure);
    // The VIP was never told active.
    assert_eq!(transmits(&mut m), vec![]);
    assert_eq!(
        events(&mut m),
        vec![
            assigned("3", Role::active),
            E::ComponentFailed {
                component: "1".into(),
                role: Role::active,
                reason: FailureReason::Refused
            },
            E::AssignmentFailed {
                role: Role::active,
                generation: 1,
                component: "1".into(),
                reason: FailureReason::Refused
            },
        ]
    );
    assert_eq!(m.component("2"), Some((LinkId(2), S::Unassigned)));
    assert_eq!(m.poll_timeout(), None);
    // The node stands its components by again: the VIP first, then the application.
    m.assign(at(20), Role::standby);
    assert_eq!(
        transmits(&mut m),
        vec![tx(2, "3", Role::standby), tx(3, "4", Role::standby)]
    );
    answer(&mut m, at(25), 2, "3", ReturnCode::success);
    assert_eq!(transmits(&mut m), vec![tx(1, "5", Role::standby)]);
}

#[test]
fn a_chain_goes_one_step_at_a_time_each_with_its_own_role_timeout() {
    let mut m = manager(&[("2", &["1"]), ("3", &["2"])]);
    for l in 1..=3 {
        m.handle_component_registered(at(0), LinkId(l), l.to_string())
            .unwrap();
    }
    m.assign(at(0), Role::active);
    assert_eq!(transmits(&mut m), vec![tx(1, "1", Role::active)]);
    answer(&mut m, at(900), 1, "1", ReturnCode::success);
    assert_eq!(transmits(&mut m), vec![tx(2, "2", Role::active)]);
    answer(&mut m, at(1800), 2, "2", ReturnCode::success);
    assert_eq!(transmits(&mut m), vec![tx(3, "3", Role::active)]);
    assert_eq!(m.poll_timeout(), Some(at(2800)));
    m.handle_timeout(at(2800));
    assert_eq!(
        events(&mut m).last(),
        Some(&E::AssignmentFailed {
            role: Role::active,
            generation: 1,
            component: "3".into(),
            reason: FailureReason::TimedOut
        })
    );
    // Standby: 3, then 2, then 1.
    m.assign(at(3000), Role::standby);
    assert_eq!(transmits(&mut m), vec![tx(3, "4", Role::standby)]);
    answer(&mut m, at(3001), 3, "4", ReturnCode::success);
    assert_eq!(transmits(&mut m), vec![tx(2, "5", Role::standby)]);
    answer(&mut m, at(3002), 2, "5", ReturnCode::success);
    assert_eq!(transmits(&mut m), vec![tx(1, "6", Role::standby)]);
}

#[test]
fn a_component_after_one_that_is_not_registered_is_not_held() {
    let mut m = manager(&[("2", &["1"])]);
    m.handle_component_registered(at(0), LinkId(2), "2")
        .unwrap();
    m.assign(at(0), Role::active);
    assert_eq!(transmits(&mut m), vec![tx(2, "1", Role::active)]);
    // "1" registers late, during the round: it joins it at once.
    m.handle_component_registered(at(5), LinkId(1), "1")
        .unwrap();
    assert_eq!(transmits(&mut m), vec![tx(1, "2", Role::active)]);
}

#[test]
fn a_late_registrant_joining_a_round_waits_for_its_turn() {
    let mut m = manager(&[("2", &["1"])]);
    m.handle_component_registered(at(0), LinkId(1), "1")
        .unwrap();
    m.assign(at(0), Role::active);
    assert_eq!(transmits(&mut m), vec![tx(1, "1", Role::active)]);
    m.handle_component_registered(at(5), LinkId(2), "2")
        .unwrap();
    assert_eq!(transmits(&mut m), vec![]);
    answer(&mut m, at(10), 1, "1", ReturnCode::success);
    assert_eq!(transmits(&mut m), vec![tx(2, "2", Role::active)]);
    answer(&mut m, at(20), 2, "2", ReturnCode::success);
    // Once the round is over, a registrant is sent the role at once.
    m.handle_component_registered(at(30), LinkId(3), "3")
        .unwrap();
    assert_eq!(transmits(&mut m), vec![tx(3, "3", Role::active)]);
}

#[test]
fn a_held_component_whose_link_closes_leaves_the_round() {
    let mut m = app_vip_other();
    m.assign(at(0), Role::active);
    transmits(&mut m);
    m.handle_link_closed(at(1), LinkId(2));
    answer(&mut m, at(2), 1, "1", ReturnCode::success);
    answer(&mut m, at(3), 3, "2", ReturnCode::success);
    assert_eq!(transmits(&mut m), vec![]);
    assert_eq!(
        events(&mut m),
        vec![
            assigned("1", Role::active),
            assigned("3", Role::active),
            E::AssignmentDone {
                role: Role::active,
                generation: 1,
                failed: vec![]
            },
        ]
    );
}

#[test]
fn a_new_round_supersedes_a_round_in_order() {
    let mut m = app_vip_other();
    m.assign(at(0), Role::active);
    transmits(&mut m);
    // Demoted before the application confirmed: the VIP, never active, is stood by first.
    m.assign(at(1), Role::standby);
    assert_eq!(
        transmits(&mut m),
        vec![tx(2, "3", Role::standby), tx(3, "4", Role::standby)]
    );
    // The application's late answer to the abandoned round releases nothing.
    answer(&mut m, at(2), 1, "1", ReturnCode::success);
    assert_eq!(transmits(&mut m), vec![]);
    answer(&mut m, at(3), 2, "3", ReturnCode::success);
    assert_eq!(transmits(&mut m), vec![tx(1, "5", Role::standby)]);
}

#[test]
fn an_order_refuses_self_references_and_cycles() {
    let e = ComponentOrder::new([("1", ["1"])]).unwrap_err();
    assert_eq!(e, OrderError::SelfReference("1".into()));
    assert_eq!(e.to_string(), "component 1 is after itself");
    let e = ComponentOrder::new([("1", vec!["3"]), ("2", vec!["1"]), ("3", vec!["2", "4"])])
        .unwrap_err();
    assert_eq!(
        e,
        OrderError::Cycle(vec!["1".into(), "3".into(), "2".into()])
    );
    assert_eq!(
        e.to_string(),
        "the components are after each other in a cycle: 1 after 3 after 2 after 1"
    );
    let ok = ComponentOrder::new([("3", vec!["1", "2"]), ("2", vec!["1"])]).unwrap();
    assert_eq!(ok.after("3").collect::<Vec<_>>(), ["1", "2"]);
    assert_eq!(ok.before("1").collect::<Vec<_>>(), ["2", "3"]);
    assert!(ComponentOrder::default().is_empty());
}
