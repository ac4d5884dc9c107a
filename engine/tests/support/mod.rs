//! A virtual-clock harness for two whole Nodes: a zero-latency wire between them (one peer
//! link, `PEER`), a status client of either, and every event each node emitted, in order.
#![allow(dead_code)] // each test file uses a part

use baton_codec::AnyMessage;
use baton_core::{Instant, LinkId};
use baton_engine::{CloseReason, Event, LinkKind, Node, NodeConfig, Notice};
use baton_monitor::LinkOrigin;
use std::time::Duration;

/// The peer link, known by the same id at both ends.
pub const PEER: LinkId = LinkId(1);
/// A status client's link (to either node); what it receives is kept in `client_seen`.
pub const CLIENT: LinkId = LinkId(2);

/// The two members' configuration: alpha (id 1) first, then beta (id 2).
pub fn config(me: usize) -> NodeConfig {
    NodeConfig::pair([("alpha", "1"), ("beta", "2")], me)
}

/// Two nodes on a zero-latency wire.
pub struct Pair {
    /// alpha, beta.
    pub nodes: [Node; 2],
    /// A node that is not alive neither receives frames nor runs its timers (a hang).
    pub alive: [bool; 2],
    /// The virtual clock.
    pub now: Instant,
    /// The status messages sent on `CLIENT`, as `Debug` text.
    pub client_seen: Vec<String>,
    /// Every event, with the node (0 or 1) that emitted it, in order.
    pub events: Vec<(usize, Event)>,
}

impl Pair {
    /// Both nodes with the default pair configuration, started at time zero.
    pub fn new() -> Self {
        Pair::with(config)
    }

    /// Both nodes with `cfg(me)`, started at time zero.
    pub fn with(cfg: impl Fn(usize) -> NodeConfig) -> Self {
        let now = Instant::ZERO;
        Pair {
            nodes: [
                Node::new(cfg(0), now).unwrap(),
                Node::new(cfg(1), now).unwrap(),
            ],
            alive: [true, true],
            now,
            client_seen: Vec::new(),
            events: Vec::new(),
        }
    }

    /// Opens `PEER`: alpha dialled it.
    pub fn connect(&mut self) {
        self.connect_on(PEER);
    }

    /// Opens a peer link `link`: alpha dialled it.
    pub fn connect_on(&mut self, link: LinkId) {
        let now = self.now;
        self.nodes[0].handle_link_opened(now, link, LinkKind::Peer(LinkOrigin::Dialled));
        self.nodes[1].handle_link_opened(now, link, LinkKind::Peer(LinkOrigin::Accepted));
    }

    /// Delivers everything in flight (zero latency), repeatedly.
    pub fn flush(&mut self) {
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
                    self.events.push((i, e));
                }
            }
            if !moved {
                return;
            }
        }
    }

    /// Runs both nodes' timers (those alive) for `d`, delivering as it goes.
    pub fn run_for(&mut self, d: Duration) {
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

    /// The links node `i` closed, and why, in order.
    pub fn closed(&self, i: usize) -> Vec<(LinkId, CloseReason)> {
        self.events
            .iter()
            .filter(|(n, _)| *n == i)
            .filter_map(|(_, e)| match e {
                Event::CloseLink { link, reason } => Some((*link, reason.clone())),
                _ => None,
            })
            .collect()
    }

    /// Node `i`'s notices, in order.
    pub fn notices(&self, i: usize) -> Vec<Notice> {
        self.events
            .iter()
            .filter(|(n, _)| *n == i)
            .filter_map(|(_, e)| match e {
                Event::Notice(n) => Some(n.clone()),
                _ => None,
            })
            .collect()
    }

    /// Node `i`'s events, in order.
    pub fn events_of(&self, i: usize) -> Vec<Event> {
        self.events
            .iter()
            .filter(|(n, _)| *n == i)
            .map(|(_, e)| e.clone())
            .collect()
    }

    /// Forgets the events recorded so far.
    pub fn clear_events(&mut self) {
        self.events.clear();
    }
}
