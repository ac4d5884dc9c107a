//! The component's side of replication through its node (PROTOCOL 6.11), sans-IO: updates
//! numbered per link and their answers, the hot standby's sync and stream, and the records
//! a promotion restores. [`ComponentEngine`](super::ComponentEngine) owns one when the
//! component replicates and feeds it the interface-5 frames and the role changes.

use crate::replica::{self, Ack, ErrorCode, Operation, Record, ReplicateError, Restoration};
use baton_asn1::replication as r;
use baton_codec::{AnyMessage, Encoding};
use r::ReplicationMessageMessage as M;
use std::collections::VecDeque;

/// How a replicating component stands by (PROTOCOL 6.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StandbyKind {
    /// The standby component holds nothing: on promotion the node sends it its records (a
    /// sync before `setRole{active}`), which it restores then.
    #[default]
    Cold,
    /// The standby component keeps a copy: it asks for a full sync (`syncRequest{full}`) at
    /// registration and at `setRole{standby}`, then the node streams it every update; on
    /// promotion the copy it holds is the state.
    Hot,
}

/// Configuration of a replicating [`ComponentEngine`](super::ComponentEngine).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicationConfig {
    /// Hot or cold standby.
    pub standby: StandbyKind,
    /// The link's encoding rule, to refuse an update whose frame would pass `max_frame`.
    pub encoding: Encoding,
    /// The limit on a frame's length (PROTOCOL 3.1), the node's: an update over it is refused
    /// ([`ReplicateError::Invalid`]) rather than sent.
    pub max_frame: usize,
}

/// Names one `replicate` call until its answer ([`ReplicationEvent`]); never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket(pub u64);

/// What replication reports, in order, among the engine's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplicationEvent {
    /// The node acknowledged the update of `ticket` (`updateAck` covering its sequence number).
    Acked {
        /// The update.
        ticket: Ticket,
        /// Its sequence number and the acknowledgement's generation.
        ack: Ack,
    },
    /// The update of `ticket` failed: refused by the node (`replicationError`), or the link
    /// closed before its answer ([`ReplicateError::LinkClosed`]).
    Failed {
        /// The update.
        ticket: Ticket,
        /// Why.
        error: ReplicateError,
    },
    /// Hot standby: the application's records (a full sync the component asked for):
    /// replace the application's copy with them. Updates follow as
    /// [`ReplicationEvent::StandbyUpdate`].
    StandbySync {
        /// Every record of the application.
        records: Vec<Record>,
    },
    /// Hot standby: an update the standby node applied, in order: apply it to the copy.
    StandbyUpdate {
        /// Its number in the stream (after the sync's `sequenceNumber`).
        sequence: u64,
        /// The operations, in order.
        operations: Vec<Operation>,
    },
    /// Hot standby: the stream skipped an update (`expected`, got `got`) or a sync was
    /// incomplete: the component asked for a new full sync, which replaces the copy.
    Resync {
        /// The sequence number expected (0 for an incomplete sync).
        expected: u64,
        /// The one received (the `entryCount` for an incomplete sync).
        got: u64,
    },
    /// A `replicationError` that answers no update of this link (e.g. a sync request).
    NodeError {
        /// The node's reason.
        code: ErrorCode,
        /// Its text.
        description: String,
    },
}

/// An update sent and not answered yet.
#[derive(Debug, Clone)]
struct InFlight {
    ticket: Ticket,
    sequence: u64,
    correlation: String,
}

/// The replication state of one component (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct Replication {
    config: ReplicationConfig,
    /// The round of the `setRole{active}` accepted last (0 when its id carried none).
    generation: u64,
    /// The next update's sequence number: 1 on each new link.
    next_sequence: u64,
    next_correlation: u64,
    next_ticket: u64,
    in_flight: VecDeque<InFlight>,
    /// The `correlationId` of this link's `syncRequest{full}` waiting for its answer (hot
    /// standby): a sync that echoes it is the standby stream's start; any other sync is the
    /// node's, before a promotion.
    sync_requested: Option<String>,
    /// Records of a sync being received (the node sends a sync's messages together; only
    /// its `syncDone` is matched against a request, as chunks may carry ids of their own).
    incoming: Vec<Record>,
    /// Hot standby: the next stream update's number, once a requested sync completed.
    stream: Option<u64>,
    /// A sync the component did not ask for: the records a promotion restores.
    restore: Option<Vec<Record>>,
    transmits: VecDeque<AnyMessage>,
    events: VecDeque<ReplicationEvent>,
}

