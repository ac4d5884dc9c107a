//! The first word of a `Status`.

use std::fmt;

/// The service status of a node: the first word of its `Status` line (PROTOCOL 6.5, 6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// Deciding with the peer who serves (after every start).
    Negotiating,
    /// Ready to take over; not serving.
    Standby,
    /// Setting its components active.
    Promoting,
    /// Serving, every component healthy.
    Active,
    /// Serving, some component failed.
    Degraded,
    /// Setting its components standby.
    Demoting,
    /// Cannot serve: its promotion failed, or a fatal component failed while standby.
    Failed,
}

impl State {
    /// Every state, in declaration order.
    pub const ALL: [State; 7] = [
        State::Negotiating,
        State::Standby,
        State::Promoting,
        State::Active,
        State::Degraded,
        State::Demoting,
        State::Failed,
    ];

    /// The word on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Negotiating => "negotiating",
            State::Standby => "standby",
            State::Promoting => "promoting",
            State::Active => "active",
            State::Degraded => "degraded",
            State::Demoting => "demoting",
            State::Failed => "failed",
        }
    }

    /// The state named by `word`, if any (exact, lower case).
    pub fn from_word(word: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.as_str() == word)
    }

    /// Whether the node provides the service in this state (`active` or `degraded`).
    pub fn is_serving(self) -> bool {
        matches!(self, State::Active | State::Degraded)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
