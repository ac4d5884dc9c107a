//! The node side: [`RoleManager`], the registry of a node's components and their roles.

use crate::message::{correlation_text, set_role, Transmit};
use crate::order::ComponentOrder;
use crate::{RoleError, SetRoleId};
use baton_asn1::role::{ReturnCode, Role, RoleMessage, RoleMessageMessage};
use baton_core::{CorrelationCounter, Instant, LinkId, Timers};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

/// Configuration of a [`RoleManager`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleConfig {
    /// How long a component may take to answer `setRole` (PROTOCOL 6.1: default 1 s). It runs
    /// per `setRole`, from the moment it is sent: in a round in order, per step.
    pub role_timeout: Duration,
    /// Which components take their role after which (PROTOCOL 6.1, *Components in order*);
    /// empty by default: every role goes to all at once.
    pub order: ComponentOrder,
}

impl Default for RoleConfig {
    fn default() -> Self {
        RoleConfig {
            role_timeout: Duration::from_secs(1),
            order: ComponentOrder::default(),
        }
    }
}

/// The role **state** of one component, as the node tracks it (PROTOCOL 6.2):
/// `Unassigned -> Assigning(r) -> Assigned(r)`, `Assigning(r) -> Failed(r)`, and
/// `Assigned(r) | Failed(r) -> Assigning(r')` on the next assignment. Each `r` is a component
/// role **value**, a [`Role`] (`active` or `standby`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComponentRoleState {
    /// Registered before any role was assigned: nothing sent yet.
    Unassigned,
    /// `setRole{r}` sent, no answer yet.
    Assigning(Role),
    /// The component confirmed `r` with `success`.
    Assigned(Role),
    /// The component refused `r`, did not answer in time, or its link closed while assigning.
    Failed(Role),
}

/// Why a component did not take the role it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureReason {
    /// It answered `setRoleResponse{failure}`.
    Refused,
    /// No matching answer within the role timeout.
    TimedOut,
    /// Its link closed before it answered.
    LinkClosed,
}

/// A component that failed during an assignment, as listed by [`Event::AssignmentDone`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedComponent {
    /// The component id.
    pub component: String,
    /// Why it failed.
    pub reason: FailureReason,
}

/// Why a received message was ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IgnoredReason {
    /// The link carries no registered component.
    UnregisteredLink,
    /// A component sent `setRole`: only the node sets roles.
    UnexpectedSetRole,
    /// A `setRoleResponse` whose `correlationId` answers no outstanding `setRole` on that
    /// link: a late answer to an abandoned assignment or one that timed out, or garbage.
    UnknownCorrelation(String),
}

/// What the node learns from its components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A component confirmed its role.
    ComponentAssigned {
        /// The component id.
        component: String,
        /// The role it took.
        role: Role,
    },
    /// A component did not take its role (refusal, timeout, link closed). Emitted for every
    /// such failure, inside an assignment or for a late registrant, so the composer can mark
    /// it failed (PROTOCOL 6.4 severities).
    ComponentFailed {
        /// The component id.
        component: String,
        /// The role it did not take.
        role: Role,
        /// Why.
        reason: FailureReason,
    },
    /// Assignment `generation` is complete: every component answered, each with `success`
    /// when `role` is active. When `role` is standby the demotion completes even if some
    /// components refused or timed out; they are listed in `failed` (PROTOCOL 6.1: a node never
    /// stays Active because a component would not stand by).
    AssignmentDone {
        /// The role assigned.
        role: Role,
        /// The assignment's generation, as returned by [`RoleManager::assign`].
        generation: u64,
        /// Components that failed to stand by (always empty for `active`).
        failed: Vec<FailedComponent>,
    },
    /// Assignment `generation` of `active` failed: `component` refused, timed out, or its link
    /// closed (the promotion failed, PROTOCOL 5.6). Later answers of that assignment still update
    /// the components' states but produce no further aggregate event.
    AssignmentFailed {
        /// The role assigned (always active).
        role: Role,
        /// The assignment's generation.
        generation: u64,
        /// The first component that failed.
        component: String,
        /// Why it failed.
        reason: FailureReason,
    },
    /// A message from a component was ignored (peer misbehaviour or a stale answer).
    Ignored {
        /// The link it came on.
        link: LinkId,
        /// Why it was ignored.
        reason: IgnoredReason,
    },
}

/// One registered component.
#[derive(Debug, Clone)]
struct Entry {
    id: String,
    state: ComponentRoleState,
    pending: Option<Pending>,
}

