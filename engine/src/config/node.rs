//! Configuration of the pure node.

use super::ScriptComponent;
use baton_election::{Alone, Config as ElectionConfig, Mode, PersistedGrant, QuorumTimers};
use baton_monitor::{ComponentPolicy, MonitorConfig, PeerConfig};
use baton_role::{ComponentOrder, RoleConfig};
use std::collections::BTreeMap;
use std::time::Duration;

/// One member of the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberConfig {
    /// The member's `Candidate` name (1 to 16 characters).
    pub name: String,
    /// The member's numeric id (`ComponentId`: digits, at most 16), carried by its hello.
    pub id: String,
}

/// Everything a [`crate::Node`] needs; identical on every member but for `me`.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// The members, highest priority first.
    pub members: Vec<MemberConfig>,
    /// This node's index in `members`.
    pub me: usize,
    /// A Promoting/Active node yields to a higher-priority member nominating itself.
    pub preempt: bool,
    /// What to do when alone after `startup_wait`.
    pub alone: Alone,
    /// How long a starting node waits for its peer (default: the dead interval).
    pub startup_wait: Duration,
    /// Node-to-node heartbeat interval (default 100 ms).
    pub heartbeat_interval: Duration,
    /// Silence after which a peer is dead (default 3 heartbeat intervals).
    pub dead_interval: Duration,
    /// Back-off before a nomination answered by `electionError` is sent again.
    pub retry_backoff: Duration,
    /// How long a component may take to answer `setRole` (default 1 s).
    pub role_timeout: Duration,
    /// Health query interval for components (default 100 ms).
    pub query_interval: Duration,
    /// Per-component severity and dead interval, by component id.
    pub components: BTreeMap<String, ComponentPolicy>,
    /// The script components (each also has its policy in `components`).
    pub scripts: Vec<ScriptComponent>,
    /// Checks from the client's side (`remote_check`, PROTOCOL 6.8): `None` without them.
    pub remote_check: Option<crate::RemoteCheckConfig>,
    /// Which components take their role after which (`after = […]`; PROTOCOL 6.1,
    /// *Components in order*). Every name in it must be a key of `components`.
    pub component_order: ComponentOrder,
    /// A component registering with an id `components` does not list is refused (PROTOCOL
    /// 6.9): the node sends it the notice `"0 2"` and closes its link
    /// ([`crate::CloseReason::UnknownComponentId`]). The reference node (`baton node`) sets
    /// it always. Default `false`: such a component registers with the default policy
    /// (what the machine tests use).
    pub refuse_unknown_components: bool,
    /// First correlation id; a driver may seed it so ids differ across restarts.
    pub first_correlation_id: u64,
    /// Every peer link must carry a certificate's identity (PROTOCOL 3.4): the driver sets it
    /// when `[tls]` is configured and authenticates every TCP link. A peer link opened
    /// without one is closed ([`crate::CloseReason::PeerWithoutCertificate`]). Default
    /// `false`: links are unauthenticated, unless the driver hands an identity in.
    pub authenticated: bool,
    /// The election algorithm: pair (PROTOCOL 5.1 to 5.8, exactly two members) or quorum
    /// (PROTOCOL 5.9, three or more voters).
    pub mode: Mode,
    /// The members that are witnesses, by index (PROTOCOL 5.9): they vote and never serve.
    /// A witness node runs no components.
    pub witnesses: Vec<usize>,
    /// A promotion without the active's agreement first fences the member it replaces
    /// ([`crate::Event::Fence`]; PROTOCOL 5.10). The driver sets it when `[fence]` is
    /// configured. Default `false`.
    pub fence: bool,
    /// After a failed fence command, how long until the next attempt (default 1 s).
    pub fence_retry: Duration,
    /// Quorum mode: the timers (PROTOCOL 5.9.6, 8).
    pub quorum: QuorumTimers,
    /// Quorum mode: the grant the driver read from `state_dir/grant` at start (PROTOCOL
    /// 5.9.3); `Unknown` (missing or corrupt) makes the node abstain for one voter lease.
    pub persisted: PersistedGrant,
    /// Etcd mode: the lease TTL and the etcd round-trip bound (PROTOCOL 5.12.4).
    pub etcd: baton_election::EtcdTimers,
    /// Replication through the node (PROTOCOL 6.11): the replicating components, the
    /// repertory's bounds, `promote_unsynced`. Default: none.
    pub replication: super::ReplicationConfig,
}

/// A configuration that cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeConfigError {
    /// The Election refused it.
    #[error("election: {0}")]
    Election(baton_election::ConfigError),
    /// A member id is not a NumericString of at most 16 digits.
    #[error("member {name:?}: id {id:?} must be 1 to 16 digits")]
    BadId {
        /// The member.
        name: String,
        /// Its id.
        id: String,
    },
    /// Two members share an id.
    #[error("two members have id {0:?}")]
    DuplicateId(String),
    /// The peer monitor refused it.
    #[error("monitor: {0}")]
    Monitor(baton_monitor::MonitorError),
    /// A script component's id is not 1 to 16 digits.
    #[error("script component: {0}")]
    ScriptId(baton_component::engine::InvalidComponentId),
    /// A component is after one that is not configured.
    #[error("component {component} is after {after}, which is not a configured component")]
    UnknownAfter {
        /// The component.
        component: String,
        /// The name it is after.
        after: String,
    },
}

