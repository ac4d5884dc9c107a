//! The component engine: the component side of PROTOCOL 6 as one sans-IO machine.
//!
//! [`ComponentEngine`] composes the Role machine ([`baton_role::ComponentRole`]: `setRole`
//! requests, their answers and the watchdog of PROTOCOL 6.3) and the HealthMonitor machine
//! ([`baton_monitor::ComponentHealth`]: registration, answers to `healthQuery`, pushed
//! heartbeats, PROTOCOL 6.4) over one node link. It reads no clock and opens no socket: the
//! caller passes `now` in, feeds what happened (`handle_*`, [`ComponentEngine::accept`],
//! [`ComponentEngine::refuse`], [`ComponentEngine::set_health`]), then drains
//! [`ComponentEngine::poll_transmit`] (frames for the node, in the order produced),
//! [`ComponentEngine::poll_event`] (what it must act on) and calls
//! [`ComponentEngine::handle_timeout`] once [`ComponentEngine::poll_timeout`] has passed.
//!
//! Three callers drive it: the library's tokio driver (sockets, back-off, the application's
//! handles), the node's in-process adapter for script components, and the simulation.
//!
//! A replicating component ([`ComponentEngine::with_replication`], PROTOCOL 6.11) also sends
//! [`ComponentEngine::replicate`]'s updates, numbered per link, and reports their answers,
//! a hot standby's sync and stream, as [`ComponentEngineEvent::Replication`]; the records a
//! promotion restores are [`ComponentEngine::take_restoration`]'s.
//!
//! ```
//! use baton_component::engine::{
//!     ComponentEngine, ComponentEngineConfig, ComponentEngineEvent, Instant, LinkId,
//! };
//!
//! let mut engine = ComponentEngine::new("1001", ComponentEngineConfig::default()).unwrap();
//! engine.handle_connected(Instant::ZERO, LinkId(0));
//! // The registration heartBeat, for the node.
//! assert!(engine.poll_transmit().is_some());
//! assert_eq!(
//!     engine.poll_event(),
//!     Some(ComponentEngineEvent::Connected { role: None, self_demoted: false })
//! );
//! ```

mod event;
mod replication;
#[cfg(test)]
mod tests;

/// The engine's clock and link names, re-exported so that an embedder needs no other crate.
pub use baton_core::{Instant, LinkId};

pub use event::{
    ComponentEngineConfig, ComponentEngineEvent, IgnoredFrame, InvalidComponentId,
    NoPendingRequest, NodeTimer, NodeTimers, PendingRequest,
};
pub use replication::{ReplicationConfig, ReplicationEvent, StandbyKind, Ticket};

use crate::replica::{Operation, ReplicateError, Restoration};
use replication::Replication;

use crate::types::{Health, Role};
use baton_codec::AnyMessage;
use baton_core::StallRule;
use baton_monitor::{
    ComponentHealth, ComponentHealthConfig, ComponentHealthEvent as HealthEvent, LinkNotice,
};
use baton_role::{ComponentConfig, ComponentRole, ComponentRoleEvent as RoleEvent, SetRoleId};
use std::collections::VecDeque;
use std::time::Duration;

/// The shortest heartbeat interval: a zero interval would push heartbeats without end.
const MIN_HEARTBEAT: Duration = Duration::from_millis(1);

/// One component's side of its node link: role and health, composed (see the module docs).
#[derive(Debug, Clone)]
pub struct ComponentEngine {
    role: ComponentRole,
    health: ComponentHealth,
    link: Option<LinkId>,
    transmits: VecDeque<AnyMessage>,
    events: VecDeque<ComponentEngineEvent>,
    /// The node's timers, as told (PROTOCOL 6.9).
    timers: NodeTimers,
    /// `dead_interval + stall_grace`, checked against the node's watchdog bound.
    watchdog: Duration,
    /// The `correlationId` of an `active` request this engine refused itself because the
    /// watchdog breaks the node's bound (PROTOCOL 6.9), until its event is reported.
    refused: Option<String>,
    /// Replication through the node (PROTOCOL 6.11), for a replicating component.
    replication: Option<Replication>,
}

impl ComponentEngine {
    /// Component `id`, health ok, no role yet, not connected.
    ///
    /// # Errors
    /// [`InvalidComponentId`] if `id` is not 1 to 16 digits.
    pub fn new(id: &str, config: ComponentEngineConfig) -> Result<Self, InvalidComponentId> {
        let health = ComponentHealth::new(
            id,
            ComponentHealthConfig {
                heartbeat_interval: config.heartbeat_interval.max(MIN_HEARTBEAT),
            },
        )
        .map_err(|_| InvalidComponentId(id.to_owned()))?;
        let role = ComponentRole::with_stall_grace(
            ComponentConfig {
                dead_interval: config.dead_interval,
            },
            StallRule::for_interval(config.dead_interval, config.stall_grace),
        );
        Ok(ComponentEngine {
            role,
            health,
            link: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            timers: NodeTimers::default(),
            watchdog: config.dead_interval.saturating_add(config.stall_grace),
            refused: None,
            replication: None,
        })
    }

