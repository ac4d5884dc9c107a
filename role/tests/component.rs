//! The component side: answering `setRole` and the watchdog (PROTOCOL 6.1, 6.3).

use baton_asn1::role::ReturnCode;
use baton_core::{Instant, LinkId};
use baton_role::component::StallRule;
use baton_role::{
    set_role, set_role_response, ComponentConfig, ComponentRole, ComponentRoleEvent as E, Role,
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

/// A component active since 0 with a 20 ms watchdog and a 5 ms stall grace (threshold 2 ms).
fn active_with_grace() -> ComponentRole {
    let mut c = ComponentRole::with_stall_grace(
        ComponentConfig {
            dead_interval: Duration::from_millis(20),
        },
        StallRule {
            threshold: Duration::from_millis(2),
            grace: Duration::from_millis(5),
        },
    );
    c.handle_node_connected(at(0), LinkId(1));
    c.handle_message(at(0), set_role("1", Role::active));
    assert_eq!(c.accept(at(0)), Ok(Role::active));
    c.poll_transmit();
    events(&mut c);
    c
}

fn silent() -> Vec<E> {
    vec![E::SelfDemoted {
        reason: WatchdogReason::Silent,
    }]
}

/// Stall grace: a watchdog firing late (the component stalled) is moved once to its deadline
/// plus the grace, never further: the component never serves more than dead interval + grace
/// after it last heard from its node. A frame from the node ends the grace.
#[test]
fn stall_grace_a_late_watchdog_waits_to_deadline_plus_grace_once_and_hearing_resets_it() {
    let mut c = active_with_grace();
    // Due at 20, fired at 23: 3 ms late. Moved to 20 + 5 = 25, not 23 + 5.
    c.handle_timeout(at(23));
    assert_eq!(events(&mut c), vec![]);
    assert_eq!(c.poll_timeout(), Some(at(25)));
    assert_eq!(c.role(), Some(Role::active));
    // The node is heard within the grace: watchdog from then, grace reset.
    c.handle_node_activity(at(24));
    assert_eq!(c.poll_timeout(), Some(at(44)));
    c.handle_timeout(at(47));
    assert_eq!(events(&mut c), vec![]);
    assert_eq!(c.poll_timeout(), Some(at(49)));
    // Nothing heard by the end of the grace: demoted.
    c.handle_timeout(at(49));
    assert_eq!(events(&mut c), silent());
    assert_eq!(c.role(), Some(Role::standby));
}

/// A second late firing demotes; so does a timely one; and a stall past the deadline plus
/// the grace demotes at once (the bound).
#[test]
fn stall_grace_second_late_firing_timely_firing_and_long_stall_demote() {
    let mut c = active_with_grace();
    c.handle_timeout(at(23));
    assert_eq!(events(&mut c), vec![]);
    c.handle_timeout(at(40));
    assert_eq!(events(&mut c), silent());

    let mut c = active_with_grace();
    c.handle_timeout(at(21));
    assert_eq!(events(&mut c), silent());

    let mut c = active_with_grace();
    c.handle_timeout(at(25));
    assert_eq!(events(&mut c), silent());
}

/// Without a grace (the default), a late firing demotes as before.
#[test]
fn stall_grace_is_off_by_default() {
    let mut c = active_component();
    c.handle_timeout(at(400));
    assert_eq!(events(&mut c), silent());
}

/// PROTOCOL 6.3: with the node's default timers (dead interval 300 ms, heartbeat 100 ms) and
/// no stall grace, the default watchdog keeps `W + 2 ms <= D - H`.
#[test]
fn the_default_watchdog_keeps_the_margin_with_the_default_timers() {
    let w = baton_role::ComponentConfig::default().dead_interval;
    let (d, h) = (Duration::from_millis(300), Duration::from_millis(100));
    assert!(w + Duration::from_millis(2) <= d - h, "{w:?}");
    assert!(w > h, "it must outlast a query interval");
}
