//! The component side: [`ComponentHealth`], embedded by applications.

use crate::ignored::IgnoredReason;
use crate::message::{component_id, correlation_id, text, Transmit};
use crate::MonitorError;
use baton_asn1::monitor::{
    BillOfHealth, ComponentId, ComponentStatus, HealthMonitorMessage,
    HealthMonitorMessageMessage as M, HealthQueryResponse, HeartBeat,
};
use baton_core::{CorrelationCounter, Instant, LinkId, Timers};
use std::collections::VecDeque;
use std::time::Duration;

/// Configuration of a [`ComponentHealth`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComponentHealthConfig {
    /// Interval between pushed heartbeats. Default 1 s: the node's queries (every 100 ms by
    /// default) already prove liveness; pushes are a second path, and every status change is
    /// pushed at once anyway.
    pub heartbeat_interval: Duration,
}

impl Default for ComponentHealthConfig {
    fn default() -> Self {
        ComponentHealthConfig {
            heartbeat_interval: Duration::from_secs(1),
        }
    }
}

/// What the application learns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A message from the node was ignored.
    Ignored {
        /// Why.
        reason: IgnoredReason,
    },
}

/// The one timer: the next pushed heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Heartbeat;

/// The component side of the monitor interface (PROTOCOL 6.4).
///
/// On connection it registers with a `heartBeat` carrying its component id and status; it
/// answers each `healthQuery` with `healthQueryResponse` (the query's `correlationId`, the
/// application's current status), and pushes a `heartBeat` every heartbeat interval and on
/// every status change.
#[derive(Debug, Clone)]
pub struct ComponentHealth {
    config: ComponentHealthConfig,
    id: ComponentId,
    id_text: String,
    status: ComponentStatus,
    link: Option<LinkId>,
    correlation: CorrelationCounter,
    timers: Timers<Heartbeat>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
}

impl ComponentHealth {
    /// Component `id`, status `ok`, not connected.
    ///
    /// # Errors
    /// [`MonitorError::InvalidId`] if `id` is not digits (at most 16).
    pub fn new(id: &str, config: ComponentHealthConfig) -> Result<Self, MonitorError> {
        Self::with_correlation(id, config, CorrelationCounter::default())
    }

    /// As [`ComponentHealth::new`], with a counter the driver seeded.
    ///
    /// # Errors
    /// As [`ComponentHealth::new`].
    pub fn with_correlation(
        id: &str,
        config: ComponentHealthConfig,
        correlation: CorrelationCounter,
    ) -> Result<Self, MonitorError> {
        Ok(ComponentHealth {
            config,
            id: component_id(id)?,
            id_text: id.to_owned(),
            status: ComponentStatus::ok,
            link: None,
            correlation,
            timers: Timers::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        })
    }

    /// The node link is up: registers with a `heartBeat` at once.
    pub fn handle_node_connected(&mut self, now: Instant, link: LinkId) {
        self.link = Some(link);
        self.push_heartbeat(now);
    }

    /// The node link closed: nothing is sent until it reconnects.
    pub fn handle_node_closed(&mut self, _now: Instant) {
        self.link = None;
        self.timers.stop(Heartbeat);
    }

    /// A `HealthMonitorMessage` from the node.
    pub fn handle_message(&mut self, _now: Instant, message: HealthMonitorMessage) {
        let id = text(&message.component_id.0);
        if id != self.id_text {
            self.events.push_back(Event::Ignored {
                reason: IgnoredReason::ComponentIdMismatch {
                    expected: self.id_text.clone(),
                    got: id,
                },
            });
            return;
        }
        match (message.message, self.link) {
            (M::healthQuery(_), Some(link)) => self.transmits.push_back(Transmit {
                link,
                message: HealthMonitorMessage::new(
                    message.correlation_id,
                    self.id.clone(),
                    M::healthQueryResponse(HealthQueryResponse::new(BillOfHealth::new(
                        self.status,
                    ))),
                ),
            }),
            (M::healthQuery(_), None) => {}
            (M::heartBeat(_) | M::healthQueryResponse(_), _) => {
                self.events.push_back(Event::Ignored {
                    reason: IgnoredReason::UnexpectedMessage,
                })
            }
        }
    }

    /// The application's status changed: pushed at once (if connected and different).
    pub fn set_status(&mut self, now: Instant, status: ComponentStatus) {
        if status == self.status {
            return;
        }
        self.status = status;
        if self.link.is_some() {
            self.push_heartbeat(now);
        }
    }

    /// Pushes the due heartbeat.
    pub fn handle_timeout(&mut self, now: Instant) {
        while self.timers.next_expired(now).is_some() {
            self.push_heartbeat(now);
        }
    }

    /// The next pushed heartbeat, while connected.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    /// The next message to send to the node.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The status reported.
    pub fn status(&self) -> ComponentStatus {
        self.status
    }

    /// The component id.
    pub fn id(&self) -> &str {
        &self.id_text
    }

    fn push_heartbeat(&mut self, now: Instant) {
        let Some(link) = self.link else {
            return;
        };
        let message = HealthMonitorMessage::new(
            correlation_id(&self.correlation.next_id()),
            self.id.clone(),
            M::heartBeat(HeartBeat::new(BillOfHealth::new(self.status))),
        );
        self.transmits.push_back(Transmit { link, message });
        self.timers
            .set(Heartbeat, now + self.config.heartbeat_interval);
    }
}
