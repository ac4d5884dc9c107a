//! `correlationId`s for this node's requests: a `baton_core::CorrelationCounter` that
//! compares and hashes by the next id it will hand out.

use baton_core::CorrelationCounter;
use std::hash::{Hash, Hasher};

/// A `CorrelationCounter` with `PartialEq`, `Eq` and `Hash` by its next id.
#[derive(Debug, Clone)]
pub(crate) struct Ids(CorrelationCounter);

impl Ids {
    pub(crate) fn starting_at(first: u64) -> Self {
        Ids(CorrelationCounter::starting_at(first))
    }

    pub(crate) fn next_id(&mut self) -> String {
        self.0.next_id()
    }

    fn peek(&self) -> String {
        self.0.clone().next_id()
    }
}

impl PartialEq for Ids {
    fn eq(&self, other: &Self) -> bool {
        self.peek() == other.peek()
    }
}

impl Eq for Ids {}

impl Hash for Ids {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.peek().hash(state);
    }
}
