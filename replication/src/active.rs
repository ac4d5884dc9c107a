//! The active node's side (PROTOCOL 2.8): it keeps the component's replicated records (its
//! mirror of the repertory, the source of a batch sync), numbers the updates of its generation,
//! tracks the standby's acknowledgements, streams a batch sync on request, audits the standby
//! and repairs it with a full sync on a mismatch. Pure: calls and messages in, messages and
//! events out.

use crate::repertory::{Limits, Op, Repertory, RepertoryFull};
use crate::wire;
use baton_asn1::replication as r;
use r::{ErrorCode, ReplicationMessageMessage as M};
use std::collections::VecDeque;

/// How an active is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActiveConfig {
    /// The mirror's bounds.
    pub limits: Limits,
    /// Entries per `syncChunk` (1 to 64).
    pub chunk_entries: usize,
    /// Unacknowledged updates kept for a `syncRequest{fromSequenceNumber}`; past it the
    /// oldest is forgotten and such a request is answered with a full sync.
    pub log_updates: usize,
    /// `None`: a full sync is queued whole at once. `Some(n)`: at most `n` chunks at a time,
    /// the first at once and the next ones at each [`Active::step_sync`], each read from the
    /// mirror as it is then; the updates and audits made meanwhile wait behind the `syncDone`
    /// (they apply on top of the chunks: every operation stores or removes a whole value, so
    /// the standby ends where the mirror is). A large sync then leaves its caller time for
    /// everything else between steps.
    pub sync_step: Option<usize>,
    /// Most octets of keys and values in one `syncChunk` (an entry larger than that alone):
    /// [`crate::CHUNK_OCTETS`] by default; less for a frame smaller than the default.
    pub chunk_octets: usize,
}

impl Default for ActiveConfig {
    fn default() -> Self {
        ActiveConfig {
            limits: Limits::default(),
            chunk_entries: 64,
            log_updates: 1024,
            sync_step: None,
            chunk_octets: crate::CHUNK_OCTETS,
        }
    }
}

/// A full sync being queued in steps: the last key queued, the sequence number it is
/// consistent with, the entries queued so far.
#[derive(Debug, Clone)]
struct Outgoing {
    after: Option<crate::repertory::Key>,
    sequence: u64,
    count: u64,
}

/// What the active tells its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActiveEvent {
    /// The standby stored every update up to this sequence number (`sync` mode completes
    /// them now).
    Acknowledged(u64),
    /// An audit answered `consistent`.
    AuditConsistent,
    /// An audit answered `inconsistent`: a full sync (the repair) has been queued.
    AuditMismatch {
        /// The standby's sequence number.
        sequence_number: u64,
        /// The standby's record count.
        entry_count: u32,
    },
    /// The standby refused a message.
    Refused {
        /// Its code.
        code: ErrorCode,
        /// Its description.
        description: String,
    },
}

/// Why [`Active::submit`] refused an update.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// An update carries 1 to 64 operations.
    #[error("an update carries 1 to 64 operations, not {0}")]
    Operations(usize),
    /// A key does not fit the wire types (application id or data type not digits).
    #[error("a record key does not fit PROTOCOL 2.8's types")]
    Key,
    /// The mirror is full; nothing was applied or sent.
    #[error(transparent)]
    Full(#[from] RepertoryFull),
}

/// The active node's replication state for one generation.
#[derive(Debug, Clone)]
pub struct Active {
    config: ActiveConfig,
    generation: u64,
    mirror: Repertory,
    /// Last sequence number assigned.
    sequence: u64,
    /// Highest sequence number the standby acknowledged.
    acknowledged: u64,
    /// Unacknowledged updates, by sequence number (consecutive, oldest first).
    log: VecDeque<(u64, r::Operations)>,
    /// An `updateAck` of this generation came since the standby was (re)connected: it was
    /// synced in this generation ([`Active::standby_synced`]).
    standby_synced: bool,
    /// The full sync under way, sent in steps ([`ActiveConfig::sync_step`]).
    syncing: Option<Outgoing>,
    /// The sequence number of the last `syncDone` sent, until the standby acknowledges it
    /// ([`Active::sync_under_way`]).
    sync_unacked: Option<u64>,
    /// What waits behind the sync under way's `syncDone`.
    held: VecDeque<r::ReplicationMessage>,
    next_id: u64,
    out: VecDeque<r::ReplicationMessage>,
    events: VecDeque<ActiveEvent>,
}

