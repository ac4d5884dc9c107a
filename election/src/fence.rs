//! Fencing in pair mode (PROTOCOL 5.10): a promotion without the active's agreement waits
//! for the caller's fence command against the peer.

use crate::config::Member;
use crate::election::Election;
use crate::event::Event;
use crate::role::NodeRole;
use crate::timer::Timer;
use baton_core::Instant;

/// A fencing under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Fencing {
    /// The member being fenced.
    pub(crate) member: Member,
    /// [`Event::Fence`] emitted and not answered yet (`true`), or failed and waiting for the
    /// `FenceRetry` timer (`false`).
    pub(crate) awaiting: bool,
}

impl Election {
    /// The member being fenced now (PROTOCOL 5.10), for the status line: from the
    /// [`Event::Fence`] until it succeeds, while it fails and retries, until the member's
    /// link comes up.
    pub fn fencing(&self) -> Option<Member> {
        self.fencing.map(|f| f.member)
    }

    /// The caller's fence command against `member` finished (PROTOCOL 5.10): `ok` → promote
    /// as the node would have without fencing; not `ok` → stay `Standby`/`Negotiating` and
    /// emit [`Event::Fence`] again after [`Config::fence_retry`](crate::Config::fence_retry).
    /// Ignored unless it answers the latest [`Event::Fence`] still wanted (a late answer after
    /// the member's link came up, or a second answer, changes nothing).
    pub fn handle_fence_done(&mut self, now: Instant, member: Member, ok: bool) {
        let Some(f) = self.fencing else {
            return;
        };
        if f.member != member || !f.awaiting {
            return;
        }
        self.fencing = (!ok).then_some(Fencing {
            awaiting: false,
            ..f
        });
        if self.is_quorum() {
            self.q_fenced(now, ok);
        } else if self.is_etcd() {
            self.e_fenced(now, ok);
        } else if ok {
            self.promote(now);
        } else {
            self.timers
                .set(Timer::FenceRetry, now + self.config.fence_retry);
        }
    }

    /// PROTOCOL 5.10: a promotion without the active's agreement (peer failure detected while
    /// `Standby`, \[F5\] with the peer down, alone for `startup_wait`). Without
    /// [`Config::fence`](crate::Config::fence): promote now. With it: fence the peer first.
    pub(crate) fn promote_unagreed(&mut self, now: Instant) {
        if !self.config.fence || self.role.is_promoting_or_active() {
            self.promote(now);
            return;
        }
        let member = self.pair_peer();
        self.fencing = Some(Fencing {
            member,
            awaiting: true,
        });
        self.timers.stop(Timer::FenceRetry);
        self.events.push_back(Event::Fence { member });
    }

    /// The `FenceRetry` timer fired: fence again while the reason holds (still fencing, not
    /// awaiting, still `Standby`/`Negotiating`, the member's link down).
    pub(crate) fn fence_retry_due(&mut self) {
        let Some(f) = self.fencing else {
            return;
        };
        let waiting = matches!(self.role, NodeRole::Standby | NodeRole::Negotiating);
        if f.awaiting || !waiting || self.peers[f.member.0].link.is_some() {
            return;
        }
        self.fencing = Some(Fencing {
            awaiting: true,
            ..f
        });
        self.events.push_back(Event::Fence { member: f.member });
    }

    /// Stops fencing (the member's link came up: it is alive; or the node left
    /// `Standby`/`Negotiating`). A later [`Election::handle_fence_done`] is ignored.
    pub(crate) fn abandon_fencing(&mut self) {
        self.fencing = None;
        self.timers.stop(Timer::FenceRetry);
    }
}
