//! Fencing through the whole Node (PROTOCOL 5.10): a standby whose active died asks the
//! driver to fence it ([`Event::Fence`] with its name and id), says `fencing=<name>` in its
//! status while it waits, stays standby on a failed fence and asks again after
//! `fence_retry`, and promotes once the fence succeeded.

mod support;

use baton_core::NodeRole::*;
use baton_engine::Event;
use std::time::Duration;
use support::*;

fn fencing(me: usize) -> baton_engine::NodeConfig {
    let mut c = config(me);
    c.fence = true;
    c.fence_retry = Duration::from_millis(500);
    c
}

fn fence_events(p: &Pair, i: usize) -> Vec<(baton_core::Instant, Event)> {
    p.events_where(i, |e| matches!(e, Event::Fence { .. }))
}

fn alpha_fenced() -> Event {
    Event::Fence {
        member: 0,
        name: "alpha".into(),
        id: "1".into(),
    }
}

/// Alpha active, beta standby, then alpha's process dies at 1 s.
fn active_crashed() -> Pair {
    let mut p = Pair::with(fencing);
    p.connect();
    p.run_until(ms(1000));
    assert_eq!([p.nodes[0].role(), p.nodes[1].role()], [Active, Standby]);
    p.clear_events();
    p.crash(ALPHA);
    p.run_until(ms(1100));
    p
}

#[test]
fn a_failed_fence_keeps_the_standby_and_is_asked_again() {
    let mut p = active_crashed();
    assert_eq!(fence_events(&p, BETA), [(ms(1000), alpha_fenced())]);
    assert_eq!(p.nodes[1].role(), Standby);
    assert_eq!(
        p.nodes[1].status().to_string(),
        "standby peer=alpha:down fencing=alpha"
    );
    let now = p.now;
    p.nodes[1].handle_fence_done(now, "alpha", false);
    p.run_until(ms(1599));
    assert_eq!(p.nodes[1].role(), Standby, "no promotion on a failed fence");
    assert_eq!(fence_events(&p, BETA).len(), 1);
    p.run_until(ms(1700));
    assert_eq!(
        fence_events(&p, BETA),
        [(ms(1000), alpha_fenced()), (ms(1600), alpha_fenced())],
        "asked again fence_retry after the failure"
    );
    assert!(p.nodes[1].status().to_string().contains("fencing=alpha"));
}

#[test]
fn a_successful_fence_promotes() {
    let mut p = active_crashed();
    let now = p.now;
    // An answer naming another member, or no member, changes nothing.
    p.nodes[1].handle_fence_done(now, "beta", true);
    p.nodes[1].handle_fence_done(now, "nobody", true);
    assert_eq!(p.nodes[1].role(), Standby);
    p.nodes[1].handle_fence_done(now, "alpha", true);
    p.flush();
    p.run_until(ms(1200));
    assert_eq!(
        p.roles_of(BETA),
        [(ms(1100), Promoting), (ms(1100), Active)]
    );
    assert_eq!(p.nodes[1].status().to_string(), "active peer=alpha:down");
}

#[test]
fn without_fencing_the_standby_promotes_at_once() {
    let mut p = Pair::new();
    p.connect();
    p.run_until(ms(1000));
    p.clear_events();
    p.crash(ALPHA);
    p.run_until(ms(1100));
    assert!(fence_events(&p, BETA).is_empty());
    assert_eq!(
        p.roles_of(BETA),
        [(ms(1000), Promoting), (ms(1000), Active)]
    );
}
