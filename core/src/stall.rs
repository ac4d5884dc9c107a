//! The stall rule (PROTOCOL 4, *Stall grace*; 6.3; 6.4): silence counts only while the
//! listener was running.
//!
//! A process or host that was not scheduled (a virtual machine's steal time, say) finds at
//! resume that its timers expired while it could neither run nor read. Two rules keep such a
//! stall of the listener from being taken for the silence of the other side:
//!
//! - *Read before judging* (the drivers): a wake-up more than [`STALL_THRESHOLD`] after its
//!   deadline ([`woke_late`]) takes in every frame already received before running timers.
//! - *One grace after one's own stall* (the machines): a dead interval or watchdog that fires
//!   more than its [`StallRule::threshold`] late is extended once by [`StallRule::grace`]
//!   instead of judging the other side dead. A second expiry, late or not, judges; hearing the
//!   other side ends the grace ([`Graced::heard`]).
//!
//! Three machines apply the grace: the peer's dead interval (PROTOCOL 4, extended to
//! `now + grace`: [`StallRule::extend`]), a component's dead interval on the node
//! (PROTOCOL 6.4, the same) and the component's watchdog (PROTOCOL 6.3, moved to its
//! `deadline + grace` if still ahead: [`StallRule::extend_from_deadline`]).

use crate::Instant;
use std::time::Duration;

/// The drivers' stall threshold (PROTOCOL 4, 8): a timer wake-up more than this after its
/// deadline counts as a stall of the listener itself, so the driver reads before judging.
/// 2 ms: tokio's timers have a 1 ms granularity, and a busy host wakes a timer a millisecond
/// or so late without having stalled. It is also the floor of
/// [`default_stall_threshold`].
pub const STALL_THRESHOLD: Duration = Duration::from_millis(2);

/// Whether a wake-up `lateness` after its deadline counts as a stall of the listener
/// (more than [`STALL_THRESHOLD`]): read before judging (PROTOCOL 4).
pub fn is_stall(lateness: Duration) -> bool {
    lateness > STALL_THRESHOLD
}

/// Whether a timer due at `deadline` woke the listener at `now` more than [`STALL_THRESHOLD`]
/// late: the driver then takes in every frame already received before running its timers
/// (read before judging, PROTOCOL 4). On a timely wake-up timers run first.
pub fn woke_late(deadline: Instant, now: Instant) -> bool {
    is_stall(now.saturating_duration_since(deadline))
}

/// The machines' default stall threshold for a timer of `interval` (PROTOCOL 4, 6.3, 6.4): a
/// tenth of it, and at least [`STALL_THRESHOLD`].
pub fn default_stall_threshold(interval: Duration) -> Duration {
    (interval / 10).max(STALL_THRESHOLD)
}

/// One machine's stall grace (PROTOCOL 4, 6.3, 6.4): how late a timer must fire to count as
/// a stall of the machine itself, and how long the other side is then given to be heard.
///
/// The default (all zero) grants no grace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct StallRule {
    /// How late a timer must fire (strictly more than this) to count as a stall of the
    /// machine itself.
    pub threshold: Duration,
    /// How far the timer is extended; zero disables the grace.
    pub grace: Duration,
}

/// The per-timer state of a [`StallRule`]: whether a grace was granted since the other side
/// was last heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Graced(bool);

impl Graced {
    /// The other side was heard (or the timer starts afresh): a later stall earns a grace
    /// again.
    pub fn heard(&mut self) {
        self.0 = false;
    }

    /// Whether a grace was granted since the other side was last heard.
    pub fn is_granted(self) -> bool {
        self.0
    }
}

impl StallRule {
    /// The rule with the default threshold for a timer of `interval`
    /// ([`default_stall_threshold`]) and the given `grace`.
    pub fn for_interval(interval: Duration, grace: Duration) -> Self {
        StallRule {
            threshold: default_stall_threshold(interval),
            grace,
        }
    }

    /// Whether a timer due at `deadline` and handled at `now` fired more than the threshold
    /// late.
    pub fn fired_late(&self, deadline: Instant, now: Instant) -> bool {
        now.saturating_duration_since(deadline) > self.threshold
    }

    /// A dead interval due at `deadline` expired at `now` (PROTOCOL 4, 6.4): if it fired
    /// late and no grace was granted since the other side was last heard (`graced`), the
    /// grace is granted and the new deadline, `now + grace`, returned; `None` means judge now.
    pub fn extend(&self, graced: &mut Graced, deadline: Instant, now: Instant) -> Option<Instant> {
        self.grant(graced, deadline, now, now + self.grace)
    }

    /// A watchdog due at `deadline` expired at `now` (PROTOCOL 6.3): as [`StallRule::extend`],
    /// but the watchdog moves to `deadline + grace`, and only if that is still ahead of `now`,
    /// so that a running component never serves more than its dead interval plus the grace
    /// after it last heard its node.
    pub fn extend_from_deadline(
        &self,
        graced: &mut Graced,
        deadline: Instant,
        now: Instant,
    ) -> Option<Instant> {
        let until = deadline + self.grace;
        if until <= now {
            return None;
        }
        self.grant(graced, deadline, now, until)
    }

    fn grant(
        &self,
        graced: &mut Graced,
        deadline: Instant,
        now: Instant,
        until: Instant,
    ) -> Option<Instant> {
        if self.grace.is_zero() || graced.0 || !self.fired_late(deadline, now) {
            return None;
        }
        graced.0 = true;
        Some(until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Instant {
        Instant::from_millis(n)
    }

    const RULE: StallRule = StallRule {
        threshold: Duration::from_millis(10),
        grace: Duration::from_millis(100),
    };

    #[test]
    fn thresholds() {
        assert_eq!(
            default_stall_threshold(Duration::from_millis(100)),
            Duration::from_millis(10)
        );
        assert_eq!(
            default_stall_threshold(Duration::from_millis(10)),
            STALL_THRESHOLD
        );
        assert!(!woke_late(ms(100), ms(102)));
        assert!(woke_late(ms(100), ms(103)));
        assert!(!woke_late(ms(100), ms(50)));
        assert!(!RULE.fired_late(ms(100), ms(110)));
        assert!(RULE.fired_late(ms(100), ms(111)));
    }

    #[test]
    fn one_grace_until_heard() {
        let mut g = Graced::default();
        assert_eq!(RULE.extend(&mut g, ms(100), ms(110)), None, "on time");
        assert!(!g.is_granted());
        assert_eq!(RULE.extend(&mut g, ms(100), ms(150)), Some(ms(250)));
        assert!(g.is_granted());
        assert_eq!(RULE.extend(&mut g, ms(250), ms(400)), None, "second expiry");
        g.heard();
        assert_eq!(RULE.extend(&mut g, ms(500), ms(520)), Some(ms(620)));
    }

    #[test]
    fn zero_grace_grants_nothing() {
        let mut g = Graced::default();
        let off = StallRule {
            grace: Duration::ZERO,
            ..RULE
        };
        assert_eq!(off.extend(&mut g, ms(100), ms(500)), None);
        assert_eq!(off.extend_from_deadline(&mut g, ms(100), ms(500)), None);
        assert!(!g.is_granted());
    }

    #[test]
    fn watchdog_moves_from_its_deadline_while_ahead() {
        let mut g = Graced::default();
        assert_eq!(
            RULE.extend_from_deadline(&mut g, ms(100), ms(150)),
            Some(ms(200))
        );
        let mut g = Graced::default();
        assert_eq!(RULE.extend_from_deadline(&mut g, ms(100), ms(200)), None);
        assert!(!g.is_granted(), "a grace already past is not granted");
    }
}
