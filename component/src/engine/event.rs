//! What the component engine reports, its configuration and its errors.

use crate::types::{Role, WatchdogReason};
use baton_codec::Interface;
pub use baton_monitor::NodeTimer;
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
        /// The generation (round, PROTOCOL 5.11) the node's id carries, `"<round> <seq>"`
        /// (PROTOCOL 2.3, *Role correlationIds*); `None` when the id is not of that form
        /// (an older node).
        generation: Option<u32>,
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
    /// The node asks the application to restart (PROTOCOL 6.9, the notice `"0 1"`): the
    /// component is `major` and failed. The query was answered as any query.
    RestartRequested,
    /// The node refuses the component id: its configuration does not list it (PROTOCOL 6.9,
    /// the notice `"0 2"`). The node closes the link; reconnecting with this id is refused
    /// again.
    UnknownComponentId,
    /// The node told one of its timers (PROTOCOL 6.9), sent right after registration; all
    /// that are known are in [`ComponentEngine::node_timers`](super::ComponentEngine::node_timers).
    NodeTimer {
        /// Which.
        timer: NodeTimer,
        /// Its value.
        value: Duration,
    },
    /// The component's watchdog, `dead_interval + stall_grace`, breaks the rule of PROTOCOL
    /// 6.3 with this node's timers: it is longer than the node's watchdog bound. The node
    /// can die, and its peer promote, before this component stands by. Configure a shorter
    /// `dead_interval`.
    WatchdogTooLong {
        /// `dead_interval + stall_grace`.
        watchdog: Duration,
        /// The bound the node told ([`NodeTimer::WatchdogBound`]).
        bound: Duration,
    },
    /// A `setRole(active)` the engine refused itself (`setRoleResponse{failure}` is queued):
    /// the watchdog is longer than the node's bound (PROTOCOL 6.9). No request waits; the
    /// role is unchanged.
    ActiveRefused {
        /// The refused request's `correlationId`.
        correlation: String,
        /// `dead_interval + stall_grace`.
        watchdog: Duration,
        /// The bound the node told ([`NodeTimer::WatchdogBound`]).
        bound: Duration,
    },
    /// Replication (PROTOCOL 6.11), for a replicating component
    /// ([`ComponentEngine::with_replication`](super::ComponentEngine::with_replication)).
    Replication(super::ReplicationEvent),
}

/// The node's timers, as it told them at registration (PROTOCOL 6.9); `None` until told
/// (a node that predates the notices tells none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NodeTimers {
    /// How long the node waits for a `setRoleResponse` (PROTOCOL 6.1).
    pub role_timeout: Option<Duration>,
    /// The silence after which the node fails this component (PROTOCOL 6.4).
    pub dead_interval: Option<Duration>,
    /// The interval of the node's `healthQuery`s (PROTOCOL 6.4).
    pub query_interval: Option<Duration>,
    /// The largest `dead_interval + stall_grace` the rule of PROTOCOL 6.3 allows with this
    /// node's peer timers.
    pub watchdog_bound: Option<Duration>,
}

impl NodeTimers {
    /// Records `value` for `timer`.
    pub(crate) fn set(&mut self, timer: NodeTimer, value: Duration) {
        let slot = match timer {
            NodeTimer::RoleTimeout => &mut self.role_timeout,
            NodeTimer::ComponentDeadInterval => &mut self.dead_interval,
            NodeTimer::QueryInterval => &mut self.query_interval,
            NodeTimer::WatchdogBound => &mut self.watchdog_bound,
        };
        *slot = Some(value);
    }
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
