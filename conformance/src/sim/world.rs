//! The simulated world: members (a node, its components, its status client), the network,
//! the virtual clock, and what the checks record.

use super::application::STANDBY_THINK_MAX;
use super::check::{Record, Violation};
use super::clock::HostClock;
use super::faults::{FaultConfig, Plan};
use super::host::GrantFile;
pub use super::member::{Client, Component, Member};
use super::network::{Network, NetworkConfig};
use super::rng::Rng;
use super::topology::Topology;
use super::trace::Trace;
use baton_codec::{Encoding, DEFAULT_MAX_FRAME};
use baton_component::engine::{
    ComponentEngine, ComponentEngineConfig, ReplicationConfig, StandbyKind,
};
use baton_core::Instant;
use baton_election::NodeRole;
use baton_engine::Node;
use baton_status::StatusClient;
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

/// Everything a run needs besides its seed.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The cluster: pair mode, or quorum mode with 3 members, 2 + a witness, or 5.
    pub topology: Topology,
    /// Quorum mode: seeds `s` with `s % fence_every == 1 % fence_every` configure `[fence]`
    /// on every member (0: never; 1: always).
    pub fence_every: u64,
    /// Quorum mode: seeds `s` with `s % lost_grant_every == 2 % lost_grant_every` are
    /// lost-file runs: half of the restarts find the grant file lost or corrupt (0: never;
    /// 1: always).
    pub lost_grant_every: u64,
    /// Components per member: drawn in `min..=max` per member.
    pub components: (usize, usize),
    /// Length of the fault phase (faults are injected only within it).
    pub fault_phase: Duration,
    /// Length of the quiet phase that follows (no faults; everything repaired at its start).
    pub quiet_phase: Duration,
    /// Which faults, how many, how long.
    pub faults: FaultConfig,
    /// Quorum mode: each host's clock rate is drawn within `1 ± clock_drift_ppm / 10⁶`
    /// (default: the timers' ρ, 10,000; beyond it only to plant a fault).
    pub clock_drift_ppm: u32,
    /// Quorum mode: the longest time an application takes to stand by (default
    /// [`STANDBY_THINK_MAX`], within the demotion bound; longer only to plant a fault: then
    /// every standby answer takes up to it).
    pub standby_think_max: Duration,
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
    /// Every component replicates through its node (PROTOCOL 6.11) and writes a record every
    /// 10-40 ms while active; the check after the schedule: no acknowledged `sync` update
    /// lost ([`super::replicate`]).
    pub replication: bool,
}

impl Default for SimConfig {
    /// The CI schedule: a pair, 1-3 components each, 5 s of faults, 8 s of quiet.
    fn default() -> Self {
        SimConfig {
            topology: Topology::Pair,
            fence_every: 0,
            lost_grant_every: 0,
            components: (1, 3),
            fault_phase: Duration::from_secs(5),
            quiet_phase: Duration::from_secs(8),
            faults: FaultConfig::default(),
            clock_drift_ppm: baton_election::QuorumTimers::default().clock_drift_ppm,
            standby_think_max: STANDBY_THINK_MAX,
            network: NetworkConfig::default(),
            convergence_bound: CONVERGENCE_BOUND,
            trace_len: 300,
            full_trace: false,
            max_steps: 2_000_000,
            replication: false,
        }
    }
}

impl SimConfig {
    /// The CI schedule of `topology`: the pair's default, or for quorum mode its fault mix
    /// ([`FaultConfig::quorum`]), a third of the seeds fencing, a fifth losing grant files,
    /// and the quorum convergence bound ([`QUORUM_CONVERGENCE_BOUND`]).
    pub fn for_topology(topology: Topology) -> Self {
        if !topology.is_quorum() {
            return SimConfig::default();
        }
        SimConfig {
            topology,
            fence_every: 3,
            lost_grant_every: 5,
            faults: FaultConfig::quorum(),
            network: NetworkConfig {
                duplicate_per_mille: 5,
                ..NetworkConfig::default()
            },
            convergence_bound: QUORUM_CONVERGENCE_BOUND,
            ..SimConfig::default()
        }
    }

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

/// The convergence bound of check 1 in quorum mode (derived in [`crate::sim`], "The quorum
/// bound"): 5.76 s, rounded up.
pub const QUORUM_CONVERGENCE_BOUND: Duration = Duration::from_secs(7);

/// Component and status-client reconnect attempts while their node is down.
pub const RECONNECT_RETRY: Duration = Duration::from_millis(50);
/// The components' watchdog (the `ComponentRole` default).
pub const WATCHDOG: Duration = Duration::from_millis(200);

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
    /// Member `m`'s grant write (of its incarnation `.1`) completed.
    GrantWritten(usize, u32),
    /// Member `m`'s fence command (of its incarnation `.1`) against member `.2` ended.
    FenceDone(usize, u32, usize),
    /// Component `(m, c)`'s application writes a record if active (replication).
    WriteRecord(usize, usize),
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
    /// This run configures `[fence]`.
    pub(crate) fencing: bool,
    /// This run is a lost-file run.
    pub(crate) lost_grants: bool,
    /// Replication: the updates sent and acknowledged.
    pub(crate) repl: super::replicate::ReplicationRecord,
}

