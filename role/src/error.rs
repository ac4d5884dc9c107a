//! Local API misuse.

use baton_core::LinkId;
use std::fmt;

/// A call the local caller should not have made. Peer misbehaviour is never an error: it
/// becomes an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleError {
    /// [`RoleManager::handle_component_registered`](crate::RoleManager::handle_component_registered)
    /// for a link that already carries a registered component.
    LinkAlreadyRegistered(LinkId),
    /// [`ComponentRole::accept`](crate::ComponentRole::accept) or
    /// [`ComponentRole::refuse`](crate::ComponentRole::refuse) with no `setRole` waiting for
    /// an answer (never received, already answered, or withdrawn when the link closed).
    NoPendingRequest,
}

impl fmt::Display for RoleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoleError::LinkAlreadyRegistered(link) => {
                write!(f, "{link} already carries a registered component")
            }
            RoleError::NoPendingRequest => f.write_str("no setRole is waiting for an answer"),
        }
    }
}

impl std::error::Error for RoleError {}
