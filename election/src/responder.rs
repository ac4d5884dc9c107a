//! The responder table (PROTOCOL 5.5) as a pure function.
//!
//! [`respond`] decides what a node answers to a nomination from its peer P and what it does
//! next; [`Election`](crate::Election) applies the decision. Keeping the table apart lets
//! tests and the model checker look at every cell.

use crate::message::description;
use crate::role::NodeRole;

/// What a nomination proposes, seen from the responder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NominationKind {
    /// `nominee` = the sender: "I propose myself as active".
    SelfNomination,
    /// `nominee` = the receiver: "you take over" (a handover request).
    Handover,
}

impl NominationKind {
    /// \[F7\] Whether the nominator's nomination of this kind is still valid in `role`: a
    /// self-nomination while `Negotiating`, `Promoting` or `Active`; a handover request
    /// unless `Promoting` or `Active`.
    pub fn valid_in(self, role: NodeRole) -> bool {
        match self {
            NominationKind::SelfNomination => role.claims_service(),
            NominationKind::Handover => !role.is_promoting_or_active(),
        }
    }
}

/// Everything the table looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Situation {
    /// The responder's role.
    pub role: NodeRole,
    /// What the peer proposes.
    pub kind: NominationKind,
    /// Whether the responder outranks the peer.
    pub self_higher: bool,
    /// [`Config::preempt`](crate::Config::preempt).
    pub preempt: bool,
    /// Whether the responder's own handover request to this peer is pending (sent, valid, and
    /// not answered by an assignment or veto yet) \[F10\].
    pub own_handover_pending: bool,
}

/// Who an answer names active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The responder.
    Me,
    /// The nominating peer.
    Peer,
}

/// The message answering the nomination (echoing its `correlationId`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Answer {
    /// `assigment{active, other}`.
    Assignment(Side),
    /// `veto{self, P}`: the responder keeps the service.
    Veto,
    /// `electionError{description}`.
    Error(&'static str),
    /// No answer now: `assigment{P, self}` once the demotion completes (preempt).
    AfterDemotion,
}

/// What the responder does after answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Nothing: the role stays.
    Stay,
    /// Go `Standby` (through `Demoting` from `PromotionFailed`).
    Standby,
    /// Promote (again).
    Promote,
    /// Go `Demoting`; the answer is sent when it completes.
    Demote,
}

/// One cell of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decision {
    /// The answer.
    pub answer: Answer,
    /// The effect on the responder.
    pub effect: Effect,
}

const fn d(answer: Answer, effect: Effect) -> Decision {
    Decision { answer, effect }
}

/// PROTOCOL 5.5: the answer to a nomination, and what the responder does.
pub fn respond(s: Situation) -> Decision {
    use Answer::*;
    use NodeRole::*;
    use NominationKind::*;
    match (s.role, s.kind) {
        // [F1] the higher-priority negotiator waits for the answer to its own nomination.
        (Negotiating, SelfNomination) if s.self_higher => {
            d(Error(description::NEGOTIATING), Effect::Stay)
        }
        (Negotiating, SelfNomination) => d(Assignment(Side::Peer), Effect::Standby),
        (Standby, SelfNomination) => d(Assignment(Side::Peer), Effect::Stay),
        // [F10] crossing handover requests: only the higher-priority member accepts.
        (Negotiating | Standby, Handover) if s.own_handover_pending && !s.self_higher => {
            d(Error(description::HANDOVER_PENDING), Effect::Stay)
        }
        (Negotiating | Standby, Handover) => d(Assignment(Side::Me), Effect::Promote),
        (Promoting | Active, SelfNomination) if s.preempt && !s.self_higher => {
            d(AfterDemotion, Effect::Demote)
        }
        (Promoting | Active, SelfNomination) => d(Veto, Effect::Stay),
        (Promoting | Active, Handover) => d(Assignment(Side::Me), Effect::Stay),
        // [F8]
        (Demoting, _) => d(Error(description::DEMOTING), Effect::Stay),
        // Agreeing that P is active, the failed node stands by (through Demoting).
        (PromotionFailed, SelfNomination) => d(Assignment(Side::Peer), Effect::Standby),
        // [F9]
        (PromotionFailed, Handover) if s.self_higher => d(Assignment(Side::Me), Effect::Promote),
        (PromotionFailed, Handover) => d(Error(description::PROMOTION_FAILED), Effect::Stay),
    }
}

