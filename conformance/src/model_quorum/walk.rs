//! Seeded random walks through the quorum model's transitions: a simulation of the real
//! quorum Election over long runs (many faults, seconds of time) where the exhaustive
//! checker covers short ones. Every step is checked for safety; at the end of the fault
//! phase the fair run of [`properties::fair_run`] must converge.

use super::properties::{self, Outcome};
use super::state::{Action, State};
use super::{Bounds, Setup, Topology, CONVERGENCE_TICKS};
use crate::sim::Rng;

/// What a walk does.
#[derive(Clone, Debug)]
pub struct WalkConfig {
    /// Who votes.
    pub topology: Topology,
    /// Ticks of faults (100 ms each).
    pub fault_ticks: u32,
    /// Budgets for the whole fault phase.
    pub bounds: Bounds,
    /// Chance per step, per thousand, that a fault is injected when one is possible.
    pub fault_per_mille: u64,
    /// Chance per step, per thousand, that a repair (restart, heal) happens when possible.
    pub repair_per_mille: u64,
}

impl WalkConfig {
    /// The CI walk: 6 s of faults (crashes, a lost grant file, cuts, losses, duplicates,
    /// promotion failures).
    pub fn new(topology: Topology) -> Self {
        WalkConfig {
            topology,
            fault_ticks: 60,
            bounds: Bounds {
                crashes: 3,
                lost_grants: 1,
                cuts: 4,
                losses: 12,
                duplicates: 12,
                failures: 2,
            },
            fault_per_mille: 30,
            repair_per_mille: 40,
        }
    }
}

/// A passing walk.
#[derive(Clone, Debug)]
pub struct WalkOutcome {
    /// Steps taken in the fault phase.
    pub steps: u64,
    /// Faults injected.
    pub faults: u32,
    /// Rounds won during the walk and its fair continuation.
    pub rounds: usize,
    /// Ticks from the end of the faults to a stable server.
    pub converged_after: u32,
}

/// A failed walk: the seed, what broke, and the actions that led there.
#[derive(Clone, Debug)]
pub struct WalkFailure {
    /// The seed.
    pub seed: u64,
    /// The property.
    pub property: &'static str,
    /// The actions from the initial state (its clock rates are in `rates`).
    pub actions: Vec<Action>,
    /// The hosts' clock rates.
    pub rates: Vec<u32>,
    /// The last state, in words.
    pub last: String,
}

fn is_fault(a: &Action) -> bool {
    matches!(
        a,
        Action::Duplicate(_)
            | Action::Lose(_)
            | Action::Fail(_)
            | Action::Crash(_)
            | Action::Cut(..)
            | Action::RestartLost(_)
    )
}

fn is_repair(a: &Action) -> bool {
    matches!(a, Action::Restart(_) | Action::Heal(..))
}

/// Runs the walk of `seed`.
///
/// # Errors
/// The first violated property, with the path.
pub fn walk(seed: u64, cfg: &WalkConfig) -> Result<WalkOutcome, WalkFailure> {
    let mut rng = Rng::new(seed);
    let mut setup = Setup::new(cfg.topology, cfg.bounds, cfg.fault_ticks);
    setup.warm = false;
    let rates: Vec<u32> = (0..setup.hosts())
        .map(|_| setup.rates[rng.below(setup.rates.len() as u64) as usize])
        .collect();
    let mut s = setup.initial(&rates);
    let mut path = Vec::new();
    let mut steps = 0u64;
    let mut faults = 0u32;
    let fail = |property, path: &[Action], s: &State| WalkFailure {
        seed,
        property,
        actions: path.to_vec(),
        rates: rates.clone(),
        last: super::check::summary(s),
    };
    loop {
        let mut all = Vec::new();
        s.actions(&setup, &mut all);
        let (faulty, rest): (Vec<_>, Vec<_>) = all.into_iter().partition(is_fault);
        let (repairs, rest): (Vec<_>, Vec<_>) = rest.into_iter().partition(is_repair);
        let (ticks, normal): (Vec<_>, Vec<_>) = rest.into_iter().partition(|a| *a == Action::Tick);
        let pick = |rng: &mut Rng, v: &[Action]| v[rng.below(v.len() as u64) as usize].clone();
        let a = if !faulty.is_empty() && rng.chance(cfg.fault_per_mille, 1000) {
            faults += 1;
            pick(&mut rng, &faulty)
        } else if !repairs.is_empty() && rng.chance(cfg.repair_per_mille, 1000) {
            pick(&mut rng, &repairs)
        } else if !normal.is_empty() && (ticks.is_empty() || rng.chance(4, 5)) {
            pick(&mut rng, &normal)
        } else if !ticks.is_empty() {
            Action::Tick
        } else {
            break;
        };
        let Some(next) = s.next(&setup, &a) else {
            continue;
        };
        s = next;
        path.push(a);
        steps += 1;
        if !properties::one_serving(&s) {
            return Err(fail(properties::ONE_SERVING, &path, &s));
        }
        if !properties::one_winner_per_round(&s) {
            return Err(fail(properties::ONE_WINNER, &path, &s));
        }
        if s.misbehaviour {
            return Err(fail(properties::NO_MISBEHAVIOUR, &path, &s));
        }
    }
    let (outcome, trail) = properties::fair_run(&setup, &s);
    match outcome {
        Outcome::Converged { after, .. } if after <= CONVERGENCE_TICKS => Ok(WalkOutcome {
            steps,
            faults,
            rounds: properties::rounds_won(&s),
            converged_after: after,
        }),
        Outcome::Unsafe(p) => {
            path.extend(trail);
            Err(fail(p, &path, &s))
        }
        _ => {
            path.extend(trail);
            Err(fail(properties::CONVERGES, &path, &s))
        }
    }
}

/// Replays a failure's actions and describes every step.
pub fn describe(cfg: &WalkConfig, f: &WalkFailure) -> String {
    let mut setup = Setup::new(cfg.topology, cfg.bounds, u32::MAX);
    setup.warm = false;
    let s = setup.initial(&f.rates);
    let mut out = format!(
        "seed {}: \"{}\" violated; clock rates {:?}\n",
        f.seed, f.property, f.rates
    );
    out.push_str(&super::check::replay(&setup, s, &f.actions));
    out
}
