//! PROTOCOL 5.8's properties as stateright properties over the whole model state, and the
//! fair-run convergence check that stands for the liveness properties 3 and 4.
//!
//! stateright's `Eventually` is only judged at terminal states (states without
//! successors), and this model has none: retries, timers and faults make its graph cyclic.
//! Properties 3 and 4 are therefore checked as an `Always` property over every reachable
//! state: **from this state, with faults stopped now, the fair fault-free run reaches one
//! Active and one Standby with nothing in flight, and nothing can happen there any more**.
//! The fair run ([`fair_continuation`]) takes, at each step, an enabled fault-free action of
//! the first class that has one: deliveries, then component confirmations, then repairs
//! (restart, heal, failure detection), then the Election's timers; within a class, one of
//! the node that acted least recently. Every state the BFS reaches, including
//! those reached through any interleaving of fault-free steps, gets this check, and the
//! runs are memoised (a state on a converging run converges).

use super::actor::{Node, NodeState, Process, RoleAnswer, Timer};
use super::wire::Msg;
use super::PairModel;
use baton_election::{NodeRole, Role};
use stateright::actor::{ActorModelAction, ActorModelState};
use stateright::Model;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

/// A state of the model.
pub type State = ActorModelState<Node>;
/// An action of the model.
pub type Action = ActorModelAction<Msg, Timer, RoleAnswer>;

/// Name of property 1.
pub const ONE_SERVING: &str = "1: without partitions, at most one live node Promoting or Active";
/// Name of property 2.
pub const ACTIVE_CONFIRMED: &str = "2: a node is Active only after its latest promotion succeeded";
/// Name of properties 3 and 4.
pub const CONVERGES: &str =
    "3/4: once faults stop (a partition healed), one Active + one Standby, nothing in flight";
/// Name of the check that correct peers never report each other's misbehaviour.
pub const NO_MISBEHAVIOUR: &str = "no PeerMisbehaved or NominationRefused between correct nodes";
/// Name of the generation property (PROTOCOL 5.11, issue 11 item 6).
pub const NEWEST_SERVES: &str =
    "5.11: once converged, the Active holds the newest round (equal rounds: it outranks)";
/// Example: a heal decided by generation against priority.
pub const NEWER_LOWER_SERVES: &str =
    "example: converged with b Active in a newer round than a (generation beat priority)";
/// Example: the pair settles.
pub const SETTLES: &str = "example: one Active + one Standby, settled";
/// Example: a promotion fails.
pub const PROMOTION_FAILS: &str = "example: a node is PromotionFailed";
/// Example: both serve (only during a partition).
pub const BOTH_SERVE: &str = "example: two nodes Promoting or Active (partition)";

/// The running processes.
pub fn processes(s: &State) -> impl Iterator<Item = &Process> {
    s.actor_states.iter().filter_map(|n| n.process.as_ref())
}

/// Whether a partition ever happened (property 1 is not expected from then on).
pub fn partitioned_ever(s: &State) -> bool {
    s.actor_states.iter().any(|n| n.host.spent.partitions > 0)
}

fn serving(s: &State) -> usize {
    processes(s)
        .filter(|p| p.election.role().is_promoting_or_active())
        .count()
}

/// Property 1: without partitions, at most one live node is Promoting or Active.
pub fn one_serving(_: &PairModel, s: &State) -> bool {
    partitioned_ever(s) || serving(s) <= 1
}

/// Property 2: a node is Active only if the role layer confirmed the latest command, and
/// that command set its components active.
pub fn active_confirmed(_: &PairModel, s: &State) -> bool {
    processes(s).all(|p| {
        p.election.role() != NodeRole::Active
            || (p.confirmed && p.command == Some((Role::active, p.election.generation())))
    })
}

/// Correct peers never report each other's misbehaviour.
pub fn no_misbehaviour(_: &PairModel, s: &State) -> bool {
    processes(s).all(|p| !p.misbehaviour)
}

