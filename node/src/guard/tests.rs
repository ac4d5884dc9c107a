//! The guard's state machine and line protocol, with exact outputs.

use super::state::{Guard, Note, Output, Why};
use super::wire::{Arm, Report, ToGuard};
use baton_core::Instant;
use baton_engine::{Hook, HookEnv, HookJob, ScriptComponent};
use std::time::Duration;

const BOUND: Duration = Duration::from_millis(180);

fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

fn arm(seq: u64, id: &str) -> Arm {
    let script = ScriptComponent {
        id: id.to_owned(),
        check: Some("true".into()),
        activate: Some("echo active > s".into()),
        deactivate: Some("echo \"standby\" > s\nsync".into()),
        start: None,
        stop: Some("true".into()),
        timeout: Duration::from_millis(5000),
        check_interval: Duration::from_millis(1000),
    };
    let job = HookJob {
        component: 3,
        hooks: vec![Hook::Deactivate, Hook::Stop],
        env: HookEnv {
            component: id.to_owned(),
            role: baton_role::Role::standby.into(),
            member: "alpha".into(),
            peer: "beta".into(),
        },
    };
    Arm::new(seq, &job, &script)
}

fn line(m: &ToGuard) -> String {
    m.to_string()
}

fn outputs(g: &mut Guard) -> Vec<Output> {
    std::iter::from_fn(|| g.poll_output()).collect()
}

#[test]
fn arm_line_round_trips_with_only_what_the_guard_runs() {
    let a = arm(3, "1001");
    let text = line(&ToGuard::Arm(Box::new(a.clone())));
    assert_eq!(
        text,
        r#"arm {"seq":3,"component":"1001","role":"standby","member":"alpha","peer":"beta","hooks":["deactivate","stop"],"deactivate":"echo \"standby\" > s\nsync","stop":"true","timeout_ms":5000}"#
    );
    assert!(!text.contains('\n'));
    let back = ToGuard::parse(&text).expect("parses");
    assert_eq!(back, ToGuard::Arm(Box::new(a)));
    assert_eq!(back.to_string(), text);
}

#[test]
fn other_lines_round_trip_and_bad_ones_are_refused() {
    for m in [
        ToGuard::Beat,
        ToGuard::Bye,
        ToGuard::Disarm {
            component: "1001".into(),
            seq: 7,
        },
    ] {
        assert_eq!(ToGuard::parse(&m.to_string()), Ok(m));
    }
    assert_eq!(line(&ToGuard::Beat), "beat");
    for bad in [
        "",
        "beat ",
        "disarm 1001",
        "disarm 1001 x",
        "arm {",
        "bye now",
        "x",
    ] {
        assert!(ToGuard::parse(bad).is_err(), "{bad:?} parsed");
    }
    let r = Report {
        component: "1001".into(),
        seq: 2,
        ok: false,
    };
    assert_eq!(r.to_string(), "deactivated 1001 2 failed");
    assert_eq!(Report::parse("deactivated 1001 2 failed"), Ok(r));
    for bad in [
        "deactivated 1001 2",
        "deactivated 1001 2 ok x",
        "done 1 2 ok",
    ] {
        assert!(Report::parse(bad).is_err(), "{bad:?} parsed");
    }
}

#[test]
fn silence_runs_the_armed_jobs_and_reports_when_the_node_is_back() {
    let mut g = Guard::new(ms(0), BOUND);
    assert_eq!(g.poll_timeout(), None, "nothing armed: nothing to watch");
    g.handle_line(ms(10), &line(&ToGuard::Arm(Box::new(arm(1, "1001")))));
    g.handle_line(ms(20), &line(&ToGuard::Arm(Box::new(arm(2, "1002")))));
    g.handle_line(ms(50), "beat");
    assert_eq!(g.poll_timeout(), Some(ms(230)));
    g.handle_timeout(ms(229));
    assert_eq!(outputs(&mut g), vec![]);
    g.handle_timeout(ms(231));
    assert_eq!(
        outputs(&mut g),
        vec![
            Output::Log(Note::Acting {
                why: Why::Silent,
                silent: Duration::from_millis(181),
                components: vec!["1001".into(), "1002".into()],
            }),
            Output::Run {
                why: Why::Silent,
                arms: vec![arm(1, "1001"), arm(2, "1002")],
            },
        ]
    );
    assert_eq!(g.poll_timeout(), None, "jobs out");
    g.handle_ran(
        ms(240),
        &[(1, "1001".into(), true), (2, "1002".into(), false)],
    );
    assert_eq!(
        outputs(&mut g),
        vec![
            Output::Log(Note::Ran {
                component: "1001".into(),
                ok: true
            }),
            Output::Log(Note::Ran {
                component: "1002".into(),
                ok: false
            }),
        ]
    );
    assert_eq!(g.armed(), Vec::<&str>::new());
    assert_eq!(g.poll_timeout(), None);
    // The node comes back: told once, at its first line.
    g.handle_line(ms(2600), "beat");
    assert_eq!(
        outputs(&mut g),
        vec![
            Output::Log(Note::NodeBack { reported: 2 }),
            Output::Report(Report {
                component: "1001".into(),
                seq: 1,
                ok: true
            }),
            Output::Report(Report {
                component: "1002".into(),
                seq: 2,
                ok: false
            }),
        ]
    );
    g.handle_line(ms(2650), "beat");
    assert_eq!(outputs(&mut g), vec![]);
    // Armed again by the node: watched again.
    g.handle_line(ms(2700), &line(&ToGuard::Arm(Box::new(arm(3, "1001")))));
    assert_eq!(g.poll_timeout(), Some(ms(2880)));
}

