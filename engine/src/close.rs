//! Why the node closes a link: [`CloseReason`] (PROTOCOL 9, "Closed, with a logged reason").

use crate::event::LinkKind;
use crate::identity::Identity;
use crate::words::Words;
use baton_codec::Interface;
use baton_core::LinkId;
use baton_monitor::{HelloRefusal, MonitorError};
use baton_role::RoleError;
use baton_status::StatusError;
use std::fmt;

/// Why the node closed a link ([`crate::Event::CloseLink`]). Its `Display` is the operator's
/// log line; peers are named by their member name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// A message of an interface this kind of link does not carry (PROTOCOL 1.5): Election
    /// or Role from a client, Election from a component, Role on a peer link.
    NotAllowed {
        /// The message's interface.
        interface: Interface,
        /// The link's kind.
        kind: LinkKind,
    },
    /// An Election message on a peer link before the peer's hello (PROTOCOL 4).
    ElectionBeforeHello,
    /// The peer's hello was refused (PROTOCOL 4): not a `heartBeat`, this node's own id, no
    /// configured member, or none within the dead interval. (The losing one of two links to
    /// the same peer is [`CloseReason::DuplicatePeerLink`] or
    /// [`CloseReason::PeerAlreadyUp`].)
    HelloRefused(HelloRefusal),
    /// The losing one of two links to the same peer that came up within a dead interval of
    /// each other (PROTOCOL 4, duplicate links: both members dialled at once): the link the
    /// higher-priority member dialled stays (of one origin, the newer).
    DuplicatePeerLink {
        /// The peer's member name.
        peer: String,
    },
    /// A hello naming a peer settled on another link waited, and the peer was heard there
    /// (or a newer hello for it came, or this link fell silent) (PROTOCOL 4, duplicate
    /// links): a live link is never displaced. A forged peer, or a stale attempt.
    PeerAlreadyUp {
        /// The peer's member name.
        peer: String,
    },
    /// A hello whose member id is not configured here (the configurations of the two
    /// members disagree).
    UnknownMemberId {
        /// The id the hello carried.
        id: String,
    },
    /// A peer's hello names another member than the link's certificate (PROTOCOL 3.4):
    /// alpha's certificate cannot speak as beta. Refused before the peer monitor or the
    /// Election sees it.
    IdentityMismatch {
        /// The member the hello names (its member name; its id if no member has it).
        hello: String,
        /// The member name in the certificate.
        certificate: String,
    },
    /// A peer link whose certificate is not a configured peer's (PROTOCOL 3.4): a client's,
    /// this node's own member's, or a member's not configured here. Closed as it opens.
    NotAPeerCertificate {
        /// Who the certificate speaks for.
        certificate: Identity,
    },
    /// A peer link without a certificate on a node that requires them (PROTOCOL 3.4,
    /// [`crate::NodeConfig::authenticated`]): a driver error. Closed as it opens.
    PeerWithoutCertificate,
    /// An up peer link silent for the dead interval (PROTOCOL 4).
    PeerSilent {
        /// The peer's member name.
        peer: String,
    },
    /// The peer monitor refused the new link (a driver error: the link was already open).
    PeerLinkRefused(MonitorError),
    /// The status server refused the new client link (a driver error: already connected).
    StatusClientRefused(StatusError),
    /// The old link of a component that registered again on a new one (PROTOCOL 6.4).
    ComponentRegisteredAgain {
        /// The component id.
        component: String,
        /// The link it registered on now.
        link: LinkId,
    },
    /// The role layer refused a component's registration (its link already carries one).
    ComponentRegistrationRefused {
        /// The component id.
        component: String,
        /// The role layer's error.
        error: RoleError,
    },
    /// A component that refused, or did not answer, the role of a settled node (PROTOCOL
    /// 6.1): its watchdog stands it by and its reconnection receives the role again.
    ComponentDidNotTakeRole {
        /// The component id.
        component: String,
    },
    /// A component registering with an id the configuration does not list (PROTOCOL 6.9,
    /// [`crate::NodeConfig::refuse_unknown_components`]): sent the notice `"0 2"`, then
    /// closed.
    UnknownComponentId {
        /// The id it registered with.
        component: String,
    },
    /// A component that left on purpose (its leave notice, PROTOCOL 6.9): not registered
    /// any more, not failed.
    ComponentLeft {
        /// The component id.
        component: String,
    },
    /// A Replication message on a peer link before the peer's hello (PROTOCOL 6.11).
    ReplicationBeforeHello,
    /// A Replication message on a component link before the component registered (PROTOCOL
    /// 6.11): the node cannot tell whose application it is.
    ReplicationBeforeRegistration,
    /// A Replication message a component never sends (PROTOCOL 6.11: a component sends
    /// `update`, `syncRequest` and `replicationError` only).
    ReplicationNotFromComponent {
        /// The component id.
        component: String,
        /// The message's alternative.
        message: &'static str,
    },
    /// A component link registering (any HealthMonitor frame) with the id of one of this
    /// node's script components: that id belongs to the node's own adapter, which a socket
    /// must not take away from it.
    ScriptComponentId {
        /// The component id.
        component: String,
    },
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::NotAllowed { interface, kind } => {
                write!(f, "{interface} message not allowed on a {kind} link")
            }
            CloseReason::ElectionBeforeHello => f.write_str("election message before the hello"),
            CloseReason::HelloRefused(r) => write!(f, "hello refused: {}", Words(r)),
            CloseReason::DuplicatePeerLink { peer } => {
                write!(f, "hello refused: another link to peer {peer} stays")
            }
            CloseReason::PeerAlreadyUp { peer } => {
                write!(
                    f,
                    "hello refused: peer {peer} is up and heard on another link"
                )
            }
            CloseReason::UnknownMemberId { id } => write!(
                f,
                "hello refused: the hello names id {id}, no configured member (member id \
                 mismatch: both configurations must list the same members with the same ids)"
            ),
            CloseReason::IdentityMismatch { hello, certificate } => write!(
                f,
                "hello refused: member {certificate}'s certificate cannot speak as {hello}"
            ),
            CloseReason::NotAPeerCertificate { certificate } => {
                write!(
                    f,
                    "peer link refused: the certificate of {certificate} is no peer's"
                )
            }
            CloseReason::PeerWithoutCertificate => {
                f.write_str("peer link refused: no certificate, and this node requires one")
            }
            CloseReason::PeerSilent { peer } => {
                write!(f, "peer {peer} silent for the dead interval")
            }
            CloseReason::PeerLinkRefused(e) => write!(f, "peer link refused: {e}"),
            CloseReason::StatusClientRefused(e) => write!(f, "status client refused: {e}"),
            CloseReason::ComponentRegisteredAgain { component, link } => {
                write!(f, "component {component} registered again on {link}")
            }
            CloseReason::ComponentRegistrationRefused { component, error } => {
                write!(f, "component {component}: {error}")
            }
            CloseReason::ComponentDidNotTakeRole { component } => {
                write!(f, "component {component} did not take the node's role")
            }
            CloseReason::UnknownComponentId { component } => write!(
                f,
                "component id {component} is not in this node's configuration: refused \
                 (add a [[component]] with this id, or fix the application's id)"
            ),
            CloseReason::ComponentLeft { component } => {
                write!(f, "component {component} left (planned, not a failure)")
            }
            CloseReason::ReplicationBeforeHello => {
                f.write_str("replication message before the hello")
            }
            CloseReason::ReplicationBeforeRegistration => {
                f.write_str("replication message before the component registered")
            }
            CloseReason::ReplicationNotFromComponent { component, message } => write!(
                f,
                "component {component} sent replication {message}, which only a node sends"
            ),
            CloseReason::ScriptComponentId { component } => write!(
                f,
                "component id {component} belongs to a script component of this node"
            ),
        }
    }
}

#[cfg(test)]
mod docs_tests {
    use super::CloseReason;

    /// docs/OPERATIONS.md "Logs" quotes these reasons as the node prints them (white space
    /// folded: the text wraps).
    #[test]
    fn operations_logs_quotes_the_reasons_as_printed() {
        let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let ops = fold(include_str!("../../docs/OPERATIONS.md"));
        let logs = ops.split("## Logs").nth(1).expect("the Logs section");
        let unknown = CloseReason::UnknownMemberId { id: "99".into() };
        let too_long = baton_codec::FrameError::TooLong {
            declared: 4_294_967_295,
            max: 65_536,
        };
        for printed in [
            format!("`link closed: {unknown}`"),
            format!("`link closed: bad frame: {too_long}`"),
        ] {
            assert!(logs.contains(&fold(&printed)), "OPERATIONS lacks {printed}");
        }
        assert!(
            !logs.contains("UnknownMember`"),
            "a type name, not the printed reason"
        );
    }
}
