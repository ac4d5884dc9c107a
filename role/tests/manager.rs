//! The node side: role assignment sequence (PROTOCOL 7.8) and its failure cases.

use baton_asn1::role::ReturnCode;
use baton_core::LinkId;
use baton_role::{
    set_role, set_role_response, ComponentRole, ComponentRoleEvent, ComponentRoleState as S,
    FailedComponent, FailureReason, IgnoredReason, ManagerEvent as E, Role, RoleError, RoleManager,
    Transmit,
};

mod support;
use support::{answer, at, events, transmits, tx};

/// Two components "10" and "20" registered on links 1 and 2.
fn two_components() -> RoleManager {
    let mut m = RoleManager::default();
    m.handle_component_registered(at(0), LinkId(1), "10")
        .unwrap();
    m.handle_component_registered(at(0), LinkId(2), "20")
        .unwrap();
    assert_eq!(transmits(&mut m), vec![]);
    assert_eq!(m.component("10"), Some((LinkId(1), S::Unassigned)));
    m
}

/// PROTOCOL 7.8, role assignment sequence: after the election the node sends
/// `setRole{active}` to each of its components, each answers `setRoleResponse{success}` with
/// the request's `correlationId`, and the node's role is established. Then a switchover:
/// `setRole{standby}` the same way. Real `ComponentRole`s answer.
#[test]
fn role_assignment() {
    let mut node = two_components();
    let mut comps = [ComponentRole::default(), ComponentRole::default()];
    for (i, c) in comps.iter_mut().enumerate() {
        c.handle_node_connected(at(0), LinkId(i as u64 + 1));
        assert_eq!(
            c.poll_event(),
            Some(ComponentRoleEvent::Connected {
                role: None,
                self_demoted: false
            })
        );
    }

    // Node -> components: setRole{active}, fresh correlationIds.
    assert_eq!(node.assign(at(10), Role::active), 1);
    let sent = transmits(&mut node);
    assert_eq!(
        sent,
        vec![tx(1, "1", Role::active), tx(2, "2", Role::active)]
    );
    assert_eq!(
        node.component("10"),
        Some((LinkId(1), S::Assigning(Role::active)))
    );
    assert_eq!(node.poll_timeout(), Some(at(1010)));

    // Components: RoleRequested to the application, which accepts.
    for (c, t) in comps.iter_mut().zip(&sent) {
        c.handle_message(at(20), t.message.clone());
        let correlation = if t.link == LinkId(1) { "1" } else { "2" };
        assert_eq!(
            c.poll_event(),
            Some(ComponentRoleEvent::RoleRequested {
                role: Role::active,
                correlation: correlation.into()
            })
        );
        assert_eq!(c.accept(at(30)), Ok(Role::active));
        let reply = c.poll_transmit().unwrap();
        assert_eq!(
            reply,
            Transmit {
                link: t.link,
                message: set_role_response(correlation, ReturnCode::success)
            }
        );
        assert_eq!(c.role(), Some(Role::active));
        node.handle_message(at(40), reply.link, reply.message);
    }
    assert_eq!(
        events(&mut node),
        vec![
            E::ComponentAssigned {
                component: "10".into(),
                role: Role::active
            },
            E::ComponentAssigned {
                component: "20".into(),
                role: Role::active
            },
            E::AssignmentDone {
                role: Role::active,
                generation: 1,
                failed: vec![]
            },
        ]
    );
    assert_eq!(
        node.component("20"),
        Some((LinkId(2), S::Assigned(Role::active)))
    );
    assert!(!node.is_assigning());
    assert_eq!(node.poll_timeout(), None);

    // Switchover: setRole{standby}, answered the same way.
    assert_eq!(node.assign(at(500), Role::standby), 2);
    let sent = transmits(&mut node);
    assert_eq!(
        sent,
        vec![tx(1, "3", Role::standby), tx(2, "4", Role::standby)]
    );
    for (c, t) in comps.iter_mut().zip(&sent) {
        c.handle_message(at(510), t.message.clone());
        assert!(matches!(
            c.poll_event(),
            Some(ComponentRoleEvent::RoleRequested {
                role: Role::standby,
                ..
            })
        ));
        assert_eq!(c.accept(at(520)), Ok(Role::standby));
        let reply = c.poll_transmit().unwrap();
        node.handle_message(at(530), reply.link, reply.message);
    }
    assert_eq!(
        events(&mut node),
        vec![
            E::ComponentAssigned {
                component: "10".into(),
                role: Role::standby
            },
            E::ComponentAssigned {
                component: "20".into(),
                role: Role::standby
            },
            E::AssignmentDone {
                role: Role::standby,
                generation: 2,
                failed: vec![]
            },
        ]
    );
}

