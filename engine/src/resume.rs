//! A node that resumes from a stall of its own (PROTOCOL 6.3, *A resumed node*): components
//! that register while its election's view is unsettled are not told `active`.
//!
//! A node whose process or host was not scheduled finds at resume that its timers are
//! overdue. Its components' watchdogs stood them by meanwhile (PROTOCOL 6.3), and they
//! register again; its peer may have promoted. Reading before judging (PROTOCOL 4), the node
//! takes in those registrations before its timers run and before it has heard its peer: an
//! Active node would tell them `active`, then stand them by an instant later when the
//! election heals two actives (PROTOCOL 5.11) or its lease is found over (PROTOCOL 5.9). So a
//! registration that arrives within one dead interval of the resume, while the node's
//! components are to be active, is held: it joins the role layer (and receives the node's
//! role then) when the node's components are no longer to be active, or when the dead
//! interval has passed, the time in which a resumed node hears its peer (as [G4] does for
//! script components).

use crate::close::CloseReason;
use crate::node::Node;
use crate::notice::Notice;
use baton_core::{default_stall_threshold, Instant, LinkId};
use baton_role::Role;
use std::time::Duration;

/// The state of [`Node`]'s resume rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Resume {
    /// The node's earliest deadline when it last finished processing an input.
    expected: Option<Instant>,
    /// Registrations are held until then, after a stall.
    until: Option<Instant>,
    /// How late the timers were at that stall, until a registration is held (then noticed).
    late: Option<Duration>,
    /// The registrations held: (link, component id), in order.
    held: Vec<(LinkId, String)>,
}

impl Resume {
    /// When the hold ends, if one runs (for [`Node::poll_timeout`]).
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.until
    }
}

impl Node {
    /// Before an input is processed at `now`: if the node's earliest deadline passed more
    /// than the stall threshold of the heartbeat interval before `now` (PROTOCOL 4), the node
    /// was stalled, and registrations are held for one dead interval (noticed once, when the
    /// first is held: a timer a few milliseconds late on a busy host logs nothing).
    pub(crate) fn note_resume(&mut self, now: Instant) {
        let Some(expected) = self.resume.expected.take() else {
            return;
        };
        let late = now.saturating_duration_since(expected);
        if late > default_stall_threshold(self.config.heartbeat_interval) {
            self.resume.until = Some(now + self.config.dead_interval);
            self.resume.late = Some(late);
        }
    }

    /// After an input is processed at `now`: the deadline the next input is judged against
    /// (`now` if a timer is overdue: a frame read before the timers ran, PROTOCOL 4).
    pub(crate) fn note_deadline(&mut self, now: Instant) {
        self.resume.expected = self.timers_deadline().map(|d| d.max(now));
    }

    /// Whether the registration of component `id` on `link` is held (see the module): within
    /// a hold, while the node's components are to be active.
    pub(crate) fn hold_registration(&mut self, now: Instant, link: LinkId, id: &str) -> bool {
        let holding = self.resume.until.is_some_and(|until| now < until)
            && self.roles.current_role() == Some(Role::active);
        if holding {
            if let Some(late) = self.resume.late.take() {
                let hold = self.config.dead_interval;
                self.notice(Notice::Resumed { late, hold });
            }
            self.resume.held.retain(|(_, held)| held != id);
            self.resume.held.push((link, id.to_owned()));
        }
        holding
    }

    /// Ends the hold at its time, and lets the held registrations join the role layer once
    /// the hold ended or the node's components are no longer to be active. Returns whether
    /// one joined.
    pub(crate) fn release_held(&mut self, now: Instant) -> bool {
        let Some(until) = self.resume.until else {
            return false;
        };
        if now >= until {
            self.resume.until = None;
        } else if self.roles.current_role() == Some(Role::active) {
            return false;
        }
        let held = std::mem::take(&mut self.resume.held);
        let mut joined = false;
        for (link, id) in held {
            if self.links.contains_key(&link) {
                joined = true;
                self.join_role_layer(now, link, id);
            }
        }
        joined
    }

    /// Component `id`, registered on `link`, joins the role layer: it receives the node's
    /// current role (PROTOCOL 6.1, late registration).
    pub(crate) fn join_role_layer(&mut self, now: Instant, link: LinkId, id: String) {
        if let Err(error) = self
            .roles
            .handle_component_registered(now, link, id.clone())
        {
            let reason = CloseReason::ComponentRegistrationRefused {
                component: id,
                error,
            };
            self.close(now, link, reason);
        }
    }
}
