//! Keeping a peer link up: each member dials each peer it has no link to, with a back-off
//! capped below `startup_wait`, so that a restarted node is always reached before it would
//! decide it is alone. When both members dial at once, the hello rule keeps the link dialled
//! by the higher-priority member (PROTOCOL 4, duplicate links; the numbers: PROTOCOL 11,
//! note 17).
//!
//! The [`Dialer`] decides when, inside the [`Node`]: the Node emits [`Event::Dial`] when an
//! attempt is due ([`Node::poll_timeout`] includes the next one); the driver makes it
//! (abandoning it after [`CONNECT_TIMEOUT`]) and reports how it ended with
//! [`Node::handle_dialed`] or [`Node::handle_dial_failed`].

use crate::event::{Event, LinkKind};
use crate::node::Node;
use baton_core::{Instant, LinkId};
use baton_monitor::LinkOrigin;
use std::time::Duration;

/// The wait after a first failed attempt; each further failure doubles it, up to the cap.
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// The back-off never exceeds this, whatever `startup_wait` is.
const MAX_CAP: Duration = Duration::from_millis(1000);
/// Nor falls below this, however short `startup_wait` is.
const MIN_CAP: Duration = Duration::from_millis(20);

/// A connect attempt that takes longer than this is abandoned: the driver reports it failed.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);

/// One peer this node dials.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Peer {
    /// Index of the peer in the member list.
    member: usize,
    /// The link this node dialled to it, while one is open, and when it opened.
    link: Option<(LinkId, Instant)>,
    /// An attempt is under way.
    pending: bool,
    /// When the next attempt is due (if one is wanted then).
    next_attempt: Instant,
    /// The wait after the next failure.
    backoff: Duration,
}

/// When to dial each peer: at once at start and whenever a link this node dialled closes
/// after living a dead interval (50 ms after one the peer refused sooner), then after each
/// failure with a back-off doubling from 50 ms up to half of `startup_wait`
/// (clamped to 20 ms ..= 1 s). No attempt is made while one is under way, while a link this
/// node dialled is open, or while the peer is up on another link (one it dialled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dialer {
    peers: Vec<Peer>,
    cap: Duration,
}

impl Dialer {
    /// Every member of `members` but `me`, each due at `now`.
    pub(crate) fn new(now: Instant, me: usize, members: usize, startup_wait: Duration) -> Self {
        let cap = (startup_wait / 2).clamp(MIN_CAP, MAX_CAP);
        let peers = (0..members)
            .filter(|m| *m != me)
            .map(|member| Peer {
                member,
                link: None,
                pending: false,
                next_attempt: now,
                backoff: FIRST_BACKOFF.min(cap),
            })
            .collect();
        Dialer { peers, cap }
    }

    /// When the next attempt is due, if one is wanted; `peer_up(member)` tells whether a
    /// member is up on some peer link. May be in the past (a peer just went down).
    pub(crate) fn poll_timeout(&self, peer_up: impl Fn(usize) -> bool) -> Option<Instant> {
        self.peers
            .iter()
            .filter(|p| wanted(p, &peer_up))
            .map(|p| p.next_attempt)
            .min()
    }

    /// The next member to dial now, if any: its attempt is then under way until
    /// [`Dialer::handle_dialed`] or [`Dialer::handle_dial_failed`].
    pub(crate) fn poll_dial(
        &mut self,
        now: Instant,
        peer_up: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        let p = self
            .peers
            .iter_mut()
            .find(|p| wanted(p, &peer_up) && p.next_attempt <= now)?;
        p.pending = true;
        Some(p.member)
    }

    /// The attempt to `member` connected on `link` at `now`. `false` (and nothing changes)
    /// when no attempt to that member was under way.
    pub(crate) fn handle_dialed(&mut self, now: Instant, member: usize, link: LinkId) -> bool {
        let first = FIRST_BACKOFF.min(self.cap);
        match self.peers.iter_mut().find(|p| p.member == member) {
            Some(p) if p.pending => {
                p.pending = false;
                p.link = Some((link, now));
                p.backoff = first;
                true
            }
            _ => false,
        }
    }

    /// The attempt to `member` failed (or timed out): wait, longer each time. `false` (and
    /// nothing changes) when no attempt to that member was under way.
    pub(crate) fn handle_dial_failed(&mut self, now: Instant, member: usize) -> bool {
        let cap = self.cap;
        match self.peers.iter_mut().find(|p| p.member == member) {
            Some(p) if p.pending => {
                p.pending = false;
                p.next_attempt = now + p.backoff;
                p.backoff = (p.backoff * 2).min(cap);
                true
            }
            _ => false,
        }
    }

