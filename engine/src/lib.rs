//! The engine of a baton node: the four state machines composed into one pure [`Node`].
//!
//! No I/O, no clock, no randomness (clippy's `disallowed_methods` enforces it): time is
//! passed in and every output is a typed value drained by the caller.
//!
//! A [`Node`] is what one member runs. The driver (tokio in `baton node`, a virtual network in
//! `conformance`'s simulation) opens and closes links, decodes frames and hands them in with
//! [`Node::handle_frame`], calls [`Node::handle_timeout`] when [`Node::poll_timeout`] is due,
//! and drains [`Node::poll_transmit`] (frames to send) and [`Node::poll_event`] (links to
//! close, role changes, components to restart, things to log).
//!
//! Routing (PROTOCOL 4 to 6), one module per machine whose events it handles (`on_peer`,
//! `on_election`, `on_monitor`, `on_role`), composed by `process`:
//! - a peer link's hello and heartbeats go to [`baton_monitor::PeerLiveness`]; once both hellos
//!   are exchanged the Election sees the link up; a dead or closed peer is a link down;
//! - Election outcomes become `setRole` to every component ([`baton_role::RoleManager`]); the
//!   role layer's verdict (all confirmed, or a failure while promoting) goes back to the
//!   Election by generation, so an abandoned promotion never counts;
//! - component registration and health ([`baton_monitor::HealthMonitor`]): a registered
//!   component receives the current role; a `fatal` failure hands over (`major` asks the
//!   driver to restart the component);
//! - the service status ([`baton_status::StatusServer`]) is recomputed after every input and
//!   pushed to every status client and peer when it changes.
//!
//! What a link may carry (`frame`, PROTOCOL 1.5: every party may read, only the owner sets
//! roles, only members elect): peer links carry Election, Monitor (hello, heartbeats,
//! queries) and Status; component links carry Role and Monitor (and `getStatus`); client
//! links carry Status (and `healthQuery`). Anything else closes the link with a
//! [`CloseReason`] (PROTOCOL 9).
//!
//! Transport security (`identity`, PROTOCOL 3.4): the driver authenticates TCP links with
//! mutual TLS and hands the verified [`Identity`] in with [`Node::handle_link_authenticated`]
//! (or [`Node::handle_dialed_authenticated`]); a peer's hello must name its certificate's
//! member, and [`Node::switchover_by`] refuses a read-only client.
//!
//! Clusters (`cluster`, PROTOCOL 5.9 to 5.11, 6.7): 2 to 9 members, priority by their order,
//! in pair or quorum mode ([`NodeConfig::mode`]), witnesses that vote and never serve
//! ([`NodeConfig::witnesses`]: no components, the status says `witness`). The Election's asks
//! become driver work: [`Event::PersistGrant`] (write `state_dir/grant`, then
//! [`Node::handle_grant_persisted`]; every transmit is held until then) and [`Event::Fence`]
//! (run the fence command, then [`Node::handle_fence_done`]). A cluster's status line names
//! every member (`members=`), its round, a fencing under way, and in `getStatus` answers the
//! time left on the lease.
//!
//! Outputs are typed: [`Event::CloseLink`] with a [`CloseReason`], [`Event::Notice`] with a
//! [`Notice`]; their `Display` is the operator's log line.
//!
//! Replication (`replicate`, PROTOCOL 6.11): peer links (after the hellos) and the component
//! links of replicating components ([`ReplicationConfig`]) carry interface 5. The active node
//! runs [`baton_replication::Active`] in the generation of its promotion, the others
//! [`baton_replication::Standby`]; a standby node that is not caught up is not promoted
//! (unless `promote_unsynced`); [`Node::replication_status`] says where each component stands.
//!
//! History (`history`): the node keeps its last [`HISTORY_LEN`] role changes, each with its
//! time and [`Cause`] (the step's telling notice, else its input) and, for a failover, the
//! time from the fault to the components confirmed ([`Node::history`]; `baton status
//! --history` shows it).

#![forbid(unsafe_code)]

mod close;
mod cluster;
mod config;
mod dial;
mod event;
mod frame;
mod history;
mod identity;
mod node;
mod notice;
mod on_election;
mod on_monitor;
mod on_peer;
mod on_remote;
mod on_role;
mod process;
mod remote_check;
mod replicate;
mod resume;
mod script;
mod service_status;
mod stop;
mod words;

pub use close::CloseReason;
pub use config::{
    Change, Config, ConfigDiff, EtcdSettings, FenceCommand, LogFormat, MemberConfig, NodeConfig,
    NodeConfigError, Refusal, RemoteCheckCommands, ReplicationConfig, ReplicationMode,
    ScriptComponent, TlsFiles, VipConfig,
};
pub use dial::CONNECT_TIMEOUT;
pub use event::{Event, LinkKind, Transmit};
pub use history::{Cause, History, Transition, HISTORY_LEN};
pub use identity::{Identity, Requester, SwitchoverRefused};
pub use node::Node;
pub use notice::Notice;
pub use remote_check::{RemoteCheck, RemoteCheckConfig, RemoteOutcome, RemoteRun, RemoteVerdict};
pub use replicate::{ReplicationNotice, ReplicationStatus};
pub use script::{Hook, HookEnv, HookJob, JobId, ScriptNotice, SCRIPT_LINKS};
