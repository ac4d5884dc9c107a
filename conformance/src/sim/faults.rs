//! Faults: which ones a schedule injects, when, and the scenario methods that inject them by
//! hand.

use super::network::Class;
use super::rng::Rng;
use super::world::{Action, SimConfig, World};
use baton_core::Instant;
use baton_election::NodeRole;
use std::time::Duration;

/// Which faults a random schedule injects during its fault phase.
#[derive(Debug, Clone)]
pub struct FaultConfig {
    /// Faults per schedule, drawn in `0..=max_faults` (0 disables random faults and the
    /// automatic quiet phase).
    pub max_faults: usize,
    /// Relative weights of [`FaultKind`]s, in the order crash, partition, reset, refuse,
    /// switchover, stall, isolate, flap.
    pub weights: [u64; 8],
    /// How long a crashed node stays down.
    pub downtime: (Duration, Duration),
    /// How long a partition lasts.
    pub partition: (Duration, Duration),
    /// How long a component refuses `setRole active`.
    pub refusal: (Duration, Duration),
    /// How long a stalled node stays stopped.
    pub stall: (Duration, Duration),
}

impl Default for FaultConfig {
    fn default() -> Self {
        FaultConfig {
            max_faults: 8,
            weights: [3, 2, 2, 2, 2, 0, 0, 0],
            downtime: (Duration::from_millis(20), Duration::from_millis(1500)),
            partition: (Duration::from_millis(30), Duration::from_millis(1500)),
            refusal: (Duration::from_millis(100), Duration::from_millis(2500)),
            stall: (Duration::from_millis(100), Duration::from_millis(2500)),
        }
    }
}

impl FaultConfig {
    /// Quorum mode's mix: crashes (restarts from the grant file), stalls (SIGSTOP of the
    /// node, up to 2.5 s, longer than a voter lease), isolation of the active or of a
    /// minority, link flaps, single cuts, resets, refusals, switchovers.
    pub fn quorum() -> Self {
        FaultConfig {
            weights: [3, 1, 2, 1, 1, 3, 3, 1],
            ..FaultConfig::default()
        }
    }

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
    /// A node process stops (SIGSTOP; the Active one half of the time) and resumes later.
    Stall,
    /// A set of members is cut from the rest (the Active alone half of the time, else a
    /// minority) and heals after a while.
    Isolate,
    /// A member's links flap: cut and healed 2-6 times, 20-300 ms each.
    Flap,
}

const KINDS: [FaultKind; 8] = [
    FaultKind::Crash,
    FaultKind::Partition,
    FaultKind::Reset,
    FaultKind::Refuse,
    FaultKind::Switchover,
    FaultKind::Stall,
    FaultKind::Isolate,
    FaultKind::Flap,
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
    /// Resume a stalled member.
    Resume(usize),
    /// Cut the members of the mask (bit m = member m) from the others.
    Cut(u32),
    /// Heal every cut between the members of the mask and the others.
    Join(u32),
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
        Step::Resume(m) => w.resume(m),
        Step::Cut(mask) => w.isolate(mask),
        Step::Join(mask) => w.join(mask),
        Step::Inject(FaultKind::Stall) => {
            let target = w.target(true);
            if let Some(m) = target {
                w.stall(m);
                w.plan_after(w.config.faults.stall, Step::Resume(m));
            }
        }
        Step::Inject(FaultKind::Isolate) => {
            let active = w
                .target(false)
                .filter(|m| w.role(*m) == Some(NodeRole::Active));
            let mask = match active {
                Some(a) if w.rng.chance(1, 2) => 1 << a,
                _ => {
                    let size = 1 + w.rng.below(((n - 1) / 2) as u64) as usize;
                    let mut mask = 0u32;
                    while (mask.count_ones() as usize) < size {
                        mask |= 1 << w.rng.below(n as u64);
                    }
                    mask
                }
            };
            w.isolate(mask);
            w.plan_after(w.config.faults.partition, Step::Join(mask));
        }
        Step::Inject(FaultKind::Flap) => {
            let mask = 1 << w.rng.below(n as u64);
            let mut at = w.now;
            w.isolate(mask);
            for i in 0..w.rng.range(3, 11) {
                at += w
                    .rng
                    .duration(Duration::from_millis(20), Duration::from_millis(300));
                let step = if i % 2 == 0 {
                    Step::Join(mask)
                } else {
                    Step::Cut(mask)
                };
                w.plan_step(at, step);
            }
            at += Duration::from_millis(20);
            w.plan_step(at, Step::Join(mask));
        }
        Step::Inject(FaultKind::Crash) => {
            let target = w.target(true);
            if let Some(m) = target {
                w.crash(m);
                w.plan_after(w.config.faults.downtime, Step::Restart(m));
            }
        }
        Step::Inject(FaultKind::Partition) => {
            let a = w.rng.below(n as u64) as usize;
            let b = (a + 1 + w.rng.below(n as u64 - 1) as usize) % n;
            if !w.net.is_cut(a, b) {
                w.partition(a, b);
                w.plan_after(w.config.faults.partition, Step::Heal(a.min(b), a.max(b)));
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
            let active = |m: &usize| w.role(*m) == Some(NodeRole::Active) && !w.is_stalled(*m);
            if let Some(m) = (0..n).find(active) {
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
        w.resume(m);
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
    /// A live member to hurt: the Active one half of the time (when `active_first`), else
    /// any live one.
    fn target(&mut self, active_first: bool) -> Option<usize> {
        let n = self.members.len();
        let alive: Vec<usize> = (0..n).filter(|m| self.members[*m].node.is_some()).collect();
        let active = alive
            .iter()
            .copied()
            .find(|m| self.role(*m) == Some(NodeRole::Active));
        match active {
            Some(a) if !active_first || self.rng.chance(1, 2) => Some(a),
            _ => self.rng.pick(alive.len()).map(|i| alive[i]),
        }
    }

    /// Plans `step` after a delay drawn in `range` (a repair).
    fn plan_after(&mut self, range: (Duration, Duration), step: Step) {
        let at = self.now + self.rng.duration(range.0, range.1);
        self.plan_step(at, step);
    }

    pub(crate) fn plan_step(&mut self, at: Instant, step: Step) {
        self.plan.faults.push(Planned { at, step });
        let i = self.plan.faults.len() - 1;
        self.schedule(at, Action::Fault(i));
    }
}