/// The outstanding `setRole` of one component.
#[derive(Debug, Clone)]
struct Pending {
    correlation: String,
    role: Role,
    generation: u64,
}

/// The assignment in progress.
#[derive(Debug, Clone)]
struct Assignment {
    role: Role,
    generation: u64,
    outstanding: BTreeSet<LinkId>,
    /// Outstanding components not sent `setRole` yet: waiting for their turn in the order
    /// (PROTOCOL 6.1, *Components in order*). A subset of `outstanding`.
    held: BTreeSet<LinkId>,
    failed: Vec<FailedComponent>,
}

/// The node side of the Role interface (PROTOCOL 6.1).
///
/// Components are registered by the composer (usually when the monitor reports their first
/// `heartBeat`) under their component id and link. [`RoleManager::assign`] sends `setRole`
/// with a fresh `correlationId` to every registered component and arms a role timeout per
/// component; answers are matched by link **and** `correlationId`, so an answer that belongs
/// to an abandoned assignment never counts toward a later one. A new `assign` supersedes the
/// one in progress (the generation counter names them). A component that registers late
/// receives the current role; while an assignment is in progress it joins it.
///
/// With a [`ComponentOrder`] ([`RoleConfig::order`]), a round sends `setRole` to a component
/// only once its turn has come: `active` once every registered component it is after
/// confirmed, `standby` once every registered component that is after it answered (success
/// or not: a demotion always completes). Until then the component is **held**: it keeps its
/// role state, and no role timeout runs for it (each step has its own, from its `setRole`).
#[derive(Debug, Clone)]
pub struct RoleManager {
    config: RoleConfig,
    components: BTreeMap<LinkId, Entry>,
    /// The link of each registered component id (a scan of `components` per registration
    /// made registering 10,000 components quadratic).
    by_id: BTreeMap<String, LinkId>,
    role: Option<Role>,
    /// The round the latest assignment's `setRole` ids carry ([`RoleManager::assign_in_round`]);
    /// `None`: plain counter ids ([`RoleManager::assign`]).
    round: Option<u32>,
    generation: u64,
    assignment: Option<Assignment>,
    correlation: CorrelationCounter,
    timers: Timers<LinkId>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
}

impl RoleManager {
    /// A manager with no components and no role assigned yet; `correlationId`s start at 1.
    pub fn new(config: RoleConfig) -> Self {
        Self::with_correlation(config, CorrelationCounter::default())
    }

