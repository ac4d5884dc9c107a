//! Keeping a peer link up: each member dials each peer it has no link to, with a back-off
//! capped below `startup_wait` (so a restarted node is always reached before it would decide
//! it is alone). When both dial at once, the hello rule keeps the link dialled by the
//! higher-priority member (DESIGN.md section 2).

use std::net::SocketAddr;
use std::time::Duration;
use tokio::time::Instant;

const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_millis(1000);
const MIN_CAP: Duration = Duration::from_millis(20);
/// A connect attempt that takes longer than this is abandoned.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);

/// One peer this node dials.
#[derive(Debug)]
pub(crate) struct Dial {
    /// Index of the peer in the member list.
    pub(crate) member: usize,
    pub(crate) address: SocketAddr,
    /// The link, while one is open.
    pub(crate) link: Option<baton_core::LinkId>,
    /// A connect attempt is under way.
    pub(crate) pending: bool,
    next_attempt: Instant,
    backoff: Duration,
    cap: Duration,
}

impl Dial {
    /// A peer to dial; the back-off never exceeds half of `startup_wait` (nor 1 s).
    pub(crate) fn new(
        member: usize,
        address: SocketAddr,
        now: Instant,
        startup_wait: Duration,
    ) -> Self {
        Dial {
            member,
            address,
            link: None,
            pending: false,
            next_attempt: now,
            backoff: FIRST_BACKOFF.min((startup_wait / 2).clamp(MIN_CAP, MAX_BACKOFF)),
            cap: (startup_wait / 2).clamp(MIN_CAP, MAX_BACKOFF),
        }
    }

    /// When an attempt is due, if one is wanted: no link of ours, none under way, and the
    /// peer not already up on a link it dialled.
    pub(crate) fn due(&self, peer_up: bool) -> Option<Instant> {
        (self.link.is_none() && !self.pending && !peer_up).then_some(self.next_attempt)
    }

    /// The attempt failed: wait, longer each time.
    pub(crate) fn failed(&mut self, now: Instant) {
        self.pending = false;
        self.next_attempt = now + self.backoff;
        self.backoff = (self.backoff * 2).min(self.cap);
    }

    /// Connected.
    pub(crate) fn connected(&mut self, link: baton_core::LinkId) {
        self.pending = false;
        self.link = Some(link);
        self.backoff = FIRST_BACKOFF;
    }

    /// The link closed: dial again at once (a restart of the peer is the common case), then
    /// back off if that fails.
    pub(crate) fn closed(&mut self, now: Instant) {
        self.link = None;
        self.next_attempt = now;
        self.backoff = FIRST_BACKOFF.min(self.cap);
    }
}
