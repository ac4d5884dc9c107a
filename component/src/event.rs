//! What the application sees from the runtime: events, why a link went down, the component's
//! state.

pub use crate::engine::NodeTimers;
use crate::replica::{Operation, Record};
use crate::request::RoleRequest;
use crate::types::{Health, Role, WatchdogReason};
use std::fmt;
use std::time::Duration;

/// Why the node link went down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The node closed it.
    Closed,
    /// Reading or writing failed.
    Io(String),
    /// The node sent something that is not a valid frame (logged); the stream is out of sync.
    Frame(String),
    /// The node was silent for the dead interval while the component was active: the
    /// watchdog demoted the component and it drops the link to register again.
    Silent,
    /// The node stopped reading what the component sends.
    Stalled,
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisconnectReason::Closed => f.write_str("closed by the node"),
            DisconnectReason::Io(e) => write!(f, "i/o error: {e}"),
            DisconnectReason::Frame(e) => write!(f, "bad frame from the node: {e}"),
            DisconnectReason::Silent => f.write_str("node silent for the dead interval"),
            DisconnectReason::Stalled => f.write_str("node not reading"),
        }
    }
}

/// What the application learns, in order, from [`Events`](crate::Events).
///
/// Every change of the role the component holds is reported as [`Event::RoleChanged`], the
/// watchdog's self-demotion included: an application that stops serving on
/// `RoleChanged { to: Role::Standby, .. }` and answers every [`Event::RoleRequest`] does
/// what PROTOCOL 6.3 asks.
///
/// `R` is the request type: [`RoleRequest`] here, [`blocking::RoleRequest`](crate::blocking::RoleRequest)
/// in the blocking facade.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<R = RoleRequest> {
    /// The node link is up and the component registered (sent its `heartBeat`).
    Connected {
        /// The role the component holds now (`None` before its first assignment).
        role: Option<Role>,
        /// Whether the watchdog demoted the component since the node last assigned it a role;
        /// the node will send the current role (PROTOCOL 6.3, 6.1).
        self_demoted: bool,
    },
    /// The node link went down; the component reconnects with back-off.
    Disconnected {
        /// Why.
        reason: DisconnectReason,
    },
    /// The node asks the component to take a role: switch, then
    /// [`accept`](RoleRequest::accept) (or [`refuse`](RoleRequest::refuse)).
    RoleRequest(R),
    /// The node link closed before the request for `role` was answered: do not switch (an
    /// answer now fails with [`AnswerError::Stale`](crate::AnswerError::Stale)).
    RequestWithdrawn {
        /// The role that was requested.
        role: Role,
    },
    /// The watchdog demoted the component from active (PROTOCOL 6.3): it must stop serving now.
    /// A [`Event::RoleChanged`] to standby follows.
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
    /// The node asks the application to restart: the component is configured `major` and
    /// the node found it failed (PROTOCOL 6.4, 6.9). Restart what failed (or the whole
    /// process), then report [`Health::Ok`] again; the component keeps its link and role
    /// meanwhile unless the application closes it.
    RestartRequested,
    /// The node's configuration lists no component of this id (PROTOCOL 6.9): the node
    /// refused the registration and closed the link. The component stops (no reconnection):
    /// [`Events`](crate::Events) ends after this event, and
    /// [`Component::wait_role`](crate::Component::wait_role) fails with
    /// [`Error::UnknownComponentId`](crate::Error::UnknownComponentId).
    UnknownComponentId,
    /// The component's watchdog (`dead_interval + stall_grace`) is longer than the bound the
    /// node told at registration (PROTOCOL 6.3, 6.9): if the node dies, its peer can
    /// promote before this component stands by. The component keeps running (also logged
    /// as a warning) but refuses `active` ([`Event::ActiveRefused`]); configure [`ComponentOptions::dead_interval`](crate::ComponentOptions::dead_interval)
    /// at most `bound - stall_grace`.
    WatchdogTooLong {
        /// `dead_interval + stall_grace`.
        watchdog: Duration,
        /// The node's bound, `D - H - 2 ms`.
        bound: Duration,
    },
    /// The node asked for `active` and the library refused it (`setRoleResponse{failure}`),
    /// without a [`Event::RoleRequest`]: the watchdog breaks the node's bound (see
    /// [`Event::WatchdogTooLong`], PROTOCOL 6.9). The component stays standby until it is
    /// configured with a watchdog within the bound.
    ActiveRefused {
        /// `dead_interval + stall_grace`.
        watchdog: Duration,
        /// The node's bound, `D - H - 2 ms`.
        bound: Duration,
    },
    /// A hot standby's copy, whole (PROTOCOL 6.11: the node's answer to the
    /// `syncRequest{full}` the library sends at registration and `setRole{standby}`, or again
    /// after a break in the stream): replace the application's copy with these records.
    /// [`Event::StandbyUpdate`]s follow.
    StandbySync {
        /// Every record of the application.
        records: Vec<Record>,
    },
    /// A hot standby's stream: an update the active component replicated, as the standby
    /// node applied it, in order. Apply the operations to the copy, in order.
    StandbyUpdate {
        /// Its number in the stream.
        sequence: u64,
        /// The operations.
        operations: Vec<Operation>,
    },
}

/// A snapshot of the component, as [`Component::state`](crate::Component::state) gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State {
    /// The role the component holds: the last one accepted, or standby after a self-demotion;
    /// `None` before the first assignment.
    pub role: Option<Role>,
    /// Whether the watchdog demoted the component since the node last assigned it a role.
    pub self_demoted: bool,
    /// Whether the node link is up.
    pub connected: bool,
    /// The health reported to the node.
    pub health: Health,
    /// Whether the component was closed (the driver has stopped).
    pub closed: bool,
    /// Whether the node refused the component id ([`Event::UnknownComponentId`]); the
    /// component is then closed too.
    pub refused: bool,
    /// The node's timers, as it told them at registration (PROTOCOL 6.9); all `None` until
    /// then, or with a node that predates the notices.
    pub node_timers: NodeTimers,
}

impl<R> Event<R> {
    /// The same event, with its request (if any) converted by `f`.
    pub(crate) fn map_request<S>(self, f: impl FnOnce(R) -> S) -> Event<S> {
        match self {
            Event::Connected { role, self_demoted } => Event::Connected { role, self_demoted },
            Event::Disconnected { reason } => Event::Disconnected { reason },
            Event::RoleRequest(r) => Event::RoleRequest(f(r)),
            Event::RequestWithdrawn { role } => Event::RequestWithdrawn { role },
            Event::SelfDemoted { reason } => Event::SelfDemoted { reason },
            Event::RoleChanged { from, to } => Event::RoleChanged { from, to },
            Event::RestartRequested => Event::RestartRequested,
            Event::UnknownComponentId => Event::UnknownComponentId,
            Event::WatchdogTooLong { watchdog, bound } => {
                Event::WatchdogTooLong { watchdog, bound }
            }
            Event::ActiveRefused { watchdog, bound } => Event::ActiveRefused { watchdog, bound },
            Event::StandbySync { records } => Event::StandbySync { records },
            Event::StandbyUpdate {
                sequence,
                operations,
            } => Event::StandbyUpdate {
                sequence,
                operations,
            },
        }
    }
}
