//! Local API misuse.

use baton_core::LinkId;
use std::fmt;

/// A call the local caller should not have made. Peer misbehaviour is never an error: it
/// becomes an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusError {
    /// [`StatusServer::handle_client_connected`](crate::StatusServer::handle_client_connected)
    /// for a link already connected.
    AlreadyConnected(LinkId),
    /// [`StatusClient::request`](crate::StatusClient::request) with no link to the node.
    NotConnected,
}

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusError::AlreadyConnected(link) => write!(f, "{link} is already connected"),
            StatusError::NotConnected => f.write_str("not connected to a node"),
        }
    }
}

impl std::error::Error for StatusError {}
