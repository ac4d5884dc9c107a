//! Role transitions (PROTOCOL 5.6): every role change, promotion, demotion and their ends.

use crate::election::{AfterDemotion, Election};
use crate::event::{Event, Generation};
use crate::peer::PeerRole;
use crate::responder::NominationKind;
use crate::role::{NodeRole, Role};
use crate::timer::Timer;
use baton_core::Instant;

impl Election {
    /// A new command to the role layer; it supersedes every earlier one.
    pub(crate) fn command(&mut self, role: Role) {
        self.generation = Generation(self.generation.0 + 1);
        self.events.push_back(Event::SetComponents {
            role,
            generation: self.generation,
        });
    }

    /// Every role change goes through here: emits the event, voids a nomination the new role
    /// makes stale \[F7\], stops the startup timer outside `Negotiating`.
    pub(crate) fn set_role(&mut self, to: NodeRole) {
        let from = self.role;
        if from == to {
            return;
        }
        self.role = to;
        self.events.push_back(Event::RoleChanged { from, to });
        self.void_stale_nomination();
        if to != NodeRole::Negotiating {
            self.timers.stop(Timer::StartupWait);
        }
        if to != NodeRole::Demoting {
            self.after_demotion = AfterDemotion::Nothing;
        }
        if !matches!(to, NodeRole::Standby | NodeRole::Negotiating) {
            self.abandon_fencing();
        }
    }

    /// Promote: `Promoting` and `SetComponents(active)`; nothing if already `Promoting` or
    /// `Active`. With a fatal failure recorded the promotion fails at once.
    pub(crate) fn promote(&mut self, now: Instant) {
        if self.role.is_promoting_or_active() {
            return;
        }
        self.set_role(NodeRole::Promoting);
        self.next_promotion_round();
        if self.fatal {
            self.promotion_failed(now);
        } else {
            self.command(Role::active);
        }
    }

    /// `PromotionFailed`, then a handover request to the peer if its link is up \[F3\].
    pub(crate) fn promotion_failed(&mut self, now: Instant) {
        let _ = now;
        self.set_role(NodeRole::PromotionFailed);
        let peer = self.pair_peer();
        if self.peers[peer.0].link.is_some() {
            self.nominate(peer, NominationKind::Handover);
        }
    }

    /// `Demoting` and `SetComponents(standby)`, then `after`. Nothing if already `Demoting`.
    pub(crate) fn demote(&mut self, after: AfterDemotion) {
        if self.role == NodeRole::Demoting {
            return;
        }
        self.set_role(NodeRole::Demoting);
        self.after_demotion = after;
        self.command(Role::standby);
    }

    /// Go `Standby`: directly from `Negotiating` (components set standby, nothing to wait
    /// for), through `Demoting` from `Promoting`, `Active` or `PromotionFailed`.
    pub(crate) fn go_standby(&mut self) {
        match self.role {
            NodeRole::Negotiating => {
                self.set_role(NodeRole::Standby);
                self.command(Role::standby);
            }
            NodeRole::Promoting | NodeRole::Active | NodeRole::PromotionFailed => {
                self.demote(AfterDemotion::Nothing)
            }
            NodeRole::Standby | NodeRole::Demoting => {}
        }
    }

    /// The components confirmed `standby`. Peer down: promote \[F5\]. Otherwise `Standby`,
    /// then the deferred action.
    pub(crate) fn demotion_done(&mut self, now: Instant) {
        let after = std::mem::replace(&mut self.after_demotion, AfterDemotion::Nothing);
        let peer = self.pair_peer();
        let Some(link) = self.peers[peer.0].link else {
            // [F5] (PROTOCOL 5.6); with fencing the node waits as Standby (PROTOCOL 5.10).
            if self.config.fence {
                self.set_role(NodeRole::Standby);
            }
            self.promote_unagreed(now);
            return;
        };
        self.set_role(NodeRole::Standby);
        match after {
            AfterDemotion::Nothing => {}
            AfterDemotion::Handover => self.nominate(peer, NominationKind::Handover),
            AfterDemotion::Answer { to, seq } => {
                // PROTOCOL 2.3: the answer echoes the seq and carries this node's round.
                let id = crate::wire_id::WireId::new(self.round, seq).correlation_id();
                let msg = crate::message::assignment(
                    id,
                    self.config.name(to),
                    self.config.name(self.me()),
                );
                self.peers[to.0].role = Some(PeerRole::Active);
                self.note_peer_promotion();
                self.send(link, to, msg);
            }
        }
    }
}
