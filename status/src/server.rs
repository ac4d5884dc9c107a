//! The node side: [`StatusServer`].

use crate::message::{correlation_id, Transmit};
use crate::{ServiceStatus, StatusError};
use baton_asn1::status::{
    GetStatusResponse, ServiceStatusMessage, ServiceStatusMessageMessage as M, Status,
    StatusIndication,
};
use baton_core::{CorrelationCounter, Instant, LinkId};
use std::collections::{BTreeSet, VecDeque};

/// Why a received message was ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IgnoredReason {
    /// A `statusIndication` or `getStatusResponse` sent to the server: only clients receive
    /// those.
    UnexpectedMessage,
}

/// What the node learns from its status clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A message was ignored.
    Ignored {
        /// The link it came on.
        link: LinkId,
        /// Why.
        reason: IgnoredReason,
    },
}

/// The service status server (PROTOCOL 6.5).
///
/// Holds the node's current [`ServiceStatus`]. Any link may read it: a `getStatus` is
/// answered with `getStatusResponse{status}` echoing its `correlationId`. Subscribers (status
/// clients, and the peer links the composer registers the same way) are told of every
/// change: [`StatusServer::set_status`] pushes `statusIndication{status}` with a fresh
/// `correlationId` to each of them, in link order; setting the same status again sends
/// nothing.
#[derive(Debug, Clone)]
pub struct StatusServer {
    status: ServiceStatus,
    subscribers: BTreeSet<LinkId>,
    correlation: CorrelationCounter,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
}

impl StatusServer {
    /// A server whose status is `initial` (usually [`ServiceStatus::default`], `negotiating`).
    pub fn new(initial: ServiceStatus) -> Self {
        Self::with_correlation(initial, CorrelationCounter::default())
    }

    /// As [`StatusServer::new`], with a counter the driver seeded.
    pub fn with_correlation(initial: ServiceStatus, correlation: CorrelationCounter) -> Self {
        StatusServer {
            status: initial,
            subscribers: BTreeSet::new(),
            correlation,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// A status client (or peer) connected on `link`: it receives every later change.
    ///
    /// # Errors
    /// [`StatusError::AlreadyConnected`] if `link` is already a subscriber.
    pub fn handle_client_connected(
        &mut self,
        _now: Instant,
        link: LinkId,
    ) -> Result<(), StatusError> {
        if !self.subscribers.insert(link) {
            return Err(StatusError::AlreadyConnected(link));
        }
        Ok(())
    }

    /// The link of a subscriber closed (unknown links are ignored).
    pub fn handle_client_closed(&mut self, _now: Instant, link: LinkId) {
        self.subscribers.remove(&link);
    }

    /// A `ServiceStatusMessage` on `link` (a subscriber or not: every party may read).
    pub fn handle_message(&mut self, _now: Instant, link: LinkId, message: ServiceStatusMessage) {
        match message.message {
            M::getStatus(_) => self.transmits.push_back(Transmit {
                link,
                message: ServiceStatusMessage::new(
                    message.correlation_id,
                    M::getStatusResponse(GetStatusResponse::new(Status(self.status.to_string()))),
                ),
            }),
            M::statusIndication(_) | M::getStatusResponse(_) => {
                self.events.push_back(Event::Ignored {
                    link,
                    reason: IgnoredReason::UnexpectedMessage,
                })
            }
        }
    }

    /// Sets the node's status. If it changed, every subscriber is sent a `statusIndication`
    /// and `true` is returned; otherwise nothing is sent.
    pub fn set_status(&mut self, _now: Instant, status: ServiceStatus) -> bool {
        if status == self.status {
            return false;
        }
        self.status = status;
        let text = self.status.to_string();
        for &link in &self.subscribers {
            let message = ServiceStatusMessage::new(
                correlation_id(&self.correlation.next_id()),
                M::statusIndication(StatusIndication::new(Status(text.clone()))),
            );
            self.transmits.push_back(Transmit { link, message });
        }
        true
    }

    /// The current status.
    pub fn status(&self) -> &ServiceStatus {
        &self.status
    }

    /// The subscribers, in link order.
    pub fn subscribers(&self) -> impl Iterator<Item = LinkId> + '_ {
        self.subscribers.iter().copied()
    }

    /// The server has no timers: always `None` (for the driver's uniform loop).
    pub fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    /// The server has no timers: does nothing (for the driver's uniform loop).
    pub fn handle_timeout(&mut self, _now: Instant) {}

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }
}

impl Default for StatusServer {
    fn default() -> Self {
        Self::new(ServiceStatus::default())
    }
}
