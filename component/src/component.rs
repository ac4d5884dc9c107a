//! The async handle and its event stream.

use crate::driver::{initial_state, Driver};
use crate::event::{Event, State};
use crate::options::{ComponentOptions, Endpoint};
use crate::request::Command;
use crate::types::{Health, Role};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::{mpsc, watch};

/// A [`Component::connect`] that cannot start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The component id is not 1 to 16 digits.
    #[error("invalid component id {0:?}: expected 1 to 16 digits")]
    InvalidId(String),
    /// [`Component::connect`] was polled outside a tokio runtime.
    #[error("no tokio runtime: connect from within one, or use baton_component::blocking")]
    NoRuntime,
    /// The blocking facade could not start its runtime or thread.
    #[error("cannot start the component thread: {0}")]
    Io(#[from] std::io::Error),
    /// The node refused the component id: its configuration lists no component of this id
    /// (PROTOCOL 6.9). The component stopped.
    #[error("the node's configuration lists no component of this id: add a [[component]] with it on the node, or fix the id")]
    UnknownComponentId,
    /// The component was closed before what was awaited happened.
    #[error("the component is closed")]
    Closed,
}

/// The application's handle on its component: the link to its node, the role it holds, the
/// health it reports.
///
/// Cheap to clone; every clone controls the same component. When the last handle is dropped
/// (or [`Component::close`] is called) the component closes its node link and stops, and
/// [`Events`] ends.
#[derive(Debug, Clone)]
pub struct Component {
    commands: mpsc::UnboundedSender<Command>,
    state: watch::Receiver<State>,
    id: Arc<str>,
}

/// What the component tells the application, in order: role requests to answer, role
/// changes, the link coming and going. Returned by [`Component::connect`].
///
/// Read it all the time: role requests wait in it, and an unread self-demotion is a component
/// that keeps serving after its node died. Dropping it refuses every request from then on.
/// Also a [`futures_util::Stream`] of [`Event`].
#[derive(Debug)]
pub struct Events {
    rx: mpsc::UnboundedReceiver<Event>,
}

impl Events {
    /// The next event; `None` once the component is closed.
    pub async fn recv(&mut self) -> Option<Event> {
        self.rx.recv().await
    }

    /// The next event if one is waiting.
    pub fn try_recv(&mut self) -> Option<Event> {
        self.rx.try_recv().ok()
    }
}

impl futures_util::Stream for Events {
    type Item = Event;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.rx.poll_recv(cx)
    }
}

/// A component, its events and its not yet started driver.
pub(crate) fn build(
    endpoint: Endpoint,
    options: ComponentOptions,
) -> Result<(Component, Events, Driver), Error> {
    let (commands_tx, commands) = mpsc::unbounded_channel();
    let (events_tx, events) = mpsc::unbounded_channel();
    let (state_tx, state) = watch::channel(initial_state());
    let id: Arc<str> = Arc::from(options.id.as_str());
    let driver = Driver::new(
        endpoint,
        options,
        commands,
        commands_tx.clone(),
        events_tx,
        state_tx,
    )?;
    Ok((
        Component {
            commands: commands_tx,
            state,
            id,
        },
        Events { rx: events },
        driver,
    ))
}

