//! The simulated world: members (a node, its components, its status client), the network,
//! the virtual clock, and what the checks record.

use super::check::{Record, Violation};
use super::faults::{FaultConfig, Plan};
use super::network::{Class, End, Network, NetworkConfig};
use super::rng::Rng;
use super::trace::Trace;
use baton_component::engine::{ComponentEngine, ComponentEngineConfig};
use baton_component::Role;
use baton_core::{Instant, LinkId};
use baton_election::NodeRole;
use baton_engine::{Node, NodeConfig};
use baton_status::StatusClient;
use std::collections::BTreeMap;
use std::time::Duration;

/// Everything a run needs besides its seed.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Number of members (pair mode: 2; the driver is written for N).
    pub members: usize,
    /// Components per member: drawn in `min..=max` per member.
    pub components: (usize, usize),
    /// Length of the fault phase (faults are injected only within it).
    pub fault_phase: Duration,
    /// Length of the quiet phase that follows (no faults; everything repaired at its start).
    pub quiet_phase: Duration,
    /// Which faults, how many, how long.
    pub faults: FaultConfig,
    /// Latencies and adversarial stress.
    pub network: NetworkConfig,
    /// Time from the start of the quiet phase by which the pair must have converged
    /// (check 1); see [`crate::sim`] for its derivation.
    pub convergence_bound: Duration,
    /// Trace lines kept for a violation report.
    pub trace_len: usize,
    /// Print every trace line to stderr as it happens.
    pub full_trace: bool,
    /// Steps after which the run is declared a livelock.
    pub max_steps: u64,
}

impl Default for SimConfig {
    /// The CI schedule: a pair, 1-3 components each, 5 s of faults, 8 s of quiet.
    fn default() -> Self {
        SimConfig {
            members: 2,
            components: (1, 3),
            fault_phase: Duration::from_secs(5),
            quiet_phase: Duration::from_secs(8),
            faults: FaultConfig::default(),
            network: NetworkConfig::default(),
            convergence_bound: CONVERGENCE_BOUND,
            trace_len: 300,
            full_trace: false,
            max_steps: 2_000_000,
        }
    }
}

impl SimConfig {
    /// No random faults at all: for hand-written scenarios that inject their own.
    pub fn scripted() -> Self {
        SimConfig {
            faults: FaultConfig::none(),
            ..SimConfig::default()
        }
    }
}

/// The convergence bound of check 1, from the shipped timers (see [`crate::sim`]): dead
/// interval 300 ms + the engine's connect timeout 1 s ([`baton_engine::CONNECT_TIMEOUT`]) +
/// its dial back-off cap 150 ms (half the 300 ms `startup_wait`) + role timeout 1 s + three
/// election retries 300 ms + two slow component answers 2 x 400 ms = 3.55 s, rounded up.
pub const CONVERGENCE_BOUND: Duration = Duration::from_secs(4);

/// Component and status-client reconnect attempts while their node is down.
pub const RECONNECT_RETRY: Duration = Duration::from_millis(50);
/// The components' watchdog (the `ComponentRole` default).
pub const WATCHDOG: Duration = Duration::from_millis(200);

/// One component process: the component engine the library ships (its Role and
/// HealthMonitor machines composed), with the application's decisions scripted.
#[derive(Debug, Clone)]
pub struct Component {
    /// Its component id.
    pub id: String,
    /// The engine (its role is the application's role).
    pub engine: ComponentEngine,
    /// Its link to the node, while connected (the engine's, which the network carries).
    pub link: Option<LinkId>,
    /// Until then, `setRole active` is refused (or left unanswered if `stall`).
    pub refuse_until: Instant,
    /// Refusal mode: no answer at all (the node's role timeout fires) instead of `failure`.
    pub stall: bool,
    /// A reconnect is scheduled.
    pub reconnecting: bool,
}

impl Component {
    /// Whether the application is active now.
    pub fn is_active(&self) -> bool {
        self.engine.role() == Some(Role::Active)
    }

