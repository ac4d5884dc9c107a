//! Peer links (PROTOCOL 4, duplicate links) through the whole Node: a forged peer never
//! displaces a live link, in quorum mode as in pair mode; a restarted peer is linked again
//! at once when its old link closed, and once the old link dies of silence when it was left
//! half-open. Exact typed outputs.

mod support;

use baton_core::{Instant, LinkId, NodeRole::*};
use baton_election::{message, Grant, Member, PersistedGrant, Round};
use baton_engine::{CloseReason, Event, LinkKind, Node, NodeConfig, Notice};
use baton_monitor::{heart_beat, ComponentStatus, LinkOrigin};
use support::*;

/// gamma of alpha, beta, gamma in quorum mode, whose grant file says round 1 to beta.
fn gamma() -> NodeConfig {
    let mut c = NodeConfig::quorum(&[("alpha", "1"), ("beta", "2"), ("gamma", "3")], 2);
    c.persisted = PersistedGrant::Known(Grant {
        round: Round(1),
        member: Member(1),
    });
    c
}

fn drain(node: &mut Node) -> Vec<Event> {
    let _ = std::iter::from_fn(|| node.poll_transmit()).count();
    std::iter::from_fn(|| node.poll_event())
        .filter(|e| !matches!(e, Event::StatusChanged(_)))
        .collect()
}

/// The fault suite's forged peer (issue 11) on a quorum voter: gamma hears beta (serving
/// round 1) on link 1 and alpha on link 2; at 1 s a connection claims to be beta and asks
/// gamma to serve in round 4000000000. Its hello waits, its nomination is dropped, and beta's
/// next heartbeat refuses it: gamma sees no higher round, takes no role, and beta's link is
/// untouched.
#[test]
fn a_forged_peer_cannot_displace_a_live_link_in_quorum_mode() {
    let mut node = Node::new(gamma(), ms(0)).unwrap();
    let beta = LinkId(1);
    let alpha = LinkId(2);
    node.handle_link_opened(ms(0), beta, LinkKind::Peer(LinkOrigin::Accepted));
    node.handle_link_opened(ms(0), alpha, LinkKind::Peer(LinkOrigin::Accepted));
    let mut seq = 0;
    let mut t = 0;
    while t <= 1000 {
        seq += 1;
        let now = ms(t);
        node.handle_timeout(now);
        let beat = |id: &str| heart_beat(&seq.to_string(), id, ComponentStatus::ok);
        node.handle_frame(now, beta, beat("2").into());
        node.handle_frame(now, alpha, beat("1").into());
        // beta renews its lease of round 1 [Q9].
        let renewal = message::nomination(&format!("1 {seq}"), "beta");
        node.handle_frame(now, beta, renewal.into());
        t += 100;
    }
    drain(&mut node);
    assert!(node.peer_is_up(1) && node.peer_is_up(0));
    assert_eq!(node.election().seen_round(), Round(1));
    let role = node.role();

    let now = ms(1000);
    let forged = LinkId(9);
    node.handle_link_opened(now, forged, LinkKind::Peer(LinkOrigin::Accepted));
    let hello = heart_beat("77", "2", ComponentStatus::ok);
    node.handle_frame(now, forged, hello.into());
    let nomination = message::nomination("4000000000 1", "gamma");
    node.handle_frame(now, forged, nomination.into());
    assert_eq!(
        drain(&mut node),
        [
            Event::Notice(Notice::PeerLinkWaits {
                peer: "beta".into(),
                link: forged,
                up_on: beta,
            }),
            Event::Notice(Notice::ElectionOnWaitingLink { link: forged }),
        ]
    );
    // beta's next heartbeat on its own link refuses the forger.
    let beat = heart_beat("99", "2", ComponentStatus::ok);
    node.handle_frame(ms(1050), beta, beat.into());
    assert_eq!(
        drain(&mut node),
        [Event::CloseLink {
            link: forged,
            reason: CloseReason::PeerAlreadyUp {
                peer: "beta".into()
            }
        }]
    );
    assert_eq!(node.election().seen_round(), Round(1));
    assert_eq!(node.role(), role);
    assert!(node.peer_is_up(1));
    assert_eq!(
        node.link_kind(beta),
        Some(LinkKind::Peer(LinkOrigin::Accepted))
    );
}

/// The link alpha dialled at start, the one that stays.
const LINK: u64 = 12;

/// alpha and beta dialled each other at start (alpha's link 12 stays), alpha Active, beta
/// Standby at 1 s, records cleared.
fn settled() -> Pair {
    let mut p = Pair::dialling();
    p.attach(ALPHA, "10");
    p.attach(BETA, "10");
    p.run_until(ms(1000));
    assert_eq!([p.nodes[0].role(), p.nodes[1].role()], [Active, Standby]);
    p.clear_events();
    p
}

fn peer_ups(p: &Pair, i: usize) -> Vec<(Instant, LinkId)> {
    p.timed_notices(i)
        .into_iter()
        .filter_map(|(at, n)| match n {
            Notice::PeerUp { link, .. } => Some((at, link)),
            _ => None,
        })
        .collect()
}

/// The usual restart: beta's process dies (its kernel closes its links) and starts again
/// 100 ms later. Its link to alpha is up in the instant it starts, and it stands by.
#[test]
fn a_restarted_peer_is_linked_again_at_once() {
    let mut p = settled();
    p.crash(BETA);
    p.run_until(ms(1100));
    p.restart(BETA, 1001);
    p.run_until(ms(2000));
    assert_eq!(peer_ups(&p, ALPHA), [(ms(1100), LinkId(14))]);
    assert_eq!(p.closed(ALPHA), []);
    assert_eq!(p.roles_of(BETA), [(ms(1100), Standby)]);
    assert_eq!(p.roles_of(ALPHA), []);
}

/// A restart that leaves the old link half-open (beta's host reset: no FIN reached alpha):
/// alpha hears nothing more from beta on link 12, but until its dead interval ends (1.3 s:
/// beta last heard at 1 s) link 12 is beta's live link, so the hello on beta's new link 14
/// waits there (its election messages dropped). Link 12 then dies of silence and beta moves
/// to link 14 in that instant, never down for alpha's election; beta stands by. No other
/// link is dialled, none refused.
#[test]
fn a_peer_restarted_behind_a_half_open_link_moves_to_its_new_link_when_the_old_one_dies() {
    let mut p = settled();
    p.hang(BETA);
    p.run_until(ms(1100));
    p.restart(BETA, 1001);
    p.run_until(ms(2000));
    let new = LinkId(14);
    let waits = Notice::PeerLinkWaits {
        peer: "beta".into(),
        link: new,
        up_on: LinkId(LINK),
    };
    let alpha: Vec<_> = (p.timed_notices(ALPHA).into_iter())
        .filter(|(_, n)| !matches!(n, Notice::FrameOnUnknownLink { .. }))
        .collect();
    assert_eq!(
        alpha,
        [
            (ms(1100), waits),
            (ms(1100), Notice::ElectionOnWaitingLink { link: new }),
            (
                ms(1300),
                Notice::PeerUp {
                    peer: "beta".into(),
                    link: new
                }
            ),
        ]
    );
    let silent = CloseReason::PeerSilent {
        peer: "beta".into(),
    };
    assert_eq!(p.closed(ALPHA), [(LinkId(LINK), silent)]);
    assert_eq!(p.closed(BETA), []);
    assert_eq!(p.roles_of(BETA), [(ms(1300), Standby)]);
    assert_eq!(p.roles_of(ALPHA), []);
}
