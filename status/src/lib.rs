//! baton's sans-IO service status (PROTOCOL 6.5 to 6.7).
//!
//! - The vocabulary: [`State`], the first word of every `Status` line (`negotiating`,
//!   `standby`, `promoting`, `active`, `degraded`, `demoting`, `failed`), and
//!   [`ServiceStatus`], the whole line (`active peer=b:standby components=3/3`), rendered
//!   with `Display` and parsed with `FromStr`.
//! - The service status state diagram as code: [`service_state`] maps the node's role
//!   ([`NodeRole`]) and its components' health ([`ComponentsHealth`]) to a [`State`].
//! - [`StatusServer`]: answers `getStatus` and pushes `statusIndication` to subscribers on
//!   every change.
//! - [`StatusClient`]: the CLI side: sends `getStatus`, matches the answer, surfaces
//!   indications.
//!
//! Both machines are sans-IO: `handle_*(now, ..)` in; `poll_transmit`, `poll_event`,
//! `poll_timeout` out. Peer misbehaviour is an event, never a panic or an `Err`.
#![forbid(unsafe_code)]

pub mod client;
mod diagram;
mod error;
mod message;
pub mod server;
mod service_status;
mod state;

pub use baton_asn1::status::ServiceStatusMessage;
pub use baton_core::NodeRole;
pub use client::{
    Event as ClientEvent, IgnoredReason as ClientIgnoredReason, StatusClient, StatusClientConfig,
};
pub use diagram::{service_state, service_status, ComponentsHealth};
pub use error::StatusError;
pub use message::{get_status, get_status_response, status_indication, Transmit};
pub use server::{Event as ServerEvent, IgnoredReason as ServerIgnoredReason, StatusServer};
pub use service_status::{PeerState, PeerStatus, ServiceStatus, StatusParseError};
pub use state::State;
