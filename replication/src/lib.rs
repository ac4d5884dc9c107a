//! The replication repertory of PROTOCOL 2.8 (seeds 001 and 002) as pure, sans-IO state
//! machines: no sockets, no clocks, no tasks. The caller hands in calls and decoded
//! `ReplicationMessage`s and drains the messages to send (`poll_transmit`) and the events
//! (`poll_event`); every output is a typed value.
//!
//! - [`Repertory`]: the records by (application id, data type, key), in memory, bounded by
//!   [`Limits`]; past a bound a [`RepertoryFull`] error and no change, never a silent drop;
//!   the audit digest of PROTOCOL 2.8.
//! - [`Standby`]: the standby node, which holds the repertory: batch sync as a whole,
//!   updates applied in sequence order, acknowledgements of the highest contiguous sequence
//!   number, older generations refused, audits answered.
//! - [`Active`]: the active node: the component's changes numbered and sent, its mirror the
//!   source of a batch sync, audits, and the repair of a mismatch by a full sync.
//!
//! The node carries it on its peer and component links (PROTOCOL 6.11, `baton-engine`); see
//! `README.md` for the design.
#![forbid(unsafe_code)]

mod active;
mod repertory;
mod standby;
mod sync;
pub mod wire;

pub use active::{Active, ActiveConfig, ActiveEvent, SubmitError};
pub use repertory::{Key, Limits, Op, Repertory, RepertoryFull};
pub use standby::{Standby, StandbyConfig, StandbyEvent};
pub use sync::{next_chunk, sync_messages, CHUNK_OCTETS};