impl Replication {
    pub(crate) fn new(config: ReplicationConfig) -> Self {
        Replication {
            config,
            generation: 0,
            next_sequence: 1,
            next_correlation: 1,
            next_ticket: 0,
            in_flight: VecDeque::new(),
            sync_requested: None,
            incoming: Vec::new(),
            stream: None,
            restore: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    pub(crate) fn config(&self) -> ReplicationConfig {
        self.config
    }

    /// A new link: numbering restarts at 1; a hot standby asks for its records.
    pub(crate) fn on_connected(&mut self, active: bool) {
        self.next_sequence = 1;
        self.next_correlation = 1;
        self.request_sync_if_hot(active);
    }

    /// The link closed: every update in flight fails ([`ReplicateError::LinkClosed`]), and
    /// what this link was receiving is dropped.
    pub(crate) fn on_closed(&mut self) {
        for f in self.in_flight.drain(..) {
            self.events.push_back(ReplicationEvent::Failed {
                ticket: f.ticket,
                error: ReplicateError::LinkClosed,
            });
        }
        self.sync_requested = None;
        self.incoming.clear();
        self.stream = None;
        self.restore = None;
        self.transmits.clear();
    }

    /// The component accepted `setRole{active}` of generation `generation`: it replicates
    /// from now on; the standby stream ends.
    pub(crate) fn on_active(&mut self, generation: u64) {
        self.generation = generation;
        self.sync_requested = None;
        self.stream = None;
        self.restore = None;
    }

    /// The component accepted `setRole{standby}`: a hot standby asks for its records unless
    /// it is being streamed to already on this link.
    pub(crate) fn on_standby(&mut self) {
        self.request_sync_if_hot(false);
    }

    fn request_sync_if_hot(&mut self, active: bool) {
        if self.config.standby != StandbyKind::Hot
            || active
            || self.sync_requested.is_some()
            || self.stream.is_some()
        {
            return;
        }
        let correlation = self.correlation();
        self.sync_requested = Some(correlation.clone());
        self.send(
            &correlation,
            M::syncRequest(r::SyncRequest::new(r::SyncStart::full(r::FullSync::new()))),
        );
    }

    /// Where a promotion's state comes from: the records the node sent since the last
    /// promotion or link, the hot stream, or none.
    pub(crate) fn take_restoration(&mut self) -> Restoration {
        match self.restore.take() {
            Some(records) => Restoration::Records(records),
            None if self.stream.is_some() => Restoration::Streamed,
            None => Restoration::Records(Vec::new()),
        }
    }

    /// Sends `operations` as the next update. `active`: the component holds `active`.
    pub(crate) fn replicate(
        &mut self,
        application: &str,
        active: bool,
        operations: &[Operation],
    ) -> Result<Ticket, ReplicateError> {
        if !active {
            return Err(ReplicateError::NotActive);
        }
        let ops = replica::operations_to_wire(application, operations)
            .map_err(ReplicateError::Invalid)?;
        let correlation = self.correlation();
        let update = r::Update::new(
            r::Generation(self.generation),
            r::SequenceNumber(self.next_sequence),
            ops,
        );
        let message = AnyMessage::Replication(message(&correlation, M::update(update)));
        let len = message
            .encode(self.config.encoding)
            .map_err(|e| ReplicateError::Invalid(e.to_string()))?
            .len();
        // The frame's length L counts the interface id byte (PROTOCOL 3.1).
        if len + 1 > self.config.max_frame {
            return Err(ReplicateError::Invalid(format!(
                "a frame of {} bytes: the limit is {}",
                len + 1,
                self.config.max_frame
            )));
        }
        let ticket = Ticket(self.next_ticket);
        self.next_ticket += 1;
        self.in_flight.push_back(InFlight {
            ticket,
            sequence: self.next_sequence,
            correlation,
        });
        self.next_sequence += 1;
        self.transmits.push_back(message);
        Ok(ticket)
    }

    /// A `ReplicationMessage` from the node. `active`: the component holds `active`.
    pub(crate) fn handle(&mut self, active: bool, m: r::ReplicationMessage) {
        let correlation = String::from_utf8_lossy(m.correlation_id.0.as_bytes()).into_owned();
        match m.message {
            M::updateAck(a) => self.on_ack(a.generation.0, a.highest_contiguous.0),
            M::replicationError(e) => self.on_error(&correlation, e),
            M::syncChunk(c) => self
                .incoming
                .extend(c.entries.0.iter().map(Record::from_wire)),
            M::syncDone(d) => self.on_sync_done(active, &correlation, d),
            M::update(u) => self.on_stream(active, u),
            // A component serves no sync and no audit.
            M::syncRequest(_) | M::audit(_) | M::auditResponse(_) => {}
        }
    }

    fn on_ack(&mut self, generation: u64, highest: u64) {
        while self
            .in_flight
            .front()
            .is_some_and(|f| f.sequence <= highest)
        {
            if let Some(f) = self.in_flight.pop_front() {
                self.events.push_back(ReplicationEvent::Acked {
                    ticket: f.ticket,
                    ack: Ack {
                        sequence: f.sequence,
                        generation,
                    },
                });
            }
        }
    }

    fn on_error(&mut self, correlation: &str, e: r::ReplicationError) {
        let code = ErrorCode::from(e.code);
        let description = e.description;
        match self
            .in_flight
            .iter()
            .position(|f| f.correlation == correlation)
        {
            Some(i) => {
                if let Some(f) = self.in_flight.remove(i) {
                    self.events.push_back(ReplicationEvent::Failed {
                        ticket: f.ticket,
                        error: ReplicateError::Refused { code, description },
                    });
                }
            }
            None => self
                .events
                .push_back(ReplicationEvent::NodeError { code, description }),
        }
    }

    /// A sync complete. While standing by: the answer to this link's request, or a full
    /// sync the node pushes while streaming (its repertory was replaced), is the hot
    /// standby's copy; any other sync is the records of a coming promotion. Ignored while
    /// active.
    fn on_sync_done(&mut self, active: bool, correlation: &str, d: r::SyncDone) {
        let records = std::mem::take(&mut self.incoming);
        if active {
            return;
        }
        let requested = self.sync_requested.as_deref() == Some(correlation);
        let streamed = requested || self.stream.is_some();
        let count = u64::from(d.entry_count.0);
        if records.len() as u64 != count {
            // A broken sync never leaves half a copy (PROTOCOL 2.8).
            self.restore = None;
            if streamed {
                self.events.push_back(ReplicationEvent::Resync {
                    expected: 0,
                    got: count,
                });
                self.sync_requested = None;
                self.stream = None;
                self.request_sync_if_hot(active);
            }
            return;
        }
        if streamed {
            // The hot copy is newer than any records kept for a promotion (a sync pushed
            // while this link's request was in flight): those are void (PROTOCOL 6.11).
            self.restore = None;
            self.sync_requested = None;
            self.stream = Some(d.sequence_number.0.saturating_add(1));
            self.events
                .push_back(ReplicationEvent::StandbySync { records });
        } else {
            self.restore = Some(records);
        }
    }

    fn on_stream(&mut self, active: bool, u: r::Update) {
        let Some(expected) = self.stream.filter(|_| !active) else {
            return;
        };
        let got = u.sequence_number.0;
        if got != expected {
            self.events
                .push_back(ReplicationEvent::Resync { expected, got });
            self.stream = None;
            self.request_sync_if_hot(active);
            return;
        }
        self.stream = Some(expected.saturating_add(1));
        self.restore = None;
        self.events.push_back(ReplicationEvent::StandbyUpdate {
            sequence: got,
            operations: u.operations.0.iter().map(Operation::from_wire).collect(),
        });
    }

    fn correlation(&mut self) -> String {
        let n = self.next_correlation % 10_000_000_000_000_000;
        self.next_correlation += 1;
        n.to_string()
    }

    fn send(&mut self, correlation: &str, m: M) {
        self.transmits
            .push_back(AnyMessage::Replication(message(correlation, m)));
    }

    pub(crate) fn poll_transmit(&mut self) -> Option<AnyMessage> {
        self.transmits.pop_front()
    }

    pub(crate) fn poll_event(&mut self) -> Option<ReplicationEvent> {
        self.events.pop_front()
    }
}

/// A message with this correlation id (digits only: always a valid `CorrelationId`).
fn message(correlation: &str, m: M) -> r::ReplicationMessage {
    r::ReplicationMessage::new(
        r::CorrelationId(correlation.as_bytes().try_into().unwrap_or_default()),
        m,
    )
}
