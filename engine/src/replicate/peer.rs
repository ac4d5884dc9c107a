//! Replication on peer links (PROTOCOL 6.11, *Peer links*): the active node's [`Active`]
//! toward the standby node on its replica link, a standby node's [`Standby`], the sides
//! changing with the role, and the releases of `sync` updates.

use super::notice::ReplicationNotice;
use super::{ActiveSide, Side, StandbySide, Waiter};
use crate::close::CloseReason;
use crate::node::Node;
use crate::notice::Notice;
use baton_asn1::replication as r;
use baton_core::{Instant, LinkId};
use baton_election::Member;
use baton_replication::{wire, Active, ActiveEvent, Standby, StandbyEvent};
use r::{ErrorCode, ReplicationMessageMessage as M};
use std::collections::{BTreeSet, VecDeque};

impl Node {
    /// Whether this node takes part in replication: it has a replicating component and is no
    /// witness.
    pub(crate) fn replicates(&self) -> bool {
        !self.config.replication.components.is_empty() && !self.is_witness()
    }

    /// The peer link of the standby node the active replicates to: the up peer link (hellos
    /// exchanged, still open) to the member of highest priority that is not a witness.
    pub(crate) fn replica_link(&self) -> Option<LinkId> {
        self.peer_links
            .iter()
            .filter(|(l, m)| self.links.contains_key(l) && !self.config.witnesses.contains(&m.0))
            .min_by_key(|(l, m)| (m.0, **l))
            .map(|(l, _)| *l)
    }

    /// A replication message on peer link `link` (PROTOCOL 6.11): before the hellos it closes
    /// the link; the active node takes the standby's answers on its replica link; a standby
    /// node applies the active's messages and answers on the same link.
    pub(crate) fn peer_replication(
        &mut self,
        now: Instant,
        link: LinkId,
        m: r::ReplicationMessage,
    ) {
        let message = super::notice::kind(&m.message);
        let Some(member) = self.peer_links.get(&link).copied() else {
            if self.peers.parked(link).is_some() {
                let why = "the link's hello waits (PROTOCOL 4, duplicate links)";
                self.replication_notice(ReplicationNotice::Ignored { link, message, why });
            } else {
                self.close(now, link, CloseReason::ReplicationBeforeHello);
            }
            return;
        };
        if self.is_witness() {
            let why = "a witness holds no repertory";
            self.replication_notice(ReplicationNotice::Ignored { link, message, why });
            return;
        }
        match &mut self.replication.side {
            Side::Active(a) => {
                if let M::update(u) = &m.message {
                    // A demoted active's late update (older generation), or a second active.
                    let mine = a.active.generation();
                    let theirs = u.generation.0;
                    let (code, why) = if theirs < mine {
                        let why = format!(
                            "generation {theirs} is older than this active node's {mine}: \
                             nothing applied"
                        );
                        (ErrorCode::staleGeneration, why)
                    } else {
                        let why = format!("this node is active in generation {mine}");
                        (ErrorCode::malformedRequest, why)
                    };
                    let reply = wire::error(&m.correlation_id, code, why);
                    self.send(link, reply);
                } else if a.link == Some(link) {
                    a.active.handle(m);
                    self.drain_active();
                } else if let M::syncRequest(_) = &m.message {
                    // Answered, so that the joining node is not held behind (PROTOCOL 6.11,
                    // *Joins between standby nodes*): it gets no sync from this node.
                    let why = "not the standby node this active node replicates to: no sync";
                    let reply =
                        wire::error(&m.correlation_id, ErrorCode::malformedRequest, why.into());
                    self.send(link, reply);
                } else {
                    let why = "not the link of the standby node this node replicates to";
                    self.replication_notice(ReplicationNotice::Ignored { link, message, why });
                }
            }
            Side::Standby(s) => match m.message {
                // A peer that is not active answers a join with what it holds in generation
                // 0 (never synced): taken only by a node holding nothing synced or seeded,
                // else it only answers the join (PROTOCOL 6.11, *Joins between standby
                // nodes*).
                M::syncChunk(ref c)
                    if c.generation.0 == 0
                        && (s.standby.synced_generation().is_some()
                            || !s.standby.repertory().is_empty()) => {}
                M::syncDone(ref d)
                    if d.generation.0 == 0
                        && (d.entry_count.0 == 0
                            || s.standby.synced_generation().is_some()
                            || !s.standby.repertory().is_empty()) =>
                {
                    s.asked.remove(&link);
                }
                M::update(_) | M::syncChunk(_) | M::syncDone(_) | M::audit(_) => {
                    if matches!(m.message, M::syncDone(_)) {
                        s.asked.remove(&link);
                    }
                    s.heard = true;
                    s.standby.handle(m);
                    self.drain_standby(link);
                }
                M::replicationError(e) => {
                    s.asked.remove(&link);
                    let peer = self.member_label(member);
                    self.replication_notice(ReplicationNotice::PeerRefused {
                        peer,
                        code: e.code,
                        description: e.description,
                    });
                }
                M::syncRequest(_) => self.answer_join(link, &m.correlation_id),
                M::updateAck(_) | M::auditResponse(_) => {
                    let why = "this node is not active";
                    self.replication_notice(ReplicationNotice::Ignored { link, message, why });
                }
            },
        }
    }