    /// The role the application holds (the wire value), `None` before its first assignment.
    pub fn role(&self) -> Option<baton_role::Role> {
        self.engine.role().map(Into::into)
    }
}

/// The status client of one member.
#[derive(Debug, Clone)]
pub struct Client {
    /// The client machine.
    pub status: StatusClient,
    /// Its link, while connected.
    pub link: Option<LinkId>,
    /// A reconnect is scheduled.
    pub reconnecting: bool,
}

/// One member: its node (absent while crashed), components and status client.
#[derive(Debug, Clone)]
pub struct Member {
    /// The node, `None` while crashed.
    pub node: Option<Node>,
    /// Number of starts so far (1 after the first).
    pub incarnation: u32,
    /// When it last crashed, while down.
    pub crashed_at: Option<Instant>,
    /// Its components.
    pub components: Vec<Component>,
    /// Its status client.
    pub client: Client,
}

impl Member {
    /// The node's role, `None` while crashed.
    pub fn role(&self) -> Option<NodeRole> {
        self.node.as_ref().map(Node::role)
    }
}

/// Something the driver scheduled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// The application of component `(m, c)` answers the request `correlation`.
    Decide(usize, usize, String),
    /// Component `(m, c)` connects to its node.
    ConnectComponent(usize, usize),
    /// Member `m`'s status client connects.
    ConnectClient(usize),
    /// Member `from`'s node, in incarnation `.2`, asked to dial member `to`
    /// ([`baton_engine::Event::Dial`]): the attempt connects, is refused or goes unanswered.
    Dial(usize, usize, u32),
    /// The unanswered attempt of `Dial(from, to, incarnation)` is abandoned (its connect
    /// timeout).
    DialTimeout(usize, usize, u32),
    /// An injected fault (or repair), by index into the plan.
    Fault(usize),
    /// The end of the fault phase: everything repaired.
    Quiet,
    /// Nothing: a step at this time, so that the checks run.
    Checkpoint,
}

/// The whole simulated world. Drive it with [`World::run_until`] / [`World::run_for`];
/// inject faults by hand with the scenario methods ([`World::crash`], [`World::partition`],
/// ...).
#[derive(Debug)]
pub struct World {
    pub(crate) seed: u64,
    pub(crate) config: SimConfig,
    pub(crate) rng: Rng,
    pub(crate) now: Instant,
    /// The members, by index (0 = highest priority).
    pub members: Vec<Member>,
    pub(crate) net: Network,
    pub(crate) agenda: BTreeMap<(Instant, u64), Action>,
    pub(crate) seq: u64,
    pub(crate) plan: Plan,
    pub(crate) trace: Trace,
    pub(crate) record: Record,
    pub(crate) steps: u64,
}

