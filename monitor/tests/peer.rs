//! Node-to-node liveness: hello, heartbeats, dead interval (PROTOCOL 4).

use baton_core::{Instant, LinkId};
use baton_monitor::{
    health_query, health_query_response, heart_beat, ComponentStatus, HelloRefusal, IgnoredReason,
    LinkOrigin, MonitorError, PeerConfig, PeerEvent as E, PeerLiveness, Transmit,
};
use std::time::Duration;

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn transmits(m: &mut PeerLiveness) -> Vec<Transmit> {
    std::iter::from_fn(|| m.poll_transmit()).collect()
}

fn events(m: &mut PeerLiveness) -> Vec<E> {
    std::iter::from_fn(|| m.poll_event()).collect()
}

fn hb(link: u64, correlation: &str, member: &str) -> Transmit {
    Transmit {
        link: LinkId(link),
        message: heart_beat(correlation, member, ComponentStatus::ok),
    }
}

/// Member "1" (a, highest priority) and "2" (b).
fn node(me: &str) -> PeerLiveness {
    PeerLiveness::new(PeerConfig::new(me, vec!["1".into(), "2".into()])).unwrap()
}

#[test]
fn hello_exchange_heartbeats_and_dead_interval() {
    let mut a = node("1");
    let mut b = node("2");
    a.handle_link_opened(at(0), LinkId(1), LinkOrigin::Dialled)
        .unwrap();
    b.handle_link_opened(at(0), LinkId(1), LinkOrigin::Accepted)
        .unwrap();
    // Each side's first frame: its hello.
    let hello_a = transmits(&mut a);
    let hello_b = transmits(&mut b);
    assert_eq!(hello_a, vec![hb(1, "1", "1")]);
    assert_eq!(hello_b, vec![hb(1, "1", "2")]);
    a.handle_message(at(5), LinkId(1), hello_b[0].message.clone());
    b.handle_message(at(5), LinkId(1), hello_a[0].message.clone());
    assert_eq!(
        events(&mut a),
        vec![E::PeerUp {
            member: "2".into(),
            link: LinkId(1)
        }]
    );
    assert_eq!(
        events(&mut b),
        vec![E::PeerUp {
            member: "1".into(),
            link: LinkId(1)
        }]
    );
    assert_eq!(a.link_of("2"), Some(LinkId(1)));

    // Heartbeats every 100 ms.
    a.handle_timeout(at(100));
    a.handle_timeout(at(200));
    assert_eq!(transmits(&mut a), vec![hb(1, "2", "1"), hb(1, "3", "1")]);
    // b's heartbeat at 100 keeps it alive until 400.
    a.handle_message(
        at(100),
        LinkId(1),
        heart_beat("2", "2", ComponentStatus::ok),
    );
    a.handle_timeout(at(300));
    assert_eq!(events(&mut a), vec![]);
    a.handle_timeout(at(399));
    assert_eq!(events(&mut a), vec![]);
    a.handle_timeout(at(400));
    assert_eq!(
        events(&mut a),
        vec![E::PeerDead {
            member: "2".into(),
            link: LinkId(1)
        }]
    );
    assert_eq!(a.link_of("2"), None);
    assert_eq!(a.poll_timeout(), None);
    transmits(&mut a);
    a.handle_message(
        at(410),
        LinkId(1),
        heart_beat("3", "2", ComponentStatus::ok),
    );
    assert_eq!(
        events(&mut a),
        vec![E::Ignored {
            link: LinkId(1),
            reason: IgnoredReason::UnknownLink
        }]
    );
}

#[test]
fn link_close_kills_the_peer_at_once() {
    let mut a = node("1");
    a.handle_link_opened(at(0), LinkId(1), LinkOrigin::Dialled)
        .unwrap();
    a.handle_message(at(1), LinkId(1), heart_beat("1", "2", ComponentStatus::ok));
    events(&mut a);
    a.handle_link_closed(at(2), LinkId(1));
    assert_eq!(
        events(&mut a),
        vec![E::PeerDead {
            member: "2".into(),
            link: LinkId(1)
        }]
    );
    // A link closed before its hello is forgotten quietly.
    a.handle_link_opened(at(3), LinkId(2), LinkOrigin::Dialled)
        .unwrap();
    a.handle_link_closed(at(4), LinkId(2));
    assert_eq!(events(&mut a), vec![]);
    assert_eq!(a.poll_timeout(), None);
}

