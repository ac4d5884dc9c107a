//! Etcd mode (PROTOCOL 5.12): the members campaign for one leader key in an etcd the
//! operator already runs, each on a lease of its own; the key's create revision is the
//! generation. This is the sans-IO half: it emits [`EtcdCommand`]s
//! ([`Event::Etcd`](crate::Event::Etcd)) and is fed [`EtcdInput`]s
//! ([`Election::handle_etcd`](crate::Election::handle_etcd)); it never sees HTTP or gRPC.
//! The node's `etcd` module carries the commands to etcd and brings the answers back.
//!
//! - start: `Negotiating`, components standby first, then a lease and a watch of the key;
//! - a member with a lease that sees no key campaigns after `rank × stagger` (the member
//!   that last held the key not counted: the first backup campaigns at once; a member that
//!   has just resigned waits a TTL);
//! - a campaign won: fencing of the member last known holding the key (unless it resigned),
//!   then `Promoting`, `Active`; the key's create revision is the round;
//! - renewals every TTL/3; the service ends silently `L_a` after the send time of the latest
//!   renewal etcd answered (the inequality of [`EtcdTimers::check`]), or at once when etcd
//!   says the lease or the key is gone;
//! - a planned switchover (or a fatal failure): `Demoting`, then `Resign` (the key marked
//!   released, the lease revoked); the next member campaigns at once.

mod machine;
mod timers;

pub use timers::{EtcdTimers, EtcdTimersError, DEFAULT_ETCD_REQUEST_TIMEOUT, DEFAULT_ETCD_TTL};

use crate::config::Member;
use baton_core::{Instant, Timers};
use std::collections::BTreeMap;
use std::time::Duration;

/// An etcd lease id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LeaseId(pub i64);

/// The leader key as etcd holds it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LeaderKey {
    /// The member named by the value.
    pub name: String,
    /// The key's create revision: the generation of that member's service.
    pub revision: i64,
    /// The lease the key is attached to.
    pub lease: LeaseId,
    /// The holder marked the key released before revoking its lease (planned switchover):
    /// the next member needs no fencing.
    pub released: bool,
}

/// What the Election asks of etcd ([`Event::Etcd`](crate::Event::Etcd)). Every command is
/// answered by one [`EtcdInput`] (a watch by many) within the request timeout.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EtcdCommand {
    /// Watch the leader key: report its state now and at every change with
    /// [`EtcdInput::Leader`], and [`EtcdInput::WatchLost`] whenever etcd cannot be reached
    /// (then keep trying). Emitted once, at start.
    Watch,
    /// Grant a lease of `ttl`: [`EtcdInput::Granted`] or [`EtcdInput::GrantFailed`].
    Grant {
        /// The time to live.
        ttl: Duration,
    },
    /// Renew `lease` (one keep-alive): [`EtcdInput::KeptAlive`] or
    /// [`EtcdInput::KeepAliveFailed`] with the same `seq`.
    KeepAlive {
        /// The lease.
        lease: LeaseId,
        /// This renewal's number.
        seq: u64,
    },
    /// Create the leader key with this member's name on `lease` if it does not exist
    /// (a transaction comparing its create revision with 0): [`EtcdInput::CampaignWon`],
    /// [`EtcdInput::CampaignLost`] or [`EtcdInput::CampaignFailed`].
    Campaign {
        /// The lease.
        lease: LeaseId,
    },
    /// Resign: if the key still has create revision `revision`, mark it released; then
    /// revoke `lease` (which deletes the key). Fire and forget.
    Resign {
        /// The lease to revoke.
        lease: LeaseId,
        /// The key's create revision while this member held it (0: revoke only).
        revision: i64,
    },
}

/// What etcd answered, or what the watch saw ([`Election::handle_etcd`](crate::Election::handle_etcd)).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EtcdInput {
    /// The lease of the latest [`EtcdCommand::Grant`].
    Granted {
        /// The lease.
        lease: LeaseId,
    },
    /// The grant failed (etcd unreachable, or an error).
    GrantFailed,
    /// etcd renewed `lease` for the renewal `seq`.
    KeptAlive {
        /// The lease.
        lease: LeaseId,
        /// The renewal.
        seq: u64,
    },
    /// The renewal `seq` failed: `lost` when etcd says the lease no longer exists.
    KeepAliveFailed {
        /// The lease.
        lease: LeaseId,
        /// The renewal.
        seq: u64,
        /// etcd answered that the lease is gone (TTL ≤ 0).
        lost: bool,
    },
    /// The key was created on `lease` with this create revision.
    CampaignWon {
        /// The lease.
        lease: LeaseId,
        /// The key's create revision.
        revision: i64,
    },
    /// The key exists: held as `key`.
    CampaignLost(LeaderKey),
    /// The campaign failed: `lost` when etcd says the lease no longer exists.
    CampaignFailed {
        /// The lease.
        lease: LeaseId,
        /// etcd answered that the lease is gone.
        lost: bool,
    },
    /// The leader key as the watch sees it now (`None`: no key).
    Leader(Option<LeaderKey>),
    /// The watch lost etcd: the key's state is unknown until the next [`EtcdInput::Leader`].
    WatchLost,
}