    /// As [`RoleManager::new`], with a counter the driver seeded (ids differ across restarts).
    pub fn with_correlation(config: RoleConfig, correlation: CorrelationCounter) -> Self {
        RoleManager {
            config,
            components: BTreeMap::new(),
            by_id: BTreeMap::new(),
            role: None,
            round: None,
            generation: 0,
            assignment: None,
            correlation,
            timers: Timers::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Registers component `id` on `link`. If a role was assigned, the component is sent it at
    /// once (and joins the assignment in progress, if any). If `id` was registered on another
    /// link (the component reconnected before its old link was seen closed), the new link
    /// replaces the old one, taking over its place in the assignment in progress.
    ///
    /// # Errors
    /// [`RoleError::LinkAlreadyRegistered`] if `link` already carries a component.
    pub fn handle_component_registered(
        &mut self,
        now: Instant,
        link: LinkId,
        id: impl Into<String>,
    ) -> Result<(), RoleError> {
        if self.components.contains_key(&link) {
            return Err(RoleError::LinkAlreadyRegistered(link));
        }
        let id = id.into();
        if let Some(old) = self.by_id.insert(id.clone(), link) {
            self.components.remove(&old);
            self.timers.stop(old);
            if let Some(a) = &mut self.assignment {
                a.outstanding.remove(&old);
                a.held.remove(&old);
            }
        }
        self.components.insert(
            link,
            Entry {
                id,
                state: ComponentRoleState::Unassigned,
                pending: None,
            },
        );
        if let Some(role) = self.role {
            if let Some(a) = &mut self.assignment {
                a.outstanding.insert(link);
                a.held.insert(link);
                self.release(now);
            } else {
                self.send_set_role(now, link, role);
            }
        }
        Ok(())
    }

    /// The link of a component closed: it leaves the registry. If it owed an answer, it fails
    /// with [`FailureReason::LinkClosed`]. Unknown links are ignored (not every link carries a
    /// component).
    ///
    /// A component held for its turn (PROTOCOL 6.1, *Components in order*) owes no answer yet:
    /// it leaves the round as if it had never registered, and the components it held back
    /// take their turn.
    pub fn handle_link_closed(&mut self, now: Instant, link: LinkId) {
        if !self.components.contains_key(&link) {
            return;
        }
        let held = self
            .assignment
            .as_ref()
            .is_some_and(|a| a.held.contains(&link));
        if held {
            self.timers.stop(link);
            if let Some(a) = &mut self.assignment {
                a.held.remove(&link);
                a.outstanding.remove(&link);
            }
        } else {
            self.settle(now, link, Err(FailureReason::LinkClosed));
        }
        if let Some(e) = self.components.remove(&link) {
            if self.by_id.get(&e.id) == Some(&link) {
                self.by_id.remove(&e.id);
            }
        }
        if held {
            self.release(now);
            self.check_done();
        }
    }

    /// Assigns `role` to every registered component: `setRole` with a fresh `correlationId`
    /// each, role timeout armed, at once or, with an order, as each one's turn comes.
    /// Supersedes the assignment in progress, if any. Returns the new assignment's generation
    /// (1 for the first). With no component registered the assignment completes at once
    /// ([`Event::AssignmentDone`]).
    pub fn assign(&mut self, now: Instant, role: Role) -> u64 {
        self.round = None;
        self.start_assignment(now, role)
    }

    /// As [`RoleManager::assign`], every `setRole` of this assignment (a late registrant's
    /// included) carrying `round` in its `correlationId`, `"<round> <seq>"` ([`SetRoleId`],
    /// PROTOCOL 2.3): the node's form, so that a component can read the generation of the
    /// promotion a request serves (PROTOCOL 5.11). Answers are still matched by equality.
    pub fn assign_in_round(&mut self, now: Instant, role: Role, round: u32) -> u64 {
        self.round = Some(round);
        self.start_assignment(now, role)
    }

    fn start_assignment(&mut self, now: Instant, role: Role) -> u64 {
        self.generation += 1;
        self.role = Some(role);
        let links: BTreeSet<LinkId> = self.components.keys().copied().collect();
        self.assignment = Some(Assignment {
            role,
            generation: self.generation,
            outstanding: links.clone(),
            held: links,
            failed: Vec::new(),
        });
        self.release(now);
        self.check_done();
        self.generation
    }

    /// A `RoleMessage` from the component on `link`.
    pub fn handle_message(&mut self, now: Instant, link: LinkId, message: RoleMessage) {
        let Some(entry) = self.components.get(&link) else {
            self.ignore(link, IgnoredReason::UnregisteredLink);
            return;
        };
        let RoleMessageMessage::setRoleResponse(response) = message.message else {
            self.ignore(link, IgnoredReason::UnexpectedSetRole);
            return;
        };
        let correlation = correlation_text(&message.correlation_id);
        let matches = entry
            .pending
            .as_ref()
            .is_some_and(|p| p.correlation == correlation);
        if !matches {
            self.ignore(link, IgnoredReason::UnknownCorrelation(correlation));
            return;
        }
        let outcome = match response.return_code {
            ReturnCode::success => Ok(()),
            ReturnCode::failure => Err(FailureReason::Refused),
        };
        self.settle(now, link, outcome);
    }

    /// Fails every component whose role timeout has passed at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(link) = self.timers.next_expired(now) {
            self.settle(now, link, Err(FailureReason::TimedOut));
        }
    }

    /// The earliest role timeout, if any answer is outstanding.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The role of the latest assignment (what a late registrant receives), `None` before the
    /// first.
    pub fn current_role(&self) -> Option<Role> {
        self.role
    }

    /// The generation of the latest assignment, 0 before the first.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Whether an assignment is in progress (neither done nor failed yet).
    pub fn is_assigning(&self) -> bool {
        self.assignment.is_some()
    }

    /// The link and role state of component `id`, if registered.
    pub fn component(&self, id: &str) -> Option<(LinkId, ComponentRoleState)> {
        let link = self.by_id.get(id)?;
        self.components.get(link).map(|e| (*link, e.state))
    }

