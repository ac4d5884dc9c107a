//! The hello's refusals and the duplicate-link rule (PROTOCOL 4, *duplicate links*).

use super::{Event, PeerLink, PeerLiveness};
use baton_asn1::monitor::HealthMonitorMessageMessage as M;
use baton_core::{Instant, LinkId};
use std::time::Duration;

/// Which side opened a peer link (it decides which of two racing links to the same peer
/// stays).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkOrigin {
    /// This node dialled it.
    Dialled,
    /// The peer dialled it and this node accepted it.
    Accepted,
}

/// Why a peer link is refused; the composer closes it and logs the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelloRefusal {
    /// The first frame was not a `heartBeat`.
    NotAHeartBeat,
    /// The hello names this node itself.
    SelfId,
    /// The hello names no configured member.
    UnknownMember(String),
    /// No hello within the dead interval.
    NoHello,
    /// Two links to one member came up within a dead interval of each other (both members
    /// dialled at once): this one lost to the link dialled by the higher-priority member
    /// (PROTOCOL 4, duplicate links).
    Duplicate {
        /// The member both links lead to.
        member: String,
    },
    /// The hello named a member settled on another link (up for at least a dead interval),
    /// and waited (parked); then the member was heard on that link, or a newer hello for it
    /// came (PROTOCOL 4, duplicate links): a live link is never displaced. A forged peer, or
    /// a stale attempt of the peer's.
    AlreadyUp {
        /// The member named by the hello.
        member: String,
    },
}

impl PeerLiveness {
    /// The peer's first frame on `link`.
    pub(super) fn hello(&mut self, now: Instant, link: LinkId, id: String, message: &M) {
        if !matches!(message, M::heartBeat(_)) {
            return self.refuse(link, HelloRefusal::NotAHeartBeat);
        }
        if id == self.member_text {
            return self.refuse(link, HelloRefusal::SelfId);
        }
        let Some(their_rank) = self.members.iter().position(|m| *m == id) else {
            return self.refuse(link, HelloRefusal::UnknownMember(id));
        };
        if let Some(other) = self.link_of(&id) {
            // Two links to one member (PROTOCOL 4, duplicate links): a settled link stays;
            // of two racing links, the one the higher-priority member dialled.
            let our_rank = self.members.iter().position(|m| *m == self.member_text);
            let candidate = |l: &PeerLink| Candidate {
                origin: l.origin,
                up_at: l.up_at.unwrap_or(now),
            };
            let (Some(old), Some(new)) = (self.links.get(&other), self.links.get(&link)) else {
                return;
            };
            let higher = our_rank < Some(their_rank);
            match duplicate(candidate(old), candidate(new), higher, self.dead_interval) {
                Keep::New => {
                    self.refuse(other, HelloRefusal::Duplicate { member: id.clone() });
                }
                Keep::Old => return self.refuse(link, HelloRefusal::Duplicate { member: id }),
                Keep::Park => return self.park(now, link, id),
            }
        }
        if let Some(peer) = self.links.get_mut(&link) {
            peer.member = Some(id.clone());
            peer.up_at = Some(now);
        }
        self.alive(now, link);
        self.events.push_back(Event::PeerUp { member: id, link });
    }
}

/// One of two links to the same member, as the duplicate-link rule sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Candidate {
    /// Who opened it.
    origin: LinkOrigin,
    /// When its hello was accepted (the older link) or arrives (the newer one).
    up_at: Instant,
}

/// What the duplicate-link rule decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// The link already up stays; the new one is refused ([`HelloRefusal::Duplicate`]).
    Old,
    /// The new link replaces the old one (closed as [`HelloRefusal::Duplicate`]).
    New,
    /// The old link is settled: the new one waits for its fate (`park`).
    Park,
}

/// The duplicate-link rule (PROTOCOL 4): a valid hello for a member arrives on `new` while
/// `old` is up to it (heard within the dead interval, or it would have been closed).
///
/// - `old` up for at least `dead_interval` (settled): it stays, whatever `new` is, and `new`
///   waits (is parked): a new link never displaces a live one; `old` goes only when it closes
///   or falls silent for the dead interval, and `new` then takes its place.
/// - Otherwise the two links race (both members dialled at once): the link dialled by the
///   higher-priority member stays (`we_rank_higher`: this node has the higher priority, so it
///   prefers the links it dialled), on both nodes alike; between links of the same origin the
///   newer stays (the peer dialled again: it found the older one dead). "Newer" is the link
///   whose hello arrived later at this node, whatever order the links opened in; two links
///   open without a hello are not judged until one's hello arrives (PROTOCOL 4).
fn duplicate(
    old: Candidate,
    new: Candidate,
    we_rank_higher: bool,
    dead_interval: Duration,
) -> Keep {
    if new.up_at >= old.up_at + dead_interval {
        return Keep::Park;
    }
    let preferred = if we_rank_higher {
        LinkOrigin::Dialled
    } else {
        LinkOrigin::Accepted
    };
    if new.origin == preferred || old.origin != preferred {
        Keep::New
    } else {
        Keep::Old
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LinkOrigin::*;

    const DEAD: Duration = Duration::from_millis(300);

    fn c(origin: LinkOrigin, ms: u64) -> Candidate {
        Candidate {
            origin,
            up_at: Instant::from_millis(ms),
        }
    }

    #[test]
    fn a_settled_link_stays_whatever_the_new_one_is() {
        for higher in [true, false] {
            for old in [Dialled, Accepted] {
                for new in [Dialled, Accepted] {
                    let keep = duplicate(c(old, 100), c(new, 400), higher, DEAD);
                    assert_eq!(keep, Keep::Park, "{higher} {old:?} {new:?}");
                }
            }
        }
    }

    #[test]
    fn racing_links_keep_the_one_the_higher_priority_member_dialled() {
        let cases = [
            // (we rank higher, old, new, expected)
            (true, Accepted, Dialled, Keep::New),
            (true, Dialled, Accepted, Keep::Old),
            (false, Dialled, Accepted, Keep::New),
            (false, Accepted, Dialled, Keep::Old),
            (true, Dialled, Dialled, Keep::New),
            (false, Accepted, Accepted, Keep::New),
            (true, Accepted, Accepted, Keep::New),
            (false, Dialled, Dialled, Keep::New),
        ];
        for (higher, old, new, expected) in cases {
            let keep = duplicate(c(old, 100), c(new, 399), higher, DEAD);
            assert_eq!(keep, expected, "{higher} {old:?} {new:?}");
        }
    }
}