#[test]
fn every_line_is_a_sign_of_life() {
    let mut g = Guard::new(ms(0), BOUND);
    g.handle_line(ms(0), &line(&ToGuard::Arm(Box::new(arm(1, "1001")))));
    for t in (100..1000).step_by(100) {
        g.handle_line(ms(t), "beat");
        g.handle_timeout(ms(t + 90));
    }
    g.handle_line(ms(1000), "nonsense");
    g.handle_timeout(ms(1179));
    let out = outputs(&mut g);
    assert_eq!(out.len(), 1, "{out:?}");
    assert!(matches!(&out[0], Output::Log(Note::Bad(_))));
    assert_eq!(g.armed(), vec!["1001"]);
}

#[test]
fn disarm_drops_only_the_arming_it_names() {
    let mut g = Guard::new(ms(0), BOUND);
    g.handle_line(ms(0), &line(&ToGuard::Arm(Box::new(arm(1, "1001")))));
    g.handle_line(ms(1), &line(&ToGuard::Arm(Box::new(arm(2, "1001")))));
    assert_eq!(g.armed(), vec!["1001"], "re-armed in place");
    g.handle_line(ms(2), "disarm 1001 1");
    assert_eq!(g.armed(), vec!["1001"], "a stale disarm");
    g.handle_line(ms(3), "disarm 1001 2");
    assert_eq!(g.armed(), Vec::<&str>::new());
    assert_eq!(g.poll_timeout(), None);
    g.handle_timeout(ms(10_000));
    assert_eq!(outputs(&mut g), vec![]);
}

#[test]
fn end_of_stdin_runs_the_armed_jobs_then_exits() {
    let mut g = Guard::new(ms(0), BOUND);
    g.handle_line(ms(5), &line(&ToGuard::Arm(Box::new(arm(4, "1001")))));
    g.handle_eof(ms(7));
    assert_eq!(
        outputs(&mut g),
        vec![
            Output::Log(Note::Acting {
                why: Why::Gone,
                silent: Duration::from_millis(2),
                components: vec!["1001".into()],
            }),
            Output::Run {
                why: Why::Gone,
                arms: vec![arm(4, "1001")],
            },
        ]
    );
    g.handle_ran(ms(9), &[(4, "1001".into(), true)]);
    assert_eq!(
        outputs(&mut g),
        vec![
            Output::Log(Note::Ran {
                component: "1001".into(),
                ok: true
            }),
            Output::Log(Note::Done),
            Output::Exit,
        ]
    );
    g.handle_line(ms(10), "beat");
    g.handle_timeout(ms(100_000));
    assert_eq!(outputs(&mut g), vec![]);
}

#[test]
fn bye_exits_without_running_anything() {
    let mut g = Guard::new(ms(0), BOUND);
    g.handle_line(ms(5), &line(&ToGuard::Arm(Box::new(arm(4, "1001")))));
    g.handle_line(ms(6), "bye");
    assert_eq!(outputs(&mut g), vec![Output::Log(Note::Done), Output::Exit]);
    g.handle_eof(ms(7));
    g.handle_timeout(ms(100_000));
    assert_eq!(outputs(&mut g), vec![]);
}

#[test]
fn end_of_stdin_while_silent_jobs_run_waits_for_them() {
    let mut g = Guard::new(ms(0), BOUND);
    g.handle_line(ms(0), &line(&ToGuard::Arm(Box::new(arm(1, "1001")))));
    g.handle_timeout(ms(180));
    assert_eq!(outputs(&mut g).len(), 2);
    g.handle_eof(ms(190));
    assert_eq!(outputs(&mut g), vec![], "jobs out");
    g.handle_ran(ms(200), &[(1, "1001".into(), true)]);
    assert_eq!(
        outputs(&mut g),
        vec![
            Output::Log(Note::Ran {
                component: "1001".into(),
                ok: true
            }),
            Output::Log(Note::Done),
            Output::Exit,
        ]
    );
}

#[test]
fn notes_read_as_log_lines() {
    let acting = Note::Acting {
        why: Why::Silent,
        silent: Duration::from_millis(181),
        components: vec!["1001".into(), "1002".into()],
    };
    assert_eq!(
        acting.to_string(),
        "node silent (181 ms since last heard): deactivating 1001 1002"
    );
    assert_eq!(
        Note::NodeBack { reported: 1 }.to_string(),
        "node heard again: told it of 1 component(s) stood down"
    );
}
