//! Where the node listens and how the component behaves.

pub use crate::engine::StandbyKind;
use baton_codec::{Encoding, DEFAULT_MAX_FRAME};
use std::fmt;
use std::net::SocketAddr;
#[cfg(unix)]
use std::path::PathBuf;
use std::time::Duration;

/// The smallest frame limit [`ComponentOptions::max_frame`] is raised to: every message a
/// component sends fits in a few hundred bytes, in every encoding rule.
pub const MIN_MAX_FRAME: usize = 1024;

/// Where the node's component listener is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// A Unix stream socket (the default deployment, PROTOCOL 1.4).
    #[cfg(unix)]
    Unix(PathBuf),
    /// A TCP address (loopback in practice).
    Tcp(SocketAddr),
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            #[cfg(unix)]
            Endpoint::Unix(path) => write!(f, "unix:{}", path.display()),
            Endpoint::Tcp(addr) => write!(f, "tcp:{addr}"),
        }
    }
}

/// How the component waits between connection attempts.
///
/// After a link that worked (the node sent at least one frame, and the link lasted at least
/// `initial`) closes, the component reconnects at once; every failed attempt after that, and
/// every link the node closes sooner, waits `initial`, then twice as long each time, up to
/// `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first wait. Default 100 ms.
    pub initial: Duration,
    /// The longest wait. Default 2 s.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(2),
        }
    }
}

impl Backoff {
    /// The wait after `current`: doubled, at most `max` (and never zero).
    pub(crate) fn next(&self, current: Duration) -> Duration {
        current
            .saturating_mul(2)
            .min(self.max)
            .max(Duration::from_millis(1))
    }

    /// The first wait, never zero (a zero wait would spin on a refused connection).
    pub(crate) fn first(&self) -> Duration {
        self.initial.min(self.max).max(Duration::from_millis(1))
    }
}

/// Configuration of a [`Component`](crate::Component).
///
/// ```
/// use baton_component::{ComponentOptions, Encoding};
/// use std::time::Duration;
///
/// let mut options = ComponentOptions::new("1001");
/// // At most the node's watchdog bound (PROTOCOL 6.3; 198 ms with the default timers).
/// options.dead_interval = Duration::from_millis(150);
/// assert_eq!(options.encoding, Encoding::Der);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentOptions {
    /// The component id (the ASN.1 `ComponentId`: 1 to 16 digits), as configured on the node.
    pub id: String,
    /// The link's encoding rule; it must be the node's. Default DER.
    pub encoding: Encoding,
    /// The watchdog (PROTOCOL 6.3): while active, a node link silent this long makes the
    /// component demote itself to standby. Default 190 ms (see
    /// [`baton_role::ComponentConfig::dead_interval`] for why).
    pub dead_interval: Duration,
    /// The watchdog's grace after the component's own stall
    /// ([`baton_core::StallRule`]): when the watchdog fires more than 2 ms (or a
    /// tenth of `dead_interval`) late, it is moved once to its deadline plus this much, if
    /// that is still ahead. Default zero (no grace). Keep `dead_interval + stall_grace` at
    /// most the peer dead interval minus one heartbeat interval minus a margin of 2 ms
    /// ([`baton_role::ComponentConfig::dead_interval`]).
    pub stall_grace: Duration,
    /// Interval between heartbeats pushed to the node (a status change is pushed at once).
    /// Default 1 s.
    pub heartbeat_interval: Duration,
    /// Waits between connection attempts.
    pub reconnect: Backoff,
    /// How long one connection attempt may take. Default 1 s.
    pub connect_timeout: Duration,
    /// The limit on a frame's length, both ways (raised to [`MIN_MAX_FRAME`]). Default 64 KiB,
    /// the node's default: a replicating component keeps it equal to the node's `max_frame`
    /// (an update over it is refused by the library, not sent).
    pub max_frame: usize,
    /// Replication through the node (PROTOCOL 6.11), `None` (the default) for a component
    /// that does not replicate. The node's `[[component]]` must say `replication = "sync"`
    /// or `"async"` too.
    pub replication: Option<ReplicationOptions>,
}

/// What an acknowledgement of `replicate` means: the node's `replication =` for this
/// component (PROTOCOL 6.11). The node's configuration decides; the library does not send it
/// and logs it at each registration, so that what the application expects is on record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplicationMode {
    /// `replication = "sync"`: `replicate` completes once the standby node stored the update
    /// (or no standby node is caught up, so none can be promoted without it): no
    /// acknowledged update is lost at failover.
    #[default]
    Sync,
    /// `replication = "async"`: `replicate` completes once the active node's mirror holds
    /// the update and it is queued to the standby node: a failover can lose the last
    /// acknowledged updates (a bounded, measured lag).
    Async,
}

/// How a component replicates ([`ComponentOptions::replication`]).
///
/// ```
/// use baton_component::{ComponentOptions, ReplicationMode, ReplicationOptions, StandbyKind};
///
/// let mut options = ComponentOptions::new("1001");
/// options.replication = Some(ReplicationOptions {
///     standby: StandbyKind::Hot,
///     mode: ReplicationMode::Sync,
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReplicationOptions {
    /// Hot standby (asks for the records at registration and `setRole{standby}`, then gets
    /// every update: [`Event::StandbySync`](crate::Event::StandbySync),
    /// [`Event::StandbyUpdate`](crate::Event::StandbyUpdate)) or cold (default: restores
    /// the records the node sends at promotion).
    pub standby: StandbyKind,
    /// What the node acknowledges (its configuration decides; see [`ReplicationMode`]).
    pub mode: ReplicationMode,
}

impl ComponentOptions {
    /// The defaults for component `id`.
    pub fn new(id: impl Into<String>) -> Self {
        ComponentOptions {
            id: id.into(),
            encoding: Encoding::Der,
            dead_interval: baton_role::ComponentConfig::default().dead_interval,
            stall_grace: Duration::ZERO,
            heartbeat_interval: baton_monitor::ComponentHealthConfig::default().heartbeat_interval,
            reconnect: Backoff::default(),
            connect_timeout: Duration::from_secs(1),
            max_frame: DEFAULT_MAX_FRAME,
            replication: None,
        }
    }
}
