//! Connections: components and status clients connecting to their node (retrying while it
//! is down), nodes dialling each other ([`baton_engine::Event::Dial`]), and links opening at
//! a node (held while it is stopped: the kernel accepts for it).

use super::check::Stream;
use super::host::Held;
use super::network::{Class, End};
use super::world::{Action, World, RECONNECT_RETRY};
use baton_engine::{LinkKind, CONNECT_TIMEOUT};
use baton_monitor::LinkOrigin;
use std::time::Duration;

impl World {
    pub(crate) fn schedule_component_connect(&mut self, m: usize, c: usize) {
        let comp = &mut self.members[m].components[c];
        if comp.reconnecting || comp.link.is_some() {
            return;
        }
        comp.reconnecting = true;
        let d = self
            .rng
            .duration(Duration::from_millis(1), Duration::from_millis(40));
        self.schedule(self.now + d, Action::ConnectComponent(m, c));
    }

    pub(crate) fn schedule_client_connect(&mut self, m: usize) {
        let client = &mut self.members[m].client;
        if client.reconnecting || client.link.is_some() {
            return;
        }
        client.reconnecting = true;
        let d = self
            .rng
            .duration(Duration::from_millis(1), Duration::from_millis(40));
        self.schedule(self.now + d, Action::ConnectClient(m));
    }

    pub(crate) fn connect_component(&mut self, m: usize, c: usize) {
        let (now, real) = (self.local(m), self.now);
        self.members[m].components[c].reconnecting = false;
        if self.members[m].components[c].link.is_some() {
            return;
        }
        if self.members[m].node.is_none() {
            self.members[m].components[c].reconnecting = true;
            self.schedule(real + RECONNECT_RETRY, Action::ConnectComponent(m, c));
            return;
        }
        let link = self
            .net
            .open(Class::Component, End::Component(m, c), End::Node(m));
        self.log(|| format!("{link} n{m}c{c} connects to n{m}"));
        self.node_link_opened(m, link, LinkKind::Component);
        let comp = &mut self.members[m].components[c];
        comp.link = Some(link);
        comp.engine.handle_connected(now, link);
    }

    pub(crate) fn connect_client(&mut self, m: usize) {
        let (now, real) = (self.local(m), self.now);
        self.members[m].client.reconnecting = false;
        if self.members[m].client.link.is_some() {
            return;
        }
        if self.members[m].node.is_none() {
            self.members[m].client.reconnecting = true;
            self.schedule(real + RECONNECT_RETRY, Action::ConnectClient(m));
            return;
        }
        let link = self.net.open(Class::Client, End::Client(m), End::Node(m));
        self.log(|| format!("{link} n{m}cli connects to n{m}"));
        self.record.streams.insert(
            link,
            Stream {
                member: m,
                expected: Vec::new(),
                received: Vec::new(),
                closed: false,
            },
        );
        let member = &mut self.members[m];
        member.client.link = Some(link);
        member.client.status.handle_connected(now, link);
        self.node_link_opened(m, link, LinkKind::Client);
    }

    /// A link opened at member `m`'s node (held while it is stopped: the kernel accepts).
    fn node_link_opened(&mut self, m: usize, link: baton_core::LinkId, kind: LinkKind) {
        if self.is_stalled(m) {
            self.members[m].held.push_back(Held::Opened(link, kind));
            return;
        }
        let now = self.local(m);
        if let Some(node) = self.members[m].node.as_mut() {
            node.handle_link_opened(now, link, kind);
        }
    }

    /// Member `a`'s node (in `incarnation`) asked to dial member `b`: in a partition nobody
    /// answers and the attempt is abandoned after the engine's [`CONNECT_TIMEOUT`]; a peer
    /// that is down refuses at once; otherwise the link opens at both ends at once. An
    /// attempt of an earlier incarnation of `a` went down with it.
    pub(crate) fn dial(&mut self, a: usize, b: usize, incarnation: u32) {
        if !self.dialling(a, incarnation) {
            return;
        }
        if self.net.is_cut(a, b) {
            self.log(|| format!("n{a} dials n{b}: no answer (partition)"));
            // The driver's connect timeout runs on a's clock.
            let clock = self.members[a].clock;
            let at = clock.real(clock.local(self.now) + CONNECT_TIMEOUT);
            self.schedule(at, Action::DialTimeout(a, b, incarnation));
            return;
        }
        if self.members[b].node.is_none() {
            self.log(|| format!("n{a} dials n{b}: refused (down)"));
            return self.dial_failed(a, b, incarnation);
        }
        let link = self.net.open(Class::Peer, End::Node(a), End::Node(b));
        self.log(|| format!("n{a} dials n{b} ({link})"));
        let now = self.local(a);
        if let Some(node) = self.members[a].node.as_mut() {
            node.handle_dialed(now, b, link);
        }
        self.drain_node(a);
        self.node_link_opened(b, link, LinkKind::Peer(LinkOrigin::Accepted));
        self.drain_node(b);
    }

    /// Member `a`'s attempt to dial `b` failed (refused, or abandoned).
    pub(crate) fn dial_failed(&mut self, a: usize, b: usize, incarnation: u32) {
        if !self.dialling(a, incarnation) {
            return;
        }
        let now = self.local(a);
        if let Some(node) = self.members[a].node.as_mut() {
            node.handle_dial_failed(now, b);
        }
        self.drain_node(a);
    }

    /// Whether member `a` still runs the node of `incarnation`.
    fn dialling(&self, a: usize, incarnation: u32) -> bool {
        self.members[a].node.is_some() && self.members[a].incarnation == incarnation
    }

    /// The peer links member `a`'s node holds open to member `b`.
    pub fn peer_links(&self, a: usize, b: usize) -> Vec<baton_core::LinkId> {
        self.net
            .open_links_of(End::Node(a), Class::Peer)
            .into_iter()
            .filter(|l| {
                self.net
                    .link(*l)
                    .is_some_and(|k| k.ends.contains(&End::Node(b)))
            })
            .collect()
    }
}