#[test]
fn hello_refusal() {
    let mut a = node("1");
    for link in 1..=5 {
        a.handle_link_opened(at(link), LinkId(link), LinkOrigin::Accepted)
            .unwrap();
    }
    a.handle_message(at(5), LinkId(1), heart_beat("1", "1", ComponentStatus::ok));
    a.handle_message(at(5), LinkId(2), heart_beat("1", "3", ComponentStatus::ok));
    a.handle_message(at(5), LinkId(3), health_query("1", "2"));
    // Links 4 and 5 opened at 4 and 5 ms: no hello within the dead interval.
    a.handle_timeout(at(304));
    a.handle_timeout(at(305));
    assert_eq!(
        events(&mut a),
        vec![
            E::HelloRefused {
                link: LinkId(1),
                reason: HelloRefusal::SelfId
            },
            E::HelloRefused {
                link: LinkId(2),
                reason: HelloRefusal::UnknownMember("3".into())
            },
            E::HelloRefused {
                link: LinkId(3),
                reason: HelloRefusal::NotAHeartBeat
            },
            E::HelloRefused {
                link: LinkId(4),
                reason: HelloRefusal::NoHello
            },
            E::HelloRefused {
                link: LinkId(5),
                reason: HelloRefusal::NoHello
            },
        ]
    );
    assert_eq!(a.poll_timeout(), None);
    assert_eq!(
        a.handle_link_opened(at(0), LinkId(9), LinkOrigin::Dialled)
            .and_then(|()| a.handle_link_opened(at(0), LinkId(9), LinkOrigin::Dialled)),
        Err(MonitorError::LinkAlreadyOpen(LinkId(9)))
    );
    assert_eq!(
        PeerLiveness::new(PeerConfig::new("3", vec!["1".into(), "2".into()])).unwrap_err(),
        MonitorError::SelfNotMember("3".into())
    );
    assert_eq!(
        PeerLiveness::new(PeerConfig::new("1", vec!["1".into(), "b".into()])).unwrap_err(),
        MonitorError::InvalidId("b".into())
    );
}

/// Both dialled at once: the link dialled by the higher-priority member ("1") stays, on both
/// sides, whichever hello came first.
#[test]
fn duplicate_links_keep_the_one_dialled_by_the_higher_priority_member() {
    // On "1": link 1 dialled by us (preferred), link 2 accepted from "2".
    let mut a = node("1");
    a.handle_link_opened(at(0), LinkId(1), LinkOrigin::Dialled)
        .unwrap();
    a.handle_link_opened(at(0), LinkId(2), LinkOrigin::Accepted)
        .unwrap();
    a.handle_message(at(1), LinkId(2), heart_beat("1", "2", ComponentStatus::ok));
    a.handle_message(at(2), LinkId(1), heart_beat("1", "2", ComponentStatus::ok));
    assert_eq!(
        events(&mut a),
        vec![
            E::PeerUp {
                member: "2".into(),
                link: LinkId(2)
            },
            E::HelloRefused {
                link: LinkId(2),
                reason: HelloRefusal::Duplicate { member: "2".into() }
            },
            E::PeerUp {
                member: "2".into(),
                link: LinkId(1)
            },
        ]
    );
    // On "2": link 11 dialled by us, link 12 accepted from "1" (preferred).
    let mut b = node("2");
    b.handle_link_opened(at(0), LinkId(11), LinkOrigin::Dialled)
        .unwrap();
    b.handle_link_opened(at(0), LinkId(12), LinkOrigin::Accepted)
        .unwrap();
    b.handle_message(at(1), LinkId(12), heart_beat("1", "1", ComponentStatus::ok));
    b.handle_message(at(2), LinkId(11), heart_beat("1", "1", ComponentStatus::ok));
    assert_eq!(
        events(&mut b),
        vec![
            E::PeerUp {
                member: "1".into(),
                link: LinkId(12)
            },
            E::HelloRefused {
                link: LinkId(11),
                reason: HelloRefusal::Duplicate { member: "1".into() }
            },
        ]
    );
    assert_eq!(b.peers_up().collect::<Vec<_>>(), vec![("1", LinkId(12))]);
}

