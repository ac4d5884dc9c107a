//! Exact-output tests of the script adapter alone, on a virtual clock.

use super::*;
use baton_asn1::role::ReturnCode;
use baton_codec::Interface;
use baton_component::engine::IgnoredFrame;
use baton_monitor::{health_query, health_query_response, heart_beat, ComponentStatus};
use baton_role::{set_role, set_role_response};

const CHECK: Duration = Duration::from_millis(500);

fn ms(n: u64) -> Instant {
    Instant::ZERO + Duration::from_millis(n)
}

/// "2001" with a `check` every 500 ms and "2002" with none, connected at 0, drained.
fn scripts() -> Scripts {
    let mut s =
        Scripts::new([("2001", Some(CHECK)), ("2002", None)], "alpha", "beta").expect("valid ids");
    s.connect(ms(0));
    transmits(&mut s);
    s
}

fn transmits(s: &mut Scripts) -> Vec<(LinkId, AnyMessage)> {
    std::iter::from_fn(|| s.poll_transmit()).collect()
}

fn runs(s: &mut Scripts) -> Vec<(JobId, HookJob)> {
    std::iter::from_fn(|| s.poll_run()).collect()
}

fn notices(s: &mut Scripts) -> Vec<ScriptNotice> {
    std::iter::from_fn(|| s.poll_notice()).collect()
}

fn job(id: u64, component: usize, hooks: &[Hook], role: Role) -> (JobId, HookJob) {
    (
        JobId(id),
        HookJob {
            component,
            hooks: hooks.to_vec(),
            env: HookEnv {
                component: ["2001", "2002"][component].to_owned(),
                role,
                member: "alpha".to_owned(),
                peer: "beta".to_owned(),
            },
        },
    )
}

fn set(correlation: &str, role: baton_role::Role) -> AnyMessage {
    AnyMessage::Role(set_role(correlation, role))
}

fn answer(correlation: &str, code: ReturnCode) -> AnyMessage {
    AnyMessage::Role(set_role_response(correlation, code))
}

fn heartbeat(correlation: &str, id: &str, status: ComponentStatus) -> AnyMessage {
    AnyMessage::Monitor(heart_beat(correlation, id, status))
}

const L0: LinkId = LinkId(SCRIPT_LINKS);
const L1: LinkId = LinkId(SCRIPT_LINKS + 1);

#[test]
fn links_are_a_reserved_range() {
    let s = scripts();
    assert_eq!(s.links().collect::<Vec<_>>(), [L0, L1]);
    assert!(s.owns(L1));
    assert!(!s.owns(LinkId(SCRIPT_LINKS + 2)));
    assert!(!s.owns(LinkId(1)));
    assert!(s.has_id(b"2002"));
    assert!(!s.has_id(b"200"));
}

#[test]
fn connecting_registers_every_component_and_its_first_check_is_due() {
    let mut s =
        Scripts::new([("2001", Some(CHECK)), ("2002", None)], "alpha", "beta").expect("valid ids");
    assert_eq!(s.poll_timeout(), None);
    s.connect(ms(3));
    assert_eq!(
        transmits(&mut s),
        [
            (L0, heartbeat("1", "2001", ComponentStatus::ok)),
            (L1, heartbeat("1", "2002", ComponentStatus::ok)),
        ]
    );
    assert_eq!(s.poll_timeout(), Some(ms(3)));
    assert_eq!(runs(&mut s), []);
}

#[test]
fn a_role_request_becomes_a_job_whose_success_answers_it() {
    let mut s = scripts();
    s.deliver(L0, set("7", baton_role::Role::active));
    assert!(s.pump(ms(10)));
    assert_eq!(
        runs(&mut s),
        [job(1, 0, &[Hook::Start, Hook::Activate], Role::Active)]
    );
    assert_eq!(transmits(&mut s), []);
    s.handle_done(ms(40), JobId(1), true);
    assert_eq!(transmits(&mut s), [(L0, answer("7", ReturnCode::success))]);
    assert_eq!(notices(&mut s), []);

    s.deliver(L1, set("8", baton_role::Role::standby));
    s.pump(ms(50));
    assert_eq!(
        runs(&mut s),
        [job(2, 1, &[Hook::Deactivate, Hook::Stop], Role::Standby)]
    );
    s.handle_done(ms(60), JobId(2), false);
    assert_eq!(transmits(&mut s), [(L1, answer("8", ReturnCode::failure))]);
}

#[test]
fn a_superseded_job_is_dropped_and_the_newer_one_answers() {
    let mut s = scripts();
    s.deliver(L0, set("7", baton_role::Role::active));
    s.deliver(L0, set("8", baton_role::Role::standby));
    s.pump(ms(10));
    assert_eq!(
        runs(&mut s),
        [
            job(1, 0, &[Hook::Start, Hook::Activate], Role::Active),
            job(2, 0, &[Hook::Deactivate, Hook::Stop], Role::Standby),
        ]
    );
    s.handle_done(ms(20), JobId(1), true);
    assert_eq!(transmits(&mut s), []);
    assert_eq!(
        notices(&mut s),
        [ScriptNotice::Superseded {
            component: "2001".to_owned(),
            job: JobId(1),
        }]
    );
    s.handle_done(ms(30), JobId(2), true);
    assert_eq!(transmits(&mut s), [(L0, answer("8", ReturnCode::success))]);
    s.handle_done(ms(30), JobId(2), true);
    assert_eq!(
        notices(&mut s),
        [ScriptNotice::UnknownJob { job: JobId(2) }]
    );
}

