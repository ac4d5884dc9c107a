//! Messages the tester sends that the reference crates do not build for a client.

use baton_asn1::role::{Role, RoleMessage, RoleMessageMessage, SetRole};
use baton_asn1::status::{
    GetStatus, GetStatusResponse, ServiceStatusMessage, ServiceStatusMessageMessage as Sm, Status,
    StatusIndication,
};
use rasn::types::NumericString;

fn numeric(id: &str) -> NumericString {
    NumericString::from_bytes(id.as_bytes()).unwrap_or_default()
}

/// `getStatus{}` with `id`.
pub fn get_status(id: &str) -> ServiceStatusMessage {
    ServiceStatusMessage::new(
        baton_asn1::status::CorrelationId(numeric(id)),
        Sm::getStatus(GetStatus::new()),
    )
}

/// `getStatusResponse{status}` with `id`.
pub fn get_status_response(id: &str, status: &str) -> ServiceStatusMessage {
    ServiceStatusMessage::new(
        baton_asn1::status::CorrelationId(numeric(id)),
        Sm::getStatusResponse(GetStatusResponse::new(Status(status.into()))),
    )
}

/// `statusIndication{status}` with `id`.
pub fn status_indication(id: &str, status: &str) -> ServiceStatusMessage {
    ServiceStatusMessage::new(
        baton_asn1::status::CorrelationId(numeric(id)),
        Sm::statusIndication(StatusIndication::new(Status(status.into()))),
    )
}

/// `setRole{role}` with `id`.
pub fn set_role(id: &str, role: Role) -> RoleMessage {
    RoleMessage::new(
        baton_asn1::role::CorrelationId(numeric(id)),
        RoleMessageMessage::setRole(SetRole::new(role)),
    )
}
