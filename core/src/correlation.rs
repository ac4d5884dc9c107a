//! Fresh `correlationId` values.

/// Largest value that fits `NumericString (SIZE(0..16))` as decimal digits.
const MAX: u64 = 9_999_999_999_999_999;

/// Hands out `correlationId`s: a counter rendered as decimal digits (at most 16), wrapping
/// to 1 after 16 nines. Responders echo what they receive; they never use this.
#[derive(Debug, Clone)]
pub struct CorrelationCounter {
    next: u64,
}

impl Default for CorrelationCounter {
    fn default() -> Self {
        CorrelationCounter { next: 1 }
    }
}

impl CorrelationCounter {
    /// A counter whose first id is `first` (clamped into 1..=10^16-1). A driver may seed it
    /// (from the clock, say) so that ids differ across restarts.
    pub fn starting_at(first: u64) -> Self {
        CorrelationCounter {
            next: first.clamp(1, MAX),
        }
    }

    /// The next id, as digits.
    pub fn next_id(&mut self) -> String {
        let id = self.next;
        self.next = if id >= MAX { 1 } else { id + 1 };
        id.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_digits_and_wrap() {
        let mut c = CorrelationCounter::default();
        assert_eq!(c.next_id(), "1");
        assert_eq!(c.next_id(), "2");
        let mut c = CorrelationCounter::starting_at(u64::MAX);
        let last = c.next_id();
        assert_eq!(last.len(), 16);
        assert!(last.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(c.next_id(), "1");
    }
}
