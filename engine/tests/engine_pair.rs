//! Two composed nodes on a zero-latency virtual wire (no components): the startup election,
//! a crash of the active, and the status line a client sees.

use baton_codec::AnyMessage;
use baton_core::{Instant, LinkId};
use baton_election::NodeRole;
use baton_monitor::LinkOrigin;
use baton_engine::{Event, LinkKind, Node, NodeConfig};
use std::time::Duration;

const PEER: LinkId = LinkId(1);
const CLIENT: LinkId = LinkId(2);

struct Wire {
    nodes: [Node; 2],
    alive: [bool; 2],
    now: Instant,
    client_seen: Vec<String>,
    closed: Vec<(usize, LinkId, String)>,
}

impl Wire {
    fn new() -> Self {
        let now = Instant::ZERO;
        let cfg = |me| NodeConfig::pair([("alpha", "1"), ("beta", "2")], me);
        Wire {
            nodes: [
                Node::new(cfg(0), now).unwrap(),
                Node::new(cfg(1), now).unwrap(),
            ],
            alive: [true, true],
            now,
            client_seen: Vec::new(),
            closed: Vec::new(),
        }
    }

    fn connect(&mut self) {
        let now = self.now;
        self.nodes[0].handle_link_opened(now, PEER, LinkKind::Peer(LinkOrigin::Dialled));
        self.nodes[1].handle_link_opened(now, PEER, LinkKind::Peer(LinkOrigin::Accepted));
    }

    /// Delivers everything in flight (zero latency), repeatedly.
    fn flush(&mut self) {
        loop {
            let mut moved = false;
            for i in 0..2 {
                while let Some(t) = self.nodes[i].poll_transmit() {
                    moved = true;
                    if t.link == CLIENT {
                        if let AnyMessage::Status(m) = &t.message {
                            self.client_seen.push(format!("{:?}", m.message));
                        }
                    } else if self.alive[1 - i] {
                        self.nodes[1 - i].handle_frame(self.now, t.link, t.message);
                    }
                }
                while let Some(e) = self.nodes[i].poll_event() {
                    if let Event::CloseLink { link, reason } = e {
                        self.closed.push((i, link, reason));
                    }
                }
            }
            if !moved {
                return;
            }
        }
    }

    fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            self.flush();
            let next = (0..2)
                .filter(|i| self.alive[*i])
                .filter_map(|i| self.nodes[i].poll_timeout())
                .min();
            match next {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    for i in 0..2 {
                        if self.alive[i] {
                            self.nodes[i].handle_timeout(self.now);
                        }
                    }
                }
                _ => break,
            }
        }
        self.now = end;
    }
}

#[test]
fn pair_elects_one_active_and_the_standby_takes_over_a_crash() {
    let mut w = Wire::new();
    w.connect();
    w.nodes[1].handle_link_opened(w.now, CLIENT, LinkKind::Client);
    w.run_for(Duration::from_secs(2));
    let roles = [w.nodes[0].role(), w.nodes[1].role()];
    assert_eq!(
        roles,
        [NodeRole::Active, NodeRole::Standby],
        "{:?}",
        w.closed
    );
    assert!(
        w.nodes[1]
            .status()
            .to_string()
            .starts_with("standby peer=alpha:active"),
        "{}",
        w.nodes[1].status()
    );
    assert!(w.closed.is_empty(), "{:?}", w.closed);
    // The client saw every change of beta's status, ending with the current one.
    let last = w.client_seen.last().expect("indications");
    assert!(last.contains(&w.nodes[1].status().to_string()), "{last}");

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
    let mut w = Wire::new();
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
    assert!(
        w.closed
            .iter()
            .any(|(i, l, r)| *i == 1 && *l == PEER && r.contains("dead interval")),
        "{:?}",
        w.closed
    );
}

#[test]
fn wrong_interface_on_a_link_closes_it_and_keeps_the_role() {
    let mut w = Wire::new();
    w.connect();
    w.run_for(Duration::from_secs(1));
    let role = w.nodes[0].role();
    // A client sends an Election message: not allowed, link closed, role kept.
    w.nodes[0].handle_link_opened(w.now, LinkId(9), LinkKind::Client);
    let nomination = baton_election::message::nomination("1", "beta");
    w.nodes[0].handle_frame(w.now, LinkId(9), nomination.into());
    w.flush();
    assert!(
        w.closed
            .iter()
            .any(|(i, l, r)| *i == 0 && *l == LinkId(9) && r.contains("not allowed")),
        "{:?}",
        w.closed
    );
    assert_eq!(w.nodes[0].role(), role);
}

#[test]
fn a_misbehaving_peer_link_is_closed_without_taking_the_peer_for_dead() {
    let mut w = Wire::new();
    w.connect();
    w.run_for(Duration::from_secs(1));
    assert_eq!(w.nodes[1].role(), NodeRole::Standby);
    // alpha's link sends beta a Role message: not allowed between members.
    let bad = baton_role::set_role("5", baton_role::Role::active);
    w.nodes[1].handle_frame(w.now, PEER, bad.into());
    w.flush();
    assert!(
        w.closed
            .iter()
            .any(|(i, l, r)| *i == 1 && *l == PEER && r.contains("not allowed")),
        "{:?}",
        w.closed
    );
    w.nodes[0].handle_link_closed(w.now, PEER);
    // alpha redials at once: a new link replaces the old one and beta never promotes.
    let relink = LinkId(7);
    w.nodes[0].handle_link_opened(w.now, relink, LinkKind::Peer(LinkOrigin::Dialled));
    w.nodes[1].handle_link_opened(w.now, relink, LinkKind::Peer(LinkOrigin::Accepted));
    w.run_for(Duration::from_secs(2));
    assert_eq!(w.nodes[1].role(), NodeRole::Standby, "beta kept its role");
    assert_eq!(w.nodes[0].role(), NodeRole::Active);
}

#[test]
fn a_misbehaving_peer_that_does_not_come_back_is_down_after_the_dead_interval() {
    let mut w = Wire::new();
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
