//! The pair sequences of PROTOCOL 7, run on two whole Nodes on a virtual network: each node
//! dials the other as it asks to (so both dial at start and the duplicate-link rule of
//! PROTOCOL 4 closes one link), each has one component running the shipped component
//! engine, and every test compares whole typed outputs: the Election messages on the wire
//! (PROTOCOL 7's correlationIds: alpha's from 1, beta's from 101, a restarted node's from
//! 1001), each node's role changes with their times, the links it closed and why, what it
//! noticed, and the `setRole`s each component received.

mod support;

use baton_asn1::election::ElectionMessage;
use baton_asn1::role::RoleMessage;
use baton_core::{LinkId, NodeRole::*};
use baton_election::message;
use baton_engine::{CloseReason, Event, Notice};
use baton_role::Role;
use std::time::Duration;
use support::*;

fn nom(cid: &str, nominee: &str) -> ElectionMessage {
    message::nomination(cid, nominee)
}
fn asg(cid: &str, active: &str, standby: &str) -> ElectionMessage {
    message::assignment(message::correlation_id(cid), active, standby)
}
fn veto(cid: &str, active: &str, standby: &str) -> ElectionMessage {
    message::veto(message::correlation_id(cid), active, standby)
}
fn err(cid: &str, description: &str) -> ElectionMessage {
    message::error(message::correlation_id(cid), description)
}
fn set(cid: &str, role: Role) -> RoleMessage {
    baton_role::set_role(cid, role)
}
fn duplicate(peer: &str) -> CloseReason {
    CloseReason::DuplicatePeerLink { peer: peer.into() }
}
fn silent(peer: &str) -> CloseReason {
    CloseReason::PeerSilent { peer: peer.into() }
}
fn down(peer: &str, link: u64) -> Notice {
    Notice::PeerDown {
        peer: peer.into(),
        link: LinkId(link),
    }
}

/// alpha's component (link 10 at start).
const CA: usize = 0;
/// beta's component (link 11 at start).
const CB: usize = 1;
/// The peer link alpha dialled at start, the one that stays (link 13, beta's, is closed
/// as the duplicate).
const LINK: u64 = 12;

/// Both nodes started at 0, each with component "10"; nothing run yet.
fn started() -> Pair {
    let mut p = Pair::dialling();
    p.attach(ALPHA, "10");
    p.attach(BETA, "10");
    p
}

/// [`started`], run to 1 s (alpha Active, beta Standby), records cleared.
fn settled() -> Pair {
    let mut p = started();
    p.run_until(ms(1000));
    assert_eq!([p.nodes[0].role(), p.nodes[1].role()], [Active, Standby]);
    p.clear_events();
    p
}

/// PROTOCOL 7.1: both start and dial each other; alpha's link stays. Both self-nominate,
/// beta (outranked) agrees and stands by, alpha answers `negotiating` [F1] and promotes on
/// beta's answer; each component is given its node's role.
#[test]
fn startup_election() {
    let mut p = started();
    p.run_until(ms(1000));
    assert_eq!(
        p.elections(),
        [
            (ALPHA, nom("0 1", "alpha")),
            (BETA, nom("0 101", "beta")),
            (BETA, asg("0 1", "alpha", "beta")),
            (ALPHA, err("0 101", "negotiating")),
        ]
    );
    assert_eq!(p.roles_of(ALPHA), [(ms(0), Promoting), (ms(0), Active)]);
    assert_eq!(p.roles_of(BETA), [(ms(0), Standby)]);
    assert_eq!(p.closed(ALPHA), [(LinkId(13), duplicate("beta"))]);
    assert_eq!(p.closed(BETA), [(LinkId(13), duplicate("alpha"))]);
    assert_eq!(p.set_roles(CA), [(ms(0), set("1 1", Role::active))]);
    assert_eq!(p.set_roles(CB), [(ms(0), set("1 101", Role::standby))]);
}

/// PROTOCOL 7.1 with 5 ms one-way latency: the times. Each accepts the other's link at 5,
/// both links are up at 10, beta drops its own link for alpha's at 15 (its nomination on
/// it void, it nominates again, 102) and agrees to alpha's; alpha promotes at 20.
#[test]
fn startup_election_with_latency() {
    let mut p = Pair::dialling();
    p.set_latency(Duration::from_millis(5));
    p.run_until(ms(1000));
    assert_eq!(
        p.elections(),
        [
            (ALPHA, nom("0 1", "alpha")),
            (BETA, nom("0 101", "beta")),
            (BETA, nom("0 102", "beta")),
            (BETA, asg("0 1", "alpha", "beta")),
            (ALPHA, err("0 102", "negotiating")),
        ]
    );
    assert_eq!(p.roles_of(ALPHA), [(ms(20), Promoting), (ms(20), Active)]);
    assert_eq!(p.roles_of(BETA), [(ms(15), Standby)]);
    assert_eq!(
        p.events_where(BETA, |e| matches!(e, Event::CloseLink { .. })),
        [(
            ms(15),
            Event::CloseLink {
                link: LinkId(11),
                reason: duplicate("alpha")
            }
        )]
    );
}

