//! Local API misuse.

use baton_core::LinkId;
use std::fmt;

/// A call or configuration the local caller should not have made. Peer misbehaviour is never
/// an error: it becomes an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MonitorError {
    /// An id that is not a valid `ComponentId` (digits, at most 16).
    InvalidId(String),
    /// [`PeerConfig::member_id`](crate::PeerConfig::member_id) is not among
    /// [`PeerConfig::members`](crate::PeerConfig::members).
    SelfNotMember(String),
    /// [`PeerLiveness::handle_link_opened`](crate::PeerLiveness::handle_link_opened) for a link
    /// already open.
    LinkAlreadyOpen(LinkId),
}

impl fmt::Display for MonitorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MonitorError::InvalidId(id) => {
                write!(f, "{id:?} is not a ComponentId (digits, at most 16)")
            }
            MonitorError::SelfNotMember(id) => {
                write!(f, "member id {id:?} is not in the member list")
            }
            MonitorError::LinkAlreadyOpen(link) => write!(f, "{link} is already open"),
        }
    }
}

impl std::error::Error for MonitorError {}
