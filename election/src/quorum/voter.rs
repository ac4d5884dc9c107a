//! The voter (PROTOCOL 5.9.4): the grant table as a pure function ([`vote`]), and how the
//! Election applies it to a self-nomination, and to a release + handover.

use super::{Grant, VoterLease};
use crate::config::Member;
use crate::election::Election;
use crate::event::Transmit;
use crate::message;
use crate::role::NodeRole;
use crate::round::Round;
use crate::wire_id::WireId;
use baton_core::{Instant, LinkId};

/// `electionError` description of quorum mode: the voter is bound by a lease (for another
/// member, or its abstention), or is serving.
pub const LEASE: &str = "lease";
/// `electionError` description: a witness nominated itself (witnesses never serve).
pub const NOT_A_CANDIDATE: &str = "not a candidate";

/// Everything the grant table looks at: a `nominationMsg{X}` from X for round `round`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ballot {
    /// The voter's latest grant `(g_r, g_m)`, if known.
    pub grant: Option<Grant>,
    /// The voter lease running now.
    pub lease: VoterLease,
    /// Whether the voter is serving (won, `Promoting`, `Active`, `Demoting`).
    pub serving: bool,
    /// The voter itself.
    pub me: Member,
    /// The nominating member X.
    pub from: Member,
    /// The request's round r.
    pub round: Round,
}

/// The row of the grant table that matched (the first that does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Row {
    /// `g_m = X` and `g_r ≥ r`: a renewal. `assigment{X, self}` "g_r"; re-arm the lease;
    /// `Negotiating`/`PromotionFailed` → `Standby`.
    Renewal,
    /// `r > g_r`, not serving, no lease running but for X or self \[Q3\]: `assigment{X,
    /// self}` "r"; persist `(r, X)` first \[Q1\]; arm the lease; own candidacy void.
    Grant,
    /// `r ≤ g_r`: `veto{g_m, self}` "g_r"; seen := max(seen, r); if serving: re-elect \[Q5\].
    Veto,
    /// Otherwise (a lease for another, the abstention, or serving): `electionError{lease}`
    /// "g_r"; as `Veto`.
    Refuse,
}

/// PROTOCOL 5.9.4: the first row of the grant table matching `b`.
pub fn vote(b: Ballot) -> Row {
    let g_r = b.grant.map_or(Round(0), |g| g.round);
    if b.grant
        .is_some_and(|g| g.member == b.from && g.round >= b.round)
    {
        return Row::Renewal;
    }
    // [Q3] a voter bound by a lease for another member grants nobody else until it ends;
    // its own lease (as a past candidate) or the nominator's does not bind it.
    let free = match b.lease {
        VoterLease::Free => true,
        VoterLease::For(m) => m == b.from || m == b.me,
        VoterLease::Abstain => false,
    };
    if b.round > g_r && !b.serving && free {
        return Row::Grant;
    }
    if b.round <= g_r {
        return Row::Veto;
    }
    Row::Refuse
}

impl Election {
    /// Answers `msg` to `to` on `link` with this node's current grant round (or `round`).
    pub(crate) fn q_answer(
        &mut self,
        link: LinkId,
        to: Member,
        msg: baton_asn1::election::ElectionMessage,
    ) {
        self.q_send(Transmit {
            link,
            to,
            message: msg,
        });
    }

    fn grant_round(&self) -> Round {
        self.quorum.grant.map_or(Round(0), |g| g.round)
    }

    /// Arms the voter lease for `m` until `now + L_v`; the election timer stops \[Q8\].
    pub(crate) fn arm_voter_lease(&mut self, now: Instant, m: Member) {
        self.quorum.lease = VoterLease::For(m);
        let end = now + self.config.quorum.voter_lease;
        self.quorum
            .timers
            .set(super::timers::QTimer::VoterLease, end);
        self.quorum.timers.stop(super::timers::QTimer::Election);
    }

    /// A self-nomination from `from` (X) in `id.round` (PROTOCOL 5.9.4).
    pub(crate) fn q_nomination(&mut self, now: Instant, link: LinkId, from: Member, id: WireId) {
        let me = self.me();
        let ballot = Ballot {
            grant: self.quorum.grant,
            lease: self.quorum.lease,
            serving: self.q_serving(),
            me,
            from,
            round: id.round,
        };
        let (x, my) = (
            self.config.name(from).to_owned(),
            self.config.name(me).to_owned(),
        );
        let g_r = self.grant_round();
        let reply = |round: Round| WireId::new(round, id.seq).correlation_id();
        match vote(ballot) {
            Row::Renewal => {
                self.q_answer(link, from, message::assignment(reply(g_r), &x, &my));
                self.arm_voter_lease(now, from);
                self.quorum.known_serving = Some(from);
                if matches!(self.role, NodeRole::Negotiating | NodeRole::PromotionFailed) {
                    self.set_role(NodeRole::Standby);
                }
            }
            Row::Grant => {
                self.note_round(id.round);
                // [Q1] the grant is persisted before its answer leaves (held until then).
                self.q_persist(Grant {
                    round: id.round,
                    member: from,
                });
                self.q_answer(link, from, message::assignment(reply(id.round), &x, &my));
                self.arm_voter_lease(now, from);
                // Granting another voids this node's own (non-serving) candidacy.
                self.void_candidacy(now);
            }
            row @ (Row::Veto | Row::Refuse) => {
                let msg = if row == Row::Veto {
                    let g_m = self.quorum.grant.map_or(me, |g| g.member);
                    message::veto(reply(g_r), self.config.name(g_m), &my)
                } else {
                    message::error(reply(g_r), LEASE)
                };
                self.q_answer(link, from, msg);
                self.note_round(id.round);
                // [Q5] a serving member that sees another's candidacy re-elects in a new
                // round, keeping its role, so that the nominator's voters come back to it.
                if self.quorum.won.is_some() && self.role.is_promoting_or_active() {
                    self.re_elect(now, id.round);
                }
            }
        }
    }

    /// A release + handover `nominationMsg{X}` from S ≠ X in S's round (PROTOCOL 5.9.7):
    /// a voter holding S's grant ends that lease and answers `assigment{X, self}`; X starts a
    /// candidacy at once.
    pub(crate) fn q_release(
        &mut self,
        now: Instant,
        link: LinkId,
        from: Member,
        nominee: Member,
        id: WireId,
    ) {
        let me = self.me();
        self.note_round(id.round);
        let holding = self
            .quorum
            .grant
            .is_some_and(|g| g.member == from && g.round <= id.round);
        let reply = WireId::new(self.grant_round(), id.seq).correlation_id();
        if holding {
            let msg = message::assignment(reply, self.config.name(nominee), self.config.name(me));
            self.q_answer(link, from, msg);
            if self.quorum.lease == VoterLease::For(from) {
                self.end_voter_lease(now);
            }
        } else {
            self.q_answer(link, from, message::error(reply, LEASE));
        }
        if self.quorum.known_serving == Some(from) {
            self.quorum.known_serving = None;
        }
        // PROTOCOL 5.10 in quorum mode: the member being fenced released: no fencing needed.
        if self.fencing.is_some_and(|f| f.member == from) {
            self.fencing = None;
            self.quorum.timers.stop(super::timers::QTimer::FenceRetry);
            self.q_promote(now);
            return;
        }
        let unbound = match self.quorum.lease {
            VoterLease::Free => true,
            VoterLease::For(m) => m == me,
            VoterLease::Abstain => false,
        };
        if nominee == me && unbound && self.can_stand() {
            self.start_candidacy(now);
        }
    }
}
