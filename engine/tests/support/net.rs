//! The virtual network: links with two ends and a latency, and one queue of everything in
//! flight (frames, openings, closings, connect attempts, the answers of in-test components
//! and hook runners), each due at a time and taken in (time, send order).

use baton_codec::AnyMessage;
use baton_core::{Instant, LinkId};
use baton_engine::{JobId, LinkKind};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// One end of a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Node `i`.
    Node(usize),
    /// In-test component `c` (an index into `Pair::components`).
    Component(usize),
    /// Status client `c` (an index into `Pair::clients`).
    Client(usize),
}

/// A link: who is at each end, whether each end still has it open, and its one-way latency.
#[derive(Debug, Clone)]
pub struct Link {
    /// The two ends; for a peer link the dialling node first.
    pub ends: [End; 2],
    /// Whether each end still has the link open.
    pub open: [bool; 2],
    /// One-way delivery time.
    pub latency: Duration,
}

impl Link {
    /// The other end than `end`, and its index.
    pub fn other(&self, end: End) -> Option<(usize, End)> {
        let i = self.ends.iter().position(|e| *e == end)?;
        Some((1 - i, self.ends[1 - i]))
    }

    /// Whether both ends are nodes.
    pub fn is_peer(&self) -> bool {
        matches!(self.ends, [End::Node(_), End::Node(_)])
    }
}

/// Something in flight.
#[derive(Debug, Clone)]
pub enum Item {
    /// A frame for `to` on `link`.
    Frame {
        link: LinkId,
        to: End,
        message: AnyMessage,
    },
    /// `to` learns that `link` opened (a node accepting it).
    Opened {
        link: LinkId,
        to: End,
        kind: LinkKind,
    },
    /// `to` learns that the other end closed `link`.
    Closed { link: LinkId, to: End },
    /// Node `from`'s connect attempt to member `member` reaches it.
    Syn { from: usize, member: usize },
    /// Node `from`'s attempt to `member` connected on `link`.
    Connected {
        from: usize,
        member: usize,
        link: LinkId,
    },
    /// Node `from`'s attempt to `member` failed.
    DialFailed { from: usize, member: usize },
    /// In-test component `comp` connects to its node.
    Reconnect { comp: usize },
    /// In-test component `comp` answers the `setRole` with this `correlationId`.
    Answer {
        comp: usize,
        correlation: String,
        accept: bool,
    },
    /// Node `node`'s hook job `id` ended.
    HooksDone { node: usize, id: JobId, ok: bool },
    /// Node `node`'s remote check run `id` ended.
    RemoteDone {
        node: usize,
        id: u64,
        outcome: baton_engine::RemoteOutcome,
    },
}

impl Item {
    /// The party that takes this item in (what a hang holds back and a crash drops).
    pub fn party(&self) -> Option<End> {
        match self {
            Item::Frame { to, .. } | Item::Opened { to, .. } | Item::Closed { to, .. } => Some(*to),
            Item::Connected { from, .. } | Item::DialFailed { from, .. } => Some(End::Node(*from)),
            Item::HooksDone { node, .. } | Item::RemoteDone { node, .. } => Some(End::Node(*node)),
            Item::Reconnect { comp } | Item::Answer { comp, .. } => Some(End::Component(*comp)),
            // The target's kernel accepts, whatever its process is doing.
            Item::Syn { .. } => None,
        }
    }
}

/// The links and the queue.
#[derive(Debug, Default)]
pub struct Net {
    pub links: BTreeMap<LinkId, Link>,
    queue: BTreeMap<(Instant, u64), Item>,
    seq: u64,
    next_link: u64,
    /// One-way latency between two nodes (lower index first); zero if absent.
    pub latency: BTreeMap<(usize, usize), Duration>,
    /// Node pairs (lower index first) between which nothing passes.
    pub partitioned: BTreeSet<(usize, usize)>,
}