    /// A peer is up on `link`: a standby node joins (`syncRequest{full}`, PROTOCOL 2.8).
    pub(crate) fn replication_peer_up(&mut self, link: LinkId, member: Member) {
        if !self.replicates() || self.config.witnesses.contains(&member.0) {
            return;
        }
        if let Side::Standby(s) = &mut self.replication.side {
            s.standby.join();
            s.asked.insert(link);
            self.drain_standby(link);
        }
    }

    /// The Election set the components' role: `active` starts the active side in the
    /// generation of this promotion (its round, PROTOCOL 5.11), its mirror the repertory held
    /// (the standby's, or the previous generation's mirror), and syncs the standby node in
    /// full; `standby` turns an active side into a standby one seeded with the mirror, which
    /// joins the active.
    pub(crate) fn replication_assign(&mut self, role: baton_role::Role) {
        if !self.replicates() {
            return;
        }
        match role {
            baton_role::Role::active => {
                let generation = u64::from(self.election.round().0);
                if matches!(&self.replication.side, Side::Active(a) if a.active.generation() == generation)
                {
                    return;
                }
                let link = self.replica_link();
                let config = self.replication.active_config();
                let standby = Side::Standby(StandbySide {
                    standby: Standby::new(self.replication.standby_config()),
                    heard: false,
                    asked: BTreeSet::new(),
                });
                let (mirror, waiters) = match std::mem::replace(&mut self.replication.side, standby)
                {
                    Side::Active(a) => {
                        // Carried into the new generation: its first acknowledgement (of the
                        // full sync below) or the loss of the standby releases them.
                        let mut waiters = a.waiters;
                        for w in &mut waiters {
                            w.node_sequence = 0;
                        }
                        (a.active.mirror().clone(), waiters)
                    }
                    Side::Standby(s) => (s.standby.repertory().clone(), VecDeque::new()),
                };
                let mut active = Active::new(config, generation, mirror);
                if link.is_some() {
                    active.full_sync();
                }
                self.replication.side = Side::Active(ActiveSide {
                    active,
                    link,
                    waiters,
                    unacked: VecDeque::new(),
                });
                self.drain_active();
            }
            baton_role::Role::standby => {
                if !matches!(self.replication.side, Side::Active(_)) {
                    return;
                }
                let seed = Standby::seeded(
                    self.replication.standby_config(),
                    self.replication.repertory().clone(),
                );
                let standby = Side::Standby(StandbySide {
                    standby: seed,
                    heard: false,
                    asked: BTreeSet::new(),
                });
                if let Side::Active(a) = std::mem::replace(&mut self.replication.side, standby) {
                    self.refuse_waiters(a.waiters);
                }
                if let Some(link) = self.replica_link() {
                    if let Side::Standby(s) = &mut self.replication.side {
                        s.standby.join();
                        s.asked.insert(link);
                    }
                    self.drain_standby(link);
                }
            }
        }
    }

    /// `sync` updates still waiting when the node is demoted: the standby node may not hold
    /// them, so they are refused (`staleGeneration`), never acknowledged.
    fn refuse_waiters(&mut self, waiters: VecDeque<Waiter>) {
        if waiters.is_empty() {
            return;
        }
        let updates = waiters.len();
        for w in waiters {
            let why = "the node was demoted before the standby node acknowledged the update";
            let reply = wire::error(&w.correlation, ErrorCode::staleGeneration, why.to_owned());
            if self.links.contains_key(&w.link) {
                self.send(w.link, reply);
            }
        }
        self.replication_notice(ReplicationNotice::Unacknowledged { updates });
    }

