//! The etcd-mode Election (PROTOCOL 5.12): inputs, campaign, service, demotion, resign.

use super::{EAfter, ETimer, EtcdCommand, EtcdInput, LeaderKey, LeaseId};
use crate::config::Member;
use crate::election::{Election, UsageError};
use crate::event::{Event, Generation};
use crate::fence::Fencing;
use crate::role::{NodeRole, Role};
use crate::round::Round;
use baton_core::Instant;
use std::time::Duration;

/// A create revision as a [`Round`] (PROTOCOL 5.12.2: revisions above 4294967295 read as
/// the largest round).
pub(crate) fn round_of(revision: i64) -> Round {
    Round(u32::try_from(revision.max(0)).unwrap_or(u32::MAX))
}

impl Election {
    /// Whether this Election runs etcd mode.
    pub(crate) fn is_etcd(&self) -> bool {
        self.config.mode == crate::config::Mode::Etcd
    }

    fn etcd_cmd(&mut self, c: EtcdCommand) {
        self.events.push_back(Event::Etcd(c));
    }

    fn l_a(&self) -> Duration {
        let q = &self.config.quorum;
        self.config
            .etcd
            .active_lease(q.demotion_bound, q.clock_drift_ppm)
    }

    /// Every start: `Negotiating`, components standby first, and the watch of the key.
    pub(crate) fn e_start(&mut self) {
        self.command(Role::standby);
        self.etcd_cmd(EtcdCommand::Watch);
    }

    /// Handles every etcd timer expired at `now`.
    pub(crate) fn e_handle_timeout(&mut self, now: Instant) {
        while let Some(t) = self.etcd.timers.next_expired(now) {
            match t {
                ETimer::KeepAlive => self.e_keep_alive(now),
                ETimer::LeaseEnd => self.e_lease_ended(now),
                ETimer::Campaign => self.e_campaign(now),
                ETimer::GrantRetry => self.e_grant(now),
                ETimer::FenceRetry => self.e_fence_retry_due(),
            }
        }
    }

    /// What etcd answered, or what the watch saw (PROTOCOL 5.12).
    pub fn handle_etcd(&mut self, now: Instant, input: EtcdInput) {
        if !self.is_etcd() {
            return;
        }
        match input {
            EtcdInput::Granted { lease } => {
                let Some(at) = self.etcd.granting.take() else {
                    return;
                };
                if let Some(stale) = self.etcd.stale.take() {
                    self.etcd_cmd(EtcdCommand::Resign {
                        lease: stale,
                        revision: 0,
                    });
                }
                self.etcd.lease = Some(lease);
                self.etcd.acked = Some(at);
                self.etcd.renewals.clear();
                let renew = self.config.etcd.renew();
                self.etcd.timers.set(ETimer::KeepAlive, now + renew);
                self.e_maybe_campaign(now);
            }
            EtcdInput::GrantFailed => {
                if self.etcd.granting.take().is_some() {
                    let retry = self.config.etcd.request_timeout;
                    self.etcd.timers.set(ETimer::GrantRetry, now + retry);
                }
            }
            EtcdInput::KeptAlive { lease, seq } => {
                if self.etcd.lease != Some(lease) {
                    return;
                }
                let Some(sent) = self.etcd.renewals.remove(&seq) else {
                    return;
                };
                self.etcd.renewals.retain(|s, _| *s > seq);
                if self.etcd.acked.is_none_or(|a| sent > a) {
                    self.etcd.acked = Some(sent);
                }
                self.e_update_lease_end();
            }
            EtcdInput::KeepAliveFailed { lease, seq, lost } => {
                if self.etcd.lease != Some(lease) {
                    return;
                }
                self.etcd.renewals.remove(&seq);
                if lost {
                    self.e_lease_lost(now);
                }
            }
            EtcdInput::CampaignWon { lease, revision } => self.e_won(now, lease, revision),
            EtcdInput::CampaignLost(key) => {
                self.etcd.campaigning = false;
                self.e_leader(now, Some(key));
            }
            EtcdInput::CampaignFailed { lease, lost } => {
                self.etcd.campaigning = false;
                let me = self.config.name(self.me()).to_owned();
                let mine = self
                    .etcd
                    .leader
                    .as_ref()
                    .filter(|k| k.name == me && k.lease == lease && !k.released)
                    .map(|k| k.revision);
                if let (Some(revision), false) = (mine, lost) {
                    // The answer was lost but the watch saw the key created: it is ours.
                    self.e_won(now, lease, revision);
                } else if lost && self.etcd.lease == Some(lease) {
                    self.e_lease_lost(now);
                } else {
                    self.e_maybe_campaign(now);
                }
            }
            EtcdInput::Leader(key) => self.e_leader(now, key),
            EtcdInput::WatchLost => {
                self.etcd.known = false;
                self.etcd.timers.stop(ETimer::Campaign);
            }
        }
    }

