//! A `setRole` from the node and its answer.

use crate::types::Role;
use std::fmt;
use tokio::sync::{mpsc, oneshot};

/// Why an answer to a [`RoleRequest`] was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    /// The request is no longer waiting: the node link closed
    /// ([`Event::RequestWithdrawn`](crate::Event::RequestWithdrawn)) or a newer request
    /// replaced it. Nothing was sent and the component's role is unchanged: if the
    /// application already switched, it goes back to
    /// [`Component::role`](crate::Component::role).
    #[error("the request was withdrawn or replaced before the answer")]
    Stale,
    /// The component was closed.
    #[error("the component is closed")]
    Closed,
}

/// Where the driver reports the fate of an answer.
pub(crate) enum Reply {
    /// Nobody waits (a dropped request).
    None,
    /// An async caller.
    Async(oneshot::Sender<Result<(), AnswerError>>),
    /// A blocking caller (std channel: waiting on it never panics, in or out of a runtime).
    Blocking(std::sync::mpsc::Sender<Result<(), AnswerError>>),
}

impl Reply {
    pub(crate) fn send(self, result: Result<(), AnswerError>) {
        match self {
            Reply::None => {}
            Reply::Async(tx) => {
                let _ = tx.send(result);
            }
            Reply::Blocking(tx) => {
                let _ = tx.send(result);
            }
        }
    }
}

/// What the handles ask of the driver.
pub(crate) enum Command {
    /// Answer request `serial`: `success` if `accept`, else `failure`.
    Answer {
        serial: u64,
        accept: bool,
        reply: Reply,
    },
    /// Report this health from now on.
    SetHealth(crate::types::Health),
    /// Close the link and stop.
    Shutdown,
    /// Tell the node the component leaves on purpose (PROTOCOL 6.8), close the link and stop.
    Leave,
}

/// The node asks the component to take [`RoleRequest::role`] (a `setRole`).
///
/// Switch the application to the role, then call [`accept`](RoleRequest::accept), which sends
/// `setRoleResponse{success}`; if the application cannot take the role, call
/// [`refuse`](RoleRequest::refuse) (`failure`: a refused `active` fails the node's promotion and
/// the peer takes the service, PROTOCOL 6.1 and 5.6). The node waits for the answer for its role timeout
/// (1 s by default).
///
/// **Dropping a request unanswered refuses it**, as does dropping the
/// [`Events`](crate::Events) stream that carries it.
pub struct RoleRequest {
    role: Role,
    correlation: String,
    generation: Option<u32>,
    serial: u64,
    commands: Option<mpsc::UnboundedSender<Command>>,
}

impl fmt::Debug for RoleRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoleRequest")
            .field("role", &self.role)
            .field("correlation_id", &self.correlation)
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

impl RoleRequest {
    pub(crate) fn new(
        role: Role,
        correlation: String,
        generation: Option<u32>,
        serial: u64,
        commands: mpsc::UnboundedSender<Command>,
    ) -> Self {
        RoleRequest {
            role,
            correlation,
            generation,
            serial,
            commands: Some(commands),
        }
    }

    /// The role requested.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The request's `correlationId`, which the answer echoes.
    pub fn correlation_id(&self) -> &str {
        &self.correlation
    }

    /// The generation of the request (PROTOCOL 5.11): the round of the promotion an
    /// `active` request serves, or the highest round the node knows for a `standby` one,
    /// read from the node's `"<round> <seq>"` `correlationId` (PROTOCOL 2.3, *Role
    /// correlationIds*). `None` when the id is not of that form (a node that predates it).
    ///
    /// Rounds are comparable across the two nodes of a pair: a request of a higher round
    /// serves a newer promotion. Round 0 means the node knows of no promotion yet.
    pub fn generation(&self) -> Option<u32> {
        self.generation
    }

    /// The application took the role: answers `success`. The component then holds the role
    /// ([`Event::RoleChanged`](crate::Event::RoleChanged) if it is a change).
    ///
    /// # Errors
    /// [`AnswerError::Stale`] if the request was withdrawn or replaced meanwhile (nothing was
    /// sent: go back to [`Component::role`](crate::Component::role)); [`AnswerError::Closed`]
    /// if the component was closed.
    pub async fn accept(self) -> Result<(), AnswerError> {
        self.answer(true).await
    }

    /// The application cannot take the role: answers `failure`. The component's role is
    /// unchanged.
    ///
    /// # Errors
    /// As [`RoleRequest::accept`].
    pub async fn refuse(self) -> Result<(), AnswerError> {
        self.answer(false).await
    }

    async fn answer(self, accept: bool) -> Result<(), AnswerError> {
        let (tx, rx) = oneshot::channel();
        self.send_answer(accept, Reply::Async(tx))?;
        rx.await.unwrap_or(Err(AnswerError::Closed))
    }

    /// Hands the answer to the driver; the request is spent.
    pub(crate) fn send_answer(mut self, accept: bool, reply: Reply) -> Result<(), AnswerError> {
        let commands = self.commands.take().ok_or(AnswerError::Closed)?;
        commands
            .send(Command::Answer {
                serial: self.serial,
                accept,
                reply,
            })
            .map_err(|_| AnswerError::Closed)
    }
}

impl Drop for RoleRequest {
    fn drop(&mut self) {
        if let Some(commands) = self.commands.take() {
            let _ = commands.send(Command::Answer {
                serial: self.serial,
                accept: false,
                reply: Reply::None,
            });
        }
    }
}
