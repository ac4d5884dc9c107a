//! The `seq` half of this node's request ids (PROTOCOL 2.3): a wrapping 16-bit counter.

/// Hands out the `seq` of each new request: a wrapping `u16` counter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Ids {
    next: u16,
}

impl Ids {
    /// Starts at `first` modulo 65536 ([`Config::first_correlation_id`](crate::Config)).
    pub(crate) fn starting_at(first: u64) -> Self {
        Ids {
            next: (first % (u64::from(u16::MAX) + 1)) as u16,
        }
    }

    /// The next `seq`.
    pub(crate) fn next_seq(&mut self) -> u16 {
        let seq = self.next;
        self.next = self.next.wrapping_add(1);
        seq
    }
}