/// PROTOCOL 7.2: alpha (Active) crashes at 1 s; beta promotes at once. alpha restarts at
/// 2 s and finds beta Active: beta vetoes, alpha stands by, beta's nomination refused while
/// alpha negotiated is retried after the back-off and agreed.
#[test]
fn active_restart_after_peer_promotion() {
    let mut p = settled();
    p.crash(ALPHA);
    p.run_until(ms(2000));
    assert_eq!(
        p.roles_of(BETA),
        [(ms(1000), Promoting), (ms(1000), Active)]
    );
    assert_eq!(p.notices(BETA), [down("alpha", LINK)]);
    assert_eq!(
        p.closed(BETA),
        [],
        "alpha's death closed the link, not beta"
    );
    assert_eq!(p.set_roles(CB), [(ms(1000), set("2 102", Role::active))]);

    p.restart(ALPHA, 1001);
    p.run_until(ms(3000));
    assert_eq!(
        p.elections(),
        [
            (ALPHA, nom("0 1001", "alpha")),
            (BETA, nom("2 102", "beta")),
            (BETA, veto("2 1001", "beta", "alpha")),
            (ALPHA, err("0 102", "negotiating")),
            (BETA, nom("2 103", "beta")),
            (ALPHA, asg("0 103", "beta", "alpha")),
        ]
    );
    assert_eq!(p.roles_of(ALPHA), [(ms(2000), Standby)]);
    assert_eq!(
        p.roles_of(BETA),
        [(ms(1000), Promoting), (ms(1000), Active)]
    );
    // alpha's component, which stood by when its link closed, reconnects on its next try
    // (every 100 ms while its node is down) and is set standby.
    assert_eq!(p.set_roles(CA), [(ms(2100), set("2 1001", Role::standby))]);
}

/// PROTOCOL 7.3: alpha restarts while beta still promotes (its component holds its answer):
/// beta vetoes from Promoting, alpha stands by; beta becomes Active when its component
/// confirms, and its retried nomination is agreed.
#[test]
fn active_restart_during_peer_promotion() {
    let mut p = settled();
    p.components[CB].answer = Answer::Hold;
    p.crash(ALPHA);
    p.run_until(ms(1200));
    assert_eq!(p.roles_of(BETA), [(ms(1000), Promoting)]);
    p.restart(ALPHA, 1001);
    p.run_until(ms(1250));
    assert_eq!(p.roles_of(ALPHA), [(ms(1200), Standby)]);
    p.answer(CB, true);
    p.run_until(ms(2000));
    assert_eq!(
        p.elections(),
        [
            (ALPHA, nom("0 1001", "alpha")),
            (BETA, nom("2 102", "beta")),
            (BETA, veto("2 1001", "beta", "alpha")),
            (ALPHA, err("0 102", "negotiating")),
            (BETA, nom("2 103", "beta")),
            (ALPHA, asg("0 103", "beta", "alpha")),
        ]
    );
    assert_eq!(
        p.roles_of(BETA),
        [(ms(1000), Promoting), (ms(1250), Active)]
    );
    assert_eq!(p.roles_of(ALPHA), [(ms(1200), Standby)]);
}

/// PROTOCOL 7.5: beta (Standby) crashes; alpha stays Active (a peer failure changes nothing
/// there) and dials it until it is back; beta restarts, agrees to alpha's nomination and
/// stands by; alpha vetoes beta's, which beta, no longer negotiating, ignores [F7].
#[test]
fn standby_restart() {
    let mut p = settled();
    p.crash(BETA);
    p.run_until(ms(2000));
    assert_eq!(p.roles_of(ALPHA), []);
    assert_eq!(p.notices(ALPHA), [down("beta", LINK)]);
    let dials: Vec<_> = p
        .events_where(ALPHA, |e| matches!(e, Event::Dial { .. }))
        .into_iter()
        .map(|(at, _)| at)
        .collect();
    // At once, then after each refusal: 50, 100, then 150 ms (half the startup wait).
    let times = [1000, 1050, 1150, 1300, 1450, 1600, 1750, 1900];
    assert_eq!(dials, times.map(ms));

    p.restart(BETA, 1001);
    p.run_until(ms(3000));
    assert_eq!(
        p.elections(),
        [
            (BETA, nom("0 1001", "beta")),
            (ALPHA, nom("1 2", "alpha")),
            (ALPHA, veto("1 1001", "alpha", "beta")),
            (BETA, asg("0 2", "alpha", "beta")),
        ]
    );
    assert_eq!(p.roles_of(BETA), [(ms(2000), Standby)]);
    assert_eq!(p.roles_of(ALPHA), []);
    assert_eq!(p.set_roles(CA), []);
    assert_eq!(p.set_roles(CB), [(ms(2100), set("2 1001", Role::standby))]);
}

