//! A virtual-clock harness for whole Nodes (quinn-proto's test `Pair` is the model): two
//! members on a virtual network, the other parties of each (in-test components running the
//! shipped component engine, status clients, a hook runner for script components), faults
//! (crash, hang, partition), and every output of every node recorded with its time.
//!
//! - [`Pair::new`] leaves the links to the test ([`Pair::connect`]); [`Pair::dialling`]
//!   answers the nodes' [`Event::Dial`] as a network would (the common case).
//! - [`Pair::step`] advances to the next instant something happens (a timer or a delivery)
//!   and runs it; [`Pair::run_until`], [`Pair::run_for`] and [`Pair::flush`] build on it.
//! - Every link has a latency (zero by default: [`Pair::set_latency`]).
//! - The records: [`Pair::events`] (each node's events, in order, with their times),
//!   [`Pair::sent`] (each node's transmits), each component's and client's received frames;
//!   `record.rs` has the views the tests compare.
#![allow(dead_code)] // each test file uses a part

mod component;
mod drive;
mod net;
mod record;

pub use component::{Answer, TestClient, TestComponent};
pub use net::End;
pub use record::{Record, Sent};

use baton_codec::AnyMessage;
use baton_component::engine::ComponentEngineConfig;
use baton_core::{Instant, LinkId};
use baton_engine::{HookJob, Identity, JobId, LinkKind, Node, NodeConfig};
use baton_monitor::{ComponentPolicy, LinkOrigin, Severity};
use net::{route, Item, Link, Net};
use std::time::Duration;

/// The peer link of [`Pair::connect`], known by the same id at both ends.
pub const PEER: LinkId = LinkId(1);
/// A link id tests may use for a status client they open themselves.
pub const CLIENT: LinkId = LinkId(2);
/// The higher-priority member.
pub const ALPHA: usize = 0;
/// The lower-priority member.
pub const BETA: usize = 1;

/// `n` milliseconds after the start.
pub fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

/// The two members' configuration: alpha (id 1) first, then beta (id 2).
pub fn config(me: usize) -> NodeConfig {
    NodeConfig::pair([("alpha", "1"), ("beta", "2")], me)
}

/// As [`config`], with the `correlationId`s of PROTOCOL 7: alpha's from 1, beta's from 101.
pub fn sequence_config(me: usize) -> NodeConfig {
    let mut c = config(me);
    c.first_correlation_id = 1 + 100 * me as u64;
    c
}

/// A component policy of `severity`, with the default dead interval.
pub fn policy(severity: Severity) -> ComponentPolicy {
    ComponentPolicy {
        severity,
        dead_interval: None,
    }
}

/// Two nodes on a virtual network, their parties and every output, on a virtual clock.
pub struct Pair {
    /// alpha, beta. A crashed node stays here as it died; the harness no longer runs it.
    pub nodes: Vec<Node>,
    /// False while a node hangs: it neither reads nor runs its timers (what was sent to it
    /// waits), but its links stay open.
    pub alive: Vec<bool>,
    /// Whether each node is down (crashed, or exited after [`baton_engine::Event::Exit`]).
    pub crashed: Vec<bool>,
    /// The configuration each node (re)starts with.
    pub configs: Vec<NodeConfig>,
    /// The virtual clock.
    pub now: Instant,
    /// Every event of every node, in order, with its time.
    pub events: Vec<Record>,
    /// Every transmit of every node, in order, with its time.
    pub sent: Vec<Sent>,
    /// In-test components.
    pub components: Vec<TestComponent>,
    /// Status clients.
    pub clients: Vec<TestClient>,
    /// Whether the network answers [`baton_engine::Event::Dial`].
    pub answer_dials: bool,
    /// How long a hook job runs (the jobs of one script component run one after another).
    pub hook_time: Duration,
    /// Whether a hook job succeeds (all do by default).
    pub hook_ok: fn(&HookJob) -> bool,
    /// The hook jobs each node asked for, in order, with the time each was asked.
    pub jobs: Vec<(Instant, usize, JobId, HookJob)>,
    /// What a remote check run of each node finds (PROTOCOL 6.8; `Ok` by default).
    pub remote_outcome: Vec<baton_engine::RemoteOutcome>,
    /// The remote check runs: (time asked, node, member checked).
    pub remote_runs: Vec<(Instant, usize, usize)>,
    /// The identity each node's certificate gives it on peer links (mutual TLS, PROTOCOL
    /// 3.4): a node learns its peer's with `handle_link_authenticated` (or
    /// `handle_dialed_authenticated`); `None` (the default): links open unauthenticated.
    pub certificates: Vec<Option<Identity>>,
    /// When the hook runner of (node, script component) is free again.
    hook_busy: Vec<((usize, usize), Instant)>,
    net: Net,
}

