//! The serving member (PROTOCOL 5.9.6, 5.9.7): the win, fencing, the lease counted from the
//! send times of answered renewals \[Q9\], silent demotion at its end, promotion failure,
//! planned switchover and fatal failures with a release + handover.

use super::timers::QTimer;
use super::{QAfter, Request, VoterLease};
use crate::config::Member;
use crate::election::{Election, UsageError};
use crate::event::{Event, Generation, Transmit};
use crate::fence::Fencing;
use crate::message;
use crate::role::{NodeRole, Role};
use crate::wire_id::WireId;
use baton_core::Instant;

impl Election {
    /// The start of the serving lease: the latest time `t` such that `q` voters (this node
    /// included) answered, with an assignment naming this node, a request sent at `t` or
    /// later. Each of them started its voter lease after `t` \[Q9\].
    pub(crate) fn lease_start(&self) -> Option<Instant> {
        let mut acks: Vec<Instant> = self.quorum.acked.iter().flatten().copied().collect();
        acks.sort_unstable_by(|a, b| b.cmp(a));
        acks.get(self.quorum_size() - 1).copied()
    }

    /// Recomputes the serving lease (`t + L_a`) and its timer.
    pub(crate) fn update_lease(&mut self) {
        let Some(start) = self.lease_start() else {
            return;
        };
        let end = start + self.config.quorum.active_lease;
        if self.quorum.lease_end.is_none_or(|e| end > e) {
            self.quorum.lease_end = Some(end);
            self.quorum.timers.set(QTimer::ActiveLease, end);
        }
    }

    /// `q` voters granted the candidacy: this node won its round. A serving member keeps
    /// its role \[Q5\]; otherwise it promotes, after fencing the last member known serving
    /// that did not release (PROTOCOL 5.10) when [`Config::fence`](crate::Config::fence).
    pub(crate) fn win(&mut self, now: Instant) {
        let Some(c) = self.quorum.candidacy.take() else {
            return;
        };
        self.quorum.timers.stop(QTimer::CandidacyVoid);
        let was_serving = self.quorum.won.is_some();
        self.quorum.won = Some(c.round);
        self.round = c.round;
        self.update_lease();
        if self.quorum.lease_end.is_none_or(|e| e <= now) {
            // [Q4] makes this unreachable: a win comes before t_s + L_a.
            self.quorum.won = None;
            self.quorum.lease_end = None;
            return;
        }
        self.quorum
            .timers
            .set(QTimer::Resend, now + self.config.quorum.renew);
        if was_serving {
            return;
        }
        let me = self.me();
        match self.quorum.known_serving {
            Some(y) if self.config.fence && y != me => {
                self.fencing = Some(Fencing {
                    member: y,
                    awaiting: true,
                });
                self.events.push_back(Event::Fence { member: y });
            }
            _ => self.q_promote(now),
        }
    }

    /// `Promoting` and `SetComponents(active)`; with a fatal failure recorded, the promotion
    /// fails at once.
    pub(crate) fn q_promote(&mut self, now: Instant) {
        if self.quorum.won.is_none() || self.role.is_promoting_or_active() {
            return;
        }
        self.quorum.known_serving = Some(self.me());
        self.set_role(NodeRole::Promoting);
        if self.fatal {
            self.q_promotion_failed(now);
        } else {
            self.command(Role::active);
        }
    }

    /// \[Q9\] The serving lease ended: demote silently (no message), or give up a fencing.
    pub(crate) fn active_lease_ended(&mut self, now: Instant) {
        if self.fencing.is_some() {
            self.fencing = None;
            self.quorum.timers.stop(QTimer::FenceRetry);
        }
        if self.role.is_promoting_or_active() {
            self.q_demote(QAfter::Silent);
        } else {
            self.stop_serving();
            self.maybe_arm_election(now);
        }
    }

    /// Forgets the service: no lease, no renewals, no candidacy.
    fn stop_serving(&mut self) {
        self.quorum.won = None;
        self.quorum.lease_end = None;
        for t in [QTimer::ActiveLease, QTimer::Resend, QTimer::CandidacyVoid] {
            self.quorum.timers.stop(t);
        }
        self.quorum.candidacy = None;
    }

    /// `Demoting` and `SetComponents(standby)`, then `after`. The node counts as serving
    /// for the grant table until its components confirm.
    pub(crate) fn q_demote(&mut self, after: QAfter) {
        if self.role == NodeRole::Demoting {
            return;
        }
        self.fencing = None;
        self.set_role(NodeRole::Demoting);
        self.command(Role::standby);
        self.quorum.after = after;
        self.stop_serving();
    }

