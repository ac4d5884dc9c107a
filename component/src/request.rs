//! A `setRole` from the node and its answer.

use crate::types::Role;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
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

/// The application's health probe ([`Component::on_health_query`](crate::Component::on_health_query)).
pub(crate) type HealthProbe = Arc<dyn Fn() -> crate::types::Health + Send + Sync>;

/// No request is waiting (the value of [`RoleRequest`]'s shared serial).
pub(crate) const NO_REQUEST: u64 = u64::MAX;

/// What a [`RoleRequest`] says of itself.
pub(crate) struct RequestInfo {
    pub(crate) role: Role,
    pub(crate) correlation: String,
    pub(crate) generation: Option<u32>,
    pub(crate) deadline: Option<tokio::time::Instant>,
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
    /// Ask this probe at each `healthQuery` (`None`: stop asking).
    SetProbe(Option<HealthProbe>),
    /// Close the link and stop.
    Shutdown,
    /// Tell the node the component leaves on purpose (PROTOCOL 6.9), close the link and stop.
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
    deadline: Option<tokio::time::Instant>,
    serial: u64,
    /// The serial of the request the driver takes an answer to now ([`NO_REQUEST`]: none).
    current: Arc<AtomicU64>,
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
        info: RequestInfo,
        serial: u64,
        current: Arc<AtomicU64>,
        commands: mpsc::UnboundedSender<Command>,
    ) -> Self {
        RoleRequest {
            role: info.role,
            correlation: info.correlation,
            generation: info.generation,
            deadline: info.deadline,
            serial,
            current,
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

    /// When the node stops waiting for the answer: the instant the request came plus the
    /// node's role timeout, as the node told it at registration (PROTOCOL 6.1, 6.9). `None`
    /// with a node that did not tell it (one that predates the notices; its default is 1 s).
    /// An answer after the deadline no longer counts: the node took the request as failed
    /// (an `active` one failed the promotion).
    pub fn deadline(&self) -> Option<tokio::time::Instant> {
        self.deadline
    }

    /// Whether the node still waits for this answer: `false` once a newer request came, the
    /// link closed (the request was withdrawn, [`Event::RequestWithdrawn`](crate::Event)),
    /// the watchdog demoted the component, or the request was answered. An application still
    /// executing a request that is no longer current should go back to
    /// [`Component::role`](crate::Component::role) rather than finish it; its answer would
    /// fail with [`AnswerError::Stale`]. (It does not look at [`RoleRequest::deadline`]:
    /// compare that with the clock.)
    pub fn is_current(&self) -> bool {
        self.current.load(Ordering::Acquire) == self.serial
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