#[test]
fn peers_may_query_and_misbehaviour_is_ignored() {
    let mut a = node("1");
    a.handle_link_opened(at(0), LinkId(1), LinkOrigin::Dialled)
        .unwrap();
    a.handle_message(at(1), LinkId(1), heart_beat("1", "2", ComponentStatus::ok));
    transmits(&mut a);
    events(&mut a);
    a.handle_message(at(2), LinkId(1), health_query("44", "2"));
    assert_eq!(
        transmits(&mut a),
        vec![Transmit {
            link: LinkId(1),
            message: health_query_response("44", "1", ComponentStatus::ok)
        }]
    );
    a.handle_message(at(3), LinkId(1), heart_beat("2", "3", ComponentStatus::ok));
    a.handle_message(
        at(3),
        LinkId(1),
        health_query_response("2", "2", ComponentStatus::ok),
    );
    assert_eq!(
        events(&mut a),
        vec![
            E::Ignored {
                link: LinkId(1),
                reason: IgnoredReason::ComponentIdMismatch {
                    expected: "2".into(),
                    got: "3".into()
                }
            },
            E::Ignored {
                link: LinkId(1),
                reason: IgnoredReason::UnexpectedMessage
            },
        ]
    );
}

/// An up link 1 between "2" (this node, default timers: heartbeat 100 ms, dead interval
/// 300 ms, stall grace 100 ms, stall threshold 10 ms) and "1", the peer's hello heard at 0.
fn up_b() -> PeerLiveness {
    let mut b = node("2");
    b.handle_link_opened(at(0), LinkId(1), LinkOrigin::Accepted)
        .unwrap();
    b.handle_message(at(0), LinkId(1), heart_beat("1", "1", ComponentStatus::ok));
    transmits(&mut b);
    events(&mut b);
    b
}

fn peer_dead() -> Vec<E> {
    vec![E::PeerDead {
        member: "1".into(),
        link: LinkId(1),
    }]
}

/// Stall grace (PROTOCOL 4): a dead interval that ends late (this node stalled) is extended
/// once by the grace; the peer's heartbeat within it keeps the link up.
#[test]
fn stall_grace_a_late_dead_interval_is_extended_once_and_hearing_the_peer_ends_it() {
    let mut b = up_b();
    // Due at 300, handled at 330: 30 ms late, more than the 10 ms threshold.
    b.handle_timeout(at(330));
    assert_eq!(events(&mut b), vec![]);
    // The grace runs to 330 + 100 (the next heartbeat is due then too).
    assert_eq!(b.poll_timeout(), Some(at(430)));
    assert_eq!(b.link_of("1"), Some(LinkId(1)));
    // The peer, stalled too, is heard within the grace: alive, grace reset.
    b.handle_message(
        at(331),
        LinkId(1),
        heart_beat("9", "1", ComponentStatus::ok),
    );
    assert_eq!(events(&mut b), vec![]);
    // Next dead interval due at 631; late again: a fresh grace (the peer was heard since).
    b.handle_timeout(at(700));
    assert_eq!(events(&mut b), vec![]);
    assert_eq!(b.link_of("1"), Some(LinkId(1)));
    // Grace ends at 800 with nothing heard: dead.
    b.handle_timeout(at(800));
    assert_eq!(events(&mut b), peer_dead());
}

/// A second late expiry, without the peer heard in between, declares the peer dead.
#[test]
fn stall_grace_a_second_late_expiry_declares_the_peer_dead() {
    let mut b = up_b();
    b.handle_timeout(at(330));
    assert_eq!(events(&mut b), vec![]);
    // The grace ends at 430; handled late, at 500: no second grace.
    b.handle_timeout(at(500));
    assert_eq!(events(&mut b), peer_dead());
}

/// A dead interval handled in time (within the threshold) declares the peer dead at once.
#[test]
fn stall_grace_a_timely_expiry_declares_the_peer_dead() {
    let mut b = up_b();
    b.handle_timeout(at(299));
    assert_eq!(events(&mut b), vec![]);
    b.handle_timeout(at(305));
    assert_eq!(events(&mut b), peer_dead());
}

/// With a zero grace, a late expiry declares the peer dead as before.
#[test]
fn stall_grace_zero_disables_it() {
    let mut config = PeerConfig::new("2", vec!["1".into(), "2".into()]);
    config.stall_grace = Some(Duration::ZERO);
    let mut b = PeerLiveness::new(config).unwrap();
    b.handle_link_opened(at(0), LinkId(1), LinkOrigin::Accepted)
        .unwrap();
    b.handle_message(at(0), LinkId(1), heart_beat("1", "1", ComponentStatus::ok));
    events(&mut b);
    b.handle_timeout(at(400));
    assert_eq!(events(&mut b), peer_dead());
}
