//! Eligibility (PROTOCOL 6.11, *Eligibility*): a standby node that is not caught up with the
//! active's repertory is not promoted, unless `promote_unsynced`.
//!
//! The least invasive input: the Election's fatal flag (PROTOCOL 5.6, 6.4), held while the
//! node is behind. It changes no Election rule: a node with the flag fails any promotion at
//! once (`PromotionFailed`, a handover request if the peer is up \[F3\]), and a standby one
//! does nothing else; quorum mode does not stand as a candidate, etcd mode does not
//! campaign. The flag is cleared once caught up, unless a fatal component failure the
//! monitor reported holds it (`Replication::component_fatal`): who set the flag releases it.

use super::notice::ReplicationNotice;
use super::Side;
use crate::node::Node;
use baton_core::Instant;

impl Node {
    /// Whether this node is a standby node behind the active's repertory: an up peer has not
    /// answered its join yet, or it heard from an active term and is not caught up with it (a
    /// sync under way, a gap pending, or synced in an older generation than the newest
    /// seen); and `promote_unsynced` is off. A node that never heard of an active term (a
    /// fresh cluster) and whose peers answered its joins is not behind.
    pub(crate) fn replication_behind(&self) -> bool {
        self.replicates()
            && !self.config.replication.promote_unsynced
            && matches!(&self.replication.side,
                Side::Standby(s) if !s.asked.is_empty() || (s.heard && !s.standby.caught_up()))
    }

    /// One step of the composition loop: holds the Election's fatal input while behind,
    /// releases it once caught up (unless a fatal component failure holds it). True if
    /// anything moved.
    pub(crate) fn step_eligibility(&mut self, now: Instant) -> bool {
        let behind = self.replication_behind();
        if behind == self.replication.holding {
            return false;
        }
        self.replication.holding = behind;
        if behind {
            self.replication_notice(ReplicationNotice::NotCaughtUp);
            if !self.election.is_fatal() {
                self.election.handle_fatal(now);
            }
        } else {
            self.replication_notice(ReplicationNotice::CaughtUp);
            // Released unless a fatal component failure set it too: not merely because a
            // `fatal` component counts as not ok (one not registered yet does), which never
            // set it and whose registration releases nothing.
            if self.election.is_fatal() && !self.replication.component_fatal {
                self.election.handle_fatal_cleared(now);
            }
        }
        true
    }
}
