//! Etcd-mode timers (PROTOCOL 5.12.4): the lease TTL, the bound on one etcd round trip, and
//! the inequality [`EtcdTimers::check`] enforces so that the active stands its components
//! down before its lease can expire in etcd.

use std::fmt;
use std::time::Duration;

/// The timers of etcd mode. Identical on every member of a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EtcdTimers {
    /// The lease's time to live, asked of etcd (whole seconds: etcd grants seconds).
    pub ttl: Duration,
    /// The longest an etcd request may take before the driver counts it failed: the
    /// round trip that enters the inequality.
    pub request_timeout: Duration,
}

/// Default [`EtcdTimers::ttl`]: 2 s (etcd's smallest TTL with its default election timeout).
pub const DEFAULT_ETCD_TTL: Duration = Duration::from_secs(2);
/// Default [`EtcdTimers::request_timeout`]: 200 ms.
pub const DEFAULT_ETCD_REQUEST_TIMEOUT: Duration = Duration::from_millis(200);

impl Default for EtcdTimers {
    fn default() -> Self {
        EtcdTimers {
            ttl: DEFAULT_ETCD_TTL,
            request_timeout: DEFAULT_ETCD_REQUEST_TIMEOUT,
        }
    }
}

const PPM: u128 = 1_000_000;

fn from_nanos(n: u128) -> Duration {
    Duration::from_nanos(u64::try_from(n).unwrap_or(u64::MAX))
}

impl EtcdTimers {
    /// The renewal period: a third of the TTL.
    pub fn renew(&self) -> Duration {
        self.ttl / 3
    }

    /// `L_a = (TTL / (1 + ρ) − D) × (1 − ρ)`: how long, by its own clock, the active may
    /// serve after the send time of its latest renewal that etcd answered. etcd received
    /// that renewal after it was sent and keeps the lease `TTL` of its clock, at least
    /// `TTL/(1+ρ)` of real time; the active demotes by `L_a/(1−ρ)` of real time and its
    /// components have stopped `D` later: before the key can go.
    pub fn active_lease(&self, demotion_bound: Duration, clock_drift_ppm: u32) -> Duration {
        let p = u128::from(clock_drift_ppm).min(PPM / 2);
        let ttl = self.ttl.as_nanos() * PPM / (PPM + p);
        let room = ttl.saturating_sub(demotion_bound.as_nanos());
        from_nanos(room * (PPM - p) / PPM)
    }

    /// The smallest `L_a` that lets one renewal fail and the next one, sent a period later
    /// and answered within the round trip, still keep the service:
    /// `2 × TTL/3 + request_timeout`.
    pub fn needed_lease(&self) -> Duration {
        self.renew() * 2 + self.request_timeout
    }

    /// PROTOCOL 5.12.4: the TTL in whole seconds (at least 1 s), a non-zero round trip,
    /// and `2 × TTL/3 + request_timeout ≤ L_a` with `L_a` from [`EtcdTimers::active_lease`].
    pub fn check(
        &self,
        demotion_bound: Duration,
        clock_drift_ppm: u32,
    ) -> Result<(), EtcdTimersError> {
        if self.ttl.as_nanos() % 1_000_000_000 != 0 || self.ttl.is_zero() {
            return Err(EtcdTimersError::TtlNotSeconds(self.ttl));
        }
        if self.request_timeout.is_zero() {
            return Err(EtcdTimersError::ZeroRequestTimeout);
        }
        let active_lease = self.active_lease(demotion_bound, clock_drift_ppm);
        if self.needed_lease() > active_lease {
            return Err(EtcdTimersError::Lease {
                ttl: self.ttl,
                request_timeout: self.request_timeout,
                demotion_bound,
                clock_drift_ppm,
                active_lease,
                needed: self.needed_lease(),
            });
        }
        Ok(())
    }
}

/// Etcd timers that [`EtcdTimers::check`] refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EtcdTimersError {
    /// etcd grants leases in whole seconds.
    TtlNotSeconds(Duration),
    /// `request_timeout` is zero.
    ZeroRequestTimeout,
    /// The inequality of PROTOCOL 5.12.4 is broken.
    Lease {
        /// The TTL.
        ttl: Duration,
        /// The round-trip bound.
        request_timeout: Duration,
        /// `D`.
        demotion_bound: Duration,
        /// `ρ`.
        clock_drift_ppm: u32,
        /// `L_a` these give.
        active_lease: Duration,
        /// `2 × TTL/3 + request_timeout`.
        needed: Duration,
    },
}

impl fmt::Display for EtcdTimersError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EtcdTimersError::TtlNotSeconds(t) => write!(
                f,
                "etcd ttl_ms {} is not a whole number of seconds of at least 1000 (etcd grants seconds)",
                t.as_millis()
            ),
            EtcdTimersError::ZeroRequestTimeout => write!(f, "etcd request_timeout_ms is 0"),
            EtcdTimersError::Lease {
                ttl,
                request_timeout,
                demotion_bound,
                clock_drift_ppm,
                active_lease,
                needed,
            } => write!(
                f,
                "etcd lease inequality broken: ttl {:.3} ms gives the active {:.3} ms of service \
                 after a renewal ((ttl / (1 + {clock_drift_ppm} ppm) - demotion_bound {:.3} ms) \
                 x (1 - {clock_drift_ppm} ppm)), less than two renewal periods plus \
                 request_timeout {:.3} ms = {:.3} ms; raise ttl_ms or lower demotion_bound_ms \
                 or request_timeout_ms",
                ms(*ttl),
                ms(*active_lease),
                ms(*demotion_bound),
                ms(*request_timeout),
                ms(*needed)
            ),
        }
    }
}

impl std::error::Error for EtcdTimersError {}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_hold_and_give_the_documented_lease() {
        let t = EtcdTimers::default();
        assert_eq!(t.check(Duration::from_millis(300), 10_000), Ok(()));
        // (2000/1.01 - 300) x 0.99 = 1663.4 ms
        let l = t.active_lease(Duration::from_millis(300), 10_000);
        assert_eq!(l.as_millis(), 1663);
        assert_eq!(t.renew(), Duration::from_nanos(666_666_666));
    }

    #[test]
    fn refuses_a_long_demotion_bound_and_odd_ttls() {
        let t = EtcdTimers::default();
        let e = t.check(Duration::from_millis(500), 10_000).unwrap_err();
        assert!(matches!(e, EtcdTimersError::Lease { .. }), "{e}");
        assert!(
            e.to_string().contains("etcd lease inequality broken"),
            "{e}"
        );
        let odd = EtcdTimers {
            ttl: Duration::from_millis(1500),
            ..t
        };
        assert_eq!(
            odd.check(Duration::from_millis(300), 10_000),
            Err(EtcdTimersError::TtlNotSeconds(Duration::from_millis(1500)))
        );
        let zero = EtcdTimers {
            request_timeout: Duration::ZERO,
            ..t
        };
        assert_eq!(
            zero.check(Duration::from_millis(300), 10_000),
            Err(EtcdTimersError::ZeroRequestTimeout)
        );
    }
}
