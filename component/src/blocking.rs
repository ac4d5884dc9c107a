//! The component for applications without tokio: a small current-thread runtime on a thread
//! of its own runs the same driver, and the application talks to it through channels.
//!
//! ```no_run
//! use baton_component::blocking::{Component, Event};
//! use baton_component::{ComponentOptions, Endpoint, Health};
//!
//! let endpoint = Endpoint::Unix("/run/baton/components.sock".into());
//! let (component, events) = Component::connect(endpoint, ComponentOptions::new("1001"))?;
//! component.set_health(Health::Ok);
//! for event in events {
//!     match event {
//!         Event::RoleRequest(request) => {
//!             // switch the application to request.role(), then:
//!             let _ = request.accept();
//!         }
//!         Event::RoleChanged { to, .. } => println!("now {to}"),
//!         _ => {}
//!     }
//! }
//! # Ok::<(), baton_component::Error>(())
//! ```

use crate::component::build;
use crate::event::State;
use crate::promotion::{PromoteError, Promoted, Replica};
use crate::replica::{Ack, Operation, ReplicateError, Restoration};
use crate::request::{cleanup_updates, replicate_blocking, Reply};
use crate::types::{Health, Role};
use crate::{AnswerError, ComponentOptions, Endpoint, Error};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// An [`Event`](crate::Event) of the blocking facade: its requests are answered without
/// `async`.
pub type Event = crate::Event<RoleRequest>;

/// A `setRole` from the node, answered by a blocking call. As
/// [`crate::RoleRequest`]: switch, then [`accept`](RoleRequest::accept); dropping it
/// unanswered refuses it.
#[derive(Debug)]
pub struct RoleRequest {
    inner: crate::RoleRequest,
}

impl RoleRequest {
    /// The role requested.
    pub fn role(&self) -> Role {
        self.inner.role()
    }

    /// The request's `correlationId`.
    pub fn correlation_id(&self) -> &str {
        self.inner.correlation_id()
    }

    /// The generation of the request: as [`crate::RoleRequest::generation`].
    pub fn generation(&self) -> Option<u32> {
        self.inner.generation()
    }

    /// When the node stops waiting: as [`crate::RoleRequest::deadline`], on the standard
    /// clock.
    pub fn deadline(&self) -> Option<std::time::Instant> {
        self.inner.deadline().map(tokio::time::Instant::into_std)
    }

    /// Whether the node still waits for this answer: as [`crate::RoleRequest::is_current`].
    pub fn is_current(&self) -> bool {
        self.inner.is_current()
    }

    /// Answers `success`; waits until the component has sent it.
    ///
    /// # Errors
    /// As [`crate::RoleRequest::accept`].
    pub fn accept(self) -> Result<(), AnswerError> {
        self.answer(true)
    }

    /// Answers `failure`; waits until the component has sent it.
    ///
    /// # Errors
    /// As [`crate::RoleRequest::accept`].
    pub fn refuse(self) -> Result<(), AnswerError> {
        self.answer(false)
    }

    /// Where a promoted state comes from: as [`crate::RoleRequest::restoration`].
    pub fn restoration(&self) -> Option<&Restoration> {
        self.inner.restoration()
    }

    /// Takes the restoration out: as [`crate::RoleRequest::take_restoration`].
    pub fn take_restoration(&mut self) -> Option<Restoration> {
        self.inner.take_restoration()
    }

    /// Runs a promotion (restoration, activation, the answer, auditing, cleanup), waiting
    /// on the calling thread: as [`crate::RoleRequest::promote`].
    ///
    /// # Errors
    /// As [`crate::RoleRequest::promote`].
    pub fn promote<A: Replica + ?Sized>(
        mut self,
        replica: &mut A,
    ) -> Result<Promoted, PromoteError> {
        if self.role() == Role::Standby {
            self.accept()?;
            return Ok(Promoted::default());
        }
        let restoration = self
            .take_restoration()
            .unwrap_or(Restoration::Records(Vec::new()));
        let commands = self.inner.commands();
        replica.restore(restoration);
        if !replica.activate() {
            self.refuse()?;
            return Err(PromoteError::NotActivated);
        }
        self.accept()?;
        let orphans = replica.audit();
        let commands = commands.ok_or(PromoteError::Cleanup(ReplicateError::Closed))?;
        let mut acks = Vec::new();
        for ops in cleanup_updates(&orphans) {
            acks.push(replicate_blocking(&commands, ops).map_err(PromoteError::Cleanup)?);
        }
        replica.cleanup(&orphans);
        Ok(Promoted { orphans, acks })
    }

    fn answer(self, accept: bool) -> Result<(), AnswerError> {
        let (tx, rx) = mpsc::channel();
        self.inner.send_answer(accept, Reply::Blocking(tx))?;
        rx.recv().unwrap_or(Err(AnswerError::Closed))
    }
}

/// The events of a blocking component, in order (see [`crate::Events`]). Also an iterator
/// that ends when the component is closed.
#[derive(Debug)]
pub struct Events {
    rx: mpsc::Receiver<Event>,
}

impl Events {
    /// Waits for the next event; `None` once the component is closed.
    pub fn recv(&self) -> Option<Event> {
        self.rx.recv().ok()
    }

