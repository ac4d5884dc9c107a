//! A virtual-clock harness for quorum mode (PROTOCOL 5.9): N Elections, one link per pair of
//! live members, messages delivered in send order, persistence and role layers simulated.
#![allow(dead_code)]

mod trace;

#[allow(unused_imports)]
pub use trace::*;

use baton_asn1::election::ElectionMessage;
use baton_core::{Instant, LinkId};
use baton_election::{
    Config, Election, Event, Generation, Grant, Member, NodeRole, PersistedGrant, Role,
};
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

/// One message seen on the wire, with its send time in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub at: u64,
    pub from: usize,
    pub to: usize,
    pub msg: ElectionMessage,
}

pub fn sent(at: u64, from: usize, to: usize, msg: ElectionMessage) -> Sent {
    Sent { at, from, to, msg }
}
pub fn ms(t: u64) -> Instant {
    Instant::from_millis(t)
}

/// One member: its Election (None while down), its disk and its role layer.
#[derive(Debug)]
pub struct Node {
    pub config: Config,
    pub election: Option<Election>,
    /// The role layer answers every command at once.
    pub auto: bool,
    /// With `auto`: this many coming promotions fail.
    pub fail_promotions: usize,
    /// The latest command not answered yet.
    pub command: Option<(Role, Generation)>,
    /// The grant file is written at once (else `persist` writes the oldest asked).
    pub auto_persist: bool,
    /// Grants asked and not written yet.
    pub to_persist: VecDeque<Grant>,
    /// `state_dir/grant`.
    pub disk: PersistedGrant,
    /// Every event with its time in ms.
    pub events: Vec<(u64, Event)>,
}

impl Node {
    pub fn e(&self) -> &Election {
        self.election.as_ref().expect("node is down")
    }
}

/// N members, a virtual clock.
#[derive(Debug)]
pub struct Cluster {
    pub now: Instant,
    pub nodes: Vec<Node>,
    /// The link between i < j while up.
    pub links: BTreeMap<(usize, usize), LinkId>,
    /// Pairs that cannot connect (a partition).
    pub cut: Vec<(usize, usize)>,
    next_link: u64,
    /// Messages in flight, in send order: (from, to, link, message).
    pub wire: VecDeque<(usize, usize, LinkId, ElectionMessage)>,
    pub log: Vec<Sent>,
    /// Which member won each round (checked after every step).
    pub winners: BTreeMap<u32, usize>,
    /// Messages from i to j are lost while (i, j) is here (links stay up).
    pub lossy: Vec<(usize, usize)>,
    /// Messages are delivered by `settle` (else only by `deliver_next`).
    pub deliver: bool,
}

fn key(i: usize, j: usize) -> (usize, usize) {
    (i.min(j), i.max(j))
}

impl Cluster {
    /// Members `names` (witnesses at `witnesses`); node i's seqs start at 1 + 100 i.
    pub fn new(names: &[&str], witnesses: &[usize]) -> Self {
        Self::with(names, witnesses, |_| {})
    }

    /// As `new`, with `tweak` applied to every configuration.
    pub fn with(names: &[&str], witnesses: &[usize], tweak: impl Fn(&mut Config)) -> Self {
        let nodes = (0..names.len())
            .map(|me| {
                let mut c = Config::quorum(names, me);
                c.witnesses = witnesses.to_vec();
                c.first_correlation_id = 1 + 100 * me as u64;
                tweak(&mut c);
                Node {
                    config: c,
                    election: None,
                    auto: true,
                    fail_promotions: 0,
                    command: None,
                    auto_persist: true,
                    to_persist: VecDeque::new(),
                    disk: PersistedGrant::Unknown,
                    events: Vec::new(),
                }
            })
            .collect();
        Cluster {
            now: Instant::ZERO,
            nodes,
            links: BTreeMap::new(),
            cut: Vec::new(),
            next_link: 1,
            wire: VecDeque::new(),
            log: Vec::new(),
            winners: BTreeMap::new(),
            lossy: Vec::new(),
            deliver: true,
        }
    }

    pub fn n(&self) -> usize {
        self.nodes.len()
    }
    pub fn at(&self) -> u64 {
        self.now.since_origin().as_millis() as u64
    }
    pub fn e(&self, i: usize) -> &Election {
        self.nodes[i].e()
    }
    pub fn e_mut(&mut self, i: usize) -> &mut Election {
        self.nodes[i].election.as_mut().expect("node is down")
    }
    pub fn role(&self, i: usize) -> NodeRole {
        self.e(i).role()
    }
    pub fn roles(&self) -> Vec<NodeRole> {
        (0..self.n()).map(|i| self.role(i)).collect()
    }

