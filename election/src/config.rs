//! Static configuration of one member's Election.

use baton_asn1::validate::MAX_ID_CHARS;
use std::fmt;
use std::time::Duration;

/// A member of the cluster, as its index in [`Config::members`] (0 = highest priority).
///
/// The composer maps a peer link's hello (the member id) to this index; the Election never
/// sees member ids, only indices and the `Candidate` names of [`Config::members`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Member(pub usize);

impl fmt::Display for Member {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "member#{}", self.0)
    }
}

/// What a `Negotiating` node does when it stays alone for [`Config::startup_wait`]
/// (PROTOCOL 5.6, *Startup*).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Alone {
    /// Promote itself: the service runs even if the peer never comes (the default).
    #[default]
    Promote,
    /// Stay `Negotiating` until the peer's link comes up.
    Wait,
}

/// The election algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// Two members, nothing persisted (PROTOCOL 5.1 to 5.8).
    #[default]
    Pair,
    /// Three to nine voters, rounds, persisted grants and leases (PROTOCOL 5.9).
    Quorum,
    /// One to nine members campaigning for a leader key in etcd on leases (PROTOCOL 5.12).
    Etcd,
}

/// Configuration of one member's Election. Identical across members except [`Config::me`]
/// (and [`Config::first_correlation_id`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Config {
    /// The election algorithm.
    pub mode: Mode,
    /// Every member's `Candidate` name, in priority order, highest first.
    pub members: Vec<String>,
    /// This node's index in `members`.
    pub me: usize,
    /// Whether an Active/Promoting node yields to a higher-priority member that nominates
    /// itself (PROTOCOL 5.5, "with `preempt`").
    pub preempt: bool,
    /// What to do when alone for `startup_wait`.
    pub alone: Alone,
    /// How long a `Negotiating` node waits alone before [`Config::alone`] applies (default:
    /// the dead interval, 300 ms).
    pub startup_wait: Duration,
    /// Delay before a nomination answered by `electionError` is sent again (default 100 ms).
    pub retry_backoff: Duration,
    /// First `seq` of this node's `correlationId`s, modulo 65536 (PROTOCOL 2.3). A driver may
    /// seed it (from the clock, say) so that ids differ across restarts; 1 by default.
    pub first_correlation_id: u64,
    /// Fencing (PROTOCOL 5.10): before a promotion without the active's agreement, emit
    /// [`Event::Fence`](crate::Event::Fence) and promote only once it succeeded. Off by default.
    pub fence: bool,
    /// Delay before a failed fencing is tried again (default [`DEFAULT_FENCE_RETRY`]).
    pub fence_retry: Duration,
    /// Quorum mode: the members that are witnesses (indices into `members`): they vote,
    /// never stand, never serve (PROTOCOL 5.9.1).
    pub witnesses: Vec<usize>,
    /// Quorum mode: the timers (PROTOCOL 5.9.6).
    pub quorum: crate::quorum::QuorumTimers,
    /// Quorum mode: the grant read from `state_dir/grant` at start (PROTOCOL 5.9.3).
    pub persisted: crate::quorum::PersistedGrant,
    /// Etcd mode: the lease TTL and the round-trip bound (PROTOCOL 5.12.4); the demotion
    /// bound, clock drift and stagger are those of [`Config::quorum`].
    pub etcd: crate::etcd::EtcdTimers,
}

/// Default of [`Config::startup_wait`]: the default dead interval (3 × 100 ms).
pub const DEFAULT_STARTUP_WAIT: Duration = Duration::from_millis(300);
/// Default of [`Config::retry_backoff`]: one heartbeat interval.
pub const DEFAULT_RETRY_BACKOFF: Duration = Duration::from_millis(100);
/// Default of [`Config::fence_retry`]: 1 s.
pub const DEFAULT_FENCE_RETRY: Duration = Duration::from_secs(1);

