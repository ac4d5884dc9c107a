//! Driving the pair: advancing the clock to the next timer or delivery (quinn's `step` and
//! `drive`), and the network's and the parties' answers to what the nodes output.

use super::net::{End, Item, Link};
use super::record::{Record, Sent};
use super::Pair;
use baton_codec::AnyMessage;
use baton_core::{Instant, LinkId};
use baton_engine::{Event, Identity, LinkKind, CONNECT_TIMEOUT};
use baton_monitor::LinkOrigin;
use std::time::Duration;

/// Steps at one instant after which the harness calls it a spin (a timer due that no
/// `handle_timeout` clears).
const SPIN: usize = 10_000;

impl Pair {
    /// Runs the next instant at which anything happens: the clock moves there, the timers
    /// due run (nodes, then components: a timely wake-up runs its timers first, PROTOCOL 4),
    /// then everything due is delivered, including what that sends with no latency. False
    /// when nothing is left to happen.
    pub fn step(&mut self) -> bool {
        self.flush();
        let Some(t) = self.next_wakeup() else {
            return false;
        };
        self.now = self.now.max(t);
        let now = self.now;
        for i in 0..self.nodes.len() {
            if self.runs(i) && self.nodes[i].poll_timeout().is_some_and(|t| t <= now) {
                self.nodes[i].handle_timeout(now);
                self.drain(i);
            }
        }
        for c in 0..self.components.len() {
            let comp = &mut self.components[c];
            if comp.alive && comp.engine.poll_timeout().is_some_and(|t| t <= now) {
                comp.engine.handle_timeout(now);
                self.drain_component(c);
            }
        }
        self.flush();
        true
    }

    /// Steps until the next thing to happen is after `end`, then sets the clock to `end`.
    pub fn run_until(&mut self, end: Instant) {
        let mut same = 0;
        let mut last = self.now;
        while self.next_wakeup().is_some_and(|t| t <= end) {
            self.step();
            same = if self.now == last { same + 1 } else { 0 };
            last = self.now;
            assert!(
                same < SPIN,
                "no progress at {:?}: {:?}",
                self.now,
                self.next_wakeup()
            );
        }
        self.now = self.now.max(end);
    }

    /// [`Pair::run_until`] `d` from now.
    pub fn run_for(&mut self, d: Duration) {
        self.run_until(self.now + d);
    }

    /// Takes in what the nodes output since (a test may call a node directly) and delivers
    /// everything due now, until nothing moves; the clock stays.
    pub fn flush(&mut self) {
        self.drain_all();
        let mut guard = 0;
        loop {
            let (nodes, components) = self.hangs();
            let held = |item: &Item| held(&nodes, &components, item);
            let Some(item) = self.net.pop_due(self.now, held) else {
                break;
            };
            self.process(item);
            guard += 1;
            assert!(
                guard < 100 * SPIN,
                "deliveries without end at {:?}",
                self.now
            );
        }
    }

    /// The time of the next timer or delivery, if any (possibly now).
    pub fn next_wakeup(&self) -> Option<Instant> {
        let nodes = (0..self.nodes.len())
            .filter(|i| self.runs(*i))
            .filter_map(|i| self.nodes[i].poll_timeout());
        let components = self
            .components
            .iter()
            .filter(|c| c.alive)
            .filter_map(|c| c.engine.poll_timeout());
        nodes
            .chain(components)
            .chain(self.net.next(|item| self.held(item)))
            .min()
    }

    /// Whether node `i` runs (neither crashed nor hung).
    fn runs(&self, i: usize) -> bool {
        !self.crashed[i] && self.alive[i]
    }

    /// Whether `item` waits for a hung party.
    fn held(&self, item: &Item) -> bool {
        let (nodes, components) = self.hangs();
        held(&nodes, &components, item)
    }

    /// Which nodes and components run (are not hung).
    fn hangs(&self) -> (Vec<bool>, Vec<bool>) {
        let components = self.components.iter().map(|c| c.alive).collect();
        (self.alive.clone(), components)
    }

    pub(super) fn drain_all(&mut self) {
        for i in 0..self.nodes.len() {
            self.drain(i);
        }
    }