    /// Starts (or restarts) node `i` from its disk, and links it to every live member
    /// not cut from it.
    pub fn start(&mut self, i: usize) {
        let mut c = self.nodes[i].config.clone();
        c.persisted = self.nodes[i].disk;
        let e = Election::new(c, self.now).expect("config");
        self.nodes[i].election = Some(e);
        self.nodes[i].command = None;
        self.nodes[i].to_persist.clear();
        self.flush(i);
        self.connect(i);
    }

    /// Starts every node at the current time.
    pub fn start_all(&mut self) {
        for i in 0..self.n() {
            self.start(i);
        }
    }

    fn up(&self, i: usize) -> bool {
        self.nodes[i].election.is_some()
    }

    /// Links `i` to every live member it has no link to and is not cut from.
    fn connect(&mut self, i: usize) {
        for j in 0..self.n() {
            let k = key(i, j);
            if j == i || !self.up(j) || self.links.contains_key(&k) || self.cut.contains(&k) {
                continue;
            }
            let link = LinkId(self.next_link);
            self.next_link += 1;
            self.links.insert(k, link);
            let now = self.now;
            for (a, b) in [(i, j), (j, i)] {
                self.e_mut(a).handle_link_up(now, link, Member(b));
                self.flush(a);
            }
        }
    }

    fn drop_link(&mut self, i: usize, j: usize) {
        let Some(link) = self.links.remove(&key(i, j)) else {
            return;
        };
        self.wire.retain(|(_, _, l, _)| *l != link);
        let now = self.now;
        for a in [i, j] {
            if let Some(e) = self.nodes[a].election.as_mut() {
                e.handle_link_down(now, link);
            }
            self.flush(a);
        }
    }

    /// Node `i`'s process dies: its links close.
    pub fn crash(&mut self, i: usize) {
        self.nodes[i].election = None;
        self.nodes[i].command = None;
        for j in 0..self.n() {
            self.drop_link(i, j);
        }
    }

    /// `i` cannot reach any other member (both sides detect it).
    pub fn isolate(&mut self, i: usize) {
        for j in 0..self.n() {
            if j != i {
                self.cut.push(key(i, j));
                self.drop_link(i, j);
            }
        }
    }

    /// `i` and `j` cannot reach each other.
    pub fn cut_pair(&mut self, i: usize, j: usize) {
        self.cut.push(key(i, j));
        self.drop_link(i, j);
    }

    /// `msg` arrives at `to` from `from` on their link now (a message a test makes up).
    pub fn inject(&mut self, from: usize, to: usize, msg: ElectionMessage) {
        let link = self.links[&key(from, to)];
        let now = self.now;
        self.e_mut(to).handle_message(now, link, msg);
        self.flush(to);
    }

    /// Every partition heals: live members link up again.
    pub fn heal(&mut self) {
        self.cut.clear();
        for i in 0..self.n() {
            if self.up(i) {
                self.connect(i);
            }
        }
    }

    /// Calls `f` on node `i` at the current time, then flushes it.
    pub fn act<R>(&mut self, i: usize, f: impl FnOnce(&mut Election, Instant) -> R) -> R {
        let now = self.now;
        let r = f(self.e_mut(i), now);
        self.flush(i);
        r
    }

    /// Drains node `i`'s transmits onto the wire and its events (writing grants at once
    /// with `auto_persist`).
    pub fn flush(&mut self, i: usize) {
        let at = self.at();
        let now = self.now;
        loop {
            let node = &mut self.nodes[i];
            let Some(e) = node.election.as_mut() else {
                return;
            };
            let mut moved = false;
            while let Some(t) = e.poll_transmit() {
                let link = self.links.get(&key(i, t.to.0)).copied();
                assert_eq!(Some(t.link), link, "transmit on a dead link");
                self.log.push(sent(at, i, t.to.0, t.message.clone()));
                if !self.lossy.contains(&(i, t.to.0)) {
                    self.wire.push_back((i, t.to.0, t.link, t.message));
                }
                moved = true;
            }
            let mut persisted = Vec::new();
            while let Some(ev) = e.poll_event() {
                match &ev {
                    Event::SetComponents { role, generation } => {
                        node.command = Some((*role, *generation))
                    }
                    Event::PersistGrant(g) => node.to_persist.push_back(*g),
                    _ => {}
                }
                node.events.push((at, ev));
                moved = true;
            }
            if self.nodes[i].auto_persist {
                while let Some(g) = self.nodes[i].to_persist.pop_front() {
                    persisted.push(g);
                }
            }
            for g in persisted {
                self.nodes[i].disk = PersistedGrant::Known(g);
                self.e_mut(i).handle_grant_persisted(now, g);
                moved = true;
            }
            self.check();
            if !moved {
                return;
            }
        }
    }

