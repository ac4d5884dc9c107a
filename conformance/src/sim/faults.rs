//! Faults: which ones a schedule injects, when, and the scenario methods that inject them by
//! hand.

use super::network::{Class, End};
use super::rng::Rng;
use super::world::{Action, SimConfig, World};
use baton_core::Instant;
use baton_election::{NodeRole, UsageError};
use std::time::Duration;

/// Which faults a random schedule injects during its fault phase.
#[derive(Debug, Clone)]
pub struct FaultConfig {
    /// Faults per schedule, drawn in `0..=max_faults` (0 disables random faults and the
    /// automatic quiet phase).
    pub max_faults: usize,
    /// Relative weights of [`FaultKind`]s, in the order crash, partition, reset, refuse,
    /// switchover.
    pub weights: [u64; 5],
    /// How long a crashed node stays down.
    pub downtime: (Duration, Duration),
    /// How long a partition lasts.
    pub partition: (Duration, Duration),
    /// How long a component refuses `setRole active`.
    pub refusal: (Duration, Duration),
}

impl Default for FaultConfig {
    fn default() -> Self {
        FaultConfig {
            max_faults: 8,
            weights: [3, 2, 2, 2, 2],
            downtime: (Duration::from_millis(20), Duration::from_millis(1500)),
            partition: (Duration::from_millis(30), Duration::from_millis(1500)),
            refusal: (Duration::from_millis(100), Duration::from_millis(2500)),
        }
    }
}

impl FaultConfig {
    /// No random faults (scenarios inject their own).
    pub fn none() -> Self {
        FaultConfig {
            max_faults: 0,
            ..FaultConfig::default()
        }
    }
}

/// A kind of fault a schedule injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// A node crashes (the Active one half of the time) and restarts after a downtime.
    Crash,
    /// The members are partitioned (peer links stall) and heal after a while.
    Partition,
    /// A peer link is reset: what is in flight is lost (the loss fault).
    Reset,
    /// A component refuses (or leaves unanswered) `setRole active` for a while.
    Refuse,
    /// Planned switchover on the Active node.
    Switchover,
}

const KINDS: [FaultKind; 5] = [
    FaultKind::Crash,
    FaultKind::Partition,
    FaultKind::Reset,
    FaultKind::Refuse,
    FaultKind::Switchover,
];

/// One step of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Inject a fault of this kind (targets are chosen when it happens).
    Inject(FaultKind),
    /// Restart a crashed member.
    Restart(usize),
    /// Heal the partition between two members.
    Heal(usize, usize),
}

/// A planned step.
#[derive(Debug, Clone, Copy)]
pub struct Planned {
    /// When.
    pub at: Instant,
    /// What.
    pub step: Step,
}

/// The schedule's faults: drawn up front (times and kinds), repairs added as faults happen.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Every step, by index.
    pub faults: Vec<Planned>,
    /// What was actually done, as readable lines.
    pub applied: Vec<String>,
}

impl Plan {
    /// Draws the faults of a schedule.
    pub fn draw(rng: &mut Rng, config: &SimConfig) -> Plan {
        let f = &config.faults;
        let count = rng.range(0, f.max_faults as u64);
        let total: u64 = f.weights.iter().sum();
        let mut faults = Vec::new();
        for _ in 0..count {
            let at = Instant::ZERO + rng.duration(Duration::from_millis(200), config.fault_phase);
            let mut x = rng.below(total);
            let mut kind = KINDS[0];
            for (k, w) in KINDS.iter().zip(f.weights) {
                if x < w {
                    kind = *k;
                    break;
                }
                x -= w;
            }
            faults.push(Planned {
                at,
                step: Step::Inject(kind),
            });
        }
        Plan {
            faults,
            applied: Vec::new(),
        }
    }
}

/// Carries out step `i` of the plan.
pub(crate) fn apply(w: &mut World, i: usize) {
    let step = w.plan.faults[i].step;
    let n = w.members.len();
    match step {
        Step::Restart(m) => w.restart(m),
        Step::Heal(a, b) => w.heal(a, b),
        Step::Inject(FaultKind::Crash) => {
            let alive: Vec<usize> = (0..n).filter(|m| w.members[*m].node.is_some()).collect();
            let active = alive
                .iter()
                .copied()
                .find(|m| w.role(*m) == Some(NodeRole::Active));
            let target = match active {
                Some(a) if w.rng.chance(1, 2) => Some(a),
                _ => w.rng.pick(alive.len()).map(|i| alive[i]),
            };
            if let Some(m) = target {
                w.crash(m);
                let (lo, hi) = w.config.faults.downtime;
                let at = w.now + w.rng.duration(lo, hi);
                w.plan_step(at, Step::Restart(m));
            }
        }
        Step::Inject(FaultKind::Partition) => {
            let a = w.rng.below(n as u64) as usize;
            let b = (a + 1 + w.rng.below(n as u64 - 1) as usize) % n;
            if !w.net.is_cut(a, b) {
                w.partition(a, b);
                let (lo, hi) = w.config.faults.partition;
                let at = w.now + w.rng.duration(lo, hi);
                w.plan_step(at, Step::Heal(a.min(b), a.max(b)));
            }
        }
        Step::Inject(FaultKind::Reset) => {
            let links: Vec<_> = w
                .net
                .links()
                .filter(|l| l.class == Class::Peer && (l.open[0] || l.open[1]))
                .map(|l| l.id)
                .collect();
            if let Some(i) = w.rng.pick(links.len()) {
                w.reset_link(links[i]);
            }
        }
        Step::Inject(FaultKind::Refuse) => {
            let m = w.rng.below(n as u64) as usize;
            let count = w.members[m].components.len();
            if let Some(c) = w.rng.pick(count) {
                let (lo, hi) = w.config.faults.refusal;
                let d = w.rng.duration(lo, hi);
                let stall = w.rng.chance(1, 3);
                w.refuse(m, c, d, stall);
            }
        }
        Step::Inject(FaultKind::Switchover) => {
            if let Some(m) = (0..n).find(|m| w.role(*m) == Some(NodeRole::Active)) {
                let _ = w.switchover(m);
            }
        }
    }
}

