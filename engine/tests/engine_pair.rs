//! Two composed nodes on a zero-latency virtual wire (no components): the startup election,
//! a crash of the active, and the status line a client sees.

mod support;

use baton_codec::Interface;
use baton_core::LinkId;
use baton_election::NodeRole;
use baton_engine::{CloseReason, LinkKind};
use baton_monitor::LinkOrigin;
use std::time::Duration;
use support::{Pair, PEER};

#[test]
fn pair_elects_one_active_and_the_standby_takes_over_a_crash() {
    let mut w = Pair::new();
    w.connect();
    let client = w.add_client(1);
    w.run_for(Duration::from_secs(2));
    let roles = [w.nodes[0].role(), w.nodes[1].role()];
    assert_eq!(
        roles,
        [NodeRole::Active, NodeRole::Standby],
        "{:?}",
        w.events
    );
    assert!(
        w.nodes[1]
            .status()
            .to_string()
            .starts_with("standby peer=alpha:active"),
        "{}",
        w.nodes[1].status()
    );
    assert_eq!(w.closed(0), vec![]);
    assert_eq!(w.closed(1), vec![]);
    // The client saw every change of beta's status, ending with the current one.
    let last = w.clients[client].lines().pop().expect("indications");
    assert_eq!(last, w.nodes[1].status().to_string());

    // alpha dies: beta's peer link closes at once and beta promotes.
    w.alive[0] = false;
    w.nodes[1].handle_link_closed(w.now, PEER);
    w.run_for(Duration::from_secs(2));
    assert_eq!(w.nodes[1].role(), NodeRole::Active);
    assert!(
        w.nodes[1]
            .status()
            .to_string()
            .starts_with("active peer=alpha:down"),
        "{}",
        w.nodes[1].status()
    );
}

#[test]
fn a_silent_peer_is_dead_after_the_dead_interval() {
    let mut w = Pair::new();
    w.connect();
    w.run_for(Duration::from_secs(1));
    assert_eq!(w.nodes[1].role(), NodeRole::Standby);
    // alpha hangs (no close): beta notices after the dead interval and closes the link.
    w.alive[0] = false;
    w.run_for(Duration::from_millis(250));
    assert_eq!(
        w.nodes[1].role(),
        NodeRole::Standby,
        "not before the dead interval"
    );
    w.run_for(Duration::from_millis(500));
    assert_eq!(w.nodes[1].role(), NodeRole::Active);
    let silent = CloseReason::PeerSilent {
        peer: "alpha".into(),
    };
    assert_eq!(w.closed(1), vec![(PEER, silent)]);
}

#[test]
fn wrong_interface_on_a_link_closes_it_and_keeps_the_role() {
    let mut w = Pair::new();
    w.connect();
    w.run_for(Duration::from_secs(1));
    let role = w.nodes[0].role();
    // A client sends an Election message: not allowed, link closed, role kept.
    w.nodes[0].handle_link_opened(w.now, LinkId(9), LinkKind::Client);
    let nomination = baton_election::message::nomination("1", "beta");
    w.nodes[0].handle_frame(w.now, LinkId(9), nomination.into());
    w.flush();
    let not_allowed = CloseReason::NotAllowed {
        interface: Interface::Election,
        kind: LinkKind::Client,
    };
    assert_eq!(w.closed(0), vec![(LinkId(9), not_allowed)]);
    assert_eq!(w.nodes[0].role(), role);
}

#[test]
fn a_misbehaving_peer_link_is_closed_without_taking_the_peer_for_dead() {
    let mut w = Pair::new();
    w.connect();
    w.run_for(Duration::from_secs(1));
    assert_eq!(w.nodes[1].role(), NodeRole::Standby);
    // alpha's link sends beta a Role message: not allowed between members.
    let bad = baton_role::set_role("5", baton_role::Role::active);
    w.nodes[1].handle_frame(w.now, PEER, bad.into());
    w.flush();
    let not_allowed = CloseReason::NotAllowed {
        interface: Interface::Role,
        kind: LinkKind::Peer(LinkOrigin::Accepted),
    };
    assert_eq!(w.closed(1), vec![(PEER, not_allowed)]);
    w.nodes[0].handle_link_closed(w.now, PEER);
    // alpha redials at once: a new link replaces the old one and beta never promotes.
    w.connect_on(LinkId(7));
    w.run_for(Duration::from_secs(2));
    assert_eq!(w.nodes[1].role(), NodeRole::Standby, "beta kept its role");
    assert_eq!(w.nodes[0].role(), NodeRole::Active);
}

#[test]
fn a_misbehaving_peer_that_does_not_come_back_is_down_after_the_dead_interval() {
    let mut w = Pair::new();
    w.connect();
    w.run_for(Duration::from_secs(1));
    w.nodes[1].handle_link_misbehaved(w.now, PEER);
    w.alive[0] = false;
    w.run_for(Duration::from_millis(200));
    assert_eq!(
        w.nodes[1].role(),
        NodeRole::Standby,
        "not before the dead interval"
    );
    w.run_for(Duration::from_secs(2));
    assert_eq!(w.nodes[1].role(), NodeRole::Active);
}