    /// Writes node `i`'s oldest grant asked for and confirms it.
    pub fn persist(&mut self, i: usize) {
        let g = self.nodes[i]
            .to_persist
            .pop_front()
            .expect("a grant to write");
        self.nodes[i].disk = PersistedGrant::Known(g);
        let now = self.now;
        self.e_mut(i).handle_grant_persisted(now, g);
        self.flush(i);
    }

    /// At most one member Promoting or Active at any instant; at most one winner per round.
    fn check(&mut self) {
        let serving: Vec<usize> = (0..self.n())
            .filter(|i| {
                self.nodes[*i]
                    .election
                    .as_ref()
                    .is_some_and(|e| e.role().is_promoting_or_active())
            })
            .collect();
        assert!(
            serving.len() <= 1,
            "two members serving: {serving:?} at {}",
            self.at()
        );
        for i in 0..self.n() {
            let Some(r) = self.nodes[i]
                .election
                .as_ref()
                .and_then(|e| e.serving_round())
            else {
                continue;
            };
            let w = *self.winners.entry(r.0).or_insert(i);
            assert_eq!(w, i, "round {} won by {w} and {i}", r.0);
        }
    }

    /// Delivers the oldest message in flight. Returns whether there was one.
    pub fn deliver_next(&mut self) -> bool {
        let Some((_, to, link, msg)) = self.wire.pop_front() else {
            return false;
        };
        let now = self.now;
        self.e_mut(to).handle_message(now, link, msg);
        self.flush(to);
        true
    }

    /// Loses the oldest message in flight.
    pub fn drop_next(&mut self) {
        self.wire.pop_front();
    }

    /// Duplicates the oldest message in flight (the copy arrives next).
    pub fn duplicate_next(&mut self) {
        if let Some(m) = self.wire.front().cloned() {
            self.wire.push_front(m);
        }
    }

    /// Whether node `i` runs.
    pub fn is_up(&self, i: usize) -> bool {
        self.up(i)
    }

    /// The role layer of `i` answers its latest command.
    pub fn components_done(&mut self, i: usize) {
        let (_, generation) = self.nodes[i].command.take().expect("a command");
        let now = self.now;
        self.e_mut(i).handle_components_done(now, generation);
        self.flush(i);
    }

    /// The role layer of `i` reports its promotion failed.
    pub fn promotion_fails(&mut self, i: usize) {
        let (role, generation) = self.nodes[i].command.take().expect("a command");
        assert_eq!(role, Role::active);
        let now = self.now;
        self.e_mut(i).handle_promotion_failed(now, generation);
        self.flush(i);
    }

    fn auto_step(&mut self) -> bool {
        for i in 0..self.n() {
            let n = &mut self.nodes[i];
            if !n.auto || n.election.is_none() {
                continue;
            }
            if let Some((role, _)) = n.command {
                if role == Role::active && n.fail_promotions > 0 {
                    n.fail_promotions -= 1;
                    self.promotion_fails(i);
                } else {
                    self.components_done(i);
                }
                return true;
            }
        }
        false
    }

    /// Until nothing moves without time passing.
    pub fn settle(&mut self) {
        for _ in 0..100_000 {
            let moved = self.auto_step() || (self.deliver && self.deliver_next());
            if !moved {
                return;
            }
        }
        panic!("no quiescence");
    }

    pub fn next_timeout(&self) -> Option<Instant> {
        self.nodes
            .iter()
            .filter_map(|n| n.election.as_ref()?.poll_timeout())
            .min()
    }

    /// Settles, then advances time timeout by timeout (settling after each) for `d`.
    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        self.settle();
        while let Some(t) = self.next_timeout().filter(|t| *t <= end) {
            self.now = t.max(self.now);
            for i in 0..self.n() {
                let now = self.now;
                if let Some(e) = self.nodes[i].election.as_mut() {
                    if e.poll_timeout().is_some_and(|t| t <= now) {
                        e.handle_timeout(now);
                    }
                }
                self.flush(i);
            }
            self.settle();
        }
        self.now = end;
    }

    /// `run_for` until absolute time `t` ms.
    pub fn run_until(&mut self, t: u64) {
        let d = ms(t).saturating_duration_since(self.now);
        self.run_for(d);
    }
}
