//! The service status (PROTOCOL 6.5): from the node role, the components' health and the
//! peer's word.

use crate::node::Node;
use baton_monitor::Severity;
use baton_status::{ComponentsHealth, PeerStatus, ServiceStatus};

impl Node {
    /// The service status line from the node role, component health and the peer's word.
    pub(crate) fn service_status(&self) -> ServiceStatus {
        let role = self.election.role();
        let (ok, total) = self.health.counts();
        let health = ComponentsHealth {
            ok: ok as u32,
            total: total as u32,
            fatal_failed: self.health.worst_failure() == Some(Severity::Fatal),
        };
        let peer = self
            .config
            .members
            .iter()
            .enumerate()
            .find(|(i, _)| *i != self.config.me)
            .map(|(_, m)| PeerStatus {
                name: m.name.clone(),
                state: self.peer_state,
            });
        baton_status::service_status(role, health, peer)
    }
}
