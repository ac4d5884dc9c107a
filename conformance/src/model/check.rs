//! Running the checker and printing what it found for humans.

use super::actor::{NodeState, NAMES};
use super::properties::{self, Action, State};
use super::PairModel;
use stateright::actor::{ActorModelAction, Network};
use stateright::{Model, Path};
use std::fmt::Write as _;

/// What a breadth-first check of the pair model found.
pub type Report = super::bfs::Report<State, Action>;

/// Checks `model` breadth-first on `threads` threads, to `max_depth` steps if given
/// (exhaustively otherwise).
pub fn check(model: PairModel, threads: usize, max_depth: Option<usize>) -> (PairModel, Report) {
    super::bfs::run(model, threads, max_depth)
}

/// One line per node: role, connection, component command, host faults.
pub fn summary(s: &State) -> String {
    let mut out = String::new();
    for (i, n) in s.actor_states.iter().enumerate() {
        let _ = writeln!(out, "    {}: {}", NAMES[i], node_summary(n));
    }
    // (stateright 0.31's `Network::iter_all` never ends on an ordered network.)
    let mut msgs = Vec::new();
    if let Network::Ordered(flows) = &s.network {
        for ((src, dst), queue) in flows {
            for msg in queue {
                msgs.push(format!("{}→{}: {msg:?}", name(*src), name(*dst)));
            }
        }
    }
    if !msgs.is_empty() {
        let _ = writeln!(out, "    in flight: {}", msgs.join("; "));
    }
    out
}

fn name(id: stateright::actor::Id) -> &'static str {
    NAMES[usize::from(id)]
}

fn node_summary(n: &NodeState) -> String {
    let host = if n.host.cut { " [cut off]" } else { "" };
    let Some(p) = &n.process else {
        return format!("crashed{host}");
    };
    let mut link = match p.link.up {
        Some(c) => format!(
            "up on {}'s #{}{}",
            NAMES[usize::from(c.dialer)],
            c.token,
            if p.link.dead { " (dead)" } else { "" }
        ),
        None => "down".to_owned(),
    };
    if let Some(t) = p.link.dial {
        let _ = write!(link, ", dialling #{t}");
    }
    let command = match p.command {
        Some((r, g)) => format!(
            "{r:?}@{}{}",
            g.0,
            if p.confirmed { " confirmed" } else { "" }
        ),
        None => "none".to_owned(),
    };
    format!(
        "{}{host}, link {link}, components {command}{}{}",
        p.election.role(),
        if p.election.nomination_pending() {
            ", nomination pending"
        } else {
            ""
        },
        if p.alone { ", alone" } else { "" },
    )
}

/// An action in words.
pub fn action(a: &Action) -> String {
    match a {
        ActorModelAction::Deliver { src, dst, msg } => {
            format!("deliver {}→{}: {msg:?}", name(*src), name(*dst))
        }
        ActorModelAction::Timeout(id, t) => format!("{}: timer {t:?}", name(*id)),
        ActorModelAction::SelectRandom { actor, random, .. } => {
            format!("{}: role layer {random:?}", name(*actor))
        }
        other => format!("{other:?}"),
    }
}

/// A path for humans: each action, then both nodes after it; for a convergence failure,
/// the fair fault-free run from the last state too.
pub fn describe(m: &PairModel, property: &str, path: &Path<State, Action>) -> String {
    let mut out = String::new();
    let steps = path.clone().into_vec();
    let _ = writeln!(
        out,
        "counterexample to \"{property}\" ({} steps):",
        steps.len() - 1
    );
    let mut last = None;
    for (i, (state, act)) in steps.iter().enumerate() {
        if i == 0 {
            let _ = writeln!(out, "  initial:");
            let _ = write!(out, "{}", summary(state));
        }
        if let Some(a) = act {
            let _ = writeln!(out, "  {}. {}", i + 1, action(a));
            if let Some(next) = m.next_state(state, a.clone()) {
                let _ = write!(out, "{}", summary(&next));
                last = Some(next);
            }
        }
    }
    if property == properties::CONVERGES {
        let s = last.unwrap_or_else(|| path.last_state().clone());
        let c = properties::fair_continuation(m, &s);
        let _ = writeln!(
            out,
            "  faults stop here; the fair run ends {:?} after {} steps:",
            c.outcome,
            c.actions.len()
        );
        let mut s = s;
        for a in &c.actions {
            let _ = writeln!(out, "  - {}", action(a));
            if let Some(next) = m.next_state(&s, a.clone()) {
                s = next;
            }
        }
        let _ = write!(out, "{}", summary(&s));
    }
    out
}
