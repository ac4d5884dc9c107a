//! Named timers: each name armed at most once, the earliest drives `poll_timeout`.

use crate::Instant;

/// A table of named timers, keyed by a small `Copy` name (usually an enum of the machine's
/// timers, or a pair like `(Timer, ComponentIndex)`).
///
/// Arming a name that is armed moves it. [`Timers::next_expired`] hands out expired timers
/// in deadline order, disarming each, so a machine's `handle_timeout(now)` loops until `None`.
#[derive(Debug, Clone)]
pub struct Timers<K> {
    armed: Vec<(K, Instant)>,
}

impl<K> Default for Timers<K> {
    fn default() -> Self {
        Timers { armed: Vec::new() }
    }
}

impl<K: Copy + Eq> Timers<K> {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Arms `name` to expire at `at`, replacing any earlier deadline for it.
    pub fn set(&mut self, name: K, at: Instant) {
        match self.armed.iter_mut().find(|(k, _)| *k == name) {
            Some(entry) => entry.1 = at,
            None => self.armed.push((name, at)),
        }
    }

    /// Disarms `name`; nothing happens if it was not armed.
    pub fn stop(&mut self, name: K) {
        self.armed.retain(|(k, _)| *k != name);
    }

    /// Disarms every timer whose name matches `pred`.
    pub fn stop_where(&mut self, mut pred: impl FnMut(K) -> bool) {
        self.armed.retain(|(k, _)| !pred(*k));
    }

    /// The deadline of `name`, if armed.
    pub fn get(&self, name: K) -> Option<Instant> {
        self.armed
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, at)| *at)
    }

    /// Whether `name` is armed.
    pub fn is_armed(&self, name: K) -> bool {
        self.get(name).is_some()
    }

    /// The earliest deadline, for `poll_timeout`.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.armed.iter().map(|(_, at)| *at).min()
    }

    /// Disarms and returns the earliest timer that has expired at `now` (deadline ≤ `now`).
    pub fn next_expired(&mut self, now: Instant) -> Option<K> {
        let (i, _) = self
            .armed
            .iter()
            .enumerate()
            .filter(|(_, (_, at))| *at <= now)
            .min_by_key(|(_, (_, at))| *at)?;
        Some(self.armed.swap_remove(i).0)
    }

    /// Number of armed timers.
    pub fn len(&self) -> usize {
        self.armed.len()
    }

    /// Whether no timer is armed.
    pub fn is_empty(&self) -> bool {
        self.armed.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum T {
        A,
        B,
    }

    #[test]
    fn expire_in_deadline_order_and_rearm_moves() {
        let mut t = Timers::new();
        t.set(T::A, Instant::from_millis(30));
        t.set(T::B, Instant::from_millis(20));
        t.set(T::A, Instant::from_millis(10));
        assert_eq!(t.len(), 2);
        assert_eq!(t.next_deadline(), Some(Instant::from_millis(10)));
        assert_eq!(t.next_expired(Instant::from_millis(5)), None);
        let now = Instant::from_millis(25);
        assert_eq!(t.next_expired(now), Some(T::A));
        assert_eq!(t.next_expired(now), Some(T::B));
        assert_eq!(t.next_expired(now), None);
        assert!(t.is_empty());
    }

    #[test]
    fn stop_disarms() {
        let mut t = Timers::new();
        t.set((T::A, 1u32), Instant::from_millis(1));
        t.set((T::A, 2), Instant::from_millis(1));
        t.set((T::B, 1), Instant::from_millis(1));
        t.stop_where(|(_, i)| i == 1);
        assert!(t.is_armed((T::A, 2)));
        assert!(!t.is_armed((T::B, 1)));
        t.stop((T::A, 2));
        assert_eq!(t.next_deadline(), None);
    }
}
