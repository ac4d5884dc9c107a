//! A virtual-clock harness: two Election instances wired together (like quinn-proto's
//! `tests/util.rs`). It delivers transmits in send order, advances time to the next timeout,
//! and simulates the role layer confirming or failing promotions.
#![allow(dead_code)]

use baton_asn1::election::ElectionMessage;
use baton_core::{Instant, LinkId};
use baton_election::{message, Config, Election, Event, Generation, Member, NodeRole, Role};
use std::collections::VecDeque;
use std::time::Duration;

/// The higher-priority member.
pub const A: usize = 0;
/// The lower-priority member.
pub const B: usize = 1;

/// One message seen on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub from: usize,
    pub to: usize,
    pub msg: ElectionMessage,
}

pub fn sent(from: usize, to: usize, msg: ElectionMessage) -> Sent {
    Sent { from, to, msg }
}

pub fn nom(id: &str, nominee: &str) -> ElectionMessage {
    message::nomination(id, nominee)
}
pub fn asg(id: &str, active: &str, standby: &str) -> ElectionMessage {
    message::assignment(message::correlation_id(id), active, standby)
}
pub fn veto(id: &str, active: &str, standby: &str) -> ElectionMessage {
    message::veto(message::correlation_id(id), active, standby)
}
pub fn err(id: &str, description: &str) -> ElectionMessage {
    message::error(message::correlation_id(id), description)
}

/// One node: its Election (None while down) and a simulated role layer.
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
    /// Every event, in order.
    pub events: Vec<Event>,
}

impl Node {
    pub fn e(&self) -> &Election {
        self.election.as_ref().expect("node is down")
    }
    fn e_mut(&mut self) -> &mut Election {
        self.election.as_mut().expect("node is down")
    }
}

/// Two nodes, one link, a virtual clock.
#[derive(Debug)]
pub struct Pair {
    pub now: Instant,
    pub nodes: [Node; 2],
    /// The current link (the same number names it on both sides).
    pub link: Option<LinkId>,
    next_link: u64,
    /// Messages in flight, in send order: (to, message).
    pub wire: VecDeque<(usize, ElectionMessage)>,
    /// Every message sent, in order.
    pub log: Vec<Sent>,
    /// Check PROTOCOL 5.8 property 1 after every step (cleared by `partition`).
    pub check_safety: bool,
}

pub const NAMES: [&str; 2] = ["a", "b"];

impl Pair {
    /// Members "a" (higher) and "b"; a's ids start at 1, b's at 101. Nothing started.
    pub fn new() -> Self {
        Self::with(|_| {})
    }

    /// As `new`, with `tweak` applied to both configurations.
    pub fn with(tweak: impl Fn(&mut Config)) -> Self {
        let mk = |me: usize| {
            let mut c = Config::pair(NAMES, me);
            c.first_correlation_id = 1 + 100 * me as u64;
            tweak(&mut c);
            Node {
                config: c,
                election: None,
                auto: true,
                fail_promotions: 0,
                command: None,
                events: Vec::new(),
            }
        };
        Pair {
            now: Instant::ZERO,
            nodes: [mk(A), mk(B)],
            link: None,
            next_link: 1,
            wire: VecDeque::new(),
            log: Vec::new(),
            check_safety: true,
        }
    }

    pub fn e(&self, i: usize) -> &Election {
        self.nodes[i].e()
    }

    pub fn role(&self, i: usize) -> NodeRole {
        self.e(i).role()
    }

    pub fn roles(&self) -> (NodeRole, NodeRole) {
        (self.role(A), self.role(B))
    }

    /// Starts (or restarts) node `i` with ids from `first_id`.
    pub fn start_with_ids(&mut self, i: usize, first_id: u64) {
        self.nodes[i].config.first_correlation_id = first_id;
        self.start(i);
    }

    /// Starts (or restarts) node `i`: `Negotiating`.
    pub fn start(&mut self, i: usize) {
        let e = Election::new(self.nodes[i].config.clone(), self.now).expect("config");
        self.nodes[i].election = Some(e);
        self.nodes[i].command = None;
        self.flush(i);
    }

    /// Node `i`'s process dies: its link closes, the peer notices at once.
    pub fn crash(&mut self, i: usize) {
        self.nodes[i].election = None;
        self.nodes[i].command = None;
        if let Some(link) = self.link.take() {
            self.wire.clear();
            let j = 1 - i;
            if self.nodes[j].election.is_some() {
                let now = self.now;
                self.nodes[j].e_mut().handle_link_down(now, link);
                self.flush(j);
            }
        }
    }

    /// Both hellos exchanged on a new link: `handle_link_up` on a, then b.
    pub fn connect(&mut self) {
        assert!(self.link.is_none());
        let link = LinkId(self.next_link);
        self.next_link += 1;
        self.link = Some(link);
        let now = self.now;
        for i in [A, B] {
            self.nodes[i]
                .e_mut()
                .handle_link_up(now, link, Member(1 - i));
            self.flush(i);
        }
    }

    /// The link dies with both nodes alive (a partition): both detect peer failure.
    pub fn partition(&mut self) {
        self.check_safety = false;
        let link = self.link.take().expect("link up");
        self.wire.clear();
        let now = self.now;
        for i in [A, B] {
            self.nodes[i].e_mut().handle_link_down(now, link);
            self.flush(i);
        }
    }

