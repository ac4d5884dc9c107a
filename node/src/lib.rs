//! The baton reference node.
//!
//! - [`engine`]: the pure [`engine::Node`], composing the Election, Role, Monitor and Status
//!   state machines; sans-IO like each of them (time passed in, outputs drained).
//!
//! The `baton` binary (`src/main.rs`) is the command-line tool; the tokio driver that runs a
//! [`engine::Node`] on real sockets comes with issue #4.
#![forbid(unsafe_code)]

pub mod config;
pub mod driver;
pub mod engine;
pub mod logging;
pub mod loopback;
pub mod watch;