    /// Asks for a lease, unless one is held or asked for.
    fn e_grant(&mut self, now: Instant) {
        if self.etcd.lease.is_some() || self.etcd.granting.is_some() {
            return;
        }
        self.etcd.granting = Some(now);
        let ttl = self.config.etcd.ttl;
        self.etcd_cmd(EtcdCommand::Grant { ttl });
    }

    /// A renewal, every TTL/3 while a lease is held.
    fn e_keep_alive(&mut self, now: Instant) {
        let Some(lease) = self.etcd.lease else {
            return;
        };
        self.etcd.next_seq += 1;
        let seq = self.etcd.next_seq;
        self.etcd.remember(seq, now);
        self.etcd_cmd(EtcdCommand::KeepAlive { lease, seq });
        let renew = self.config.etcd.renew();
        self.etcd.timers.set(ETimer::KeepAlive, now + renew);
    }

    /// While holding the key: the service ends `L_a` after the send time of the latest
    /// request on the lease that etcd answered (PROTOCOL 5.12.4).
    fn e_update_lease_end(&mut self) {
        if self.etcd.won.is_none() {
            return;
        }
        let Some(acked) = self.etcd.acked else {
            return;
        };
        let end = acked + self.l_a();
        self.etcd.lease_end = Some(end);
        self.etcd.timers.set(ETimer::LeaseEnd, end);
    }

    /// No renewal answered in time: the service ends silently; the lease is given up
    /// (revoked now, or at the next grant if etcd cannot be reached) and a new one asked.
    fn e_lease_ended(&mut self, now: Instant) {
        if let Some(lease) = self.etcd.lease.take() {
            self.etcd_cmd(EtcdCommand::Resign { lease, revision: 0 });
            self.etcd.stale = Some(lease);
        }
        self.e_drop_lease(now);
    }

    /// etcd says the lease is gone (or the key went while this member held it).
    fn e_lease_lost(&mut self, now: Instant) {
        self.etcd.lease = None;
        self.e_drop_lease(now);
    }

    fn e_drop_lease(&mut self, now: Instant) {
        self.etcd.renewals.clear();
        self.etcd.acked = None;
        self.etcd.timers.stop(ETimer::KeepAlive);
        self.e_stop_serving_silently();
        self.e_grant(now);
    }

    /// Ends the service without resigning: `Demoting` if the components may serve.
    fn e_stop_serving_silently(&mut self) {
        let was = self.etcd.won.take();
        self.etcd.lease_end = None;
        self.etcd.timers.stop(ETimer::LeaseEnd);
        self.etcd.timers.stop(ETimer::FenceRetry);
        self.fencing = None;
        if was.is_some() && self.role.is_promoting_or_active() {
            self.e_demote(EAfter::Silent);
        }
    }

    /// The key's state as etcd holds it.
    fn e_leader(&mut self, now: Instant, key: Option<LeaderKey>) {
        self.etcd.known = true;
        if let Some(k) = &key {
            let r = round_of(k.revision);
            if r > self.seen_round {
                self.seen_round = r;
            }
            if let Some(m) = self.config.member_named(&k.name) {
                self.etcd.last_holder = Some((m, k.released));
            }
        }
        let mine = key
            .as_ref()
            .filter(|k| k.name == self.config.name(self.me()));
        match (&key, self.etcd.won) {
            (Some(k), Some(won)) if mine.is_some() && k.revision == won => {}
            (Some(k), None) if mine.is_some() && !k.released => {
                if Some(k.lease) == self.etcd.lease && !self.etcd.campaigning {
                    // A campaign whose answer was lost: the key is this member's.
                    let (lease, revision) = (k.lease, k.revision);
                    self.e_won(now, lease, revision);
                } else if Some(k.lease) != self.etcd.lease {
                    // A key of an earlier life of this member: give it up.
                    let lease = k.lease;
                    self.etcd_cmd(EtcdCommand::Resign { lease, revision: 0 });
                }
            }
            (_, Some(_)) => {
                // The key went, or another member's key: this member no longer holds it.
                self.e_stop_serving_silently();
            }
            _ => {}
        }
        if self.role == NodeRole::PromotionFailed && key.is_some() && mine.is_none() {
            self.set_role(NodeRole::Standby);
        }
        self.etcd.leader = key;
        if self.etcd.leader.is_some() {
            self.etcd.timers.stop(ETimer::Campaign);
        }
        self.e_maybe_campaign(now);
    }

