//! What the driver hands to the node and drains from it.

use crate::close::CloseReason;
use crate::notice::Notice;
use baton_codec::AnyMessage;
use baton_core::LinkId;
use baton_core::NodeRole;
use baton_monitor::LinkOrigin;
use baton_status::ServiceStatus;
use std::fmt;

/// What a link is, told by the driver when it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// To another member; who dialled decides which of two simultaneous links stays.
    Peer(LinkOrigin),
    /// From a component of this host.
    Component,
    /// From a status client (operator, CLI, load balancer).
    Client,
}

impl fmt::Display for LinkKind {
    /// `peer`, `component` or `client` (the words of PROTOCOL 1.4).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LinkKind::Peer(_) => "peer",
            LinkKind::Component => "component",
            LinkKind::Client => "client",
        })
    }
}

/// A message to send on a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The link.
    pub link: LinkId,
    /// The message (framed by the driver in the link's encoding).
    pub message: AnyMessage,
}

/// Something the driver must do or may log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Close this link. The node already forgot it.
    CloseLink {
        /// The link.
        link: LinkId,
        /// Why (the log line is its `Display`).
        reason: CloseReason,
    },
    /// The node's role changed.
    RoleChanged {
        /// Before.
        from: NodeRole,
        /// After.
        to: NodeRole,
    },
    /// The service status changed (already pushed to clients and peers).
    StatusChanged(ServiceStatus),
    /// Dial member `member` (its index): connect to its address, giving up after
    /// [`crate::CONNECT_TIMEOUT`], then report with [`crate::Node::handle_dialed`] or
    /// [`crate::Node::handle_dial_failed`].
    Dial {
        /// The member's index in the configuration.
        member: usize,
    },
    /// A component of severity `major` failed and is to be restarted (PROTOCOL 6.4): a
    /// script component's restart follows as [`Event::RunHooks`] (`stop`, then `start`); a
    /// linked component's is up to whatever supervises its process.
    RestartComponent {
        /// Its id.
        id: String,
    },
    /// Worth a log line: misbehaviour that did not close a link, component failures, peers
    /// coming and going.
    Notice(Notice),
    /// A node told to [`crate::Node::stop`] is done: exit. Emitted once. `handed_over`:
    /// the node no longer claims the service (it handed over, or was Standby or Negotiating);
    /// `false` when it exits at the deadline, or with nobody to hand over to, still in a role
    /// that claims or holds the service.
    Exit {
        /// Whether the node is Standby or Negotiating, or handed over, as it exits.
        handed_over: bool,
    },
    /// Fence member `member` before this node promotes without its agreement (PROTOCOL
    /// 5.10): run the fence command with `BATON_FENCE_MEMBER` = `name`, `BATON_FENCE_ID` =
    /// `id` and `BATON_FENCE_ADDRESS` = its peer address, then report with
    /// [`crate::Node::handle_fence_done`] (`ok`: it exited 0 within its timeout). The node
    /// stays standby meanwhile and says `fencing=<name>` in its status.
    Fence {
        /// The member's index in the configuration.
        member: usize,
        /// Its name.
        name: String,
        /// Its id.
        id: String,
    },
    /// Quorum mode (PROTOCOL 5.9.3): write the grant "`round`, member `name`" to
    /// `state_dir/grant` (temp file, fsync, rename, fsync of the folder), then call
    /// [`crate::Node::handle_grant_persisted`] with `round` and `member`. Every transmit is
    /// held until then \[Q1\]; if the write fails, stop the node (never send a grant that
    /// is not on disk).
    PersistGrant {
        /// The round granted.
        round: baton_election::Round,
        /// The member granted, its index in the configuration.
        member: usize,
        /// Its name (what the file records).
        name: String,
    },
    /// Etcd mode (PROTOCOL 5.12): carry this command to etcd, then hand the answer (and
    /// every change the watch sees) back with [`crate::Node::handle_etcd`].
    Etcd(baton_election::EtcdCommand),
    /// Run the remote check against member `member` (PROTOCOL 6.8): its `uplink_check` first,
    /// if configured, then `remote_check` with the member's name, peer address and host in
    /// `BATON_ACTIVE_MEMBER`, `BATON_ACTIVE_ADDRESS` and `BATON_ACTIVE_HOST`; then report the
    /// outcome with [`crate::Node::handle_remote_check_done`].
    RemoteCheck {
        /// The run, named in the report.
        id: u64,
        /// The member checked, its index in the configuration.
        member: usize,
        /// Its name.
        name: String,
    },
    /// Run these hooks of a script component, after the jobs of that component already
    /// handed over and never at the same time as one; then report its end with
    /// [`crate::Node::handle_hooks_done`].
    RunHooks {
        /// The job, named in the report.
        id: crate::script::JobId,
        /// What to run.
        job: crate::script::HookJob,
    },
}
