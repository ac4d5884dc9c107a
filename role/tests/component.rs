//! The component side: answering `setRole` and the watchdog (DESIGN 4).

use baton_asn1::role::ReturnCode;
use baton_core::{Instant, LinkId};
use baton_role::{
    set_role, set_role_response, ComponentConfig, ComponentEvent as E, ComponentRole, Role,
    RoleError, Transmit, WatchdogReason,
};
use std::time::Duration;

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn events(c: &mut ComponentRole) -> Vec<E> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

/// A component connected on link 1 that accepted `active` at t = 0.
fn active_component() -> ComponentRole {
    let mut c = ComponentRole::new(ComponentConfig {
        dead_interval: Duration::from_millis(300),
    });
    c.handle_node_connected(at(0), LinkId(1));
    c.handle_message(at(0), set_role("1", Role::active));
    assert_eq!(c.accept(at(0)), Ok(Role::active));
    assert_eq!(
        c.poll_transmit(),
        Some(Transmit {
            link: LinkId(1),
            message: set_role_response("1", ReturnCode::success)
        })
    );
    events(&mut c);
    c
}

#[test]
fn watchdog_demotes_a_silent_node() {
    let mut c = active_component();
    assert_eq!(c.poll_timeout(), Some(at(300)));
    // Health queries keep it alive.
    c.handle_node_activity(at(100));
    c.handle_node_activity(at(200));
    assert_eq!(c.poll_timeout(), Some(at(500)));
    c.handle_timeout(at(499));
    assert_eq!(c.role(), Some(Role::active));
    c.handle_timeout(at(500));
    assert_eq!(
        events(&mut c),
        vec![E::SelfDemoted {
            reason: WatchdogReason::Silent
        }]
    );
    assert_eq!(c.role(), Some(Role::standby));
    assert!(c.self_demoted());
    assert_eq!(c.poll_timeout(), None);
    assert_eq!(c.poll_transmit(), None);
}

#[test]
fn watchdog_demotes_on_link_close_and_says_so_on_reconnect() {
    let mut c = active_component();
    c.handle_node_closed(at(50));
    assert_eq!(
        events(&mut c),
        vec![E::SelfDemoted {
            reason: WatchdogReason::LinkClosed
        }]
    );
    assert_eq!(c.role(), Some(Role::standby));
    assert_eq!(c.poll_timeout(), None);
    c.handle_node_connected(at(1000), LinkId(2));
    assert_eq!(
        events(&mut c),
        vec![E::Connected {
            role: Some(Role::standby),
            self_demoted: true
        }]
    );
    // The restarted node sends the current role (late registration); accepting clears it.
    c.handle_message(at(1010), set_role("1", Role::active));
    assert_eq!(c.accept(at(1020)), Ok(Role::active));
    assert!(!c.self_demoted());
    assert_eq!(c.poll_transmit().map(|t| t.link), Some(LinkId(2)));
    assert_eq!(c.poll_timeout(), Some(at(1310)));
}

#[test]
fn watchdog_sleeps_while_standby() {
    let mut c = ComponentRole::default();
    c.handle_node_connected(at(0), LinkId(1));
    c.handle_message(at(0), set_role("1", Role::standby));
    c.accept(at(0)).unwrap();
    assert_eq!(c.poll_timeout(), None);
    c.handle_node_closed(at(10));
    assert_eq!(
        events(&mut c),
        vec![
            E::Connected {
                role: None,
                self_demoted: false
            },
            E::RoleRequested {
                role: Role::standby,
                correlation: "1".into()
            },
        ]
    );
    assert!(!c.self_demoted());
}

#[test]
fn refusal_answers_failure_and_keeps_the_role() {
    let mut c = active_component();
    c.handle_message(at(10), set_role("77", Role::standby));
    assert_eq!(c.pending_request(), Some(("77".into(), Role::standby)));
    assert_eq!(c.refuse(at(20)), Ok(Role::standby));
    assert_eq!(
        c.poll_transmit(),
        Some(Transmit {
            link: LinkId(1),
            message: set_role_response("77", ReturnCode::failure)
        })
    );
    assert_eq!(c.role(), Some(Role::active));
    assert_eq!(c.refuse(at(20)), Err(RoleError::NoPendingRequest));
    assert_eq!(c.accept(at(20)), Err(RoleError::NoPendingRequest));
}

#[test]
fn newer_request_replaces_and_close_withdraws() {
    let mut c = ComponentRole::default();
    c.handle_node_connected(at(0), LinkId(1));
    c.handle_message(at(0), set_role("1", Role::active));
    c.handle_message(at(5), set_role("2", Role::standby));
    // accept answers the latest request and says which role that was.
    assert_eq!(c.accept(at(6)), Ok(Role::standby));
    assert_eq!(
        c.poll_transmit().map(|t| t.message),
        Some(set_role_response("2", ReturnCode::success))
    );
    c.handle_message(at(10), set_role("3", Role::active));
    c.handle_node_closed(at(11));
    assert_eq!(
        events(&mut c),
        vec![
            E::Connected {
                role: None,
                self_demoted: false
            },
            E::RoleRequested {
                role: Role::active,
                correlation: "1".into()
            },
            E::RoleRequested {
                role: Role::standby,
                correlation: "2".into()
            },
            E::RoleRequested {
                role: Role::active,
                correlation: "3".into()
            },
            E::RequestWithdrawn { role: Role::active },
        ]
    );
    assert_eq!(c.accept(at(12)), Err(RoleError::NoPendingRequest));
    assert_eq!(c.role(), Some(Role::standby));
}

#[test]
fn a_response_from_the_node_is_ignored() {
    let mut c = ComponentRole::default();
    c.handle_node_connected(at(0), LinkId(1));
    c.handle_message(at(0), set_role_response("9", ReturnCode::success));
    assert_eq!(
        events(&mut c),
        vec![
            E::Connected {
                role: None,
                self_demoted: false
            },
            E::Ignored {
                correlation: "9".into()
            },
        ]
    );
}
