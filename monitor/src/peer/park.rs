//! A hello that waits (PROTOCOL 4, duplicate links): a valid hello for a member whose link is
//! settled is neither taken nor refused at once. The new link is **parked**: kept open, its
//! heartbeats counted, nothing else taken from it. The member's next sign of life on the old
//! link refuses it ([`HelloRefusal::AlreadyUp`]: the old link is live, the newcomer a forger
//! or a stale attempt); the old link's death (silence for the dead interval, or its closing)
//! moves the member to it ([`Event::Moved`]: no peer failure). So a live link is never
//! displaced, and a peer that redialled because it found the old link dead before this node
//! did is not taken for dead in between.

use super::{Event, HelloRefusal, PeerLiveness, Timer};
use baton_core::{Instant, LinkId};

impl PeerLiveness {
    /// Parks `link`, whose hello named `member`, settled on another link. Only the newest
    /// parked link for a member waits; an older one is refused.
    pub(super) fn park(&mut self, now: Instant, link: LinkId, member: String) {
        let older: Vec<LinkId> = self
            .links
            .iter()
            .filter(|(l, p)| **l != link && p.parked.as_deref() == Some(member.as_str()))
            .map(|(l, _)| *l)
            .collect();
        for l in older {
            self.refuse(
                l,
                HelloRefusal::AlreadyUp {
                    member: member.clone(),
                },
            );
        }
        let Some(up_on) = self.link_of(&member) else {
            return;
        };
        if let Some(peer) = self.links.get_mut(&link) {
            peer.parked = Some(member.clone());
        }
        self.timers.set(Timer::Dead(link), now + self.dead_interval);
        self.events.push_back(Event::Parked {
            member,
            link,
            up_on,
        });
    }

    /// The member up on `link` was just heard there: every link parked for it is refused.
    pub(super) fn refuse_parked_for(&mut self, link: LinkId) {
        let Some(member) = self.links.get(&link).and_then(|p| p.member.clone()) else {
            return;
        };
        let parked: Vec<LinkId> = self
            .links
            .iter()
            .filter(|(_, p)| p.parked.as_deref() == Some(member.as_str()))
            .map(|(l, _)| *l)
            .collect();
        for l in parked {
            self.refuse(
                l,
                HelloRefusal::AlreadyUp {
                    member: member.clone(),
                },
            );
        }
    }

    /// `member`'s link `from` died (already forgotten): moves the member to the link parked
    /// for it, if one is ([`Event::Moved`], `true`); otherwise the member is dead
    /// ([`Event::PeerDead`], `false`).
    pub(super) fn up_link_gone(&mut self, now: Instant, from: LinkId, member: String) -> bool {
        let to = self
            .links
            .iter()
            .find(|(_, p)| p.parked.as_deref() == Some(member.as_str()))
            .map(|(l, _)| *l);
        let Some(to) = to else {
            self.events
                .push_back(Event::PeerDead { member, link: from });
            return false;
        };
        if let Some(peer) = self.links.get_mut(&to) {
            peer.parked = None;
            peer.member = Some(member.clone());
            peer.up_at = Some(now);
        }
        self.alive(now, to);
        self.events.push_back(Event::Moved { member, from, to });
        true
    }

    /// The member whose hello waits on `link`, if it is parked.
    pub fn parked(&self, link: LinkId) -> Option<&str> {
        self.links.get(&link).and_then(|p| p.parked.as_deref())
    }
}
