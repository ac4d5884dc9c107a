//! Per-host clocks: each host's clock runs at its own rate, within `1 ± ρ` of real time
//! (`clock_drift_ppm` of the quorum timers, PROTOCOL 5.9.6), from its own origin. Everything
//! on a host (its node, its components, its status client) reads that clock; the world's
//! clock (network latencies, the agenda, the checks) is real time.

use super::rng::Rng;
use baton_core::Instant;
use std::time::Duration;

const PPM: i128 = 1_000_000;

/// A host's clock: `local(t) = origin + t × (1 + rate_ppm / 10⁶)`, `t` real time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostClock {
    /// Deviation of its rate from real time, in parts per million.
    pub rate_ppm: i64,
    /// Its reading at real time zero.
    pub origin: Duration,
}

impl HostClock {
    /// A clock at exactly real time (pair mode, and scenarios).
    pub const EXACT: HostClock = HostClock {
        rate_ppm: 0,
        origin: Duration::ZERO,
    };

    /// A clock whose rate is drawn in `[-ρ, +ρ]` (a quarter of the time at one of the two
    /// extremes, where the lease inequality is tightest) and whose origin is up to 100 s.
    pub fn draw(rng: &mut Rng, drift_ppm: u32) -> HostClock {
        let rho = i64::from(drift_ppm);
        let rate_ppm = if rng.chance(1, 4) {
            if rng.chance(1, 2) {
                rho
            } else {
                -rho
            }
        } else {
            rng.range(0, 2 * rho as u64) as i64 - rho
        };
        let origin = rng.duration(Duration::ZERO, Duration::from_secs(100));
        HostClock { rate_ppm, origin }
    }

    /// The host's reading at real time `t`.
    pub fn local(&self, t: Instant) -> Instant {
        let real = t.since_origin().as_nanos() as i128;
        let scaled = real * (PPM + i128::from(self.rate_ppm)) / PPM;
        Instant::from_duration(self.origin + nanos(scaled))
    }

    /// The earliest real time at which the host reads `local` or later (the origin if
    /// `local` is before it).
    pub fn real(&self, local: Instant) -> Instant {
        let since = local.since_origin().saturating_sub(self.origin).as_nanos() as i128;
        let rate = PPM + i128::from(self.rate_ppm);
        let mut t = Instant::from_duration(nanos((since * PPM + rate - 1) / rate));
        // Integer rounding: step until the reading is reached (at most a few nanoseconds).
        while self.local(t) < local {
            t += Duration::from_nanos(1);
        }
        t
    }
}

fn nanos(n: i128) -> Duration {
    Duration::from_nanos(u64::try_from(n.max(0)).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_inverts_local() {
        let mut rng = Rng::new(3);
        for _ in 0..200 {
            let c = HostClock::draw(&mut rng, 10_000);
            assert!(c.rate_ppm.abs() <= 10_000);
            let t = Instant::from_duration(rng.duration(Duration::ZERO, Duration::from_secs(60)));
            let l = c.local(t);
            let back = c.real(l);
            assert!(back <= t && c.local(back) >= l, "{c:?} {t:?}");
        }
        let fast = HostClock {
            rate_ppm: 10_000,
            origin: Duration::from_secs(1),
        };
        assert_eq!(
            fast.local(Instant::from_millis(1000)),
            Instant::from_millis(2010)
        );
        assert_eq!(
            fast.real(Instant::from_millis(2010)),
            Instant::from_millis(1000)
        );
    }
}
