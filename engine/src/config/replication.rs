//! Replication through the node (PROTOCOL 6.11): which components replicate, and how.

use std::collections::BTreeMap;

/// How a replicating component's updates are acknowledged (PROTOCOL 6.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicationMode {
    /// `sync`: `updateAck` once the standby node stored the update (at once when no caught-up
    /// standby node is connected).
    Sync,
    /// `async`: `updateAck` once the update is in the node's mirror and queued to the
    /// standby node.
    Async,
}

impl ReplicationMode {
    /// `sync` or `async` (the configuration's and the status's word).
    pub fn word(self) -> &'static str {
        match self {
            ReplicationMode::Sync => "sync",
            ReplicationMode::Async => "async",
        }
    }
}

/// `[replication]` and each linked component's `replication = …` (PROTOCOL 6.11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationConfig {
    /// The replicating components by id (their application id on the wire), and their mode.
    pub components: BTreeMap<String, ReplicationMode>,
    /// The bounds of the repertory (and of the active's mirror): `max_records`, `max_bytes`.
    pub limits: baton_replication::Limits,
    /// `promote_unsynced`: a standby node that is not caught up may be promoted (default
    /// `false`: it may not, PROTOCOL 6.11 *Eligibility*).
    pub promote_unsynced: bool,
    /// Most octets of keys and values in one component update: past it the update is refused
    /// (`malformedRequest`), since the node's own update to the standby node (other numbers,
    /// another correlation id) might not fit the frame. The driver derives it from the
    /// encoding rule and `max_frame` ([`ReplicationConfig::max_update_octets_for`]).
    pub max_update_octets: usize,
}

impl Default for ReplicationConfig {
    /// No replicating component; 1,000,000 records and 1 GiB; `promote_unsynced = false`.
    fn default() -> Self {
        ReplicationConfig {
            components: BTreeMap::new(),
            limits: baton_replication::Limits {
                max_entries: 1_000_000,
                max_octets: 1 << 30,
            },
            promote_unsynced: false,
            max_update_octets: ReplicationConfig::max_update_octets_for(
                baton_codec::Encoding::Der,
                65_536, // PROTOCOL 3.1: the default largest frame
            ),
        }
    }
}

impl ReplicationConfig {
    /// The largest update (octets of keys and values) whose `update` message fits a frame of
    /// `max_frame` in `encoding` whatever its numbers and correlation id: `max_frame` less 4
    /// KiB of framing, tags and lengths (64 operations at most); JER writes every octet as two
    /// hexadecimal digits, and its field names: half of `max_frame` less 16 KiB.
    pub fn max_update_octets_for(encoding: baton_codec::Encoding, max_frame: usize) -> usize {
        match encoding {
            baton_codec::Encoding::Jer => max_frame.saturating_sub(16 * 1024) / 2,
            _ => max_frame.saturating_sub(4 * 1024),
        }
    }

    /// The mode of component `id`, if it replicates.
    pub fn mode(&self, id: &str) -> Option<ReplicationMode> {
        self.components.get(id).copied()
    }
}
