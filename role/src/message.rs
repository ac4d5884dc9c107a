//! Outgoing messages and their constructors.

use baton_asn1::role::{
    CorrelationId, ReturnCode, Role, RoleMessage, RoleMessageMessage, SetRole, SetRoleResponse,
};
use baton_core::LinkId;
use rasn::types::NumericString;

/// A message for the driver to send on `link`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The link to send it on.
    pub link: LinkId,
    /// The message.
    pub message: RoleMessage,
}

/// `setRole{role}` with `correlationId` `correlation` (digits, at most 16).
///
/// # Panics
/// If `correlation` holds a character other than a digit or a space; ids from
/// [`baton_core::CorrelationCounter`] never do.
pub fn set_role(correlation: &str, role: Role) -> RoleMessage {
    RoleMessage::new(
        correlation_id(correlation),
        RoleMessageMessage::setRole(SetRole::new(role)),
    )
}

/// `setRoleResponse{returnCode}` with `correlationId` `correlation`.
///
/// # Panics
/// As [`set_role`].
pub fn set_role_response(correlation: &str, code: ReturnCode) -> RoleMessage {
    RoleMessage::new(
        correlation_id(correlation),
        RoleMessageMessage::setRoleResponse(SetRoleResponse::new(code)),
    )
}

/// A `CorrelationId` from digits.
pub(crate) fn correlation_id(digits: &str) -> CorrelationId {
    CorrelationId(
        NumericString::from_bytes(digits.as_bytes())
            .expect("correlation ids are decimal digits (CorrelationCounter)"),
    )
}

/// The text of a received `CorrelationId` (NumericString bytes are ASCII).
pub(crate) fn correlation_text(id: &CorrelationId) -> String {
    String::from_utf8_lossy(id.0.as_bytes()).into_owned()
}
