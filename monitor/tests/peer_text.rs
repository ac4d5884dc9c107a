//! Issue 17: questions PROTOCOL 4 left open to an implementer, answered by the text and
//! pinned here: whether a heartbeat naming another member is a sign of life; what "newer"
//! means for two links to one member; two links open but not yet up.

use baton_core::{Instant, LinkId};
use baton_monitor::{
    heart_beat, ComponentStatus, HelloRefusal, IgnoredReason, LinkOrigin, PeerConfig,
    PeerEvent as E, PeerLiveness,
};

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn events(m: &mut PeerLiveness) -> Vec<E> {
    std::iter::from_fn(|| m.poll_event()).collect()
}

/// Member "2" of "1", "2" (default timers: heartbeat 100 ms, dead interval 300 ms).
fn node() -> PeerLiveness {
    PeerLiveness::new(PeerConfig::new("2", vec!["1".into(), "2".into()])).unwrap()
}

/// PROTOCOL 4, *Heartbeats*: after the hello, a `heartBeat` whose `componentId` is not the
/// peer's member id is ignored (logged) and is no sign of life: the dead interval runs on.
#[test]
fn a_heartbeat_naming_another_member_is_no_sign_of_life() {
    let mut b = node();
    b.handle_link_opened(at(0), LinkId(1), LinkOrigin::Accepted)
        .unwrap();
    b.handle_message(at(0), LinkId(1), heart_beat("1", "1", ComponentStatus::ok));
    events(&mut b);
    for t in [100, 200, 299] {
        b.handle_timeout(at(t));
        b.handle_message(at(t), LinkId(1), heart_beat("5", "2", ComponentStatus::ok));
    }
    let ignored = E::Ignored {
        link: LinkId(1),
        reason: IgnoredReason::ComponentIdMismatch {
            expected: "1".into(),
            got: "2".into(),
        },
    };
    assert_eq!(
        events(&mut b),
        vec![ignored.clone(), ignored.clone(), ignored]
    );
    b.handle_timeout(at(300));
    assert_eq!(
        events(&mut b),
        vec![E::PeerDead {
            member: "1".into(),
            link: LinkId(1)
        }]
    );
}

/// PROTOCOL 4, *Duplicate links*: nothing is decided while two links to one member are open
/// without a hello; the first link whose hello arrives is up; the other is judged when its
/// own hello arrives. Between two links of the same origin, "newer" is the one whose hello
/// arrived later, whatever order they opened in.
#[test]
fn of_two_links_of_one_origin_the_one_whose_hello_came_later_stays() {
    let mut b = node();
    for (t, link) in [(0, 1), (10, 2)] {
        b.handle_link_opened(at(t), LinkId(link), LinkOrigin::Accepted)
            .unwrap();
    }
    assert_eq!(events(&mut b), vec![]);
    // Link 2 (opened later) brings its hello first: it is up.
    b.handle_message(at(20), LinkId(2), heart_beat("1", "1", ComponentStatus::ok));
    let up = |l| E::PeerUp {
        member: "1".into(),
        link: LinkId(l),
    };
    assert_eq!(events(&mut b), vec![up(2)]);
    // Link 1's hello comes later, within a dead interval: link 1 is the newer, it stays.
    b.handle_message(at(30), LinkId(1), heart_beat("2", "1", ComponentStatus::ok));
    let refused = E::HelloRefused {
        link: LinkId(2),
        reason: HelloRefusal::Duplicate { member: "1".into() },
    };
    assert_eq!(events(&mut b), vec![refused, up(1)]);
    assert_eq!(b.link_of("1"), Some(LinkId(1)));
}