    /// The component replicates (PROTOCOL 6.11): [`ComponentEngine::replicate`] sends
    /// updates, interface-5 frames from the node are taken (the standby stream, a
    /// promotion's records, answers) and reported as [`ComponentEngineEvent::Replication`];
    /// a hot standby asks for its records at each registration and `setRole{standby}`. Set
    /// before the first link.
    pub fn with_replication(mut self, config: ReplicationConfig) -> Self {
        self.replication = Some(Replication::new(config));
        self
    }

    /// The replication configuration, for a replicating component.
    pub fn replication(&self) -> Option<ReplicationConfig> {
        self.replication.as_ref().map(Replication::config)
    }

    /// Sends `operations` as the component's next update (PROTOCOL 6.11: `update{generation,
    /// sequenceNumber, operations}`, numbered 1, 2, ... on each link, in the generation of
    /// the `setRole{active}` accepted last). Its answer comes as a
    /// [`ReplicationEvent::Acked`] or [`ReplicationEvent::Failed`] of the returned ticket.
    ///
    /// # Errors
    /// Nothing is sent when: the component does not replicate
    /// ([`ReplicateError::NotReplicating`]), is not connected, is not active, or the
    /// operations break the module's constraints or the frame limit
    /// ([`ReplicateError::Invalid`]).
    pub fn replicate(&mut self, operations: &[Operation]) -> Result<Ticket, ReplicateError> {
        let active = self.role() == Some(Role::Active);
        let connected = self.link.is_some();
        let Some(replication) = self.replication.as_mut() else {
            return Err(ReplicateError::NotReplicating);
        };
        if !connected {
            return Err(ReplicateError::NotConnected);
        }
        let ticket = replication.replicate(self.health.id(), active, operations)?;
        self.collect();
        Ok(ticket)
    }

    /// Where the state of a promotion comes from (seed 002's restoration), for the
    /// `setRole{active}` just reported: the records the node sent before it, or
    /// [`Restoration::Streamed`] for a hot standby streamed to on this link. Taken once;
    /// `None` for a component that does not replicate.
    pub fn take_restoration(&mut self) -> Option<Restoration> {
        self.replication.as_mut().map(Replication::take_restoration)
    }

    /// The node link `link` is up: the component registers (a `heartBeat`) and reports
    /// [`ComponentEngineEvent::Connected`]. A link still up is closed first.
    pub fn handle_connected(&mut self, now: Instant, link: LinkId) {
        if self.link.is_some() {
            self.handle_closed(now);
        }
        self.link = Some(link);
        self.health.handle_node_connected(now, link);
        self.role.handle_node_connected(now, link);
        self.collect();
        let active = self.role() == Some(Role::Active);
        if let Some(replication) = self.replication.as_mut() {
            replication.on_connected(active);
        }
        self.collect();
    }

    /// The node link closed (or the caller closed it): an unanswered request is withdrawn,
    /// an active component stands by ([`WatchdogReason::LinkClosed`](crate::WatchdogReason)),
    /// and frames not yet drained are dropped. Nothing happens while not connected.
    pub fn handle_closed(&mut self, now: Instant) {
        if self.link.take().is_none() {
            return;
        }
        self.role.handle_node_closed(now);
        self.health.handle_node_closed(now);
        if let Some(replication) = self.replication.as_mut() {
            replication.on_closed();
        }
        self.transmits.clear();
        self.collect();
    }

    /// A frame from the node. Every frame, whatever its interface, is node activity for the
    /// watchdog (PROTOCOL 6.3); Role messages go to the Role machine, HealthMonitor messages
    /// to the health machine (a `healthQuery` is answered at once), others are reported as
    /// [`IgnoredFrame::Interface`]. Frames while not connected are dropped.
    pub fn handle_frame(&mut self, now: Instant, message: AnyMessage) {
        if self.link.is_none() {
            return;
        }
        match message {
            AnyMessage::Role(m) => {
                self.role.handle_message(now, m);
                self.refuse_active_if_watchdog_too_long(now);
            }
            AnyMessage::Monitor(m) => {
                self.role.handle_node_activity(now);
                // PROTOCOL 6.9: a notice is a query (answered as any) with a reserved id.
                let notice = match m.message {
                    baton_asn1::monitor::HealthMonitorMessageMessage::healthQuery(_)
                        if m.component_id.0.as_bytes() == self.id().as_bytes() =>
                    {
                        std::str::from_utf8(m.correlation_id.0.as_bytes())
                            .ok()
                            .and_then(LinkNotice::parse)
                    }
                    _ => None,
                };
                self.health.handle_message(now, m);
                if let Some(notice) = notice {
                    self.collect();
                    self.on_notice(notice);
                }
            }
            AnyMessage::Replication(m) if self.replication.is_some() => {
                self.role.handle_node_activity(now);
                let active = self.role() == Some(Role::Active);
                if let Some(replication) = self.replication.as_mut() {
                    replication.handle(active, m);
                }
            }
            other @ (AnyMessage::Election(_)
            | AnyMessage::Status(_)
            | AnyMessage::Replication(_)) => {
                self.role.handle_node_activity(now);
                let interface = other.interface();
                self.events
                    .push_back(ComponentEngineEvent::Ignored(IgnoredFrame::Interface(
                        interface,
                    )));
            }
        }
        self.collect();
    }

