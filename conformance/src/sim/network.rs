//! The virtual network: links between nodes, components and status clients, each a pair of
//! FIFO byte streams (TCP or a Unix socket) with a latency, plus partitions of peer links.
//!
//! Fault model of a link (see the module docs of [`crate::sim`] for why):
//! - every link is reliable and in order while both ends are open (TCP, Unix socket);
//! - a closed end sends a FIN behind its data: the other end learns of the close after the
//!   data sent before it (process death closes sockets the same way);
//! - a **partition** between two members stalls their peer links: nothing is delivered, data
//!   and FINs wait (TCP retransmits) and flow again, in order, when the partition heals,
//!   unless the receiving end closed the link meanwhile (its dead interval fired);
//! - a **reset** (the "loss" fault) drops whatever is in flight in both directions and
//!   closes both ends (an RST: TCP cannot lose a message without losing the connection);
//! - optional adversarial stress on peer links, beyond what TCP can do: a frame duplicated,
//!   or swapped with the frame queued before it.

use super::rng::Rng;
use baton_codec::AnyMessage;
use baton_core::{Instant, LinkId};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};
use std::fmt;
use std::time::Duration;

/// One end of a link: who holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum End {
    /// Member `m`'s node.
    Node(usize),
    /// Component `c` of member `m`: `Component(m, c)`.
    Component(usize, usize),
    /// The status client connected to member `m`'s node.
    Client(usize),
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            End::Node(m) => write!(f, "n{m}"),
            End::Component(m, c) => write!(f, "n{m}c{c}"),
            End::Client(m) => write!(f, "n{m}cli"),
        }
    }
}

/// What a link connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Node to node (TCP): partitions, resets and adversarial stress apply.
    Peer,
    /// Node to one of its components (Unix socket): small latency, never partitioned.
    Component,
    /// Node to its status client: small latency, never partitioned.
    Client,
}

/// What travels on a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// A decoded frame.
    Frame(AnyMessage),
    /// The sender closed its end (FIN or RST).
    Fin,
}

/// A packet handed to its receiving end.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The link.
    pub link: LinkId,
    /// The receiving end.
    pub to: End,
    /// The sending end.
    pub from: End,
    /// What arrived.
    pub packet: Packet,
}

/// Latencies and adversarial stress.
#[derive(Debug, Clone)]
pub struct NetworkConfig {
    /// One-way latency of peer links, drawn per frame (FIFO kept).
    pub peer_latency: (Duration, Duration),
    /// One-way latency of component and client links.
    pub local_latency: (Duration, Duration),
    /// Per peer-link frame: chance in 1000 of being duplicated (adversarial, not TCP).
    pub duplicate_per_mille: u64,
    /// Per peer-link frame: chance in 1000 of overtaking the frame queued before it
    /// (adversarial, not TCP).
    pub reorder_per_mille: u64,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            peer_latency: (Duration::from_micros(500), Duration::from_millis(5)),
            local_latency: (Duration::from_micros(50), Duration::from_millis(2)),
            duplicate_per_mille: 0,
            reorder_per_mille: 0,
        }
    }
}

#[derive(Debug, Clone)]
struct Queued {
    due: Instant,
    packet: Packet,
}

/// One link: two ends, and the packets travelling towards each.
#[derive(Debug, Clone)]
pub struct Link {
    /// The link's id, the same at both ends.
    pub id: LinkId,
    /// What it connects.
    pub class: Class,
    /// `ends[0]` opened it (dialled), `ends[1]` accepted it.
    pub ends: [End; 2],
    /// Whether each end is open (has not closed it nor received its FIN).
    pub open: [bool; 2],
    /// `queues[d]`: packets on their way to `ends[d]`, in order.
    queues: [VecDeque<Queued>; 2],
}

impl Link {
    fn side(&self, end: End) -> Option<usize> {
        self.ends.iter().position(|e| *e == end)
    }

    /// Packets in flight in both directions.
    pub fn in_flight(&self) -> usize {
        self.queues[0].len() + self.queues[1].len()
    }
}

/// Every link, the packets in flight and the partitions.
#[derive(Debug, Clone)]
pub struct Network {
    config: NetworkConfig,
    links: BTreeMap<LinkId, Link>,
    next_id: u64,
    /// Member pairs `(low, high)` that cannot reach each other.
    cut: BTreeSet<(usize, usize)>,
    /// (due, sequence, link, direction): when to look at the front of a queue.
    arrivals: BinaryHeap<Reverse<(Instant, u64, LinkId, usize)>>,
    seq: u64,
    /// Frames delivered so far.
    pub delivered: u64,
}