#[test]
fn promotion_fails_on_timeout() {
    let mut m = two_components();
    m.assign(at(0), Role::active);
    transmits(&mut m);
    answer(&mut m, at(100), 1, "1", ReturnCode::success);
    assert_eq!(
        events(&mut m),
        vec![E::ComponentAssigned {
            component: "10".into(),
            role: Role::active
        }]
    );
    assert_eq!(m.poll_timeout(), Some(at(1000)));
    m.handle_timeout(at(999));
    assert_eq!(events(&mut m), vec![]);
    m.handle_timeout(at(1000));
    assert_eq!(
        events(&mut m),
        vec![
            E::ComponentFailed {
                component: "20".into(),
                role: Role::active,
                reason: FailureReason::TimedOut
            },
            E::AssignmentFailed {
                role: Role::active,
                generation: 1,
                component: "20".into(),
                reason: FailureReason::TimedOut
            },
        ]
    );
    assert_eq!(
        m.component("20"),
        Some((LinkId(2), S::Failed(Role::active)))
    );
    // The answer arrives too late: it counts for nothing.
    answer(&mut m, at(1100), 2, "2", ReturnCode::success);
    assert_eq!(
        events(&mut m),
        vec![E::Ignored {
            link: LinkId(2),
            reason: IgnoredReason::UnknownCorrelation("2".into())
        }]
    );
    assert_eq!(
        m.component("20"),
        Some((LinkId(2), S::Failed(Role::active)))
    );
}

#[test]
fn promotion_fails_on_refusal_and_later_answers_only_update_states() {
    let mut m = two_components();
    m.assign(at(0), Role::active);
    transmits(&mut m);
    answer(&mut m, at(10), 2, "2", ReturnCode::failure);
    assert_eq!(
        events(&mut m),
        vec![
            E::ComponentFailed {
                component: "20".into(),
                role: Role::active,
                reason: FailureReason::Refused
            },
            E::AssignmentFailed {
                role: Role::active,
                generation: 1,
                component: "20".into(),
                reason: FailureReason::Refused
            },
        ]
    );
    assert!(!m.is_assigning());
    answer(&mut m, at(20), 1, "1", ReturnCode::success);
    assert_eq!(
        events(&mut m),
        vec![E::ComponentAssigned {
            component: "10".into(),
            role: Role::active
        }]
    );
}

#[test]
fn promotion_fails_when_a_link_closes() {
    let mut m = two_components();
    m.assign(at(0), Role::active);
    transmits(&mut m);
    m.handle_link_closed(at(5), LinkId(1));
    assert_eq!(
        events(&mut m),
        vec![
            E::ComponentFailed {
                component: "10".into(),
                role: Role::active,
                reason: FailureReason::LinkClosed
            },
            E::AssignmentFailed {
                role: Role::active,
                generation: 1,
                component: "10".into(),
                reason: FailureReason::LinkClosed
            },
        ]
    );
    assert_eq!(m.component("10"), None);
}

#[test]
fn demotion_completes_despite_refusal_and_timeout() {
    let mut m = RoleManager::default();
    for (link, id) in [(1, "10"), (2, "20"), (3, "30")] {
        m.handle_component_registered(at(0), LinkId(link), id)
            .unwrap();
    }
    m.assign(at(0), Role::standby);
    assert_eq!(
        transmits(&mut m),
        vec![
            tx(1, "1", Role::standby),
            tx(2, "2", Role::standby),
            tx(3, "3", Role::standby)
        ]
    );
    answer(&mut m, at(10), 1, "1", ReturnCode::failure);
    answer(&mut m, at(20), 3, "3", ReturnCode::success);
    assert_eq!(
        events(&mut m),
        vec![
            E::ComponentFailed {
                component: "10".into(),
                role: Role::standby,
                reason: FailureReason::Refused
            },
            E::ComponentAssigned {
                component: "30".into(),
                role: Role::standby
            },
        ]
    );
    assert!(m.is_assigning());
    m.handle_timeout(at(1000));
    assert_eq!(
        events(&mut m),
        vec![
            E::ComponentFailed {
                component: "20".into(),
                role: Role::standby,
                reason: FailureReason::TimedOut
            },
            E::AssignmentDone {
                role: Role::standby,
                generation: 1,
                failed: vec![
                    FailedComponent {
                        component: "10".into(),
                        reason: FailureReason::Refused
                    },
                    FailedComponent {
                        component: "20".into(),
                        reason: FailureReason::TimedOut
                    },
                ]
            },
        ]
    );
}

