//! baton's sans-IO monitor state machines (PROTOCOL 4, 6.4): health queries and heartbeats
//! over `HealthMonitorMessage` (PROTOCOL 2.6), with the fault severities of PROTOCOL 6.4.
//!
//! - [`HealthMonitor`]: the node side for its components. Components register with a
//!   `heartBeat`; the node sends `healthQuery` every query interval; a component is failed on
//!   `status failed` or on silence for its dead interval, and each failure carries the
//!   component's configured [`Severity`].
//! - [`PeerLiveness`]: node-to-node heartbeats on peer links, including the hello (the first
//!   frame of each side) and peer failure detection (PROTOCOL 4).
//! - [`ComponentHealth`]: the component side, embedded by applications: answers queries with
//!   the application's status and pushes heartbeats.
//!
//! All three are sans-IO: `handle_*(now, ..)` in; `poll_transmit`, `poll_event`,
//! `poll_timeout` out; `handle_timeout(now)` when the deadline passes. Peer misbehaviour is an
//! event, never a panic or an `Err`.
#![forbid(unsafe_code)]

pub mod component;
mod error;
pub mod health_monitor;
mod ignored;
mod message;
mod notice;
pub mod peer;
mod severity;

pub use baton_asn1::monitor::{ComponentStatus, HealthMonitorMessage};
pub use component::{ComponentHealth, ComponentHealthConfig, Event as ComponentHealthEvent};

pub use error::MonitorError;
pub use health_monitor::{
    ComponentHealthState, ComponentPolicy, Event as MonitorEvent, FailureReason, HealthMonitor,
    MonitorConfig,
};
pub use ignored::IgnoredReason;
pub use message::{health_query, health_query_response, heart_beat, Transmit};
pub use notice::{LinkNotice, NodeTimer};
pub use peer::{Event as PeerEvent, HelloRefusal, LinkOrigin, PeerConfig, PeerLiveness};

pub use severity::Severity;