/// Etcd-mode timers of the Election.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum ETimer {
    /// Send the next renewal.
    KeepAlive,
    /// The service ends: `L_a` after the latest answered renewal's send time.
    LeaseEnd,
    /// Campaign now.
    Campaign,
    /// Ask for a lease again after a failed grant.
    GrantRetry,
    /// Emit `Event::Fence` again after a failed fencing.
    FenceRetry,
}

/// What to do once the components confirm `standby` after a demotion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) enum EAfter {
    /// The lease ran out, or the key went: just `Standby`.
    #[default]
    Silent,
    /// Resign the key of `revision` (switchover, fatal failure, promotion failure).
    Resign {
        /// The key's create revision.
        revision: i64,
        /// A promotion failed: `PromotionFailed`.
        failed: bool,
    },
}

/// At most this many unanswered renewals are remembered.
const OUTSTANDING: usize = 8;

/// Etcd-mode state of the Election; empty in the other modes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub(crate) struct EtcdState {
    /// The lease this member holds.
    pub(crate) lease: Option<LeaseId>,
    /// Send time of the grant in flight.
    pub(crate) granting: Option<Instant>,
    /// Renewals in flight: number → send time.
    pub(crate) renewals: BTreeMap<u64, Instant>,
    pub(crate) next_seq: u64,
    /// Send time of the latest request on the lease that etcd answered (grant or renewal).
    pub(crate) acked: Option<Instant>,
    /// Whether the watch knows the key's state, and that state.
    pub(crate) known: bool,
    pub(crate) leader: Option<LeaderKey>,
    /// The member last known holding the key, and whether it released it.
    pub(crate) last_holder: Option<(Member, bool)>,
    /// The create revision of the key this member holds (won, fencing, serving).
    pub(crate) won: Option<i64>,
    pub(crate) lease_end: Option<Instant>,
    pub(crate) campaigning: bool,
    /// No campaign before this (a member that has just resigned).
    pub(crate) hold_until: Option<Instant>,
    /// A lease given up while etcd could not be reached: revoked at the next grant.
    pub(crate) stale: Option<LeaseId>,
    pub(crate) after: EAfter,
    pub(crate) timers: Timers<ETimer>,
}

impl EtcdState {
    fn remember(&mut self, seq: u64, at: Instant) {
        if self.renewals.len() == OUTSTANDING {
            self.renewals.pop_first();
        }
        self.renewals.insert(seq, at);
    }
}

/// An etcd-mode configuration that [`Config::validate`](crate::Config::validate) refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EtcdConfigError {
    /// Etcd mode needs 2 to [`MAX_MEMBERS`](crate::MAX_MEMBERS) members.
    MemberCount(usize),
    /// Etcd mode has no witnesses: etcd is the arbiter.
    Witness,
    /// The timers break PROTOCOL 5.12.4.
    Timers(EtcdTimersError),
}

impl std::fmt::Display for EtcdConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EtcdConfigError::MemberCount(n) => write!(
                f,
                "etcd mode needs 2 to {} members, not {n}",
                crate::MAX_MEMBERS
            ),
            EtcdConfigError::Witness => {
                write!(f, "etcd mode has no witnesses (etcd arbitrates)")
            }
            EtcdConfigError::Timers(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for EtcdConfigError {}

impl crate::Config {
    /// An etcd-mode configuration (PROTOCOL 5.12) with the defaults: [`EtcdTimers::default`],
    /// the stagger, demotion bound and clock drift of [`crate::QuorumTimers::default`], no
    /// fencing.
    pub fn etcd(members: &[&str], me: usize) -> Self {
        crate::Config {
            mode: crate::Mode::Etcd,
            ..crate::Config::quorum(members, me)
        }
    }

    /// The etcd-mode checks of [`crate::Config::validate`].
    pub(crate) fn validate_etcd(&self) -> Result<(), EtcdConfigError> {
        let n = self.members.len();
        if !(2..=crate::MAX_MEMBERS).contains(&n) {
            return Err(EtcdConfigError::MemberCount(n));
        }
        if !self.witnesses.is_empty() {
            return Err(EtcdConfigError::Witness);
        }
        let q = &self.quorum;
        self.etcd
            .check(q.demotion_bound, q.clock_drift_ppm)
            .map_err(EtcdConfigError::Timers)
    }
}
