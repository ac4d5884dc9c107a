//! Configuration: the pure node's ([`NodeConfig`]) and the whole running node's ([`Config`]:
//! what a configuration file says), and what a reload may change ([`Config::diff`]).

mod diff;
mod node;
mod replication;
mod vip;

pub use diff::{Change, ConfigDiff, Refusal};
pub use node::{MemberConfig, NodeConfig, NodeConfigError};
pub use replication::{ReplicationConfig, ReplicationMode};
pub use vip::VipConfig;

use baton_codec::Encoding;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A script component: commands the node runs for a component that has no process of its
/// own (PROTOCOL 6: it takes roles and reports health as any component does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptComponent {
    /// Component id.
    pub id: String,
    /// `check`: exit 0 means healthy.
    pub check: Option<String>,
    /// `activate`.
    pub activate: Option<String>,
    /// `deactivate`.
    pub deactivate: Option<String>,
    /// `start` (cold standby: run before `activate`).
    pub start: Option<String>,
    /// `stop` (cold standby: run after `deactivate`).
    pub stop: Option<String>,
    /// Longest a hook may run.
    pub timeout: Duration,
    /// How often `check` runs.
    pub check_interval: Duration,
}

/// The commands of checks from the client's side (PROTOCOL 6.8; OPERATIONS, "Checks from the
/// client's side"): the driver runs them with `sh -c` for each [`crate::Event::RemoteCheck`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteCheckCommands {
    /// `remote_check`: exit 0 means the active's service answered.
    pub command: String,
    /// `uplink_check`: exit 0 means this member's own uplink works; run first.
    pub uplink: Option<String>,
    /// Longest either may run (the hook timeout); past it, killed and failed.
    pub timeout: Duration,
}

/// Where a member's TLS files are (PEM): the cluster CA, its certificate, its key. Paths
/// only: the driver reads and checks them; the engine sees verified identities only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The cluster CA certificate.
    pub ca: PathBuf,
    /// This party's certificate (the leaf first).
    pub cert: PathBuf,
    /// This party's private key.
    pub key: PathBuf,
}

/// `[fence]`: the command a member runs against the member it replaces before a promotion
/// without that member's agreement (PROTOCOL 5.10). The driver runs it with `sh -c`, the
/// member's name, id and peer address in `BATON_FENCE_MEMBER`, `BATON_FENCE_ID` and
/// `BATON_FENCE_ADDRESS`; it succeeded if it exits 0 within `timeout` (else it is killed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FenceCommand {
    /// The command (`sh -c`).
    pub command: String,
    /// Longest it may run.
    pub timeout: Duration,
}

/// Everything a running node needs: the pure node's configuration and what its driver
/// listens on and frames with. Plain data, as a configuration file gives it.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from.
    pub path: PathBuf,
    /// The pure node's configuration.
    pub node: NodeConfig,
    /// Every member's peer address, in member order.
    pub addresses: Vec<SocketAddr>,
    /// Encoding rule on every link (PROTOCOL 3.3).
    pub encoding: Encoding,
    /// Largest frame accepted or sent (PROTOCOL 3.1).
    pub max_frame: usize,
    /// Log filter (`RUST_LOG` wins).
    pub log: String,
    /// Unix socket for components (mode 0600).
    pub component_socket: Option<PathBuf>,
    /// Optional loopback TCP listener for components.
    pub component_tcp: Option<SocketAddr>,
    /// Status listener.
    pub status: Option<SocketAddr>,
    /// Unix socket for local control (`baton switchover`), mode 0600.
    pub control_socket: Option<PathBuf>,
    /// TCP listener for remote control (TLS with an admin client certificate only).
    pub control_tcp: Option<SocketAddr>,
    /// Mutual TLS on every TCP link; `None`: links are unauthenticated.
    pub tls: Option<TlsFiles>,
    /// Where quorum mode persists its grant (`state_dir/grant`, PROTOCOL 5.9); required in
    /// quorum mode, unused in pair mode.
    pub state_dir: Option<PathBuf>,
    /// The fence command, if fencing is configured (then `node.fence` is set).
    pub fence: Option<FenceCommand>,
    /// The Prometheus listener (`listen.metrics`: `GET /metrics`), if any.
    pub metrics: Option<SocketAddr>,
    /// How log lines are written (`log_format`).
    pub log_format: LogFormat,
    /// The remote check's commands, if configured (then `node.remote_check` is set).
    pub remote_check: Option<RemoteCheckCommands>,
    /// `realtime = true`: the real-time priority (SCHED_FIFO, 1 to 99; `realtime_priority`)
    /// the node runs its loop at, with its memory locked; `None`: normal scheduling.
    pub realtime: Option<u8>,
    /// The built-in virtual IP components (`[[vip]]`, PROTOCOL 6.10), each also one of
    /// `node.scripts` (same id): the driver carries them out itself instead of `sh -c`.
    pub vips: Vec<VipConfig>,
    /// Etcd mode (PROTOCOL 5.12): where etcd answers and the prefix of this cluster's keys;
    /// `None` in the other modes.
    pub etcd: Option<EtcdSettings>,
}

/// `[etcd]`: how an etcd-mode node reaches etcd (PROTOCOL 5.12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcdSettings {
    /// Client URLs (`http://host:port` or `https://host:port`), tried in order.
    pub endpoints: Vec<String>,
    /// The prefix of this cluster's keys; the leader key is `<prefix>/leader`.
    pub prefix: String,
}

/// How the node writes its log lines (`log_format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Text, one line an event (`text`, the default).
    #[default]
    Text,
    /// One JSON object a line (`json`).
    Json,
}