    /// The application took the requested role: queues `setRoleResponse{success}` and
    /// returns the role (that of the latest request), reporting
    /// [`ComponentEngineEvent::RoleChanged`] if it is a change.
    ///
    /// # Errors
    /// [`NoPendingRequest`] if no request is waiting.
    pub fn accept(&mut self, now: Instant) -> Result<Role, NoPendingRequest> {
        let before = self.role();
        // The generation updates carry: the round of this `setRole{active}` (PROTOCOL 6.11).
        let generation = self
            .role
            .pending_request()
            .and_then(|(correlation, _)| SetRoleId::parse(&correlation))
            .map_or(0, |id| u64::from(id.round));
        let role = Role::from(self.role.accept(now).map_err(|_| NoPendingRequest)?);
        if before != Some(role) {
            self.events.push_back(ComponentEngineEvent::RoleChanged {
                from: before,
                to: role,
            });
        }
        self.collect();
        if let Some(replication) = self.replication.as_mut() {
            match role {
                Role::Active => replication.on_active(generation),
                Role::Standby => replication.on_standby(),
            }
        }
        self.collect();
        Ok(role)
    }

    /// The application cannot take the requested role: queues `setRoleResponse{failure}`
    /// and returns the role refused. The component's role is unchanged.
    ///
    /// # Errors
    /// [`NoPendingRequest`] if no request is waiting.
    pub fn refuse(&mut self, now: Instant) -> Result<Role, NoPendingRequest> {
        let role = Role::from(self.role.refuse(now).map_err(|_| NoPendingRequest)?);
        self.collect();
        Ok(role)
    }

    /// The application's health from now on: answers and heartbeats carry it, and a change
    /// is pushed at once while connected.
    pub fn set_health(&mut self, now: Instant, health: Health) {
        self.health.set_status(now, health.into());
        self.collect();
    }

    /// The application leaves on purpose (PROTOCOL 6.9): queues the leave notice, a
    /// `heartBeat{failed}` with `correlationId` `"0 0"` (a node that predates it takes it as a
    /// failure, as it would the close). The caller sends it, then closes the link.
    /// `false` (nothing queued) while not connected.
    pub fn leave(&mut self) -> bool {
        if self.link.is_none() {
            return false;
        }
        let leave = LinkNotice::Leaving.to_string();
        let message =
            baton_monitor::heart_beat(&leave, self.id(), baton_monitor::ComponentStatus::failed);
        self.transmits.push_back(AnyMessage::Monitor(message));
        true
    }

    /// PROTOCOL 6.9: a component whose watchdog (`dead_interval + stall_grace`) is longer
    /// than the bound its node told could still serve after the node died and its peer
    /// promoted, so it refuses `active` (`setRoleResponse{failure}`, at once) and reports
    /// [`ComponentEngineEvent::ActiveRefused`]; `standby` is always taken. A node that told no
    /// bound is not second-guessed.
    fn refuse_active_if_watchdog_too_long(&mut self, now: Instant) {
        let Some(bound) = self.timers.watchdog_bound else {
            return;
        };
        if self.watchdog <= bound {
            return;
        }
        if let Some((correlation, baton_role::Role::active)) = self.role.pending_request() {
            if self.role.refuse(now).is_ok() {
                self.refused = Some(correlation);
            }
        }
    }

    /// The node's timers told on this or an earlier link (PROTOCOL 6.9).
    pub fn node_timers(&self) -> NodeTimers {
        self.timers
    }

    /// A notice from the node (PROTOCOL 6.9); its answer is already queued.
    fn on_notice(&mut self, notice: LinkNotice) {
        let event = match notice {
            LinkNotice::RestartRequested => ComponentEngineEvent::RestartRequested,
            LinkNotice::UnknownComponent => ComponentEngineEvent::UnknownComponentId,
            LinkNotice::Timer(timer, value) => {
                self.timers.set(timer, value);
                self.events
                    .push_back(ComponentEngineEvent::NodeTimer { timer, value });
                if timer == NodeTimer::WatchdogBound && self.watchdog > value {
                    ComponentEngineEvent::WatchdogTooLong {
                        watchdog: self.watchdog,
                        bound: value,
                    }
                } else {
                    return;
                }
            }
            // A component's notice, from the node: nothing to do.
            LinkNotice::Leaving => return,
        };
        self.events.push_back(event);
    }