/// PROTOCOL 7.6: a switchover on alpha at 1 s, each application taking 20 ms to switch:
/// alpha demotes and sends nothing until its component stood by (1020), then asks beta to
/// take over; beta agrees and promotes, Active once its component confirmed (1040).
#[test]
fn planned_switchover() {
    let mut p = settled();
    for c in &mut p.components {
        c.answer = Answer::Accept(Duration::from_millis(20));
    }
    assert_eq!(p.switchover(ALPHA), Ok(()));
    p.run_until(ms(2000));
    assert_eq!(
        p.elections(),
        [
            (ALPHA, nom("1 2", "beta")),
            (BETA, asg("2 2", "beta", "alpha"))
        ]
    );
    assert_eq!(
        p.roles_of(ALPHA),
        [(ms(1000), Demoting), (ms(1020), Standby)]
    );
    assert_eq!(
        p.roles_of(BETA),
        [(ms(1020), Promoting), (ms(1040), Active)]
    );
    assert_eq!(p.set_roles(CA), [(ms(1000), set("1 2", Role::standby))]);
    assert_eq!(p.set_roles(CB), [(ms(1020), set("2 102", Role::active))]);
    assert_eq!(p.closed(ALPHA), []);
    assert_eq!(p.closed(BETA), []);
}

/// PROTOCOL 7.7: a partition from 1 s to 2 s. Each hears nothing for the dead interval and
/// closes the link at 1.3 s; beta promotes (round 2), alpha (Active, round 1) stays.
/// Connect attempts time out until the partition heals; the first after it (2.35 s) brings
/// the link back, both self-nominate, both veto, and alpha, whose round is older, demotes
/// [F2] (heal by generation, PROTOCOL 5.11): the newer promotion keeps the service.
#[test]
fn dual_active_heals() {
    let mut p = settled();
    p.partition();
    p.run_until(ms(2000));
    p.heal();
    p.run_until(ms(3000));
    assert_eq!(
        p.closed(ALPHA),
        [
            (LinkId(LINK), silent("beta")),
            (LinkId(15), duplicate("beta"))
        ]
    );
    assert_eq!(
        p.closed(BETA),
        [
            (LinkId(LINK), silent("alpha")),
            (LinkId(15), duplicate("alpha"))
        ]
    );
    assert_eq!(
        p.elections(),
        [
            (ALPHA, nom("1 2", "alpha")),
            (BETA, nom("2 102", "beta")),
            (BETA, veto("2 2", "beta", "alpha")),
            (ALPHA, veto("1 102", "alpha", "beta")),
        ]
    );
    assert_eq!(
        p.roles_of(ALPHA),
        [(ms(2350), Demoting), (ms(2350), Standby)]
    );
    assert_eq!(
        p.roles_of(BETA),
        [(ms(1300), Promoting), (ms(1300), Active)]
    );
    assert_eq!(p.set_roles(CB), [(ms(1300), set("2 102", Role::active))]);
    assert_eq!(p.set_roles(CA), [(ms(2350), set("2 2", Role::standby))]);
}

/// The stop policy (PROTOCOL 7.6): a stop on the Active hands over, then exits once the
/// peer agreed; the node then goes away and its peer sees it down, already promoting.
#[test]
fn a_stopped_active_hands_over_then_exits() {
    let mut p = settled();
    p.stop(ALPHA);
    p.run_until(ms(2000));
    let alpha = p.events_where(ALPHA, |e| !matches!(e, Event::StatusChanged(_)));
    assert_eq!(
        alpha,
        [
            (
                ms(1000),
                Event::RoleChanged {
                    from: Active,
                    to: Demoting
                }
            ),
            (ms(1000), Event::Notice(Notice::StopHandingOver)),
            (
                ms(1000),
                Event::RoleChanged {
                    from: Demoting,
                    to: Standby
                }
            ),
            (ms(1000), Event::Exit { handed_over: true }),
        ]
    );
    assert_eq!(
        p.elections(),
        [
            (ALPHA, nom("1 2", "beta")),
            (BETA, asg("2 2", "beta", "alpha"))
        ]
    );
    assert_eq!(
        p.roles_of(BETA),
        [(ms(1000), Promoting), (ms(1000), Active)]
    );
    assert_eq!(p.notices(BETA), [down("alpha", LINK)]);
    assert_eq!(p.set_roles(CA), [(ms(1000), set("1 2", Role::standby))]);
}