#[test]
fn checks_run_one_at_a_time_and_their_result_is_the_health() {
    let mut s = scripts();
    s.handle_timeout(ms(0));
    assert_eq!(runs(&mut s), [job(1, 0, &[Hook::Check], Role::Standby)]);
    // Running: not due again, whatever the time (the heartbeats are a second away).
    assert_eq!(s.poll_timeout(), Some(ms(1000)));
    s.handle_timeout(ms(700));
    assert_eq!(runs(&mut s), []);

    s.handle_done(ms(800), JobId(1), false);
    assert_eq!(
        transmits(&mut s),
        [(L0, heartbeat("2", "2001", ComponentStatus::failed))]
    );
    assert_eq!(s.poll_timeout(), Some(ms(1000)));
    s.handle_timeout(ms(1000));
    // The pushed heartbeats of both components, then the next check.
    assert_eq!(
        transmits(&mut s),
        [(L1, heartbeat("2", "2002", ComponentStatus::ok)),]
    );
    assert_eq!(s.poll_timeout(), Some(ms(1300)));
    s.handle_timeout(ms(1300));
    assert_eq!(runs(&mut s), [job(2, 0, &[Hook::Check], Role::Standby)]);
    s.handle_done(ms(1310), JobId(2), true);
    assert_eq!(
        transmits(&mut s),
        [(L0, heartbeat("3", "2001", ComponentStatus::ok))]
    );
    assert_eq!(s.poll_timeout(), Some(ms(1810)));
}

#[test]
fn a_health_query_is_answered_with_the_checked_health() {
    let mut s = scripts();
    s.deliver(L0, AnyMessage::Monitor(health_query("41", "2001")));
    s.pump(ms(5));
    assert_eq!(
        transmits(&mut s),
        [(
            L0,
            AnyMessage::Monitor(health_query_response("41", "2001", ComponentStatus::ok))
        )]
    );
}

#[test]
fn a_check_and_a_restart_run_in_the_role_held() {
    let mut s = scripts();
    s.deliver(L0, set("7", baton_role::Role::active));
    s.pump(ms(1));
    s.handle_done(ms(2), JobId(1), true);
    runs(&mut s);
    s.handle_timeout(ms(2));
    assert_eq!(runs(&mut s), [job(2, 0, &[Hook::Check], Role::Active)]);
    assert!(s.restart("2001"));
    assert!(!s.restart("1001"));
    assert_eq!(
        runs(&mut s),
        [job(3, 0, &[Hook::Stop, Hook::Start], Role::Active)]
    );
    // The restart's end changes nothing.
    s.handle_done(ms(9), JobId(3), true);
    assert_eq!(transmits(&mut s), [(L0, answer("7", ReturnCode::success))]);
    assert_eq!(notices(&mut s), []);
}

#[test]
fn a_closed_link_withdraws_the_request_and_the_component_connects_again() {
    let mut s = scripts();
    s.deliver(L0, set("7", baton_role::Role::active));
    s.pump(ms(1));
    runs(&mut s);
    s.deliver(L0, AnyMessage::Monitor(health_query("41", "2001")));
    s.handle_closed(ms(2), L0);
    // The frame not yet taken in is dropped with the link.
    assert!(!s.pump(ms(2)));
    assert_eq!(s.poll_reconnect(ms(2)), Some(L0));
    assert_eq!(s.poll_reconnect(ms(2)), None);
    assert_eq!(
        transmits(&mut s),
        [(L0, heartbeat("2", "2001", ComponentStatus::ok))]
    );
    // The job's end finds no request waiting: dropped.
    s.handle_done(ms(3), JobId(1), true);
    assert_eq!(transmits(&mut s), []);
    assert_eq!(
        notices(&mut s),
        [ScriptNotice::Superseded {
            component: "2001".to_owned(),
            job: JobId(1),
        }]
    );
}

#[test]
fn frames_it_has_no_use_for_are_notices() {
    let mut s = scripts();
    s.deliver(L1, answer("5", ReturnCode::success));
    s.deliver(L1, AnyMessage::Status(baton_status::get_status("6")));
    s.pump(ms(1));
    assert_eq!(transmits(&mut s), []);
    assert_eq!(
        notices(&mut s),
        [
            ScriptNotice::Ignored {
                component: "2002".to_owned(),
                frame: IgnoredFrame::RoleAnswer {
                    correlation: "5".to_owned()
                },
            },
            ScriptNotice::Ignored {
                component: "2002".to_owned(),
                frame: IgnoredFrame::Interface(Interface::Status),
            },
        ]
    );
}

#[test]
fn cleanup_jobs_give_every_component_up_with_the_real_names() {
    let s = scripts();
    let expected = vec![
        job(0, 0, &[Hook::Deactivate, Hook::Stop], Role::Standby).1,
        job(0, 1, &[Hook::Deactivate, Hook::Stop], Role::Standby).1,
    ];
    assert_eq!(s.exit_jobs(), expected);
    assert_eq!(cleanup_jobs(["2001", "2002"], "alpha", "beta"), expected);
}
