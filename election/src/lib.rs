//! baton's sans-IO Election state machine (PROTOCOL 5: pair mode; 5.9: quorum mode).
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
//! - responder table (PROTOCOL 5.5) with \[F1\] \[F8\] \[F9\] \[F10\]: [`responder::respond`], applied
//!   by `Election::handle_nomination` (`responder.rs`);
//! - nomination validity and stale answers \[F7\]: [`responder::NominationKind::valid_in`],
//!   `Election::void_stale_nomination` (called on every role change) and
//!   `Election::handle_answer` (`nominator.rs`);
//! - adopting answers, and \[F2\] healed by generation (a veto naming the peer while
//!   Promoting/Active: the older round demotes, on equal rounds the lower priority; PROTOCOL
//!   5.11): `Election::adopt` (`nominator.rs`);
//! - `correlationId`s `"<round> <seq>"` (PROTOCOL 2.3): [`WireId`] (`wire_id.rs`), built by
//!   `Election::nominate` and `Election::handle_nomination`, parsed by the latter and by
//!   `Election::handle_answer`;
//! - rounds (PROTOCOL 5.11: a promotion takes `max(round, seen) + 1`, agreeing counts the
//!   peer's promotion as seen, an agreement renews a serving round): `round.rs`;
//! - fencing of promotions without the active's agreement (PROTOCOL 5.10): `fence.rs`;
//! - \[F3\] handover request on promotion failure and on each link-up while
//!   `PromotionFailed`: `Election::promotion_failed`, [`Election::handle_link_up`];
//! - \[F5\] promote when a demotion completes with the peer down: `Election::demotion_done`
//!   (`transitions.rs`).
//!
//! # Rules this crate added to the first draft (PROTOCOL 5 now states each)
//! - A `PromotionFailed` responder that answers `assigment{P, self}` stands by (through
//!   `Demoting`), as `Negotiating` does in the same column (PROTOCOL 5.5).
//! - \[F11\] A node whose peer link comes up while it is `Demoting` sends a handover request
//!   once its demotion completes (peer still up). Without it, both nodes `Demoting` across a
//!   link flap end `Standby` with nothing to send (found by `tests/explore.rs`; PROTOCOL 5.3,
//!   5.6).
//! - A `Negotiating` node whose peer link goes down is alone again: `startup_wait` restarts
//!   (PROTOCOL 5.6).
//! - A link going down voids the nomination sent on it and a deferred (preempt) answer
//!   (PROTOCOL 5.4, 5.6).
//! - An answer to a handover request naming the requester active, or an `assigment`/`veto`
//!   not pairing the two members, is [`Event::PeerMisbehaved`] and is treated like an
//!   `electionError` (back off, retry; PROTOCOL 5.6).
//! - A fatal component failure ([`Election::handle_fatal`]) makes every later promotion fail
//!   at once (no `SetComponents(active)`) until [`Election::handle_fatal_cleared`]; while
//!   `Promoting` it fails the promotion under way (PROTOCOL 5.6).
//! - With `preempt`, the yielding node sends no `veto`: it answers `assigment{P, self}` once
//!   its demotion completes (PROTOCOL 5.5).
//!
//! Quorum mode (PROTOCOL 5.9, [`Mode::Quorum`]) lives in `quorum/`: the public methods above
//! dispatch to it by mode; its rules \[Q1\]-\[Q9\] are listed in `quorum/mod.rs`.
//!
//! Etcd mode (PROTOCOL 5.12, [`Mode::Etcd`]) lives in `etcd/`: leases and a leader key in
//! etcd, as [`EtcdCommand`]s out and [`EtcdInput`]s in.
#![forbid(unsafe_code)]

mod config;
mod election;
pub mod etcd;
mod event;
mod fence;
mod ids;
pub mod message;
mod nominator;
mod peer;
mod quorum;
pub mod responder;
mod role;
mod round;
mod timer;
mod transitions;
mod view;
pub mod wire_id;

pub use config::{
    Alone, Config, ConfigError, Member, Mode, DEFAULT_FENCE_RETRY, DEFAULT_RETRY_BACKOFF,
    DEFAULT_STARTUP_WAIT,
};
pub use election::{Election, UsageError};
pub use etcd::{EtcdCommand, EtcdConfigError, EtcdInput, EtcdTimers, LeaderKey, LeaseId};
pub use event::{Event, Generation, Misbehaviour, Transmit};
pub use peer::{PeerRole, PeerView};
pub use quorum::voter;
pub use quorum::{
    Grant, PersistedGrant, QuorumConfigError, QuorumTimers, TimersError, VoterLease,
    DEFAULT_ACTIVE_LEASE, DEFAULT_CLOCK_DRIFT_PPM, DEFAULT_DEMOTION_BOUND,
    DEFAULT_ELECTION_TIMEOUT, DEFAULT_RENEW, DEFAULT_STAGGER, DEFAULT_VOTER_LEASE, MAX_MEMBERS,
};
pub use role::{NodeRole, Role};
pub use round::Round;
pub use wire_id::{WireId, WireIdError};
