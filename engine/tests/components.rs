//! Components and status clients through two whole Nodes (PROTOCOL 6, sequences 7.8, 7.9
//! and 7.11): the `setRole`s and `healthQuery`s each component (the shipped component
//! engine) receives, what a component failure does by severity, and the status lines each
//! client receives, all compared as whole typed values with their times. alpha is Active,
//! beta Standby, from time 0 (PROTOCOL 7.1).

mod support;

use baton_component::engine::ComponentEngineEvent;
use baton_component::Role::{Active as On, Standby as Off};
use baton_component::{Health, WatchdogReason};
use baton_core::{LinkId, NodeRole::*};
use baton_engine::{Event, Hook, HookEnv, HookJob, JobId, Notice, ScriptComponent};
use baton_monitor::{health_query, FailureReason, Severity};
use baton_role::{set_role, Role};
use baton_status::status_indication;
use std::time::Duration;
use support::*;

/// Node `i`'s events but its status changes (asserted apart, with [`Pair::statuses`]).
fn events_but_status(p: &Pair, i: usize) -> Vec<Event> {
    p.events_where(i, |e| !matches!(e, Event::StatusChanged(_)))
        .into_iter()
        .map(|(_, e)| e)
        .collect()
}

fn failed(severity: Severity, reason: FailureReason) -> Event {
    Event::Notice(Notice::ComponentFailed {
        component: "10".into(),
        severity,
        reason,
    })
}

fn role(from: baton_core::NodeRole, to: baton_core::NodeRole) -> Event {
    Event::RoleChanged { from, to }
}

/// Component "10" of severity `severity` on each node (alpha's is 0, beta's 1), settled at
/// 1 s, records cleared.
fn pair_with(severity: Severity) -> Pair {
    let mut p = Pair::dialling_with(|me| {
        let mut c = sequence_config(me);
        c.components.insert("10".into(), policy(severity));
        c
    });
    p.attach(ALPHA, "10");
    p.attach(BETA, "10");
    p.run_until(ms(1000));
    p.clear_events();
    p
}

/// PROTOCOL 7.8: alpha, with components "10" and "20" that take 10 ms to switch, promotes
/// (setRole active, cids "1 1" and "1 2": round 1, PROTOCOL 2.3), is Active once both
/// confirmed; a switchover at 500 ms sets them standby (cids "1 3" and "1 4": the round it
/// knows) and the demotion completes once both answered.
#[test]
fn role_assignment() {
    let mut p = Pair::dialling();
    let switch = Answer::Accept(Duration::from_millis(10));
    let c10 = p.attach_with(ALPHA, "10", Default::default(), switch);
    let c20 = p.attach_with(ALPHA, "20", Default::default(), switch);
    p.run_until(ms(500));
    assert_eq!(p.switchover(ALPHA), Ok(()));
    p.run_until(ms(1000));
    assert_eq!(
        p.set_roles(c10),
        [
            (ms(0), set_role("1 1", Role::active)),
            (ms(500), set_role("1 3", Role::standby))
        ]
    );
    assert_eq!(
        p.set_roles(c20),
        [
            (ms(0), set_role("1 2", Role::active)),
            (ms(500), set_role("1 4", Role::standby))
        ]
    );
    let alpha = [
        (ms(0), Promoting),
        (ms(10), Active),
        (ms(500), Demoting),
        (ms(510), Standby),
    ];
    assert_eq!(p.roles_of(ALPHA), alpha);
}

/// PROTOCOL 7.9: component "7" registers at 0, is told the node's timers (PROTOCOL 6.9: role
/// timeout 1 s, its dead interval 300 ms, the query interval 100 ms, the watchdog bound
/// 300 - 100 - 2 = 198 ms) and is queried every query interval, with the node's health
/// counter (cids 1, 2, 3); its answers keep it ok.
#[test]
fn query_health() {
    let mut p = Pair::dialling();
    let c = p.attach(ALPHA, "7");
    p.run_until(ms(350));
    let queries = p.components[c].monitor_received();
    assert_eq!(
        queries,
        [
            (ms(0), health_query("0 3 1000", "7")),
            (ms(0), health_query("0 4 300", "7")),
            (ms(0), health_query("0 5 100", "7")),
            (ms(0), health_query("0 6 198", "7")),
            (ms(100), health_query("1", "7")),
            (ms(200), health_query("2", "7")),
            (ms(300), health_query("3", "7")),
        ]
    );
    let registered = Notice::ComponentRegistered {
        component: "7".into(),
        link: LinkId(10),
    };
    let up = Notice::PeerUp {
        peer: "beta".into(),
        link: LinkId(11),
    };
    assert_eq!(p.notices(ALPHA), [registered, up], "and no failure");
}