    /// Rank for the campaign delay: members before this one in priority order, the member
    /// that last held the key not counted (its lease is what ended).
    fn e_rank(&self) -> u32 {
        let last = self.etcd.last_holder.map(|(m, _)| m);
        (0..self.config.me)
            .filter(|i| last != Some(Member(*i)))
            .count() as u32
    }

    /// Arms the campaign when the key is known absent and this member may stand.
    fn e_maybe_campaign(&mut self, now: Instant) {
        let can = self.etcd.known
            && self.etcd.leader.is_none()
            && self.etcd.lease.is_some()
            && self.etcd.won.is_none()
            && !self.etcd.campaigning
            && !self.fatal
            && matches!(self.role, NodeRole::Standby | NodeRole::PromotionFailed);
        if !can {
            self.etcd.timers.stop(ETimer::Campaign);
            return;
        }
        if self.etcd.timers.is_armed(ETimer::Campaign) {
            return;
        }
        let stagger = self.config.quorum.stagger;
        let mut at = now + stagger * self.e_rank();
        if let Some(h) = self.etcd.hold_until {
            if h > at {
                at = h;
            }
        }
        if at <= now {
            self.e_campaign(now);
        } else {
            self.etcd.timers.set(ETimer::Campaign, at);
        }
    }

    fn e_campaign(&mut self, now: Instant) {
        let _ = now;
        let Some(lease) = self.etcd.lease else {
            return;
        };
        if self.etcd.campaigning || self.etcd.won.is_some() || self.fatal {
            return;
        }
        self.etcd.campaigning = true;
        self.etcd.hold_until = None;
        self.etcd_cmd(EtcdCommand::Campaign { lease });
    }

    /// The key was created on `lease`: this member holds it (PROTOCOL 5.12.2). It promotes,
    /// after fencing the member last known holding the key unless that one released it.
    fn e_won(&mut self, now: Instant, lease: LeaseId, revision: i64) {
        self.etcd.campaigning = false;
        if self.etcd.lease != Some(lease) || self.etcd.won.is_some() {
            // A lease this member gave up: let the key go with it.
            if self.etcd.lease != Some(lease) {
                self.etcd_cmd(EtcdCommand::Resign { lease, revision });
            }
            return;
        }
        self.etcd.won = Some(revision);
        self.etcd.timers.stop(ETimer::Campaign);
        self.round = round_of(revision);
        if self.round > self.seen_round {
            self.seen_round = self.round;
        }
        self.e_update_lease_end();
        if self.etcd.lease_end.is_none_or(|e| e <= now) {
            self.e_lease_ended(now);
            return;
        }
        let me = self.me();
        match self.etcd.last_holder {
            Some((y, false)) if self.config.fence && y != me => {
                self.fencing = Some(Fencing {
                    member: y,
                    awaiting: true,
                });
                self.events.push_back(Event::Fence { member: y });
            }
            _ => self.e_promote(now),
        }
    }

    fn e_promote(&mut self, now: Instant) {
        if self.etcd.won.is_none() || self.role.is_promoting_or_active() {
            return;
        }
        self.etcd.last_holder = Some((self.me(), false));
        self.set_role(NodeRole::Promoting);
        if self.fatal {
            self.e_promotion_failed(now);
        } else {
            self.command(Role::active);
        }
    }

    fn e_promotion_failed(&mut self, now: Instant) {
        let _ = now;
        let revision = self.etcd.won.unwrap_or(0);
        self.e_demote(EAfter::Resign {
            revision,
            failed: true,
        });
    }

    /// `Demoting` and `SetComponents(standby)`, then `after`.
    fn e_demote(&mut self, after: EAfter) {
        if self.role == NodeRole::Demoting {
            return;
        }
        self.fencing = None;
        self.set_role(NodeRole::Demoting);
        self.command(Role::standby);
        self.etcd.after = after;
        if let EAfter::Resign { .. } = after {
            self.etcd.won = None;
            self.etcd.lease_end = None;
            self.etcd.timers.stop(ETimer::LeaseEnd);
        }
    }

    /// The components confirmed `standby` after a demotion.
    fn e_demotion_done(&mut self, now: Instant) {
        match std::mem::take(&mut self.etcd.after) {
            EAfter::Silent => self.set_role(NodeRole::Standby),
            EAfter::Resign { revision, failed } => {
                self.set_role(if failed {
                    NodeRole::PromotionFailed
                } else {
                    NodeRole::Standby
                });
                if let Some(lease) = self.etcd.lease.take() {
                    self.etcd_cmd(EtcdCommand::Resign { lease, revision });
                }
                self.etcd.last_holder = Some((self.me(), true));
                self.etcd.hold_until = Some(now + self.config.etcd.ttl);
                self.e_drop_lease(now);
            }
        }
        self.e_maybe_campaign(now);
    }