/// A `setRoleResponse` of an abandoned assignment never counts toward the next one.
#[test]
fn stale_response_ignored() {
    let mut m = two_components();
    assert_eq!(m.assign(at(0), Role::active), 1);
    assert_eq!(
        transmits(&mut m),
        vec![tx(1, "1", Role::active), tx(2, "2", Role::active)]
    );
    // Superseded before anyone answered (the promotion was abandoned).
    assert_eq!(m.assign(at(100), Role::standby), 2);
    assert_eq!(
        transmits(&mut m),
        vec![tx(1, "3", Role::standby), tx(2, "4", Role::standby)]
    );
    // Answers to generation 1 arrive: ignored, states untouched.
    answer(&mut m, at(150), 1, "1", ReturnCode::success);
    answer(&mut m, at(150), 2, "2", ReturnCode::failure);
    assert_eq!(
        events(&mut m),
        vec![
            E::Ignored {
                link: LinkId(1),
                reason: IgnoredReason::UnknownCorrelation("1".into())
            },
            E::Ignored {
                link: LinkId(2),
                reason: IgnoredReason::UnknownCorrelation("2".into())
            },
        ]
    );
    assert_eq!(
        m.component("10"),
        Some((LinkId(1), S::Assigning(Role::standby)))
    );
    // A correlationId of another component's request does not count either.
    answer(&mut m, at(160), 1, "4", ReturnCode::success);
    assert_eq!(
        events(&mut m),
        vec![E::Ignored {
            link: LinkId(1),
            reason: IgnoredReason::UnknownCorrelation("4".into())
        }]
    );
    // The role timeout runs from the latest setRole.
    assert_eq!(m.poll_timeout(), Some(at(1100)));
    answer(&mut m, at(200), 1, "3", ReturnCode::success);
    answer(&mut m, at(200), 2, "4", ReturnCode::success);
    assert_eq!(
        events(&mut m),
        vec![
            E::ComponentAssigned {
                component: "10".into(),
                role: Role::standby
            },
            E::ComponentAssigned {
                component: "20".into(),
                role: Role::standby
            },
            E::AssignmentDone {
                role: Role::standby,
                generation: 2,
                failed: vec![]
            },
        ]
    );
    assert_eq!(m.poll_timeout(), None);
}

#[test]
fn late_registration() {
    let mut m = RoleManager::default();
    // No component yet: the assignment completes at once.
    assert_eq!(m.assign(at(0), Role::active), 1);
    assert_eq!(
        events(&mut m),
        vec![E::AssignmentDone {
            role: Role::active,
            generation: 1,
            failed: vec![]
        }]
    );
    // A late registrant receives the current role; its answer is its own business.
    m.handle_component_registered(at(50), LinkId(7), "70")
        .unwrap();
    assert_eq!(transmits(&mut m), vec![tx(7, "1", Role::active)]);
    assert_eq!(m.poll_timeout(), Some(at(1050)));
    answer(&mut m, at(60), 7, "1", ReturnCode::success);
    assert_eq!(
        events(&mut m),
        vec![E::ComponentAssigned {
            component: "70".into(),
            role: Role::active
        }]
    );

    // A registrant during an assignment joins it: the assignment waits for it too.
    m.assign(at(100), Role::standby);
    assert_eq!(transmits(&mut m), vec![tx(7, "2", Role::standby)]);
    m.handle_component_registered(at(110), LinkId(8), "80")
        .unwrap();
    assert_eq!(transmits(&mut m), vec![tx(8, "3", Role::standby)]);
    answer(&mut m, at(120), 7, "2", ReturnCode::success);
    assert_eq!(
        events(&mut m),
        vec![E::ComponentAssigned {
            component: "70".into(),
            role: Role::standby
        }]
    );
    answer(&mut m, at(130), 8, "3", ReturnCode::success);
    assert_eq!(
        events(&mut m),
        vec![
            E::ComponentAssigned {
                component: "80".into(),
                role: Role::standby
            },
            E::AssignmentDone {
                role: Role::standby,
                generation: 2,
                failed: vec![]
            },
        ]
    );
}

