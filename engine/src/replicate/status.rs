//! Where each replicating component stands (issue 13 Deliver 5; `baton status --json`,
//! metrics).

use super::Side;
use crate::config::ReplicationMode;
use crate::node::Node;
use baton_core::Instant;

/// One replicating component's replication state on this node ([`Node::replication_status`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationStatus {
    /// The component id (its application id).
    pub component: String,
    /// Its mode.
    pub mode: ReplicationMode,
    /// Active node: a standby node is connected, synced in this generation, and has
    /// acknowledged every update. Standby node: its repertory is synced in the newest
    /// generation seen, with no gap and no sync under way.
    pub caught_up: bool,
    /// Active node: updates (of every component) not acknowledged by the standby node yet.
    /// Standby node: early updates held until a gap fills.
    pub lag_updates: u64,
    /// Active node: age of the oldest update not acknowledged yet, in milliseconds (0 with
    /// none, or with no standby node connected). Standby node: 0.
    pub lag_ms: u64,
    /// The application's records in the repertory this node holds.
    pub records: u64,
    /// Their octets (keys and values).
    pub bytes: u64,
    /// The generation of the records (the active's term).
    pub generation: u64,
    /// Active node: last sequence number assigned. Standby node: last applied.
    pub sequence: u64,
}

impl Node {
    /// The replication state of every replicating component, in id order (empty when none is
    /// configured).
    pub fn replication_status(&self, now: Instant) -> Vec<ReplicationStatus> {
        let rep = &self.replication;
        let (caught_up, lag_updates, lag_ms, sequence) = match &rep.side {
            Side::Active(a) => {
                let lag = a.active.sequence().saturating_sub(a.active.acknowledged());
                let oldest = a.unacked.front().map_or(0, |(_, at)| {
                    u64::try_from(now.saturating_duration_since(*at).as_millis())
                        .unwrap_or(u64::MAX)
                });
                let caught = a.link.is_some() && a.active.standby_synced() && lag == 0;
                (caught, lag, oldest, a.active.sequence())
            }
            Side::Standby(s) => (
                s.standby.caught_up(),
                s.standby.pending() as u64,
                0,
                s.standby.applied(),
            ),
        };
        self.config
            .replication
            .components
            .iter()
            .map(|(id, mode)| {
                let (records, bytes) = rep.repertory().application_size(id.as_bytes());
                ReplicationStatus {
                    component: id.clone(),
                    mode: *mode,
                    caught_up,
                    lag_updates,
                    lag_ms,
                    records: records as u64,
                    bytes: bytes as u64,
                    generation: rep.generation(),
                    sequence,
                }
            })
            .collect()
    }
}
