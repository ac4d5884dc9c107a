//! The tokio driver of `baton node`: a thin layer around the pure [`baton_engine::Node`]
//! (quinn's driver around quinn-proto is the model). It moves bytes and reads the clock; the
//! node decides everything else (what to send, which link to close, when to dial, when to
//! exit, what a reload changes, which hooks to run).
//!
//! - [`run`] / [`run_with`] (`run`): set-up and the select loop of the one task that owns the
//!   node: an inbox of `input`s, one sleep for the node's deadline, read before judging
//!   after a stall;
//! - `state`: what the task does with each input and with each of the node's outputs;
//! - `secure`: TLS on the TCP links (handshakes in the accepting and dialling tasks, the
//!   configuration a reload replaces, refused handshakes' rate-limited log lines);
//! - `listen`: the listeners; `links` and `link`: the open links (each a reader task, the
//!   driver writing itself, a flush task only while a socket is full); `connect`: connect
//!   attempts the node asks for; `control`: the local control socket; `signals`: SIGTERM,
//!   SIGINT, SIGHUP as [`Request`]s; `reload`: SIGHUP's configuration diff; `hooks`: the
//!   script components' hook processes; `fence`: the fence command (PROTOCOL 5.10);
//!   `grant`: quorum mode's grant file in `state_dir` (PROTOCOL 5.9); `etcd`: etcd mode's
//!   client tasks (PROTOCOL 5.12, [`crate::etcd`]); `render`: the log
//!   lines; `notify`: systemd's notifications (`Type=notify`); the metrics
//!   ([`crate::metrics`]) are fed from the node's outputs here.
//!
//! Its TCP goes through a [`Net`]: [`run`] uses the operating system's ([`TokioNet`]) and
//! signals; [`run_with`] takes any network (a simulated one in `node/tests/turmoil.rs`), a
//! channel of [`Request`]s in place of signals, and reports the node's role on a watch.
//!
//! The clock is read only here, through `tokio::time` only (so simulated time works): the
//! node's `now` is the time since the driver started it, as a [`baton_core::Instant`].

mod connect;
mod control;
mod etcd;
mod fence;
mod grant;
pub(crate) mod hooks;
mod input;
mod link;
mod links;
mod listen;
mod net;
mod notify;
mod reload;
mod remote;
mod render;
mod run;
pub(crate) mod secure;
mod signals;
mod state;

pub use net::{Io, Listener, Net, TokioNet};
pub use run::{run, run_with, DriverError};
pub use signals::Request;
