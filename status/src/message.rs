//! Outgoing messages and their constructors.

use baton_asn1::status::{
    CorrelationId, GetStatus, GetStatusResponse, ServiceStatusMessage,
    ServiceStatusMessageMessage as M, Status, StatusIndication,
};
use baton_core::LinkId;
use rasn::types::NumericString;

/// A message for the driver to send on `link`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The link to send it on.
    pub link: LinkId,
    /// The message.
    pub message: ServiceStatusMessage,
}

/// `getStatus{}`.
///
/// # Panics
/// If `correlation` holds a character other than a digit or a space.
pub fn get_status(correlation: &str) -> ServiceStatusMessage {
    ServiceStatusMessage::new(correlation_id(correlation), M::getStatus(GetStatus::new()))
}

/// `getStatusResponse{status}`.
///
/// # Panics
/// As [`get_status`].
pub fn get_status_response(correlation: &str, status: &str) -> ServiceStatusMessage {
    ServiceStatusMessage::new(
        correlation_id(correlation),
        M::getStatusResponse(GetStatusResponse::new(Status(status.into()))),
    )
}

/// `statusIndication{status}`.
///
/// # Panics
/// As [`get_status`].
pub fn status_indication(correlation: &str, status: &str) -> ServiceStatusMessage {
    ServiceStatusMessage::new(
        correlation_id(correlation),
        M::statusIndication(StatusIndication::new(Status(status.into()))),
    )
}

/// A `CorrelationId` from digits.
pub(crate) fn correlation_id(digits: &str) -> CorrelationId {
    CorrelationId(
        NumericString::from_bytes(digits.as_bytes())
            .expect("correlation ids are decimal digits (CorrelationCounter)"),
    )
}

/// The text of a received `CorrelationId`.
pub(crate) fn correlation_text(id: &CorrelationId) -> String {
    String::from_utf8_lossy(id.0.as_bytes()).into_owned()
}
