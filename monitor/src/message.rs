//! Outgoing messages and their constructors.

use crate::MonitorError;
use baton_asn1::monitor::{
    BillOfHealth, ComponentId, ComponentStatus, CorrelationId, HealthMonitorMessage,
    HealthMonitorMessageMessage as M, HealthQuery, HealthQueryResponse, HeartBeat,
};
use baton_core::LinkId;
use rasn::types::NumericString;

/// Longest `ComponentId` / `CorrelationId` (`SIZE(0..16)`).
const MAX_ID: usize = 16;

/// A message for the driver to send on `link`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The link to send it on.
    pub link: LinkId,
    /// The message.
    pub message: HealthMonitorMessage,
}

/// `heartBeat{billOfHealth{status}}` from `component`.
///
/// # Panics
/// If `correlation` or `component` holds a character other than a digit or a space.
pub fn heart_beat(
    correlation: &str,
    component: &str,
    status: ComponentStatus,
) -> HealthMonitorMessage {
    HealthMonitorMessage::new(
        correlation_id(correlation),
        raw_component_id(component),
        M::heartBeat(HeartBeat::new(BillOfHealth::new(status))),
    )
}

/// `healthQuery{}` to `component`.
///
/// # Panics
/// As [`heart_beat`].
pub fn health_query(correlation: &str, component: &str) -> HealthMonitorMessage {
    HealthMonitorMessage::new(
        correlation_id(correlation),
        raw_component_id(component),
        M::healthQuery(HealthQuery::new()),
    )
}

/// `healthQueryResponse{billOfHealth{status}}` from `component`.
///
/// # Panics
/// As [`heart_beat`].
pub fn health_query_response(
    correlation: &str,
    component: &str,
    status: ComponentStatus,
) -> HealthMonitorMessage {
    HealthMonitorMessage::new(
        correlation_id(correlation),
        raw_component_id(component),
        M::healthQueryResponse(HealthQueryResponse::new(BillOfHealth::new(status))),
    )
}

/// A `CorrelationId` from digits made by [`baton_core::CorrelationCounter`].
pub(crate) fn correlation_id(digits: &str) -> CorrelationId {
    CorrelationId(
        NumericString::from_bytes(digits.as_bytes())
            .expect("correlation ids are decimal digits (CorrelationCounter)"),
    )
}

/// A `ComponentId` as given (any NumericString, empty included).
fn raw_component_id(id: &str) -> ComponentId {
    ComponentId(NumericString::from_bytes(id.as_bytes()).expect("component id is a NumericString"))
}

/// A `ComponentId` from configuration or the application, checked.
pub(crate) fn component_id(id: &str) -> Result<ComponentId, MonitorError> {
    let invalid = || MonitorError::InvalidId(id.to_owned());
    if id.is_empty() || id.len() > MAX_ID || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    NumericString::from_bytes(id.as_bytes())
        .map(ComponentId)
        .map_err(|_| invalid())
}

/// The text of a received NumericString (its bytes are ASCII).
pub(crate) fn text(s: &NumericString) -> String {
    String::from_utf8_lossy(s.as_bytes()).into_owned()
}
