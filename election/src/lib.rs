//! baton's sans-IO Election state machine (DESIGN 3, pair mode).
//!
//! One [`Election`] per member decides which member of the pair is active. It is sans-IO in
//! the style of quinn-proto and openraft's engine: pure and deterministic, time is passed in
//! (`now: Instant`), it never reads a clock, opens a socket, spawns or draws random numbers.
//!
//! # Inputs
//! - [`Election::new`]: a node that has just started (`Negotiating`);
//! - [`Election::handle_link_up`] / [`Election::handle_link_down`]: a peer link with both
//!   hellos exchanged / peer failure detected;
//! - [`Election::handle_message`]: an `ElectionMessage` from a peer;
//! - [`Election::handle_components_done`] / [`Election::handle_promotion_failed`]: the role
//!   layer's verdict on the latest [`Event::SetComponents`], by [`Generation`];
//! - [`Election::switchover`] (operator), [`Election::handle_fatal`] (monitor);
//! - [`Election::handle_timeout`] when [`Election::poll_timeout`] is due.
//!
//! # Outputs
//! - [`Election::poll_transmit`]: [`Transmit`]s (link, member, message);
//! - [`Election::poll_event`]: [`Event`]s: role changes, commands to the role layer, peer
//!   misbehaviour (never a panic or an `Err`);
//! - [`Election::poll_timeout`].
//!
//! `Result` is only for local API misuse ([`UsageError`], [`ConfigError`]).
//!
//! # Where the rules live
//! - responder table (DESIGN 3.2, [F1] [F8] [F9] [F10]): [`responder::respond`];
//! - nomination validity and stale answers [F7]: `nominator.rs`;
//! - adopting answers and [F2]: `nominator.rs`;
//! - [F3] [F5] and the other transitions: `election.rs`.
//!
//! Only pair mode is implemented; members are a `Vec` and peers are per-member state so that
//! quorum mode (DESIGN 3.6) can be added as a second [`Mode`].
#![forbid(unsafe_code)]

mod config;
mod election;
mod event;
mod ids;
pub mod message;
mod nominator;
mod peer;
pub mod responder;
mod role;
mod timer;

pub use config::{
    Alone, Config, ConfigError, Member, Mode, DEFAULT_RETRY_BACKOFF, DEFAULT_STARTUP_WAIT,
};
pub use election::{Election, UsageError};
pub use event::{Event, Generation, Misbehaviour, Transmit};
pub use peer::{PeerRole, PeerView};
pub use role::{ComponentRole, NodeRole};