#[test]
fn reconnecting_component_replaces_its_old_link() {
    let mut m = two_components();
    m.assign(at(0), Role::active);
    transmits(&mut m);
    answer(&mut m, at(10), 1, "1", ReturnCode::success);
    events(&mut m);
    // "20" reconnects on link 9 before link 2 is seen closed: it takes link 2's place.
    m.handle_component_registered(at(20), LinkId(9), "20")
        .unwrap();
    assert_eq!(transmits(&mut m), vec![tx(9, "3", Role::active)]);
    assert_eq!(
        m.component("20"),
        Some((LinkId(9), S::Assigning(Role::active)))
    );
    m.handle_link_closed(at(25), LinkId(2));
    answer(&mut m, at(30), 2, "2", ReturnCode::success);
    answer(&mut m, at(30), 9, "3", ReturnCode::success);
    assert_eq!(
        events(&mut m),
        vec![
            E::Ignored {
                link: LinkId(2),
                reason: IgnoredReason::UnregisteredLink
            },
            E::ComponentAssigned {
                component: "20".into(),
                role: Role::active
            },
            E::AssignmentDone {
                role: Role::active,
                generation: 1,
                failed: vec![]
            },
        ]
    );
}

#[test]
fn misbehaviour_is_an_event_and_misuse_an_error() {
    let mut m = two_components();
    m.handle_message(at(0), LinkId(1), set_role("5", Role::active));
    m.handle_message(
        at(0),
        LinkId(1),
        set_role_response("5", ReturnCode::success),
    );
    m.handle_message(
        at(0),
        LinkId(42),
        set_role_response("1", ReturnCode::success),
    );
    assert_eq!(
        events(&mut m),
        vec![
            E::Ignored {
                link: LinkId(1),
                reason: IgnoredReason::UnexpectedSetRole
            },
            E::Ignored {
                link: LinkId(1),
                reason: IgnoredReason::UnknownCorrelation("5".into())
            },
            E::Ignored {
                link: LinkId(42),
                reason: IgnoredReason::UnregisteredLink
            },
        ]
    );
    assert_eq!(
        m.handle_component_registered(at(0), LinkId(1), "99"),
        Err(RoleError::LinkAlreadyRegistered(LinkId(1)))
    );
    // Closing an unknown link is harmless.
    m.handle_link_closed(at(0), LinkId(42));
    assert_eq!(events(&mut m), vec![]);
    assert_eq!(m.components().count(), 2);
}

/// PROTOCOL 2.3, Role correlationIds: an assignment in a round sends `"<round> <seq>"` ids
/// (seq: the counter modulo 65536), a late registrant's included; answers match by equality.
#[test]
fn an_assignment_in_a_round_sends_ids_carrying_the_round() {
    let mut m = RoleManager::with_correlation(
        baton_role::RoleConfig::default(),
        baton_core::CorrelationCounter::starting_at(65_535),
    );
    m.handle_component_registered(at(0), LinkId(1), "10")
        .unwrap();
    let g = m.assign_in_round(at(0), Role::active, 3);
    assert_eq!(transmits(&mut m), vec![tx(1, "3 65535", Role::active)]);
    m.handle_component_registered(at(1), LinkId(2), "20")
        .unwrap();
    assert_eq!(transmits(&mut m), vec![tx(2, "3 0", Role::active)]);
    // The round alone does not match: the whole id must.
    answer(&mut m, at(2), 1, "3 1", ReturnCode::success);
    answer(&mut m, at(2), 1, "3 65535", ReturnCode::success);
    answer(&mut m, at(2), 2, "3 0", ReturnCode::success);
    assert_eq!(
        events(&mut m),
        vec![
            E::Ignored {
                link: LinkId(1),
                reason: IgnoredReason::UnknownCorrelation("3 1".into())
            },
            E::ComponentAssigned {
                component: "10".into(),
                role: Role::active
            },
            E::ComponentAssigned {
                component: "20".into(),
                role: Role::active
            },
            E::AssignmentDone {
                role: Role::active,
                generation: g,
                failed: vec![]
            },
        ]
    );
    // A plain assignment goes back to the counter's ids.
    m.assign(at(3), Role::standby);
    assert_eq!(
        transmits(&mut m),
        vec![tx(1, "65537", Role::standby), tx(2, "65538", Role::standby)]
    );
}
