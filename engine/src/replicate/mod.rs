//! Replication through the node (PROTOCOL 6.11): the node's side of interface 5.
//!
//! - `peer`: the active node runs [`Active`] in the generation of its promotion (its round,
//!   PROTOCOL 5.11) toward the standby node on its *replica link*; every other node runs
//!   [`Standby`], joins with `syncRequest{full}` after link-up and after a demotion, and
//!   answers the active on the link its messages came on. On promotion the standby's
//!   repertory becomes the new active's mirror; on demotion the mirror seeds the standby.
//! - `component`: the component links of replicating components: updates of the active
//!   component (checked, numbered per link, mapped to the node's sequence numbers and
//!   acknowledged by mode), `syncRequest{full}` answered with the application's records, the
//!   hot standby stream, the sync before `setRole{active}`.
//! - `eligible`: a standby node that is not caught up is not promoted (the Election's
//!   fatal input), unless `promote_unsynced`.
//! - `status`: where each replicating component stands ([`ReplicationStatus`]).

mod answer;
mod audit;
mod component;
mod eligible;
mod inspect;
mod notice;
mod outgoing;
mod peer;
mod status;

pub use notice::ReplicationNotice;
pub use status::ReplicationStatus;

use baton_asn1::replication as r;
use baton_core::{Instant, LinkId};
use baton_replication::{Active, ActiveConfig, Limits, Repertory, Standby, StandbyConfig};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Most updates whose submission time the active node keeps for `lag_ms`.
const LAG_SAMPLES: usize = 100_000;

/// Chunks of a full sync to the standby node queued per step (PROTOCOL 6.11): 2,048 records
/// at most; a large sync goes out over many steps, each a timer due at once, with every
/// other input and timer of the node between them.
pub(crate) const SYNC_STEP: usize = 32;

/// The node's replication state.
#[derive(Debug, Clone)]
pub(crate) struct Replication {
    /// Which side this node runs.
    pub(crate) side: Side,
    /// The component links that sent or received interface 5, by link.
    pub(crate) links: BTreeMap<LinkId, ComponentLink>,
    /// The Election's fatal input is held by replication (not caught up, PROTOCOL 6.11).
    pub(crate) holding: bool,
    /// The Election's fatal input is held by a fatal component failure the monitor reported
    /// (`ComponentFailed{fatal}`), until a recovery leaves no component counting as a fatal
    /// failure. Apart from [`Replication::holding`]: an unregistered `fatal` component counts
    /// as not ok, yet never set the flag, so it must not keep replication's hold.
    pub(crate) component_fatal: bool,
    /// The next step of a sync under way (the active's full sync, a component's) is due: at
    /// the end of the input that left it under way, that is at once.
    pub(crate) sync_due: Option<Instant>,
    /// The repertory's bounds.
    limits: Limits,
    /// Most octets of keys and values in one `syncChunk`: what an update may carry
    /// (`max_update_octets`, from the frame size), at most [`baton_replication::CHUNK_OCTETS`].
    pub(crate) chunk_octets: usize,
    /// Next correlation id of a message the node starts on a component link.
    next_id: u64,
}

/// The active node's or a standby node's state.
// One per node, replaced only at a role change: boxing the larger side buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub(crate) enum Side {
    /// Not active: holds the repertory.
    Standby(StandbySide),
    /// Active (from `SetComponents{active}`): keeps the mirror.
    Active(ActiveSide),
}

/// A node that is not active.
#[derive(Debug, Clone)]
pub(crate) struct StandbySide {
    /// The repertory.
    pub(crate) standby: Standby,
    /// A message of an active term came (update, chunk, syncDone, audit): there is an
    /// active to be caught up with.
    pub(crate) heard: bool,
    /// The peer links whose peer has not answered this node's join yet (`syncDone`): it is
    /// behind until they did, or closed (PROTOCOL 6.11, *Joins between standby nodes*).
    pub(crate) asked: BTreeSet<LinkId>,
}

/// The active node.
#[derive(Debug, Clone)]
pub(crate) struct ActiveSide {
    /// The mirror and the numbering of this generation.
    pub(crate) active: Active,
    /// The peer link of the standby node it replicates to (the first up peer link to a
    /// member that is not a witness), if any.
    pub(crate) link: Option<LinkId>,
    /// `sync` updates waiting for the standby node's acknowledgement, in order.
    pub(crate) waiters: VecDeque<Waiter>,
    /// Submission times of updates not acknowledged yet (`lag_ms`), by sequence number.
    pub(crate) unacked: VecDeque<(u64, Instant)>,
}

