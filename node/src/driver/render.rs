//! Log lines: the node's typed events by their `Display` (a [`baton_engine::CloseReason`], a
//! [`baton_engine::Notice`], a role, a status), the driver's own link events with the remote
//! address of the link, peers by their member name. No `Debug` text.

use super::connect::DialError;
use super::links::Links;
use crate::tls::Identity;
use baton_core::{LinkId, NodeRole};
use baton_engine::{Event, LinkKind};
use std::net::SocketAddr;
use tracing::{debug, info, warn};

/// Logs one of the node's events (what the driver does about it is its own matter).
pub(crate) fn event(event: &Event, links: &Links, role: NodeRole) {
    match event {
        Event::CloseLink { link, reason } => {
            let remote = links.remote(*link).unwrap_or("none");
            info!(%link, %remote, "closing link: {reason}");
        }
        Event::RoleChanged { from, to } => info!(%from, %to, "role changed"),
        Event::StatusChanged(status) => info!(%status, "status changed"),
        Event::RestartComponent { id } => {
            warn!(component = %id, "component failed (major): restarting");
        }
        Event::Notice(notice) => info!("{notice}"),
        Event::Fence { name, .. } => {
            warn!(member = %name, "promoting without its agreement: fencing it first");
        }
        Event::Exit { handed_over: false } => {
            warn!(%role, "exiting without a completed handover");
        }
        // The hook runner logs the hooks; a connect attempt is logged when it ends; the
        // grant store logs its writes.
        Event::Exit { handed_over: true }
        | Event::RunHooks { .. }
        | Event::RemoteCheck { .. }
        | Event::Dial { .. }
        | Event::PersistGrant { .. } => {}
        Event::Etcd(command) => debug!(?command, "etcd"),
    }
}

/// A listener accepted a connection, now `link`; with TLS, from `identity`.
pub(crate) fn accepted(link: LinkId, kind: LinkKind, remote: &str, identity: Option<&Identity>) {
    match identity {
        Some(id) => debug!(%link, %kind, %remote, "accepted: {id}"),
        None => debug!(%link, %kind, %remote, "accepted"),
    }
}

/// A connect attempt to `peer` connected: `link`; with TLS, to `identity`.
pub(crate) fn dialled(link: LinkId, peer: &str, remote: SocketAddr, identity: Option<&Identity>) {
    match identity {
        Some(id) => debug!(%link, %peer, %remote, "dialled: {id}"),
        None => debug!(%link, %peer, %remote, "dialled"),
    }
}

/// The node starts without TLS: one warning naming its TCP listeners.
pub(crate) fn unauthenticated(listeners: &[String]) {
    warn!(
        "links are unauthenticated (no [tls] in the configuration): any process that reaches \
         {} speaks for a member, a component or a client",
        listeners.join(", ")
    );
}

/// A connect attempt to `peer` failed or timed out (a refused handshake is also logged,
/// rate-limited, by the attempt).
pub(crate) fn dial_failed(peer: &str, remote: SocketAddr, error: &DialError) {
    debug!(%peer, %remote, "dial failed: {error}");
}

/// The other side closed `link` (of `kind`, if the node knows it), or its I/O failed;
/// `misbehaved`: it broke the framing or stalled mid-frame. A status client's end is
/// routine: at debug (every `baton status` is one).
pub(crate) fn link_closed(
    link: LinkId,
    kind: Option<LinkKind>,
    remote: &str,
    reason: &str,
    misbehaved: bool,
) {
    if misbehaved {
        warn!(%link, %remote, "link closed: {reason}");
    } else if kind == Some(LinkKind::Client) {
        debug!(%link, %remote, "link closed: {reason}");
    } else {
        info!(%link, %remote, "link closed: {reason}");
    }
}

/// The driver closes `link`: it cannot be written, or does not read.
pub(crate) fn closing(link: LinkId, remote: &str, reason: &str) {
    warn!(%link, %remote, "closing link: {reason}");
}
