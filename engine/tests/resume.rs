//! A node resuming from a stall of its own (PROTOCOL 6.3, *A resumed node*): components that
//! register within a dead interval of the resume, while the node's components are to be
//! active, get their role once the election's view is settled. Exact typed outputs.

mod support;

use baton_core::{LinkId, NodeRole::*};
use baton_engine::{CloseReason, Notice};
use baton_monitor::HelloRefusal;
use baton_role::Role;
use std::time::Duration;
use support::*;

/// alpha's component.
const CA: usize = 0;
/// beta's component.
const CB: usize = 1;
/// The peer link alpha dialled at start, the one that stays.
const LINK: u64 = 12;

fn set(cid: &str, role: Role) -> baton_asn1::role::RoleMessage {
    baton_role::set_role(cid, role)
}

fn settled() -> Pair {
    let mut p = Pair::dialling();
    p.attach(ALPHA, "10");
    p.attach(BETA, "10");
    p.run_until(ms(1000));
    assert_eq!([p.nodes[0].role(), p.nodes[1].role()], [Active, Standby]);
    p.clear_events();
    p
}

/// PROTOCOL 4 and 6.3: alpha (Active) hangs from 1 s to 2 s. Its component's watchdog
/// stands it by at 1.19 s (190 ms after the last query), before beta promotes at 1.3 s,
/// so no two components are active at once. beta's attempts to reach the hung alpha get no
/// hello. At 2 s alpha reads everything first (its peer link closed, its component
/// reconnected), dials, and the pair heals as after a partition [F2]: alpha, whose round is
/// older, stands by. Its component, registered again, is never told `active` in between.
#[test]
fn a_hung_active_resumes_and_the_pair_heals() {
    let mut p = settled();
    p.hang(ALPHA);
    p.run_until(ms(2000));
    p.resume(ALPHA);
    p.run_until(ms(3000));
    let watchdog = baton_component::engine::ComponentEngineEvent::SelfDemoted {
        reason: baton_component::WatchdogReason::Silent,
    };
    assert_eq!(p.components[CA].events[0], (ms(1190), watchdog));
    assert_eq!(p.set_roles(CB)[0], (ms(1300), set("2 102", Role::active)));
    let no_hello = CloseReason::HelloRefused(HelloRefusal::NoHello);
    let silent = CloseReason::PeerSilent {
        peer: "alpha".into(),
    };
    // beta's attempts that got no hello count as failed (PROTOCOL 4, Dialling): 50 ms, then
    // 100 ms after the second (closed at 1.95 s), so alpha's own dial at 2 s is the link.
    assert_eq!(
        p.closed(BETA),
        [
            (LinkId(LINK), silent),
            (LinkId(15), no_hello.clone()),
            (LinkId(16), no_hello),
        ]
    );
    assert_eq!(p.closed(ALPHA), []);
    // Heal by generation (PROTOCOL 5.11): beta's promotion (round 2) is newer than alpha's
    // (round 1): alpha demotes, beta keeps the service. No second failover after a stall.
    assert_eq!(
        p.roles_of(ALPHA),
        [(ms(2000), Demoting), (ms(2000), Standby)]
    );
    assert_eq!(
        p.roles_of(BETA),
        [(ms(1300), Promoting), (ms(1300), Active)]
    );
    // alpha's component, back from its watchdog, registered while alpha was hung. alpha, its
    // timers 900 ms late, holds that registration (PROTOCOL 6.3, *A resumed node*) until the
    // election has healed: the component is told standby, never active.
    let resumed = Notice::Resumed {
        late: Duration::from_millis(900),
        hold: Duration::from_millis(300),
    };
    let held: Vec<_> = (p.timed_notices(ALPHA).into_iter())
        .filter(|(_, n)| matches!(n, Notice::Resumed { .. }))
        .collect();
    assert_eq!(held, [(ms(2000), resumed)]);
    assert_eq!(p.set_roles(CA), [(ms(2000), set("2 2", Role::standby))]);
}

/// alpha (Active) hangs from 1 s to 2 s behind a partition that lasts until 3 s: beta
/// promotes at 1.3 s. At 2 s alpha's peer is unreachable, so nothing settles its view in the
/// dead interval: its component, registered again during the hang, is held until 2.3 s and
/// then given alpha's role (still Active: a partition in pair mode, PROTOCOL 5.6); the
/// healing after 3 s stands it by.
#[test]
fn a_resumed_active_that_cannot_reach_its_peer_activates_after_the_dead_interval() {
    let mut p = settled();
    p.hang(ALPHA);
    p.partition();
    p.run_until(ms(2000));
    p.resume(ALPHA);
    p.run_until(ms(3000));
    p.heal();
    p.run_until(ms(4000));
    let resumed = Notice::Resumed {
        late: Duration::from_millis(900),
        hold: Duration::from_millis(300),
    };
    let held: Vec<_> = (p.timed_notices(ALPHA).into_iter())
        .filter(|(_, n)| matches!(n, Notice::Resumed { .. }))
        .collect();
    assert_eq!(held, [(ms(2000), resumed)]);
    let roles: Vec<_> = p
        .set_roles(CA)
        .into_iter()
        .map(|(at, m)| (at, m.message))
        .collect();
    let set =
        |role| baton_asn1::role::RoleMessageMessage::setRole(baton_asn1::role::SetRole::new(role));
    assert_eq!(roles[0], (ms(2300), set(Role::active)));
    assert_eq!(roles.len(), 2, "{roles:?}");
    assert_eq!(roles[1].1, set(Role::standby));
    assert_eq!([p.nodes[0].role(), p.nodes[1].role()], [Standby, Active]);
}

/// A component that registers on a running Active node is told `active` at once: no stall,
/// no hold.
#[test]
fn without_a_stall_a_registration_is_given_the_role_at_once() {
    let mut p = settled();
    p.run_until(ms(1500));
    let c = p.attach(ALPHA, "11");
    p.run_until(ms(1600));
    assert_eq!(
        p.notices(ALPHA)
            .iter()
            .filter(|n| matches!(n, Notice::Resumed { .. }))
            .count(),
        0
    );
    let roles: Vec<_> = p.set_roles(c).into_iter().map(|(at, _)| at).collect();
    assert_eq!(roles, [ms(1500)]);
}
