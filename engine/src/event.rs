//! What the driver hands to the node and drains from it.

use baton_codec::AnyMessage;
use baton_core::LinkId;
use baton_election::NodeRole;
use baton_monitor::LinkOrigin;

/// What a link is, told by the driver when it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// To another member; who dialled decides which of two simultaneous links stays.
    Peer(LinkOrigin),
    /// From a component of this host.
    Component,
    /// From a status client (operator, CLI, load balancer).
    Client,
}

/// A message to send on a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The link.
    pub link: LinkId,
    /// The message (framed by the driver in the link's encoding).
    pub message: AnyMessage,
}

/// Something the driver must do or may log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Close this link: the reason is for the log. The node already forgot it.
    CloseLink {
        /// The link.
        link: baton_core::LinkId,
        /// Why.
        reason: String,
    },
    /// The node's role changed.
    RoleChanged {
        /// Before.
        from: NodeRole,
        /// After.
        to: NodeRole,
    },
    /// The service status line changed (already pushed to clients and peers).
    StatusChanged(String),
    /// A component of severity `major` failed: restart it (script components).
    RestartComponent {
        /// Its id.
        id: String,
    },
    /// Worth a log line: misbehaviour that did not close a link, component failures, peers
    /// coming and going.
    Log(String),
}
