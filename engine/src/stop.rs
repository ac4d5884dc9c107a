//! Stopping a node: hand the service over, then exit (PROTOCOL 7.6, the planned switchover).

use crate::event::Event;
use crate::node::Node;
use crate::notice::Notice;
use baton_core::{Instant, NodeRole};
use std::time::Duration;

/// A stop in progress: [`Node::stop`] was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stop {
    /// The node exits at this time at the latest.
    deadline: Instant,
    /// [`Event::Exit`] was emitted.
    exited: bool,
}

impl Node {
    /// Begins "hand over, then exit" (an operator's stop, SIGTERM in `baton node`): a planned
    /// switchover if this node is Active with its peer up. The node emits
    /// [`Event::Exit`] once, when it no longer claims the service (Standby, Negotiating, or
    /// PromotionFailed, with no nomination of its own pending), or at the latest
    /// `2 × role_timeout + 1 s` after this call ([`Node::poll_timeout`] includes that
    /// deadline). With nothing to hand over it exits at once. A second call does nothing.
    pub fn stop(&mut self, now: Instant) {
        if self.stop.is_some() {
            return;
        }
        self.history.input(crate::history::Cause::Stop);
        let deadline = match self.switchover(now) {
            Ok(()) => {
                self.notice(Notice::StopHandingOver);
                now + 2 * self.config.role_timeout + Duration::from_secs(1)
            }
            Err(reason) => {
                self.notice(Notice::StopNothingToHandOver { reason });
                now
            }
        };
        self.stop = Some(Stop {
            deadline,
            exited: false,
        });
        self.check_stop(now);
    }

    /// Whether [`Node::stop`] was called.
    pub fn is_stopping(&self) -> bool {
        self.stop.is_some()
    }

    /// The stop's deadline, while the node has not exited yet.
    pub(crate) fn stop_deadline(&self) -> Option<Instant> {
        self.stop.filter(|s| !s.exited).map(|s| s.deadline)
    }

    /// Emits [`Event::Exit`] (once) when a stopping node is done: handed over, or at the
    /// deadline. At the deadline the node has handed over only if it is Standby or
    /// Negotiating.
    pub(crate) fn check_stop(&mut self, now: Instant) {
        let Some(stop) = self.stop.filter(|s| !s.exited) else {
            return;
        };
        let role = self.election.role();
        let handed_over = if now >= stop.deadline {
            matches!(role, NodeRole::Standby | NodeRole::Negotiating)
        } else if matches!(
            role,
            NodeRole::Standby | NodeRole::Negotiating | NodeRole::PromotionFailed
        ) && !self.election.nomination_pending()
        {
            true
        } else {
            return;
        };
        self.stop = Some(Stop {
            exited: true,
            ..stop
        });
        self.events.push_back(Event::Exit { handed_over });
    }
}
