//! What a host does for its node beside links: the grant file of quorum mode (PROTOCOL
//! 5.9.3), the fence command (PROTOCOL 5.10), and stopping and resuming the node process
//! (SIGSTOP, SIGCONT).
//!
//! - **Grant file.** The node asks with `Event::PersistGrant`; the write (temp file, fsync,
//!   rename, fsync of the folder) completes after 0.2-15 ms, in order, and only then does
//!   the node hear `Node::handle_grant_persisted`. A crash loses a write in progress (the
//!   rename did not happen) and keeps a completed one; a restart reads the file: `Known`,
//!   or `Unknown` when there is none yet, or in a lost-file run when the restart finds it
//!   lost or corrupt.
//! - **Fence command.** It runs 10-200 ms, a STONITH agent over the same network (the
//!   bench's stand-in kills the member's process). It succeeds only when the host is really
//!   down afterwards: a crashed host; or a host it reaches (not cut from the fencing member),
//!   which it kills whether stalled or running (power-cycled: the sim crashes it, and it
//!   restarts 0.5-1.5 s later). A live host it cannot reach (a partition) makes it fail;
//!   the node retries after `fence_retry`.
//! - **Stall.** A stopped node takes nothing in: frames, closes, new links, its dials'
//!   outcomes, its grant writes' and fence commands' completions wait, in order; its
//!   timers do not fire; its components and client keep running (their watchdogs see it
//!   silent). At the resume it reads what waited, then runs its timers, late (the order of
//!   the driver: "read before judging", `node/src/driver/run.rs`).

use super::network::Delivery;
use super::world::{Action, World};
use baton_core::LinkId;
use baton_election::{Grant, Member as MemberIndex, PersistedGrant, Round};
use baton_engine::LinkKind;
use std::collections::VecDeque;
use std::time::Duration;

/// `state_dir/grant` of one member, and the writes in progress.
#[derive(Debug, Clone, Default)]
pub struct GrantFile {
    /// What the file holds (`None`: no file, or lost).
    pub stored: Option<Grant>,
    /// Writes asked for and not completed yet, oldest first.
    pub writing: VecDeque<Grant>,
}

impl GrantFile {
    /// What a node starting now reads.
    pub fn persisted(&self) -> PersistedGrant {
        self.stored
            .map_or(PersistedGrant::Unknown, PersistedGrant::Known)
    }
}

/// An input that waits for a stalled node.
#[derive(Debug, Clone)]
pub(crate) enum Held {
    /// A frame or a close on a link.
    Delivery(Delivery),
    /// A link opened to it (accepted, or a component or client connected).
    Opened(LinkId, LinkKind),
    /// An action of the agenda for it (its dial, a grant write, a fence command).
    Action(Action),
}

impl World {
    /// The node of member `m` asked to persist `round`, `member`.
    pub(crate) fn persist_grant(&mut self, m: usize, round: Round, member: usize) {
        let grant = Grant {
            round,
            member: MemberIndex(member),
        };
        let file = &mut self.members[m].grant;
        let first = file.writing.is_empty();
        file.writing.push_back(grant);
        if first {
            self.schedule_write(m);
        }
    }

    fn schedule_write(&mut self, m: usize) {
        let d = self
            .rng
            .duration(Duration::from_micros(200), Duration::from_millis(15));
        let incarnation = self.members[m].incarnation;
        self.schedule(self.now + d, Action::GrantWritten(m, incarnation));
    }

    /// The oldest write of member `m` completed: on disk now; the node hears of it.
    pub(crate) fn grant_written(&mut self, m: usize, incarnation: u32) {
        if self.members[m].incarnation != incarnation || self.members[m].node.is_none() {
            return;
        }
        let file = &mut self.members[m].grant;
        let Some(grant) = file.writing.pop_front() else {
            return;
        };
        file.stored = Some(grant);
        let more = !file.writing.is_empty();
        self.log(|| format!("n{m}: grant ({}, {}) on disk", grant.round, grant.member.0));
        let now = self.local(m);
        if let Some(node) = self.members[m].node.as_mut() {
            node.handle_grant_persisted(now, grant.round, grant.member.0);
        }
        self.drain_node(m);
        if more {
            self.schedule_write(m);
        }
    }

    /// Member `m`'s node asked to fence member `target`: the command ends 10-200 ms later.
    pub(crate) fn start_fence(&mut self, m: usize, target: usize) {
        let d = self
            .rng
            .duration(Duration::from_millis(10), Duration::from_millis(200));
        let incarnation = self.members[m].incarnation;
        self.schedule(self.now + d, Action::FenceDone(m, incarnation, target));
    }

    /// Member `m`'s fence command against `target` ended: it succeeds if `target` is down,
    /// or reachable (it kills it); it fails against a live host across a partition.
    pub(crate) fn fence_done(&mut self, m: usize, incarnation: u32, target: usize) {
        if self.members[m].incarnation != incarnation || self.members[m].node.is_none() {
            return;
        }
        let ok = match self.members[target].node {
            None => true,
            Some(_) if self.net.is_cut(m, target) => false,
            Some(_) => {
                self.fence_kill(target);
                true
            }
        };
        self.log(|| format!("n{m}: fence command against n{target}: ok={ok}"));
        let name = super::topology::member_name(target);
        let now = self.local(m);
        if let Some(node) = self.members[m].node.as_mut() {
            node.handle_fence_done(now, &name, ok);
        }
        self.drain_node(m);
    }

    /// Stops member `m`'s node process (nothing if it is down or stopped already).
    pub fn stall(&mut self, m: usize) {
        if self.members[m].node.is_none() || self.members[m].stalled {
            return;
        }
        self.note(format!("stall n{m}"));
        self.members[m].stalled = true;
    }

    /// Resumes member `m`'s stopped node: it reads what waited, then runs its timers.
    pub fn resume(&mut self, m: usize) {
        if !self.members[m].stalled {
            return;
        }
        self.note(format!("resume n{m}"));
        self.members[m].stalled = false;
        self.members[m].resuming = true;
        while let Some(input) = self.members[m].held.pop_front() {
            match input {
                Held::Delivery(d) => self.deliver(d),
                Held::Opened(link, kind) => {
                    let now = self.local(m);
                    if let Some(node) = self.members[m].node.as_mut() {
                        node.handle_link_opened(now, link, kind);
                    }
                }
                Held::Action(a) => self.act(a),
            }
            self.drain_node(m);
        }
        self.members[m].resuming = false;
        let now = self.local(m);
        if let Some(node) = self.members[m].node.as_mut() {
            if node.poll_timeout().is_some_and(|t| t <= now) {
                node.handle_timeout(now);
            }
        }
        self.drain_node(m);
    }

    /// Whether member `m`'s node is up and stopped: its inputs wait.
    pub(crate) fn is_stalled(&self, m: usize) -> bool {
        self.members[m].node.is_some() && self.members[m].stalled
    }
}
