//! What the Election reports (PROTOCOL 5): role changes, the role to set on every component,
//! a misbehaving peer.

use crate::event::Event;
use crate::node::Node;
use crate::notice::Notice;
use baton_core::Instant;
use baton_election::{Event as ElectionEvent, Member};

impl Node {
    /// Acts on what the Election reports: `SetComponents` becomes an assignment of the role
    /// layer, remembered with the Election's generation.
    pub(crate) fn on_election_event(&mut self, now: Instant, e: ElectionEvent) {
        match e {
            ElectionEvent::RoleChanged { from, to } => {
                self.history.record(now, from, to);
                self.events.push_back(Event::RoleChanged { from, to })
            }
            ElectionEvent::SetComponents { role, generation } => {
                // PROTOCOL 2.3, Role correlationIds: an `active` request carries the round of
                // the promotion it serves, a `standby` one the highest round this node knows.
                let round = match role {
                    baton_role::Role::active => self.election.round(),
                    baton_role::Role::standby => self.election.seen_round(),
                };
                self.replication_assign(role);
                let g = self.roles.assign_in_round(now, role, round.0);
                self.assignment = Some((g, generation, role));
            }
            ElectionEvent::PeerMisbehaved { peer, reason } => {
                let peer = self.member_name(peer).to_owned();
                self.notice(Notice::PeerMisbehaved { peer, reason })
            }
            ElectionEvent::NominationRefused { peer, description } => {
                let peer = self.member_name(peer).to_owned();
                self.notice(Notice::NominationRefused { peer, description })
            }
            ElectionEvent::Fence { member } => self.fence(member),
            ElectionEvent::PersistGrant(grant) => self.persist_grant(grant),
            ElectionEvent::Etcd(command) => self.events.push_back(Event::Etcd(command)),
        }
    }

    /// The name of member `m`.
    fn member_name(&self, m: Member) -> &str {
        self.config
            .members
            .get(m.0)
            .map_or("?", |m| m.name.as_str())
    }
}
