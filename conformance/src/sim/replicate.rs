//! Replication in the simulation (PROTOCOL 6.11, issue 13): with
//! [`SimConfig::replication`](super::SimConfig::replication), every component replicates
//! through its node (the first of each member `sync`, the others `async`), and its
//! application, while active, writes a new record every 10-40 ms: one `add` of a key never
//! written before. After every schedule [`acknowledged_kept`] checks that no acknowledged
//! `sync` update was lost: each is in the repertory of the node that is active at the end.
//!
//! # What may be lost, and why
//! The repertory lives in memory on the two nodes (DESIGN 8), so an acknowledged update is
//! kept as long as one copy is. When the component hears `updateAck`, the update is
//! - **held twice** if the other member's node holds it already (the standby node stored it:
//!   what `sync` waits for when a caught-up standby node is connected). It may be lost only
//!   when, after the acknowledgement, both nodes crashed, or one crashed and a partition or
//!   a reset came too: the node restarted with an empty repertory may then take over
//!   without seeing the other copy (pair mode's split; seed 47 of the CI schedules);
//! - **held once** otherwise (PROTOCOL 6.11: with no caught-up standby node connected a
//!   `sync` update is acknowledged once in the mirror; a standby node not caught up is not
//!   promoted). It may be lost only when, after the acknowledgement, the node that
//!   acknowledged it crashed, or it or its component stopped being active (a partition ended
//!   with the other member's term: pair mode's split; seed 5 of the CI schedules: a node
//!   whose promotion failed in a partition kept the component that had accepted `active`,
//!   and acknowledged its updates until the heal demoted both).
//!
//! Any other loss is a violation. `async` updates are counted, kept or lost, not checked.

use super::world::{Action, World};
use baton_component::engine::{ReplicationEvent, Ticket};
use baton_component::Operation;
use baton_core::Instant;
use baton_election::NodeRole;
use baton_engine::{ReplicationConfig, ReplicationMode};
use baton_replication::{Key, Op};
use std::collections::BTreeMap;
use std::time::Duration;

/// The data type of the records the applications write.
const DATA_TYPE: &str = "1";

/// An update sent and not answered yet.
#[derive(Debug, Clone)]
struct Sent {
    key: Key,
    sync: bool,
}

/// An acknowledged update.
#[derive(Debug, Clone)]
pub struct Acked {
    /// The member whose component wrote it (and whose node acknowledged it).
    pub member: usize,
    /// The component (index) that wrote it.
    pub component: usize,
    /// When the component heard the acknowledgement.
    pub at: Instant,
    /// The other member's node held it then.
    pub held_twice: bool,
    /// Both members' incarnations then (a crash since changes one).
    pub incarnations: Vec<u32>,
    /// `sync` mode.
    pub sync: bool,
}

/// What the replication check remembers across steps.
#[derive(Debug, Clone, Default)]
pub struct ReplicationRecord {
    sent: BTreeMap<(usize, usize, Ticket), Sent>,
    /// Every acknowledged update, by record key.
    pub acked: BTreeMap<Key, Acked>,
    /// Updates sent.
    pub submitted: u64,
    /// Updates refused (or whose link closed before the answer).
    pub failed: u64,
    /// When each component stopped being active (member, component, time).
    pub stood_down: Vec<(usize, usize, Instant)>,
    next_key: u64,
}

/// What a schedule's replication came to (in [`super::Outcome`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplicationCounts {
    /// Updates sent by the components.
    pub submitted: u64,
    /// `sync` updates acknowledged.
    pub acked_sync: u64,
    /// `async` updates acknowledged.
    pub acked_async: u64,
    /// Acknowledged `sync` updates lost as the design allows (see the module docs).
    pub sync_lost_allowed: u64,
    /// Acknowledged `async` updates not in the final active's repertory.
    pub async_lost: u64,
}

/// The node configuration's `replication`: every component of every member, the first of
/// each member `sync`, the others `async`.
pub fn node_config(component_ids: &[(usize, String)]) -> ReplicationConfig {
    ReplicationConfig {
        components: component_ids
            .iter()
            .map(|(c, id)| {
                let mode = if *c == 0 {
                    ReplicationMode::Sync
                } else {
                    ReplicationMode::Async
                };
                (id.clone(), mode)
            })
            .collect(),
        ..ReplicationConfig::default()
    }
}

impl World {
    /// Component `(m, c)`'s application writes its next record if it is active, and plans
    /// the next write 10-40 ms later.
    pub(crate) fn write_record(&mut self, m: usize, c: usize) {
        let comp = &mut self.members[m].components[c];
        if comp.is_active() && comp.link.is_some() {
            let n = self.repl.next_key;
            let name = format!("{n:08}");
            let op = Operation::add(DATA_TYPE, name.as_bytes(), name.as_bytes());
            if let Ok(ticket) = comp.engine.replicate(&[op]) {
                let key = Key {
                    application_id: comp.id.as_bytes().to_vec(),
                    data_type: DATA_TYPE.as_bytes().to_vec(),
                    key: name.into_bytes(),
                };
                self.repl.next_key += 1;
                self.repl.submitted += 1;
                let sync = c == 0;
                self.repl.sent.insert((m, c, ticket), Sent { key, sync });
            }
        }
        let next = self
            .rng
            .duration(Duration::from_millis(10), Duration::from_millis(40));
        self.schedule(self.now + next, Action::WriteRecord(m, c));
    }

