//! The standby node's side (PROTOCOL 2.8): it holds the repertory, applies updates in sequence
//! order, acknowledges the highest contiguous sequence number, refuses older generations,
//! takes a batch sync as a whole, and answers audits. Pure: messages in, messages out.

use crate::repertory::{Key, Limits, Op, Repertory};
use crate::wire;
use baton_asn1::replication as r;
use r::{ErrorCode, ReplicationMessageMessage as M};
use std::collections::{BTreeMap, VecDeque};

/// How a standby is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StandbyConfig {
    /// The repertory's bounds (also bound a sync in progress).
    pub limits: Limits,
    /// Most early updates held while waiting for a gap to fill; one further ahead is
    /// refused with `outOfSequence`.
    pub window: u64,
}

impl Default for StandbyConfig {
    fn default() -> Self {
        StandbyConfig {
            limits: Limits::default(),
            window: 64,
        }
    }
}

/// What the standby tells its caller (the node forwards applied updates to a hot standby
/// component, PROTOCOL 6.11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StandbyEvent {
    /// An update was applied to the repertory (in sequence order).
    Applied {
        /// Its generation.
        generation: u64,
        /// Its sequence number.
        sequence: u64,
        /// Its operations, as applied.
        ops: Vec<Op>,
    },
    /// A batch sync replaced the repertory.
    Synced {
        /// Its generation.
        generation: u64,
        /// The sequence number it is consistent with.
        sequence: u64,
    },
}

/// A sync whose chunks are arriving.
#[derive(Debug, Clone)]
struct SyncInProgress {
    generation: u64,
    entries: Vec<(Key, Vec<u8>)>,
}

/// The standby node's replication state.
#[derive(Debug, Clone)]
pub struct Standby {
    config: StandbyConfig,
    repertory: Repertory,
    /// The generation the repertory was synced in; `None` before the first sync.
    synced: Option<u64>,
    /// The newest generation seen in any message: older ones are refused.
    newest: u64,
    /// Highest sequence number applied without a gap (since the sync point).
    applied: u64,
    /// Early updates by sequence number.
    pending: BTreeMap<u64, (r::CorrelationId, Vec<Op>)>,
    sync: Option<SyncInProgress>,
    next_id: u64,
    out: VecDeque<r::ReplicationMessage>,
    events: VecDeque<StandbyEvent>,
}

impl Standby {
    /// A standby with an empty repertory, not yet synced.
    pub fn new(config: StandbyConfig) -> Standby {
        Standby::seeded(config, Repertory::new(config.limits))
    }

