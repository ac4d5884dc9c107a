//! A stateright model of the quorum election (PROTOCOL 5.9, DESIGN 3.6) that runs the
//! **real** [`baton_election::Election`] in `Mode::Quorum`, for 3 voters and for 2 members +
//! a witness, under message loss, duplication, crashes (restart from the grant file, or with
//! the file lost), link cuts (partitions) and drifting clocks. `conformance/MODEL.md`
//! ("Quorum mode") describes the choices and the measured state counts;
//! `cargo run --release -p baton-conformance --bin model_check_quorum` checks larger bounds.
//!
//! # Time
//! Real time is a global tick counter ([`Setup::tick`] of real time each). Each host's clock
//! runs at a rate fixed per host, one of [`Setup::rates`] (parts per thousand; the initial
//! states take every combination), so after `k` ticks host clocks differ by up to
//! `2ρ·k·tick`: the lease inequality is exercised, not assumed. A tick advances every
//! clock, stops components whose demotion bound ran out, then fires every timer due (a timer
//! fires at the first tick at or after its deadline: up to one tick late, so a configuration
//! checked here needs one tick of slack in the inequality). Between ticks, deliveries,
//! grant writes, role-layer answers and faults happen at the tick's instant, in any order.
//! A message is delivered (or lost) within [`Setup::max_delay`] ticks of its sending; a
//! grant write and a promotion's answer come before the next tick; a demotion's answer comes
//! at the latest [`Setup::demotion`] after it began (the demotion bound `D`).
//!
//! # Properties ([`properties`])
//! - at most one winner per round (a member `Promoting`/`Active` in round r);
//! - at most one member serving at any instant: `Promoting`/`Active`, or its components
//!   not yet stopped (a demotion, or a crash, counts until its bound `D` ran out);
//! - convergence: from every state at the horizon, faults stop (cuts heal, crashed
//!   processes restart from their files) and a fair fault-free run reaches one member
//!   `Active` with its components confirmed, nobody else serving, and it stays so for a
//!   voter lease, within [`CONVERGENCE_TICKS`].

pub mod check;
pub mod properties;
pub mod state;
pub mod walk;

use baton_election::{Config, QuorumTimers};
use state::{Action, Host, State};
use stateright::{Model, Property};
use std::time::Duration;

/// Fault budgets, totals over all hosts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Bounds {
    /// Process crashes (a restart is always possible afterwards).
    pub crashes: u8,
    /// Restarts that find the grant file lost (they need a crash first).
    pub lost_grants: u8,
    /// Link cuts (each may heal).
    pub cuts: u8,
    /// Messages lost.
    pub losses: u8,
    /// Messages delivered twice.
    pub duplicates: u8,
    /// Promotions the role layer fails.
    pub failures: u8,
}

/// Who votes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topology {
    /// Three members, all voters.
    ThreeMembers,
    /// Two members and a witness (votes, never serves).
    TwoAndWitness,
}

impl Topology {
    /// Member names, in priority order.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Topology::ThreeMembers => &["alpha", "beta", "gamma"],
            Topology::TwoAndWitness => &["alpha", "beta", "witness"],
        }
    }

    /// Indices of the witnesses.
    pub fn witnesses(self) -> Vec<usize> {
        match self {
            Topology::ThreeMembers => vec![],
            Topology::TwoAndWitness => vec![2],
        }
    }
}

/// Ticks after the faults stop within which a fair run must converge.
pub const CONVERGENCE_TICKS: u32 = 40;

/// Everything the model runs besides its state.
#[derive(Clone, Debug)]
pub struct Setup {
    /// Who votes.
    pub topology: Topology,
    /// The quorum timers every member is configured with.
    pub timers: QuorumTimers,
    /// `retry_backoff` of every member (the candidacy's re-send interval).
    pub retry: Duration,
    /// Real time per tick.
    pub tick: Duration,
    /// Possible clock rates, parts per thousand of real time.
    pub rates: Vec<u32>,
    /// The real demotion bound the model enforces: components stop at the latest this long
    /// after their demotion began or their process crashed.
    pub demotion: Duration,
    /// Ticks explored.
    pub horizon: u32,
    /// A message is delivered or lost within this many ticks.
    pub max_delay: u32,
    /// Fault budgets.
    pub bounds: Bounds,
    /// Failure detection is instant: a crash or a cut is noticed at once by the ends
    /// (`handle_link_down`). Otherwise (the default) a dead link is noticed only when a new
    /// connection replaces it (heal, restart): until then the Elections rely on their
    /// leases alone, and frames sent on it are lost.
    pub detect: bool,
    /// After the warm start, cut the first server off from every other member before the
    /// exploration begins (a scripted fault; its cuts are not counted in [`Bounds::cuts`]).
    pub isolate_server: bool,
    /// Start the exploration once the cluster has elected its first server without
    /// faults (a fresh start abstains for a voter lease first: PROTOCOL 5.9.3); otherwise
    /// faults may strike from time 0.
    pub warm: bool,
    /// Which horizon states the convergence property runs its fair run from: every one (1),
    /// one in `k` (by the state's hash), or none (0). The fair run is long; the random
    /// walks check convergence on every run.
    pub converge_sample: u64,
    /// The role layer's answer to a promotion and the grant file's write happen at once
    /// (in the same step as the command) instead of as separate actions before the next
    /// tick. Fewer interleavings; the separate actions check that nothing depending on a
    /// grant leaves before it is written \[Q1\] when a crash comes between.
    pub eager: bool,
}