    /// The components confirmed `standby` after a demotion.
    fn q_demotion_done(&mut self, now: Instant) {
        match std::mem::take(&mut self.quorum.after) {
            QAfter::Silent => self.set_role(NodeRole::Standby),
            QAfter::Release { failed } => {
                let to = if failed {
                    NodeRole::PromotionFailed
                } else {
                    NodeRole::Standby
                };
                self.set_role(to);
                self.send_release(now);
            }
        }
        self.maybe_arm_election(now);
    }

    /// The member a release hands over to: the highest-priority other member that may
    /// serve (no witness) and whose link is up (PROTOCOL 5.9.7).
    pub(crate) fn handover_target(&self) -> Option<Member> {
        (0..self.voters())
            .map(Member)
            .find(|m| *m != self.me() && !self.is_witness(*m) && self.peers[m.0].link.is_some())
    }

    /// Release + handover (PROTOCOL 5.9.7): `nominationMsg{X}` in this node's round to every
    /// voter; this node's own lease ends.
    fn send_release(&mut self, now: Instant) {
        let Some(x) = self.handover_target() else {
            return;
        };
        for i in 0..self.voters() {
            let Some(link) = self.peers[i].link.filter(|_| i != self.config.me) else {
                continue;
            };
            let seq = self.ids.next_seq();
            let id = WireId::new(self.round, seq).format();
            let msg = message::nomination(&id, self.config.name(x));
            let to = Member(i);
            let release = true;
            self.remember(
                to,
                Request {
                    seq,
                    at: now,
                    release,
                },
            );
            self.q_send(Transmit {
                link,
                to,
                message: msg,
            });
        }
        if self.quorum.lease == VoterLease::For(self.me()) {
            self.end_voter_lease(now);
        }
        self.quorum.known_serving = None;
    }

    /// Promotion failure: `Demoting`, then `PromotionFailed` and a release + handover to the
    /// next eligible member (PROTOCOL 5.9.7).
    pub(crate) fn q_promotion_failed(&mut self, now: Instant) {
        let _ = now;
        self.q_demote(QAfter::Release { failed: true });
    }

    /// The role layer confirmed the command of `generation`.
    pub(crate) fn q_components_done(&mut self, now: Instant, generation: Generation) {
        if generation != self.generation {
            return;
        }
        self.quorum.standby_confirmed |= self.role != NodeRole::Promoting;
        match self.role {
            NodeRole::Promoting => self.set_role(NodeRole::Active),
            NodeRole::Demoting => self.q_demotion_done(now),
            _ => {}
        }
    }

    /// The promotion of `generation` failed.
    pub(crate) fn q_handle_promotion_failed(&mut self, now: Instant, generation: Generation) {
        if generation == self.generation && self.role == NodeRole::Promoting {
            self.q_promotion_failed(now);
        }
    }

    /// Planned switchover: demote, then release + handover (PROTOCOL 5.9.7).
    pub(crate) fn q_switchover(&mut self) -> Result<(), UsageError> {
        if self.role != NodeRole::Active {
            return Err(UsageError::NotActive(self.role));
        }
        if self.handover_target().is_none() {
            return Err(UsageError::PeerDown);
        }
        self.q_demote(QAfter::Release { failed: false });
        Ok(())
    }

    /// A fatal component failure: `Active` hands over as a switchover does, `Promoting`
    /// fails its promotion, otherwise the node stops standing (not eligible).
    pub(crate) fn q_fatal(&mut self, now: Instant) {
        self.fatal = true;
        match self.role {
            NodeRole::Active => self.q_demote(QAfter::Release { failed: false }),
            NodeRole::Promoting => self.q_promotion_failed(now),
            _ => self.maybe_arm_election(now),
        }
    }

    /// The fatal failure is over: eligible again.
    pub(crate) fn q_fatal_cleared(&mut self, now: Instant) {
        self.fatal = false;
        self.maybe_arm_election(now);
    }

    /// The fence command awaited finished (PROTOCOL 5.10, quorum mode; the common check
    /// is [`Election::handle_fence_done`]): `ok` → promote; not `ok` → fence again later.
    pub(crate) fn q_fenced(&mut self, now: Instant, ok: bool) {
        if ok {
            self.q_promote(now);
        } else {
            self.quorum
                .timers
                .set(QTimer::FenceRetry, now + self.config.fence_retry);
        }
    }

    /// Fence again while the reason holds (still won, not promoted).
    pub(crate) fn q_fence_retry_due(&mut self) {
        let Some(f) = self.fencing else {
            return;
        };
        if f.awaiting || self.quorum.won.is_none() {
            return;
        }
        self.fencing = Some(Fencing {
            awaiting: true,
            ..f
        });
        self.events.push_back(Event::Fence { member: f.member });
    }
}