    /// A standby holding `repertory` (a demoted active's mirror), not synced in any
    /// generation: what it keeps until a sync replaces it.
    pub fn seeded(config: StandbyConfig, repertory: Repertory) -> Standby {
        Standby {
            config,
            repertory,
            synced: None,
            newest: 0,
            applied: 0,
            pending: BTreeMap::new(),
            sync: None,
            next_id: 1,
            out: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The standby joins (or must resync): asks the active for the whole repertory. A sync
    /// under way is void (its chunks may have come on a link that closed since): the answer
    /// starts a new one.
    pub fn join(&mut self) {
        self.sync = None;
        let id = wire::correlation(self.next_id);
        self.next_id += 1;
        self.out.push_back(wire::message(
            &id,
            M::syncRequest(r::SyncRequest::new(r::SyncStart::full(r::FullSync {}))),
        ));
    }

    /// The repertory as stored.
    pub fn repertory(&self) -> &Repertory {
        &self.repertory
    }

    /// Highest contiguous sequence number applied.
    pub fn applied(&self) -> u64 {
        self.applied
    }

    /// The generation of the last completed sync, if any.
    pub fn synced_generation(&self) -> Option<u64> {
        self.synced
    }

    /// The newest generation seen in any message (0 before the first).
    pub fn newest_generation(&self) -> u64 {
        self.newest
    }

    /// Whether the repertory is synced in the newest generation seen, with no sync under way
    /// and no gap pending: it holds every update of the active's term received so far.
    pub fn caught_up(&self) -> bool {
        self.synced == Some(self.newest) && self.sync.is_none() && self.pending.is_empty()
    }

    /// Early updates held until a gap fills.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// The next event, in order.
    pub fn poll_event(&mut self) -> Option<StandbyEvent> {
        self.events.pop_front()
    }

    /// The next message to send to the active, in order.
    pub fn poll_transmit(&mut self) -> Option<r::ReplicationMessage> {
        self.out.pop_front()
    }

    /// Testing and repair drills: replaces the stored value of a record as if the memory had
    /// been corrupted, without any message (an audit finds it).
    pub fn corrupt_for_test(&mut self, ops: &[Op]) -> Result<(), crate::RepertoryFull> {
        self.repertory.apply(ops)
    }

    /// A message from the active.
    pub fn handle(&mut self, m: r::ReplicationMessage) {
        let id = m.correlation_id;
        match m.message {
            M::update(u) => self.on_update(&id, u),
            M::syncChunk(c) => self.on_chunk(&id, c),
            M::syncDone(d) => self.on_done(&id, &d),
            M::audit(a) => self.on_audit(&id, &a),
            M::updateAck(_) | M::syncRequest(_) | M::auditResponse(_) | M::replicationError(_) => {
                self.refuse(
                    &id,
                    ErrorCode::malformedRequest,
                    "a standby takes update, syncChunk, syncDone and audit only".to_owned(),
                )
            }
        }
    }

    fn refuse(&mut self, id: &r::CorrelationId, code: ErrorCode, why: String) {
        self.out.push_back(wire::error(id, code, why));
    }

    /// Refuses a message of an older generation; records a newer one. `true` if refused.
    fn stale(&mut self, id: &r::CorrelationId, generation: u64) -> bool {
        if generation < self.newest {
            let why = format!(
                "generation {generation} is older than {}: nothing applied",
                self.newest
            );
            self.refuse(id, ErrorCode::staleGeneration, why);
            return true;
        }
        self.newest = generation;
        false
    }

    fn on_update(&mut self, id: &r::CorrelationId, u: r::Update) {
        let generation = u.generation.0;
        if self.stale(id, generation) {
            return;
        }
        if self.synced != Some(generation) {
            let why = format!("no sync in generation {generation} yet: send a full sync");
            self.refuse(id, ErrorCode::syncRequired, why);
            return;
        }
        let seq = u.sequence_number.0;
        let ops: Vec<Op> = u.operations.0.iter().map(Op::from_wire).collect();
        if seq <= self.applied {
            // A duplicate: applied already; acknowledged again.
            self.out.push_back(wire::ack(id, generation, self.applied));
            return;
        }
        if seq > self.applied + 1 {
            if seq - self.applied > self.config.window {
                let why = format!(
                    "sequence number {seq} is beyond the window of {} after {}",
                    self.config.window, self.applied
                );
                self.refuse(id, ErrorCode::outOfSequence, why);
            } else {
                self.pending.insert(seq, (id.clone(), ops));
                self.out.push_back(wire::ack(id, generation, self.applied));
            }
            return;
        }
        if let Err(full) = self.repertory.apply(&ops) {
            self.refuse(id, ErrorCode::repertoryFull, full.to_string());
            return;
        }
        self.applied = seq;
        self.events.push_back(StandbyEvent::Applied {
            generation,
            sequence: seq,
            ops,
        });
        // The gap is filled: the held updates that now follow apply too.
        while let Some((held_id, held_ops)) = self.pending.remove(&(self.applied + 1)) {
            if let Err(full) = self.repertory.apply(&held_ops) {
                self.refuse(&held_id, ErrorCode::repertoryFull, full.to_string());
                break;
            }
            self.applied += 1;
            self.events.push_back(StandbyEvent::Applied {
                generation,
                sequence: self.applied,
                ops: held_ops,
            });
        }
        // The acknowledgement answers the update received, with the highest contiguous number.
        self.out.push_back(wire::ack(id, generation, self.applied));
    }

    fn on_chunk(&mut self, id: &r::CorrelationId, c: r::SyncChunk) {
        let generation = c.generation.0;
        if self.stale(id, generation) {
            return;
        }
        let sync = match &mut self.sync {
            Some(s) if s.generation == generation => s,
            _ => self.sync.insert(SyncInProgress {
                generation,
                entries: Vec::new(),
            }),
        };
        if sync.entries.len() + c.entries.0.len() > self.config.limits.max_entries {
            let why = format!(
                "sync of more than {} records: refused, the stored repertory is kept",
                self.config.limits.max_entries
            );
            self.sync = None;
            self.refuse(id, ErrorCode::repertoryFull, why);
            return;
        }
        sync.entries.extend(
            c.entries
                .0
                .iter()
                .map(|e| (Key::from_wire(&e.record_key), e.value.0.to_vec())),
        );
    }

    fn on_done(&mut self, id: &r::CorrelationId, d: &r::SyncDone) {
        let generation = d.generation.0;
        if self.stale(id, generation) {
            return;
        }
        let entries = match self.sync.take() {
            Some(s) if s.generation == generation => s.entries,
            _ => Vec::new(),
        };
        let expected = d.entry_count.0 as usize;
        if entries.len() != expected {
            let why = format!(
                "syncDone counts {expected} records, {} received: the stored repertory is kept",
                entries.len()
            );
            self.refuse(id, ErrorCode::malformedRequest, why);
            return;
        }
        match Repertory::from_entries(self.config.limits, entries) {
            Ok(rep) => {
                self.repertory = rep;
                self.synced = Some(generation);
                self.applied = d.sequence_number.0;
                self.pending.clear();
                self.events.push_back(StandbyEvent::Synced {
                    generation,
                    sequence: self.applied,
                });
                self.out.push_back(wire::ack(id, generation, self.applied));
            }
            Err(full) => self.refuse(id, ErrorCode::repertoryFull, full.to_string()),
        }
    }

    fn on_audit(&mut self, id: &r::CorrelationId, a: &r::Audit) {
        if self.stale(id, a.generation.0) {
            return;
        }
        let digest = self.repertory.digest();
        let count = u32::try_from(self.repertory.len()).unwrap_or(u32::MAX);
        let consistent = self.synced == Some(a.generation.0)
            && a.sequence_number.0 == self.applied
            && a.entry_count.0 == count
            && *a.digest.0 == digest;
        let result = if consistent {
            r::AuditResult::consistent
        } else {
            r::AuditResult::inconsistent
        };
        self.out.push_back(wire::message(
            id,
            M::auditResponse(r::AuditResponse::new(
                result,
                r::SequenceNumber(self.applied),
                r::EntryCount(count),
                r::Digest(digest.into()),
            )),
        ));
    }
}
