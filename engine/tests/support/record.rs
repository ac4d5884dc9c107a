//! What the pair recorded, and the views the tests compare with exact expected values.

use super::Pair;
use baton_asn1::election::ElectionMessage;
use baton_asn1::role::RoleMessage;
use baton_codec::AnyMessage;
use baton_core::{Instant, LinkId, NodeRole};
use baton_engine::{CloseReason, Event, Notice};

/// One event of one node, with the time it was taken from the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// When.
    pub at: Instant,
    /// The node (0 alpha, 1 beta).
    pub node: usize,
    /// The event.
    pub event: Event,
}

/// One transmit of one node, with the time it was taken from the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// When.
    pub at: Instant,
    /// The node.
    pub node: usize,
    /// The link it was sent on.
    pub link: LinkId,
    /// The message.
    pub message: AnyMessage,
}

impl Pair {
    /// Node `i`'s events, in order, with their times.
    pub fn timed_events(&self, i: usize) -> Vec<(Instant, Event)> {
        self.events
            .iter()
            .filter(|r| r.node == i)
            .map(|r| (r.at, r.event.clone()))
            .collect()
    }

    /// Node `i`'s events, in order.
    pub fn events_of(&self, i: usize) -> Vec<Event> {
        self.timed_events(i).into_iter().map(|(_, e)| e).collect()
    }

    /// Node `i`'s events that `keep` selects, in order, with their times.
    pub fn events_where(&self, i: usize, keep: impl Fn(&Event) -> bool) -> Vec<(Instant, Event)> {
        self.timed_events(i)
            .into_iter()
            .filter(|(_, e)| keep(e))
            .collect()
    }

    /// Node `i`'s role changes: the role it entered and when, in order. (Each
    /// `RoleChanged`'s `from` is checked to be the role before: none is lost.)
    pub fn roles_of(&self, i: usize) -> Vec<(Instant, NodeRole)> {
        let mut before: Option<NodeRole> = None;
        let mut roles = Vec::new();
        for (at, e) in self.timed_events(i) {
            if let Event::RoleChanged { from, to } = e {
                if let Some(b) = before {
                    assert_eq!(from, b, "node {i}: a RoleChanged from a role it was not in");
                }
                before = Some(to);
                roles.push((at, to));
            }
        }
        roles
    }

    /// Node `i`'s notices, in order.
    pub fn notices(&self, i: usize) -> Vec<Notice> {
        self.timed_notices(i).into_iter().map(|(_, n)| n).collect()
    }

    /// Node `i`'s notices, in order, with their times.
    pub fn timed_notices(&self, i: usize) -> Vec<(Instant, Notice)> {
        self.timed_events(i)
            .into_iter()
            .filter_map(|(at, e)| match e {
                Event::Notice(n) => Some((at, n)),
                _ => None,
            })
            .collect()
    }

    /// The links node `i` closed, and why, in order.
    pub fn closed(&self, i: usize) -> Vec<(LinkId, CloseReason)> {
        self.timed_events(i)
            .into_iter()
            .filter_map(|(_, e)| match e {
                Event::CloseLink { link, reason } => Some((link, reason)),
                _ => None,
            })
            .collect()
    }

    /// Node `i`'s status lines (`StatusChanged`), in order, with their times.
    pub fn statuses(&self, i: usize) -> Vec<(Instant, String)> {
        self.timed_events(i)
            .into_iter()
            .filter_map(|(at, e)| match e {
                Event::StatusChanged(s) => Some((at, s.to_string())),
                _ => None,
            })
            .collect()
    }

    /// Every Election message the nodes sent, in send order, with the sender.
    pub fn elections(&self) -> Vec<(usize, ElectionMessage)> {
        self.sent
            .iter()
            .filter_map(|s| match &s.message {
                AnyMessage::Election(m) => Some((s.node, m.clone())),
                _ => None,
            })
            .collect()
    }

    /// The Role messages (`setRole`s) component `c` received, with their times.
    pub fn set_roles(&self, c: usize) -> Vec<(Instant, RoleMessage)> {
        self.components[c].set_roles()
    }

    /// Forgets everything recorded so far (the nodes' events and transmits, what the
    /// components and clients received, the hook jobs).
    pub fn clear_events(&mut self) {
        self.events.clear();
        self.sent.clear();
        self.jobs.clear();
        for c in &mut self.components {
            c.received.clear();
            c.events.clear();
        }
        for c in &mut self.clients {
            c.received.clear();
        }
    }
}
