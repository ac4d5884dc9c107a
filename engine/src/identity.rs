//! Who is on a link (PROTOCOL 3.4): the [`Identity`] a verified certificate speaks for, the
//! binding of a peer's hello to its certificate, and who may request a switchover
//! ([`Requester`], [`SwitchoverRefused`]).
//!
//! The engine never sees a certificate: the driver runs the TLS handshake, checks the chain
//! against the cluster CA, reads the identity from the certificate's SAN URIs and hands it in
//! with [`Node::handle_link_authenticated`] or [`Node::handle_dialed_authenticated`]. A link
//! opened with [`Node::handle_link_opened`] or [`Node::handle_dialed`] carries none.

use crate::close::CloseReason;
use crate::event::LinkKind;
use crate::node::Node;
use baton_core::{Instant, LinkId};
use baton_election::UsageError;
use baton_monitor::LinkOrigin;
use std::fmt;

/// Who a verified certificate speaks for (PROTOCOL 3.4): read by the driver from its SAN
/// URIs, `baton:member:NAME` first, else `baton:client:NAME` (with `baton:admin`: an admin).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Identity {
    /// A member of the cluster, by its member name (`baton:member:NAME`).
    Member(String),
    /// A status client (`baton:client:NAME`); `admin` (`baton:admin`) may request a
    /// switchover, a read-only client may not.
    Client {
        /// The client's name.
        name: String,
        /// Whether the certificate also carries `baton:admin`.
        admin: bool,
    },
}

impl fmt::Display for Identity {
    /// `member alpha`, `client ops (admin)` or `client ops (read-only)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identity::Member(name) => write!(f, "member {name}"),
            Identity::Client { name, admin: true } => write!(f, "client {name} (admin)"),
            Identity::Client { name, admin: false } => write!(f, "client {name} (read-only)"),
        }
    }
}

/// Who asks for a switchover ([`Node::switchover_by`], PROTOCOL 3.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requester {
    /// The local control socket: its file permissions (0600) are its authentication.
    Local,
    /// A remote party, by the identity of its verified certificate.
    Remote(Identity),
}

impl Requester {
    /// Whether this requester may request a switchover: the local control socket, a member's
    /// certificate (its holder may already speak for a member in the election) and an admin
    /// client's; not a read-only client's.
    pub fn may_switch_over(&self) -> bool {
        !matches!(
            self,
            Requester::Remote(Identity::Client { admin: false, .. })
        )
    }
}

impl fmt::Display for Requester {
    /// `the control socket`, or the remote party's identity.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Requester::Local => f.write_str("the control socket"),
            Requester::Remote(identity) => identity.fmt(f),
        }
    }
}

/// Why [`Node::switchover_by`] started no switchover. Its `Display` is what the driver sends
/// back after `error: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SwitchoverRefused {
    /// A read-only client certificate asked (PROTOCOL 3.4): nothing changed.
    #[error("read-only certificate: switchover needs an admin certificate")]
    ReadOnly {
        /// The client's name.
        client: String,
    },
    /// The node cannot switch over now (not Active, or its peer is down).
    #[error(transparent)]
    Usage(#[from] UsageError),
}

impl Node {
    /// A link opened whose far end the driver authenticated (mutual TLS, PROTOCOL 3.4): as
    /// [`Node::handle_link_opened`], the link carrying `identity`. A peer link whose
    /// certificate is not a configured peer's is closed at once
    /// ([`CloseReason::NotAPeerCertificate`]); its hello must name the certificate's member
    /// ([`CloseReason::IdentityMismatch`]).
    pub fn handle_link_authenticated(
        &mut self,
        now: Instant,
        link: LinkId,
        kind: LinkKind,
        identity: Identity,
    ) {
        if !self.links.contains_key(&link) {
            self.identities.insert(link, identity);
        }
        self.handle_link_opened(now, link, kind);
    }

    /// The connect attempt to member `member` that [`crate::Event::Dial`] asked for succeeded
    /// and the driver authenticated the peer as `identity`: as [`Node::handle_dialed`], the
    /// link carrying `identity` (see [`Node::handle_link_authenticated`]).
    pub fn handle_dialed_authenticated(
        &mut self,
        now: Instant,
        member: usize,
        link: LinkId,
        identity: Identity,
    ) {
        self.dialer.handle_dialed(member, link);
        let kind = LinkKind::Peer(LinkOrigin::Dialled);
        self.handle_link_authenticated(now, link, kind, identity);
    }

    /// The identity an open link carries, if the driver authenticated it.
    pub fn link_identity(&self, link: LinkId) -> Option<&Identity> {
        self.identities.get(&link)
    }

    /// A planned switchover (PROTOCOL 5.6) that `requester` asks for: refused, with nothing
    /// changed, for a read-only client certificate (PROTOCOL 3.4); otherwise as
    /// [`Node::switchover`].
    ///
    /// # Errors
    /// [`SwitchoverRefused::ReadOnly`] for a read-only client, [`SwitchoverRefused::Usage`]
    /// when this node is not Active or its peer is down.
    pub fn switchover_by(
        &mut self,
        now: Instant,
        requester: &Requester,
    ) -> Result<(), SwitchoverRefused> {
        match requester {
            Requester::Remote(Identity::Client { name, admin: false }) => {
                Err(SwitchoverRefused::ReadOnly {
                    client: name.clone(),
                })
            }
            _ => self.switchover(now).map_err(SwitchoverRefused::Usage),
        }
    }

    /// Why a peer link just opened is refused before anything is sent on it (PROTOCOL 3.4),
    /// if it is: its certificate is not a configured peer's, or it has none on a node that
    /// requires one ([`crate::NodeConfig::authenticated`]).
    pub(crate) fn refuse_peer_at_open(&self, link: LinkId) -> Option<CloseReason> {
        match self.identities.get(&link) {
            Some(Identity::Member(name)) if self.is_peer_name(name) => None,
            Some(certificate) => Some(CloseReason::NotAPeerCertificate {
                certificate: certificate.clone(),
            }),
            None if self.config.authenticated => Some(CloseReason::PeerWithoutCertificate),
            None => None,
        }
    }

    /// Why the peer's hello on `link`, naming member id `hello`, is refused (PROTOCOL 3.4),
    /// if it is: the link's certificate names another member than the hello. A link without
    /// an identity is not checked here (refused at open when one is required).
    pub(crate) fn refuse_hello(&self, link: LinkId, hello: &str) -> Option<CloseReason> {
        let Some(Identity::Member(certificate)) = self.identities.get(&link) else {
            return None;
        };
        let named = self.config.members.iter().find(|m| m.id == hello);
        #[cfg(feature = "plant")]
        let unbound = baton_asn1::plant::planted("hello-unbound") && named.is_some();
        #[cfg(not(feature = "plant"))]
        let unbound = false;
        if unbound || named.is_some_and(|m| m.name == *certificate) {
            return None;
        }
        Some(CloseReason::IdentityMismatch {
            hello: named.map_or_else(|| hello.to_owned(), |m| m.name.clone()),
            certificate: certificate.clone(),
        })
    }

    /// Whether the peer on `link` has had its hello accepted.
    pub(crate) fn hello_accepted(&self, link: LinkId) -> bool {
        self.peers.peers_up().any(|(_, l)| l == link)
    }

    /// Whether `name` is a configured member other than this node.
    fn is_peer_name(&self, name: &str) -> bool {
        self.config
            .members
            .iter()
            .enumerate()
            .any(|(i, m)| i != self.config.me && m.name == name)
    }
}
