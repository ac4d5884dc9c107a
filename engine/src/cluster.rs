//! Clusters (PROTOCOL 5.9 to 5.11): what the Election asks of the driver beside links and
//! roles (run the fence command, PROTOCOL 5.10), the answers the driver hands back, and the
//! status words of a cluster (PROTOCOL 6.7).

use crate::event::Event;
use crate::node::Node;
use baton_core::Instant;
use baton_election::{Grant, Member, Round};

impl Node {
    /// The Election wants `member` fenced (PROTOCOL 5.10): [`Event::Fence`] with its name and
    /// id (the driver knows its address).
    pub(crate) fn fence(&mut self, member: Member) {
        let Some(m) = self.config.members.get(member.0) else {
            return;
        };
        let (name, id) = (m.name.clone(), m.id.clone());
        self.events.push_back(Event::Fence {
            member: member.0,
            name,
            id,
        });
    }

    /// The Election made a grant (PROTOCOL 5.9.3): [`Event::PersistGrant`] with the round and
    /// the member's name, for the driver to write to `state_dir/grant`. Every transmit is
    /// held until [`Node::handle_grant_persisted`] \[Q1\].
    pub(crate) fn persist_grant(&mut self, grant: Grant) {
        let Some(m) = self.config.members.get(grant.member.0) else {
            return;
        };
        let name = m.name.clone();
        self.events.push_back(Event::PersistGrant {
            round: grant.round,
            member: grant.member.0,
            name,
        });
    }

    /// The driver wrote the grant of [`Event::PersistGrant`] (`round`, member index
    /// `member`) to `state_dir/grant`, fsynced (PROTOCOL 5.9.3): the transmits held for it
    /// go out. If the write failed, the driver stops the node instead.
    pub fn handle_grant_persisted(&mut self, now: Instant, round: Round, member: usize) {
        let grant = Grant {
            round,
            member: Member(member),
        };
        self.election.handle_grant_persisted(now, grant);
        self.process(now);
    }

    /// The fence command that [`Event::Fence`] asked for, against the member named `name`,
    /// ended: `ok` when it exited 0 in time (PROTOCOL 5.10). `ok` lets the node promote as
    /// it would have; otherwise it stays standby and asks again after `fence_retry`. An
    /// answer no fencing waits for (the member came back meanwhile) changes nothing.
    pub fn handle_fence_done(&mut self, now: Instant, name: &str, ok: bool) {
        if let Some(i) = self.config.members.iter().position(|m| m.name == name) {
            self.election.handle_fence_done(now, Member(i), ok);
        }
        self.process(now);
    }

    /// What etcd answered, or what the watch of the leader key saw (PROTOCOL 5.12).
    pub fn handle_etcd(&mut self, now: Instant, input: baton_election::EtcdInput) {
        self.election.handle_etcd(now, input);
        self.process(now);
    }

    /// `fencing=<name>` while a fencing is under way.
    pub(crate) fn fencing_word(&self) -> Option<String> {
        let m = self.election.fencing()?;
        let name = self.config.members.get(m.0)?;
        Some(format!("fencing={}", name.name))
    }

    /// `round=<R>` in quorum and etcd mode once the Election has a round (etcd mode: the
    /// leader key's create revision, PROTOCOL 5.12.2).
    pub(crate) fn round_word(&self) -> Option<String> {
        let round = self.election.round();
        (self.config.mode != baton_election::Mode::Pair && round.0 > 0)
            .then(|| format!("round={round}"))
    }

    /// `lease=<N>ms`: in quorum mode, while this node serves, the time left on its lease at
    /// `now` (PROTOCOL 6.7). Only in answers to `getStatus`: a word that changes with every
    /// millisecond would push a `statusIndication` on every input.
    pub(crate) fn lease_word(&self, now: Instant) -> Option<String> {
        if self.config.mode == baton_election::Mode::Pair {
            return None;
        }
        let left = self.election.lease_left(now)?;
        Some(format!("lease={}ms", left.as_millis()))
    }
}
