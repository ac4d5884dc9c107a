//! Transport security in the engine (PROTOCOL 3.4): links the driver authenticated carry the
//! [`Identity`] of the far end's certificate; a peer's hello must name its certificate's
//! member, a peer link must carry a configured peer's certificate (and, on an authenticated
//! node, one at all), and only an admin (or the local control socket, or a member) may
//! request a switchover. Exact typed outputs on two whole Nodes.

mod support;

use baton_core::{LinkId, NodeRole::*};
use baton_election::{message, UsageError};
use baton_engine::{
    CloseReason, Event, Identity, LinkKind, NodeConfig, Notice, Requester, SwitchoverRefused,
};
use baton_monitor::{heart_beat, ComponentStatus, LinkOrigin};
use std::time::Duration;
use support::*;

/// The link the forged or mistaken party opens to a node.
const INTRUDER: LinkId = LinkId(9);
const ACCEPTED: LinkKind = LinkKind::Peer(LinkOrigin::Accepted);

fn member(name: &str) -> Identity {
    Identity::Member(name.into())
}
fn client(name: &str, admin: bool) -> Identity {
    Identity::Client {
        name: name.into(),
        admin,
    }
}

/// `cfg(me)` with certificates required on peer links.
fn authenticated(cfg: fn(usize) -> NodeConfig) -> impl Fn(usize) -> NodeConfig {
    move |me| NodeConfig {
        authenticated: true,
        ..cfg(me)
    }
}

/// An authenticated pair on `PEER` (each node presenting its own member certificate), run
/// to 1 s (alpha Active, beta Standby), records cleared.
fn settled() -> Pair {
    let mut p = Pair::with(authenticated(config));
    p.certificates = vec![Some(member("alpha")), Some(member("beta"))];
    p.connect();
    p.run_until(ms(1000));
    assert_eq!([p.nodes[0].role(), p.nodes[1].role()], [Active, Standby]);
    p.clear_events();
    p
}

/// The forged peer of the issue on node `i`'s link `INTRUDER`, already opened: a hello with
/// the active's member id (alpha, "1"), then a nomination of the standby.
fn forge(p: &mut Pair, i: usize) {
    let now = p.now;
    let hello = heart_beat("77", "1", ComponentStatus::ok);
    p.nodes[i].handle_frame(now, INTRUDER, hello.into());
    p.nodes[i].handle_frame(now, INTRUDER, message::nomination("0 78", "beta").into());
    p.flush();
}

#[test]
fn identities_are_worded_for_the_log() {
    assert_eq!(member("alpha").to_string(), "member alpha");
    assert_eq!(client("ops", true).to_string(), "client ops (admin)");
    assert_eq!(client("ops", false).to_string(), "client ops (read-only)");
    assert_eq!(Requester::Local.to_string(), "the control socket");
    assert_eq!(
        Requester::Remote(client("ops", false)).to_string(),
        "client ops (read-only)"
    );
}

/// Both members dial with their certificates: the same election, the same frames and the
/// same events at the same times as without TLS (PROTOCOL 7.1), at zero and 5 ms latency;
/// each node knows its peer's identity on the link that stays.
#[test]
fn an_authenticated_pair_elects_exactly_as_an_unauthenticated_one() {
    for latency in [Duration::ZERO, Duration::from_millis(5)] {
        let mut plain = Pair::dialling();
        let mut tls = Pair::dialling_with(authenticated(sequence_config));
        tls.certificates = vec![Some(member("alpha")), Some(member("beta"))];
        for p in [&mut plain, &mut tls] {
            p.set_latency(latency);
            p.run_until(ms(1000));
        }
        assert_eq!(tls.events, plain.events, "latency {latency:?}");
        assert_eq!(tls.sent, plain.sent, "latency {latency:?}");
        assert_eq!(
            [tls.nodes[0].role(), tls.nodes[1].role()],
            [Active, Standby]
        );
        // alpha's link (10) stays, beta's (11) lost the duplicate-link rule.
        assert_eq!(tls.peer_links(), [LinkId(10)]);
        assert_eq!(
            tls.nodes[0].link_identity(LinkId(10)),
            Some(&member("beta"))
        );
        assert_eq!(
            tls.nodes[1].link_identity(LinkId(10)),
            Some(&member("alpha"))
        );
        assert_eq!(tls.nodes[0].link_identity(LinkId(11)), None);
        assert_eq!(tls.nodes[1].link_identity(LinkId(11)), None);
    }
}