impl Active {
    /// The active of promotion `generation`, its mirror holding `mirror` (restored from the
    /// repertory on promotion, or empty).
    pub fn new(config: ActiveConfig, generation: u64, mirror: Repertory) -> Active {
        Active {
            config,
            generation,
            mirror,
            sequence: 0,
            acknowledged: 0,
            log: VecDeque::new(),
            standby_synced: false,
            syncing: None,
            sync_unacked: None,
            held: VecDeque::new(),
            next_id: 1,
            out: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The mirror.
    pub fn mirror(&self) -> &Repertory {
        &self.mirror
    }

    /// Last sequence number assigned.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// The generation of this active term.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Highest sequence number the standby acknowledged.
    pub fn acknowledged(&self) -> u64 {
        self.acknowledged
    }

    /// Whether the standby acknowledged anything of this generation since it was last
    /// (re)connected: a standby acknowledges only once synced in the generation (PROTOCOL
    /// 2.8), so it then holds every update up to [`Active::acknowledged`].
    pub fn standby_synced(&self) -> bool {
        self.standby_synced
    }

    /// The standby went away (its link closed): it is not synced any more; the messages
    /// queued for it are dropped (a standby that comes back asks for a full sync).
    pub fn standby_lost(&mut self) {
        self.standby_synced = false;
        self.out.clear();
        self.syncing = None;
        self.sync_unacked = None;
        self.held.clear();
    }

    /// Whether a full sync is under way: [`Active::step_sync`] has more to queue.
    pub fn is_syncing(&self) -> bool {
        self.syncing.is_some()
    }

    /// Queues a message to the standby: behind the sync under way, if any.
    fn queue(&mut self, m: r::ReplicationMessage) {
        if self.syncing.is_some() {
            self.held.push_back(m);
        } else {
            self.out.push_back(m);
        }
    }

    /// The next message to send to the standby, in order.
    pub fn poll_transmit(&mut self) -> Option<r::ReplicationMessage> {
        self.out.pop_front()
    }

    /// The next event for the caller.
    pub fn poll_event(&mut self) -> Option<ActiveEvent> {
        self.events.pop_front()
    }

    fn id(&mut self) -> r::CorrelationId {
        let id = wire::correlation(self.next_id);
        self.next_id += 1;
        id
    }

    /// A component's change: applied to the mirror, numbered and queued as an `update`.
    ///
    /// # Errors
    /// [`SubmitError`]; nothing is applied or sent then.
    pub fn submit(&mut self, ops: &[Op]) -> Result<u64, SubmitError> {
        if ops.is_empty() || ops.len() > 64 {
            return Err(SubmitError::Operations(ops.len()));
        }
        let wire_ops: Vec<r::Operation> = ops
            .iter()
            .map(Op::to_wire)
            .collect::<Option<_>>()
            .ok_or(SubmitError::Key)?;
        self.mirror.apply(ops)?;
        self.sequence += 1;
        let operations = r::Operations(wire_ops);
        if self.log.len() == self.config.log_updates {
            self.log.pop_front();
        }
        self.log.push_back((self.sequence, operations.clone()));
        let id = self.id();
        let update = self.update(id, self.sequence, operations);
        self.queue(update);
        Ok(self.sequence)
    }

    fn update(&self, id: r::CorrelationId, seq: u64, ops: r::Operations) -> r::ReplicationMessage {
        r::ReplicationMessage::new(
            id,
            M::update(r::Update::new(
                r::Generation(self.generation),
                r::SequenceNumber(seq),
                ops,
            )),
        )
    }

    /// Whether a full sync is being sent, or was sent and the standby has not acknowledged
    /// its `syncDone` yet: the standby will hold every update up to now once it has.
    pub fn sync_under_way(&self) -> bool {
        self.syncing.is_some() || self.sync_unacked.is_some()
    }

    /// Queues an `audit` of the mirror as of the last sequence number.
    pub fn audit(&mut self) {
        let id = self.id();
        let count = u32::try_from(self.mirror.len()).unwrap_or(u32::MAX);
        self.queue(wire::message(
            &id,
            M::audit(r::Audit::new(
                r::Generation(self.generation),
                r::SequenceNumber(self.sequence),
                r::EntryCount(count),
                r::Digest(self.mirror.digest().into()),
            )),
        ));
    }

    /// Starts a full batch sync: the mirror in chunks (at most `chunk_entries` entries and
    /// `chunk_octets` octets each), then `syncDone` consistent with the last sequence
    /// number; queued whole, or its first step ([`ActiveConfig::sync_step`]). A sync under
    /// way starts again.
    pub fn full_sync(&mut self) {
        // Everything so far is in the sync: the log restarts after it, and what waited
        // behind an earlier sync is in this one.
        self.log.clear();
        let held = std::mem::take(&mut self.held);
        // Audits (not updates) that waited are kept, behind this sync.
        self.held = held
            .into_iter()
            .filter(|m| matches!(m.message, M::audit(_)))
            .collect();
        self.syncing = Some(Outgoing {
            after: None,
            sequence: self.sequence,
            count: 0,
        });
        self.step_sync();
    }

    /// Queues the next chunks of the sync under way (all of them without
    /// [`ActiveConfig::sync_step`]), and at its end the `syncDone` and what waited behind it.
    /// Returns whether more remain.
    pub fn step_sync(&mut self) -> bool {
        let Some(mut sync) = self.syncing.take() else {
            return false;
        };
        let most = self.config.sync_step.unwrap_or(usize::MAX).max(1);
        let per = self.config.chunk_entries.clamp(1, 64);
        for _ in 0..most {
            let (entries, last) = crate::sync::next_chunk(
                self.mirror.after(sync.after.as_ref()),
                per,
                self.config.chunk_octets,
            );
            let Some(last) = last else {
                let id = self.id();
                self.out.push_back(wire::message(
                    &id,
                    M::syncDone(r::SyncDone::new(
                        r::Generation(self.generation),
                        r::SequenceNumber(sync.sequence),
                        r::EntryCount(u32::try_from(sync.count).unwrap_or(u32::MAX)),
                    )),
                ));
                self.out.extend(std::mem::take(&mut self.held));
                self.sync_unacked = Some(sync.sequence);
                return false;
            };
            sync.after = Some(last);
            if entries.is_empty() {
                continue;
            }
            sync.count += entries.len() as u64;
            let id = self.id();
            self.out.push_back(wire::message(
                &id,
                M::syncChunk(r::SyncChunk::new(
                    r::Generation(self.generation),
                    r::Entries(entries),
                )),
            ));
        }
        self.syncing = Some(sync);
        true
    }

    /// A message from the standby.
    pub fn handle(&mut self, m: r::ReplicationMessage) {
        let id = m.correlation_id;
        match m.message {
            M::updateAck(a) => {
                let highest = a.highest_contiguous.0;
                if a.generation.0 == self.generation {
                    self.standby_synced = true;
                    if self.sync_unacked.is_some_and(|s| highest >= s) {
                        self.sync_unacked = None;
                    }
                }
                if a.generation.0 == self.generation && highest > self.acknowledged {
                    self.acknowledged = highest.min(self.sequence);
                    while self
                        .log
                        .front()
                        .is_some_and(|(seq, _)| *seq <= self.acknowledged)
                    {
                        self.log.pop_front();
                    }
                    self.events
                        .push_back(ActiveEvent::Acknowledged(self.acknowledged));
                }
            }
            M::syncRequest(s) => match s.start {
                r::SyncStart::fromSequenceNumber(n)
                    if self.log.front().is_some_and(|(first, _)| *first <= n.0)
                        && n.0 <= self.sequence =>
                {
                    let resend: Vec<(u64, r::Operations)> = self
                        .log
                        .iter()
                        .filter(|(s, _)| *s >= n.0)
                        .cloned()
                        .collect();
                    for (seq, ops) in resend {
                        let id = self.id();
                        let update = self.update(id, seq, ops);
                        self.queue(update);
                    }
                }
                _ => self.full_sync(),
            },
            M::auditResponse(a) => {
                if a.result == r::AuditResult::consistent {
                    self.events.push_back(ActiveEvent::AuditConsistent);
                } else {
                    self.events.push_back(ActiveEvent::AuditMismatch {
                        sequence_number: a.sequence_number.0,
                        entry_count: a.entry_count.0,
                    });
                    self.full_sync();
                }
            }
            M::replicationError(e) => {
                // A `syncRequired` answers an update sent before the standby got the sync
                // under way (or sent and not acknowledged yet): that sync holds the update
                // already. One per update in flight must not start a sync each (the node's
                // write queue filled with whole repertories: replication-campaign, kill 275).
                let repair = e.code == ErrorCode::syncRequired && !self.sync_under_way();
                if e.code != ErrorCode::syncRequired {
                    // A sync refused (e.g. `repertoryFull`) is not under way any more.
                    self.sync_unacked = None;
                }
                self.events.push_back(ActiveEvent::Refused {
                    code: e.code,
                    description: e.description,
                });
                if repair {
                    self.full_sync();
                }
            }
            M::update(_) | M::syncChunk(_) | M::syncDone(_) | M::audit(_) => {
                self.out.push_back(wire::error(
                    &id,
                    ErrorCode::malformedRequest,
                    "an active takes updateAck, syncRequest, auditResponse and replicationError only"
                        .to_owned(),
                ));
            }
        }
    }
}