impl Setup {
    /// The model's configuration: tick 100 ms, clocks at 0.9 or 1.1 (ρ = 10 %), demotion
    /// bound 200 ms, active lease 400 ms, voter lease 900 ms (the inequality
    /// `400/0.9 + 200 = 644 ≤ 900/1.1 = 818` with a tick of slack), renew 100 ms, election
    /// timeout and stagger 100 ms, retry 100 ms; messages within one tick.
    pub fn new(topology: Topology, bounds: Bounds, horizon: u32) -> Setup {
        let timers = QuorumTimers {
            voter_lease: Duration::from_millis(900),
            active_lease: Duration::from_millis(400),
            renew: Duration::from_millis(100),
            election_timeout: Duration::from_millis(100),
            stagger: Duration::from_millis(100),
            demotion_bound: Duration::from_millis(200),
            clock_drift_ppm: 100_000,
        };
        Setup {
            topology,
            demotion: timers.demotion_bound,
            timers,
            retry: Duration::from_millis(100),
            tick: Duration::from_millis(100),
            rates: vec![900, 1100],
            horizon,
            max_delay: 1,
            bounds,
            converge_sample: 1,
            warm: true,
            isolate_server: false,
            detect: false,
            eager: false,
        }
    }

    /// Member `m`'s Election configuration.
    pub fn config(&self, m: usize) -> Config {
        let mut c = Config::quorum(self.topology.names(), m);
        c.witnesses = self.topology.witnesses();
        c.quorum = self.timers;
        c.retry_backoff = self.retry;
        c
    }

    /// The demotion bound in ticks (rounded up).
    pub fn demotion_ticks(&self) -> u32 {
        let t = self.tick.as_micros();
        self.demotion.as_micros().div_ceil(t) as u32
    }

    /// Number of hosts.
    pub fn hosts(&self) -> usize {
        self.topology.names().len()
    }

    /// The initial state with these clock rates: every process started at time 0 with no
    /// grant file; with [`Setup::warm`], the fault-free run until the first server is
    /// `Active` and alone.
    pub fn initial(&self, rates: &[u32]) -> State {
        let mut s = State {
            now: 0,
            start: 0,
            hosts: rates
                .iter()
                .map(|r| Host {
                    rate: *r,
                    clock: baton_core::Instant::ZERO,
                    proc: None,
                    grant_file: None,
                    components_live: false,
                    stop_by: None,
                })
                .collect(),
            net: Vec::new(),
            cut: Default::default(),
            views: Default::default(),
            winners: Default::default(),
            misbehaviour: false,
            spent: Default::default(),
            last_fault: 0,
        };
        for m in 0..rates.len() {
            s.start(self, m, false);
        }
        if self.warm {
            let mut setup = self.clone();
            setup.horizon = u32::MAX;
            let mut trail = Vec::new();
            while properties::settled_server(&s).is_none() && s.now < 1000 {
                let _ = properties::settle_instant(&setup, &mut s, &mut trail);
                if properties::settled_server(&s).is_none() {
                    s = s.next(&setup, &Action::Tick).unwrap_or(s);
                }
            }
            s.start = s.now;
        }
        if let Some(m) = properties::settled_server(&s).filter(|_| self.isolate_server) {
            let mut setup = self.clone();
            setup.bounds.cuts = u8::MAX;
            for j in (0..self.hosts()).filter(|j| *j != m) {
                let (a, b) = (m.min(j), m.max(j));
                s = s.next(&setup, &Action::Cut(a, b)).unwrap_or(s);
            }
            s.spent.cuts = 0;
            s.last_fault = s.now;
        }
        s
    }

    /// Every combination of clock rates over the hosts.
    pub fn rate_combinations(&self) -> Vec<Vec<u32>> {
        let mut out = vec![vec![]];
        for _ in 0..self.hosts() {
            out = out
                .into_iter()
                .flat_map(|v| {
                    self.rates.iter().map(move |r| {
                        let mut v = v.clone();
                        v.push(*r);
                        v
                    })
                })
                .collect();
        }
        out
    }
}

/// The stateright model.
#[derive(Clone, Debug)]
pub struct QuorumModel {
    /// What it runs.
    pub setup: Setup,
}

impl Model for QuorumModel {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        self.setup
            .rate_combinations()
            .iter()
            .map(|r| self.setup.initial(r))
            .collect()
    }

    fn actions(&self, state: &State, actions: &mut Vec<Action>) {
        state.actions(&self.setup, actions);
    }

    fn next_state(&self, last: &State, action: Action) -> Option<State> {
        last.next(&self.setup, &action)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        use properties as p;
        vec![
            Property::always(p::ONE_WINNER, |_, s| p::one_winner_per_round(s)),
            Property::always(p::ONE_SERVING, |_, s| p::one_serving(s)),
            Property::always(p::CONVERGES, |m, s| p::converges_at_horizon(&m.setup, s)),
            Property::always(p::NO_MISBEHAVIOUR, |_, s: &State| !s.misbehaviour),
            Property::sometimes(p::SERVES, |_, s| p::someone_active(s)),
            Property::sometimes(p::FAILOVER, |_, s| p::members_served(s) >= 2),
        ]
    }
}
