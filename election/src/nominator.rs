//! The nominator side (PROTOCOL 5.3, 5.4, 5.6): sending nominations, their validity \[F7\], retries,
//! and adopting the answers.

use crate::config::Member;
use crate::election::{AfterDemotion, Election};
use crate::event::{Event, Misbehaviour};
use crate::message::{self, description};
use crate::peer::PeerRole;
use crate::responder::NominationKind;
use crate::round::Round;
use crate::timer::Timer;
use crate::wire_id::WireId;
use baton_asn1::election::{CorrelationId, ElectionResult};
use baton_core::Instant;

/// The node's latest nomination. Only an answer to it counts, and only while it is valid
/// \[F7\]: the Election drops it the moment its role makes it void.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Nomination {
    /// The peer it was sent to.
    pub(crate) to: Member,
    /// Self-nomination or handover request.
    pub(crate) kind: NominationKind,
    /// `seq` of the latest send's `correlationId` (PROTOCOL 2.3).
    pub(crate) seq: u16,
    /// Sent and unanswered (`true`), or answered by `electionError` and waiting for the
    /// retry timer (`false`).
    pub(crate) awaiting: bool,
}

impl Election {
    /// Sends a fresh nomination of `kind` to `to`; it replaces any earlier one.
    pub(crate) fn nominate(&mut self, to: Member, kind: NominationKind) {
        self.timers.stop(Timer::Retry);
        let Some(link) = self.peers[to.0].link else {
            self.pending = None;
            return;
        };
        // PROTOCOL 2.3, 5.11: a pair-mode request carries the highest round the sender has
        // seen (its own included), so that a responder agreeing to its promotion learns a
        // bound on that promotion's round.
        let seq = self.ids.next_seq();
        let id = WireId::new(self.seen_round, seq).format();
        let nominee = match kind {
            NominationKind::SelfNomination => self.me(),
            NominationKind::Handover => to,
        };
        let msg = message::nomination(&id, self.config.name(nominee));
        self.send(link, to, msg);
        self.pending = Some(Nomination {
            to,
            kind,
            seq,
            awaiting: true,
        });
    }

    /// \[F7\] Drops the pending nomination if the current role makes it void.
    pub(crate) fn void_stale_nomination(&mut self) {
        if let Some(n) = &self.pending {
            if !n.kind.valid_in(self.role) {
                self.pending = None;
                self.timers.stop(Timer::Retry);
            }
        }
    }

    /// Drops the pending nomination to `peer` (its link went down).
    pub(crate) fn drop_nomination_to(&mut self, peer: Member) {
        if self.pending.as_ref().is_some_and(|n| n.to == peer) {
            self.pending = None;
            self.timers.stop(Timer::Retry);
        }
    }

    /// The retry timer fired: the same nomination again, with a fresh `correlationId`.
    pub(crate) fn retry_nomination(&mut self) {
        if let Some(n) = self.pending.take() {
            if !n.awaiting && n.kind.valid_in(self.role) {
                self.nominate(n.to, n.kind);
            } else {
                self.pending = Some(n);
            }
        }
    }

