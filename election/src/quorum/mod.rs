//! Quorum mode (PROTOCOL 5.9): three to nine voters (members and witnesses), rounds, one
//! persisted grant per voter, voter and active leases, renewals. Rules \[Q1\] to \[Q9\] each
//! closed a counterexample of the design's model checker; each is cited where it lives:
//!
//! - \[Q1\] persist before sending (`persist.rs`: every transmit is held until
//!   [`Election::handle_grant_persisted`]);
//! - \[Q2\] restart: `Negotiating`, components standby first, voter lease re-armed
//!   (`Election::q_start`);
//! - \[Q3\] no grant while a lease for another runs (`voter.rs`, [`voter::vote`]);
//! - \[Q4\] a candidacy is void at `t_s + L_a` (`candidate.rs`);
//! - \[Q5\] \[Q5b\] a higher round (or a veto for another in a round at least its own) makes a
//!   serving member re-elect while keeping its role (`candidate.rs`, `voter.rs`);
//! - \[Q7\] a self-nomination is a grant to itself (`candidate.rs`);
//! - \[Q8\] the election timer runs only while no voter lease runs (`candidate.rs`);
//! - \[Q9\] renewals every `renew`, the lease counted from send times, silent demotion at
//!   its end (`serving.rs`).
//!
//! The Election type is shared with pair mode; its public methods dispatch here when
//! [`Config::mode`](crate::Config::mode) is [`Mode::Quorum`](crate::Mode::Quorum).

mod candidate;
mod config;
mod input;
mod persist;
mod serving;
mod timers;
pub mod voter;

pub use config::{QuorumConfigError, MAX_MEMBERS};
pub use persist::{Grant, PersistedGrant};
pub use timers::{
    QuorumTimers, TimersError, DEFAULT_ACTIVE_LEASE, DEFAULT_CLOCK_DRIFT_PPM,
    DEFAULT_DEMOTION_BOUND, DEFAULT_ELECTION_TIMEOUT, DEFAULT_RENEW, DEFAULT_STAGGER,
    DEFAULT_VOTER_LEASE,
};

use crate::config::Member;
use crate::election::Election;
use crate::event::Transmit;
use crate::round::Round;
use baton_core::Instant;
use std::collections::{BTreeSet, VecDeque};
use timers::QTimerTable;

/// What binds a voter now (PROTOCOL 5.9.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum VoterLease {
    /// No lease runs: the voter may grant.
    #[default]
    Free,
    /// A lease for this member runs (its grant, or its latest renewal answered).
    For(Member),
    /// The persisted grant was unknown at start: no grant to anyone until this ends.
    Abstain,
}

/// A request this node sent and whose answer it waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Request {
    pub(crate) seq: u16,
    /// Send time (when the request was made; held transmits leave later, which only makes
    /// the lease counted from it shorter).
    pub(crate) at: Instant,
    /// A release + handover (its answers change nothing).
    pub(crate) release: bool,
}

/// At most this many unanswered requests are remembered per voter.
const OUTSTANDING: usize = 8;

/// A candidacy in progress (PROTOCOL 5.9.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Candidacy {
    pub(crate) round: Round,
    /// `t_s`, the start: the candidacy is void at `t_s + L_a` \[Q4\].
    pub(crate) started: Instant,
    /// Voters (self excluded) that granted this round.
    pub(crate) granted: BTreeSet<Member>,
}

/// What a quorum node does once its components confirm `standby`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) enum QAfter {
    /// Become `Standby`, send nothing (lease end, \[Q9\]).
    #[default]
    Silent,
    /// Become `Standby` (planned switchover, fatal failure) or `PromotionFailed`, then send a
    /// release + handover to every voter.
    Release { failed: bool },
}

/// The quorum-mode state of an [`Election`] (empty in pair mode).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct QuorumState {
    pub(crate) timers: QTimerTable,
    /// The latest grant made (on disk, or being written). `None`: none known.
    pub(crate) grant: Option<Grant>,
    /// The voter lease.
    pub(crate) lease: VoterLease,
    /// Grants asked to be persisted, not confirmed yet, oldest first \[Q1\].
    pub(crate) persisting: VecDeque<Grant>,
    /// Transmits held until `persisting` is empty \[Q1\].
    pub(crate) held: VecDeque<Transmit>,
    pub(crate) candidacy: Option<Candidacy>,
    /// The round this node won and serves under (from the win, through fencing, until its
    /// lease ends or it demotes).
    pub(crate) won: Option<Round>,
    /// End of the serving lease (PROTOCOL 5.9.6).
    pub(crate) lease_end: Option<Instant>,
    /// Per member: the latest send time of a request of this node it answered with an
    /// assignment naming this node (its voter lease for this node started after it).
    pub(crate) acked: Vec<Option<Instant>>,
    /// Per member: requests awaiting an answer, oldest first.
    pub(crate) outstanding: Vec<VecDeque<Request>>,
    /// The last member known serving that did not release: fenced before a promotion.
    pub(crate) known_serving: Option<Member>,
    pub(crate) after: QAfter,
    /// The components confirmed `standby` since the start \[Q2\].
    pub(crate) standby_confirmed: bool,
}

