//! What the peer monitor reports (PROTOCOL 4): peers up and down, refused hellos, ignored
//! messages.

use crate::close::CloseReason;
use crate::event::LinkKind;
use crate::node::Node;
use crate::notice::Notice;
use baton_core::Instant;
use baton_election::Member;
use baton_monitor::{HelloRefusal, PeerEvent};
use baton_status::PeerState;

impl Node {
    /// Acts on what the peer monitor reports: a peer up goes to the Election and is asked
    /// its status; a peer down is a link down, at once or (a link closed for misbehaviour, or
    /// lost to the duplicate-link rule) after the dead interval.
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
                self.peer_links.remove(&link);
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
                let at = now + self.config.dead_interval;
                self.deferred_down.push((link, at));
                let peer = self.peer_name(&member);
                let within = self.config.dead_interval;
                self.notice(Notice::PeerLinkClosedAwaitingHello { peer, link, within });
            }
            PeerEvent::PeerDead { member, link } => {
                self.peer_links.remove(&link);
                if let Some(i) = self.config.members.iter().position(|m| m.id == member) {
                    self.member_states[i] = PeerState::Down;
                }
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
    fn peer_up(&mut self, now: Instant, member: String, link: baton_core::LinkId) {
        let Some(i) = self.config.members.iter().position(|m| m.id == member) else {
            self.close(now, link, CloseReason::UnknownMemberId { id: member });
            return;
        };
        self.peer_links.insert(link, Member(i));
        let peer = self.config.members[i].name.clone();
        self.notice(Notice::PeerUp { peer, link });
        self.election.handle_link_up(now, link, Member(i));
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