/// PROTOCOL 7.11: component "2" of three on the Active alpha fails (minor), then recovers;
/// each connected client gets each new line with a fresh cid (the peer, subscribed since
/// link-up, takes the cid between), a client that left gets nothing.
#[test]
fn component_changes_status() {
    let mut p = Pair::dialling();
    for id in ["1", "2", "3"] {
        p.attach(ALPHA, id);
    }
    p.run_until(ms(1000));
    let (k1, k2) = (p.add_client(ALPHA), p.add_client(ALPHA));
    p.clear_events();
    p.set_health(1, Health::Failed);
    p.close_client(k1);
    p.run_until(ms(1010));
    p.set_health(1, Health::Ok);
    let degraded = "degraded peer=beta:standby components=2/3";
    let active = "active peer=beta:standby components=3/3";
    let k1_seen = [(ms(1000), status_indication("6", degraded))];
    assert_eq!(p.clients[k1].received, k1_seen);
    let k2_seen = [
        (ms(1000), status_indication("7", degraded)),
        (ms(1010), status_indication("9", active)),
    ];
    assert_eq!(p.clients[k2].received, k2_seen);
    let notices = [
        Notice::ComponentFailed {
            component: "2".into(),
            severity: Severity::Minor,
            reason: FailureReason::ReportedFailed,
        },
        Notice::ComponentRecovered {
            component: "2".into(),
        },
    ];
    assert_eq!(p.notices(ALPHA), notices);
    let beta = p.statuses(BETA);
    let beta_seen = [
        (ms(1000), "standby peer=alpha:degraded".to_owned()),
        (ms(1010), "standby peer=alpha:active".to_owned()),
    ];
    assert_eq!(beta, beta_seen);
}

/// PROTOCOL 6.4, minor: logged, and the Active shows `degraded`; no role changes.
#[test]
fn a_minor_failure_degrades_the_active() {
    let mut p = pair_with(Severity::Minor);
    p.set_health(0, Health::Failed);
    let fail = failed(Severity::Minor, FailureReason::ReportedFailed);
    assert_eq!(events_but_status(&p, ALPHA), [fail]);
    let line = "degraded peer=beta:standby components=0/1";
    assert_eq!(p.statuses(ALPHA), [(ms(1000), line.to_owned())]);
    assert_eq!(events_but_status(&p, BETA), []);
}

/// PROTOCOL 6.4, major: as minor, and the node asks for the component's restart.
#[test]
fn a_major_failure_asks_for_a_restart() {
    let mut p = pair_with(Severity::Major);
    p.set_health(0, Health::Failed);
    let restart = Event::RestartComponent { id: "10".into() };
    let fail = failed(Severity::Major, FailureReason::ReportedFailed);
    assert_eq!(events_but_status(&p, ALPHA), [fail, restart]);
    assert_eq!(p.roles_of(ALPHA), []);
}

/// PROTOCOL 6.4 and 5.6, fatal on the Active: it hands over as a switchover does, and
/// shows `failed` once Standby; beta promotes.
#[test]
fn a_fatal_failure_on_the_active_hands_over() {
    let mut p = pair_with(Severity::Fatal);
    p.set_health(0, Health::Failed);
    let fail = failed(Severity::Fatal, FailureReason::ReportedFailed);
    assert_eq!(
        events_but_status(&p, ALPHA),
        [fail, role(Active, Demoting), role(Demoting, Standby)]
    );
    assert_eq!(
        p.roles_of(BETA),
        [(ms(1000), Promoting), (ms(1000), Active)]
    );
    let last = p.statuses(ALPHA).pop().map(|(_, line)| line);
    assert_eq!(
        last.as_deref(),
        Some("failed peer=beta:active components=0/1")
    );
    assert_eq!(p.set_roles(0), [(ms(1000), set_role("1 2", Role::standby))]);
    assert_eq!(
        p.set_roles(1),
        [(ms(1000), set_role("2 102", Role::active))]
    );
}

/// PROTOCOL 6.4, fatal on the Standby: no role changes, it shows `failed` at once, and the
/// Active sees its peer so.
#[test]
fn a_fatal_failure_on_the_standby_shows_failed() {
    let mut p = pair_with(Severity::Fatal);
    p.set_health(1, Health::Failed);
    let fail = failed(Severity::Fatal, FailureReason::ReportedFailed);
    assert_eq!(events_but_status(&p, BETA), [fail]);
    let line = |s: &str| vec![(ms(1000), s.to_owned())];
    assert_eq!(
        p.statuses(BETA),
        line("failed peer=alpha:active components=0/1")
    );
    assert_eq!(
        p.statuses(ALPHA),
        line("active peer=beta:failed components=1/1")
    );
}

