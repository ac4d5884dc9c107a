//! Checks from the client's side (PROTOCOL 6.8) in the [`Node`]: whom a standby checks, the
//! runs handed to the driver, their results, and the active's answer to a standby that asks
//! for the service.

use crate::event::Event;
use crate::history::Cause;
use crate::node::Node;
use crate::notice::Notice;
use crate::remote_check::{RemoteCheck, RemoteOutcome};
use baton_core::{Instant, NodeRole};
use baton_election::UsageError;
use baton_status::{PeerState, State};

impl Node {
    /// The driver ran remote check `id` ([`Event::RemoteCheck`]) to its end.
    pub fn handle_remote_check_done(&mut self, now: Instant, id: u64, outcome: RemoteOutcome) {
        let changed = self
            .remote
            .as_mut()
            .is_some_and(|r| r.handle_done(now, id, outcome));
        if changed {
            if let Some(r) = &self.remote {
                let active = r
                    .target()
                    .and_then(|i| self.config.members.get(i))
                    .map_or_else(String::new, |m| m.name.clone());
                let failures = self.config.remote_check.map_or(0, |c| c.failures);
                self.notice(Notice::RemoteCheck {
                    active,
                    verdict: r.verdict(),
                    failures,
                    handover: r.asks_handover(),
                });
            }
        }
        self.process(now);
    }

    /// The remote check, if configured (inspection, metrics).
    pub fn remote_check(&self) -> Option<&RemoteCheck> {
        self.remote.as_ref()
    }

    /// One step of the composition loop (PROTOCOL 6.8): a Standby (not a witness) checks the
    /// member that reports `active` (nobody otherwise); runs due go to the driver; an Active
    /// node hands over to a standby member that asks for the service. True if anything moved.
    pub(crate) fn step_remote(&mut self, now: Instant) -> bool {
        let mut moved = false;
        // A witness never serves: it has no service to compare with the active's.
        let standby = self.election.role() == NodeRole::Standby && !self.is_witness();
        if let Some(remote) = &mut self.remote {
            let target = standby
                .then(|| {
                    (0..self.config.members.len()).find(|&i| {
                        i != self.config.me
                            && self.member_states.get(i) == Some(&PeerState::Up(State::Active))
                    })
                })
                .flatten();
            remote.set_target(now, target);
            while let Some(run) = remote.poll_run() {
                let name = self
                    .config
                    .members
                    .get(run.member)
                    .map_or_else(String::new, |m| m.name.clone());
                self.events.push_back(Event::RemoteCheck {
                    id: run.id,
                    member: run.member,
                    name,
                });
            }
        }
        if self.election.role() != NodeRole::Active {
            return moved;
        }
        let asking = (0..self.remote_asks.len()).find(|&i| {
            self.remote_asks[i] && self.member_states.get(i) == Some(&PeerState::Up(State::Standby))
        });
        if let Some(i) = asking {
            // Consumed: asked again only when the member's line says it again.
            self.remote_asks[i] = false;
            let peer = self.config.members[i].name.clone();
            self.history
                .input(Cause::RemoteCheckHandover { peer: peer.clone() });
            let refused = if self.peer_links.is_empty() {
                Some(UsageError::PeerDown)
            } else {
                self.election.switchover(now).err()
            };
            self.notice(Notice::RemoteHandoverAsked { peer, refused });
            moved = true;
        }
        moved
    }

    /// Member `i` said this status line of itself: whether it asks for the service
    /// (`remote=handover`, PROTOCOL 6.7, 6.8).
    pub(crate) fn note_remote_word(&mut self, i: usize, line: &str) {
        if let Some(slot) = self.remote_asks.get_mut(i) {
            *slot = line.split_whitespace().any(|w| w == "remote=handover");
        }
    }
}