/// A component's `sync` update that waits for the standby node.
#[derive(Debug, Clone)]
pub(crate) struct Waiter {
    /// The node's sequence number (0: of an earlier generation; any acknowledgement of the
    /// current one releases it).
    pub(crate) node_sequence: u64,
    /// The component link.
    pub(crate) link: LinkId,
    /// The update's correlation id (echoed).
    pub(crate) correlation: r::CorrelationId,
    /// The update's generation.
    pub(crate) generation: u64,
    /// The update's sequence number, in the component's numbering.
    pub(crate) sequence: u64,
}

/// A replicating component's link.
#[derive(Debug, Clone)]
pub(crate) struct ComponentLink {
    /// The component id (its application id).
    pub(crate) id: String,
    /// The last update sequence number accepted from it.
    pub(crate) last: u64,
    /// The last sequence number of the stream sent to it (syncDone, forwarded updates).
    pub(crate) stream: u64,
    /// It was sent a sync while this node was not active, and every update since (hot
    /// standby): no sync before its `setRole{active}`.
    pub(crate) hot: bool,
    /// The sync being sent to it in steps, if any.
    pub(crate) outgoing: Option<outgoing::Outgoing>,
    /// What waits behind that sync's `syncDone`, in order: stream updates, `setRole`.
    pub(crate) held: Vec<baton_codec::AnyMessage>,
    /// Another sync asked for while one was under way: sent after it (the correlation id to
    /// echo, if any).
    pub(crate) again: Option<Option<baton_asn1::replication::CorrelationId>>,
}

impl ComponentLink {
    pub(crate) fn new(id: String) -> Self {
        ComponentLink {
            id,
            last: 0,
            stream: 0,
            hot: false,
            outgoing: None,
            held: Vec::new(),
            again: None,
        }
    }
}

impl Replication {
    /// A node that has just started: a standby side, nothing heard.
    pub(crate) fn new(limits: Limits, max_update_octets: usize, first_id: u64) -> Self {
        Replication {
            side: Side::Standby(StandbySide {
                standby: Standby::new(standby_config(limits)),
                heard: false,
                asked: BTreeSet::new(),
            }),
            links: BTreeMap::new(),
            holding: false,
            component_fatal: false,
            sync_due: None,
            limits,
            chunk_octets: max_update_octets.clamp(1, baton_replication::CHUNK_OCTETS),
            next_id: first_id.max(1),
        }
    }

    /// A fresh correlation id for a message the node starts on a component link.
    pub(crate) fn next_id(&mut self) -> r::CorrelationId {
        let id = baton_replication::wire::correlation(self.next_id);
        self.next_id = self.next_id.wrapping_add(1).max(1);
        id
    }

    /// The repertory this node holds now: the mirror (active) or the repertory (standby).
    pub(crate) fn repertory(&self) -> &Repertory {
        match &self.side {
            Side::Active(a) => a.active.mirror(),
            Side::Standby(s) => s.standby.repertory(),
        }
    }

    /// The generation of the records this node holds: the active's own, or the newest the
    /// standby has seen.
    pub(crate) fn generation(&self) -> u64 {
        match &self.side {
            Side::Active(a) => a.active.generation(),
            Side::Standby(s) => s.standby.newest_generation(),
        }
    }

    pub(crate) fn active_config(&self) -> ActiveConfig {
        ActiveConfig {
            limits: self.limits,
            sync_step: Some(SYNC_STEP),
            chunk_octets: self.chunk_octets,
            ..ActiveConfig::default()
        }
    }

    pub(crate) fn standby_config(&self) -> StandbyConfig {
        standby_config(self.limits)
    }
}

fn standby_config(limits: Limits) -> StandbyConfig {
    StandbyConfig {
        limits,
        ..StandbyConfig::default()
    }
}

impl ActiveSide {
    /// Records when update `sequence` was submitted (`lag_ms`), while a standby is there.
    pub(crate) fn submitted(&mut self, sequence: u64, now: Instant) {
        if self.link.is_some() && self.unacked.len() < LAG_SAMPLES {
            self.unacked.push_back((sequence, now));
        }
    }
}
