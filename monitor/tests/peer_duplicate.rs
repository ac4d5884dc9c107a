//! Two links to one member (PROTOCOL 4, duplicate links): a link up for a dead interval and
//! still heard is never displaced (a forged hello is refused); it goes only when it closes or
//! falls silent, and the next link is then taken.

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
/// whose dialled links "2" would prefer in a race) while "1" is heard on link 1. Refused as
/// `AlreadyUp`; link 1 stays up and alive.
#[test]
fn a_hello_for_a_member_settled_on_another_link_is_refused() {
    let mut b = settled();
    b.handle_link_opened(at(1010), LinkId(9), LinkOrigin::Accepted)
        .unwrap();
    b.handle_message(
        at(1010),
        LinkId(9),
        heart_beat("7", "1", ComponentStatus::ok),
    );
    assert_eq!(
        events(&mut b),
        vec![E::HelloRefused {
            link: LinkId(9),
            reason: HelloRefusal::AlreadyUp { member: "1".into() }
        }]
    );
    assert_eq!(b.peers_up().collect::<Vec<_>>(), vec![("1", LinkId(1))]);
    // Link 1 still lives: heard at 1000, it dies only at 1300 if silent.
    b.handle_timeout(at(1299));
    assert_eq!(events(&mut b), vec![]);
    b.handle_message(
        at(1200),
        LinkId(1),
        heart_beat("9", "1", ComponentStatus::ok),
    );
    b.handle_timeout(at(1450));
    assert_eq!(events(&mut b), vec![]);
    assert_eq!(b.link_of("1"), Some(LinkId(1)));
}

/// A restarted peer whose old link is half-open: its new link is refused while the old one
/// is within its dead interval; once that dies of silence, the next link is taken at once.
/// A closed old link (the usual restart: its kernel closed it) frees the member at once.
#[test]
fn the_next_link_is_taken_once_the_old_one_closed_or_fell_silent() {
    let mut b = settled();
    b.handle_link_opened(at(1050), LinkId(2), LinkOrigin::Accepted)
        .unwrap();
    b.handle_message(
        at(1050),
        LinkId(2),
        heart_beat("1", "1", ComponentStatus::ok),
    );
    b.handle_timeout(at(1300));
    b.handle_link_opened(at(1300), LinkId(3), LinkOrigin::Accepted)
        .unwrap();
    b.handle_message(
        at(1300),
        LinkId(3),
        heart_beat("2", "1", ComponentStatus::ok),
    );
    let member = || "1".to_owned();
    assert_eq!(
        events(&mut b),
        vec![
            E::HelloRefused {
                link: LinkId(2),
                reason: HelloRefusal::AlreadyUp { member: member() }
            },
            E::PeerDead {
                member: member(),
                link: LinkId(1)
            },
            E::PeerUp {
                member: member(),
                link: LinkId(3)
            },
        ]
    );

    b.handle_link_closed(at(1400), LinkId(3));
    b.handle_link_opened(at(1400), LinkId(4), LinkOrigin::Accepted)
        .unwrap();
    b.handle_message(
        at(1400),
        LinkId(4),
        heart_beat("1", "1", ComponentStatus::ok),
    );
    assert_eq!(
        events(&mut b),
        vec![
            E::PeerDead {
                member: member(),
                link: LinkId(3)
            },
            E::PeerUp {
                member: member(),
                link: LinkId(4)
            },
        ]
    );
}

/// Both members dial at once, each link's hello coming 1 ms after the other's: within a dead
/// interval of each other, the link "1" dialled stays on both nodes whichever came up first,
/// and a same-origin newcomer loses to the link already up.
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
        // A third link, dialled by "1" again, 100 ms later: the older one stays.
        b.handle_link_opened(at(100), LinkId(3), LinkOrigin::Accepted)
            .unwrap();
        b.handle_message(
            at(100),
            LinkId(3),
            heart_beat("3", "1", ComponentStatus::ok),
        );
        assert_eq!(
            events(&mut b),
            vec![E::HelloRefused {
                link: LinkId(3),
                reason: HelloRefusal::Duplicate { member: "1".into() }
            }]
        );
    }
}