/// A party holding alpha's certificate says hello to beta as beta: closed before the peer
/// monitor or the Election sees it, with the typed reason; what it sends next is dropped,
/// the link to alpha stays and no role changes.
#[test]
fn alphas_certificate_cannot_speak_as_beta() {
    let mut p = settled();
    let now = p.now;
    p.nodes[1].handle_link_authenticated(now, INTRUDER, ACCEPTED, member("alpha"));
    assert_eq!(p.nodes[1].link_identity(INTRUDER), Some(&member("alpha")));
    let hello = heart_beat("77", "2", ComponentStatus::ok);
    p.nodes[1].handle_frame(now, INTRUDER, hello.into());
    p.nodes[1].handle_frame(now, INTRUDER, message::nomination("0 78", "beta").into());
    p.flush();
    let mismatch = CloseReason::IdentityMismatch {
        hello: "beta".into(),
        certificate: "alpha".into(),
    };
    assert_eq!(
        p.events_of(BETA),
        [
            Event::CloseLink {
                link: INTRUDER,
                reason: mismatch.clone(),
            },
            Event::Notice(Notice::FrameOnUnknownLink { link: INTRUDER }),
        ]
    );
    assert_eq!(
        mismatch.to_string(),
        "hello refused: member alpha's certificate cannot speak as beta"
    );
    assert_eq!(p.nodes[1].link_identity(INTRUDER), None);
    p.run_for(Duration::from_secs(2));
    assert_eq!(p.closed(BETA), [(INTRUDER, mismatch)]);
    assert_eq!(p.roles_of(ALPHA), []);
    assert_eq!(p.roles_of(BETA), []);
    assert_eq!(p.elections(), []);
    assert!(p.is_open(BETA, PEER) && p.is_open(ALPHA, PEER));
}

/// The hello names a member id no member has: the reason shows the id.
#[test]
fn a_hello_naming_no_member_is_a_mismatch_with_the_id() {
    let mut p = settled();
    let now = p.now;
    p.nodes[1].handle_link_authenticated(now, INTRUDER, ACCEPTED, member("alpha"));
    let hello = heart_beat("77", "99", ComponentStatus::ok);
    p.nodes[1].handle_frame(now, INTRUDER, hello.into());
    p.flush();
    let mismatch = CloseReason::IdentityMismatch {
        hello: "99".into(),
        certificate: "alpha".into(),
    };
    assert_eq!(p.closed(BETA), [(INTRUDER, mismatch)]);
}

/// A peer link whose certificate is not a configured peer's (a client's, admin or not, this
/// node's own member's, a member's not configured here), or without a certificate on an
/// authenticated node, is closed as it opens: no hello is sent on it and nothing else
/// happens.
#[test]
fn a_peer_link_without_a_peers_certificate_is_closed_as_it_opens() {
    let not_a_peer = |certificate: Identity| CloseReason::NotAPeerCertificate { certificate };
    let cases = [
        (Some(client("ops", true)), not_a_peer(client("ops", true))),
        (Some(client("ops", false)), not_a_peer(client("ops", false))),
        (Some(member("beta")), not_a_peer(member("beta"))),
        (Some(member("gamma")), not_a_peer(member("gamma"))),
        (None, CloseReason::PeerWithoutCertificate),
    ];
    for (identity, reason) in cases {
        let mut p = settled();
        let now = p.now;
        match identity.clone() {
            Some(id) => p.nodes[1].handle_link_authenticated(now, INTRUDER, ACCEPTED, id),
            None => p.nodes[1].handle_link_opened(now, INTRUDER, ACCEPTED),
        }
        p.flush();
        let closed = Event::CloseLink {
            link: INTRUDER,
            reason,
        };
        assert_eq!(p.events_of(BETA), [closed], "{identity:?}");
        assert!(
            p.sent.iter().all(|s| s.link != INTRUDER),
            "nothing sent on it: {identity:?}"
        );
        assert_eq!(p.nodes[1].link_kind(INTRUDER), None);
    }
    let words = [
        (
            not_a_peer(client("ops", false)),
            "peer link refused: the certificate of client ops (read-only) is no peer's",
        ),
        (
            CloseReason::PeerWithoutCertificate,
            "peer link refused: no certificate, and this node requires one",
        ),
    ];
    for (reason, line) in words {
        assert_eq!(reason.to_string(), line);
    }
}

/// Component and client links carry any certificate, or none (the Unix sockets), on an
/// authenticated node: rights on them do not depend on it (every party may read).
#[test]
fn component_and_client_links_take_any_certificate_or_none() {
    let mut p = settled();
    let now = p.now;
    p.nodes[0].handle_link_authenticated(now, LinkId(20), LinkKind::Client, client("ops", false));
    p.nodes[0].handle_link_authenticated(now, LinkId(21), LinkKind::Client, member("beta"));
    p.nodes[0].handle_link_opened(now, LinkId(22), LinkKind::Client);
    p.nodes[0].handle_link_authenticated(now, LinkId(23), LinkKind::Component, member("alpha"));
    p.nodes[0].handle_link_opened(now, LinkId(24), LinkKind::Component);
    p.flush();
    assert_eq!(p.closed(ALPHA), []);
    for link in 20..=24 {
        assert!(p.nodes[0].link_kind(LinkId(link)).is_some(), "link {link}");
    }
}

