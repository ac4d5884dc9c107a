//! The baton component library (issue #4 item 2): what an application links to so that its
//! baton node can set its role and query its health (DESIGN.md sections 4 and 5).
#![forbid(unsafe_code)]

pub mod blocking;
mod component;
mod driver;
mod options;
mod request;
mod types;

pub use baton_codec::Encoding;
pub use component::{Component, Error, Events};
pub use options::{Backoff, ComponentOptions, Endpoint, MIN_MAX_FRAME};
pub use request::{AnswerError, RoleRequest};
pub use types::{DisconnectReason, Event, Health, Role, State, WatchdogReason};
