//! A node of a cluster (PROTOCOL 5.9, 6.7) through the whole Node: the status line names
//! every member (`members=`), a witness says `witness`, and a quorum candidacy asks the
//! driver to persist its grant ([`Event::PersistGrant`]) before anything is sent.

use baton_core::{Instant, LinkId};
use baton_election::{Grant, Member, Mode, PersistedGrant, Round};
use baton_engine::{Event, LinkKind, Node, NodeConfig};
use baton_monitor::{heart_beat, ComponentStatus, LinkOrigin};

fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

/// Three members, quorum mode, this node at `me`; gamma a witness when `witness`.
fn three(me: usize, witness: bool) -> NodeConfig {
    let mut c = NodeConfig::quorum(&[("alpha", "1"), ("beta", "2"), ("gamma", "3")], me);
    assert_eq!(c.mode, Mode::Quorum);
    if witness {
        c.witnesses = vec![2];
    }
    c
}

fn persist_events(node: &mut Node) -> Vec<Event> {
    std::iter::from_fn(|| node.poll_event())
        .filter(|e| matches!(e, Event::PersistGrant { .. }))
        .collect()
}

#[test]
fn the_status_line_names_every_member() {
    let node = Node::new(three(0, false), ms(0)).unwrap();
    assert_eq!(
        node.status().to_string(),
        "negotiating members=alpha:negotiating,beta:down,gamma:down"
    );
    let witness = Node::new(three(2, true), ms(0)).unwrap();
    assert!(witness.is_witness());
    assert_eq!(
        witness.status().to_string(),
        "negotiating witness members=alpha:down,beta:down,gamma:negotiating"
    );
    assert_eq!(witness.member_state(2), "negotiating");
    assert_eq!(witness.member_state(0), "down");
}

#[test]
fn a_candidacy_persists_its_grant_before_it_sends() {
    let mut c = three(0, false);
    // The grant file said: round 4, to beta. Its voter lease is re-armed at start [Q2].
    c.persisted = PersistedGrant::Known(Grant {
        round: Round(4),
        member: Member(1),
    });
    let mut node = Node::new(c, ms(0)).unwrap();
    // beta up on a link, so that the candidacy has somewhere to send.
    node.handle_link_opened(ms(0), LinkId(1), LinkKind::Peer(LinkOrigin::Dialled));
    let hello = heart_beat("7", "2", ComponentStatus::ok);
    node.handle_frame(ms(0), LinkId(1), hello.into());
    assert!(node.peer_is_up(1));
    let _ = std::iter::from_fn(|| node.poll_transmit()).count();
    let mut now = ms(0);
    let mut asked = Vec::new();
    while now < ms(3000) && asked.is_empty() {
        now = node.poll_timeout().unwrap_or(ms(3000)).max(now);
        // beta stays alive (its heartbeats) and hears nothing from alpha that matters here.
        let beat = heart_beat("8", "2", ComponentStatus::ok);
        node.handle_frame(now, LinkId(1), beat.into());
        node.handle_timeout(now);
        assert!(node.peer_is_up(1), "beta up at {now:?}");
        let _ = std::iter::from_fn(|| node.poll_transmit())
            .filter(|t| matches!(t.message, baton_codec::AnyMessage::Election(_)))
            .map(|t| panic!("an Election message before the grant is persisted: {t:?}"))
            .count();
        asked = persist_events(&mut node);
    }
    assert_eq!(
        asked,
        [Event::PersistGrant {
            round: Round(5),
            member: 0,
            name: "alpha".into()
        }],
        "alpha stands in round 5 once beta's lease is over"
    );
    node.handle_grant_persisted(now, Round(5), 0);
    let sent: Vec<_> = std::iter::from_fn(|| node.poll_transmit())
        .filter_map(|t| match t.message {
            baton_codec::AnyMessage::Election(m) => Some((t.link, m)),
            _ => None,
        })
        .collect();
    assert_eq!(
        sent.len(),
        1,
        "the nomination to beta, once persisted: {sent:?}"
    );
    assert_eq!(sent[0].0, LinkId(1));
    let id = String::from_utf8_lossy(sent[0].1.correlation_id.0.as_bytes()).into_owned();
    assert!(
        id.starts_with("5 "),
        "the candidacy's round on the wire: {id:?}"
    );
    assert!(
        node.status().to_string().contains("round=5"),
        "{}",
        node.status()
    );
}
