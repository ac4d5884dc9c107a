//! Keeping a peer link up: each member dials each peer it has no link to, with a back-off,
//! so that a restarted node is always reached before it would decide it is alone. When both
//! members dial at once, the hello rule keeps the link dialled by the higher-priority member
//! (PROTOCOL 4, *Dialling* and *duplicate links*; the numbers: PROTOCOL 11, note 17).
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
    /// The link this node dialled to it, while one is open.
    dialled: Option<LinkId>,
    /// The link the peer is up on (whoever dialled it), and since when.
    up: Option<(LinkId, Instant)>,
    /// An attempt is under way.
    pending: bool,
    /// When the next attempt is due (if one is wanted then).
    next_attempt: Instant,
    /// The wait after the next failure (before the cap of a connect failure).
    backoff: Duration,
}

/// When to dial each peer (PROTOCOL 4, *Dialling*): at once at start; then, after each failed
/// attempt, after a back-off that starts at 50 ms and doubles. A failed attempt is a connect
/// that failed or timed out, or a link this node dialled that closed before the peer had been
/// up on it for a dead interval (refused, or closed at once by whatever answered). After a
/// connect failure the wait is capped at half of `startup_wait` (clamped to 20 ms ..= 1 s): a
/// restarting peer is reached before it would decide it is alone. After a refused link it
/// keeps doubling up to 1 s: whatever refused it is running (and, if it is the peer, dials
/// this node itself). Only a peer up for a dead interval starts the back-off again: when its
/// link closes, it is dialled again at once. No attempt is made while one is under way, while
/// a link this node dialled is open, or while the peer is up on another link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dialer {
    peers: Vec<Peer>,
    /// The cap of the wait after a connect failure.
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
                dialled: None,
                up: None,
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

    /// The attempt to `member` connected on `link`. `false` (and nothing changes) when no
    /// attempt to that member was under way. The back-off goes on until the peer has been up
    /// for a dead interval ([`Dialer::handle_link_closed`]).
    pub(crate) fn handle_dialed(&mut self, member: usize, link: LinkId) -> bool {
        match self.peers.iter_mut().find(|p| p.member == member) {
            Some(p) if p.pending => {
                p.pending = false;
                p.dialled = Some(link);
                true
            }
            _ => false,
        }
    }

    /// The attempt to `member` failed (or timed out): wait, longer each time, at most the
    /// cap. `false` (and nothing changes) when no attempt to that member was under way.
    pub(crate) fn handle_dial_failed(&mut self, now: Instant, member: usize) -> bool {
        let cap = self.cap;
        match self.peers.iter_mut().find(|p| p.member == member) {
            Some(p) if p.pending => {
                p.pending = false;
                p.next_attempt = now + p.backoff.min(cap);
                p.backoff = (p.backoff * 2).min(MAX_CAP);
                true
            }
            _ => false,
        }
    }

    /// The attempt to `member` connected but was refused before a link opened (the peer, or
    /// whatever answered, refused the TLS handshake, PROTOCOL 3.4): as a link refused at once,
    /// the wait keeps doubling up to 1 s, not capped by `startup_wait` (whatever refused it is
    /// running). `false` (and nothing changes) when no attempt to that member was under way.
    pub(crate) fn handle_dial_refused(&mut self, now: Instant, member: usize) -> bool {
        match self.peers.iter_mut().find(|p| p.member == member) {
            Some(p) if p.pending => {
                p.pending = false;
                p.next_attempt = now + p.backoff;
                p.backoff = (p.backoff * 2).min(MAX_CAP);
                true
            }
            _ => false,
        }
    }

    /// `member` is up on `link` since `now` (its hello accepted, or it moved there from
    /// another link, PROTOCOL 4).
    pub(crate) fn handle_peer_up(&mut self, now: Instant, member: usize, link: LinkId) {
        if let Some(p) = self.peers.iter_mut().find(|p| p.member == member) {
            p.up = Some((link, now));
        }
    }

    /// `link` closed. If the peer had been up on it for at least `settle` (the dead
    /// interval; a restart of the peer is the common case), the back-off starts again and
    /// the peer is dialled again at once. Otherwise, if this node dialled it, it counts as a
    /// failed attempt: the next one follows the back-off, which doubles up to 1 s (so that a
    /// link refused at once is not dialled again in a loop: a member with its own address
    /// for its peer's, or member ids that differ between the two configurations). Returns
    /// the member it led to, if this node dialled it.
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
            .find(|p| p.dialled == Some(link) || p.up.is_some_and(|(l, _)| l == link))?;
        let dialled = p.dialled == Some(link);
        if dialled {
            p.dialled = None;
        }
        let mut settled = false;
        if let Some((l, since)) = p.up {
            if l == link {
                p.up = None;
                settled = now.saturating_duration_since(since) >= settle;
            }
        }
        if settled {
            p.backoff = first;
            p.next_attempt = now;
        } else if dialled {
            p.next_attempt = now + p.backoff;
            p.backoff = (p.backoff * 2).min(MAX_CAP);
        }
        dialled.then_some(p.member)
    }
}

