//! Quorum-mode inputs: the start \[Q2\], timers, links and messages, dispatched here by the
//! public methods of [`Election`] (PROTOCOL 5.9).

use super::timers::QTimer;
use super::{PersistedGrant, VoterLease};
use crate::config::Member;
use crate::election::Election;
use crate::event::Misbehaviour;
use crate::message::{self, description};
use crate::role::Role;
use crate::wire_id::WireId;
use baton_asn1::election::{ElectionMessage, ElectionMessageMessage};
use baton_asn1::{Message, Validate};
use baton_core::{Instant, LinkId};
use std::collections::VecDeque;

impl Election {
    /// \[Q2\] Every start: `Negotiating`, components set standby first, and the voter lease
    /// of the persisted grant re-armed; an unknown grant abstains for one voter lease.
    pub(crate) fn q_start(&mut self, now: Instant) {
        let n = self.voters();
        self.quorum.acked = vec![None; n];
        self.quorum.outstanding = vec![VecDeque::new(); n];
        self.command(Role::standby);
        match self.config.persisted {
            PersistedGrant::Known(g) => {
                self.quorum.grant = Some(g);
                self.seen_round = g.round;
                self.arm_voter_lease(now, g.member);
            }
            PersistedGrant::Unknown => {
                self.quorum.lease = VoterLease::Abstain;
                let end = now + self.config.quorum.voter_lease;
                self.quorum.timers.set(QTimer::VoterLease, end);
            }
        }
    }

    /// Handles every quorum timer expired at `now`.
    pub(crate) fn q_handle_timeout(&mut self, now: Instant) {
        while let Some(t) = self.quorum.timers.next_expired(now) {
            match t {
                QTimer::ActiveLease => self.active_lease_ended(now),
                QTimer::VoterLease => self.end_voter_lease(now),
                QTimer::CandidacyVoid => self.void_candidacy(now),
                QTimer::Resend => {
                    if self.quorum.candidacy.is_some() || self.quorum.won.is_some() {
                        self.send_requests(now);
                    }
                }
                QTimer::Election => self.election_due(now),
                QTimer::FenceRetry => self.q_fence_retry_due(),
            }
        }
    }

    /// The link to `peer` is up (replacing its old link, whose held transmits are dropped).
    /// Nothing is sent at once: the next renewal or retry reaches it.
    pub(crate) fn q_link_up(&mut self, link: LinkId, peer: Member) {
        if let Some(old) = self.peers[peer.0].link {
            self.quorum.held.retain(|t| t.link != old);
        }
        self.peers[peer.0].link = Some(link);
        self.peers[peer.0].role = None;
        self.quorum.outstanding[peer.0].clear();
    }

    /// The link on `link` is down: its unanswered requests and held transmits are forgotten.
    /// Failures change no role in quorum mode: leases do.
    pub(crate) fn q_link_down(&mut self, link: LinkId) {
        let Some(peer) = self.peer_on(link) else {
            return;
        };
        self.peers[peer.0].link = None;
        self.peers[peer.0].role = None;
        self.quorum.outstanding[peer.0].clear();
        // A transmit held for a grant being persisted [Q1] never leaves on a dead link.
        self.quorum.held.retain(|t| t.link != link);
    }

    /// An `ElectionMessage` from the member on `link` (PROTOCOL 5.9.2, 5.9.4, 5.9.5).
    pub(crate) fn q_handle_message(&mut self, now: Instant, link: LinkId, msg: ElectionMessage) {
        let Some(from) = self.peer_on(link) else {
            return;
        };
        let is_request = matches!(msg.message, ElectionMessageMessage::nominationMsg(_));
        if let Err(e) = msg.validate() {
            self.misbehaved(from, Misbehaviour::Malformed(e.to_string()));
            if is_request {
                let path = baton_asn1::validate::Path::root("CorrelationId");
                let id = if msg.correlation_id.validate_at(&path).is_ok() {
                    msg.correlation_id
                } else {
                    message::correlation_id("")
                };
                self.q_answer(link, from, message::error(id, description::MALFORMED));
            }
            return;
        }
        let id = match WireId::from_correlation_id(&msg.correlation_id) {
            Ok(id) => id,
            Err(_) => {
                let raw = message::digits(&msg.correlation_id);
                self.misbehaved(from, Misbehaviour::BadCorrelationId(raw));
                if is_request {
                    let reply = message::error(msg.correlation_id, description::MALFORMED);
                    self.q_answer(link, from, reply);
                }
                return;
            }
        };
        match msg.message {
            ElectionMessageMessage::nominationMsg(n) => {
                self.q_request(now, link, from, id, n.nominee.0)
            }
            ElectionMessageMessage::electionResult(r) => self.q_result(now, from, id, r),
        }
        // [Q5] a higher round seen: a serving member re-elects in seen + 1, keeping its role.
        if self
            .quorum
            .won
            .is_some_and(|w| self.seen_round > w.max(self.round))
        {
            self.re_elect(now, self.seen_round);
        }
    }

    /// A `nominationMsg{nominee}` from `from`: a self-nomination or renewal (the grant
    /// table), or a release + handover naming another member.
    fn q_request(&mut self, now: Instant, link: LinkId, from: Member, id: WireId, nominee: String) {
        let g_r = self
            .quorum
            .grant
            .map_or(crate::round::Round(0), |g| g.round);
        let echo = WireId::new(g_r, id.seq).correlation_id();
        let Some(x) = self.config.member_named(&nominee) else {
            self.misbehaved(from, Misbehaviour::NomineeNotMember(nominee));
            self.q_answer(link, from, message::error(echo, description::NOT_A_MEMBER));
            return;
        };
        if id.round.0 == 0 {
            // Requests carry rounds 1 and up in quorum mode (PROTOCOL 5.9.2).
            let raw = id.format();
            self.misbehaved(from, Misbehaviour::BadCorrelationId(raw));
            self.q_answer(link, from, message::error(echo, description::MALFORMED));
        } else if x != from {
            self.q_release(now, link, from, x, id);
        } else if self.is_witness(from) {
            self.misbehaved(from, Misbehaviour::WitnessNominated(nominee));
            let reply = message::error(echo, super::voter::NOT_A_CANDIDATE);
            self.q_answer(link, from, reply);
        } else {
            self.q_nomination(now, link, from, id);
        }
    }
}
