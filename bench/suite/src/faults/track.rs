//! Dual-active tracking for N members: when did two instances of one service serve at once,
//! and for how long. Pure: the harness passes the time (since its origin) of every change.
//!
//! A service is a component (the linked one, the script one); each serving member runs one
//! instance of each. A *moment* is an instance starting to serve while another instance of the
//! same service serves; the *overlap* is the time two or more served at once.

use std::time::Duration;

/// An instance that started to serve while another instance of its service was serving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moment {
    /// The service.
    pub service: usize,
    /// The member whose instance started to serve.
    pub member: usize,
    /// When, since the harness's origin.
    pub at: Duration,
}

/// What happened since the last [`Tracker::take`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overlaps {
    /// Every dual-active moment, in order.
    pub moments: Vec<Moment>,
    /// Total time two or more instances of one service served at once (summed over services).
    pub overlap: Duration,
    /// The longest single overlap (from two serving to fewer than two), of those that ended or
    /// were cut by the take.
    pub longest: Duration,
}

/// Follows which instances serve.
#[derive(Debug, Clone)]
pub struct Tracker {
    /// Per service, per member: serving since when.
    serving: Vec<Vec<Option<Duration>>>,
    /// Per service: two or more have served since when, and since the overlap began.
    both_since: Vec<Option<(Duration, Duration)>>,
    pending: Overlaps,
}

impl Tracker {
    /// A tracker of `services` services on `members` members, none serving.
    pub fn new(services: usize, members: usize) -> Tracker {
        Tracker {
            serving: vec![vec![None; members]; services],
            both_since: vec![None; services],
            pending: Overlaps::default(),
        }
    }

    /// Whether the instance of `service` on `member` serves.
    pub fn is_serving(&self, service: usize, member: usize) -> bool {
        self.serving
            .get(service)
            .and_then(|s| s.get(member))
            .is_some_and(Option::is_some)
    }

    /// Since when the instance of `service` on `member` serves.
    pub fn serving_since(&self, service: usize, member: usize) -> Option<Duration> {
        self.serving.get(service)?.get(member).copied().flatten()
    }

    fn count(&self, service: usize) -> usize {
        self.serving[service].iter().filter(|s| s.is_some()).count()
    }

    /// The instance starts to serve at `at`; `true` if it was not serving. Unknown indices
    /// are ignored.
    pub fn start(&mut self, service: usize, member: usize, at: Duration) -> bool {
        if self.is_serving(service, member)
            || self.serving.get(service).is_none_or(|s| member >= s.len())
        {
            return false;
        }
        let others = self.count(service);
        self.serving[service][member] = Some(at);
        if others > 0 {
            self.pending.moments.push(Moment {
                service,
                member,
                at,
            });
            if self.both_since[service].is_none() {
                self.both_since[service] = Some((at, at));
            }
        }
        true
    }

    /// The instance stops serving at `at`; `true` if it was serving.
    pub fn stop(&mut self, service: usize, member: usize, at: Duration) -> bool {
        if !self.is_serving(service, member) {
            return false;
        }
        self.serving[service][member] = None;
        if self.count(service) < 2 {
            if let Some((since, began)) = self.both_since[service].take() {
                self.pending.overlap += at.saturating_sub(since);
                self.pending.longest = self.pending.longest.max(at.saturating_sub(began));
            }
        }
        true
    }

    /// The moments and overlap since the last take; an overlap still going on is counted up
    /// to `at` (its length so far goes into `longest`), the rest of it goes to the next take.
    pub fn take(&mut self, at: Duration) -> Overlaps {
        for (since, began) in self.both_since.iter_mut().flatten() {
            self.pending.overlap += at.saturating_sub(*since);
            self.pending.longest = self.pending.longest.max(at.saturating_sub(*began));
            *since = at.max(*since);
        }
        std::mem::take(&mut self.pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_handover_between_three_members_is_no_moment() {
        let mut t = Tracker::new(2, 3);
        assert!(t.start(0, 0, ms(0)));
        assert!(t.start(1, 0, ms(0)));
        assert!(t.stop(0, 0, ms(10)));
        assert!(t.stop(1, 0, ms(11)));
        assert!(t.start(0, 2, ms(12)));
        assert!(t.start(1, 2, ms(13)));
        assert_eq!(t.serving_since(1, 2), Some(ms(13)));
        assert_eq!(t.take(ms(20)), Overlaps::default());
    }

    #[test]
    fn overlaps_are_timed_until_fewer_than_two_serve() {
        let mut t = Tracker::new(1, 3);
        t.start(0, 0, ms(0));
        t.start(0, 1, ms(5));
        t.start(0, 2, ms(6));
        assert!(t.stop(0, 0, ms(8)));
        // Still two serving: the overlap goes on.
        assert!(t.stop(0, 1, ms(12)));
        let o = t.take(ms(50));
        assert_eq!(
            o.moments,
            vec![
                Moment {
                    service: 0,
                    member: 1,
                    at: ms(5)
                },
                Moment {
                    service: 0,
                    member: 2,
                    at: ms(6)
                }
            ]
        );
        assert_eq!((o.overlap, o.longest), (ms(7), ms(7)));
        assert_eq!(t.take(ms(60)), Overlaps::default());
    }

    #[test]
    fn an_overlap_in_progress_is_split_between_takes() {
        let mut t = Tracker::new(1, 2);
        t.start(0, 1, ms(100));
        t.start(0, 0, ms(110));
        let first = t.take(ms(130));
        assert_eq!((first.moments.len(), first.overlap), (1, ms(20)));
        t.stop(0, 1, ms(135));
        let second = t.take(ms(200));
        assert_eq!(
            (second.moments.len(), second.overlap, second.longest),
            (0, ms(5), ms(25))
        );
    }

    #[test]
    fn repeated_and_unknown_changes_change_nothing() {
        let mut t = Tracker::new(1, 2);
        assert!(t.start(0, 0, ms(0)));
        assert!(!t.start(0, 0, ms(1)));
        assert!(!t.start(0, 2, ms(1)));
        assert!(!t.start(1, 0, ms(1)));
        assert!(!t.stop(0, 1, ms(2)));
        assert!(!t.stop(4, 4, ms(2)));
        assert_eq!(t.take(ms(3)), Overlaps::default());
    }
}
