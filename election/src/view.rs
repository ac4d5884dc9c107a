//! What an [`Election`] tells its caller about itself and its peers: its configuration,
//! role, generation, the views of its peers, whether it is settled.

use crate::config::{Config, Member};
use crate::election::{AfterDemotion, Election};
use crate::event::Generation;
use crate::peer::PeerView;
use crate::role::NodeRole;

impl Election {
    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// This node's role.
    pub fn role(&self) -> NodeRole {
        self.role
    }

    /// This node.
    pub fn me(&self) -> Member {
        Member(self.config.me)
    }

    /// The number of the latest [`Event::SetComponents`] command.
    pub fn generation(&self) -> Generation {
        self.generation
    }

    /// Whether a fatal component failure is recorded ([`Election::handle_fatal`]).
    pub fn is_fatal(&self) -> bool {
        self.fatal
    }

    /// The peer of pair mode (PROTOCOL 5); `None` in quorum mode, which has several (use
    /// [`Election::peers`]).
    pub fn peer(&self) -> Option<Member> {
        (!self.is_quorum() && !self.is_etcd()).then(|| self.pair_peer())
    }

    /// What this node knows of its pair-mode peer; `None` in quorum mode (use
    /// [`Election::peers`]).
    pub fn peer_view(&self) -> Option<PeerView> {
        self.peer().map(|m| self.view(m))
    }

    /// The peer of pair mode, for the pair-mode rules (PROTOCOL 5.5, 5.6, 5.10), which only a
    /// pair runs: the other of members 0 and 1. Never out of range (a configuration has at
    /// least two members), whatever this node's index.
    pub(crate) fn pair_peer(&self) -> Member {
        Member(usize::from(self.config.me == 0))
    }

    /// What this node knows of every other member.
    pub fn peers(&self) -> impl Iterator<Item = PeerView> + '_ {
        (0..self.config.members.len())
            .filter(move |i| *i != self.config.me)
            .map(|i| self.view(Member(i)))
    }

    fn view(&self, m: Member) -> PeerView {
        let p = &self.peers[m.0];
        PeerView {
            member: m,
            name: self.config.name(m).to_owned(),
            link: p.link,
            role: p.role,
        }
    }

    /// Whether an Election answer from `from` carrying `id` would count (PROTOCOL 5.4 \[F7\]):
    /// pair mode, a well-formed `correlationId` whose `seq` is that of the latest send of this
    /// node's pending nomination to `from`, not answered yet. Any other answer is ignored by
    /// [`Election::handle_message`] (a caller logs it: PROTOCOL 9, stale answers); `false` in
    /// quorum mode, whose answers this does not judge.
    pub fn answer_counts(&self, from: Member, id: &baton_asn1::election::CorrelationId) -> bool {
        !self.is_quorum()
            && !self.is_etcd()
            && crate::wire_id::WireId::from_correlation_id(id)
                .is_ok_and(|id| self.answers_latest_send(from, id.seq))
    }

    /// Whether a nomination of this node is pending (sent or backing off) and valid.
    pub fn nomination_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Whether nothing is in flight on this node's side: no pending nomination, no deferred
    /// answer, no promotion or demotion under way, nothing queued for the caller.
    pub fn is_settled(&self) -> bool {
        if self.is_quorum() {
            return self.q_is_settled();
        }
        if self.is_etcd() {
            return self.e_is_settled();
        }
        self.pending.is_none()
            && self.after_demotion == AfterDemotion::Nothing
            && self.fencing.is_none()
            && !matches!(self.role, NodeRole::Promoting | NodeRole::Demoting)
            && self.transmits.is_empty()
            && self.events.is_empty()
    }
}
