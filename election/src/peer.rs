//! What a node knows of its peers.

use crate::config::Member;
use baton_core::LinkId;

/// The role a peer holds according to the latest assignment this node agreed to or adopted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeerRole {
    /// The latest assignment names the peer active.
    Active,
    /// The latest assignment names the peer standby.
    Standby,
}

/// A snapshot of one peer, from [`Election::peer_view`](crate::Election::peer_view).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PeerView {
    /// The peer.
    pub member: Member,
    /// Its `Candidate` name.
    pub name: String,
    /// Its link, while up (both hellos exchanged, no failure detected since).
    pub link: Option<LinkId>,
    /// Its role according to the latest assignment exchanged over the current link, if any.
    pub role: Option<PeerRole>,
}

/// Per-peer state kept by the Election.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct PeerState {
    /// The current link, while up.
    pub(crate) link: Option<LinkId>,
    /// Role named by the latest assignment or veto exchanged on the current link.
    pub(crate) role: Option<PeerRole>,
}
