//! Quorum-mode timers (PROTOCOL 5.9.6): their configuration, the lease inequality that
//! [`QuorumTimers::check`] enforces, and the Election's named quorum timers.

use baton_core::Timers;
use std::fmt;
use std::time::Duration;

/// The timers of quorum mode (PROTOCOL 5.9.6). Identical on every member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QuorumTimers {
    /// `L_v`: how long a voter's grant binds it (it grants nobody else meanwhile) after the
    /// grant or the latest renewal it answered.
    pub voter_lease: Duration,
    /// `L_a`: how long a serving member may serve after the send time of the latest
    /// renewal answered by a quorum.
    pub active_lease: Duration,
    /// Period of a serving member's renewals \[Q9\].
    pub renew: Duration,
    /// Delay after every voter lease has ended before the highest-priority member stands.
    pub election_timeout: Duration,
    /// Added per member before this one in priority order that may serve (witnesses not
    /// counted), except the member last known serving, which adds `election_timeout`
    /// instead (PROTOCOL 5.9.5): the first backup after a failure waits none of it; at
    /// startup (nobody known serving) rank `k` waits `k × stagger` more: the margin by which
    /// priority order holds when members start apart or their timers fire late.
    pub stagger: Duration,
    /// `D`: the longest real time from the start of a demotion until the components have
    /// stopped serving (the component watchdog bound of PROTOCOL 6.3 included).
    pub demotion_bound: Duration,
    /// `ρ` in parts per million: the largest deviation of any member's clock rate.
    pub clock_drift_ppm: u32,
}

/// Default [`QuorumTimers::voter_lease`]: 800 ms.
pub const DEFAULT_VOTER_LEASE: Duration = Duration::from_millis(800);
/// Default [`QuorumTimers::active_lease`]: 450 ms.
pub const DEFAULT_ACTIVE_LEASE: Duration = Duration::from_millis(450);
/// Default [`QuorumTimers::renew`]: 100 ms.
pub const DEFAULT_RENEW: Duration = Duration::from_millis(100);
/// Default [`QuorumTimers::election_timeout`]: 50 ms.
pub const DEFAULT_ELECTION_TIMEOUT: Duration = Duration::from_millis(50);
/// Default [`QuorumTimers::stagger`]: 300 ms (PROTOCOL 5.9.6: priority order at startup on a
/// loaded host; the first backup's failover does not wait it).
pub const DEFAULT_STAGGER: Duration = Duration::from_millis(300);
/// Default [`QuorumTimers::demotion_bound`]: 300 ms.
pub const DEFAULT_DEMOTION_BOUND: Duration = Duration::from_millis(300);
/// Default [`QuorumTimers::clock_drift_ppm`]: 10,000 ppm (1 %).
pub const DEFAULT_CLOCK_DRIFT_PPM: u32 = 10_000;

impl Default for QuorumTimers {
    fn default() -> Self {
        QuorumTimers {
            voter_lease: DEFAULT_VOTER_LEASE,
            active_lease: DEFAULT_ACTIVE_LEASE,
            renew: DEFAULT_RENEW,
            election_timeout: DEFAULT_ELECTION_TIMEOUT,
            stagger: DEFAULT_STAGGER,
            demotion_bound: DEFAULT_DEMOTION_BOUND,
            clock_drift_ppm: DEFAULT_CLOCK_DRIFT_PPM,
        }
    }
}

const PPM: u128 = 1_000_000;

fn nanos(d: Duration) -> u128 {
    d.as_nanos()
}

fn from_nanos(n: u128) -> Duration {
    Duration::from_nanos(u64::try_from(n).unwrap_or(u64::MAX))
}

impl QuorumTimers {
    /// `L_a / (1 − ρ) + D`: the longest real time a member may still serve, counted from
    /// the send time of its latest renewal answered by a quorum.
    pub fn serve_bound(&self) -> Duration {
        let p = u128::from(self.clock_drift_ppm).min(PPM - 1);
        from_nanos(nanos(self.active_lease) * PPM / (PPM - p) + nanos(self.demotion_bound))
    }

    /// `L_v / (1 + ρ)`: the shortest real time a voter's lease lasts.
    pub fn voter_bound(&self) -> Duration {
        let p = u128::from(self.clock_drift_ppm);
        from_nanos(nanos(self.voter_lease) * PPM / (PPM + p))
    }

    /// The largest `L_a` the inequality allows with these `L_v`, `D` and `ρ`:
    /// `(L_v / (1 + ρ) − D) × (1 − ρ)` (zero if `D` alone is too long).
    pub fn max_active_lease(&self) -> Duration {
        let p = u128::from(self.clock_drift_ppm).min(PPM);
        let room = nanos(self.voter_bound()).saturating_sub(nanos(self.demotion_bound));
        from_nanos(room * (PPM - p) / PPM)
    }

