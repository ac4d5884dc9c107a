//! The baton reference node.
//!
//! The engine ([`baton_engine::Node`], its own crate) decides; this crate moves bytes:
//! - [`driver`]: the tokio driver that runs the engine on real sockets, signals and hook
//!   processes;
//! - [`config`]: the configuration file;
//! - [`client`]: connecting to a node's TCP listener as a client (with TLS when given);
//! - [`tls`]: mutual TLS for the TCP links, and the certificates it uses;
//! - [`metrics`]: Prometheus metrics (`listen.metrics`), and on the same listener the
//!   [`dashboard`]; [`history`]: the role transitions for `baton status --history`;
//!   [`status_view`]: a status for people and as JSON; [`logging`]: text or JSON lines, repeats counted;
//! - [`realtime`]: `realtime = true` (locked memory, SCHED_FIFO; hooks started normal);
//! - the `baton` binary (`src/main.rs`): the command-line tool.
#![forbid(unsafe_code)]

pub mod client;
pub mod config;
pub mod dashboard;
pub mod driver;
pub mod etcd;
pub mod guard;
pub mod history;
pub mod logging;
pub mod loopback;
pub mod metrics;
pub mod realtime;
pub mod replication_view;
pub mod status_view;
pub mod tls;
pub mod vip;
pub mod watch;
