//! Keeping a peer link up: the higher-priority member of each pair dials, with backoff.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::time::Instant;

const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_millis(1000);
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
}

impl Dial {
    pub(crate) fn new(member: usize, address: SocketAddr, now: Instant) -> Self {
        Dial {
            member,
            address,
            link: None,
            pending: false,
            next_attempt: now,
            backoff: FIRST_BACKOFF,
        }
    }

    /// When an attempt is due, if one is wanted.
    pub(crate) fn due(&self) -> Option<Instant> {
        (self.link.is_none() && !self.pending).then_some(self.next_attempt)
    }

    /// The attempt failed: wait, longer each time.
    pub(crate) fn failed(&mut self, now: Instant) {
        self.pending = false;
        self.next_attempt = now + self.backoff;
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
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
    }
}
