//! The CLI side: [`StatusClient`].

use crate::message::{correlation_id, correlation_text, Transmit};
use crate::{ServiceStatus, StatusError, StatusParseError};
use baton_asn1::status::{GetStatus, ServiceStatusMessage, ServiceStatusMessageMessage as M};
use baton_core::{CorrelationCounter, Instant, LinkId, Timers};
use std::collections::VecDeque;
use std::time::Duration;

/// Configuration of a [`StatusClient`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusClientConfig {
    /// How long to wait for a `getStatusResponse`. Default 1 s, as the role timeout.
    pub request_timeout: Duration,
}

impl Default for StatusClientConfig {
    fn default() -> Self {
        StatusClientConfig {
            request_timeout: Duration::from_secs(1),
        }
    }
}

/// Why a received message was ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IgnoredReason {
    /// A `getStatus` sent to the client.
    UnexpectedMessage,
    /// A `getStatusResponse` whose `correlationId` answers no outstanding request (late,
    /// after its timeout, or garbage).
    UnknownCorrelation(String),
    /// A status line that does not parse.
    MalformedStatus {
        /// The line as received.
        text: String,
        /// What is wrong with it.
        error: StatusParseError,
    },
}

/// What the CLI learns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The answer to request `correlation`.
    Status {
        /// The node's status.
        status: ServiceStatus,
        /// The request it answers.
        correlation: String,
    },
    /// The node pushed a change.
    Indication {
        /// The node's new status.
        status: ServiceStatus,
    },
    /// Request `correlation` got no answer within the request timeout.
    RequestTimedOut {
        /// The request.
        correlation: String,
    },
    /// A message was ignored.
    Ignored {
        /// Why.
        reason: IgnoredReason,
    },
}

/// The client side of the status interface, for CLIs and load-balancer probes.
///
/// [`StatusClient::request`] sends `getStatus` with a fresh `correlationId`; the matching
/// `getStatusResponse` becomes [`Event::Status`], or [`Event::RequestTimedOut`] after the
/// request timeout. Every `statusIndication` becomes [`Event::Indication`]. Several requests
/// may be outstanding.
#[derive(Debug, Clone)]
pub struct StatusClient {
    config: StatusClientConfig,
    link: Option<LinkId>,
    last: Option<ServiceStatus>,
    correlation: CorrelationCounter,
    /// Outstanding requests, keyed by their `correlationId`'s value.
    pending: Timers<u64>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
}

impl StatusClient {
    /// A client, not connected.
    pub fn new(config: StatusClientConfig) -> Self {
        Self::with_correlation(config, CorrelationCounter::default())
    }

    /// As [`StatusClient::new`], with a counter the driver seeded.
    pub fn with_correlation(config: StatusClientConfig, correlation: CorrelationCounter) -> Self {
        StatusClient {
            config,
            link: None,
            last: None,
            correlation,
            pending: Timers::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The link to the node is up.
    pub fn handle_connected(&mut self, _now: Instant, link: LinkId) {
        self.link = Some(link);
    }

    /// The link to the node closed: outstanding requests are dropped silently (the driver
    /// knows the link closed).
    pub fn handle_closed(&mut self, _now: Instant) {
        self.link = None;
        self.pending = Timers::new();
    }

    /// Sends `getStatus`; returns its `correlationId`.
    ///
    /// # Errors
    /// [`StatusError::NotConnected`] without a link to the node.
    pub fn request(&mut self, now: Instant) -> Result<String, StatusError> {
        let link = self.link.ok_or(StatusError::NotConnected)?;
        let correlation = self.correlation.next_id();
        if let Ok(key) = correlation.parse::<u64>() {
            self.pending.set(key, now + self.config.request_timeout);
        }
        self.transmits.push_back(Transmit {
            link,
            message: ServiceStatusMessage::new(
                correlation_id(&correlation),
                M::getStatus(GetStatus::new()),
            ),
        });
        Ok(correlation)
    }

    /// A `ServiceStatusMessage` from the node.
    pub fn handle_message(&mut self, _now: Instant, message: ServiceStatusMessage) {
        let correlation = correlation_text(&message.correlation_id);
        match message.message {
            M::getStatusResponse(r) => {
                let key = correlation
                    .parse::<u64>()
                    .ok()
                    .filter(|k| self.pending.is_armed(*k) && k.to_string() == correlation);
                let Some(key) = key else {
                    self.ignore(IgnoredReason::UnknownCorrelation(correlation));
                    return;
                };
                self.pending.stop(key);
                if let Some(status) = self.parse(r.status.0) {
                    self.events.push_back(Event::Status {
                        status,
                        correlation,
                    });
                }
            }
            M::statusIndication(i) => {
                if let Some(status) = self.parse(i.status.0) {
                    self.events.push_back(Event::Indication { status });
                }
            }
            M::getStatus(_) => self.ignore(IgnoredReason::UnexpectedMessage),
        }
    }

    /// Times out unanswered requests.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(key) = self.pending.next_expired(now) {
            self.events.push_back(Event::RequestTimedOut {
                correlation: key.to_string(),
            });
        }
    }

    /// The earliest request timeout.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.pending.next_deadline()
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The latest status received (answer or indication).
    pub fn last_status(&self) -> Option<&ServiceStatus> {
        self.last.as_ref()
    }

    fn parse(&mut self, text: String) -> Option<ServiceStatus> {
        match text.parse::<ServiceStatus>() {
            Ok(status) => {
                self.last = Some(status.clone());
                Some(status)
            }
            Err(error) => {
                self.ignore(IgnoredReason::MalformedStatus { text, error });
                None
            }
        }
    }

    fn ignore(&mut self, reason: IgnoredReason) {
        self.events.push_back(Event::Ignored { reason });
    }
}

impl Default for StatusClient {
    fn default() -> Self {
        Self::new(StatusClientConfig::default())
    }
}
