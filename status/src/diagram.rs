//! The service status state diagram (PROTOCOL 6.6) as code.

use crate::{PeerStatus, ServiceStatus, State};
use baton_core::NodeRole;

/// The health of the node's components, as the monitor summarises it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ComponentsHealth {
    /// Components whose health is ok.
    pub ok: u32,
    /// All known components (configured or registered).
    pub total: u32,
    /// Whether a component of severity `fatal` is failed (or never registered).
    pub fatal_failed: bool,
}

impl ComponentsHealth {
    /// Whether some component is not ok.
    pub fn any_failed(&self) -> bool {
        self.ok < self.total || self.fatal_failed
    }
}

/// The service status state diagram: the [`State`] of a node in `role` whose components are
/// in `health`.
///
/// | node role         | all components ok | a minor/major failed | a fatal failed |
/// |-------------------|-------------------|----------------------|----------------|
/// | `Negotiating`     | `negotiating`     | `negotiating`        | `negotiating`  |
/// | `Standby`         | `standby`         | `standby`            | `failed`       |
/// | `Promoting`       | `promoting`       | `promoting`          | `promoting`    |
/// | `Active`          | `active`          | `degraded`           | `degraded`     |
/// | `Demoting`        | `demoting`        | `demoting`           | `demoting`     |
/// | `PromotionFailed` | `failed`          | `failed`             | `failed`       |
///
/// Transitions therefore follow the election's (PROTOCOL 5.7) and the monitor's (PROTOCOL 6.4):
///
/// ```text
/// (start)          -> negotiating
/// negotiating      -> standby       the peer is elected active
/// negotiating      -> promoting     this node is elected, or alone for startup_wait
/// standby          -> promoting     peer failure, or a handover request
/// standby         <-> failed        a fatal component fails / recovers
/// promoting        -> active        every component confirmed (degraded if one is failed)
/// promoting        -> failed        a component refused or timed out (PromotionFailed)
/// promoting|failed -> demoting      the peer is to be active (veto, assignment, handover)
/// failed           -> promoting     promoting again [F9]
/// active          <-> degraded      a component fails / recovers
/// active|degraded  -> demoting      planned switchover, fatal failure, veto [F2], preempt
/// demoting         -> standby       components confirmed standby
/// demoting         -> promoting     components confirmed standby while the peer is down [F5]
/// ```
///
/// Only `active` and `degraded` serve ([`State::is_serving`]). A fatal failure on the Active
/// node keeps it `degraded` until the election makes it `demoting` (it hands over exactly as a
/// planned switchover does); on a Standby it shows `failed` at once, since its next promotion
/// would fail. `Promoting`, `Demoting` and `Negotiating` are transient and say so whatever the
/// components' health; the details (`components=ok/total`) tell the rest.
pub fn service_state(role: NodeRole, health: ComponentsHealth) -> State {
    match role {
        NodeRole::Negotiating => State::Negotiating,
        NodeRole::Standby if health.fatal_failed => State::Failed,
        NodeRole::Standby => State::Standby,
        NodeRole::Promoting => State::Promoting,
        NodeRole::Active if health.any_failed() => State::Degraded,
        NodeRole::Active => State::Active,
        NodeRole::Demoting => State::Demoting,
        NodeRole::PromotionFailed => State::Failed,
    }
}

/// The full status line of a node: [`service_state`], the peer detail if any, and
/// `components=ok/total` when the node has components.
pub fn service_status(
    role: NodeRole,
    health: ComponentsHealth,
    peer: Option<PeerStatus>,
) -> ServiceStatus {
    ServiceStatus {
        state: service_state(role, health),
        peer,
        components: (health.total > 0).then_some((health.ok, health.total)),
        extra: Vec::new(),
    }
}
