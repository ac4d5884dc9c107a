//! One breadth-first run of a stateright model and its report, shared by the pair model and the
//! quorum model (`crate::model_quorum`).

use stateright::{Checker, Expectation, Model, Path};
use std::fmt::Debug;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// What a breadth-first check found.
#[derive(Debug)]
pub struct Report<S, A> {
    /// Distinct states explored.
    pub states: usize,
    /// States generated (with repetitions).
    pub generated: usize,
    /// Longest path explored.
    pub max_depth: usize,
    /// Wall time.
    pub elapsed: Duration,
    /// Violated `Always` properties, each with the path to a violating state.
    pub counterexamples: Vec<(&'static str, Path<S, A>)>,
    /// `Sometimes` properties for which an example was found.
    pub examples: Vec<&'static str>,
}

/// Checks `model` breadth-first on `threads` threads, to `max_depth` steps if given
/// (exhaustively otherwise); discoveries sorted by property name.
pub fn run<M>(
    model: M,
    threads: usize,
    max_depth: Option<usize>,
) -> (M, Report<M::State, M::Action>)
where
    M: Model + Clone + Send + Sync + 'static,
    M::State: Clone + Debug + Hash + PartialEq + Send + Sync + 'static,
    M::Action: Clone + Debug + PartialEq + Send + Sync + 'static,
{
    let start = Instant::now();
    let mut builder = model.checker().threads(threads);
    if let Some(d) = max_depth {
        builder = builder.target_max_depth(d);
    }
    let checker = builder.spawn_bfs().join();
    let elapsed = start.elapsed();
    let m = checker.model().clone();
    let mut counterexamples = Vec::new();
    let mut examples = Vec::new();
    let mut found: Vec<_> = checker.discoveries().into_iter().collect();
    found.sort_by_key(|(name, _)| *name);
    for (name, path) in found {
        let sometimes = m
            .properties()
            .iter()
            .any(|p| p.name == name && p.expectation == Expectation::Sometimes);
        if sometimes {
            examples.push(name);
        } else {
            counterexamples.push((name, path));
        }
    }
    let report = Report {
        states: checker.unique_state_count(),
        generated: checker.state_count(),
        max_depth: checker.max_depth(),
        elapsed,
        counterexamples,
        examples,
    };
    (m, report)
}
