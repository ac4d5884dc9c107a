//! The Election's timers, in a `baton_core::Timers` table that compares and hashes by
//! content (the model checker needs `Eq + Hash` on the whole state).

use baton_core::{Instant, Timers};
use std::hash::{Hash, Hasher};

/// The Election's timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Timer {
    /// `Negotiating` alone for `startup_wait` (DESIGN 3.3).
    StartupWait,
    /// Send the pending nomination again after an `electionError` (DESIGN 3.1).
    Retry,
}

impl Timer {
    const ALL: [Timer; 2] = [Timer::StartupWait, Timer::Retry];
}

/// `Timers<Timer>` with `PartialEq`, `Eq` and `Hash` by deadlines.
#[derive(Debug, Clone, Default)]
pub(crate) struct TimerTable(Timers<Timer>);

impl TimerTable {
    pub(crate) fn set(&mut self, t: Timer, at: Instant) {
        self.0.set(t, at);
    }
    pub(crate) fn stop(&mut self, t: Timer) {
        self.0.stop(t);
    }
    pub(crate) fn get(&self, t: Timer) -> Option<Instant> {
        self.0.get(t)
    }
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.0.next_deadline()
    }
    pub(crate) fn next_expired(&mut self, now: Instant) -> Option<Timer> {
        self.0.next_expired(now)
    }
}

impl PartialEq for TimerTable {
    fn eq(&self, other: &Self) -> bool {
        Timer::ALL.iter().all(|t| self.get(*t) == other.get(*t))
    }
}

impl Eq for TimerTable {}

impl Hash for TimerTable {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for t in Timer::ALL {
            self.get(t).hash(state);
        }
    }
}