    /// Every registered component: link, id and role state, in link order.
    pub fn components(&self) -> impl Iterator<Item = (LinkId, &str, ComponentRoleState)> + '_ {
        self.components
            .iter()
            .map(|(l, e)| (*l, e.id.as_str(), e.state))
    }

    fn send_set_role(&mut self, now: Instant, link: LinkId, role: Role) {
        if !self.components.contains_key(&link) {
            return;
        }
        let correlation = self.next_correlation();
        let Some(entry) = self.components.get_mut(&link) else {
            return;
        };
        let message = set_role(&correlation, role);
        entry.state = ComponentRoleState::Assigning(role);
        entry.pending = Some(Pending {
            correlation,
            role,
            generation: self.generation,
        });
        self.timers.set(link, now + self.config.role_timeout);
        self.transmits.push_back(Transmit { link, message });
    }

    /// Sends `setRole` to every held component whose turn has come (PROTOCOL 6.1, *Components
    /// in order*): for `active`, no component it is after is still outstanding; for `standby`,
    /// no component after it is. Held components are outstanding too, so a chain goes one step
    /// at a time; the order is acyclic ([`ComponentOrder::new`]), so some component is always
    /// free while any is held.
    fn release(&mut self, now: Instant) {
        let Some(a) = &self.assignment else {
            return;
        };
        let order = &self.config.order;
        let waits_for = |other: &str| {
            self.by_id
                .get(other)
                .is_some_and(|l| a.outstanding.contains(l))
        };
        let free: Vec<LinkId> = a
            .held
            .iter()
            .copied()
            .filter(|link| {
                let Some(e) = self.components.get(link) else {
                    return true;
                };
                match a.role {
                    Role::active => !order.after(&e.id).any(waits_for),
                    Role::standby => !order.before(&e.id).any(waits_for),
                }
            })
            .collect();
        let role = a.role;
        for link in free {
            if let Some(a) = &mut self.assignment {
                a.held.remove(&link);
                if !self.components.contains_key(&link) {
                    // Not registered any more (never the case: kept so a round cannot hang).
                    a.outstanding.remove(&link);
                    continue;
                }
            }
            self.send_set_role(now, link, role);
        }
    }

    /// A fresh `setRole` `correlationId`: the counter's, or `"<round> <seq>"` with the
    /// counter's value modulo 65536 as `seq` once a round is set.
    fn next_correlation(&mut self) -> String {
        let id = self.correlation.next_id();
        match self.round {
            None => id,
            Some(round) => {
                let n: u64 = id.parse().unwrap_or(0);
                let seq = u16::try_from(n % 65_536).unwrap_or(0);
                SetRoleId { round, seq }.to_string()
            }
        }
    }

    /// Records the outcome of the outstanding `setRole` on `link` (nothing if none).
    fn settle(&mut self, now: Instant, link: LinkId, outcome: Result<(), FailureReason>) {
        self.timers.stop(link);
        let Some(entry) = self.components.get_mut(&link) else {
            return;
        };
        let Some(pending) = entry.pending.take() else {
            return;
        };
        let component = entry.id.clone();
        let role = pending.role;
        match outcome {
            Ok(()) => {
                entry.state = ComponentRoleState::Assigned(role);
                self.events.push_back(Event::ComponentAssigned {
                    component: component.clone(),
                    role,
                });
            }
            Err(reason) => {
                entry.state = ComponentRoleState::Failed(role);
                self.events.push_back(Event::ComponentFailed {
                    component: component.clone(),
                    role,
                    reason,
                });
            }
        }
        let Some(a) = &mut self.assignment else {
            return;
        };
        if a.generation != pending.generation || !a.outstanding.remove(&link) {
            return;
        }
        if let Err(reason) = outcome {
            if a.role == Role::active {
                self.events.push_back(Event::AssignmentFailed {
                    role: a.role,
                    generation: a.generation,
                    component,
                    reason,
                });
                self.assignment = None;
                return;
            }
            a.failed.push(FailedComponent { component, reason });
        }
        self.release(now);
        self.check_done();
    }

    /// Completes the assignment in progress once nothing is outstanding.
    fn check_done(&mut self) {
        if self
            .assignment
            .as_ref()
            .is_some_and(|a| a.outstanding.is_empty())
        {
            if let Some(a) = self.assignment.take() {
                self.events.push_back(Event::AssignmentDone {
                    role: a.role,
                    generation: a.generation,
                    failed: a.failed,
                });
            }
        }
    }

    fn ignore(&mut self, link: LinkId, reason: IgnoredReason) {
        self.events.push_back(Event::Ignored { link, reason });
    }
}

impl Default for RoleManager {
    fn default() -> Self {
        Self::new(RoleConfig::default())
    }
}