    /// A replication event of component `(m, c)`'s engine.
    pub(crate) fn on_replication(&mut self, m: usize, c: usize, e: ReplicationEvent) {
        match e {
            ReplicationEvent::Acked { ticket, .. } => {
                let Some(sent) = self.repl.sent.remove(&(m, c, ticket)) else {
                    return;
                };
                let held_twice = self.members.iter().enumerate().any(|(o, member)| {
                    o != m
                        && member
                            .node
                            .as_ref()
                            .is_some_and(|n| n.replica().get(&sent.key).is_some())
                });
                let acked = Acked {
                    member: m,
                    component: c,
                    at: self.now,
                    held_twice,
                    incarnations: self.members.iter().map(|x| x.incarnation).collect(),
                    sync: sent.sync,
                };
                self.repl.acked.insert(sent.key, acked);
            }
            ReplicationEvent::Failed { ticket, error } => {
                self.repl.sent.remove(&(m, c, ticket));
                self.repl.failed += 1;
                self.log(|| format!("n{m}c{c}: update failed: {error:?}"));
            }
            other => self.log(|| format!("n{m}c{c}: {other:?}")),
        }
    }

    /// Planted fault (tests): the standby node's repertory silently loses every record
    /// acknowledged so far, as memory corruption would (no message; an audit would find
    /// it). The member of the first standby node.
    pub fn corrupt_standby_replica(&mut self) -> Option<usize> {
        let keys: Vec<Op> = self.repl.acked.keys().cloned().map(Op::Delete).collect();
        let m = (0..self.members.len()).find(|m| self.role(*m) == Some(NodeRole::Standby))?;
        let node = self.members[m].node.as_mut()?;
        node.corrupt_replica_for_test(&keys).ok()?;
        self.note(format!(
            "corrupt n{m}'s repertory ({} records deleted)",
            keys.len()
        ));
        Some(m)
    }

    /// Whether member `m` crashed (or is down) since incarnation `incarnation`.
    fn crashed_since(&self, m: usize, incarnation: u32) -> bool {
        self.members[m].incarnation != incarnation || self.members[m].node.is_none()
    }

    /// Whether component `(m, c)` stood down, or member `m`'s node stopped being active,
    /// after `at`.
    fn left_active_since(&self, m: usize, c: usize, at: Instant) -> bool {
        self.record
            .role_changes
            .iter()
            .any(|(t, who, from, _)| *t >= at && *who == m && *from == NodeRole::Active)
            || self
                .repl
                .stood_down
                .iter()
                .any(|(who, comp, t)| *t >= at && *who == m && *comp == c)
    }
}

/// After a schedule: every acknowledged `sync` update is in the repertory of the node active
/// at the end, unless lost as the module docs allow. The counts either way.
///
/// # Errors
/// The first acknowledged `sync` update lost otherwise.
pub fn acknowledged_kept(w: &World) -> Result<ReplicationCounts, String> {
    let mut counts = ReplicationCounts {
        submitted: w.repl.submitted,
        ..ReplicationCounts::default()
    };
    if !w.config.replication {
        return Ok(counts);
    }
    let active = (0..w.members.len()).find(|m| w.role(*m) == Some(NodeRole::Active));
    let replica = active.and_then(|m| w.members[m].node.as_ref().map(|n| n.replica()));
    for (key, a) in &w.repl.acked {
        if a.sync {
            counts.acked_sync += 1;
        } else {
            counts.acked_async += 1;
        }
        let kept = replica.is_some_and(|r| r.get(key) == Some(&key.key[..]));
        if kept {
            continue;
        }
        if !a.sync {
            counts.async_lost += 1;
            continue;
        }
        let crashed = |m: usize| w.crashed_since(m, a.incarnations[m]);
        let split = w.record.splits.iter().any(|t| *t >= a.at);
        let allowed = if a.held_twice {
            (0..w.members.len()).all(crashed) || (split && (0..w.members.len()).any(crashed))
        } else {
            crashed(a.member) || w.left_active_since(a.member, a.component, a.at)
        };
        if !allowed {
            return Err(format!(
                "sync update {:?} of component {} acknowledged at {} (held {}) is not in the \
                 repertory of the active node {active:?}",
                String::from_utf8_lossy(&key.key),
                String::from_utf8_lossy(&key.application_id),
                super::trace::millis(a.at),
                if a.held_twice { "twice" } else { "once" },
            ));
        }
        counts.sync_lost_allowed += 1;
    }
    Ok(counts)
}