    /// Waits at most `timeout` for the next event.
    ///
    /// # Errors
    /// [`mpsc::RecvTimeoutError::Timeout`] if none came,
    /// [`mpsc::RecvTimeoutError::Disconnected`] once the component is closed.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Event, mpsc::RecvTimeoutError> {
        self.rx.recv_timeout(timeout)
    }

    /// The next event if one is waiting.
    pub fn try_recv(&self) -> Option<Event> {
        self.rx.try_recv().ok()
    }
}

impl Iterator for Events {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        self.recv()
    }
}

/// The blocking handle: as [`crate::Component`], without `async`. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Component {
    inner: crate::Component,
    thread: Arc<Mutex<Option<JoinHandle<()>>>>,
    /// The component thread's runtime, for the waits.
    runtime: tokio::runtime::Handle,
}

impl Component {
    /// Starts component `options.id` on a thread of its own (named `baton-component-<id>`)
    /// running a current-thread tokio runtime; as [`crate::Component::connect`] otherwise.
    ///
    /// # Errors
    /// [`Error::InvalidId`]; [`Error::Io`] if the runtime or the thread cannot start.
    pub fn connect(
        endpoint: Endpoint,
        options: ComponentOptions,
    ) -> Result<(Component, Events), Error> {
        let name = format!("baton-component-{}", options.id);
        let (inner, mut events, driver) = build(endpoint, options)?;
        let (tx, rx) = mpsc::channel();
        let (started_tx, started) = mpsc::channel();
        // The runtime is built, run and dropped on its own thread only: never in the caller's
        // context, which may be async.
        let thread = std::thread::Builder::new().name(name).spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(e) => {
                    let _ = started_tx.send(Err(e));
                    return;
                }
            };
            let _ = started_tx.send(Ok(runtime.handle().clone()));
            let forward = async move {
                while let Some(event) = events.recv().await {
                    // A dropped `Events` drops the request, which refuses it.
                    let _ = tx.send(event.map_request(|inner| RoleRequest { inner }));
                }
            };
            runtime.block_on(async move {
                tokio::join!(driver.run(), forward);
            });
        })?;
        let runtime = match started.recv() {
            Ok(Ok(handle)) => handle,
            Ok(Err(e)) => return Err(Error::Io(e)),
            Err(_) => {
                return Err(Error::Io(std::io::Error::other(
                    "the component thread stopped at start",
                )))
            }
        };
        Ok((
            Component {
                inner,
                thread: Arc::new(Mutex::new(Some(thread))),
                runtime,
            },
            Events { rx },
        ))
    }

    /// The component id.
    pub fn id(&self) -> &str {
        self.inner.id()
    }

    /// The role the component holds (see [`crate::Component::role`]).
    pub fn role(&self) -> Option<Role> {
        self.inner.role()
    }

    /// A snapshot of the component.
    pub fn state(&self) -> State {
        self.inner.state()
    }

    /// Whether the node link is up.
    pub fn is_connected(&self) -> bool {
        self.inner.is_connected()
    }

    /// Sets the health reported to the node (see [`crate::Component::set_health`]).
    pub fn set_health(&self, health: Health) {
        self.inner.set_health(health);
    }

    /// Asks `probe` for the health at each `healthQuery`: as
    /// [`crate::Component::on_health_query`], with the same bound (it runs on the component's
    /// thread and must return in well under a millisecond).
    pub fn on_health_query(&self, probe: impl Fn() -> Health + Send + Sync + 'static) {
        self.inner.on_health_query(probe);
    }

    /// The health reported to the node.
    pub fn health(&self) -> Health {
        self.inner.health()
    }

    /// Replicates `operations` as one update and waits for the node's acknowledgement: as
    /// [`crate::Component::replicate`].
    ///
    /// # Errors
    /// As [`crate::Component::replicate`].
    pub fn replicate(&self, operations: impl Into<Vec<Operation>>) -> Result<Ack, ReplicateError> {
        self.inner.replicate_blocking(operations.into())
    }

    /// Blocks until the component holds a role: as [`crate::Component::wait_role`] (answer
    /// the requests of [`Events`] on another thread meanwhile).
    ///
    /// # Errors
    /// As [`crate::Component::wait_role`].
    pub fn wait_role(&self) -> Result<Role, Error> {
        let (tx, rx) = mpsc::channel();
        let inner = self.inner.clone();
        self.runtime.spawn(async move {
            let _ = tx.send(inner.wait_role().await);
        });
        // The runtime gone (the component closed): the state says why.
        rx.recv()
            .unwrap_or_else(|_| crate::component::role_or_error(&self.inner.state()))
    }

    /// The node's timers (see [`crate::Component::node_timers`]).
    pub fn node_timers(&self) -> crate::NodeTimers {
        self.inner.node_timers()
    }

    /// Leaves the node on purpose (see [`crate::Component::leave`]), stops the component
    /// (every clone) and joins its thread.
    pub fn leave(self) {
        let _ = self.inner.commands_send(crate::request::Command::Leave);
        self.join();
    }

    /// Closes the node link, stops the component (every clone) and joins its thread.
    pub fn close(self) {
        let _ = self.inner.commands_send_shutdown();
        self.join();
    }

    /// Joins the component thread (once the driver was asked to stop).
    fn join(self) {
        let thread = match self.thread.lock() {
            Ok(mut slot) => slot.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}
