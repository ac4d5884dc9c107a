//! Audits on demand (PROTOCOL 2.8, 6.11; seed 002): the active node compares the standby
//! node's repertory with its mirror and repairs a mismatch with a full sync.

use super::Side;
use crate::node::Node;
use baton_core::Instant;
use baton_replication::{Op, RepertoryFull};

impl Node {
    /// The active node audits the standby node's repertory (`audit` with the mirror's count
    /// and digest); an `inconsistent` answer is logged
    /// ([`crate::ReplicationNotice::AuditMismatch`]) and repaired by a full sync. False (and
    /// nothing sent) on a node that is not active or has no standby node connected.
    pub fn audit_replication(&mut self, now: Instant) -> bool {
        let started = match &mut self.replication.side {
            Side::Active(a) if a.link.is_some() => {
                a.active.audit();
                true
            }
            _ => false,
        };
        if started {
            self.drain_active();
            self.process(now);
        }
        started
    }

    /// Testing and repair drills: changes a standby node's repertory as memory corruption
    /// would, without any message (an audit finds it). False on the active node.
    ///
    /// # Errors
    /// [`RepertoryFull`] past the bounds (nothing changed).
    #[doc(hidden)]
    pub fn corrupt_replica_for_test(&mut self, ops: &[Op]) -> Result<bool, RepertoryFull> {
        match &mut self.replication.side {
            Side::Standby(s) => s.standby.corrupt_for_test(ops).map(|()| true),
            Side::Active(_) => Ok(false),
        }
    }
}
