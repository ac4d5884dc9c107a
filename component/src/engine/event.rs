//! What the component engine reports, its configuration and its errors.

use crate::types::{Role, WatchdogReason};
use baton_codec::Interface;
use std::time::Duration;

/// Configuration of a [`ComponentEngine`](super::ComponentEngine).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComponentEngineConfig {
    /// The watchdog (PROTOCOL 6.3): while the component is active, a node link silent this
    /// long makes it stand by. Default 190 ms ([`baton_role::ComponentConfig::dead_interval`]
    /// says why). An in-process adapter, which cannot outlive its node, may set it very long.
    pub dead_interval: Duration,
    /// The watchdog's grace after the component's own stall (PROTOCOL 6.3,
    /// [`baton_core::StallRule::for_interval`]): a watchdog that fires more than its stall
    /// threshold (a tenth of `dead_interval`, at least 2 ms) late is moved once to its
    /// deadline plus this much, if that is still ahead. Default zero: no grace.
    pub stall_grace: Duration,
    /// Interval between heartbeats pushed to the node (a change of health is pushed at once).
    /// Default 1 s; raised to 1 ms (a zero interval would push heartbeats without end).
    pub heartbeat_interval: Duration,
}

impl Default for ComponentEngineConfig {
    fn default() -> Self {
        ComponentEngineConfig {
            dead_interval: baton_role::ComponentConfig::default().dead_interval,
            stall_grace: Duration::ZERO,
            heartbeat_interval: baton_monitor::ComponentHealthConfig::default().heartbeat_interval,
        }
    }
}

/// What the caller (the application, or the adapter standing for it) must act on, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComponentEngineEvent {
    /// The node link is up and the component registered (its `heartBeat` is queued).
    Connected {
        /// The role the component holds (`None` before its first assignment).
        role: Option<Role>,
        /// Whether the watchdog stood the component by since its last assignment: the node
        /// will send it the current role (PROTOCOL 6.3, 6.1).
        self_demoted: bool,
    },
    /// The node asks the component to take `role` (a `setRole`): switch, then
    /// [`accept`](super::ComponentEngine::accept), or
    /// [`refuse`](super::ComponentEngine::refuse). A newer request replaces an unanswered one.
    RoleRequested {
        /// The role requested.
        role: Role,
        /// The request's `correlationId`, which the answer echoes.
        correlation: String,
    },
    /// The node link closed before the request for `role` was answered: do not take it.
    RequestWithdrawn {
        /// The role that was requested.
        role: Role,
    },
    /// The watchdog stood the active component by (PROTOCOL 6.3): stop serving now. A
    /// [`ComponentEngineEvent::RoleChanged`] to standby follows. After
    /// [`WatchdogReason::Silent`] the link is still open but the node does not know: close
    /// it and call [`handle_closed`](super::ComponentEngine::handle_closed), then reconnect.
    SelfDemoted {
        /// What triggered it.
        reason: WatchdogReason,
    },
    /// The role the component holds changed: after an accepted request or a self-demotion.
    RoleChanged {
        /// Before (`None`: never assigned).
        from: Option<Role>,
        /// Now.
        to: Role,
    },
    /// A message from the node that the component has no use for (nothing was sent back).
    Ignored(IgnoredFrame),
}

/// Why a message from the node was ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IgnoredFrame {
    /// A `setRoleResponse`: only components answer.
    RoleAnswer {
        /// Its `correlationId`.
        correlation: String,
    },
    /// A HealthMonitor message the component does not take (another component's id, a
    /// `heartBeat` or a `healthQueryResponse`).
    Health(baton_monitor::IgnoredReason),
    /// A message of an interface a component link does not carry (Election, ServiceStatus).
    Interface(Interface),
}

/// The request waiting for the application's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRequest {
    /// The role requested.
    pub role: Role,
    /// Its `correlationId`.
    pub correlation: String,
}

/// A component id that is not a `ComponentId` (1 to 16 digits).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid component id {0:?}: expected 1 to 16 digits")]
pub struct InvalidComponentId(pub String);

/// [`accept`](super::ComponentEngine::accept) or [`refuse`](super::ComponentEngine::refuse)
/// with no `setRole` waiting (never received, already answered, or withdrawn).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no setRole is waiting for an answer")]
pub struct NoPendingRequest;