    /// Calls `f` on node `i`'s Election at the current time, then flushes it.
    pub fn act<R>(&mut self, i: usize, f: impl FnOnce(&mut Election, Instant) -> R) -> R {
        let now = self.now;
        let r = f(self.nodes[i].e_mut(), now);
        self.flush(i);
        r
    }

    /// Drains node `i`'s transmits onto the wire and its events into the role layer.
    pub fn flush(&mut self, i: usize) {
        let Some(e) = self.nodes[i].election.as_mut() else {
            return;
        };
        while let Some(t) = e.poll_transmit() {
            assert_eq!(Some(t.link), self.link, "transmit on a dead link");
            assert_eq!(t.to, Member(1 - i));
            self.log.push(sent(i, t.to.0, t.message.clone()));
            self.wire.push_back((t.to.0, t.message));
        }
        while let Some(ev) = e.poll_event() {
            if let Event::SetComponents { role, generation } = ev {
                self.nodes[i].command = Some((role, generation));
            }
            self.nodes[i].events.push(ev);
        }
        self.check();
    }

    fn check(&self) {
        if !self.check_safety {
            return;
        }
        let serving = self
            .nodes
            .iter()
            .filter_map(|n| n.election.as_ref())
            .filter(|e| e.role().is_promoting_or_active())
            .count();
        assert!(serving <= 1, "two nodes Promoting/Active: {:?}", self.nodes);
    }

    /// Delivers the first message in flight to node `i`. Returns whether there was one.
    pub fn deliver_to(&mut self, i: usize) -> bool {
        let Some(pos) = self.wire.iter().position(|(to, _)| *to == i) else {
            return false;
        };
        let (_, msg) = self.wire.remove(pos).expect("position");
        let now = self.now;
        let link = self.link.expect("link up");
        self.nodes[i].e_mut().handle_message(now, link, msg);
        self.flush(i);
        true
    }

    /// Delivers the oldest message in flight.
    pub fn deliver_next(&mut self) -> bool {
        match self.wire.front() {
            Some((to, _)) => {
                let to = *to;
                self.deliver_to(to)
            }
            None => false,
        }
    }

    /// The role layer of `i` confirms the latest command.
    pub fn components_done(&mut self, i: usize) {
        let (_, generation) = self.nodes[i].command.take().expect("a command");
        let now = self.now;
        self.nodes[i]
            .e_mut()
            .handle_components_done(now, generation);
        self.flush(i);
    }

    /// The role layer of `i` reports the latest promotion failed.
    pub fn promotion_fails(&mut self, i: usize) {
        let (role, generation) = self.nodes[i].command.take().expect("a command");
        assert_eq!(role, Role::active);
        let now = self.now;
        self.nodes[i]
            .e_mut()
            .handle_promotion_failed(now, generation);
        self.flush(i);
    }

    /// Automatic role layers answer; returns whether one did.
    fn auto_step(&mut self) -> bool {
        for i in [A, B] {
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

    /// Until nothing moves without time passing: automatic role layers first, then messages
    /// in send order.
    pub fn settle(&mut self) {
        for _ in 0..10_000 {
            if !self.auto_step() && !self.deliver_next() {
                return;
            }
        }
        panic!("no quiescence after 10000 steps: {:#?}", self.log);
    }

    /// The earliest timeout of the live nodes.
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
            for i in [A, B] {
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

    /// `run_for` ten seconds: long enough for every timer of the default configuration.
    pub fn run(&mut self) {
        self.run_for(Duration::from_secs(10));
    }

    /// Takes the messages sent since the last call.
    pub fn take_log(&mut self) -> Vec<Sent> {
        std::mem::take(&mut self.log)
    }

    /// Takes node `i`'s events since the last call.
    pub fn take_events(&mut self, i: usize) -> Vec<Event> {
        std::mem::take(&mut self.nodes[i].events)
    }

    /// Roles node `i` went through since the events were last taken.
    pub fn role_trail(&self, i: usize) -> Vec<NodeRole> {
        self.nodes[i]
            .events
            .iter()
            .filter_map(|e| match e {
                Event::RoleChanged { to, .. } => Some(*to),
                _ => None,
            })
            .collect()
    }

    /// PROTOCOL 5.8 property 3: link up, one Active and one Standby, nothing in flight.
    pub fn assert_converged(&self, active: usize) {
        assert!(self.link.is_some(), "link down");
        assert!(self.wire.is_empty(), "messages in flight: {:?}", self.wire);
        assert_eq!(self.role(active), NodeRole::Active, "{:#?}", self.nodes);
        assert_eq!(
            self.role(1 - active),
            NodeRole::Standby,
            "{:#?}",
            self.nodes
        );
        for i in [A, B] {
            assert!(
                self.e(i).is_settled(),
                "node {i} not settled: {:#?}",
                self.e(i)
            );
            assert_eq!(self.e(i).poll_timeout(), None, "node {i} has a timer armed");
            assert!(self.nodes[i].command.is_none());
        }
    }

    /// Both started at time 0, link up at once, settled: a Active, b Standby.
    pub fn established() -> Self {
        let mut p = Pair::new();
        p.start(A);
        p.start(B);
        p.connect();
        p.run();
        p.assert_converged(A);
        p.take_log();
        p.take_events(A);
        p.take_events(B);
        p
    }
}