    /// The role layer confirmed the command of `generation`.
    pub(crate) fn e_components_done(&mut self, now: Instant, generation: Generation) {
        if generation != self.generation {
            return;
        }
        match self.role {
            NodeRole::Negotiating => {
                self.set_role(NodeRole::Standby);
                self.e_grant(now);
            }
            NodeRole::Promoting => self.set_role(NodeRole::Active),
            NodeRole::Demoting => self.e_demotion_done(now),
            _ => {}
        }
    }

    /// The promotion of `generation` failed.
    pub(crate) fn e_handle_promotion_failed(&mut self, now: Instant, generation: Generation) {
        if generation == self.generation && self.role == NodeRole::Promoting {
            self.e_promotion_failed(now);
        }
    }

    /// Planned switchover: demote, then resign (PROTOCOL 5.12.3).
    pub(crate) fn e_switchover(&mut self) -> Result<(), UsageError> {
        if self.role != NodeRole::Active {
            return Err(UsageError::NotActive(self.role));
        }
        // Nobody to take over (no peer link up): resigning would only stop the service.
        if !self.any_link_up() {
            return Err(UsageError::PeerDown);
        }
        let revision = self.etcd.won.unwrap_or(0);
        self.e_demote(EAfter::Resign {
            revision,
            failed: false,
        });
        Ok(())
    }

    /// A fatal component failure: `Active` resigns as a switchover does, `Promoting` fails
    /// its promotion, otherwise the member stops campaigning.
    pub(crate) fn e_fatal(&mut self, now: Instant) {
        self.fatal = true;
        match self.role {
            NodeRole::Active => {
                // Resigns even with every peer down: this member cannot serve.
                let revision = self.etcd.won.unwrap_or(0);
                self.e_demote(EAfter::Resign {
                    revision,
                    failed: false,
                });
            }
            NodeRole::Promoting => self.e_promotion_failed(now),
            _ => {
                // A member fencing before its promotion gives the key up.
                if self.etcd.won.is_some() {
                    let revision = self.etcd.won.take().unwrap_or(0);
                    self.fencing = None;
                    if let Some(lease) = self.etcd.lease.take() {
                        self.etcd_cmd(EtcdCommand::Resign { lease, revision });
                    }
                    self.e_drop_lease(now);
                }
                self.e_maybe_campaign(now);
            }
        }
    }

    /// The fatal failure is over: the member may campaign again.
    pub(crate) fn e_fatal_cleared(&mut self, now: Instant) {
        self.fatal = false;
        self.e_maybe_campaign(now);
    }

    /// The fence command awaited finished (PROTOCOL 5.10, etcd mode; the common check is
    /// [`Election::handle_fence_done`]): `ok` → promote; not `ok` → fence again later.
    pub(crate) fn e_fenced(&mut self, now: Instant, ok: bool) {
        if ok {
            self.e_promote(now);
        } else {
            let retry = self.config.fence_retry;
            self.etcd.timers.set(ETimer::FenceRetry, now + retry);
        }
    }

    fn e_fence_retry_due(&mut self) {
        let Some(f) = self.fencing else {
            return;
        };
        if f.awaiting || self.etcd.won.is_none() {
            return;
        }
        self.fencing = Some(Fencing {
            awaiting: true,
            ..f
        });
        self.events.push_back(Event::Fence { member: f.member });
    }

    /// Etcd mode, while holding the key: the time left before the service ends.
    pub(crate) fn e_lease_left(&self, now: Instant) -> Option<Duration> {
        self.etcd.won?;
        let end = self.etcd.lease_end?;
        Some(end.saturating_duration_since(now))
    }

    /// Etcd mode: nothing in flight.
    pub(crate) fn e_is_settled(&self) -> bool {
        !self.etcd.campaigning
            && self.etcd.granting.is_none()
            && self.fencing.is_none()
            && !matches!(self.role, NodeRole::Promoting | NodeRole::Demoting)
            && self.events.is_empty()
    }

    /// The lease this member holds (etcd mode).
    pub fn etcd_lease(&self) -> Option<LeaseId> {
        self.etcd.lease
    }

    /// The leader key as this member last saw it (etcd mode; `None`: no key, or unknown).
    pub fn etcd_leader(&self) -> Option<&LeaderKey> {
        self.etcd.leader.as_ref()
    }
}
