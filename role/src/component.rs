//! The component side: [`ComponentRole`], embedded by applications.

use crate::message::{correlation_text, Transmit};
use crate::RoleError;
use baton_asn1::role::{
    CorrelationId, ReturnCode, Role, RoleMessage, RoleMessageMessage, SetRoleResponse,
};
use baton_core::{Graced, Instant, LinkId, Timers};
use std::collections::VecDeque;
use std::time::Duration;

/// Configuration of a [`ComponentRole`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComponentConfig {
    /// How long the node link may stay silent while the component is active before the
    /// watchdog demotes it. Default 190 ms: the node queries its components every 100 ms, and
    /// its peer declares it dead between 200 and 300 ms after its death (dead interval 300 ms
    /// counted from its last heartbeat, sent at most 100 ms before it died). Demoting within
    /// 190 ms of the last query means the component stands by before the peer can even start
    /// promoting (PROTOCOL 6.3), with 10 ms to spare.
    ///
    /// **The rule, with its margin**: `dead_interval + stall grace + margin <= peer dead
    /// interval - heartbeat interval`, where the margin (at least 2 ms) covers the 1 ms
    /// granularity of tokio's timers and the independence of the node's query timer and its
    /// heartbeat timer (a query may go out up to a millisecond or so before the last
    /// heartbeat). With the default 300 ms / 100 ms peer timers and no stall grace, 200 ms
    /// leaves no margin; 198 ms or less does. At a 10 ms heartbeat (dead interval 30 ms),
    /// 20 ms leaves none either (a 2.4 ms dual-active overlap was measured in a silent
    /// failure trial); 18 ms or less does.
    pub dead_interval: Duration,
}

/// The watchdog's grace after the component's own stall, as [`ComponentRole::with_stall_grace`]
/// applies it (PROTOCOL 6.3): [`StallRule`] with the component's own threshold and grace.
///
/// When the watchdog fires more than `threshold` after its deadline, the component did not
/// run at the deadline, so neither did it read what the node sent meanwhile (its driver
/// reads buffered frames first, but a node stalled with it has sent nothing yet). The
/// watchdog is then moved once to **its deadline plus `grace`**, if that is still ahead
/// ([`StallRule::extend_from_deadline`]): the component gives its node that long to be heard.
/// A second expiry, late or not, demotes; a frame from the node ends the grace.
///
/// The bound: while the component runs, it never serves more than `dead_interval + grace`
/// after it last heard from its node, so the rule of [`ComponentConfig::dead_interval`]
/// (`dead_interval + grace + margin <= peer dead interval - heartbeat`) keeps it standing
/// by before the peer can start promoting. (A stall longer than that slack is beyond any
/// watchdog: a frozen component cannot stand by.) The cost: a node that really died while
/// the component was stalled is noticed up to `grace` later. The default is no grace.
pub use baton_core::StallRule;

impl Default for ComponentConfig {
    fn default() -> Self {
        ComponentConfig {
            dead_interval: Duration::from_millis(190),
        }
    }
}

/// Why the watchdog demoted the component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchdogReason {
    /// The node link closed.
    LinkClosed,
    /// Nothing came from the node for the dead interval.
    Silent,
}

/// What the application learns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The node asks the component to take `role`. The application switches (or decides it
    /// cannot), then calls [`ComponentRole::accept`] or [`ComponentRole::refuse`]. A newer
    /// request replaces an unanswered one (the node has abandoned the older assignment).
    RoleRequested {
        /// The requested role.
        role: Role,
        /// The request's `correlationId`, echoed by the answer.
        correlation: String,
    },
    /// The node link closed before the application answered the request for `role`: do not
    /// switch to it.
    RequestWithdrawn {
        /// The role that was requested.
        role: Role,
    },
    /// The watchdog demoted the component from active: the application must stand by now.
    ///
    /// After [`WatchdogReason::Silent`] the link is still open but the node does not know;
    /// the driver should close it and reconnect: the node then sees the component register
    /// again and sends it the current role (PROTOCOL 6.1, late registration), and
    /// [`Event::Connected`] reports `self_demoted: true` locally.
    SelfDemoted {
        /// What triggered it.
        reason: WatchdogReason,
    },
    /// The node link is (re)connected. `self_demoted` says the component demoted itself
    /// since its last assignment (the node's late-registration rule will send it the current
    /// role).
    Connected {
        /// The component's role now.
        role: Option<Role>,
        /// Whether the watchdog demoted it since the node last assigned a role.
        self_demoted: bool,
    },
    /// A message from the node was ignored: a `setRoleResponse` (only components answer).
    Ignored {
        /// The message's `correlationId`.
        correlation: String,
    },
}

/// The one timer: the watchdog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Watchdog;

/// The component side of the Role interface (PROTOCOL 6.1, 6.3).
///
/// Feed it every `RoleMessage` from the node ([`ComponentRole::handle_message`]) and report
/// any other traffic from the node, health queries in particular
/// ([`ComponentRole::handle_node_activity`]): while the component is active, a node link
/// that closes or stays silent for the dead interval makes it demote itself to standby
/// ([`Event::SelfDemoted`]), because a dead node's peer is promoting at that moment.
#[derive(Debug, Clone)]
pub struct ComponentRole {
    config: ComponentConfig,
    stall: StallRule,
    /// Whether the watchdog was moved by the stall grace since the node was last heard.
    graced: Graced,
    link: Option<LinkId>,
    last_heard: Instant,
    role: Option<Role>,
    pending: Option<(CorrelationId, Role)>,
    self_demoted: bool,
    timers: Timers<Watchdog>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
}

