//! What the peer monitor reports (PROTOCOL 4): peers up and down, refused hellos, ignored
//! messages.

use crate::close::CloseReason;
use crate::event::LinkKind;
use crate::node::Node;
use crate::notice::Notice;
use baton_asn1::election::ElectionMessage;
use baton_core::{Instant, LinkId};
use baton_election::wire_id::WireId;
use baton_election::Member;
use baton_monitor::{HelloRefusal, PeerEvent};
use baton_status::PeerState;

impl Node {
    /// Acts on what the peer monitor reports: a peer up goes to the Election and is asked
    /// its status; a peer down is a link down, at once or (a link this node closed for
    /// misbehaviour, or one closed while another peer link awaits its hello) after the dead
    /// interval unless a link to the peer is up by then (PROTOCOL 4, *Peer failure*). Either
    /// way the status line says `down` from the close (PROTOCOL 6.7).
    pub(crate) fn on_peer_event(&mut self, now: Instant, e: PeerEvent) {
        match e {
            PeerEvent::PeerUp { member, link } => self.peer_up(now, member, link),
            PeerEvent::Parked {
                member,
                link,
                up_on,
            } => {
                let peer = self.peer_name(&member);
                self.notice(Notice::PeerLinkWaits { peer, link, up_on });
            }
            PeerEvent::Moved { member, from, to } => {
                // The old link died of silence (or closed) while the peer's hello waited on
                // `to` (PROTOCOL 4, duplicate links): the peer moves, and was never down.
                self.peer_links.remove(&from);
                let peer = self.peer_name(&member);
                self.close(now, from, CloseReason::PeerSilent { peer });
                self.peer_up(now, member, to);
            }
            PeerEvent::PeerDead { member, link } if self.misbehaving.remove(&link) => {
                // PROTOCOL 4, *Closing a link for misbehaviour*: the peer is alive and will
                // connect again, so this close is a peer failure only if no link to it is up
                // within the dead interval (a node keeps its role when its peer sends
                // garbage); the status says `down` meanwhile (6.7).
                self.peer_links.remove(&link);
                self.set_member_down(&member);
                let at = now + self.config.dead_interval;
                self.deferred_down.push((link, at));
                let peer = self.peer_name(&member);
                let within = self.config.dead_interval;
                self.notice(Notice::PeerLinkClosedForMisbehaviour { peer, link, within });
            }
            PeerEvent::PeerDead { member, link }
                if self.peer_hello_pending() && !self.links.contains_key(&link) =>
            {
                // Both members dialled at once (PROTOCOL 4) and the peer closed the link that
                // lost the duplicate-link rule before its hello on the other one arrived: not
                // a failure. Down only if no link to the peer is up within the dead interval
                // (found by the simulation: the Standby promoted beside the Active). A link
                // still open here died of silence: it takes the next arm and is closed (found
                // by the node_ops fuzz target: a silent link was kept open, unanswered).
                self.peer_links.remove(&link);
                self.set_member_down(&member);
                let at = now + self.config.dead_interval;
                self.deferred_down.push((link, at));
                let peer = self.peer_name(&member);
                let within = self.config.dead_interval;
                self.notice(Notice::PeerLinkClosedAwaitingHello { peer, link, within });
            }
            PeerEvent::PeerDead { member, link } => {
                self.peer_links.remove(&link);
                self.set_member_down(&member);
                self.election.handle_link_down(now, link);
                let peer = self.peer_name(&member);
                let reason = CloseReason::PeerSilent { peer: peer.clone() };
                self.close(now, link, reason);
                self.notice(Notice::PeerDown { peer, link });
            }
            PeerEvent::HelloRefused { link, reason } => {
                self.peer_links.remove(&link);
                let reason = match reason {
                    HelloRefusal::Duplicate { member } => CloseReason::DuplicatePeerLink {
                        peer: self.peer_name(&member),
                    },
                    HelloRefusal::AlreadyUp { member } => CloseReason::PeerAlreadyUp {
                        peer: self.peer_name(&member),
                    },
                    other => CloseReason::HelloRefused(other),
                };
                self.close(now, link, reason);
            }
            PeerEvent::Ignored { link, reason } => {
                self.notice(Notice::PeerMessageIgnored { link, reason })
            }
        }
    }

    /// `member` is up on `link`: the Election learns of it (a second link-up for a member up
    /// on another link moves it there) and the peer is asked its status.
    fn peer_up(&mut self, now: Instant, member: String, link: LinkId) {
        let Some(i) = self.config.members.iter().position(|m| m.id == member) else {
            self.close(now, link, CloseReason::UnknownMemberId { id: member });
            return;
        };
        self.peer_links.insert(link, Member(i));
        self.dialer.handle_peer_up(now, i, link);
        let peer = self.config.members[i].name.clone();
        self.notice(Notice::PeerUp { peer, link });
        self.election.handle_link_up(now, link, Member(i));
        self.replication_peer_up(link, Member(i));
        let _ = self.status.handle_client_connected(now, link);
        let id = self.correlation.next_id();
        self.send(link, baton_status::get_status(&id));
    }

    /// Whether a peer link is open whose hello has not come yet (a parked hello came: its
    /// link takes over from the old one in the peer monitor itself, PROTOCOL 4).
    fn peer_hello_pending(&self) -> bool {
        self.links.iter().any(|(l, k)| {
            matches!(k, LinkKind::Peer(_))
                && !self.peer_links.contains_key(l)
                && self.peers.parked(*l).is_none()
        })
    }

    /// An Election answer from the peer on up link `link` that will not count (PROTOCOL 5.4
    /// \[F7\]): ignored, and logged as section 9 says ([`Notice::StaleAnswer`]). One whose
    /// `correlationId` is not `"<round> <seq>"` is the Election's to report
    /// ([`Notice::PeerMisbehaved`]); quorum mode judges its answers itself.
    pub(crate) fn note_stale_answer(&mut self, link: LinkId, m: &ElectionMessage) {
        use baton_asn1::election::{ElectionMessageMessage as E, ElectionResult as R};
        let E::electionResult(result) = &m.message else {
            return;
        };
        let Some(from) = self.peer_links.get(&link).copied() else {
            return;
        };
        let id = &m.correlation_id;
        let well_formed = WireId::from_correlation_id(id).is_ok();
        let pair = self.election.peer().is_some();
        if !pair || !well_formed || self.election.answer_counts(from, id) {
            return;
        }
        let answer = match result {
            R::assigment(_) => "assigment",
            R::veto(_) => "veto",
            R::electionError(_) => "electionError",
        };
        let peer = self
            .config
            .members
            .get(from.0)
            .map_or_else(|| "?".to_owned(), |p| p.name.clone());
        let correlation_id = String::from_utf8_lossy(id.0.as_bytes()).into_owned();
        self.notice(Notice::StaleAnswer {
            peer,
            answer,
            correlation_id,
        });
    }

    /// The member with member id `id` has no up link any more: its state reads `down` until
    /// it reports one again (PROTOCOL 6.7).
    fn set_member_down(&mut self, id: &str) {
        if let Some(i) = self.config.members.iter().position(|m| m.id == id) {
            self.member_states[i] = PeerState::Down;
            self.remote_asks[i] = false;
        }
    }

    /// The member name of the peer with member id `id` (the id itself if none has it: the
    /// peer monitor only reports configured members).
    fn peer_name(&self, id: &str) -> String {
        self.config
            .members
            .iter()
            .find(|m| m.id == id)
            .map_or_else(|| id.to_owned(), |m| m.name.clone())
    }
}
