//! Two links to one member (PROTOCOL 4, duplicate links): a link up for a dead interval and
//! still heard is never displaced (a forged hello waits, then is refused when the member is
//! heard); it goes only when it closes or falls silent, and the waiting link then takes its
//! place.

use baton_core::{Instant, LinkId};
use baton_monitor::{
    heart_beat, ComponentStatus, HelloRefusal, LinkOrigin, PeerConfig, PeerEvent as E, PeerLiveness,
};

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn events(m: &mut PeerLiveness) -> Vec<E> {
    std::iter::from_fn(|| m.poll_event()).collect()
}

/// Member "2" of "1", "2", "3" (default timers: heartbeat 100 ms, dead interval 300 ms), up
/// to "1" on link 1 (dialled by "2") since 0 ms, heard every 100 ms until 1000 ms.
fn settled() -> PeerLiveness {
    let members = vec!["1".into(), "2".into(), "3".into()];
    let mut b = PeerLiveness::new(PeerConfig::new("2", members)).unwrap();
    b.handle_link_opened(at(0), LinkId(1), LinkOrigin::Dialled)
        .unwrap();
    b.handle_message(at(0), LinkId(1), heart_beat("1", "1", ComponentStatus::ok));
    for t in (100..=1000).step_by(100) {
        b.handle_timeout(at(t));
        b.handle_message(at(t), LinkId(1), heart_beat("1", "1", ComponentStatus::ok));
    }
    events(&mut b);
    b
}

/// The forged peer: a link accepted from someone claiming "1" (the higher-priority member,
/// whose dialled links "2" would prefer in a race) while "1" is heard on link 1. Its hello
/// waits (parked); "1"'s next heartbeat on link 1 refuses it (`AlreadyUp`). Link 1 stays up.
/// A second forger parked meanwhile refuses the first.
#[test]
fn a_hello_for_a_member_settled_on_another_link_waits_and_is_refused_when_it_is_heard() {
    let mut b = settled();
    let hb = |c: &str| heart_beat(c, "1", ComponentStatus::ok);
    for link in [8, 9] {
        b.handle_link_opened(at(1010), LinkId(link), LinkOrigin::Accepted)
            .unwrap();
        b.handle_message(at(1010), LinkId(link), hb("7"));
    }
    let member = || "1".to_owned();
    let parked = |l| E::Parked {
        member: member(),
        link: LinkId(l),
        up_on: LinkId(1),
    };
    let refused = |l| E::HelloRefused {
        link: LinkId(l),
        reason: HelloRefusal::AlreadyUp { member: member() },
    };
    assert_eq!(events(&mut b), vec![parked(8), refused(8), parked(9)]);
    assert_eq!(b.parked(LinkId(9)), Some("1"));
    // The forger's heartbeats keep its link open, nothing more.
    b.handle_message(at(1050), LinkId(9), hb("8"));
    assert_eq!(events(&mut b), vec![]);
    b.handle_message(at(1100), LinkId(1), hb("9"));
    assert_eq!(events(&mut b), vec![refused(9)]);
    assert_eq!(b.peers_up().collect::<Vec<_>>(), vec![("1", LinkId(1))]);
    assert_eq!(b.parked(LinkId(9)), None);
    b.handle_timeout(at(1399));
    assert_eq!(events(&mut b), vec![]);
    assert_eq!(b.link_of("1"), Some(LinkId(1)));
}

