//! Running the quorum checker and printing what it found for humans.

use super::properties::{self, fair_run};
use super::state::{Action, State};
use super::{QuorumModel, Setup};
use stateright::Path;
use std::fmt::Write as _;

/// What a breadth-first check of the quorum model found.
pub type Report = crate::model::bfs::Report<State, Action>;

/// Checks `setup` breadth-first on `threads` threads.
pub fn check(setup: Setup, threads: usize) -> (QuorumModel, Report) {
    crate::model::bfs::run(QuorumModel { setup }, threads, None)
}

/// One line per host, then the messages in flight.
pub fn summary(s: &State) -> String {
    let mut out = String::new();
    for (m, h) in s.hosts.iter().enumerate() {
        let what = match &h.proc {
            None => "crashed".to_owned(),
            Some(p) => {
                let e = &p.election;
                let mut w = format!(
                    "{:?} round {} seen {} won {:?} grant {:?}",
                    e.role(),
                    e.round().0,
                    e.seen_round().0,
                    e.serving_round().map(|r| r.0),
                    e.latest_grant().map(|g| (g.round.0, g.member.0)),
                );
                if let Some((r, g, at)) = p.command {
                    let _ = write!(
                        w,
                        ", components {r:?}@{}{} (tick {at})",
                        g.0,
                        if p.confirmed { " confirmed" } else { "" }
                    );
                }
                if let Some(g) = &p.persist {
                    let _ = write!(w, ", writing {g:?}");
                }
                w
            }
        };
        let _ = writeln!(
            out,
            "    {m}: {what}; clock {:?} (rate {}), file {:?}{}{}",
            h.clock.since_origin(),
            h.rate,
            h.grant_file,
            if h.components_live {
                ", components live"
            } else {
                ""
            },
            h.stop_by
                .map_or(String::new(), |t| format!(" until tick {t}")),
        );
    }
    if !s.cut.is_empty() {
        let _ = writeln!(out, "    cut: {:?}", s.cut);
    }
    for e in &s.net {
        let _ = writeln!(
            out,
            "    in flight {}→{} (tick {}): {:?}",
            e.from, e.to, e.sent, e.msg
        );
    }
    out
}

/// Each action from `s`, with the state after it.
pub fn replay(setup: &Setup, mut s: State, actions: &[Action]) -> String {
    let mut out = String::from("  initial:\n");
    out.push_str(&summary(&s));
    for (i, a) in actions.iter().enumerate() {
        let what = match a {
            Action::Deliver(k) | Action::Duplicate(k) | Action::Lose(k) => {
                s.net.get(*k).map_or(String::new(), |e| {
                    format!(" {}→{}: {:?}", e.from, e.to, e.msg)
                })
            }
            _ => String::new(),
        };
        let _ = writeln!(out, "  {}. tick {}: {a:?}{what}", i + 1, s.now);
        match s.next(setup, a) {
            Some(n) => s = n,
            None => {
                out.push_str("    (not enabled)\n");
                continue;
            }
        }
        out.push_str(&summary(&s));
    }
    out
}

/// A counterexample for humans; for convergence, the fair run from its last state too.
pub fn describe(m: &QuorumModel, property: &str, path: &Path<State, Action>) -> String {
    let states = path.clone().into_states();
    let actions = path.clone().into_actions();
    let mut out = format!(
        "counterexample to \"{property}\" ({} steps):\n",
        actions.len()
    );
    out.push_str(&replay(&m.setup, states[0].clone(), &actions));
    if property == properties::CONVERGES {
        let last = path.last_state().clone();
        let (outcome, trail) = fair_run(&m.setup, &last);
        let _ = writeln!(out, "  faults stop here; the fair run: {outcome:?}");
        let mut setup = m.setup.clone();
        setup.horizon = u32::MAX;
        out.push_str(&replay(&setup, last, &trail));
    }
    out
}
