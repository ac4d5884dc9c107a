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
    /// link drops. It returns at once, before the first connection ([`Event::Connected`]
    /// tells when the link is up; [`Component::wait_connected`] waits for it).
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

    /// Asks the driver to stop. `false`: it already stopped.
    pub(crate) fn commands_send_shutdown(&self) -> bool {
        self.commands.send(Command::Shutdown).is_ok()
    }

    /// Closes the node link and stops the component (every clone of this handle), then
    /// waits for the driver to finish. [`Events`] ends after the events already queued and
    /// those of the closing itself: an unanswered request is withdrawn, and an active
    /// component demotes itself as for any closed link ([`Event::SelfDemoted`]).
    pub async fn close(self) {
        let _ = self.commands.send(Command::Shutdown);
        let mut state = self.state;
        let _ = state.wait_for(|s| s.closed).await;
    }
}