fn member_of(end: End) -> usize {
    match end {
        End::Node(m) | End::Component(m, _) | End::Client(m) => m,
    }
}

fn pair(a: usize, b: usize) -> (usize, usize) {
    (a.min(b), a.max(b))
}

impl Network {
    /// An empty network.
    pub fn new(config: NetworkConfig) -> Self {
        Network {
            config,
            links: BTreeMap::new(),
            next_id: 1,
            cut: BTreeSet::new(),
            arrivals: BinaryHeap::new(),
            seq: 0,
            delivered: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &NetworkConfig {
        &self.config
    }

    /// Stops the adversarial stress (the quiet phase).
    pub fn calm(&mut self) {
        self.config.duplicate_per_mille = 0;
        self.config.reorder_per_mille = 0;
    }

    /// Opens a link dialled by `dialler` and accepted by `acceptor`: both ends open at once.
    pub fn open(&mut self, class: Class, dialler: End, acceptor: End) -> LinkId {
        let id = LinkId(self.next_id);
        self.next_id += 1;
        self.links.insert(
            id,
            Link {
                id,
                class,
                ends: [dialler, acceptor],
                open: [true, true],
                queues: [VecDeque::new(), VecDeque::new()],
            },
        );
        id
    }

    /// A link, if it was ever opened and still has an open end or packets in flight.
    pub fn link(&self, id: LinkId) -> Option<&Link> {
        self.links.get(&id)
    }

    /// Every link still known.
    pub fn links(&self) -> impl Iterator<Item = &Link> + '_ {
        self.links.values()
    }

    /// Whether `end` holds `link` open.
    pub fn is_open_at(&self, link: LinkId, end: End) -> bool {
        self.links
            .get(&link)
            .and_then(|l| l.side(end).map(|s| l.open[s]))
            .unwrap_or(false)
    }

    /// The links `end` holds open, of class `class`.
    pub fn open_links_of(&self, end: End, class: Class) -> Vec<LinkId> {
        self.links
            .values()
            .filter(|l| l.class == class && l.side(end).is_some_and(|s| l.open[s]))
            .map(|l| l.id)
            .collect()
    }

    /// Whether members `a` and `b` are partitioned from each other.
    pub fn is_cut(&self, a: usize, b: usize) -> bool {
        self.cut.contains(&pair(a, b))
    }

    /// Whether any partition is in force.
    pub fn any_cut(&self) -> bool {
        !self.cut.is_empty()
    }

    /// Partitions `a` from `b`: their peer links stall.
    pub fn partition(&mut self, a: usize, b: usize) {
        self.cut.insert(pair(a, b));
    }

    /// Heals the partition between `a` and `b`: what waited flows again, in order, after a
    /// fresh latency.
    pub fn heal(&mut self, now: Instant, rng: &mut Rng, a: usize, b: usize) {
        if !self.cut.remove(&pair(a, b)) {
            return;
        }
        let lat = self.config.peer_latency;
        let ids: Vec<LinkId> = self
            .links
            .values()
            .filter(|l| {
                l.class == Class::Peer
                    && pair(member_of(l.ends[0]), member_of(l.ends[1])) == pair(a, b)
            })
            .map(|l| l.id)
            .collect();
        for id in ids {
            for d in 0..2 {
                let Some(link) = self.links.get_mut(&id) else {
                    continue;
                };
                let mut last = now;
                for q in link.queues[d].iter_mut() {
                    last = last.max(now + rng.duration(lat.0, lat.1));
                    q.due = q.due.max(last);
                    last = q.due;
                }
                if let Some(front) = link.queues[d].front() {
                    let due = front.due;
                    self.schedule(due, id, d);
                }
            }
        }
    }

    fn held(&self, l: &Link) -> bool {
        l.class == Class::Peer && self.is_cut(member_of(l.ends[0]), member_of(l.ends[1]))
    }

    fn schedule(&mut self, at: Instant, link: LinkId, dir: usize) {
        self.seq += 1;
        self.arrivals.push(Reverse((at, self.seq, link, dir)));
    }

    /// Sends `packet` from `from` on `link` (nothing if `from` does not hold it open).
    pub fn send(&mut self, now: Instant, rng: &mut Rng, link: LinkId, from: End, packet: Packet) {
        let Some(l) = self.links.get(&link) else {
            return;
        };
        let Some(side) = l.side(from) else {
            return;
        };
        if !l.open[side] {
            return;
        }
        if !l.open[1 - side] {
            // The receiving end is gone: nothing to deliver to.
            return;
        }
        let class = l.class;
        let lat = match class {
            Class::Peer => self.config.peer_latency,
            Class::Component | Class::Client => self.config.local_latency,
        };
        let adversarial = class == Class::Peer && matches!(packet, Packet::Frame(_));
        let duplicate = adversarial && rng.chance(self.config.duplicate_per_mille, 1000);
        let reorder = adversarial && rng.chance(self.config.reorder_per_mille, 1000);
        let dir = 1 - side;
        let copies = if duplicate { 2 } else { 1 };
        for _ in 0..copies {
            let latency = rng.duration(lat.0, lat.1);
            let Some(l) = self.links.get_mut(&link) else {
                return;
            };
            let q = &mut l.queues[dir];
            let due = q.back().map_or(now + latency, |b| b.due.max(now + latency));
            let was_empty = q.is_empty();
            q.push_back(Queued {
                due,
                packet: packet.clone(),
            });
            if reorder && q.len() >= 2 {
                let n = q.len();
                if matches!(q[n - 2].packet, Packet::Frame(_)) {
                    // Swap contents, keep the due times in order.
                    let p = std::mem::replace(&mut q[n - 1].packet, Packet::Fin);
                    let before = std::mem::replace(&mut q[n - 2].packet, p);
                    q[n - 1].packet = before;
                }
            }
            if was_empty {
                self.schedule(due, link, dir);
            }
        }
    }

    /// `end` closes `link`: what travels towards it is dropped, a FIN follows its data to
    /// the other end.
    pub fn close(&mut self, now: Instant, rng: &mut Rng, link: LinkId, end: End) {
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        let Some(side) = l.side(end) else {
            return;
        };
        if !l.open[side] {
            return;
        }
        self.send(now, rng, link, end, Packet::Fin);
        if let Some(l) = self.links.get_mut(&link) {
            l.open[side] = false;
            l.queues[side].clear();
        }
        self.gc(link);
    }

    /// The loss fault: everything in flight on `link` is lost and both ends are reset (each
    /// learns of it after a latency, or when a partition heals).
    pub fn reset(&mut self, now: Instant, rng: &mut Rng, link: LinkId) {
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        l.queues[0].clear();
        l.queues[1].clear();
        let ends = l.ends;
        for (side, end) in ends.into_iter().enumerate() {
            // An RST from each side to the other.
            if self.links.get(&link).is_some_and(|l| l.open[side]) {
                self.send(now, rng, link, end, Packet::Fin);
            }
        }
    }

    /// Forgets a link once both ends are closed and nothing is in flight.
    fn gc(&mut self, link: LinkId) {
        if self
            .links
            .get(&link)
            .is_some_and(|l| !l.open[0] && !l.open[1] && l.in_flight() == 0)
        {
            self.links.remove(&link);
        }
    }

    /// When the next packet may arrive.
    pub fn next_arrival(&self) -> Option<Instant> {
        self.arrivals.peek().map(|Reverse((t, ..))| *t)
    }

    /// The next packet due at `now`, if any: handed to an open receiving end (a FIN closes
    /// it); packets for a closed end are dropped.
    pub fn pop_arrival(&mut self, now: Instant) -> Option<Delivery> {
        while let Some(Reverse((at, _, link, dir))) = self.arrivals.peek().copied() {
            if at > now {
                return None;
            }
            self.arrivals.pop();
            let Some(l) = self.links.get(&link) else {
                continue;
            };
            if self.held(l) {
                continue;
            }
            let Some(front) = l.queues[dir].front() else {
                continue;
            };
            if front.due > now {
                let due = front.due;
                self.schedule(due, link, dir);
                continue;
            }
            let l = self.links.get_mut(&link).expect("looked up above");
            let q = l.queues[dir].pop_front().expect("front exists");
            let next_due = l.queues[dir].front().map(|f| f.due.max(now));
            let open = l.open[dir];
            let (to, from) = (l.ends[dir], l.ends[1 - dir]);
            if matches!(q.packet, Packet::Fin) {
                l.open[dir] = false;
                l.queues[dir].clear();
            }
            if let Some(due) = next_due {
                if open {
                    self.schedule(due, link, dir);
                }
            }
            self.gc(link);
            if !open {
                continue;
            }
            if matches!(q.packet, Packet::Frame(_)) {
                self.delivered += 1;
            }
            return Some(Delivery {
                link,
                to,
                from,
                packet: q.packet,
            });
        }
        None
    }
}