/// The converged pair's (Active, Standby) processes, if the state is converged.
fn active_standby<'s>(m: &PairModel, s: &'s State) -> Option<(&'s Process, &'s Process)> {
    if !converged(m, s) {
        return None;
    }
    let (a, b) = (
        s.actor_states[0].process.as_ref()?,
        s.actor_states[1].process.as_ref()?,
    );
    Some(if a.election.role() == NodeRole::Active {
        (a, b)
    } else {
        (b, a)
    })
}

/// PROTOCOL 5.11 (heal by generation): whenever the pair has converged, the Active's round
/// is newer than the Standby's, or equal and the Active outranks the Standby. After a heal
/// (two actives met) this says the newer-round member kept the service; after a stall it
/// says the resumed old active stood down (its round is older than the one that replaced
/// it, since the replacing member counted it as seen).
pub fn newest_serves(m: &PairModel, s: &State) -> bool {
    let Some((active, standby)) = active_standby(m, s) else {
        return true;
    };
    let (ra, rs) = (active.election.round(), standby.election.round());
    ra > rs || (ra == rs && active.election.me() < standby.election.me())
}

/// Example: converged with `b` (lower priority) Active in a newer round than `a`'s.
pub fn newer_lower_serves(m: &PairModel, s: &State) -> bool {
    active_standby(m, s).is_some_and(|(active, standby)| {
        active.election.me().0 == 1
            && standby.election.round() > baton_election::Round(0)
            && active.election.round() > standby.election.round()
    })
}

/// Example: the pair has settled.
pub fn settles(m: &PairModel, s: &State) -> bool {
    converged(m, s)
}

/// Example: a node is `PromotionFailed`.
pub fn promotion_fails(_: &PairModel, s: &State) -> bool {
    processes(s).any(|p| p.election.role() == NodeRole::PromotionFailed)
}

/// Example: both nodes serve (a partition).
pub fn both_serve(_: &PairModel, s: &State) -> bool {
    serving(s) == 2
}

fn settled_node(n: &NodeState) -> Option<(&Process, bool)> {
    let p = n.process.as_ref()?;
    let ok = !n.host.cut
        && p.election.is_settled()
        && p.election.poll_timeout().is_none()
        && (p.command.is_none() || p.confirmed);
    Some((p, ok))
}

/// Converged: both processes run, connected to each other on a live connection, one Active
/// and one Standby, both Elections settled (no nomination pending, nothing deferred, no
/// timer), every component command confirmed, the network empty and no timer but fault
/// timers set.
pub fn converged(_: &PairModel, s: &State) -> bool {
    let (Some((a, a_ok)), Some((b, b_ok))) = (
        settled_node(&s.actor_states[0]),
        settled_node(&s.actor_states[1]),
    ) else {
        return false;
    };
    let connected = a.link.up.is_some()
        && a.link.up == b.link.up
        && !a.link.dead
        && !b.link.dead
        && a.link.dial.is_none()
        && b.link.dial.is_none();
    let mut roles = [a.election.role(), b.election.role()];
    roles.sort();
    a_ok && b_ok
        && connected
        && roles == [NodeRole::Standby, NodeRole::Active]
        && s.network.len() == 0
        && s.random_choices.iter().all(|r| r.map.is_empty())
        && s.timers_set.iter().all(|ts| ts.iter().all(Timer::is_fault))
}

/// How a fair fault-free run from a state ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It reached a converged state (or a state already known to converge).
    Converged,
    /// A converged state still had a fault-free action enabled (not stable).
    Unstable,
    /// No fault-free action was enabled, and the state is not converged.
    Stuck,
    /// The run came back to a state it had visited.
    Cycle,
    /// No convergence within [`MAX_STEPS`].
    TooLong,
}

/// The longest fair run tried.
pub const MAX_STEPS: usize = 400;

