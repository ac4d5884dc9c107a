//! The scenario methods that inject faults (by hand in the tests, or from the plan of
//! [`super::faults`]): crash and restart, partitions, resets, refusals, switchovers.

use super::faults::Step;
use super::network::{Class, End};
use super::world::World;
use baton_election::{NodeRole, UsageError};
use std::time::Duration;

impl World {
    pub(crate) fn note(&mut self, line: String) {
        let at = super::trace::millis(self.now);
        self.plan.applied.push(format!("{at} {line}"));
        self.log(|| format!("FAULT {line}"));
    }

    /// Member `m`'s node crashes (process death): its links close (FIN after what it sent),
    /// its components and client learn it from their links. No restart is planned.
    pub fn crash(&mut self, m: usize) {
        if self.members[m].node.is_none() {
            return;
        }
        let role = self.role(m);
        self.note(format!(
            "crash n{m} (was {})",
            role.map_or("?", |r| r.status_word())
        ));
        let member = &mut self.members[m];
        member.node = None;
        member.crashed_at = Some(self.now);
        member.stalled = false;
        member.held.clear();
        // A write in progress is lost (no rename yet); a completed one stays.
        member.grant.writing.clear();
        for class in [Class::Peer, Class::Component, Class::Client] {
            for link in self.net.open_links_of(End::Node(m), class) {
                self.net.close(self.now, &mut self.rng, link, End::Node(m));
            }
        }
    }

    /// Restarts crashed member `m`: a fresh node in `Negotiating`; its components and client
    /// reconnect, the peer link is dialled again. Nothing if it is up.
    pub fn restart(&mut self, m: usize) {
        if self.members[m].node.is_some() {
            return;
        }
        let lost = self.lost_grants && self.rng.chance(1, 2);
        if lost {
            self.members[m].grant.stored = None;
        }
        self.note(format!(
            "restart n{m}{}",
            if lost { " (grant file lost)" } else { "" }
        ));
        self.start_node(m);
    }

    /// Partitions members `a` and `b`: their peer links stall silently (the dead interval
    /// must notice). Property 1 is not checked again until the pair is reconciled.
    pub fn partition(&mut self, a: usize, b: usize) {
        self.note(format!("partition n{a} | n{b}"));
        self.net.partition(a, b);
        self.record.split_allowed(self.now);
    }

    /// Heals the partition between `a` and `b` (nothing if none).
    pub fn heal(&mut self, a: usize, b: usize) {
        if self.net.is_cut(a, b) {
            self.note(format!("heal n{a} | n{b}"));
            self.net.heal(self.now, &mut self.rng, a, b);
            // The held frames arrive within a latency; until a dead interval has passed
            // after that, either node may still declare the other dead.
            let settle = self.now + Duration::from_millis(300) + self.net.config().peer_latency.1;
            self.record.settle_until = self.record.settle_until.max(settle);
        }
    }

    /// Resets peer link `link`: what is in flight is lost, both ends close. Each node then
    /// sees its peer down while it lives, as in a partition: property 1 is suspended until
    /// the pair is reconciled.
    pub fn reset_link(&mut self, link: baton_core::LinkId) {
        self.note(format!("reset {link}"));
        self.net.reset(self.now, &mut self.rng, link);
        self.record.split_allowed(self.now);
        self.record.reset_links.insert(link);
    }

    /// Resets every peer link between `a` and `b`.
    pub fn reset_peer_links(&mut self, a: usize, b: usize) {
        let mut links = self.peer_links(a, b);
        links.extend(self.peer_links(b, a));
        links.sort();
        links.dedup();
        for l in links {
            self.reset_link(l);
        }
    }

    /// Component `c` of member `m` refuses `setRole active` for `d` (with `stall`: leaves it
    /// unanswered, so the node's role timeout fires).
    pub fn refuse(&mut self, m: usize, c: usize, d: Duration, stall: bool) {
        let how = if stall { "stalls on" } else { "refuses" };
        self.note(format!("n{m}c{c} {how} setRole active for {d:?}"));
        let comp = &mut self.members[m].components[c];
        comp.refuse_until = self.now + d;
        comp.stall = stall;
    }

    /// Planned switchover on member `m` ([`baton_engine::Node::switchover`]).
    ///
    /// # Errors
    /// The node's refusal (not Active, peer down); also `NotActive` if it is crashed.
    pub fn switchover(&mut self, m: usize) -> Result<(), UsageError> {
        let now = self.local(m);
        let result = match self.members[m].node.as_mut() {
            Some(node) => node.switchover(now),
            None => Err(UsageError::NotActive(NodeRole::Negotiating)),
        };
        self.note(format!("switchover on n{m}: {result:?}"));
        self.drain_node(m);
        result
    }
}

impl World {
    /// Cuts the members of `mask` (bit m = member m) from every other member.
    pub fn isolate(&mut self, mask: u32) {
        self.note(format!("isolate {}", members_of(mask)));
        let n = self.members.len();
        for a in (0..n).filter(|a| mask & (1 << a) != 0) {
            for b in (0..n).filter(|b| mask & (1 << b) == 0) {
                self.net.partition(a, b);
            }
        }
        self.record.split_allowed(self.now);
    }

    /// Heals every cut between the members of `mask` and the others.
    pub fn join(&mut self, mask: u32) {
        let n = self.members.len();
        for a in (0..n).filter(|a| mask & (1 << a) != 0) {
            for b in (0..n).filter(|b| mask & (1 << b) == 0) {
                self.heal(a, b);
            }
        }
    }

    /// A fence command kills member `m` (a STONITH agent power-cycles the host): a crash,
    /// and a restart 0.5-1.5 s later.
    pub(crate) fn fence_kill(&mut self, m: usize) {
        self.note(format!("fence kills n{m}"));
        self.crash(m);
        let at = self.now
            + self
                .rng
                .duration(Duration::from_millis(500), Duration::from_millis(1500));
        self.plan_step(at, Step::Restart(m));
    }
}

fn members_of(mask: u32) -> String {
    (0..32)
        .filter(|m| mask & (1 << m) != 0)
        .map(|m| format!("n{m}"))
        .collect::<Vec<_>>()
        .join(",")
}
