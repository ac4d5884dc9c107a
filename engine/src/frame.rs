//! What each kind of link may carry (PROTOCOL 1.5, 6.11): a frame goes to the machine that owns
//! it on that kind of link; anything else closes the link (PROTOCOL 9).

use crate::close::CloseReason;
use crate::event::LinkKind;
use crate::node::Node;
use crate::notice::Notice;
use baton_asn1::{monitor, status as st};
use baton_codec::AnyMessage;
use baton_core::NodeRole;
use baton_core::{Instant, LinkId};
use baton_monitor::Severity;
use baton_status::{PeerState, State};

impl Node {
    /// Hands a frame to the machine that owns it on this kind of link.
    pub(crate) fn route_frame(
        &mut self,
        now: Instant,
        link: LinkId,
        kind: LinkKind,
        message: AnyMessage,
    ) {
        use st::ServiceStatusMessageMessage as S;
        match (kind, message) {
            (LinkKind::Peer(_), AnyMessage::Monitor(m)) => {
                // The hello must name the member of the link's certificate (PROTOCOL 3.4),
                // checked before the peer monitor sees it: a refused hello never displaces
                // the link up to that member (duplicate links, PROTOCOL 4).
                let refused = if self.hello_accepted(link) {
                    None
                } else {
                    let hello = String::from_utf8_lossy(m.component_id.0.as_bytes());
                    self.refuse_hello(link, &hello)
                };
                match refused {
                    Some(reason) => self.close(now, link, reason),
                    None => self.peers.handle_message(now, link, m),
                }
            }
            (LinkKind::Peer(_), AnyMessage::Election(m)) => {
                if self.peer_links.contains_key(&link) {
                    self.note_stale_answer(link, &m);
                    self.election.handle_message(now, link, m);
                } else if self.peers.parked(link).is_some() {
                    // Its hello waits (PROTOCOL 4, duplicate links): the peer may be genuine
                    // and its link the one that stays; the Election tolerates the loss.
                    self.notice(Notice::ElectionOnWaitingLink { link });
                } else {
                    self.close(now, link, CloseReason::ElectionBeforeHello);
                }
            }
            (LinkKind::Peer(_), AnyMessage::Status(m)) => match m.message {
                S::getStatus(_) => self.status.handle_message(now, link, m),
                S::statusIndication(s) => self.peer_said(link, &s.status.0),
                S::getStatusResponse(s) => self.peer_said(link, &s.status.0),
            },
            (LinkKind::Component, AnyMessage::Monitor(m)) => {
                let id = m.component_id.0.as_bytes();
                if self.takes_script_id(link, id) {
                    let component = String::from_utf8_lossy(id).into_owned();
                    self.close(now, link, CloseReason::ScriptComponentId { component });
                } else if self.refuses_component(link, id) {
                    // PROTOCOL 6.9: the notice, then the close (the driver writes what is
                    // queued on a link before shutting it).
                    let component = String::from_utf8_lossy(id).into_owned();
                    let notice = baton_monitor::LinkNotice::UnknownComponent.to_string();
                    self.send(link, baton_monitor::health_query(&notice, &component));
                    self.close(now, link, CloseReason::UnknownComponentId { component });
                } else {
                    self.health.handle_message(now, link, m)
                }
            }
            (LinkKind::Component, AnyMessage::Role(m)) => self.roles.handle_message(now, link, m),
            (LinkKind::Component | LinkKind::Client, AnyMessage::Status(m)) => {
                match (&m.message, self.lease_word(now)) {
                    (S::getStatus(_), Some(lease)) => {
                        // PROTOCOL 6.7: the answer carries the lease left at this instant.
                        let id: String = m
                            .correlation_id
                            .0
                            .as_bytes()
                            .iter()
                            .map(|&b| b as char)
                            .collect();
                        let line = format!("{} {lease}", self.status.status());
                        self.send(link, baton_status::get_status_response(&id, &line));
                    }
                    _ => self.status.handle_message(now, link, m),
                }
            }
            (LinkKind::Client, AnyMessage::Monitor(m)) => self.answer_health_query(link, m),
            // PROTOCOL 6.11: peer links after the hellos; the component links of replicating
            // components (any other component link closes as not allowed).
            (LinkKind::Peer(_), AnyMessage::Replication(m)) => self.peer_replication(now, link, m),
            (LinkKind::Component, AnyMessage::Replication(m)) => {
                self.component_replication(now, link, m)
            }
            (kind, message) => {
                let interface = message.interface();
                self.close(now, link, CloseReason::NotAllowed { interface, kind });
            }
        }
    }

    /// Whether a HealthMonitor frame naming `id` on component link `link`, not registered
    /// yet, registers an id the configuration does not list, which this node refuses
    /// (PROTOCOL 6.9).
    fn refuses_component(&self, link: LinkId, id: &[u8]) -> bool {
        self.config.refuse_unknown_components
            && self.health.component_on(link).is_none()
            && !std::str::from_utf8(id).is_ok_and(|id| self.config.components.contains_key(id))
    }

    /// A status client may read the node's own health (PROTOCOL 1.5: every party may read).
    fn answer_health_query(&mut self, link: LinkId, m: monitor::HealthMonitorMessage) {
        use monitor::HealthMonitorMessageMessage as M;
        if !matches!(m.message, M::healthQuery(_)) {
            self.notice(Notice::ClientHealthMessageIgnored { link });
            return;
        }
        let failed = matches!(self.role(), NodeRole::PromotionFailed)
            || self.health.worst_failure() == Some(Severity::Fatal);
        let status = if failed {
            monitor::ComponentStatus::failed
        } else {
            monitor::ComponentStatus::ok
        };
        let id = self.config.me().map(|m| m.id.clone()).unwrap_or_default();
        let reply = baton_monitor::health_query_response(
            &m.correlation_id
                .0
                .as_bytes()
                .iter()
                .map(|&b| b as char)
                .collect::<String>(),
            &id,
            status,
        );
        self.send(link, reply);
    }

    /// The member on `link` (hellos exchanged) said this status line of itself.
    fn peer_said(&mut self, link: LinkId, line: &str) {
        let word = line.split_whitespace().next().unwrap_or("");
        let state = State::from_word(word).map_or(PeerState::Unknown, PeerState::Up);
        if let Some(m) = self.peer_links.get(&link).copied() {
            if let Some(slot) = self.member_states.get_mut(m.0) {
                *slot = state;
            }
            self.note_remote_word(m.0, line);
        }
    }
}
