//! Why a received message was ignored.

/// A message the machine ignored: peer or component misbehaviour, or a stale answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IgnoredReason {
    /// The link is not known (never opened, or already refused, dead or closed).
    UnknownLink,
    /// The first message on a component link was not a `heartBeat` (registration).
    NotRegistered,
    /// A registration `heartBeat` with an empty `componentId`.
    EmptyComponentId,
    /// The message names another id than the one registered on this link (or, for a
    /// component, than its own).
    ComponentIdMismatch {
        /// The id registered on the link.
        expected: String,
        /// The id in the message.
        got: String,
    },
    /// A message this side never receives: a `healthQuery` from a component, a
    /// `healthQueryResponse` on a peer link (peers are not queried), a `heartBeat` or
    /// `healthQueryResponse` sent to a component.
    UnexpectedMessage,
    /// A `healthQueryResponse` whose `correlationId` answers no outstanding query.
    UnknownCorrelation(String),
}
