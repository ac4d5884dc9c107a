//! What happened that the operator may want to know: [`Notice`].

use crate::words::Words;
use baton_codec::Interface;
use baton_core::LinkId;
use baton_election::{Misbehaviour, UsageError};
use baton_monitor::Severity;
use std::fmt;
use std::time::Duration;

/// Something worth a log line that needs no action from the driver: misbehaviour that did
/// not close a link (PROTOCOL 9, "Ignored, logged, link kept"), component failures, peers
/// coming and going, the steps of a stop. Its `Display` is the operator's log line. A peer
/// is always named by its member name; a component by its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// [`crate::Node::handle_link_opened`] for a link already open: ignored.
    LinkOpenedTwice {
        /// The link.
        link: LinkId,
    },
    /// A frame on a link the node does not know: dropped.
    FrameOnUnknownLink {
        /// The link.
        link: LinkId,
    },
    /// A message for a link the node closed (a peer link closed for misbehaviour stays up
    /// for the Election until the dead interval): not sent.
    NotSent {
        /// The link.
        link: LinkId,
        /// The message's interface.
        interface: Interface,
    },
    /// Both hellos exchanged: the peer is up on `link` (PROTOCOL 4).
    PeerUp {
        /// The peer's member name.
        peer: String,
        /// The link.
        link: LinkId,
    },
    /// The peer is down: silent for the dead interval, or its link closed (PROTOCOL 4).
    PeerDown {
        /// The peer's member name.
        peer: String,
        /// The link it was up on.
        link: LinkId,
    },
    /// The peer's link was closed because it broke the protocol: the peer is alive and will
    /// connect again, so it counts as down only if no new link is up `within`.
    PeerLinkClosedForMisbehaviour {
        /// The peer's member name.
        peer: String,
        /// The closed link.
        link: LinkId,
        /// The grace: the dead interval.
        within: Duration,
    },
    /// A valid hello for `peer` on `link` waits: the peer is settled on `up_on` (PROTOCOL 4,
    /// duplicate links). `link` is refused when the peer is next heard on `up_on` (a forged
    /// peer, a stale attempt), or takes its place if `up_on` dies first.
    PeerLinkWaits {
        /// The peer's member name.
        peer: String,
        /// The waiting link.
        link: LinkId,
        /// The link the peer is up on.
        up_on: LinkId,
    },
    /// An Election message on a link whose hello waits ([`Notice::PeerLinkWaits`]): dropped.
    ElectionOnWaitingLink {
        /// The link.
        link: LinkId,
    },
    /// The peer closed a link while another link to it awaits its hello: both members
    /// dialled at once and this one lost the duplicate-link rule (PROTOCOL 4). Down only if
    /// no link is up `within`.
    PeerLinkClosedAwaitingHello {
        /// The peer's member name.
        peer: String,
        /// The closed link.
        link: LinkId,
        /// The grace: the dead interval.
        within: Duration,
    },
    /// The peer monitor ignored a message on a peer link (PROTOCOL 9).
    PeerMessageIgnored {
        /// The link.
        link: LinkId,
        /// Why.
        reason: baton_monitor::IgnoredReason,
    },
    /// The peer sent an Election message it should not have (PROTOCOL 5.4, 9); the Election
    /// carried on.
    PeerMisbehaved {
        /// The peer's member name.
        peer: String,
        /// What it did.
        reason: Misbehaviour,
    },
    /// The peer sent an Election answer that does not count (PROTOCOL 5.4 \[F7\]): to an
    /// earlier send, to a void nomination, a second answer, an unknown `correlationId`.
    /// Ignored: it changed nothing (PROTOCOL 9, "Ignored, logged, link kept").
    StaleAnswer {
        /// The peer's member name.
        peer: String,
        /// `assigment`, `veto` or `electionError`.
        answer: &'static str,
        /// The answer's `correlationId`.
        correlation_id: String,
    },
    /// The peer answered this node's nomination with an `electionError` other than the
    /// transient ones: usually the two configurations disagree (PROTOCOL 5.5).
    NominationRefused {
        /// The peer's member name.
        peer: String,
        /// The peer's `description`.
        description: String,
    },
    /// A component registered (its first `heartBeat`, PROTOCOL 6.4).
    ComponentRegistered {
        /// The component id.
        component: String,
        /// Its link.
        link: LinkId,
    },
    /// A component failed (PROTOCOL 6.4): `major` is restarted, `fatal` hands over.
    ComponentFailed {
        /// The component id.
        component: String,
        /// Its configured severity.
        severity: Severity,
        /// Why it is failed.
        reason: baton_monitor::FailureReason,
    },
    /// A failed component says `ok` again.
    ComponentRecovered {
        /// The component id.
        component: String,
    },
    /// The health monitor ignored a message on a component link (PROTOCOL 9).
    ComponentMessageIgnored {
        /// The link.
        link: LinkId,
        /// Why.
        reason: baton_monitor::IgnoredReason,
    },
    /// A component did not stand by during a demotion, which completed all the same
    /// (PROTOCOL 6.1).
    ComponentDidNotStandBy {
        /// The component id.
        component: String,
        /// Why.
        reason: baton_role::FailureReason,
    },
    /// A promotion failed: this component did not take `active` (PROTOCOL 6.1).
    PromotionFailed {
        /// The first component that failed.
        component: String,
        /// Why.
        reason: baton_role::FailureReason,
    },
    /// A component did not take the role it was sent (PROTOCOL 6.1).
    ComponentRoleFailed {
        /// The component id.
        component: String,
        /// The role it was sent.
        role: baton_role::Role,
        /// Why.
        reason: baton_role::FailureReason,
    },
    /// The role layer ignored a message on a component link (PROTOCOL 9).
    RoleMessageIgnored {
        /// The link.
        link: LinkId,
        /// Why.
        reason: baton_role::IgnoredReason,
    },
    /// The status server ignored a message (PROTOCOL 9).
    StatusMessageIgnored {
        /// The link.
        link: LinkId,
        /// Why.
        reason: baton_status::ServerIgnoredReason,
    },
    /// A status client sent a HealthMonitor message other than `healthQuery` (PROTOCOL 9).
    ClientHealthMessageIgnored {
        /// The link.
        link: LinkId,
    },
    /// [`crate::Node::stop`]: a planned switchover started; the node exits once handed over.
    StopHandingOver,
    /// [`crate::Node::stop`] with nothing to hand over: the node exits at once.
    StopNothingToHandOver {
        /// Why no switchover was possible.
        reason: UsageError,
    },
    /// About a script component (the node's in-process adapter).
    Script(crate::script::ScriptNotice),
    /// Replication through the node (PROTOCOL 6.11).
    Replication(crate::replicate::ReplicationNotice),
    /// The node's timers were `late` when it ran again (a stall of the node itself), and a
    /// component registered: for `hold` from then, components that register are not told
    /// `active` before the election's view is settled (PROTOCOL 6.3, *A resumed node*).
    Resumed {
        /// How late its earliest timer was.
        late: Duration,
        /// How long registrations are held.
        hold: Duration,
    },
    /// This standby's verdict on the active's service changed (PROTOCOL 6.8): logged once
    /// per change.
    RemoteCheck {
        /// The member checked.
        active: String,
        /// The new verdict.
        verdict: crate::RemoteVerdict,
        /// Failed checks in a row that make the verdict failing.
        failures: u32,
        /// Whether this member asks for the service.
        handover: bool,
    },
    /// A standby member asked for the service (`remote=handover`, PROTOCOL 6.8): this active
    /// node hands over as a planned switchover does, or cannot (`refused`).
    RemoteHandoverAsked {
        /// The member that asked.
        peer: String,
        /// Why the switchover could not start, if it could not.
        refused: Option<UsageError>,
    },
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::LinkOpenedTwice { link } => write!(f, "{link} opened twice: ignored"),
            Notice::RemoteCheck {
                active,
                verdict,
                failures,
                handover,
            } => match verdict {
                crate::RemoteVerdict::Ok => {
                    write!(f, "remote check of {active}'s service: ok")
                }
                crate::RemoteVerdict::Failing => {
                    write!(
                        f,
                        "remote check of {active}'s service: failing ({failures} in a row while \
                         it says it is healthy)"
                    )?;
                    if *handover {
                        f.write_str(": asking for the service")?;
                    }
                    Ok(())
                }
                crate::RemoteVerdict::UplinkFailing => write!(
                    f,
                    "remote check of {active}'s service: not run, this member's uplink check \
                     fails (it blames itself, not {active})"
                ),
            },
            Notice::RemoteHandoverAsked { peer, refused } => match refused {
                None => write!(
                    f,
                    "{peer}'s remote checks fail and it asks for the service: handing over"
                ),
                Some(e) => write!(
                    f,
                    "{peer}'s remote checks fail and it asks for the service: cannot hand \
                     over: {e}"
                ),
            },
            Notice::FrameOnUnknownLink { link } => write!(f, "frame on unknown {link}: dropped"),
            Notice::NotSent { link, interface } => {
                write!(f, "{link} is closed: {interface} message not sent")
            }
            Notice::PeerUp { peer, link } => write!(f, "peer {peer} up on {link}"),
            Notice::PeerLinkWaits { peer, link, up_on } => write!(
                f,
                "peer {peer}: the hello on {link} waits while {up_on} is heard (refused if \
                 {peer} is heard there, taken if {up_on} dies)"
            ),
            Notice::ElectionOnWaitingLink { link } => {
                write!(f, "election message on {link}, whose hello waits: dropped")
            }
            Notice::PeerDown { peer, link } => write!(f, "peer {peer} down ({link})"),
            Notice::PeerLinkClosedForMisbehaviour { peer, link, within } => write!(
                f,
                "peer {peer}: {link} closed for misbehaviour; down unless it reconnects within {}",
                Words(within)
            ),
            Notice::PeerLinkClosedAwaitingHello { peer, link, within } => write!(
                f,
                "peer {peer}: {link} closed while another peer link awaits its hello; down unless a link is up within {}",
                Words(within)
            ),
            Notice::PeerMessageIgnored { link, reason } => {
                write!(f, "{link}: peer message ignored: {}", Words(reason))
            }
            Notice::PeerMisbehaved { peer, reason } => {
                write!(f, "peer {peer} misbehaved: {reason}")
            }
            Notice::StaleAnswer {
                peer,
                answer,
                correlation_id,
            } => write!(
                f,
                "peer {peer}: stale {answer} ignored: correlationId {correlation_id:?} answers \
                 no nomination pending"
            ),
            Notice::NominationRefused { peer, description } => {
                write!(f, "peer {peer} refused our nomination: {description}")
            }
            Notice::ComponentRegistered { component, link } => {
                write!(f, "component {component} registered on {link}")
            }
            Notice::ComponentFailed {
                component,
                severity,
                reason,
            } => write!(
                f,
                "component {component} failed ({severity}): {}",
                Words(reason)
            ),
            Notice::ComponentRecovered { component } => {
                write!(f, "component {component} recovered")
            }
            Notice::ComponentMessageIgnored { link, reason } => {
                write!(f, "{link}: component message ignored: {}", Words(reason))
            }
            Notice::ComponentDidNotStandBy { component, reason } => write!(
                f,
                "component {component} failed to stand by: {}",
                Words(reason)
            ),
            Notice::PromotionFailed { component, reason } => write!(
                f,
                "promotion failed: component {component}: {}",
                Words(reason)
            ),
            Notice::ComponentRoleFailed {
                component,
                role,
                reason,
            } => write!(
                f,
                "component {component} did not take its role ({}): {}",
                Words(role),
                Words(reason)
            ),
            Notice::RoleMessageIgnored { link, reason } => {
                write!(f, "{link}: role message ignored: {}", Words(reason))
            }
            Notice::StatusMessageIgnored { link, reason } => {
                write!(f, "{link}: status message ignored: {}", Words(reason))
            }
            Notice::ClientHealthMessageIgnored { link } => {
                write!(f, "{link}: unexpected health message ignored")
            }
            Notice::Resumed { late, hold } => write!(
                f,
                "resumed with timers {} ms late: components registering in the next {} ms \
                 are given a role once the election settles",
                late.as_millis(),
                hold.as_millis()
            ),
            Notice::StopHandingOver => f.write_str("stop: handing over to the standby, then exiting"),
            Notice::StopNothingToHandOver { reason } => {
                write!(f, "stop: nothing to hand over ({reason}): exiting")
            }
            Notice::Script(n) => n.fmt(f),
            Notice::Replication(n) => n.fmt(f),
        }
    }
}
