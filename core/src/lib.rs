//! What baton's sans-IO state machines share.
//!
//! - [`Instant`]: a point on the caller's clock. The machines never read a clock; the driver
//!   (tokio in the node, a virtual clock in tests and the simulation) passes `now` in.
//! - [`NodeRole`]: a node's role in the election, read by the election, the status and the
//!   node.
//! - [`Timers`]: keyed timers, each armed at most once, with logarithmic operations.
//! - [`StallRule`] and the [`stall`] module: the stall rule of PROTOCOL 4 (read before
//!   judging, one grace after one's own stall), with the drivers' [`STALL_THRESHOLD`].
//! - [`CorrelationCounter`]: fresh `correlationId`s, a counter rendered as decimal digits.
#![forbid(unsafe_code)]

mod correlation;
mod instant;
mod link;
mod node_role;
pub mod stall;
mod timers;

pub use correlation::CorrelationCounter;
pub use instant::Instant;
pub use link::LinkId;
pub use node_role::NodeRole;
pub use stall::{default_stall_threshold, is_stall, woke_late, Graced, StallRule, STALL_THRESHOLD};
pub use timers::Timers;