impl Election {
    /// Whether this Election runs quorum mode.
    pub(crate) fn is_quorum(&self) -> bool {
        self.config.mode == crate::config::Mode::Quorum
    }

    /// Number of voters: every member, witnesses included.
    pub(crate) fn voters(&self) -> usize {
        self.config.members.len()
    }

    /// `q = ⌊voters/2⌋ + 1`.
    pub fn quorum_size(&self) -> usize {
        self.voters() / 2 + 1
    }

    pub(crate) fn is_witness(&self, m: Member) -> bool {
        self.config.witnesses.contains(&m.0)
    }

    /// Rank for the election timer: the number of serving-capable members before this one.
    pub(crate) fn rank(&self) -> u32 {
        (0..self.config.me)
            .filter(|i| !self.is_witness(Member(*i)))
            .count() as u32
    }

    /// Backup rank for the election timer \[Q8\] (PROTOCOL 5.9.5): as [`Election::rank`], not
    /// counting the member this node last knew serving either (its lease is what ran out), so
    /// that the first backup after a failure waits no stagger.
    pub(crate) fn backup_rank(&self) -> u32 {
        let known = self.quorum.known_serving;
        (0..self.config.me)
            .filter(|i| !self.is_witness(Member(*i)) && known != Some(Member(*i)))
            .count() as u32
    }

    /// Whether this node may stand as a candidate: not a witness, no fatal failure.
    pub(crate) fn eligible(&self) -> bool {
        !self.is_witness(self.me()) && !self.fatal
    }

    /// Serving for the voter table: holding the service (won, fencing, `Promoting`,
    /// `Active`) or still stopping it (`Demoting`).
    pub(crate) fn q_serving(&self) -> bool {
        self.quorum.won.is_some()
            || matches!(
                self.role,
                crate::role::NodeRole::Promoting
                    | crate::role::NodeRole::Active
                    | crate::role::NodeRole::Demoting
            )
    }

    /// The voter lease binding this node now (quorum mode).
    pub fn voter_lease(&self) -> VoterLease {
        self.quorum.lease
    }

    /// The latest grant this node made (quorum mode; `None` while unknown).
    pub fn latest_grant(&self) -> Option<Grant> {
        self.quorum.grant
    }

    /// The round this node serves under: from its win until its lease ends or it demotes
    /// (quorum mode; `None` in pair mode).
    pub fn serving_round(&self) -> Option<Round> {
        self.quorum.won
    }

    /// The round of the candidacy in progress (quorum mode), if any.
    pub fn candidacy_round(&self) -> Option<Round> {
        self.quorum.candidacy.as_ref().map(|c| c.round)
    }

    /// Quorum mode, while serving (`Promoting` or `Active` under a won round): the time left
    /// on its lease. `None` otherwise, and in pair mode.
    pub fn lease_left(&self, now: Instant) -> Option<std::time::Duration> {
        if self.is_etcd() {
            return self.e_lease_left(now);
        }
        self.quorum.won?;
        if !self.role.is_promoting_or_active() {
            return None;
        }
        let end = self.quorum.lease_end?;
        Some(end.saturating_duration_since(now))
    }

    /// Quorum mode: a serving lease is running, or this node's links reach a quorum of
    /// voters (itself included). Pair mode has no quorum: always `true`.
    pub fn quorate(&self) -> bool {
        if !self.is_quorum() {
            return true;
        }
        let up = self.peers.iter().filter(|p| p.link.is_some()).count();
        self.quorum.won.is_some() || up + 1 >= self.quorum_size()
    }

    /// Quorum mode: nothing in flight (see [`Election::is_settled`]).
    pub(crate) fn q_is_settled(&self) -> bool {
        self.quorum.candidacy.is_none()
            && self.quorum.persisting.is_empty()
            && self.quorum.held.is_empty()
            && self.fencing.is_none()
            && !matches!(
                self.role,
                crate::role::NodeRole::Promoting | crate::role::NodeRole::Demoting
            )
            && self.transmits.is_empty()
            && self.events.is_empty()
    }

    /// Remembers a request sent to `to` (at most [`OUTSTANDING`] per voter).
    pub(crate) fn remember(&mut self, to: Member, r: Request) {
        let q = &mut self.quorum.outstanding[to.0];
        if q.len() == OUTSTANDING {
            q.pop_front();
        }
        q.push_back(r);
    }
}