    /// Sends what the active queued to the standby node (dropped with no replica link: a
    /// standby that comes asks for a full sync), and acts on its events.
    pub(crate) fn drain_active(&mut self) {
        let Side::Active(a) = &mut self.replication.side else {
            return;
        };
        let link = a.link;
        let out: Vec<r::ReplicationMessage> =
            std::iter::from_fn(|| a.active.poll_transmit()).collect();
        let events: Vec<ActiveEvent> = std::iter::from_fn(|| a.active.poll_event()).collect();
        if let Some(l) = link {
            for m in out {
                self.send(l, m);
            }
        }
        for e in events {
            match e {
                ActiveEvent::Acknowledged(n) => {
                    if let Side::Active(a) = &mut self.replication.side {
                        while a.unacked.front().is_some_and(|(s, _)| *s <= n) {
                            a.unacked.pop_front();
                        }
                    }
                }
                ActiveEvent::AuditConsistent => {}
                ActiveEvent::AuditMismatch {
                    sequence_number,
                    entry_count,
                } => self.replication_notice(ReplicationNotice::AuditMismatch {
                    sequence_number,
                    entry_count,
                }),
                ActiveEvent::Refused { code, description } => {
                    let peer = link
                        .and_then(|l| self.peer_links.get(&l).copied())
                        .map_or_else(|| "?".to_owned(), |m| self.member_label(m));
                    self.replication_notice(ReplicationNotice::PeerRefused {
                        peer,
                        code,
                        description,
                    });
                }
            }
        }
        self.release_waiters();
    }

    /// Answers the `sync` updates that may complete: every one with no standby node to wait
    /// for; with a synced standby node, those it acknowledged (PROTOCOL 6.11).
    pub(crate) fn release_waiters(&mut self) {
        let mut done = Vec::new();
        if let Side::Active(a) = &mut self.replication.side {
            let all = a.link.is_none();
            let upto = a.active.standby_synced().then(|| a.active.acknowledged());
            while let Some(w) = a.waiters.front() {
                if all || upto.is_some_and(|n| w.node_sequence <= n) {
                    done.extend(a.waiters.pop_front());
                } else {
                    break;
                }
            }
        }
        for w in done {
            if self.links.contains_key(&w.link) {
                self.send(w.link, wire::ack(&w.correlation, w.generation, w.sequence));
            }
        }
    }

    /// Sends what the standby queued (answers) on `link`, and forwards what it applied to the
    /// hot standby components.
    pub(crate) fn drain_standby(&mut self, link: LinkId) {
        let Side::Standby(s) = &mut self.replication.side else {
            return;
        };
        let out: Vec<r::ReplicationMessage> =
            std::iter::from_fn(|| s.standby.poll_transmit()).collect();
        let events: Vec<StandbyEvent> = std::iter::from_fn(|| s.standby.poll_event()).collect();
        for m in out {
            self.send(link, m);
        }
        for e in events {
            match e {
                StandbyEvent::Applied {
                    generation,
                    sequence: _,
                    ops,
                } => self.stream_to_hot(generation, &ops),
                StandbyEvent::Synced { .. } => self.resync_hot(),
            }
        }
    }

    /// Peer link or component link `link` closed: its component state goes; the active loses
    /// its standby node if it was on it (its `sync` updates are released).
    pub(crate) fn replication_link_closed(&mut self, link: LinkId) {
        self.replication.links.remove(&link);
        if let Side::Standby(s) = &mut self.replication.side {
            s.asked.remove(&link);
        }
        if let Side::Active(a) = &mut self.replication.side {
            a.waiters.retain(|w| w.link != link);
            if a.link == Some(link) {
                a.active.standby_lost();
                a.link = None;
                a.unacked.clear();
            }
        }
        self.release_waiters();
    }

    /// One step of the composition loop: the active follows the replica link (a new one
    /// means a new standby, which joins). True if it changed.
    pub(crate) fn step_replica_link(&mut self) -> bool {
        let want = self.replica_link();
        let Side::Active(a) = &mut self.replication.side else {
            return false;
        };
        if a.link == want {
            return false;
        }
        if a.link.is_some() {
            a.active.standby_lost();
            a.unacked.clear();
        }
        a.link = want;
        self.release_waiters();
        true
    }

    /// Queues a replication notice.
    pub(crate) fn replication_notice(&mut self, n: ReplicationNotice) {
        self.notice(Notice::Replication(n));
    }

    /// The name of member `m`.
    fn member_label(&self, m: Member) -> String {
        self.config
            .members
            .get(m.0)
            .map_or_else(|| "?".to_owned(), |p| p.name.clone())
    }
}
