//! Dual-active tracking: when did two instances of one service serve at once, and for how
//! long. Pure: the harness passes the time (as time since its origin) of every change.
//!
//! A service is a component id; its two instances live on the two nodes. An instance serves
//! from the moment it receives `setRole(active)` until it receives `setRole(standby)` or
//! stands down by itself (watchdog). A *moment* is an instance starting to serve while its
//! twin serves; the *overlap* is the time both served.

use std::time::Duration;

/// An instance that started to serve while its twin was serving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moment {
    /// The service (component index).
    pub service: usize,
    /// The node whose instance started to serve (its twin, on the other node, was serving).
    pub node: usize,
    /// When, since the harness's origin.
    pub at: Duration,
}

/// What happened since the last [`Tracker::take`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overlaps {
    /// Every dual-active moment, in order.
    pub moments: Vec<Moment>,
    /// Total time two instances of one service served at once (summed over services).
    pub overlap: Duration,
}

/// Follows which instances serve; counts dual-active moments and overlap time.
#[derive(Debug, Clone)]
pub struct Tracker {
    /// Per service, per node: serving since when.
    serving: Vec<[Option<Duration>; 2]>,
    /// Per service: both instances have been serving since when (counted up to the last take).
    both_since: Vec<Option<Duration>>,
    pending: Overlaps,
}

impl Tracker {
    /// A tracker of `services` services, none serving.
    pub fn new(services: usize) -> Tracker {
        Tracker {
            serving: vec![[None, None]; services],
            both_since: vec![None; services],
            pending: Overlaps::default(),
        }
    }

    /// Whether the instance of `service` on `node` serves.
    pub fn is_serving(&self, service: usize, node: usize) -> bool {
        self.serving
            .get(service)
            .and_then(|s| s.get(node))
            .is_some_and(Option::is_some)
    }

    /// The instance of `service` on `node` starts to serve at `at`. `true` if it was not
    /// serving (a change); a second start changes nothing. Unknown indices are ignored.
    pub fn start(&mut self, service: usize, node: usize, at: Duration) -> bool {
        if node > 1 || self.is_serving(service, node) {
            return false;
        }
        let Some(pair) = self.serving.get_mut(service) else {
            return false;
        };
        pair[node] = Some(at);
        if pair[1 - node].is_some() {
            self.pending.moments.push(Moment { service, node, at });
            self.both_since[service] = Some(at);
        }
        true
    }

    /// The instance of `service` on `node` stops serving at `at`. `true` if it was serving.
    pub fn stop(&mut self, service: usize, node: usize, at: Duration) -> bool {
        if node > 1 || !self.is_serving(service, node) {
            return false;
        }
        self.serving[service][node] = None;
        if let Some(since) = self.both_since[service].take() {
            self.pending.overlap += at.saturating_sub(since);
        }
        true
    }

    /// The moments and overlap since the last take. An overlap still going on is counted up
    /// to `at`; the rest of it goes to the next take.
    pub fn take(&mut self, at: Duration) -> Overlaps {
        for since in self.both_since.iter_mut().flatten() {
            self.pending.overlap += at.saturating_sub(*since);
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
    fn a_clean_handover_is_no_moment() {
        let mut t = Tracker::new(2);
        assert!(t.start(0, 0, ms(0)));
        assert!(t.start(1, 0, ms(0)));
        assert!(t.stop(0, 0, ms(10)));
        assert!(t.stop(1, 0, ms(10)));
        assert!(t.start(0, 1, ms(11)));
        assert!(t.start(1, 1, ms(12)));
        assert!(t.is_serving(0, 1) && !t.is_serving(0, 0));
        assert_eq!(t.take(ms(20)), Overlaps::default());
    }

    #[test]
    fn starting_beside_a_serving_twin_is_a_moment_and_overlap_is_timed() {
        let mut t = Tracker::new(2);
        t.start(0, 0, ms(0));
        t.start(0, 1, ms(5));
        // Another service on its own: no moment.
        t.start(1, 1, ms(6));
        assert!(t.stop(0, 0, ms(12)));
        let o = t.take(ms(50));
        assert_eq!(
            o.moments,
            vec![Moment {
                service: 0,
                node: 1,
                at: ms(5)
            }]
        );
        assert_eq!(o.overlap, ms(7));
        // Taken: nothing left.
        assert_eq!(t.take(ms(60)), Overlaps::default());
    }

    #[test]
    fn repeated_starts_and_stops_change_nothing() {
        let mut t = Tracker::new(1);
        assert!(t.start(0, 0, ms(0)));
        assert!(!t.start(0, 0, ms(1)));
        assert!(t.start(0, 1, ms(2)));
        assert!(!t.start(0, 1, ms(3)));
        assert!(t.stop(0, 1, ms(4)));
        assert!(!t.stop(0, 1, ms(5)));
        let o = t.take(ms(6));
        assert_eq!(o.moments.len(), 1);
        assert_eq!(o.overlap, ms(2));
    }

    #[test]
    fn an_overlap_in_progress_is_split_between_takes() {
        let mut t = Tracker::new(1);
        t.start(0, 1, ms(100));
        t.start(0, 0, ms(110));
        let first = t.take(ms(130));
        assert_eq!((first.moments.len(), first.overlap), (1, ms(20)));
        t.stop(0, 1, ms(135));
        let second = t.take(ms(200));
        assert_eq!((second.moments.len(), second.overlap), (0, ms(5)));
    }

    #[test]
    fn unknown_instances_are_ignored() {
        let mut t = Tracker::new(1);
        assert!(!t.start(1, 0, ms(0)));
        assert!(!t.start(0, 2, ms(0)));
        assert!(!t.stop(3, 0, ms(0)));
        assert!(!t.is_serving(5, 5));
        assert_eq!(t.take(ms(1)), Overlaps::default());
    }
}