impl Pair {
    /// Both nodes with the default configuration, started at time zero; the test opens the
    /// links ([`Pair::connect`]) and the nodes' dial requests go unanswered.
    pub fn new() -> Self {
        Pair::with(config)
    }

    /// As [`Pair::new`], each node with `cfg(me)`.
    pub fn with(cfg: impl Fn(usize) -> NodeConfig) -> Self {
        Pair::build(cfg, false)
    }

    /// Both nodes with [`sequence_config`], started at time zero, on a network that answers
    /// their dial requests: each dials the other at once.
    pub fn dialling() -> Self {
        Pair::dialling_with(sequence_config)
    }

    /// As [`Pair::dialling`], each node with `cfg(me)`.
    pub fn dialling_with(cfg: impl Fn(usize) -> NodeConfig) -> Self {
        Pair::build(cfg, true)
    }

    fn build(cfg: impl Fn(usize) -> NodeConfig, answer_dials: bool) -> Self {
        let configs: Vec<NodeConfig> = (0..2).map(cfg).collect();
        let now = Instant::ZERO;
        Pair {
            nodes: configs
                .iter()
                .map(|c| Node::new(c.clone(), now).expect("a valid configuration"))
                .collect(),
            alive: vec![true; 2],
            crashed: vec![false; 2],
            configs,
            now,
            events: Vec::new(),
            sent: Vec::new(),
            components: Vec::new(),
            clients: Vec::new(),
            answer_dials,
            hook_time: Duration::ZERO,
            hook_ok: |_| true,
            jobs: Vec::new(),
            remote_outcome: vec![baton_engine::RemoteOutcome::Ok; 2],
            remote_runs: Vec::new(),
            certificates: vec![None; 2],
            hook_busy: Vec::new(),
            net: Net::default(),
        }
    }

    /// Opens `PEER`: alpha dialled it.
    pub fn connect(&mut self) {
        self.connect_on(PEER);
    }

    /// Opens a peer link `link` at once at both ends: alpha dialled it.
    pub fn connect_on(&mut self, link: LinkId) {
        self.net.links.insert(
            link,
            Link {
                ends: [End::Node(0), End::Node(1)],
                open: [true, true],
                latency: self.net.route_latency(0, 1),
            },
        );
        self.open_peer_link(0, link, LinkOrigin::Dialled);
        self.open_peer_link(1, link, LinkOrigin::Accepted);
        self.drain_all();
    }

    /// One-way latency between the two nodes, for the links and connect attempts to come.
    pub fn set_latency(&mut self, latency: Duration) {
        self.net.latency.insert(route(0, 1), latency);
    }

    /// One-way latency of an open link.
    pub fn set_link_latency(&mut self, link: LinkId, latency: Duration) {
        if let Some(l) = self.net.links.get_mut(&link) {
            l.latency = latency;
        }
    }

    /// Attaches component `id` to node `node`: it connects (and registers) when the pair
    /// next runs, after what is already due now; it takes every role at once.
    pub fn attach(&mut self, node: usize, id: &str) -> usize {
        self.attach_with(
            node,
            id,
            ComponentEngineConfig::default(),
            Answer::Accept(Duration::ZERO),
        )
    }

    /// As [`Pair::attach`], with the engine's configuration and the application's answers.
    pub fn attach_with(
        &mut self,
        node: usize,
        id: &str,
        config: ComponentEngineConfig,
        answer: Answer,
    ) -> usize {
        self.components
            .push(TestComponent::new(node, id, config, answer));
        let c = self.components.len() - 1;
        self.net.push(self.now, Item::Reconnect { comp: c });
        c
    }

    /// The application of component `c` answers the `setRole` it holds (with [`Answer::Hold`]).
    pub fn answer(&mut self, c: usize, accept: bool) {
        let now = self.now;
        let engine = &mut self.components[c].engine;
        let _ = if accept {
            engine.accept(now)
        } else {
            engine.refuse(now)
        };
        self.drain_component(c);
        self.flush();
    }

    /// Component `c`'s application reports `health` from now on.
    pub fn set_health(&mut self, c: usize, health: baton_component::Health) {
        let now = self.now;
        self.components[c].engine.set_health(now, health);
        self.drain_component(c);
        self.flush();
    }

