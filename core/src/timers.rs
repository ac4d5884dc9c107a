//! Keyed timers: each key armed at most once, the earliest drives `poll_timeout`.

use crate::Instant;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};

/// A table of keyed timers, keyed by a small `Ord + Copy` name: an enum of the machine's
/// timers, a pair like `(Timer, LinkId)`, or a `LinkId` when a machine keeps one timer per
/// link (the role manager's role timeouts, the monitor's dead intervals).
///
/// Arming a key that is armed moves it. [`Timers::next_expired`] hands out expired timers in
/// deadline order, disarming each, so a machine's `handle_timeout(now)` loops until `None`.
/// Timers due at the same instant expire in the order of their keys (`K`'s `Ord`), so a
/// machine chooses which of two simultaneous timers runs first by the order it declares them
/// in.
///
/// Every operation but [`Timers::stop_where`] (linear) is logarithmic in the number of armed
/// timers: a node watching ten thousand components restarts one dead interval per frame.
///
/// Two tables are equal (and hash alike) when the same keys are armed at the same deadlines,
/// whatever the order they were armed in: the model checker compares whole machine states.
#[derive(Debug, Clone)]
pub struct Timers<K> {
    /// The deadline of each armed key.
    by_key: BTreeMap<K, Instant>,
    /// The same timers, earliest first (ties in key order).
    by_deadline: BTreeSet<(Instant, K)>,
}

impl<K> Default for Timers<K> {
    fn default() -> Self {
        Timers {
            by_key: BTreeMap::new(),
            by_deadline: BTreeSet::new(),
        }
    }
}

impl<K: Ord + Copy> Timers<K> {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Arms `key` to expire at `at`, replacing any earlier deadline for it.
    pub fn set(&mut self, key: K, at: Instant) {
        if let Some(old) = self.by_key.insert(key, at) {
            self.by_deadline.remove(&(old, key));
        }
        self.by_deadline.insert((at, key));
    }

    /// Disarms `key`; nothing happens if it was not armed.
    pub fn stop(&mut self, key: K) {
        if let Some(old) = self.by_key.remove(&key) {
            self.by_deadline.remove(&(old, key));
        }
    }

    /// Disarms every timer whose key matches `pred` (linear in the number of armed timers).
    pub fn stop_where(&mut self, mut pred: impl FnMut(K) -> bool) {
        let by_deadline = &mut self.by_deadline;
        self.by_key.retain(|key, at| {
            let stop = pred(*key);
            if stop {
                by_deadline.remove(&(*at, *key));
            }
            !stop
        });
    }

    /// The deadline of `key`, if armed.
    pub fn get(&self, key: K) -> Option<Instant> {
        self.by_key.get(&key).copied()
    }

    /// Whether `key` is armed.
    pub fn is_armed(&self, key: K) -> bool {
        self.by_key.contains_key(&key)
    }

    /// The earliest deadline, for `poll_timeout`.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.by_deadline.first().map(|(at, _)| *at)
    }

    /// Disarms and returns the earliest timer that has expired at `now` (deadline ≤ `now`).
    pub fn next_expired(&mut self, now: Instant) -> Option<K> {
        self.next_expired_at(now).map(|(key, _)| key)
    }

    /// As [`Timers::next_expired`], with the deadline the timer was due at (a machine applying
    /// the stall rule, [`crate::StallRule`], judges how late it fired).
    pub fn next_expired_at(&mut self, now: Instant) -> Option<(K, Instant)> {
        let &(at, key) = self.by_deadline.first()?;
        if at > now {
            return None;
        }
        self.by_deadline.pop_first();
        self.by_key.remove(&key);
        Some((key, at))
    }

    /// Number of armed timers.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether no timer is armed.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

impl<K: Ord> PartialEq for Timers<K> {
    fn eq(&self, other: &Self) -> bool {
        self.by_key == other.by_key
    }
}

impl<K: Ord> Eq for Timers<K> {}