impl Node {
    /// The connect attempt to member `member` that [`Event::Dial`] asked for succeeded: `link`
    /// opens as a peer link this node dialled (as [`Node::handle_link_opened`] with
    /// [`LinkOrigin::Dialled`]). When it closes, the member is dialled again: at once if it
    /// was up on it for a dead interval, else after the back-off (PROTOCOL 4, *Dialling*).
    pub fn handle_dialed(&mut self, now: Instant, member: usize, link: LinkId) {
        self.dialer.handle_dialed(member, link);
        self.handle_link_opened(now, link, LinkKind::Peer(LinkOrigin::Dialled));
    }

    /// The connect attempt to member `member` that [`Event::Dial`] asked for failed, or was
    /// abandoned after [`CONNECT_TIMEOUT`]: the next one follows the back-off.
    pub fn handle_dial_failed(&mut self, now: Instant, member: usize) {
        self.dialer.handle_dial_failed(now, member);
        self.process(now);
    }

    /// The connect attempt to member `member` connected, but the handshake was refused (a
    /// wrong CA, an expired or foreign certificate: PROTOCOL 3.4): the next one follows the
    /// back-off of a refused link, doubling up to 1 s (PROTOCOL 4, *Dialling*).
    pub fn handle_dial_refused(&mut self, now: Instant, member: usize) {
        self.dialer.handle_dial_refused(now, member);
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
/// the peer not already up on another link.
fn wanted(p: &Peer, peer_up: impl Fn(usize) -> bool) -> bool {
    p.dialled.is_none() && !p.pending && !peer_up(p.member)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Instant {
        Instant::from_millis(n)
    }

    const DOWN: fn(usize) -> bool = |_| false;
    /// The dead interval: a peer up this long on a link is dialled again at once.
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

    /// Connects every attempt as soon as it is due on a fresh link, which the other side
    /// closes after `lives` (before any hello); returns the times of the attempts.
    fn refused_attempts(d: &mut Dialer, count: usize, lives: Duration) -> Vec<u64> {
        let mut times = Vec::new();
        for link in 0..count {
            let at = d.poll_timeout(DOWN).expect("an attempt is wanted");
            let link = LinkId(100 + link as u64);
            assert_eq!(d.poll_dial(at, DOWN), Some(1));
            assert!(d.handle_dialed(1, link));
            assert_eq!(d.poll_timeout(DOWN), None, "none while our link is open");
            assert_eq!(d.handle_link_closed(at + lives, link, SETTLE), Some(1));
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

    /// Fails every attempt as a refused handshake and returns the times of the attempts.
    fn refused_handshakes(d: &mut Dialer, count: usize) -> Vec<u64> {
        let mut times = Vec::new();
        for _ in 0..count {
            let at = d.poll_timeout(DOWN).expect("an attempt is wanted");
            assert_eq!(d.poll_dial(at, DOWN), Some(1));
            assert!(d.handle_dial_refused(at, 1));
            times.push(at.since_origin().as_millis() as u64);
        }
        times
    }

    #[test]
    fn refused_handshakes_back_off_up_to_1_s_whatever_the_startup_wait() {
        // Default startup_wait 300 ms: a connect failure would wait at most 150 ms.
        let mut d = Dialer::new(ms(0), 0, 2, Duration::from_millis(300));
        assert_eq!(
            refused_handshakes(&mut d, 9),
            [0, 50, 150, 350, 750, 1550, 2550, 3550, 4550],
            "waits 50, 100, 200, 400, 800, 1000, 1000, 1000"
        );
        assert!(!d.handle_dial_refused(ms(5000), 1), "none under way");
        // A connect failure after them keeps the doubled wait, capped again.
        let mut d = Dialer::new(ms(0), 0, 2, Duration::from_millis(300));
        refused_handshakes(&mut d, 4);
        assert_eq!(failing_attempts(&mut d, 3), [750, 900, 1050]);
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
    fn a_peer_up_for_a_dead_interval_is_dialled_again_at_once_and_backs_off_from_the_start() {
        let mut d = Dialer::new(ms(0), 0, 2, Duration::from_millis(300));
        assert_eq!(failing_attempts(&mut d, 3), [0, 50, 150]);
        assert_eq!(d.poll_dial(ms(300), DOWN), Some(1));
        assert!(d.handle_dialed(1, LinkId(4)));
        assert_eq!(d.poll_timeout(DOWN), None, "none while our link is open");
        assert_eq!(d.poll_dial(ms(900), DOWN), None);
        d.handle_peer_up(ms(301), 1, LinkId(4));

        assert_eq!(d.handle_link_closed(ms(601), LinkId(4), SETTLE), Some(1));
        assert_eq!(
            d.handle_link_closed(ms(601), LinkId(4), SETTLE),
            None,
            "forgotten"
        );
        assert_eq!(d.poll_timeout(DOWN), Some(ms(601)));
        assert_eq!(failing_attempts(&mut d, 4), [601, 651, 751, 901]);
    }

    #[test]
    fn a_dialled_link_closed_before_the_peer_was_up_a_dead_interval_is_a_failed_attempt() {
        // Up for 299 ms only: as a refused attempt, the back-off goes on from where it was.
        let mut d = Dialer::new(ms(0), 0, 2, Duration::from_millis(300));
        assert_eq!(failing_attempts(&mut d, 2), [0, 50]);
        assert_eq!(d.poll_dial(ms(150), DOWN), Some(1));
        assert!(d.handle_dialed(1, LinkId(4)));
        d.handle_peer_up(ms(151), 1, LinkId(4));
        assert_eq!(d.handle_link_closed(ms(450), LinkId(4), SETTLE), Some(1));
        assert_eq!(d.poll_timeout(DOWN), Some(ms(650)), "waits 200 ms");
    }

    #[test]
    fn links_refused_at_once_back_off_from_50_ms_to_1_s() {
        // PROTOCOL 4, Dialling: each link is accepted and closed at once (this node's own
        // address configured for its peer, member ids that differ between the two files):
        // 50 ms doubling to 1 s, not a loop of attempts, whatever startup_wait is.
        let mut d = Dialer::new(ms(0), 0, 2, Duration::from_millis(300));
        assert_eq!(
            refused_attempts(&mut d, 10, Duration::ZERO),
            [0, 50, 150, 350, 750, 1550, 2550, 3550, 4550, 5550]
        );
        // A connect failure then waits at most the cap (half of startup_wait).
        assert_eq!(failing_attempts(&mut d, 2), [6550, 6700]);
    }

    #[test]
    fn links_refused_after_the_hello_timeout_back_off_from_when_they_closed() {
        // Accepted, and closed by this node for want of a hello after the dead interval.
        let mut d = Dialer::new(ms(0), 0, 2, Duration::from_millis(300));
        assert_eq!(
            refused_attempts(&mut d, 4, SETTLE),
            [0, 350, 750, 1250],
            "closed at 300, 650, 1050: then 50, 100, 200 ms"
        );
    }

    #[test]
    fn a_settled_peer_on_a_link_it_dialled_also_restarts_the_back_off() {
        let mut d = Dialer::new(ms(0), 0, 2, Duration::from_millis(300));
        assert_eq!(refused_attempts(&mut d, 3, Duration::ZERO), [0, 50, 150]);
        // The peer dials, and is up on its link for a second.
        d.handle_peer_up(ms(200), 1, LinkId(9));
        assert_eq!(d.poll_timeout(UP), None);
        assert_eq!(d.handle_link_closed(ms(1200), LinkId(9), SETTLE), None);
        assert_eq!(d.poll_timeout(DOWN), Some(ms(1200)));
        assert_eq!(refused_attempts(&mut d, 2, Duration::ZERO), [1200, 1250]);
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
        assert!(!d.handle_dialed(1, LinkId(9)), "no attempt under way");
        assert!(!d.handle_dial_failed(ms(5), 1), "no attempt under way");
        assert!(!d.handle_dialed(0, LinkId(9)), "this node itself");
        assert!(!d.handle_dial_failed(ms(5), 7), "no such member");
        assert_eq!(d.poll_timeout(DOWN), Some(ms(0)), "unchanged");
    }
}