impl crate::Election {
    /// A `nominationMsg{nominee}` from `from` on `link`: classify it, look the cell up in
    /// [`respond`], answer (echoing `id`) and apply the effect.
    pub(crate) fn handle_nomination(
        &mut self,
        now: baton_core::Instant,
        link: baton_core::LinkId,
        from: crate::Member,
        id: baton_asn1::election::CorrelationId,
        nominee: String,
    ) {
        use crate::event::Misbehaviour;
        use crate::message;
        use crate::peer::PeerRole;
        use crate::wire_id::WireId;
        // PROTOCOL 2.3: an unparsable request id is answered `electionError{malformed}`,
        // echoing the received id (a valid NumericString: the message passed validation).
        let request = match WireId::from_correlation_id(&id) {
            Ok(request) => request,
            Err(_) => {
                let text = message::digits(&id);
                self.misbehaved(from, Misbehaviour::BadCorrelationId(text));
                self.send(link, from, message::error(id, description::MALFORMED));
                return;
            }
        };
        self.note_round(request.round);
        let seq = request.seq;
        let me = self.me();
        let kind = match self.config.member_named(&nominee) {
            Some(n) if n == from => NominationKind::SelfNomination,
            Some(n) if n == me => NominationKind::Handover,
            found => {
                let (reason, desc) = match found {
                    Some(_) => (
                        Misbehaviour::NomineeNotInvolved(nominee),
                        description::MALFORMED,
                    ),
                    None => (
                        Misbehaviour::NomineeNotMember(nominee),
                        description::NOT_A_MEMBER,
                    ),
                };
                self.misbehaved(from, reason);
                let id = WireId::new(self.round, seq).correlation_id();
                self.send(link, from, message::error(id, desc));
                return;
            }
        };
        let own_handover_pending = self
            .pending
            .as_ref()
            .is_some_and(|n| n.to == from && n.kind == NominationKind::Handover);
        let decision = respond(Situation {
            role: self.role,
            kind,
            self_higher: self.config.outranks(me, from),
            preempt: self.config.preempt,
            own_handover_pending,
        });
        let (me_name, peer_name) = (
            self.config.name(me).to_owned(),
            self.config.name(from).to_owned(),
        );
        // PROTOCOL 5.11: agreeing to keep serving (a handover request while Promoting or
        // Active) from a requester whose round is as new renews this node's round, as an
        // agreement does for a nominator; the answer carries the renewed round.
        if decision.answer == Answer::Assignment(Side::Me)
            && self.role.is_promoting_or_active()
            && request.round >= self.round
        {
            self.next_promotion_round();
        }
        // PROTOCOL 2.3, 5.11: the answer echoes the seq and carries this node's round; when
        // the answer promotes this node, the round that promotion takes.
        let round = if decision.effect == Effect::Promote && !self.role.is_promoting_or_active() {
            self.promotion_round()
        } else {
            self.round
        };
        let id = WireId::new(round, seq).correlation_id();
        match decision.answer {
            Answer::Assignment(Side::Me) => {
                self.peers[from.0].role = Some(PeerRole::Standby);
                self.send(
                    link,
                    from,
                    message::assignment(id.clone(), &me_name, &peer_name),
                );
            }
            Answer::Assignment(Side::Peer) => {
                self.peers[from.0].role = Some(PeerRole::Active);
                self.note_peer_promotion();
                self.send(
                    link,
                    from,
                    message::assignment(id.clone(), &peer_name, &me_name),
                );
            }
            Answer::Veto => {
                self.peers[from.0].role = Some(PeerRole::Standby);
                // Planted fault `veto-dropped` (feature `plant`, conformance CI only).
                #[cfg(feature = "plant")]
                let dropped = baton_asn1::plant::planted("veto-dropped");
                #[cfg(not(feature = "plant"))]
                let dropped = false;
                if !dropped {
                    self.send(link, from, message::veto(id.clone(), &me_name, &peer_name));
                }
            }
            Answer::Error(desc) => self.send(link, from, message::error(id.clone(), desc)),
            Answer::AfterDemotion => {}
        }
        match decision.effect {
            Effect::Stay => {}
            Effect::Standby => self.go_standby(),
            Effect::Promote => self.promote(now),
            Effect::Demote => self.demote(crate::election::AfterDemotion::Answer { to: from, seq }),
        }
    }
}
