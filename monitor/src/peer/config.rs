//! The configuration of a [`PeerLiveness`](super::PeerLiveness): [`PeerConfig`].

use std::time::Duration;

/// Configuration of a [`PeerLiveness`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerConfig {
    /// This node's member id (the ASN.1 `ComponentId`: digits, at most 16).
    pub member_id: String,
    /// Every member's id, this node's included, highest priority first (PROTOCOL 1.2).
    pub members: Vec<String>,
    /// Interval between heartbeats on each peer link (PROTOCOL 4: default 100 ms).
    pub heartbeat_interval: Duration,
    /// Silence after which a peer is dead; `None` (the default) means three heartbeat
    /// intervals (PROTOCOL 4). A link whose hello does not come within it is refused.
    pub dead_interval: Option<Duration>,
    /// The grace after this node's own stall (PROTOCOL 4, *stall grace*): a dead interval
    /// that ends more than [`stall_threshold`] after its deadline (this node did not run
    /// in time, so neither did it read) is extended once by this much before the peer is
    /// declared dead, giving the peer (stalled too, perhaps) one chance to be heard. `None`
    /// (the default) means one heartbeat interval; zero disables the grace. It only ever
    /// delays a promotion, never hastens one; its cost is that a peer that really died
    /// while this node was stalled is declared dead up to one grace later.
    ///
    /// [`stall_threshold`]: PeerConfig::stall_threshold
    pub stall_grace: Option<Duration>,
    /// How late a dead interval must end to count as a stall of this node; `None` (the
    /// default) means [`default_stall_threshold`](baton_core::default_stall_threshold) of the
    /// heartbeat interval.
    pub stall_threshold: Option<Duration>,
}

impl PeerConfig {
    /// The defaults for `member_id` among `members`.
    pub fn new(member_id: impl Into<String>, members: Vec<String>) -> Self {
        PeerConfig {
            member_id: member_id.into(),
            members,
            heartbeat_interval: Duration::from_millis(100),
            dead_interval: None,
            stall_grace: None,
            stall_threshold: None,
        }
    }
}
