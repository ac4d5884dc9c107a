//! One member of the simulated cluster: its node (absent while crashed), the host's clock,
//! what waits for a stalled node, the grant file, its components and its status client.

use super::clock::HostClock;
use super::host::{GrantFile, Held};
use baton_component::engine::ComponentEngine;
use baton_component::Role;
use baton_core::{Instant, LinkId};
use baton_election::NodeRole;
use baton_engine::Node;
use baton_status::StatusClient;
use std::collections::VecDeque;

/// One component process: the component engine the library ships (its Role and
/// HealthMonitor machines composed), with the application's decisions scripted.
#[derive(Debug, Clone)]
pub struct Component {
    /// Its component id.
    pub id: String,
    /// The engine (its role is the application's role).
    pub engine: ComponentEngine,
    /// Its link to the node, while connected (the engine's, which the network carries).
    pub link: Option<LinkId>,
    /// Until then, `setRole active` is refused (or left unanswered if `stall`).
    pub refuse_until: Instant,
    /// Refusal mode: no answer at all (the node's role timeout fires) instead of `failure`.
    pub stall: bool,
    /// A reconnect is scheduled.
    pub reconnecting: bool,
}

impl Component {
    /// Whether the application is active now.
    pub fn is_active(&self) -> bool {
        self.engine.role() == Some(Role::Active)
    }

    /// The role the application holds (the wire value), `None` before its first assignment.
    pub fn role(&self) -> Option<baton_role::Role> {
        self.engine.role().map(Into::into)
    }
}

/// The status client of one member.
#[derive(Debug, Clone)]
pub struct Client {
    /// The client machine.
    pub status: StatusClient,
    /// Its link, while connected.
    pub link: Option<LinkId>,
    /// A reconnect is scheduled.
    pub reconnecting: bool,
}

/// One member: its node (absent while crashed), components and status client.
#[derive(Debug, Clone)]
pub struct Member {
    /// The node, `None` while crashed.
    pub node: Option<Node>,
    /// The host's clock (read by the node, its components and its client).
    pub clock: HostClock,
    /// The node process is stopped (SIGSTOP): it takes no input and fires no timer until
    /// it resumes; what arrives for it waits in `held`.
    pub stalled: bool,
    /// Inputs for a stalled node, in order of arrival.
    pub(crate) held: VecDeque<Held>,
    /// The node is reading what waited during its stall (its components may have stood
    /// down meanwhile, on their watchdog: check 2's application side does not apply).
    pub(crate) resuming: bool,
    /// Quorum mode: `state_dir/grant` and the writes in progress.
    pub grant: GrantFile,
    /// Number of starts so far (1 after the first).
    pub incarnation: u32,
    /// When it last crashed, while down.
    pub crashed_at: Option<Instant>,
    /// Its components.
    pub components: Vec<Component>,
    /// Its status client.
    pub client: Client,
}

impl Member {
    /// The node's role, `None` while crashed.
    pub fn role(&self) -> Option<NodeRole> {
        self.node.as_ref().map(Node::role)
    }
}