impl World {
    /// A world at time zero: every node just started, components and clients about to
    /// connect, random faults planned from `seed` (none with [`SimConfig::scripted`]).
    pub fn new(seed: u64, config: SimConfig) -> World {
        let mut rng = Rng::new(seed);
        let n = config.members;
        let mut members = Vec::with_capacity(n);
        for m in 0..n {
            let count = rng.range(config.components.0 as u64, config.components.1 as u64);
            let components = (0..count as usize)
                .map(|c| {
                    let id = format!("{}{}", m + 1, c + 1);
                    Component {
                        engine: ComponentEngine::new(&id, ComponentEngineConfig::default())
                            .expect("digit ids"),
                        id,
                        link: None,
                        refuse_until: Instant::ZERO,
                        stall: false,
                        reconnecting: false,
                    }
                })
                .collect();
            members.push(Member {
                node: None,
                incarnation: 0,
                crashed_at: None,
                components,
                client: Client {
                    status: StatusClient::default(),
                    link: None,
                    reconnecting: false,
                },
            });
        }
        let plan = Plan::draw(&mut rng, &config);
        let mut w = World {
            seed,
            net: Network::new(config.network.clone()),
            trace: Trace::new(config.trace_len, config.full_trace),
            rng,
            now: Instant::ZERO,
            members,
            agenda: BTreeMap::new(),
            seq: 0,
            record: Record::new(n),
            steps: 0,
            plan,
            config,
        };
        for m in 0..n {
            w.start_node(m);
        }
        for i in 0..w.plan.faults.len() {
            let at = w.plan.faults[i].at;
            w.schedule(at, Action::Fault(i));
        }
        if w.config.faults.max_faults > 0 {
            let end = Instant::ZERO + w.config.fault_phase;
            w.schedule(end, Action::Quiet);
        }
        w
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The virtual clock.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// The configuration.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The network.
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// Member `m`'s node role, `None` while crashed.
    pub fn role(&self, m: usize) -> Option<NodeRole> {
        self.members[m].role()
    }

    /// Which of member `m`'s components are active now.
    pub fn components_active(&self, m: usize) -> Vec<bool> {
        self.members[m]
            .components
            .iter()
            .map(Component::is_active)
            .collect()
    }

    /// Every status line member `m`'s client received, over all its connections, in order.
    pub fn client_lines(&self, m: usize) -> Vec<String> {
        self.record
            .streams
            .values()
            .filter(|s| s.member == m)
            .flat_map(|s| s.received.iter().cloned())
            .collect()
    }

    /// Every role change so far: when, member, from, to.
    pub fn role_changes(&self) -> &[(Instant, usize, NodeRole, NodeRole)] {
        &self.record.role_changes
    }

    /// The trace lines kept so far.
    pub fn trace_lines(&self) -> Vec<String> {
        self.trace.lines()
    }

    /// When the pair last entered the converged state after the quiet phase began, if it is
    /// converged now.
    pub fn converged_at(&self) -> Option<Instant> {
        self.record.converged_at
    }

    /// When the quiet phase began, if it did.
    pub fn quiet_since(&self) -> Option<Instant> {
        self.record.quiet_since
    }

    /// Number of steps run so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The faults injected so far, as readable lines.
    pub fn faults_applied(&self) -> &[String] {
        &self.plan.applied
    }

    pub(crate) fn schedule(&mut self, at: Instant, action: Action) {
        self.seq += 1;
        self.agenda.insert((at, self.seq), action);
    }

    pub(crate) fn log(&mut self, line: impl FnOnce() -> String) {
        let now = self.now;
        self.trace.push(now, line());
    }

    pub(crate) fn violation(&self, check: &'static str, message: String) -> Violation {
        Violation {
            seed: self.seed,
            check,
            at: self.now,
            message,
            trace: self.trace.lines(),
        }
    }

    /// Starts (or restarts) member `m`'s node: a fresh `Node`, `Negotiating`, no links.
    pub(crate) fn start_node(&mut self, m: usize) {
        let n = self.config.members;
        let mut cfg = NodeConfig::pair([("alpha", "1"), ("beta", "2")], m.min(1));
        cfg.members = (0..n)
            .map(|i| baton_engine::MemberConfig {
                name: member_name(i),
                id: (i + 1).to_string(),
            })
            .collect();
        cfg.me = m;
        // Ids differ across restarts, as a driver seeding them from the clock would make them.
        let member = &mut self.members[m];
        member.incarnation += 1;
        cfg.first_correlation_id =
            self.now.since_origin().as_millis() as u64 * 1000 + member.incarnation as u64;
        let node = Node::new(cfg, self.now).expect("valid simulation config");
        member.node = Some(node);
        member.crashed_at = None;
        let incarnation = member.incarnation;
        self.log(|| format!("n{m}: start (incarnation {incarnation})"));
        for c in 0..self.members[m].components.len() {
            self.schedule_component_connect(m, c);
        }
        self.schedule_client_connect(m);
        self.drain_node(m);
    }

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

    /// The peer links member `a`'s node holds open to member `b`.
    pub fn peer_links(&self, a: usize, b: usize) -> Vec<LinkId> {
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

/// The `Candidate` name of member `i`.
pub fn member_name(i: usize) -> String {
    const NAMES: [&str; 5] = ["alpha", "beta", "gamma", "delta", "epsilon"];
    NAMES
        .get(i)
        .map_or_else(|| format!("m{i}"), |s| (*s).to_owned())
}