    /// Takes node `i`'s outputs: records them, puts its frames on the wire and acts on its
    /// events as a driver would.
    pub(super) fn drain(&mut self, i: usize) {
        if self.crashed[i] {
            return;
        }
        let now = self.now;
        while let Some(t) = self.nodes[i].poll_transmit() {
            self.sent.push(Sent {
                at: now,
                node: i,
                link: t.link,
                message: t.message.clone(),
            });
            self.transmit(End::Node(i), t.link, t.message);
        }
        while let Some(event) = self.nodes[i].poll_event() {
            self.events.push(Record {
                at: now,
                node: i,
                event: event.clone(),
            });
            self.act(i, event);
            if self.crashed[i] {
                return;
            }
        }
    }

    /// What the driver does with node `i`'s event.
    fn act(&mut self, i: usize, event: Event) {
        let now = self.now;
        match event {
            Event::CloseLink { link, .. } => {
                self.adopt(i, link);
                self.net.close(now, link, End::Node(i));
            }
            Event::Dial { member } if self.answer_dials => self.dial(i, member),
            Event::RunHooks { id, job } => {
                let key = (i, job.component);
                let free = self
                    .hook_busy
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map_or(now, |(_, t)| (*t).max(now));
                let done = free + self.hook_time;
                self.hook_busy.retain(|(k, _)| *k != key);
                self.hook_busy.push((key, done));
                let ok = (self.hook_ok)(&job);
                self.jobs.push((now, i, id, job));
                self.net.push(done, Item::HooksDone { node: i, id, ok });
            }
            Event::RemoteCheck { id, member, .. } => {
                let outcome = self.remote_outcome[i];
                self.remote_runs.push((now, i, member));
                let done = now + self.hook_time;
                self.net.push(
                    done,
                    Item::RemoteDone {
                        node: i,
                        id,
                        outcome,
                    },
                );
            }
            // The driver exits: as a crash, for everyone else.
            Event::Exit { .. } => self.go_down(i),
            _ => {}
        }
    }

    /// Node `i` asks to dial `member`: the attempt reaches it after the route's latency, or
    /// times out across a partition.
    pub(super) fn dial(&mut self, i: usize, member: usize) {
        if member >= self.nodes.len() {
            return;
        }
        if self.net.cut(i, member) {
            let item = Item::DialFailed { from: i, member };
            self.net.push(self.now + CONNECT_TIMEOUT, item);
        } else {
            let at = self.now + self.net.route_latency(i, member);
            self.net.push(at, Item::Syn { from: i, member });
        }
    }

    /// Node `i` stops existing for everyone else: its links close at their other ends, what
    /// was in flight to it is lost.
    pub(super) fn go_down(&mut self, i: usize) {
        self.crashed[i] = true;
        let end = End::Node(i);
        for link in self.net.links_of(end) {
            self.net.close(self.now, link, end);
        }
        self.net.drop_for(end);
        self.hook_busy.retain(|((n, _), _)| *n != i);
    }

    /// Puts `message` from `from` on `link`, if `from` has it open.
    pub(super) fn transmit(&mut self, from: End, link: LinkId, message: AnyMessage) {
        if let End::Node(i) = from {
            self.adopt(i, link);
        }
        let Some(l) = self.net.links.get(&link) else {
            return; // a link the test opened on one node itself: not carried
        };
        if !self.net.is_open(link, from) {
            return;
        }
        let Some((_, to)) = l.other(from) else {
            return;
        };
        let at = self.now + l.latency;
        self.net.push(at, Item::Frame { link, to, message });
    }

    /// A link the test opened on the nodes themselves (not through the network): carried as
    /// a peer link if the other node has it open as one.
    fn adopt(&mut self, i: usize, link: LinkId) {
        let j = 1 - i;
        let peer = matches!(self.nodes[j].link_kind(link), Some(LinkKind::Peer(_)));
        if self.net.links.contains_key(&link) || self.crashed[j] || !peer {
            return;
        }
        let l = Link {
            ends: [End::Node(i), End::Node(j)],
            open: [true, true],
            latency: self.net.route_latency(i, j),
        };
        self.net.links.insert(link, l);
    }