impl World {
    /// A world at time zero: every node just started, components and clients about to
    /// connect, random faults planned from `seed` (none with [`SimConfig::scripted`]).
    pub fn new(seed: u64, config: SimConfig) -> World {
        let mut rng = Rng::new(seed);
        let topology = config.topology;
        let n = topology.members();
        let every = |k: u64, r: u64| topology.is_quorum() && k > 0 && seed % k == r % k;
        let fencing = every(config.fence_every, 1);
        let lost_grants = every(config.lost_grant_every, 2);
        let mut members = Vec::with_capacity(n);
        for m in 0..n {
            let count = if topology.is_witness(m) {
                0
            } else {
                rng.range(config.components.0 as u64, config.components.1 as u64)
            };
            let components = (0..count as usize)
                .map(|c| {
                    let id = format!("{}{}", m + 1, c + 1);
                    let mut engine = ComponentEngine::new(&id, ComponentEngineConfig::default())
                        .expect("digit ids");
                    if config.replication {
                        engine = engine.with_replication(ReplicationConfig {
                            standby: StandbyKind::Cold,
                            encoding: Encoding::Der,
                            max_frame: DEFAULT_MAX_FRAME,
                        });
                    }
                    Component {
                        engine,
                        id,
                        link: None,
                        refuse_until: Instant::ZERO,
                        stall: false,
                        reconnecting: false,
                    }
                })
                .collect();
            let clock = if topology.is_quorum() {
                HostClock::draw(&mut rng, config.clock_drift_ppm)
            } else {
                HostClock::EXACT
            };
            members.push(Member {
                node: None,
                clock,
                stalled: false,
                held: VecDeque::new(),
                resuming: false,
                grant: GrantFile::default(),
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
            fencing,
            lost_grants,
            repl: Default::default(),
        };
        for m in 0..n {
            w.start_node(m);
        }
        if w.config.replication {
            for m in 0..n {
                for c in 0..w.members[m].components.len() {
                    let first = w.rng.duration(Duration::ZERO, Duration::from_millis(40));
                    w.schedule(Instant::ZERO + first, Action::WriteRecord(m, c));
                }
            }
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
            topology: self.config.topology,
            check,
            at: self.now,
            message,
            trace: self.trace.lines(),
        }
    }

    /// Starts (or restarts) member `m`'s node: a fresh `Node`, `Negotiating`, no links; in
    /// quorum mode from the grant its file holds (`Unknown` if none, or lost).
    pub(crate) fn start_node(&mut self, m: usize) {
        let persisted = self.members[m].grant.persisted();
        let mut cfg = self.config.topology.node_config(m, self.fencing, persisted);
        if self.config.replication {
            let ids: Vec<(usize, String)> = self
                .members
                .iter()
                .flat_map(|x| x.components.iter().enumerate())
                .map(|(c, comp)| (c, comp.id.clone()))
                .collect();
            cfg.replication = super::replicate::node_config(&ids);
        }
        // Ids differ across restarts, as a driver seeding them from the clock would make them.
        let now = self.local(m);
        let member = &mut self.members[m];
        member.incarnation += 1;
        cfg.first_correlation_id =
            self.now.since_origin().as_millis() as u64 * 1000 + member.incarnation as u64;
        let node = Node::new(cfg, now).expect("valid simulation config");
        member.node = Some(node);
        member.crashed_at = None;
        let incarnation = member.incarnation;
        self.log(|| format!("n{m}: start (incarnation {incarnation}, grant {persisted:?})"));
        for c in 0..self.members[m].components.len() {
            self.schedule_component_connect(m, c);
        }
        self.schedule_client_connect(m);
        self.drain_node(m);
    }

    /// Member `m`'s clock now.
    pub fn local(&self, m: usize) -> Instant {
        self.members[m].clock.local(self.now)
    }
}
