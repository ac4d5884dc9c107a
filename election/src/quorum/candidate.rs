//! The candidate (PROTOCOL 5.9.5): the election timer \[Q8\], candidacies in round
//! `seen + 1` \[Q7\], their retries and voidness \[Q4\], the answers, the win, and re-election
//! while serving \[Q5\] \[Q5b\].

use super::timers::QTimer;
use super::{Candidacy, Grant, Request, VoterLease};
use crate::config::Member;
use crate::election::Election;
use crate::event::{Event, Misbehaviour, Transmit};
use crate::message;
use crate::role::NodeRole;
use crate::round::Round;
use crate::wire_id::WireId;
use baton_asn1::election::ElectionResult;
use baton_core::Instant;
use std::collections::BTreeSet;

impl Election {
    /// Whether this node may start a candidacy: eligible (no witness, no fatal failure), not
    /// serving, none in progress, `Negotiating`, `Standby` or `PromotionFailed`.
    pub(crate) fn can_stand(&self) -> bool {
        self.eligible()
            && self.quorum.won.is_none()
            && self.quorum.candidacy.is_none()
            && matches!(
                self.role,
                NodeRole::Negotiating | NodeRole::Standby | NodeRole::PromotionFailed
            )
    }

    /// The voter lease ends (its timer, or a release): the election timer may run \[Q8\].
    pub(crate) fn end_voter_lease(&mut self, now: Instant) {
        self.quorum.lease = VoterLease::Free;
        self.quorum.timers.stop(QTimer::VoterLease);
        self.maybe_arm_election(now);
    }

    /// \[Q8\] The election timer, armed only when no voter lease runs (this node's own
    /// included) and the node may stand: lease end + `election_timeout` + one `stagger` per
    /// member before this one that may serve, except that the member last known serving adds
    /// `election_timeout` instead (PROTOCOL 5.9.5): the first backup after a failure waits
    /// `2 × election_timeout` whatever the stagger, two members' timers stay apart, and with
    /// `stagger = election_timeout` this is `election_timeout + rank × stagger`.
    pub(crate) fn maybe_arm_election(&mut self, now: Instant) {
        if self.quorum.lease != VoterLease::Free || !self.can_stand() {
            self.quorum.timers.stop(QTimer::Election);
            return;
        }
        let t = &self.config.quorum;
        let (rank, backup) = (self.rank(), self.backup_rank());
        #[cfg(feature = "plant")]
        let backup = if baton_asn1::plant::planted("stagger-ignored") {
            0
        } else {
            backup
        };
        let at = now + t.election_timeout * (1 + rank - backup) + t.stagger * backup;
        self.quorum.timers.set(QTimer::Election, at);
    }

    /// The election timer fired: stand, once the start's standby is confirmed \[Q2\].
    pub(crate) fn election_due(&mut self, now: Instant) {
        if self.quorum.lease != VoterLease::Free || !self.can_stand() {
            return;
        }
        if !self.quorum.standby_confirmed {
            let at = now + self.config.quorum.election_timeout;
            self.quorum.timers.set(QTimer::Election, at);
            return;
        }
        self.start_candidacy(now);
    }

    /// A candidacy in round `seen + 1`: persist `(r, self)` (a self-nomination is a grant to
    /// itself \[Q7\]; on disk before any nomination leaves \[Q1\]), arm its own voter lease,
    /// nominate to every voter, void at `t_s + L_a` \[Q4\]. A serving member keeps its role and
    /// its lease meanwhile \[Q5\].
    pub(crate) fn start_candidacy(&mut self, now: Instant) {
        let r = self.seen_round.max(self.round).next();
        self.round = r;
        self.seen_round = r;
        let me = self.me();
        self.q_persist(Grant {
            round: r,
            member: me,
        });
        self.arm_voter_lease(now, me);
        if self.quorum.won.is_none() {
            self.quorum.acked = vec![None; self.voters()];
        }
        self.quorum.candidacy = Some(Candidacy {
            round: r,
            started: now,
            granted: BTreeSet::new(),
        });
        let void_at = now + self.config.quorum.active_lease;
        self.quorum.timers.set(QTimer::CandidacyVoid, void_at);
        self.send_requests(now);
    }

    /// Sends this node's round to the voters: a candidacy's nominations (to those that have
    /// not granted it yet), or a serving member's renewals (to all \[Q9\]); then re-arms the
    /// resend timer (`retry` for a candidacy, `renew` when serving, the shorter of the two
    /// for a serving member re-electing).
    pub(crate) fn send_requests(&mut self, now: Instant) {
        let me = self.me();
        let serving = self.quorum.won.is_some();
        let round = self.round;
        for i in 0..self.voters() {
            let to = Member(i);
            let Some(link) = self.peers[i].link.filter(|_| to != me) else {
                continue;
            };
            let granted = self
                .quorum
                .candidacy
                .as_ref()
                .is_some_and(|c| c.granted.contains(&to));
            if granted && !serving {
                continue;
            }
            let seq = self.ids.next_seq();
            let id = WireId::new(round, seq).format();
            let msg = message::nomination(&id, self.config.name(me));
            self.remember(
                to,
                Request {
                    seq,
                    at: now,
                    release: false,
                },
            );
            self.q_send(Transmit {
                link,
                to,
                message: msg,
            });
        }
        // This node grants itself at each send [Q7]: its own voter lease runs from now.
        self.quorum.acked[me.0] = Some(now);
        if self.quorum.grant.is_some_and(|g| g.member == me) {
            self.arm_voter_lease(now, me);
        }
        let t = &self.config.quorum;
        let every = match (self.quorum.candidacy.is_some(), serving) {
            (true, false) => self.config.retry_backoff,
            (true, true) => self.config.retry_backoff.min(t.renew),
            (false, _) => t.renew,
        };
        self.quorum.timers.set(QTimer::Resend, now + every);
    }

