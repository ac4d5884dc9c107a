//! The Election's timers, in a `baton_core::Timers` table (which compares and hashes by
//! content: the model checker needs `Eq + Hash` on the whole state).

use baton_core::Timers;

/// The Election's timers. Declared in the order they expire when due at the same instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Timer {
    /// `Negotiating` alone for `startup_wait` (PROTOCOL 5.6, *Startup*).
    StartupWait,
    /// Send the pending nomination again after an `electionError` (PROTOCOL 5.3).
    Retry,
    /// Emit `Event::Fence` again after a failed fencing (PROTOCOL 5.10).
    FenceRetry,
}

/// The Election's timer table.
pub(crate) type TimerTable = Timers<Timer>;