/// Without TLS, the forged peer of the issue names alpha while beta hears alpha on `PEER`:
/// its hello waits, its nomination is dropped, and alpha's next heartbeat on `PEER` refuses
/// it (PROTOCOL 4, duplicate links: a live link is never displaced); beta stays Standby on
/// its link to alpha. (A forged peer that connects while alpha's link is down is what only
/// the identity binding closes.)
#[test]
fn without_certificates_the_forged_peer_cannot_displace_a_live_link() {
    let mut p = Pair::new();
    p.connect();
    p.run_until(ms(1000));
    p.clear_events();
    let now = p.now;
    p.nodes[1].handle_link_opened(now, INTRUDER, ACCEPTED);
    forge(&mut p, BETA);
    p.run_for(Duration::from_secs(2));
    let not_status = |e: &Event| !matches!(e, Event::StatusChanged(_));
    let beta: Vec<Event> = p.events_of(BETA).into_iter().filter(not_status).collect();
    assert_eq!(
        beta,
        [
            Event::Notice(Notice::PeerLinkWaits {
                peer: "alpha".into(),
                link: INTRUDER,
                up_on: PEER,
            }),
            Event::Notice(Notice::ElectionOnWaitingLink { link: INTRUDER }),
            Event::CloseLink {
                link: INTRUDER,
                reason: CloseReason::PeerAlreadyUp {
                    peer: "alpha".into()
                },
            },
        ]
    );
    assert_eq!(p.roles_of(BETA), []);
    assert_eq!(p.roles_of(ALPHA), []);
    assert_eq!(p.elections(), []);
    assert_eq!(p.closed(ALPHA), []);
    assert!(p.is_open(BETA, PEER));
    assert_eq!([p.nodes[0].role(), p.nodes[1].role()], [Active, Standby]);
}

/// The same forged peer on an authenticated standby, without a certificate or with a
/// client's: closed as it opens, its hello and nomination dropped; the Election never sees
/// it, beta stays Standby on its link to alpha.
#[test]
fn the_forged_peer_never_reaches_the_election_of_an_authenticated_standby() {
    let cases = [
        (None, CloseReason::PeerWithoutCertificate),
        (
            Some(client("ops", true)),
            CloseReason::NotAPeerCertificate {
                certificate: client("ops", true),
            },
        ),
    ];
    for (identity, reason) in cases {
        let mut p = settled();
        let now = p.now;
        match identity.clone() {
            Some(id) => p.nodes[1].handle_link_authenticated(now, INTRUDER, ACCEPTED, id),
            None => p.nodes[1].handle_link_opened(now, INTRUDER, ACCEPTED),
        }
        forge(&mut p, BETA);
        let dropped = Event::Notice(Notice::FrameOnUnknownLink { link: INTRUDER });
        assert_eq!(
            p.events_of(BETA),
            [
                Event::CloseLink {
                    link: INTRUDER,
                    reason,
                },
                dropped.clone(),
                dropped,
            ],
            "{identity:?}"
        );
        p.run_for(Duration::from_secs(2));
        assert_eq!(p.roles_of(BETA), [], "{identity:?}");
        assert_eq!(p.roles_of(ALPHA), [], "{identity:?}");
        assert_eq!(p.elections(), [], "{identity:?}");
        assert!(p.is_open(BETA, PEER), "{identity:?}");
        assert_eq!([p.nodes[0].role(), p.nodes[1].role()], [Active, Standby]);
    }
}

/// A read-only client's switchover is refused with nothing changed; an admin's starts it
/// (PROTOCOL 5.6), as do a member's certificate and the local control socket; a node that
/// cannot switch over says why.
#[test]
fn only_an_admin_a_member_or_the_control_socket_may_switch_over() {
    let mut p = settled();
    let now = p.now;
    let read_only = Requester::Remote(client("ops", false));
    let refused = p.nodes[0].switchover_by(now, &read_only);
    assert_eq!(
        refused,
        Err(SwitchoverRefused::ReadOnly {
            client: "ops".into()
        })
    );
    assert_eq!(
        refused.unwrap_err().to_string(),
        "read-only certificate: switchover needs an admin certificate"
    );
    assert!(!read_only.may_switch_over());
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.events_of(ALPHA), [], "nothing happened");
    assert_eq!(p.elections(), []);

    let admin = Requester::Remote(client("ops", true));
    let on_the_standby = p.nodes[1].switchover_by(p.now, &admin);
    assert_eq!(
        on_the_standby,
        Err(SwitchoverRefused::Usage(UsageError::NotActive(Standby)))
    );
    assert_eq!(
        on_the_standby.unwrap_err().to_string(),
        "switchover needs an active node, this one is standby"
    );

    // Each allowed requester hands the service over to the other member.
    let allowed = [admin, Requester::Remote(member("alpha")), Requester::Local];
    for (n, requester) in allowed.iter().enumerate() {
        assert!(requester.may_switch_over());
        let active = n % 2;
        let now = p.now;
        assert_eq!(p.nodes[active].switchover_by(now, requester), Ok(()));
        p.run_for(Duration::from_secs(1));
        let roles = [p.nodes[0].role(), p.nodes[1].role()];
        let expected = if active == 0 {
            [Standby, Active]
        } else {
            [Active, Standby]
        };
        assert_eq!(roles, expected, "{requester}");
    }
}