    /// `link` closed. If this node dialled it, dial again: at once if it lived at least
    /// `settle` (the dead interval; a restart of the peer is the common case), then back off
    /// from the start if that fails. A link that closed sooner (the peer refused it: it lost
    /// a race of two links, or the peer still hears this node on another link, PROTOCOL 4)
    /// is dialled again after the first back-off, not at once, so that a refused link is not
    /// dialled again in a loop. Returns the member it led to, if it was one this node
    /// dialled.
    pub(crate) fn handle_link_closed(
        &mut self,
        now: Instant,
        link: LinkId,
        settle: Duration,
    ) -> Option<usize> {
        let first = FIRST_BACKOFF.min(self.cap);
        let p = self
            .peers
            .iter_mut()
            .find(|p| p.link.map(|l| l.0) == Some(link))?;
        let opened = p.link.map_or(now, |l| l.1);
        p.link = None;
        p.backoff = first;
        p.next_attempt = if now.saturating_duration_since(opened) >= settle {
            now
        } else {
            now + first
        };
        Some(p.member)
    }
}

impl Node {
    /// The connect attempt to member `member` that [`Event::Dial`] asked for succeeded: `link`
    /// opens as a peer link this node dialled (as [`Node::handle_link_opened`] with
    /// [`LinkOrigin::Dialled`]). When it closes, the member is dialled again at once.
    pub fn handle_dialed(&mut self, now: Instant, member: usize, link: LinkId) {
        self.dialer.handle_dialed(now, member, link);
        self.handle_link_opened(now, link, LinkKind::Peer(LinkOrigin::Dialled));
    }

    /// The connect attempt to member `member` that [`Event::Dial`] asked for failed, or was
    /// abandoned after [`CONNECT_TIMEOUT`]: the next one follows the back-off.
    pub fn handle_dial_failed(&mut self, now: Instant, member: usize) {
        self.dialer.handle_dial_failed(now, member);
        self.process(now);
    }

    /// When the next connect attempt is due, if one is wanted.
    pub(crate) fn dial_timeout(&self) -> Option<Instant> {
        let up = &self.peer_links;
        self.dialer
            .poll_timeout(|m| up.values().any(|member| member.0 == m))
    }

    /// Emits [`Event::Dial`] for every attempt due at `now`.
    pub(crate) fn start_dials(&mut self, now: Instant) {
        let up = &self.peer_links;
        while let Some(member) = self
            .dialer
            .poll_dial(now, |m| up.values().any(|p| p.0 == m))
        {
            self.events.push_back(Event::Dial { member });
        }
    }
}