/// The key of the route between nodes `a` and `b`.
pub fn route(a: usize, b: usize) -> (usize, usize) {
    (a.min(b), a.max(b))
}

impl Net {
    /// Link ids the harness hands out start here (tests name their own links below).
    pub const FIRST_LINK: u64 = 10;

    /// A fresh link id.
    pub fn new_link(&mut self) -> LinkId {
        let id = Self::FIRST_LINK + self.next_link;
        self.next_link += 1;
        LinkId(id)
    }

    /// Queues `item` at `at`, after everything already queued for that time.
    pub fn push(&mut self, at: Instant, item: Item) {
        self.seq += 1;
        self.queue.insert((at, self.seq), item);
    }

    /// The latency between nodes `a` and `b`.
    pub fn route_latency(&self, a: usize, b: usize) -> Duration {
        self.latency.get(&route(a, b)).copied().unwrap_or_default()
    }

    /// Whether nodes `a` and `b` are cut off from each other.
    pub fn cut(&self, a: usize, b: usize) -> bool {
        self.partitioned.contains(&route(a, b))
    }

    /// Whether `link` is a peer link across a partition.
    pub fn link_cut(&self, link: LinkId) -> bool {
        match self.links.get(&link).map(|l| l.ends) {
            Some([End::Node(a), End::Node(b)]) => self.cut(a, b),
            _ => false,
        }
    }

    /// The earliest item that `held` does not hold back.
    pub fn next(&self, held: impl Fn(&Item) -> bool) -> Option<Instant> {
        self.queue
            .iter()
            .find(|(_, item)| !held(item))
            .map(|((at, _), _)| *at)
    }

    /// Takes the earliest item due by `now` that `held` does not hold back.
    pub fn pop_due(&mut self, now: Instant, held: impl Fn(&Item) -> bool) -> Option<Item> {
        let key = *self
            .queue
            .iter()
            .take_while(|((at, _), _)| *at <= now)
            .find(|(_, item)| !held(item))?
            .0;
        self.queue.remove(&key)
    }

    /// Drops every queued item for `party`, and the connect attempts it made.
    pub fn drop_for(&mut self, party: End) {
        self.queue.retain(|_, item| match item {
            Item::Syn { from, .. } => End::Node(*from) != party,
            _ => item.party() != Some(party),
        });
    }

    /// Closes `link` at `end` and tells the other end after the link's latency (unless it
    /// closed it too). Returns whether `end` had it open.
    pub fn close(&mut self, now: Instant, link: LinkId, end: End) -> bool {
        let Some(l) = self.links.get_mut(&link) else {
            return false;
        };
        let Some((o, other)) = l.other(end) else {
            return false;
        };
        let mine = 1 - o;
        if !l.open[mine] {
            return false;
        }
        l.open[mine] = false;
        let tell = l.open[o];
        let at = now + l.latency;
        if tell {
            self.push(at, Item::Closed { link, to: other });
        } else {
            self.links.remove(&link);
        }
        true
    }

    /// Whether `end` has `link` open.
    pub fn is_open(&self, link: LinkId, end: End) -> bool {
        self.links
            .get(&link)
            .is_some_and(|l| l.ends.iter().zip(l.open).any(|(e, open)| *e == end && open))
    }

    /// Marks `link` closed at `end` (it learnt of the other end's close); forgets the link
    /// once both ends closed it.
    pub fn closed_at(&mut self, link: LinkId, end: End) {
        if let Some(l) = self.links.get_mut(&link) {
            for (e, open) in l.ends.iter().zip(l.open.iter_mut()) {
                if *e == end {
                    *open = false;
                }
            }
            if l.open == [false, false] {
                self.links.remove(&link);
            }
        }
    }

    /// Every link with an end at `end`, open there.
    pub fn links_of(&self, end: End) -> Vec<LinkId> {
        self.links
            .iter()
            .filter(|(_, l)| l.ends.iter().zip(l.open).any(|(e, o)| *e == end && o))
            .map(|(id, _)| *id)
            .collect()
    }
}