    /// PROTOCOL 5.9.6: `L_a/(1−ρ) + D ≤ L_v/(1+ρ)`, `renew ≤ L_a/3`, and no zero period.
    /// The error carries the numbers (`baton check-config` prints them). `retry < L_a/2` is
    /// [`QuorumTimers::check_retry`].
    pub fn check(&self) -> Result<(), TimersError> {
        for (name, d) in [
            ("voter_lease", self.voter_lease),
            ("active_lease", self.active_lease),
            ("renew", self.renew),
        ] {
            if d.is_zero() {
                return Err(TimersError::Zero(name));
            }
        }
        if u128::from(self.clock_drift_ppm) >= PPM / 2 {
            return Err(TimersError::Drift(self.clock_drift_ppm));
        }
        let (serve, voter) = (self.serve_bound(), self.voter_bound());
        // The exact test, in integers: L_a(1+ρ) + D(1−ρ)(1+ρ) ≤ L_v(1−ρ), times 10^12.
        let p = u128::from(self.clock_drift_ppm);
        let lhs = nanos(self.active_lease) * (PPM + p) * PPM
            + nanos(self.demotion_bound) * (PPM - p) * (PPM + p);
        let rhs = nanos(self.voter_lease) * (PPM - p) * PPM;
        if lhs > rhs {
            return Err(TimersError::Lease {
                active_lease: self.active_lease,
                demotion_bound: self.demotion_bound,
                voter_lease: self.voter_lease,
                clock_drift_ppm: self.clock_drift_ppm,
                serve_bound: serve,
                voter_bound: voter,
                max_active_lease: self.max_active_lease(),
            });
        }
        if self.renew * 3 > self.active_lease {
            return Err(TimersError::Renew {
                renew: self.renew,
                max: self.active_lease / 3,
            });
        }
        Ok(())
    }

    /// PROTOCOL 5.9.6: a candidate's `retry` (the Election's
    /// [`Config::retry_backoff`](crate::Config::retry_backoff)) must be under `L_a / 2`.
    pub fn check_retry(&self, retry: Duration) -> Result<(), TimersError> {
        if retry * 2 >= self.active_lease {
            return Err(TimersError::Retry {
                retry,
                limit: self.active_lease / 2,
            });
        }
        Ok(())
    }
}

/// Quorum timers that break PROTOCOL 5.9.6, with the numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TimersError {
    /// A period that must not be zero is zero (its name).
    Zero(&'static str),
    /// `ρ` of 50 % or more is not a clock.
    Drift(u32),
    /// `L_a/(1−ρ) + D > L_v/(1+ρ)`: a member could still serve after a voter's lease ended.
    Lease {
        /// `L_a`.
        active_lease: Duration,
        /// `D`.
        demotion_bound: Duration,
        /// `L_v`.
        voter_lease: Duration,
        /// `ρ` in ppm.
        clock_drift_ppm: u32,
        /// `L_a/(1−ρ) + D`.
        serve_bound: Duration,
        /// `L_v/(1+ρ)`.
        voter_bound: Duration,
        /// The largest `L_a` these `L_v`, `D`, `ρ` allow.
        max_active_lease: Duration,
    },
    /// `renew > L_a/3`.
    Renew {
        /// `renew`.
        renew: Duration,
        /// `L_a/3`.
        max: Duration,
    },
    /// `retry ≥ L_a/2`.
    Retry {
        /// `retry`.
        retry: Duration,
        /// `L_a/2` (retry must be below it).
        limit: Duration,
    },
}

fn ms(d: Duration) -> String {
    let us = d.as_micros();
    format!("{}.{:03} ms", us / 1000, us % 1000)
}

impl fmt::Display for TimersError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimersError::Zero(name) => write!(f, "quorum timer {name} must not be zero"),
            TimersError::Drift(p) => write!(f, "clock drift {p} ppm must be under 500000 ppm"),
            TimersError::Lease {
                active_lease,
                demotion_bound,
                voter_lease,
                clock_drift_ppm,
                serve_bound,
                voter_bound,
                max_active_lease,
            } => write!(
                f,
                "lease inequality broken: active_lease {} / (1 - {clock_drift_ppm} ppm) + \
                 demotion_bound {} = {} exceeds voter_lease {} / (1 + {clock_drift_ppm} ppm) \
                 = {}; with these, active_lease must be at most {}",
                ms(*active_lease),
                ms(*demotion_bound),
                ms(*serve_bound),
                ms(*voter_lease),
                ms(*voter_bound),
                ms(*max_active_lease),
            ),
            TimersError::Renew { renew, max } => write!(
                f,
                "renew {} exceeds active_lease / 3 = {}",
                ms(*renew),
                ms(*max)
            ),
            TimersError::Retry { retry, limit } => write!(
                f,
                "retry {} must be under active_lease / 2 = {}",
                ms(*retry),
                ms(*limit)
            ),
        }
    }
}

impl std::error::Error for TimersError {}

/// The Election's quorum-mode timers. Declared in the order they expire when due at the same
/// instant: a lease ends before anything that depends on it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum QTimer {
    /// The serving member's lease ends: demote silently \[Q9\].
    ActiveLease,
    /// The voter's lease (or its abstention) ends \[Q2\] \[Q3\].
    VoterLease,
    /// The candidacy is void at `t_s + L_a` \[Q4\].
    CandidacyVoid,
    /// Send the renewals \[Q9\] or the candidacy's nominations again.
    Resend,
    /// The election timer \[Q8\]: stand as a candidate.
    Election,
    /// Emit `Event::Fence` again after a failed fencing.
    FenceRetry,
}

/// The quorum timer table.
pub(crate) type QTimerTable = Timers<QTimer>;