    /// An `electionResult` from `from`. Only the answer to the latest valid nomination
    /// counts; any other is ignored and cancels nothing \[F7\]. An answer whose
    /// `correlationId` is not `"<round> <seq>"` is ignored (PROTOCOL 2.3); the round of a
    /// well-formed one is noted (PROTOCOL 5.11).
    pub(crate) fn handle_answer(
        &mut self,
        now: Instant,
        from: Member,
        id: &CorrelationId,
        result: ElectionResult,
    ) {
        let id = match WireId::from_correlation_id(id) {
            Ok(id) => id,
            Err(_) => {
                let text = message::digits(id);
                self.misbehaved(from, Misbehaviour::BadCorrelationId(text));
                return;
            }
        };
        self.note_round(id.round);
        if !self.answers_latest_send(from, id.seq) {
            return;
        }
        let Some(nomination) = self.pending.take() else {
            return;
        };
        let (is_veto, pair) = match result {
            ElectionResult::electionError(e) => {
                if !description::is_transient(&e.description) {
                    self.events.push_back(Event::NominationRefused {
                        peer: from,
                        description: e.description,
                    });
                }
                self.back_off(now, nomination);
                return;
            }
            ElectionResult::assigment(a) => (false, (a.active.0, a.standby.0)),
            ElectionResult::veto(v) => (true, (v.active.0, v.standby.0)),
        };
        let me = self.me();
        let active = match (
            self.config.member_named(&pair.0),
            self.config.member_named(&pair.1),
        ) {
            (Some(a), Some(s)) if (a, s) == (me, from) || (a, s) == (from, me) => a,
            _ => {
                self.misbehaved(
                    from,
                    Misbehaviour::InconsistentAnswer {
                        active: pair.0,
                        standby: pair.1,
                    },
                );
                self.back_off(now, nomination);
                return;
            }
        };
        if active == me && nomination.kind == NominationKind::Handover {
            // No responder rule answers a handover request by naming the requester active
            // (and in `Demoting` only a handover request can be valid).
            self.misbehaved(from, Misbehaviour::HandoverAnsweredWithSelf);
            self.back_off(now, nomination);
            return;
        }
        self.peers[from.0].role = Some(if active == from {
            PeerRole::Active
        } else {
            PeerRole::Standby
        });
        self.adopt(now, active, is_veto, id.round);
    }

    /// Whether an answer from `from` whose `correlationId` has `seq` counts \[F7\]: it answers
    /// the latest send of the pending (hence valid) nomination to `from`, not answered yet.
    pub(crate) fn answers_latest_send(&self, from: Member, seq: u16) -> bool {
        // Planted fault `stale-answer` (feature `plant`, conformance CI only): the seq is not
        // compared, so an answer to an earlier send counts.
        #[cfg(feature = "plant")]
        let seq_matches = |n: u16| n == seq || baton_asn1::plant::planted("stale-answer");
        #[cfg(not(feature = "plant"))]
        let seq_matches = |n: u16| n == seq;
        self.pending
            .as_ref()
            .is_some_and(|n| n.to == from && n.awaiting && seq_matches(n.seq))
    }

    /// PROTOCOL 5.6: adopt the assignment naming `active`; `peer_round` is the responder's
    /// round, from the answer's `correlationId`.
    fn adopt(&mut self, now: Instant, active: Member, is_veto: bool, peer_round: Round) {
        if active == self.me() {
            if self.role.is_promoting_or_active() && peer_round >= self.round {
                // PROTOCOL 5.11: an agreement from a peer whose round is as new as this
                // node's renews it, so that the member serving holds the newest round once
                // the pair agrees (the peer counted it as seen: `note_peer_promotion`).
                self.next_promotion_round();
            }
            self.promote(now);
        } else if is_veto && self.role.is_promoting_or_active() {
            // [F2] both claim the service (a healed partition or a stalled active resumed),
            // healed by generation (PROTOCOL 5.11): the member whose round is older demotes;
            // on equal rounds the lower-priority member demotes. The other keeps its role or
            // completes its promotion.
            let peer_newer = peer_round > self.round
                || (peer_round == self.round && self.config.outranks(active, self.me()));
            if peer_newer {
                self.demote(AfterDemotion::Nothing);
            }
        } else {
            self.go_standby();
        }
    }

    /// PROTOCOL 5.3, 5.6: after an `electionError` (or an unusable answer): the same nomination
    /// again after the back-off, while it stays valid.
    fn back_off(&mut self, now: Instant, mut nomination: Nomination) {
        nomination.awaiting = false;
        self.pending = Some(nomination);
        self.timers
            .set(Timer::Retry, now + self.config.retry_backoff);
    }
}
