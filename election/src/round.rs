//! [`Round`]: the generation of a promotion, carried on the wire in every `correlationId`
//! (PROTOCOL 2.3, 5.11).

use std::fmt;

/// The generation of a promotion (PROTOCOL 5.11). Pair mode: each promotion takes the
/// highest round this node has seen (its own included) plus one; quorum mode: the round it
/// won (PROTOCOL 5.9). `Round(0)` means "none yet". When two actives meet, the newer round
/// keeps the service.
///
/// Not to be confused with [`Generation`](crate::Generation), the number of a
/// `SetComponents` command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Round(pub u32);

impl Round {
    /// The round after this one (saturating at `u32::MAX`: 4 billion promotions).
    pub fn next(self) -> Round {
        Round(self.0.saturating_add(1))
    }
}

impl fmt::Display for Round {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl crate::Election {
    /// The round of this node's current or latest promotion, renewed while it serves by
    /// each fresh agreement of the peer (`Round(0)`: none since it started; PROTOCOL 5.11).
    pub fn round(&self) -> Round {
        self.round
    }

    /// The highest round this node has seen: its own, and every round carried by a
    /// well-formed `correlationId` it received (PROTOCOL 2.3, 5.11).
    pub fn seen_round(&self) -> Round {
        self.seen_round
    }

    /// Records a round received on the wire.
    pub(crate) fn note_round(&mut self, r: Round) {
        self.seen_round = self.seen_round.max(r);
    }

    /// PROTOCOL 5.11: this node agrees that the peer is active (it sends `assigment{P,
    /// self}`). The peer's promotion, if it starts one now, takes at most the higher of the
    /// request's round and this node's seen round, plus one: this node counts it as seen,
    /// so that its own later promotion is newer.
    pub(crate) fn note_peer_promotion(&mut self) {
        self.seen_round = self.seen_round.next();
    }

    /// Pair mode, PROTOCOL 5.11: the round the next promotion takes, `max(round, seen) + 1`.
    pub(crate) fn promotion_round(&self) -> Round {
        self.round.max(self.seen_round).next()
    }

    /// A new promotion starts, or the serving node's round is renewed by a fresh agreement
    /// (PROTOCOL 5.11): it takes [`Election::promotion_round`].
    pub(crate) fn next_promotion_round(&mut self) {
        self.round = self.promotion_round();
        self.seen_round = self.round;
    }
}