/// The end of the fault phase: every partition heals, every crashed node restarts, every
/// refusal ends, adversarial stress stops.
pub(crate) fn quiet(w: &mut World) {
    w.record.quiet_since = Some(w.now);
    w.note("quiet phase: repair everything".to_owned());
    let n = w.members.len();
    for a in 0..n {
        for b in a + 1..n {
            w.heal(a, b);
        }
    }
    for m in 0..n {
        w.restart(m);
        let now = w.now;
        for c in &mut w.members[m].components {
            c.refuse_until = c.refuse_until.min(now);
        }
    }
    w.net.calm();
    // Check 1 must hold from the bound on: make sure a step happens then.
    let at = w.now + w.config.convergence_bound;
    w.schedule(at, Action::Checkpoint);
}

impl World {
    fn plan_step(&mut self, at: Instant, step: Step) {
        self.plan.faults.push(Planned { at, step });
        let i = self.plan.faults.len() - 1;
        self.schedule(at, Action::Fault(i));
    }

    fn note(&mut self, line: String) {
        let at = super::trace::millis(self.now);
        self.plan.applied.push(format!("{at} {line}"));
        self.log(|| format!("FAULT {line}"));
    }

    /// Member `m`'s node crashes (process death): its links close (FIN after what it sent),
    /// its components and client learn it from their links. No restart is planned.
    pub fn crash(&mut self, m: usize) {
        if self.members[m].node.is_none() {
            return;
        }
        let role = self.role(m);
        self.note(format!(
            "crash n{m} (was {})",
            role.map_or("?", |r| r.status_word())
        ));
        self.members[m].node = None;
        self.members[m].crashed_at = Some(self.now);
        for class in [Class::Peer, Class::Component, Class::Client] {
            for link in self.net.open_links_of(End::Node(m), class) {
                self.net.close(self.now, &mut self.rng, link, End::Node(m));
            }
        }
    }

    /// Restarts crashed member `m`: a fresh node in `Negotiating`; its components and client
    /// reconnect, the peer link is dialled again. Nothing if it is up.
    pub fn restart(&mut self, m: usize) {
        if self.members[m].node.is_some() {
            return;
        }
        self.note(format!("restart n{m}"));
        self.start_node(m);
    }

    /// Partitions members `a` and `b`: their peer links stall silently (the dead interval
    /// must notice). Property 1 is not checked again until the pair is reconciled.
    pub fn partition(&mut self, a: usize, b: usize) {
        self.note(format!("partition n{a} | n{b}"));
        self.net.partition(a, b);
        self.record.split_allowed();
    }

    /// Heals the partition between `a` and `b` (nothing if none).
    pub fn heal(&mut self, a: usize, b: usize) {
        if self.net.is_cut(a, b) {
            self.note(format!("heal n{a} | n{b}"));
            self.net.heal(self.now, &mut self.rng, a, b);
            // The held frames arrive within a latency; until a dead interval has passed
            // after that, either node may still declare the other dead.
            let settle = self.now + Duration::from_millis(300) + self.net.config().peer_latency.1;
            self.record.settle_until = self.record.settle_until.max(settle);
        }
    }

    /// Resets peer link `link`: what is in flight is lost, both ends close. Each node then
    /// sees its peer down while it lives, as in a partition: property 1 is suspended until
    /// the pair is reconciled.
    pub fn reset_link(&mut self, link: baton_core::LinkId) {
        self.note(format!("reset {link}"));
        self.net.reset(self.now, &mut self.rng, link);
        self.record.split_allowed();
        self.record.reset_links.insert(link);
    }

    /// Resets every peer link between `a` and `b`.
    pub fn reset_peer_links(&mut self, a: usize, b: usize) {
        let mut links = self.peer_links(a, b);
        links.extend(self.peer_links(b, a));
        links.sort();
        links.dedup();
        for l in links {
            self.reset_link(l);
        }
    }

    /// Component `c` of member `m` refuses `setRole active` for `d` (with `stall`: leaves it
    /// unanswered, so the node's role timeout fires).
    pub fn refuse(&mut self, m: usize, c: usize, d: Duration, stall: bool) {
        let how = if stall { "stalls on" } else { "refuses" };
        self.note(format!("n{m}c{c} {how} setRole active for {d:?}"));
        let comp = &mut self.members[m].components[c];
        comp.refuse_until = self.now + d;
        comp.stall = stall;
    }

    /// Planned switchover on member `m` ([`baton_engine::Node::switchover`]).
    ///
    /// # Errors
    /// The node's refusal (not Active, peer down); also `NotActive` if it is crashed.
    pub fn switchover(&mut self, m: usize) -> Result<(), UsageError> {
        let now = self.now;
        let result = match self.members[m].node.as_mut() {
            Some(node) => node.switchover(now),
            None => Err(UsageError::NotActive(NodeRole::Negotiating)),
        };
        self.note(format!("switchover on n{m}: {result:?}"));
        self.drain_node(m);
        result
    }
}