impl ComponentRole {
    /// A component with no role yet and no node link.
    pub fn new(config: ComponentConfig) -> Self {
        Self::with_stall_grace(config, StallRule::default())
    }

    /// As [`ComponentRole::new`], with a watchdog grace after the component's own stall.
    pub fn with_stall_grace(config: ComponentConfig, stall: StallRule) -> Self {
        ComponentRole {
            config,
            stall,
            graced: Graced::default(),
            link: None,
            last_heard: Instant::ZERO,
            role: None,
            pending: None,
            self_demoted: false,
            timers: Timers::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The link to the node is up (first connection or reconnection): emits
    /// [`Event::Connected`].
    pub fn handle_node_connected(&mut self, now: Instant, link: LinkId) {
        self.link = Some(link);
        self.last_heard = now;
        self.graced.heard();
        self.arm_watchdog();
        self.events.push_back(Event::Connected {
            role: self.role,
            self_demoted: self.self_demoted,
        });
    }

    /// The link to the node closed: an unanswered request is withdrawn and an active
    /// component demotes itself.
    pub fn handle_node_closed(&mut self, _now: Instant) {
        self.link = None;
        self.timers.stop(Watchdog);
        if let Some((_, role)) = self.pending.take() {
            self.events.push_back(Event::RequestWithdrawn { role });
        }
        if self.role == Some(Role::active) {
            self.demote(WatchdogReason::LinkClosed);
        }
    }

    /// Something (any frame, a health query say) came from the node: the watchdog restarts.
    pub fn handle_node_activity(&mut self, now: Instant) {
        self.last_heard = now;
        self.graced.heard();
        self.arm_watchdog();
    }

    /// A `RoleMessage` from the node (also counts as activity).
    pub fn handle_message(&mut self, now: Instant, message: RoleMessage) {
        self.handle_node_activity(now);
        match message.message {
            RoleMessageMessage::setRole(set) => {
                let correlation = correlation_text(&message.correlation_id);
                self.pending = Some((message.correlation_id, set.role));
                self.events.push_back(Event::RoleRequested {
                    role: set.role,
                    correlation,
                });
            }
            RoleMessageMessage::setRoleResponse(_) => {
                self.events.push_back(Event::Ignored {
                    correlation: correlation_text(&message.correlation_id),
                });
            }
        }
    }

    /// The application took the requested role: answers `success` and returns that role
    /// (the latest request's, which may be newer than the event being handled).
    ///
    /// # Errors
    /// [`RoleError::NoPendingRequest`] if no request is waiting.
    pub fn accept(&mut self, _now: Instant) -> Result<Role, RoleError> {
        let role = self.answer(ReturnCode::success)?;
        self.role = Some(role);
        self.self_demoted = false;
        self.arm_watchdog();
        Ok(role)
    }

    /// The application cannot take the requested role: answers `failure` and returns the
    /// role refused. The component's role is unchanged.
    ///
    /// # Errors
    /// [`RoleError::NoPendingRequest`] if no request is waiting.
    pub fn refuse(&mut self, _now: Instant) -> Result<Role, RoleError> {
        self.answer(ReturnCode::failure)
    }

    /// Runs the watchdog: an active component silent-demotes if the node has said nothing
    /// for the dead interval (or, after its own stall, once more for the stall grace:
    /// [`StallRule`], PROTOCOL 6.3).
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some((Watchdog, deadline)) = self.timers.next_expired_at(now) {
            if self.role != Some(Role::active) {
                continue;
            }
            // The watchdog is always due at dead interval after last heard until a grace is
            // granted, so deadline + grace is the latest the grace may reach.
            if let Some(until) = self
                .stall
                .extend_from_deadline(&mut self.graced, deadline, now)
            {
                self.timers.set(Watchdog, until);
                continue;
            }
            self.demote(WatchdogReason::Silent);
        }
    }

    /// The watchdog deadline, while active and connected.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    /// The next message to send to the node.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The component's role: the last accepted, or standby after a self-demotion; `None`
    /// before the first assignment.
    pub fn role(&self) -> Option<Role> {
        self.role
    }

    /// Whether the watchdog demoted the component since the node last assigned it a role.
    pub fn self_demoted(&self) -> bool {
        self.self_demoted
    }

    /// The request waiting for an answer: its `correlationId` and role.
    pub fn pending_request(&self) -> Option<(String, Role)> {
        self.pending
            .as_ref()
            .map(|(c, r)| (correlation_text(c), *r))
    }

    /// Whether the node link is up.
    pub fn is_connected(&self) -> bool {
        self.link.is_some()
    }

    fn answer(&mut self, code: ReturnCode) -> Result<Role, RoleError> {
        let (correlation, role) = self.pending.take().ok_or(RoleError::NoPendingRequest)?;
        if let Some(link) = self.link {
            self.transmits.push_back(Transmit {
                link,
                message: RoleMessage::new(
                    correlation,
                    RoleMessageMessage::setRoleResponse(SetRoleResponse::new(code)),
                ),
            });
        }
        Ok(role)
    }

    fn arm_watchdog(&mut self) {
        if self.link.is_some() && self.role == Some(Role::active) {
            self.timers
                .set(Watchdog, self.last_heard + self.config.dead_interval);
        } else {
            self.timers.stop(Watchdog);
        }
    }

    fn demote(&mut self, reason: WatchdogReason) {
        self.role = Some(Role::standby);
        self.self_demoted = true;
        self.timers.stop(Watchdog);
        self.events.push_back(Event::SelfDemoted { reason });
    }
}

impl Default for ComponentRole {
    fn default() -> Self {
        Self::new(ComponentConfig::default())
    }
}