    /// Runs the due timers: the watchdog, the pushed heartbeat.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.role.poll_timeout().is_some_and(|t| t <= now) {
            self.role.handle_timeout(now);
        }
        if self.health.poll_timeout().is_some_and(|t| t <= now) {
            self.health.handle_timeout(now);
        }
        self.collect();
    }

    /// The next frame for the node, on the current link.
    pub fn poll_transmit(&mut self) -> Option<AnyMessage> {
        self.transmits.pop_front()
    }

    /// The next thing the caller must act on.
    pub fn poll_event(&mut self) -> Option<ComponentEngineEvent> {
        self.events.pop_front()
    }

    /// The earliest timer (watchdog, heartbeat): call
    /// [`ComponentEngine::handle_timeout`] once it has passed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.role.poll_timeout(), self.health.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    /// The component id.
    pub fn id(&self) -> &str {
        self.health.id()
    }

    /// The role the component holds: the last accepted, or standby after a self-demotion;
    /// `None` before the first assignment.
    pub fn role(&self) -> Option<Role> {
        self.role.role().map(Role::from)
    }

    /// Whether the watchdog stood the component by since the node last assigned it a role.
    pub fn self_demoted(&self) -> bool {
        self.role.self_demoted()
    }

    /// Whether the node link is up.
    pub fn is_connected(&self) -> bool {
        self.link.is_some()
    }

    /// The node link, while up.
    pub fn link(&self) -> Option<LinkId> {
        self.link
    }

    /// The health reported to the node.
    pub fn health(&self) -> Health {
        self.health.status().into()
    }

    /// The request waiting for an answer, if any.
    pub fn pending_request(&self) -> Option<PendingRequest> {
        self.role
            .pending_request()
            .map(|(correlation, role)| PendingRequest {
                role: role.into(),
                correlation,
            })
    }

    /// Moves the machines' output into the engine's queues: health before role, as each
    /// input makes at most one of them transmit; replication's after them.
    fn collect(&mut self) {
        self.collect_machines();
        if let Some(replication) = self.replication.as_mut() {
            while let Some(m) = replication.poll_transmit() {
                if self.link.is_some() {
                    self.transmits.push_back(m);
                }
            }
            while let Some(e) = replication.poll_event() {
                self.events.push_back(ComponentEngineEvent::Replication(e));
            }
        }
    }

    fn collect_machines(&mut self) {
        while let Some(t) = self.health.poll_transmit() {
            if Some(t.link) == self.link {
                self.transmits.push_back(AnyMessage::Monitor(t.message));
            }
        }
        while let Some(t) = self.role.poll_transmit() {
            if Some(t.link) == self.link {
                self.transmits.push_back(AnyMessage::Role(t.message));
            }
        }
        while let Some(HealthEvent::Ignored { reason }) = self.health.poll_event() {
            self.events
                .push_back(ComponentEngineEvent::Ignored(IgnoredFrame::Health(reason)));
        }
        while let Some(e) = self.role.poll_event() {
            let event = match e {
                RoleEvent::RoleRequested { correlation, .. }
                    if self.refused.as_ref() == Some(&correlation) =>
                {
                    self.refused = None;
                    ComponentEngineEvent::ActiveRefused {
                        correlation,
                        watchdog: self.watchdog,
                        bound: self.timers.watchdog_bound.unwrap_or_default(),
                    }
                }
                RoleEvent::RoleRequested { role, correlation } => {
                    ComponentEngineEvent::RoleRequested {
                        role: role.into(),
                        generation: SetRoleId::parse(&correlation).map(|id| id.round),
                        correlation,
                    }
                }
                RoleEvent::RequestWithdrawn { role } => {
                    ComponentEngineEvent::RequestWithdrawn { role: role.into() }
                }
                RoleEvent::SelfDemoted { reason } => {
                    self.events
                        .push_back(ComponentEngineEvent::SelfDemoted { reason });
                    ComponentEngineEvent::RoleChanged {
                        from: Some(Role::Active),
                        to: Role::Standby,
                    }
                }
                RoleEvent::Connected { role, self_demoted } => ComponentEngineEvent::Connected {
                    role: role.map(Role::from),
                    self_demoted,
                },
                RoleEvent::Ignored { correlation } => {
                    ComponentEngineEvent::Ignored(IgnoredFrame::RoleAnswer { correlation })
                }
            };
            self.events.push_back(event);
        }
    }
}