/// A fair fault-free run from a state.
#[derive(Debug, Clone)]
pub struct Continuation {
    /// How it ended.
    pub outcome: Outcome,
    /// The actions taken.
    pub actions: Vec<Action>,
}

/// The class of a fault-free action in the fair run (lower first); `None` for faults.
fn class(a: &Action) -> Option<u8> {
    match a {
        ActorModelAction::Deliver { .. } => Some(0),
        ActorModelAction::SelectRandom {
            random: RoleAnswer::Done(_),
            ..
        } => Some(1),
        ActorModelAction::Timeout(_, t) if t.is_fault() => None,
        ActorModelAction::Timeout(_, Timer::Election) => Some(3),
        ActorModelAction::Timeout(_, _) => Some(2),
        _ => None,
    }
}

fn actor(a: &Action) -> usize {
    match a {
        ActorModelAction::Deliver { dst, .. } => usize::from(*dst),
        ActorModelAction::Timeout(id, _) => usize::from(*id),
        ActorModelAction::SelectRandom { actor, .. } => usize::from(*actor),
        _ => 0,
    }
}

/// The fair run's next step: among the enabled fault-free actions of the lowest class, one
/// of the actor that acted least recently (`last[i]`: the step at which actor `i` last
/// acted), so that neither node's retries starve the other's.
pub fn fair_step(m: &PairModel, s: &State, last: &[usize; 2]) -> Option<(Action, State)> {
    let mut actions = Vec::new();
    m.actions(s, &mut actions);
    let mut best: Option<((u8, usize), Action, State)> = None;
    for a in actions {
        let Some(c) = class(&a) else { continue };
        let key = (c, last[actor(&a)]);
        if best.as_ref().is_some_and(|(bk, _, _)| *bk <= key) {
            continue;
        }
        if let Some(next) = m.next_state(s, a.clone()) {
            if next != *s {
                best = Some((key, a, next));
            }
        }
    }
    best.map(|(_, a, n)| (a, n))
}

fn fingerprint(s: &State) -> u64 {
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// The fair fault-free run from `s` (without the memo).
pub fn fair_continuation(m: &PairModel, s: &State) -> Continuation {
    run(m, s, &|_| false).0
}

fn run(m: &PairModel, s: &State, known: &dyn Fn(u64) -> bool) -> (Continuation, Vec<u64>) {
    let mut seen = Vec::new();
    let mut actions = Vec::new();
    let mut last = [0usize; 2];
    let mut s = s.clone();
    let end = |outcome, actions, seen| (Continuation { outcome, actions }, seen);
    loop {
        let fp = fingerprint(&s);
        if known(fp) {
            return end(Outcome::Converged, actions, seen);
        }
        if seen.contains(&fp) {
            return end(Outcome::Cycle, actions, seen);
        }
        seen.push(fp);
        let step = fair_step(m, &s, &last);
        if converged(m, &s) {
            let outcome = if step.is_none() {
                Outcome::Converged
            } else {
                Outcome::Unstable
            };
            return end(outcome, actions, seen);
        }
        if actions.len() >= MAX_STEPS {
            return end(Outcome::TooLong, actions, seen);
        }
        match step {
            None => return end(Outcome::Stuck, actions, seen),
            Some((a, next)) => {
                last[actor(&a)] = actions.len() + 1;
                actions.push(a);
                s = next;
            }
        }
    }
}

/// Properties 3 and 4: the fair fault-free run from `s` converges (memoised in the model's
/// configuration: every state of a converging run converges).
pub fn converges(m: &PairModel, s: &State) -> bool {
    let memo = &m.cfg.converging;
    let known = |fp: u64| memo.lock().expect("memo lock").contains(&fp);
    let (c, seen) = run(m, s, &known);
    if c.outcome != Outcome::Converged {
        return false;
    }
    memo.lock().expect("memo lock").extend(seen);
    true
}