/// Whether an attempt to `p` is wanted (at its time): no link of ours, none under way, and
/// the peer not already up on a link it dialled.
fn wanted(p: &Peer, peer_up: impl Fn(usize) -> bool) -> bool {
    p.link.is_none() && !p.pending && !peer_up(p.member)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Instant {
        Instant::from_millis(n)
    }

    const DOWN: fn(usize) -> bool = |_| false;
    /// The dead interval: a dialled link that lived this long is dialled again at once.
    const SETTLE: Duration = Duration::from_millis(300);
    const UP: fn(usize) -> bool = |_| true;

    /// Fails every attempt as soon as it is due and returns the times of the attempts.
    fn failing_attempts(d: &mut Dialer, count: usize) -> Vec<u64> {
        let mut times = Vec::new();
        for _ in 0..count {
            let at = d.poll_timeout(DOWN).expect("an attempt is wanted");
            assert_eq!(d.poll_dial(at, DOWN), Some(1));
            assert_eq!(d.poll_timeout(DOWN), None, "none while one is under way");
            assert!(d.handle_dial_failed(at, 1));
            times.push(at.since_origin().as_millis() as u64);
        }
        times
    }

    #[test]
    fn dials_every_peer_at_once_at_start() {
        let mut d = Dialer::new(ms(7), 1, 3, Duration::from_millis(300));
        assert_eq!(d.poll_timeout(DOWN), Some(ms(7)));
        assert_eq!(d.poll_dial(ms(6), DOWN), None, "not before it is due");
        assert_eq!(d.poll_dial(ms(7), DOWN), Some(0));
        assert_eq!(d.poll_dial(ms(7), DOWN), Some(2));
        assert_eq!(d.poll_dial(ms(7), DOWN), None, "never this node itself");
        assert_eq!(d.poll_timeout(DOWN), None);
    }

    #[test]
    fn backoff_doubles_from_50_ms_up_to_half_the_startup_wait() {
        // Default startup_wait 300 ms: cap 150 ms.
        let mut d = Dialer::new(ms(0), 0, 2, Duration::from_millis(300));
        assert_eq!(
            failing_attempts(&mut d, 6),
            [0, 50, 150, 300, 450, 600],
            "waits 50, 100, 150, 150, 150"
        );
    }

    #[test]
    fn backoff_cap_is_at_most_one_second() {
        let mut d = Dialer::new(ms(0), 0, 2, Duration::from_secs(10));
        assert_eq!(
            failing_attempts(&mut d, 8),
            [0, 50, 150, 350, 750, 1550, 2550, 3550],
            "waits 50, 100, 200, 400, 800, 1000, 1000"
        );
    }

    #[test]
    fn backoff_cap_is_at_least_20_ms() {
        // Half of 30 ms is 15 ms, below the floor: every wait is 20 ms, the first included.
        let mut d = Dialer::new(ms(0), 0, 2, Duration::from_millis(30));
        assert_eq!(failing_attempts(&mut d, 4), [0, 20, 40, 60]);
    }

    #[test]
    fn failure_counts_from_when_it_is_reported() {
        let mut d = Dialer::new(ms(0), 0, 2, Duration::from_millis(300));
        assert_eq!(d.poll_dial(ms(0), DOWN), Some(1));
        // The connect attempt timed out after CONNECT_TIMEOUT.
        assert!(d.handle_dial_failed(ms(0) + CONNECT_TIMEOUT, 1));
        assert_eq!(d.poll_timeout(DOWN), Some(ms(1050)));
    }

    #[test]
    fn a_closed_dialled_link_is_dialled_again_at_once_and_backs_off_from_the_start() {
        let mut d = Dialer::new(ms(0), 0, 2, Duration::from_millis(300));
        assert_eq!(failing_attempts(&mut d, 3), [0, 50, 150]);
        assert_eq!(d.poll_dial(ms(300), DOWN), Some(1));
        assert!(d.handle_dialed(ms(300), 1, LinkId(4)));
        assert_eq!(d.poll_timeout(DOWN), None, "none while our link is open");
        assert_eq!(d.poll_dial(ms(900), DOWN), None);

        assert_eq!(d.handle_link_closed(ms(1000), LinkId(4), SETTLE), Some(1));
        assert_eq!(
            d.handle_link_closed(ms(1000), LinkId(4), SETTLE),
            None,
            "forgotten"
        );
        assert_eq!(d.poll_timeout(DOWN), Some(ms(1000)));
        assert_eq!(failing_attempts(&mut d, 4), [1000, 1050, 1150, 1300]);
    }

    #[test]
    fn a_dialled_link_closed_within_the_dead_interval_is_dialled_again_after_50_ms() {
        // The peer refuses each link while it still hears this node on another one
        // (PROTOCOL 4): no loop of attempts, one every 50 ms; a link that then lives the
        // dead interval is dialled again at once when it closes.
        let mut d = Dialer::new(ms(0), 0, 2, Duration::from_millis(300));
        let mut times = Vec::new();
        for link in 1..=4 {
            let at = d.poll_timeout(DOWN).expect("an attempt is wanted");
            assert_eq!(d.poll_dial(at, DOWN), Some(1));
            assert!(d.handle_dialed(at, 1, LinkId(link)));
            assert_eq!(d.handle_link_closed(at, LinkId(link), SETTLE), Some(1));
            times.push(at.since_origin().as_millis() as u64);
        }
        assert_eq!(times, [0, 50, 100, 150]);
        assert_eq!(d.poll_dial(ms(200), DOWN), Some(1));
        assert!(d.handle_dialed(ms(200), 1, LinkId(5)));
        assert_eq!(d.handle_link_closed(ms(500), LinkId(5), SETTLE), Some(1));
        assert_eq!(d.poll_timeout(DOWN), Some(ms(500)));
        assert_eq!(failing_attempts(&mut d, 3), [500, 550, 650]);
    }

    #[test]
    fn no_attempt_while_the_peer_is_up_on_a_link_it_dialled() {
        let mut d = Dialer::new(ms(0), 0, 2, Duration::from_millis(300));
        assert_eq!(d.poll_timeout(UP), None);
        assert_eq!(d.poll_dial(ms(500), UP), None);
        // The peer's link went down: the attempt, due since the start, is made at once.
        assert_eq!(d.poll_timeout(DOWN), Some(ms(0)));
        assert_eq!(d.poll_dial(ms(500), DOWN), Some(1));
    }

    #[test]
    fn only_this_nodes_own_links_and_attempts_count() {
        let mut d = Dialer::new(ms(0), 0, 2, Duration::from_millis(300));
        assert_eq!(
            d.handle_link_closed(ms(5), LinkId(9), SETTLE),
            None,
            "not dialled"
        );
        assert!(
            !d.handle_dialed(ms(5), 1, LinkId(9)),
            "no attempt under way"
        );
        assert!(!d.handle_dial_failed(ms(5), 1), "no attempt under way");
        assert!(!d.handle_dialed(ms(5), 0, LinkId(9)), "this node itself");
        assert!(!d.handle_dial_failed(ms(5), 7), "no such member");
        assert_eq!(d.poll_timeout(DOWN), Some(ms(0)), "unchanged");
    }
}
