//! The persisted grant (PROTOCOL 5.9.3): [`Grant`], [`PersistedGrant`], and holding every
//! transmit until the grant it may depend on is on disk \[Q1\].

use crate::config::Member;
use crate::election::Election;
use crate::event::{Event, Transmit};
use crate::round::Round;
use baton_core::Instant;

/// A voter's grant: "in `round`, I vote for `member`". The latest one a node made is
/// persisted; a self-nomination counts as a grant to itself \[Q7\].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Grant {
    /// The round granted.
    pub round: Round,
    /// The member granted.
    pub member: Member,
}

/// What the caller read from `state_dir/grant` at start ([`Config::persisted`](crate::Config)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PersistedGrant {
    /// The file held this grant: its voter lease is re-armed at start \[Q2\].
    Known(Grant),
    /// The file is missing or corrupt: the node abstains for one voter lease (no grant to
    /// anyone, no candidacy), then grants again (PROTOCOL 5.9.3).
    #[default]
    Unknown,
}

impl Election {
    /// Records the grant `g` in memory and asks the caller to persist it
    /// ([`Event::PersistGrant`]); from now until it is confirmed, every transmit is held
    /// \[Q1\].
    pub(crate) fn q_persist(&mut self, g: Grant) {
        self.quorum.grant = Some(g);
        self.quorum.persisting.push_back(g);
        self.events.push_back(Event::PersistGrant(g));
    }

    /// Queues a transmit, or holds it while a grant is being persisted \[Q1\]: a voter's
    /// answer or a candidate's nomination never leaves before the grant it depends on is on
    /// disk. Holding everything (in order) is the simple superset of that rule.
    pub(crate) fn q_send(&mut self, t: Transmit) {
        if self.quorum.persisting.is_empty() {
            self.transmits.push_back(t);
        } else {
            self.quorum.held.push_back(t);
        }
    }

    /// The caller wrote `grant` to `state_dir/grant` (temp file, fsync, rename, fsync of the
    /// directory; PROTOCOL 5.9.3). Confirms it and every grant asked for before it; once no
    /// grant is left unconfirmed, the held transmits go out in order. A grant that was never
    /// asked for, or is already confirmed, is ignored. Pair mode persists nothing.
    pub fn handle_grant_persisted(&mut self, now: Instant, grant: Grant) {
        let _ = now;
        let Some(pos) = self.quorum.persisting.iter().position(|g| *g == grant) else {
            return;
        };
        // A later grant on disk supersedes the earlier ones: its round is at least theirs,
        // so a restart can never grant one of them again to someone else.
        self.quorum.persisting.drain(..=pos);
        if self.quorum.persisting.is_empty() {
            let held = std::mem::take(&mut self.quorum.held);
            self.transmits.extend(held);
        }
    }

    /// Whether a grant is being persisted (transmits are held).
    pub fn grant_persisting(&self) -> bool {
        !self.quorum.persisting.is_empty()
    }
}