/// PROTOCOL 6.4: a component that stops answering (hung from 1 s, after answering the
/// query of 1 s) is failed at the end of its dead interval, 300 ms later.
#[test]
fn a_silent_component_fails_after_its_dead_interval() {
    let mut p = pair_with(Severity::Minor);
    p.components[0].alive = false;
    p.run_until(ms(1500));
    let fail = failed(Severity::Minor, FailureReason::Silent);
    assert_eq!(
        p.events_where(ALPHA, |e| matches!(e, Event::Notice(_))),
        [(ms(1300), fail)]
    );
}

/// PROTOCOL 6.1 and 6.3: alpha crashes; its component stands by at once (its link closed),
/// and beta's component, asked to take over, refuses: the promotion fails, and with its
/// peer down beta stays PromotionFailed.
#[test]
fn a_crash_stands_the_component_by_and_a_refusal_fails_the_promotion() {
    let mut p = pair_with(Severity::Minor);
    p.components[1].answer = Answer::Refuse(Duration::ZERO);
    p.crash(ALPHA);
    p.run_until(ms(1500));
    let stood_by = [
        (
            ms(1000),
            ComponentEngineEvent::SelfDemoted {
                reason: WatchdogReason::LinkClosed,
            },
        ),
        (
            ms(1000),
            ComponentEngineEvent::RoleChanged {
                from: Some(baton_component::Role::Active),
                to: baton_component::Role::Standby,
            },
        ),
    ];
    assert_eq!(p.components[0].events, stood_by);
    let refused = baton_role::FailureReason::Refused;
    let notices = [
        Notice::PeerDown {
            peer: "alpha".into(),
            link: LinkId(12),
        },
        Notice::ComponentRoleFailed {
            component: "10".into(),
            role: Role::active,
            reason: refused,
        },
        Notice::PromotionFailed {
            component: "10".into(),
            reason: refused,
        },
    ];
    assert_eq!(p.notices(BETA), notices);
    let beta = [(ms(1000), Promoting), (ms(1000), PromotionFailed)];
    assert_eq!(p.roles_of(BETA), beta);
}

/// Script components (the node's own adapter, PROTOCOL 11 note 15) on both nodes, their
/// hooks taking 20 ms: each role change waits for its hooks; at start beta's runs
/// `deactivate`, `stop` and alpha's `start`, `activate` (Active at 20 ms); a switchover at
/// 1 s runs alpha's `deactivate`, `stop`, then beta's `start`, `activate`.
#[test]
fn script_components_switch_over_through_their_hooks() {
    let mut p = Pair::dialling_with(|me| {
        let mut c = sequence_config(me);
        c.scripts = vec![script("2001")];
        c
    });
    p.hook_time = Duration::from_millis(20);
    p.run_until(ms(1000));
    assert_eq!(p.switchover(ALPHA), Ok(()));
    p.run_until(ms(2000));
    let job = |[member, peer]: [&str; 2], role| {
        let hooks = match role {
            On => vec![Hook::Start, Hook::Activate],
            Off => vec![Hook::Deactivate, Hook::Stop],
        };
        let component = "2001".into();
        let (member, peer) = (member.into(), peer.into());
        let env = HookEnv {
            component,
            role,
            member,
            peer,
        };
        HookJob {
            component: 0,
            hooks,
            env,
        }
    };
    let (alpha, beta) = (["alpha", "beta"], ["beta", "alpha"]);
    let jobs = [
        (ms(0), BETA, JobId(1), job(beta, Off)),
        (ms(0), ALPHA, JobId(1), job(alpha, On)),
        (ms(1000), ALPHA, JobId(2), job(alpha, Off)),
        (ms(1020), BETA, JobId(2), job(beta, On)),
    ];
    assert_eq!(p.jobs, jobs);
    let alpha = [
        (ms(0), Promoting),
        (ms(20), Active),
        (ms(1000), Demoting),
        (ms(1020), Standby),
    ];
    assert_eq!(p.roles_of(ALPHA), alpha);
    let beta = [(ms(0), Standby), (ms(1020), Promoting), (ms(1040), Active)];
    assert_eq!(p.roles_of(BETA), beta);
}

/// A script component with every hook but `check`.
fn script(id: &str) -> ScriptComponent {
    let hook = |name: &str| Some(name.to_owned());
    ScriptComponent {
        id: id.into(),
        check: None,
        activate: hook("activate"),
        deactivate: hook("deactivate"),
        start: hook("start"),
        stop: hook("stop"),
        timeout: Duration::from_secs(1),
        check_interval: Duration::from_secs(1),
    }
}