    /// The candidacy ends without a win (\[Q4\] at `t_s + L_a`, granting another, a vetoing
    /// round, demotion). A serving member goes back to its won round.
    pub(crate) fn void_candidacy(&mut self, now: Instant) {
        if self.quorum.candidacy.take().is_none() {
            return;
        }
        self.quorum.timers.stop(QTimer::CandidacyVoid);
        match self.quorum.won {
            Some(w) => self.round = w,
            None => {
                self.quorum.timers.stop(QTimer::Resend);
                self.maybe_arm_election(now);
            }
        }
    }

    /// \[Q5\] \[Q5b\] A serving member re-elects in `seen + 1`, keeping its role, unless a
    /// candidacy above `trigger` is already under way.
    pub(crate) fn re_elect(&mut self, now: Instant, trigger: Round) {
        if self.quorum.won.is_none() || !self.role.is_promoting_or_active() {
            return;
        }
        if self
            .quorum
            .candidacy
            .as_ref()
            .is_some_and(|c| c.round > trigger)
        {
            return;
        }
        self.void_candidacy(now);
        self.start_candidacy(now);
    }

    /// An `electionResult` from `from` answering request `id.seq` (PROTOCOL 5.9.5).
    /// Answers to nothing this node remembers are ignored.
    pub(crate) fn q_result(&mut self, now: Instant, from: Member, id: WireId, r: ElectionResult) {
        let q = &mut self.quorum.outstanding[from.0];
        let Some(pos) = q.iter().position(|x| x.seq == id.seq) else {
            return;
        };
        let Some(req) = q.remove(pos) else {
            return;
        };
        self.note_round(id.round);
        if req.release {
            return;
        }
        let me = self.me();
        match r {
            ElectionResult::assigment(a) => {
                let active = self.config.member_named(&a.active.0);
                let standby = self.config.member_named(&a.standby.0);
                if (active, standby) == (Some(me), Some(from)) {
                    self.q_granted(now, from, id.round, req.at);
                } else {
                    self.misbehaved(
                        from,
                        Misbehaviour::InconsistentAnswer {
                            active: a.active.0,
                            standby: a.standby.0,
                        },
                    );
                }
            }
            ElectionResult::veto(v) => {
                let Some(g_m) = self.config.member_named(&v.active.0) else {
                    self.misbehaved(from, Misbehaviour::NomineeNotMember(v.active.0));
                    return;
                };
                if g_m == me {
                    return;
                }
                // [Q4] void on a higher-round veto, or one in the same round naming another.
                // Planted fault `higher-veto-ignored` (feature `plant`, conformance CI only).
                #[cfg(feature = "plant")]
                let ignored = baton_asn1::plant::planted("higher-veto-ignored");
                #[cfg(not(feature = "plant"))]
                let ignored = false;
                if !ignored
                    && self
                        .quorum
                        .candidacy
                        .as_ref()
                        .is_some_and(|c| id.round >= c.round)
                {
                    self.void_candidacy(now);
                }
                // [Q5b] a veto for another in a round at least this node's own: re-elect.
                if self.quorum.won.is_some_and(|w| id.round >= w) {
                    self.re_elect(now, id.round);
                }
            }
            ElectionResult::electionError(e) => {
                if e.description != super::voter::LEASE
                    && !message::description::is_transient(&e.description)
                {
                    self.events.push_back(Event::NominationRefused {
                        peer: from,
                        description: e.description,
                    });
                }
            }
        }
    }

    /// `from` answered a request sent at `at` with an assignment naming this node, carrying
    /// `round`: its lease for this node runs from after `at`.
    fn q_granted(&mut self, now: Instant, from: Member, round: Round, at: Instant) {
        let acked = &mut self.quorum.acked[from.0];
        *acked = Some(acked.map_or(at, |t| t.max(at)));
        if let Some(c) = self.quorum.candidacy.as_mut() {
            if c.round == round {
                c.granted.insert(from);
            }
        }
        if self.quorum.won.is_some() {
            self.update_lease();
        }
        let won = self
            .quorum
            .candidacy
            .as_ref()
            .is_some_and(|c| c.granted.len() + 1 >= self.quorum_size());
        if won {
            self.win(now);
        }
    }
}