    /// Takes in one item of the queue.
    fn process(&mut self, item: Item) {
        let now = self.now;
        match item {
            Item::Frame { link, to, message } => {
                if !self.net.is_open(link, to) || self.net.link_cut(link) {
                    return;
                }
                match to {
                    End::Node(i) => {
                        self.nodes[i].handle_frame(now, link, message);
                        self.drain(i);
                    }
                    End::Component(c) => {
                        let comp = &mut self.components[c];
                        comp.received.push((now, message.clone()));
                        comp.engine.handle_frame(now, message);
                        self.drain_component(c);
                    }
                    End::Client(c) => {
                        if let AnyMessage::Status(m) = message {
                            self.clients[c].received.push((now, m));
                        }
                    }
                }
            }
            Item::Opened { link, to, kind } => {
                if let End::Node(i) = to {
                    if self.crashed[i] {
                        self.net.close(now, link, to);
                    } else {
                        match kind {
                            LinkKind::Peer(origin) => self.open_peer_link(i, link, origin),
                            _ => self.nodes[i].handle_link_opened(now, link, kind),
                        }
                        self.drain(i);
                    }
                }
            }
            Item::Closed { link, to } => {
                if self.net.link_cut(link) || !self.net.is_open(link, to) {
                    return;
                }
                self.net.closed_at(link, to);
                match to {
                    End::Node(i) => {
                        self.nodes[i].handle_link_closed(now, link);
                        self.drain(i);
                    }
                    End::Component(c) => {
                        self.components[c].link = None;
                        self.components[c].engine.handle_closed(now);
                        self.drain_component(c);
                        self.net.push(now, Item::Reconnect { comp: c });
                    }
                    End::Client(c) => self.clients[c].link = None,
                }
            }
            Item::Syn { from, member } => self.syn(from, member),
            Item::Connected { from, member, link } => {
                match self.certificate_of(member) {
                    Some(id) => self.nodes[from].handle_dialed_authenticated(now, member, link, id),
                    None => self.nodes[from].handle_dialed(now, member, link),
                }
                self.drain(from);
            }
            Item::DialFailed { from, member } => {
                self.nodes[from].handle_dial_failed(now, member);
                self.drain(from);
            }
            Item::Reconnect { comp } => self.reconnect(comp),
            Item::Answer {
                comp,
                correlation,
                accept,
            } => {
                let engine = &mut self.components[comp].engine;
                if engine.pending_request().map(|r| r.correlation) == Some(correlation) {
                    let _ = if accept {
                        engine.accept(now)
                    } else {
                        engine.refuse(now)
                    };
                    self.drain_component(comp);
                }
            }
            Item::HooksDone { node, id, ok } => {
                self.nodes[node].handle_hooks_done(now, id, ok);
                self.drain(node);
            }
            Item::RemoteDone { node, id, outcome } => {
                self.nodes[node].handle_remote_check_done(now, id, outcome);
                self.drain(node);
            }
        }
    }

    /// Node `i` learns that peer link `link` opened, with the certificate of the node at its
    /// other end if that one has one.
    pub(super) fn open_peer_link(&mut self, i: usize, link: LinkId, origin: LinkOrigin) {
        let now = self.now;
        let kind = LinkKind::Peer(origin);
        match self.certificate_of(1 - i) {
            Some(id) => self.nodes[i].handle_link_authenticated(now, link, kind, id),
            None => self.nodes[i].handle_link_opened(now, link, kind),
        }
    }

    /// The identity node `i`'s certificate gives it, if it has one.
    fn certificate_of(&self, i: usize) -> Option<Identity> {
        self.certificates.get(i).cloned().flatten()
    }

    /// A connect attempt reaches member `member`: refused if it is down, else a new peer
    /// link that it accepts now and that `from` has after the latency.
    fn syn(&mut self, from: usize, member: usize) {
        let now = self.now;
        let latency = self.net.route_latency(from, member);
        if self.net.cut(from, member) {
            let item = Item::DialFailed { from, member };
            self.net.push(now + CONNECT_TIMEOUT, item);
            return;
        }
        if self.crashed[member] {
            self.net
                .push(now + latency, Item::DialFailed { from, member });
            return;
        }
        let link = self.net.new_link();
        self.net.links.insert(
            link,
            Link {
                ends: [End::Node(from), End::Node(member)],
                open: [true, true],
                latency,
            },
        );
        let kind = LinkKind::Peer(LinkOrigin::Accepted);
        let to = End::Node(member);
        self.net.push(now, Item::Opened { link, to, kind });
        let connected = Item::Connected { from, member, link };
        self.net.push(now + latency, connected);
    }
}

/// Whether `item` waits for a hung party, given which nodes and components run.
fn held(nodes: &[bool], components: &[bool], item: &Item) -> bool {
    match item.party() {
        Some(End::Node(i)) => !nodes[i],
        Some(End::Component(c)) => !components[c],
        _ => false,
    }
}
