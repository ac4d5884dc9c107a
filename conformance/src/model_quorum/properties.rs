//! The quorum model's properties, and the fair fault-free run that decides convergence.

use super::state::{Action, State};
use super::{Setup, CONVERGENCE_TICKS};
use baton_election::{NodeRole, Role};
use std::collections::BTreeMap;

/// `Always`: no two members won the same round.
pub const ONE_WINNER: &str = "at most one winner per round";
/// `Always`: at most one member serving at any instant (components until stopped).
pub const ONE_SERVING: &str = "at most one member serving at any instant";
/// `Always`: from the horizon, a fair fault-free run converges.
pub const CONVERGES: &str = "converges once faults stop";
/// `Always`: correct peers are never reported misbehaving.
pub const NO_MISBEHAVIOUR: &str = "no peer misbehaviour reported";
/// `Sometimes`: a member is `Active`.
pub const SERVES: &str = "a member serves";
/// `Sometimes`: two members served (a failover).
pub const FAILOVER: &str = "a second member serves";

/// No round has two winners, unless a grant file was lost: a voter that lost its file
/// abstains for a voter lease (which keeps serving safe) but then may grant a round it
/// already granted to another member, and a candidate with no memory of the round picks it
/// again (`conformance/MODEL.md`, "Quorum mode", finding 1). Rounds are generations
/// (PROTOCOL 5.11), so this is reported, and checked exactly where no file is lost.
pub fn one_winner_per_round(s: &State) -> bool {
    s.spent.lost_grants > 0 || strictly_one_winner_per_round(s)
}

/// No round has two winners, lost grant files or not.
pub fn strictly_one_winner_per_round(s: &State) -> bool {
    let mut by_round = BTreeMap::new();
    s.winners
        .iter()
        .all(|(r, m)| *by_round.entry(*r).or_insert(*m) == *m)
}

/// At most one member may be serving.
pub fn one_serving(s: &State) -> bool {
    s.servers().len() <= 1
}

/// Some member is `Active`.
pub fn someone_active(s: &State) -> bool {
    (0..s.hosts.len()).any(|m| s.election(m).is_some_and(|e| e.role() == NodeRole::Active))
}

/// Distinct members that served so far.
pub fn members_served(s: &State) -> usize {
    let mut members: Vec<_> = s.winners.iter().map(|(_, m)| *m).collect();
    members.sort_unstable();
    members.dedup();
    members.len()
}

/// Distinct rounds won so far.
pub fn rounds_won(s: &State) -> usize {
    let mut rounds: Vec<_> = s.winners.iter().map(|(r, _)| *r).collect();
    rounds.dedup();
    rounds.len()
}

/// The member that serves alone, `Active` with its components confirmed, if any.
pub fn settled_server(s: &State) -> Option<usize> {
    let servers = s.servers();
    let [m] = servers[..] else { return None };
    let p = s.hosts[m].proc.as_ref()?;
    (p.election.role() == NodeRole::Active
        && p.confirmed
        && p.command.is_some_and(|(r, _, _)| r == Role::active))
    .then_some(m)
}

/// How a fair fault-free run from a state ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// This member serves alone from this many ticks after the faults stopped, and kept
    /// serving for a voter lease.
    Converged {
        /// The member.
        member: usize,
        /// Ticks from the end of the faults.
        after: u32,
    },
    /// No stable server within [`CONVERGENCE_TICKS`].
    NotConverged,
    /// A safety property broke during the run.
    Unsafe(&'static str),
}

/// The fair continuation: cuts heal, crashed processes restart from their files, then at
/// each instant every grant is written, every component command answered (confirmed) and
/// every message delivered (oldest first) before time passes.
pub fn fair_run(setup: &Setup, from: &State) -> (Outcome, Vec<Action>) {
    let mut setup = setup.clone();
    setup.horizon = u32::MAX;
    let mut s = from.clone();
    let mut trail = Vec::new();
    for (i, j) in from.cut.iter().copied() {
        step(&setup, &mut s, Action::Heal(i, j), &mut trail);
    }
    for m in 0..s.hosts.len() {
        if s.hosts[m].proc.is_none() {
            step(&setup, &mut s, Action::Restart(m), &mut trail);
        }
    }
    let start = s.now;
    let stable = ticks(&setup, setup.timers.voter_lease) + 2;
    let mut since: Option<(usize, u32)> = None;
    loop {
        if let Err(p) = settle_instant(&setup, &mut s, &mut trail) {
            return (Outcome::Unsafe(p), trail);
        }
        match (settled_server(&s), since) {
            (Some(m), Some((n, at))) if m == n => {
                if s.now - at >= stable {
                    return (
                        Outcome::Converged {
                            member: m,
                            after: at - start,
                        },
                        trail,
                    );
                }
            }
            (Some(m), _) => since = Some((m, s.now)),
            (None, _) => since = None,
        }
        if s.now - start > CONVERGENCE_TICKS + stable {
            return (Outcome::NotConverged, trail);
        }
        step(&setup, &mut s, Action::Tick, &mut trail);
        if !one_serving(&s) {
            return (Outcome::Unsafe(ONE_SERVING), trail);
        }
    }
}

fn step(setup: &Setup, s: &mut State, a: Action, trail: &mut Vec<Action>) {
    // Every action the fair run takes is enabled (a disabled one changes nothing).
    if s.step(setup, &a) {
        trail.push(a);
    }
}

/// The fair run's work at one instant: every message delivered (oldest first), every
/// grant written, every component command confirmed, until nothing is left; the safety
/// properties are checked after each step.
///
/// # Errors
/// The safety property that broke.
pub fn settle_instant(
    setup: &Setup,
    s: &mut State,
    trail: &mut Vec<Action>,
) -> Result<(), &'static str> {
    for _ in 0..10_000 {
        let a = if !s.net.is_empty() {
            Action::Deliver(0)
        } else if let Some(m) = (0..s.hosts.len()).find(|m| {
            s.hosts[*m]
                .proc
                .as_ref()
                .is_some_and(|p| p.persist.is_some())
        }) {
            Action::Persist(m)
        } else if let Some(m) = (0..s.hosts.len()).find(|m| {
            s.hosts[*m]
                .proc
                .as_ref()
                .is_some_and(|p| p.command.is_some() && !p.confirmed)
        }) {
            Action::Confirm(m)
        } else {
            return Ok(());
        };
        step(setup, s, a, trail);
        if !one_serving(s) {
            return Err(ONE_SERVING);
        }
        if !one_winner_per_round(s) {
            return Err(ONE_WINNER);
        }
    }
    Ok(())
}

/// Convergence, judged at the horizon's states only (the fair run is long), and only at
/// one in [`Setup::converge_sample`] of them.
pub fn converges_at_horizon(setup: &Setup, s: &State) -> bool {
    if s.now < s.start.saturating_add(setup.horizon) || setup.converge_sample == 0 {
        return true;
    }
    if setup.converge_sample > 1 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        s.hash(&mut h);
        if h.finish() % setup.converge_sample != 0 {
            return true;
        }
    }
    matches!(
        fair_run(setup, s).0,
        Outcome::Converged { after, .. } if after <= CONVERGENCE_TICKS
    )
}

fn ticks(setup: &Setup, d: std::time::Duration) -> u32 {
    d.as_micros().div_ceil(setup.tick.as_micros()) as u32
}
