//! The Node's typed outputs: why it closes a link ([`CloseReason`]) and what it notices
//! ([`Notice`]), with a peer always named by its member name.

mod support;

use baton_codec::Interface;
use baton_core::LinkId;
use baton_engine::{CloseReason, Event, LinkKind, Notice};
use baton_monitor::{heart_beat, ComponentStatus, HelloRefusal, LinkOrigin};
use std::time::Duration;
use support::{Pair, PEER};

/// The peer up and down notices of node `i`.
fn peer_notices(p: &Pair, i: usize) -> Vec<Notice> {
    p.notices(i)
        .into_iter()
        .filter(|n| matches!(n, Notice::PeerUp { .. } | Notice::PeerDown { .. }))
        .collect()
}

#[test]
fn peers_are_named_by_member_name_up_and_down() {
    let mut p = Pair::new();
    p.connect();
    p.run_for(Duration::from_secs(1));
    let up = |peer: &str| Notice::PeerUp {
        peer: peer.into(),
        link: PEER,
    };
    assert_eq!(peer_notices(&p, 0), [up("beta")]);
    assert_eq!(peer_notices(&p, 1), [up("alpha")]);
    assert_eq!(up("beta").to_string(), "peer beta up on link#1");

    // alpha hangs: beta closes the silent link and says alpha is down, by name.
    p.alive[0] = false;
    p.run_for(Duration::from_secs(1));
    let down = Notice::PeerDown {
        peer: "alpha".into(),
        link: PEER,
    };
    assert_eq!(peer_notices(&p, 1), [up("alpha"), down.clone()]);
    assert_eq!(down.to_string(), "peer alpha down (link#1)");
    let silent = CloseReason::PeerSilent {
        peer: "alpha".into(),
    };
    assert_eq!(p.closed(1), [(PEER, silent.clone())]);
    assert_eq!(
        silent.to_string(),
        "peer alpha silent for the dead interval"
    );
}

#[test]
fn a_peer_link_closed_for_misbehaviour_names_the_peer_and_the_grace() {
    let mut p = Pair::new();
    p.connect();
    p.run_for(Duration::from_secs(1));
    p.clear_events();
    p.nodes[1].handle_link_misbehaved(p.now, PEER);
    p.flush();
    let notice = Notice::PeerLinkClosedForMisbehaviour {
        peer: "alpha".into(),
        link: PEER,
        within: Duration::from_millis(300),
    };
    assert_eq!(p.notices(1), std::slice::from_ref(&notice));
    assert_eq!(
        notice.to_string(),
        "peer alpha: link#1 closed for misbehaviour; down unless it reconnects within 300 ms"
    );
}

#[test]
fn an_election_message_before_the_hello_closes_the_link() {
    let mut p = Pair::new();
    let link = LinkId(3);
    p.nodes[0].handle_link_opened(p.now, link, LinkKind::Peer(LinkOrigin::Accepted));
    let nomination = baton_election::message::nomination("1", "beta");
    p.nodes[0].handle_frame(p.now, link, nomination.into());
    p.flush();
    assert_eq!(p.closed(0), [(link, CloseReason::ElectionBeforeHello)]);
}

#[test]
fn a_hello_from_no_member_is_refused_with_the_typed_refusal() {
    let mut p = Pair::new();
    let link = LinkId(3);
    p.nodes[0].handle_link_opened(p.now, link, LinkKind::Peer(LinkOrigin::Accepted));
    let hello = heart_beat("1", "99", ComponentStatus::ok);
    p.nodes[0].handle_frame(p.now, link, hello.into());
    p.flush();
    let refused = CloseReason::HelloRefused(HelloRefusal::UnknownMember("99".into()));
    assert_eq!(p.closed(0), [(link, refused.clone())]);
    assert_eq!(
        refused.to_string(),
        "hello refused: the hello names id 99, no configured member (member id mismatch: \
         both configurations must list the same members with the same ids)"
    );
}

#[test]
fn the_losing_one_of_two_peer_links_names_the_peer() {
    let mut p = Pair::new();
    p.connect();
    p.run_for(Duration::from_secs(1));
    p.clear_events();
    // alpha dials again while both hear each other on PEER: the live link stays on both
    // nodes, the new one is refused (PROTOCOL 4, duplicate links).
    p.connect_on(LinkId(3));
    p.run_for(Duration::from_secs(1));
    let up = |peer: &str| (LinkId(3), CloseReason::PeerAlreadyUp { peer: peer.into() });
    assert_eq!(p.closed(0), [up("beta")]);
    assert_eq!(p.closed(1), [up("alpha")]);
    assert_eq!(
        up("beta").1.to_string(),
        "hello refused: peer beta is up and heard on another link"
    );
    let lost = CloseReason::DuplicatePeerLink {
        peer: "beta".into(),
    };
    assert_eq!(
        lost.to_string(),
        "hello refused: another link to peer beta stays"
    );
}

#[test]
fn a_wrong_interface_names_the_interface_and_the_link_kind() {
    let reason = CloseReason::NotAllowed {
        interface: Interface::Role,
        kind: LinkKind::Peer(LinkOrigin::Dialled),
    };
    assert_eq!(
        reason.to_string(),
        "role message not allowed on a peer link"
    );
}

#[test]
fn a_frame_after_the_node_closed_the_link_is_dropped_with_a_notice() {
    let mut p = Pair::new();
    p.flush();
    p.clear_events();
    let link = LinkId(5);
    p.nodes[0].handle_link_opened(p.now, link, LinkKind::Client);
    let nomination = baton_election::message::nomination("1", "alpha");
    p.nodes[0].handle_frame(p.now, link, nomination.clone().into());
    p.nodes[0].handle_frame(p.now, link, nomination.into());
    p.flush();
    assert_eq!(
        p.events_of(0),
        [
            Event::CloseLink {
                link,
                reason: CloseReason::NotAllowed {
                    interface: Interface::Election,
                    kind: LinkKind::Client,
                },
            },
            Event::Notice(Notice::FrameOnUnknownLink { link }),
        ]
    );
}