    /// Component `c` sends `message` to its node now (a frame its engine does not make:
    /// Replication, PROTOCOL 6.11), if connected.
    pub fn component_send(&mut self, c: usize, message: impl Into<AnyMessage>) {
        if let Some(link) = self.components[c].link {
            self.transmit(End::Component(c), link, message.into());
            self.flush();
        }
    }

    /// Opens a status client link to node `node` now.
    pub fn add_client(&mut self, node: usize) -> usize {
        self.clients.push(TestClient {
            node,
            link: None,
            received: Vec::new(),
        });
        let c = self.clients.len() - 1;
        let link = self.net.new_link();
        self.net.links.insert(
            link,
            Link {
                ends: [End::Client(c), End::Node(node)],
                open: [true, true],
                latency: Duration::ZERO,
            },
        );
        self.clients[c].link = Some(link);
        let kind = LinkKind::Client;
        let item = Item::Opened {
            link,
            to: End::Node(node),
            kind,
        };
        self.net.push(self.now, item);
        self.flush();
        c
    }

    /// Status client `c` sends `message` to its node.
    pub fn client_send(&mut self, c: usize, message: impl Into<AnyMessage>) {
        if let Some(link) = self.clients[c].link {
            self.transmit(End::Client(c), link, message.into());
            self.flush();
        }
    }

    /// Status client `c` disconnects.
    pub fn close_client(&mut self, c: usize) {
        if let Some(link) = self.clients[c].link.take() {
            self.net.close(self.now, link, End::Client(c));
            self.flush();
        }
    }

    /// An operator's switchover on node `i` (PROTOCOL 5.6), delivered at once.
    pub fn switchover(&mut self, i: usize) -> Result<(), baton_election::UsageError> {
        let result = self.nodes[i].switchover(self.now);
        self.flush();
        result
    }

    /// An operator's stop of node `i` (hand over, then exit); the node goes down at its
    /// [`baton_engine::Event::Exit`].
    pub fn stop(&mut self, i: usize) {
        self.nodes[i].stop(self.now);
        self.flush();
    }

    /// Node `i` hangs: it stops reading and running timers; its links stay open.
    pub fn hang(&mut self, i: usize) {
        self.alive[i] = false;
    }

    /// Node `i` runs again: it first takes in everything that reached it meanwhile (read
    /// before judging, PROTOCOL 4), then runs its overdue timers.
    pub fn resume(&mut self, i: usize) {
        self.alive[i] = true;
        self.flush();
    }

    /// Node `i`'s process dies: every link it had closes at the other end (after the link's
    /// latency), what was in flight to it is lost, and it runs no more.
    pub fn crash(&mut self, i: usize) {
        self.go_down(i);
        self.flush();
    }

    /// Node `i` starts again, with its configuration and the first `correlationId`
    /// `first_correlation_id` (PROTOCOL 7 restarts at 1001).
    pub fn restart(&mut self, i: usize, first_correlation_id: u64) {
        let mut config = self.configs[i].clone();
        config.first_correlation_id = first_correlation_id;
        self.nodes[i] = Node::new(config, self.now).expect("a valid configuration");
        self.crashed[i] = false;
        self.alive[i] = true;
        self.drain(i);
        self.flush();
    }

    /// Nothing passes between the nodes any more (frames and closings are lost, connect
    /// attempts time out); the links stay open until the nodes close them.
    pub fn partition(&mut self) {
        self.net.partitioned.insert(route(0, 1));
    }

    /// The partition heals: a link one node closed during it is reset at the other.
    pub fn heal(&mut self) {
        self.net.partitioned.remove(&route(0, 1));
        let half_open: Vec<(LinkId, End)> = self
            .net
            .links
            .iter()
            .filter(|(_, l)| l.is_peer() && l.open.contains(&false))
            .filter_map(|(id, l)| {
                let i = l.open.iter().position(|o| *o)?;
                Some((*id, l.ends[i]))
            })
            .collect();
        for (link, to) in half_open {
            self.net.push(self.now, Item::Closed { link, to });
        }
        self.flush();
    }

    /// Whether `link` is open at node `i`'s end, as the network sees it.
    pub fn is_open(&self, i: usize, link: LinkId) -> bool {
        self.net.is_open(link, End::Node(i))
    }

    /// The open peer links, as the network sees them.
    pub fn peer_links(&self) -> Vec<LinkId> {
        self.net
            .links
            .iter()
            .filter(|(_, l)| l.is_peer())
            .map(|(id, _)| *id)
            .collect()
    }
}
