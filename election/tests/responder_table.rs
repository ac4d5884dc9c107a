//! PROTOCOL 5.5: every cell of the responder table, through [`respond`] (the function the
//! Election applies), and a few cells end to end through an Election.

use baton_election::responder::{
    respond, Answer, Decision, Effect, NominationKind, Side, Situation,
};
use baton_election::NodeRole::{self, *};

fn cell(
    role: NodeRole,
    kind: NominationKind,
    self_higher: bool,
    preempt: bool,
    own_handover_pending: bool,
) -> Decision {
    respond(Situation {
        role,
        kind,
        self_higher,
        preempt,
        own_handover_pending,
    })
}

fn d(answer: Answer, effect: Effect) -> Decision {
    Decision { answer, effect }
}

use NominationKind::{Handover, SelfNomination};

const ALL_ROLES: [NodeRole; 6] = [
    Negotiating,
    Standby,
    Promoting,
    Active,
    Demoting,
    PromotionFailed,
];

#[test]
fn negotiating_self_nomination_from_higher_agrees_and_stands_by() {
    for preempt in [false, true] {
        assert_eq!(
            cell(Negotiating, SelfNomination, false, preempt, false),
            d(Answer::Assignment(Side::Peer), Effect::Standby)
        );
    }
}

#[test]
fn negotiating_self_nomination_from_lower_waits_f1() {
    for preempt in [false, true] {
        assert_eq!(
            cell(Negotiating, SelfNomination, true, preempt, false),
            d(Answer::Error("negotiating"), Effect::Stay)
        );
    }
}

#[test]
fn negotiating_handover_request_accepts_f10() {
    for higher in [false, true] {
        assert_eq!(
            cell(Negotiating, Handover, higher, false, false),
            d(Answer::Assignment(Side::Me), Effect::Promote)
        );
    }
}

#[test]
fn standby_self_nomination_agrees() {
    for (higher, preempt, pending) in combos() {
        assert_eq!(
            cell(Standby, SelfNomination, higher, preempt, pending),
            d(Answer::Assignment(Side::Peer), Effect::Stay)
        );
    }
}

#[test]
fn standby_handover_request_accepts_f10() {
    for higher in [false, true] {
        assert_eq!(
            cell(Standby, Handover, higher, false, false),
            d(Answer::Assignment(Side::Me), Effect::Promote)
        );
    }
}

#[test]
fn crossing_handover_requests_only_the_higher_accepts_f10() {
    for role in [Negotiating, Standby] {
        assert_eq!(
            cell(role, Handover, true, false, true),
            d(Answer::Assignment(Side::Me), Effect::Promote)
        );
        assert_eq!(
            cell(role, Handover, false, false, true),
            d(Answer::Error("handover pending"), Effect::Stay)
        );
    }
}

#[test]
fn promoting_or_active_self_nomination_vetoes() {
    for role in [Promoting, Active] {
        // without preempt, or from a lower peer: veto{self, P}
        for (higher, preempt) in [(false, false), (true, false), (true, true)] {
            assert_eq!(
                cell(role, SelfNomination, higher, preempt, false),
                d(Answer::Veto, Effect::Stay)
            );
        }
    }
}

#[test]
fn promoting_or_active_with_preempt_yields_to_higher() {
    for role in [Promoting, Active] {
        assert_eq!(
            cell(role, SelfNomination, false, true, false),
            d(Answer::AfterDemotion, Effect::Demote)
        );
    }
}

#[test]
fn promoting_or_active_handover_request_already_so() {
    for role in [Promoting, Active] {
        for (higher, preempt, pending) in combos() {
            assert_eq!(
                cell(role, Handover, higher, preempt, pending),
                d(Answer::Assignment(Side::Me), Effect::Stay)
            );
        }
    }
}

#[test]
fn demoting_answers_demoting_f8() {
    for kind in [SelfNomination, Handover] {
        for (higher, preempt, pending) in combos() {
            assert_eq!(
                cell(Demoting, kind, higher, preempt, pending),
                d(Answer::Error("demoting"), Effect::Stay)
            );
        }
    }
}

#[test]
fn promotion_failed_self_nomination_agrees_and_stands_by() {
    for (higher, preempt, pending) in combos() {
        assert_eq!(
            cell(PromotionFailed, SelfNomination, higher, preempt, pending),
            d(Answer::Assignment(Side::Peer), Effect::Standby)
        );
    }
}

#[test]
fn promotion_failed_handover_request_only_higher_promotes_again_f9() {
    for (_, preempt, pending) in combos() {
        assert_eq!(
            cell(PromotionFailed, Handover, true, preempt, pending),
            d(Answer::Assignment(Side::Me), Effect::Promote)
        );
        assert_eq!(
            cell(PromotionFailed, Handover, false, preempt, pending),
            d(Answer::Error("promotion failed"), Effect::Stay)
        );
    }
}

/// No cell other than preempt defers its answer, and only Promoting/Active veto.
#[test]
fn table_is_total_and_answers_at_once_except_preempt() {
    for role in ALL_ROLES {
        for kind in [SelfNomination, Handover] {
            for (higher, preempt, pending) in combos() {
                let dec = cell(role, kind, higher, preempt, pending);
                if dec.answer == Answer::AfterDemotion {
                    assert!(role.is_promoting_or_active() && preempt && !higher);
                    assert_eq!(dec.effect, Effect::Demote);
                }
                if dec.answer == Answer::Veto {
                    assert!(role.is_promoting_or_active());
                }
                // Whoever agrees that the peer is active never promotes.
                if dec.answer == Answer::Assignment(Side::Peer) {
                    assert_ne!(dec.effect, Effect::Promote);
                }
                // Whoever promotes names itself active.
                if dec.effect == Effect::Promote {
                    assert_eq!(dec.answer, Answer::Assignment(Side::Me));
                }
            }
        }
    }
}

/// [F7] validity of the nominator's own nomination, per role.
#[test]
fn nomination_validity_f7() {
    for role in ALL_ROLES {
        assert_eq!(
            SelfNomination.valid_in(role),
            matches!(role, Negotiating | Promoting | Active),
            "{role}"
        );
        assert_eq!(
            Handover.valid_in(role),
            !matches!(role, Promoting | Active),
            "{role}"
        );
    }
}

fn combos() -> impl Iterator<Item = (bool, bool, bool)> {
    (0..8).map(|i| (i & 1 != 0, i & 2 != 0, i & 4 != 0))
}