impl<K: Hash> Hash for Timers<K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.by_key.hash(state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
    enum T {
        A,
        B,
    }

    fn ms(n: u64) -> Instant {
        Instant::from_millis(n)
    }

    #[test]
    fn expire_in_deadline_order_and_rearm_moves() {
        let mut t = Timers::new();
        t.set(T::A, ms(30));
        t.set(T::B, ms(20));
        t.set(T::A, ms(10));
        assert_eq!(t.len(), 2);
        assert_eq!(t.get(T::A), Some(ms(10)));
        assert_eq!(t.next_deadline(), Some(ms(10)));
        assert_eq!(t.next_expired(ms(5)), None);
        let now = ms(25);
        assert_eq!(t.next_expired(now), Some(T::A));
        assert_eq!(t.next_expired(now), Some(T::B));
        assert_eq!(t.next_expired(now), None);
        assert!(t.is_empty());
    }

    #[test]
    fn rearm_later_moves_behind() {
        let mut t = Timers::new();
        t.set(T::A, ms(10));
        t.set(T::B, ms(20));
        t.set(T::A, ms(30));
        assert_eq!(t.len(), 2);
        assert_eq!(t.next_deadline(), Some(ms(20)));
        assert_eq!(t.next_expired_at(ms(40)), Some((T::B, ms(20))));
        assert_eq!(t.next_expired_at(ms(40)), Some((T::A, ms(30))));
        assert_eq!(t.next_expired_at(ms(40)), None);
    }

    #[test]
    fn ties_expire_in_key_order() {
        let mut t = Timers::new();
        for k in [3u32, 1, 4, 0, 2] {
            t.set(k, ms(7));
        }
        let order: Vec<u32> = std::iter::from_fn(|| t.next_expired(ms(7))).collect();
        assert_eq!(order, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn stop_disarms() {
        let mut t = Timers::new();
        t.set((T::A, 1u32), ms(1));
        t.set((T::A, 2), ms(1));
        t.set((T::B, 1), ms(1));
        t.stop_where(|(_, i)| i == 1);
        assert!(t.is_armed((T::A, 2)));
        assert!(!t.is_armed((T::B, 1)));
        assert_eq!(t.len(), 1);
        t.stop((T::A, 2));
        t.stop((T::A, 2));
        assert_eq!(t.next_deadline(), None);
        assert_eq!(t.next_expired(ms(100)), None);
        assert!(t.is_empty());
    }

    #[test]
    fn equal_by_content_whatever_the_history() {
        use std::collections::hash_map::DefaultHasher;
        let hash = |t: &Timers<T>| {
            let mut h = DefaultHasher::new();
            t.hash(&mut h);
            h.finish()
        };
        let mut a = Timers::new();
        a.set(T::A, ms(1));
        a.set(T::B, ms(2));
        let mut b = Timers::new();
        b.set(T::B, ms(5));
        b.set(T::A, ms(1));
        assert_ne!(a, b);
        b.set(T::B, ms(2));
        assert_eq!(a, b);
        assert_eq!(hash(&a), hash(&b));
    }

    #[test]
    fn many_keys() {
        // 10,000 keys armed at scrambled deadlines, some re-armed and some stopped: expiry
        // follows (deadline, key) order exactly, and every stopped key stays silent.
        let n = 10_000u64;
        let deadline = |k: u64| ms((k * 7919) % 1000);
        let mut t = Timers::new();
        for k in 0..n {
            t.set(k, ms(5000));
        }
        for k in 0..n {
            t.set(k, deadline(k));
        }
        t.stop_where(|k| k % 10 == 3);
        for k in (0..n).filter(|k| k % 10 == 7) {
            t.stop(k);
        }
        let mut want: Vec<(Instant, u64)> = (0..n)
            .filter(|k| k % 10 != 3 && k % 10 != 7)
            .map(|k| (deadline(k), k))
            .collect();
        want.sort();
        assert_eq!(t.len(), want.len());
        assert_eq!(t.next_deadline(), Some(want[0].0));
        assert_eq!(t.next_expired(ms(0)), Some(want[0].1));
        let got: Vec<(Instant, u64)> = std::iter::from_fn(|| t.next_expired_at(ms(999)))
            .map(|(k, at)| (at, k))
            .collect();
        assert_eq!(got, want[1..]);
        assert!(t.is_empty());
    }
}