impl Component {
    /// Starts component `options.id` on the current tokio runtime: it connects to the node at
    /// `endpoint` in the background, registers, and reconnects with back-off whenever the
    /// link drops.
    ///
    /// **It returns at once, before the first connection**: a node that is not up yet is
    /// no error (the component keeps trying). [`Event::Connected`] tells when the link is
    /// up and [`Component::wait_connected`] waits for it; the first role comes as an
    /// [`Event::RoleRequest`] once the node's election settles, and
    /// [`Component::wait_role`] waits until the application has taken it.
    ///
    /// # Errors
    /// [`Error::InvalidId`] for an id that is not 1 to 16 digits; [`Error::NoRuntime`] outside
    /// a tokio runtime.
    pub async fn connect(
        endpoint: Endpoint,
        options: ComponentOptions,
    ) -> Result<(Component, Events), Error> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| Error::NoRuntime)?;
        let (component, events, driver) = build(endpoint, options)?;
        runtime.spawn(driver.run());
        Ok((component, events))
    }

    /// The component id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The role the component holds: the last accepted, or standby after a self-demotion;
    /// `None` before the first assignment.
    pub fn role(&self) -> Option<Role> {
        self.state.borrow().role
    }

    /// A snapshot of the component.
    pub fn state(&self) -> State {
        *self.state.borrow()
    }

    /// A receiver that sees every change of [`Component::state`] (role, link, health).
    pub fn watch(&self) -> watch::Receiver<State> {
        self.state.clone()
    }

    /// Whether the node link is up.
    pub fn is_connected(&self) -> bool {
        self.state.borrow().connected
    }

    /// Sets the health reported to the node: answers to its `healthQuery`s and heartbeats
    /// from now on; a change is pushed at once if the link is up.
    pub fn set_health(&self, health: Health) {
        let _ = self.commands.send(Command::SetHealth(health));
    }

    /// Asks `probe` for the health each time the node sends a `healthQuery` (every query
    /// interval, 100 ms by default), and answers with what it returns (which also becomes
    /// the health pushed in heartbeats, as [`Component::set_health`] would make it):
    /// health is then pulled when the node asks, with no poller of the application's own.
    /// Replaces an earlier probe; [`Component::clear_health_query`] removes it.
    ///
    /// **The bound**: the probe runs on the component's driver, which waits for it before
    /// answering and before it reads anything else from the node; it must return in well
    /// under a millisecond (read a flag or an atomic, no I/O, no lock held for long). A
    /// check that takes longer belongs in a task of the application that calls
    /// [`Component::set_health`] with its result. A probe that panics is caught: the answer
    /// is the last health (set, or the probe's last answer), and a warning is logged.
    ///
    /// ```no_run
    /// # use baton_component::{Component, ComponentOptions, Endpoint, Health};
    /// # use std::sync::Arc;
    /// # use std::sync::atomic::{AtomicBool, Ordering};
    /// # async fn demo() -> Result<(), baton_component::Error> {
    /// let endpoint = Endpoint::Unix("/run/baton/components.sock".into());
    /// let (component, _events) = Component::connect(endpoint, ComponentOptions::new("1001")).await?;
    /// let healthy = Arc::new(AtomicBool::new(true)); // the application's own flag
    /// let flag = healthy.clone();
    /// component.on_health_query(move || {
    ///     if flag.load(Ordering::Relaxed) { Health::Ok } else { Health::Failed }
    /// });
    /// # Ok(()) }
    /// ```
    pub fn on_health_query(&self, probe: impl Fn() -> Health + Send + Sync + 'static) {
        let _ = self.commands.send(Command::SetProbe(Some(Arc::new(probe))));
    }

    /// Stops asking the probe of [`Component::on_health_query`]: answers carry the last
    /// health from then on, until [`Component::set_health`].
    pub fn clear_health_query(&self) {
        let _ = self.commands.send(Command::SetProbe(None));
    }

    /// The health reported to the node (as of the driver's last step).
    pub fn health(&self) -> Health {
        self.state.borrow().health
    }

    /// Waits until the node link is up. `false`: the component was closed.
    pub async fn wait_connected(&self) -> bool {
        let mut state = self.state.clone();
        let connected = match state.wait_for(|s| s.connected || s.closed).await {
            Ok(s) => s.connected,
            Err(_) => false,
        };
        connected
    }

    /// Waits until the component holds a role (the application accepted a
    /// [`RoleRequest`](crate::RoleRequest): read [`Events`] in another task meanwhile,
    /// since the role is taken only by answering it) and returns it; at once if it holds one.
    ///
    /// ```no_run
    /// # use baton_component::{Component, ComponentOptions, Endpoint, Event};
    /// # async fn demo() -> Result<(), baton_component::Error> {
    /// let endpoint = Endpoint::Unix("/run/baton/components.sock".into());
    /// let (component, mut events) = Component::connect(endpoint, ComponentOptions::new("1001")).await?;
    /// tokio::spawn(async move {
    ///     while let Some(event) = events.recv().await {
    ///         if let Event::RoleRequest(request) = event {
    ///             let _ = request.accept().await;
    ///         }
    ///     }
    /// });
    /// let role = component.wait_role().await?;
    /// println!("first role: {role}");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::UnknownComponentId`] if the node refused the id; [`Error::Closed`] if the
    /// component was closed first.
    pub async fn wait_role(&self) -> Result<Role, Error> {
        let mut state = self.state.clone();
        let s = match state
            .wait_for(|s| s.role.is_some() || s.closed || s.refused)
            .await
        {
            Ok(s) => *s,
            Err(_) => *self.state.borrow(),
        };
        role_or_error(&s)
    }

    /// The node's timers, as it told them at registration (PROTOCOL 6.9): role timeout,
    /// component dead interval, query interval and the watchdog bound of PROTOCOL 6.3. All
    /// `None` before the first registration, or with a node that predates the notices.
    pub fn node_timers(&self) -> crate::NodeTimers {
        self.state.borrow().node_timers
    }

    /// Leaves the node on purpose, then stops as [`Component::close`] does: the node is
    /// told first (PROTOCOL 6.9: a `heartBeat{failed}` with `correlationId` `"0 0"`), so it
    /// does not take the close for a crash. The node's status then counts this component
    /// as not registered (not ok: a configured component that is missing); a `major`
    /// component is not restarted, and a `fatal` one still keeps the node from serving
    /// (PROTOCOL 6.9). Not connected, it just closes.
    pub async fn leave(self) {
        let _ = self.commands.send(Command::Leave);
        let mut state = self.state;
        let _ = state.wait_for(|s| s.closed).await;
    }

    /// Replicates `operations` through the node (PROTOCOL 6.11) as one update, and completes
    /// with the node's acknowledgement (`updateAck`): with the node's `replication = "sync"`
    /// the standby node stored it, with `"async"` the active node's mirror holds it
    /// ([`ReplicationMode`](crate::ReplicationMode)). Only the active component replicates.
    ///
    /// The update is handed to the component when `replicate` is called, not when the
    /// future is first polled: updates go out in call order, and an application may start
    /// several and await them later (pipelining).
    ///
    /// ```no_run
    /// # use baton_component::{Component, Operation};
    /// # async fn demo(component: Component) -> Result<(), baton_component::ReplicateError> {
    /// let ack = component
    ///     .replicate(vec![Operation::add("1", b"session-7".to_vec(), b"state".to_vec())])
    ///     .await?;
    /// println!("replicated as update {}", ack.sequence);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ReplicateError::Refused`](crate::ReplicateError::Refused) names the node's code (e.g. `repertoryFull`: nothing was
    /// applied); [`ReplicateError::LinkClosed`](crate::ReplicateError::LinkClosed): the outcome is unknown. Nothing is sent
    /// when the component does not replicate, is not connected or not active, or the
    /// operations are invalid (1 to 64, within the module's sizes and the frame limit).
    pub fn replicate(
        &self,
        operations: impl Into<Vec<crate::Operation>>,
    ) -> impl std::future::Future<Output = Result<crate::Ack, crate::ReplicateError>> + Send + 'static
    {
        crate::request::replicate(&self.commands, operations.into())
    }

    /// As [`Component::replicate`], waiting on the calling thread (for the blocking facade).
    pub(crate) fn replicate_blocking(
        &self,
        operations: Vec<crate::Operation>,
    ) -> Result<crate::Ack, crate::ReplicateError> {
        crate::request::replicate_blocking(&self.commands, operations)
    }

    /// Asks the driver to stop. `false`: it already stopped.
    pub(crate) fn commands_send_shutdown(&self) -> bool {
        self.commands_send(Command::Shutdown)
    }

    /// Hands `command` to the driver. `false`: it already stopped.
    pub(crate) fn commands_send(&self, command: Command) -> bool {
        self.commands.send(command).is_ok()
    }

    /// Closes the node link and stops the component (every clone of this handle), then
    /// waits for the driver to finish. The node sees the link close as it would a crash: it
    /// fails the component with its severity. To leave on purpose, use
    /// [`Component::leave`]. [`Events`] ends after the events already queued and
    /// those of the closing itself: an unanswered request is withdrawn, and an active
    /// component demotes itself as for any closed link ([`Event::SelfDemoted`]).
    pub async fn close(self) {
        let _ = self.commands.send(Command::Shutdown);
        let mut state = self.state;
        let _ = state.wait_for(|s| s.closed).await;
    }
}

/// The role of a snapshot, or why there is none (for [`Component::wait_role`]).
pub(crate) fn role_or_error(s: &State) -> Result<Role, Error> {
    match s.role {
        Some(role) => Ok(role),
        None if s.refused => Err(Error::UnknownComponentId),
        None => Err(Error::Closed),
    }
}
