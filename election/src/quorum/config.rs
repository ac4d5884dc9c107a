//! Quorum-mode configuration (PROTOCOL 5.9.1): [`Config::quorum`] and its checks.

use super::{PersistedGrant, QuorumTimers, TimersError};
use crate::config::{Alone, Config, Mode, DEFAULT_FENCE_RETRY, DEFAULT_RETRY_BACKOFF};
use crate::config::{ConfigError, DEFAULT_STARTUP_WAIT};
use std::fmt;

/// Most members (witnesses included) a quorum-mode cluster has.
pub const MAX_MEMBERS: usize = 9;

/// A quorum-mode configuration [`Config::validate`] refuses
/// ([`ConfigError::Quorum`](crate::ConfigError)).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum QuorumConfigError {
    /// Fewer than 3 voters (members and witnesses).
    TooFewVoters(usize),
    /// More than [`MAX_MEMBERS`] members in all.
    TooManyMembers(usize),
    /// A witness index is not a member index, or is given twice.
    BadWitness(usize),
    /// Every member is a witness: nobody can serve.
    NoCandidate,
    /// The persisted grant names a member index out of range.
    BadPersistedGrant(usize),
    /// The timers break PROTOCOL 5.9.6.
    Timers(TimersError),
}

impl fmt::Display for QuorumConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuorumConfigError::TooFewVoters(n) => {
                write!(f, "quorum mode needs at least 3 voters, {n} configured")
            }
            QuorumConfigError::TooManyMembers(n) => {
                write!(f, "at most {MAX_MEMBERS} members, {n} configured")
            }
            QuorumConfigError::BadWitness(i) => {
                write!(f, "witness {i} is not a member index, or is listed twice")
            }
            QuorumConfigError::NoCandidate => write!(f, "every member is a witness"),
            QuorumConfigError::BadPersistedGrant(i) => {
                write!(
                    f,
                    "the persisted grant names member index {i}, not a member"
                )
            }
            QuorumConfigError::Timers(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for QuorumConfigError {}

impl Config {
    /// A quorum-mode configuration (PROTOCOL 5.9) with the defaults: no witness,
    /// [`QuorumTimers::default`], the persisted grant unknown (set
    /// [`Config::persisted`] from `state_dir/grant`), no fencing, `retry` =
    /// [`DEFAULT_RETRY_BACKOFF`](crate::DEFAULT_RETRY_BACKOFF), seq from 1.
    pub fn quorum(members: &[&str], me: usize) -> Self {
        Config {
            mode: Mode::Quorum,
            members: members.iter().map(|m| (*m).to_owned()).collect(),
            me,
            preempt: false,
            alone: Alone::Wait,
            startup_wait: DEFAULT_STARTUP_WAIT,
            retry_backoff: DEFAULT_RETRY_BACKOFF,
            first_correlation_id: 1,
            fence: false,
            fence_retry: DEFAULT_FENCE_RETRY,
            witnesses: Vec::new(),
            quorum: QuorumTimers::default(),
            persisted: PersistedGrant::Unknown,
            etcd: crate::etcd::EtcdTimers::default(),
        }
    }

    /// The quorum-mode checks of [`Config::validate`]: 3 voters or more, at most
    /// [`MAX_MEMBERS`], witnesses valid and not everyone, the timers of PROTOCOL 5.9.6.
    pub(crate) fn validate_quorum(&self) -> Result<(), QuorumConfigError> {
        let n = self.members.len();
        if n < 3 {
            return Err(QuorumConfigError::TooFewVoters(n));
        }
        if n > MAX_MEMBERS {
            return Err(QuorumConfigError::TooManyMembers(n));
        }
        for (k, w) in self.witnesses.iter().enumerate() {
            if *w >= n || self.witnesses[..k].contains(w) {
                return Err(QuorumConfigError::BadWitness(*w));
            }
        }
        if self.witnesses.len() == n {
            return Err(QuorumConfigError::NoCandidate);
        }
        if let PersistedGrant::Known(g) = self.persisted {
            if g.member.0 >= n {
                return Err(QuorumConfigError::BadPersistedGrant(g.member.0));
            }
        }
        self.quorum.check().map_err(QuorumConfigError::Timers)?;
        self.quorum
            .check_retry(self.retry_backoff)
            .map_err(QuorumConfigError::Timers)
    }

    /// Runs [`Config::validate_quorum`] in quorum mode (for [`Config::validate`]).
    pub(crate) fn validate_mode(&self) -> Result<(), ConfigError> {
        match self.mode {
            Mode::Pair if self.members.len() != 2 => {
                Err(ConfigError::MemberCount(self.members.len()))
            }
            Mode::Pair => Ok(()),
            Mode::Quorum => self.validate_quorum().map_err(ConfigError::Quorum),
            Mode::Etcd => self.validate_etcd().map_err(ConfigError::Etcd),
        }
    }
}