/// The peer found link 1 dead before this node did (a stalled link, a half-open one after a
/// restart) and dialled again: its hello waits on link 2 while link 1 is within its dead
/// interval, and when link 1 dies of silence (1.3 s) the member moves to link 2 without ever
/// being down. A closed up link frees the member at once for the next link, or moves it to
/// the link waiting for it.
#[test]
fn the_next_link_is_taken_once_the_old_one_closed_or_fell_silent() {
    let mut b = settled();
    let hb = |c: &str| heart_beat(c, "1", ComponentStatus::ok);
    b.handle_link_opened(at(1050), LinkId(2), LinkOrigin::Accepted)
        .unwrap();
    b.handle_message(at(1050), LinkId(2), hb("1"));
    b.handle_message(at(1200), LinkId(2), hb("2"));
    b.handle_timeout(at(1300));
    let member = || "1".to_owned();
    assert_eq!(
        events(&mut b),
        vec![
            E::Parked {
                member: member(),
                link: LinkId(2),
                up_on: LinkId(1)
            },
            E::Moved {
                member: member(),
                from: LinkId(1),
                to: LinkId(2)
            },
        ]
    );
    assert_eq!(b.peers_up().collect::<Vec<_>>(), vec![("1", LinkId(2))]);
    // Up on link 2 since 1.3 s: it dies at 1.6 s unless heard.
    b.handle_timeout(at(1599));
    assert_eq!(events(&mut b), vec![]);

    b.handle_link_closed(at(1400), LinkId(2));
    b.handle_link_opened(at(1400), LinkId(4), LinkOrigin::Accepted)
        .unwrap();
    b.handle_message(at(1400), LinkId(4), hb("3"));
    assert_eq!(
        events(&mut b),
        vec![
            E::PeerDead {
                member: member(),
                link: LinkId(2)
            },
            E::PeerUp {
                member: member(),
                link: LinkId(4)
            },
        ]
    );

    // Settled on link 4 (heard every 100 ms); link 5's hello waits, then falls silent.
    for t in (1500..=1800).step_by(100) {
        b.handle_timeout(at(t));
        b.handle_message(at(t), LinkId(4), hb("4"));
    }
    b.handle_link_opened(at(1810), LinkId(5), LinkOrigin::Accepted)
        .unwrap();
    b.handle_message(at(1810), LinkId(5), hb("5"));
    b.handle_link_closed(at(1820), LinkId(4));
    assert_eq!(
        events(&mut b),
        vec![
            E::Parked {
                member: member(),
                link: LinkId(5),
                up_on: LinkId(4)
            },
            E::Moved {
                member: member(),
                from: LinkId(4),
                to: LinkId(5)
            },
        ]
    );
}

/// Both members dial at once, each link's hello coming 1 ms after the other's: within a dead
/// interval of each other, the link "1" dialled stays on both nodes whichever came up first,
/// and a same-origin newcomer replaces the link already up.
#[test]
fn racing_links_settle_on_the_one_the_higher_priority_member_dialled() {
    for first_up in [LinkId(1), LinkId(2)] {
        // On "2": link 1 dialled by "2", link 2 accepted from "1" (preferred).
        let mut b = PeerLiveness::new(PeerConfig::new("2", vec!["1".into(), "2".into()])).unwrap();
        b.handle_link_opened(at(0), LinkId(1), LinkOrigin::Dialled)
            .unwrap();
        b.handle_link_opened(at(0), LinkId(2), LinkOrigin::Accepted)
            .unwrap();
        let second_up = if first_up == LinkId(1) {
            LinkId(2)
        } else {
            LinkId(1)
        };
        b.handle_message(at(1), first_up, heart_beat("1", "1", ComponentStatus::ok));
        b.handle_message(at(2), second_up, heart_beat("2", "1", ComponentStatus::ok));
        events(&mut b);
        assert_eq!(b.peers_up().collect::<Vec<_>>(), vec![("1", LinkId(2))]);
        // A third link, dialled by "1" again 100 ms later (it found link 2 dead): within a
        // dead interval of link 2 coming up, the newer of one origin replaces it; a fourth
        // one, dialled by "2", loses to it.
        b.handle_link_opened(at(100), LinkId(3), LinkOrigin::Accepted)
            .unwrap();
        b.handle_message(
            at(100),
            LinkId(3),
            heart_beat("3", "1", ComponentStatus::ok),
        );
        b.handle_link_opened(at(101), LinkId(4), LinkOrigin::Dialled)
            .unwrap();
        b.handle_message(
            at(101),
            LinkId(4),
            heart_beat("4", "1", ComponentStatus::ok),
        );
        let lost = |l| E::HelloRefused {
            link: LinkId(l),
            reason: HelloRefusal::Duplicate { member: "1".into() },
        };
        let up = E::PeerUp {
            member: "1".into(),
            link: LinkId(3),
        };
        assert_eq!(events(&mut b), vec![lost(2), up, lost(4)]);
    }
}