impl NodeConfig {
    /// A pair with the defaults: `(name, id)` of both members, this node at `me`.
    pub fn pair(members: [(&str, &str); 2], me: usize) -> Self {
        let heartbeat = Duration::from_millis(100);
        NodeConfig {
            members: members
                .iter()
                .map(|(name, id)| MemberConfig {
                    name: (*name).to_owned(),
                    id: (*id).to_owned(),
                })
                .collect(),
            me,
            preempt: false,
            alone: Alone::Promote,
            startup_wait: 3 * heartbeat,
            heartbeat_interval: heartbeat,
            dead_interval: 3 * heartbeat,
            retry_backoff: heartbeat,
            role_timeout: Duration::from_secs(1),
            query_interval: heartbeat,
            components: BTreeMap::new(),
            scripts: Vec::new(),
            component_order: ComponentOrder::default(),
            remote_check: None,
            refuse_unknown_components: false,
            first_correlation_id: 1,
            authenticated: false,
            mode: Mode::Pair,
            witnesses: Vec::new(),
            fence: false,
            fence_retry: Duration::from_secs(1),
            quorum: QuorumTimers::default(),
            persisted: PersistedGrant::Unknown,
            etcd: baton_election::EtcdTimers::default(),
            replication: super::ReplicationConfig::default(),
        }
    }

    /// A quorum-mode cluster with the defaults (PROTOCOL 5.9): `(name, id)` of every member,
    /// highest priority first, this node at `me`, no witness, the default quorum timers, the
    /// persisted grant unknown. As [`NodeConfig::pair`] for everything else.
    pub fn quorum(members: &[(&str, &str)], me: usize) -> Self {
        let mut c = NodeConfig::pair([("a", "1"), ("b", "2")], me);
        c.members = members
            .iter()
            .map(|(name, id)| MemberConfig {
                name: (*name).to_owned(),
                id: (*id).to_owned(),
            })
            .collect();
        c.mode = Mode::Quorum;
        c
    }

    /// This node's member.
    pub fn me(&self) -> Option<&MemberConfig> {
        self.members.get(self.me)
    }

    /// How long this node, starting (or `Negotiating` again) without a peer link, waits
    /// before [`NodeConfig::alone`] applies: `startup_wait`; but in pair mode with fencing
    /// and `alone = promote` (where that promotion fences the peer, PROTOCOL 5.10)
    /// `(1 + rank) × (startup_wait + CONNECT_TIMEOUT)`, the rank being `me` (0 or 1):
    /// a dial to a live peer may hang for [`crate::CONNECT_TIMEOUT`] (its first SYN lost)
    /// before the next one reaches it, and two members that start together out of reach of
    /// each other fence in priority order, not each other at the same instant. Without the
    /// longer wait, members restarted at once after a fence killed each other in turn for as
    /// long as a partition lasted (`engine/tests/fence_restarts.rs`).
    pub fn alone_wait(&self) -> Duration {
        if self.mode != Mode::Pair || !self.fence || self.alone != Alone::Promote {
            return self.startup_wait;
        }
        let rank = u32::try_from(self.me).unwrap_or(u32::MAX);
        (self.startup_wait + crate::CONNECT_TIMEOUT).saturating_mul(rank.saturating_add(1))
    }

    pub(crate) fn election(&self) -> ElectionConfig {
        let mut c = ElectionConfig::pair(["a", "b"], self.me);
        c.members = self.members.iter().map(|m| m.name.clone()).collect();
        c.preempt = self.preempt;
        c.alone = self.alone;
        c.startup_wait = self.alone_wait();
        c.retry_backoff = self.retry_backoff;
        c.first_correlation_id = self.first_correlation_id;
        c.fence = self.fence;
        c.fence_retry = self.fence_retry;
        c.mode = self.mode;
        c.witnesses.clone_from(&self.witnesses);
        c.quorum = self.quorum;
        c.persisted = self.persisted;
        c.etcd = self.etcd;
        c
    }

    pub(crate) fn peer(&self) -> PeerConfig {
        let mut c = PeerConfig::new(
            self.me().map(|m| m.id.clone()).unwrap_or_default(),
            self.members.iter().map(|m| m.id.clone()).collect(),
        );
        c.heartbeat_interval = self.heartbeat_interval;
        c.dead_interval = Some(self.dead_interval);
        c
    }

    pub(crate) fn monitor(&self) -> MonitorConfig {
        MonitorConfig {
            query_interval: self.query_interval,
            components: self.components.clone(),
            default_policy: ComponentPolicy::default(),
            ..MonitorConfig::default()
        }
    }

    pub(crate) fn role(&self) -> RoleConfig {
        RoleConfig {
            role_timeout: self.role_timeout,
            order: self.component_order.clone(),
        }
    }

    /// Whether the election mode or the quorum timers differ (a reload refuses it).
    pub(crate) fn election_differs(&self, other: &NodeConfig) -> bool {
        self.mode != other.mode
            || self.fence_retry != other.fence_retry
            || self.quorum != other.quorum
            || self.etcd != other.etcd
    }

    /// Checks what the machines would refuse, with a message naming the member.
    pub fn validate(&self) -> Result<(), NodeConfigError> {
        self.election()
            .validate()
            .map_err(NodeConfigError::Election)?;
        for (i, m) in self.members.iter().enumerate() {
            let ok =
                !m.id.is_empty() && m.id.len() <= 16 && m.id.bytes().all(|b| b.is_ascii_digit());
            if !ok {
                return Err(NodeConfigError::BadId {
                    name: m.name.clone(),
                    id: m.id.clone(),
                });
            }
            if self.members[..i].iter().any(|o| o.id == m.id) {
                return Err(NodeConfigError::DuplicateId(m.id.clone()));
            }
        }
        for (component, after) in self.component_order.pairs() {
            for a in after {
                if !self.components.contains_key(a) {
                    return Err(NodeConfigError::UnknownAfter {
                        component: component.to_owned(),
                        after: a.to_owned(),
                    });
                }
            }
        }
        Ok(())
    }
}
