//! A `setRole` from the node and its answer.

use crate::promotion::{PromoteError, Promoted, Replica};
use crate::replica::{Ack, Operation, RecordKey, ReplicateError, Restoration, MAX_OPERATIONS};
use crate::types::Role;
use std::fmt;
use std::future::Future;
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
    /// A replicating component's restoration, for a request of `active`.
    pub(crate) restoration: Option<Restoration>,
}

/// Where the driver reports the fate of an update.
pub(crate) enum ReplicateReply {
    /// An async caller.
    Async(oneshot::Sender<Result<Ack, ReplicateError>>),
    /// A blocking caller.
    Blocking(std::sync::mpsc::Sender<Result<Ack, ReplicateError>>),
}

impl ReplicateReply {
    pub(crate) fn send(self, result: Result<Ack, ReplicateError>) {
        match self {
            ReplicateReply::Async(tx) => {
                let _ = tx.send(result);
            }
            ReplicateReply::Blocking(tx) => {
                let _ = tx.send(result);
            }
        }
    }
}

/// Hands `operations` to the driver at once (so that updates go out in call order) and
/// returns the wait for their answer.
pub(crate) fn replicate(
    commands: &mpsc::UnboundedSender<Command>,
    operations: Vec<Operation>,
) -> impl Future<Output = Result<Ack, ReplicateError>> + Send + 'static {
    let (tx, rx) = oneshot::channel();
    let sent = commands
        .send(Command::Replicate {
            operations,
            reply: ReplicateReply::Async(tx),
        })
        .is_ok();
    async move {
        if !sent {
            return Err(ReplicateError::Closed);
        }
        rx.await.unwrap_or(Err(ReplicateError::Closed))
    }
}

/// As [`replicate`], waiting on the calling thread.
pub(crate) fn replicate_blocking(
    commands: &mpsc::UnboundedSender<Command>,
    operations: Vec<Operation>,
) -> Result<Ack, ReplicateError> {
    let (tx, rx) = std::sync::mpsc::channel();
    commands
        .send(Command::Replicate {
            operations,
            reply: ReplicateReply::Blocking(tx),
        })
        .map_err(|_| ReplicateError::Closed)?;
    rx.recv().unwrap_or(Err(ReplicateError::Closed))
}

/// The orphans' `delete` operations, at most [`MAX_OPERATIONS`] per update.
pub(crate) fn cleanup_updates(orphans: &[RecordKey]) -> Vec<Vec<Operation>> {
    orphans
        .chunks(MAX_OPERATIONS)
        .map(|chunk| chunk.iter().cloned().map(Operation::Delete).collect())
        .collect()
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
    /// Send these operations as an update (PROTOCOL 6.11).
    Replicate {
        operations: Vec<Operation>,
        reply: ReplicateReply,
    },
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
    restoration: Option<Restoration>,
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
            restoration: info.restoration,
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

    /// For a replicating component's request of `active`: where the promoted state comes
    /// from (seed 002's restoration), as [`RoleRequest::promote`] hands it to
    /// [`Replica::restore`]. `None` for a request of `standby`, a component that does not
    /// replicate, or once taken.
    pub fn restoration(&self) -> Option<&Restoration> {
        self.restoration.as_ref()
    }

    /// Takes the restoration out of the request (see [`RoleRequest::restoration`]), for an
    /// application that runs the promotion's steps itself rather than
    /// [`RoleRequest::promote`].
    pub fn take_restoration(&mut self) -> Option<Restoration> {
        self.restoration.take()
    }

    /// Runs a promotion as seed 002 orders it, then answers (PROTOCOL 6.11). For a request
    /// of `active`:
    ///
    /// 1. **restoration**: [`Replica::restore`] with [`RoleRequest::restoration`];
    /// 2. **activation**: [`Replica::activate`]; `false` refuses the role
    ///    (`setRoleResponse{failure}`) and stops here with [`PromoteError::NotActivated`];
    /// 3. the answer `setRoleResponse{success}`: the component is active and may replicate;
    /// 4. **auditing**: [`Replica::audit`] returns the keys of orphaned contexts;
    /// 5. **cleanup**: the library replicates a `delete` of each orphan (at most 64 per
    ///    update) and, once they are all acknowledged, calls [`Replica::cleanup`].
    ///
    /// For a request of `standby` it is [`RoleRequest::accept`] (the application stops
    /// serving first, as for any request).
    ///
    /// # Errors
    /// [`PromoteError::Answer`] if the answer could not be sent (as
    /// [`RoleRequest::accept`]: the request was withdrawn or replaced); a refused
    /// activation; [`PromoteError::Cleanup`] if a delete was not acknowledged (the
    /// component is active; [`Replica::cleanup`] was not called).
    pub async fn promote<A: Replica + ?Sized>(
        mut self,
        replica: &mut A,
    ) -> Result<Promoted, PromoteError> {
        if self.role == Role::Standby {
            self.accept().await?;
            return Ok(Promoted::default());
        }
        let restoration = self
            .restoration
            .take()
            .unwrap_or(Restoration::Records(Vec::new()));
        let commands = self.commands.clone();
        replica.restore(restoration);
        if !replica.activate() {
            self.refuse().await?;
            return Err(PromoteError::NotActivated);
        }
        self.accept().await?;
        let orphans = replica.audit();
        let Some(commands) = commands else {
            return Err(PromoteError::Cleanup(ReplicateError::Closed));
        };
        // Every update is handed to the driver before the first wait: in order, pipelined.
        let waits: Vec<_> = cleanup_updates(&orphans)
            .into_iter()
            .map(|ops| replicate(&commands, ops))
            .collect();
        let mut acks = Vec::with_capacity(waits.len());
        for wait in waits {
            acks.push(wait.await.map_err(PromoteError::Cleanup)?);
        }
        replica.cleanup(&orphans);
        Ok(Promoted { orphans, acks })
    }

    /// The handles' command channel (for the blocking promotion).
    pub(crate) fn commands(&self) -> Option<mpsc::UnboundedSender<Command>> {
        self.commands.clone()
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