impl Config {
    /// A pair-mode configuration with the defaults: no preempt, promote when alone,
    /// [`DEFAULT_STARTUP_WAIT`], [`DEFAULT_RETRY_BACKOFF`], correlation ids from 1, no
    /// fencing ([`DEFAULT_FENCE_RETRY`]).
    pub fn pair(members: [&str; 2], me: usize) -> Self {
        Config {
            mode: Mode::Pair,
            members: members.iter().map(|m| (*m).to_owned()).collect(),
            me,
            preempt: false,
            alone: Alone::Promote,
            startup_wait: DEFAULT_STARTUP_WAIT,
            retry_backoff: DEFAULT_RETRY_BACKOFF,
            first_correlation_id: 1,
            fence: false,
            fence_retry: DEFAULT_FENCE_RETRY,
            witnesses: Vec::new(),
            quorum: crate::quorum::QuorumTimers::default(),
            persisted: crate::quorum::PersistedGrant::Unknown,
            etcd: crate::etcd::EtcdTimers::default(),
        }
    }

    /// Checks the configuration: exactly two members in pair mode (quorum mode: 3 to 9
    /// voters, valid witnesses, the timers of PROTOCOL 5.9.6), names unique, 1 to 16
    /// characters (ASN.1 `Candidate`), `me` in range, non-zero back-off.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_mode()?;
        if self.me >= self.members.len() {
            return Err(ConfigError::MeOutOfRange(self.me));
        }
        for (i, name) in self.members.iter().enumerate() {
            let chars = name.chars().count();
            if chars == 0 || chars > MAX_ID_CHARS {
                return Err(ConfigError::BadName(name.clone()));
            }
            if self.members[..i].contains(name) {
                return Err(ConfigError::DuplicateName(name.clone()));
            }
        }
        if self.retry_backoff.is_zero() || self.fence_retry.is_zero() {
            return Err(ConfigError::ZeroBackoff);
        }
        Ok(())
    }

    /// The `Candidate` name of `m`.
    pub fn name(&self, m: Member) -> &str {
        &self.members[m.0]
    }

    /// The member named `name`, if any.
    pub fn member_named(&self, name: &str) -> Option<Member> {
        self.members.iter().position(|n| n == name).map(Member)
    }

    /// Whether `a` has a higher priority than `b` (comes first in `members`).
    pub fn outranks(&self, a: Member, b: Member) -> bool {
        a.0 < b.0
    }
}

/// A configuration [`Config::validate`] refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// Pair mode needs exactly two members; this many were given.
    MemberCount(usize),
    /// `me` is not an index into `members`.
    MeOutOfRange(usize),
    /// A name is empty or longer than 16 characters.
    BadName(String),
    /// Two members have this name.
    DuplicateName(String),
    /// `retry_backoff` or `fence_retry` is zero (a busy loop of retries).
    ZeroBackoff,
    /// A quorum-mode check failed (PROTOCOL 5.9.1, 5.9.6).
    Quorum(crate::quorum::QuorumConfigError),
    /// Etcd mode: witnesses, or timers that break PROTOCOL 5.12.4.
    Etcd(crate::etcd::EtcdConfigError),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::MemberCount(n) => {
                write!(f, "pair mode needs exactly 2 members, {n} configured")
            }
            ConfigError::MeOutOfRange(i) => write!(f, "me = {i} is not a member index"),
            ConfigError::BadName(n) => {
                write!(
                    f,
                    "member name {n:?} must have 1 to {MAX_ID_CHARS} characters"
                )
            }
            ConfigError::DuplicateName(n) => write!(f, "member name {n:?} is used twice"),
            ConfigError::Quorum(e) => write!(f, "{e}"),
            ConfigError::Etcd(e) => write!(f, "{e}"),
            ConfigError::ZeroBackoff => {
                write!(f, "retry_backoff and fence_retry must not be zero")
            }
        }
    }
}

impl std::error::Error for ConfigError {}
