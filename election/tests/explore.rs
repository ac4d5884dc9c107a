//! A small exhaustive exploration of two Elections (a poor man's model checker, until the
//! conformance crate's stateright model exists): every interleaving of message delivery,
//! role-layer answers, timer expiries and a bounded number of faults, checking PROTOCOL 5.8:
//! - property 1: without partitions, at most one live node is Promoting or Active;
//! - property 2: no node is Active unless its latest promotion succeeded;
//! - properties 3 and 4: from every reached state, once faults stop (and a partition heals),
//!   a fair run reaches one Active and one Standby with nothing in flight;
//! - property 5 (heal by generation, PROTOCOL 5.11): there, the Active holds the newest round
//!   (on equal rounds it outranks the Standby).

use baton_asn1::election::ElectionMessage;
use baton_core::{Instant, LinkId};
use baton_election::{Config, Election, Event, Generation, Member, NodeRole, Role};
use std::collections::{HashSet, VecDeque};
use std::hash::{Hash, Hasher};

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
struct Node {
    e: Option<Election>,
    /// Latest command and whether the role layer confirmed it.
    cmd: Option<(Role, Generation)>,
    confirmed: bool,
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
struct Budget {
    crashes: u8,
    failures: u8,
    switchovers: u8,
    partitions: u8,
    /// Fatal component failures (never cleared; a restart forgets them).
    fatals: u8,
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
struct State {
    n: [Node; 2],
    link: Option<LinkId>,
    next_link: u64,
    /// wire[i]: messages in flight to node i, FIFO.
    wire: [VecDeque<ElectionMessage>; 2],
    now: Instant,
    budget: Budget,
    partitioned_ever: bool,
    /// Until the first partition, a link comes up as soon as both nodes run (before any
    /// startup_wait can expire); after it, link-up is one more nondeterministic step.
    urgent_link: bool,
}

thread_local! {
    static PREEMPT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn config(me: usize) -> Config {
    let mut c = Config::pair(["a", "b"], me);
    c.preempt = PREEMPT.with(|p| p.get());
    c
}

impl State {
    fn new(budget: Budget, urgent_link: bool) -> Self {
        let node = |me| Node {
            e: Some(Election::new(config(me), Instant::ZERO).unwrap()),
            cmd: None,
            confirmed: false,
        };
        State {
            n: [node(0), node(1)],
            link: None,
            next_link: 1,
            wire: [VecDeque::new(), VecDeque::new()],
            now: Instant::ZERO,
            budget,
            partitioned_ever: false,
            urgent_link,
        }
        .connected()
    }

    fn flush(&mut self, i: usize) {
        let Some(e) = self.n[i].e.as_mut() else {
            return;
        };
        while let Some(t) = e.poll_transmit() {
            assert_eq!(Some(t.link), self.link);
            self.wire[t.to.0].push_back(t.message);
        }
        while let Some(ev) = e.poll_event() {
            match ev {
                Event::SetComponents { role, generation } => {
                    self.n[i].cmd = Some((role, generation));
                    self.n[i].confirmed = false;
                }
                Event::PeerMisbehaved { .. } | Event::NominationRefused { .. } => {
                    panic!("a correct peer misbehaved: {ev:?}")
                }
                Event::Fence { .. } => panic!("fencing is off: {ev:?}"),
                Event::PersistGrant(_) | Event::Etcd(_) => {
                    panic!("pair mode persists nothing and has no etcd: {ev:?}")
                }
                Event::RoleChanged { .. } => {}
            }
        }
    }

    fn link_down(&mut self, i: usize) {
        if let (Some(link), Some(e)) = (self.link, self.n[i].e.as_mut()) {
            e.handle_link_down(self.now, link);
            self.flush(i);
        }
    }

    fn check(&self) {
        let serving = self
            .n
            .iter()
            .filter_map(|n| n.e.as_ref())
            .filter(|e| e.role().is_promoting_or_active())
            .count();
        if !self.partitioned_ever {
            assert!(serving <= 1, "property 1 violated: {self:#?}");
        }
        for n in &self.n {
            if let Some(e) = &n.e {
                if e.role() == NodeRole::Active {
                    assert!(
                        n.cmd
                            .is_some_and(|(r, g)| r == Role::active && g == e.generation())
                            && n.confirmed,
                        "property 2 violated: {self:#?}"
                    );
                }
            }
        }
    }

    /// Every successor (faults included while the budget lasts).
    fn successors(&self, faults: bool) -> Vec<State> {
        let mut out = Vec::new();
        for i in 0..2 {
            // deliver
            if self.link.is_some() && !self.wire[i].is_empty() && self.n[i].e.is_some() {
                let mut s = self.clone();
                let msg = s.wire[i].pop_front().unwrap();
                let (now, link) = (s.now, s.link.unwrap());
                s.n[i].e.as_mut().unwrap().handle_message(now, link, msg);
                s.flush(i);
                out.push(s);
            }
            if self.n[i].e.is_some() {
                // role layer
                if let Some((role, g)) = self.n[i].cmd.filter(|_| !self.n[i].confirmed) {
                    let mut s = self.clone();
                    s.n[i].confirmed = true;
                    let now = s.now;
                    s.n[i].e.as_mut().unwrap().handle_components_done(now, g);
                    s.flush(i);
                    out.push(s);
                    if role == Role::active && faults && self.budget.failures > 0 {
                        let mut s = self.clone();
                        s.budget.failures -= 1;
                        s.n[i].cmd = None;
                        s.n[i].e.as_mut().unwrap().handle_promotion_failed(now, g);
                        s.flush(i);
                        out.push(s);
                    }
                }
                // timer
                if let Some(at) = self.n[i].e.as_ref().unwrap().poll_timeout() {
                    let mut s = self.clone();
                    s.now = s.now.max(at);
                    let now = s.now;
                    s.n[i].e.as_mut().unwrap().handle_timeout(now);
                    s.flush(i);
                    out.push(s);
                }
            }
            if faults {
                // crash
                if self.n[i].e.is_some() && self.budget.crashes > 0 {
                    let mut s = self.clone();
                    s.budget.crashes -= 1;
                    s.n[i] = Node {
                        e: None,
                        cmd: None,
                        confirmed: false,
                    };
                    s.link_down(1 - i);
                    s.link = None;
                    s.wire = [VecDeque::new(), VecDeque::new()];
                    out.push(s);
                }
                // fatal component failure
                if self.budget.fatals > 0 && self.n[i].e.as_ref().is_some_and(|e| !e.is_fatal()) {
                    let mut s = self.clone();
                    s.budget.fatals -= 1;
                    let now = s.now;
                    s.n[i].e.as_mut().unwrap().handle_fatal(now);
                    s.flush(i);
                    out.push(s);
                }
                // switchover
                if self.budget.switchovers > 0 {
                    let mut s = self.clone();
                    if let Some(e) = s.n[i].e.as_mut() {
                        if e.switchover(s.now).is_ok() {
                            s.budget.switchovers -= 1;
                            s.flush(i);
                            out.push(s);
                        }
                    }
                }
            }
            // restart
            if self.n[i].e.is_none() {
                let mut s = self.clone();
                let mut c = config(i);
                c.first_correlation_id = 1000 * (s.next_link + 1);
                s.n[i].e = Some(Election::new(c, s.now).unwrap());
                if s.urgent_link && s.n[1 - i].e.is_some() {
                    s = s.connected();
                }
                out.push(s);
            }
        }
        if self.link.is_none() && self.n.iter().all(|n| n.e.is_some()) && !self.urgent_link {
            out.push(self.connected());
        }
        if faults && self.link.is_some() && self.budget.partitions > 0 {
            let mut s = self.clone();
            s.budget.partitions -= 1;
            s.partitioned_ever = true;
            s.urgent_link = false;
            s.link_down(0);
            s.link_down(1);
            s.link = None;
            s.wire = [VecDeque::new(), VecDeque::new()];
            out.push(s);
        }
        out
    }

    fn connected(&self) -> State {
        let mut s = self.clone();
        let link = LinkId(s.next_link);
        s.next_link += 1;
        s.link = Some(link);
        for i in 0..2 {
            let now = s.now;
            s.n[i]
                .e
                .as_mut()
                .unwrap()
                .handle_link_up(now, link, Member(1 - i));
            s.flush(i);
        }
        s
    }

    fn converged(&self) -> bool {
        let (Some(a), Some(b)) = (&self.n[0].e, &self.n[1].e) else {
            return false;
        };
        let mut roles = [a.role(), b.role()];
        roles.sort();
        self.link.is_some()
            && self.wire.iter().all(VecDeque::is_empty)
            && roles == [NodeRole::Standby, NodeRole::Active]
            && a.is_settled()
            && b.is_settled()
            && a.poll_timeout().is_none()
            && b.poll_timeout().is_none()
            && self.n.iter().all(|n| n.cmd.is_none() || n.confirmed)
    }

    /// PROTOCOL 5.8 property 5 (heal by generation, 5.11): converged, the Active holds the
    /// newest round; on equal rounds it outranks the Standby.
    fn check_newest_serves(&self) {
        let (Some(a), Some(b)) = (&self.n[0].e, &self.n[1].e) else {
            return;
        };
        let (active, standby) = if a.role() == NodeRole::Active {
            (a, b)
        } else {
            (b, a)
        };
        let (ra, rs) = (active.round(), standby.round());
        assert!(
            ra > rs || (ra == rs && active.me() < standby.me()),
            "property 5 violated: active round {ra}, standby round {rs}: {self:#?}"
        );
    }

    /// Faults stop: a fair run (restart, heal, deliver, confirm, then timers) must converge,
    /// and stay converged.
    fn assert_converges(&self) {
        let mut s = self.clone();
        s.partitioned_ever = true; // a healing partition may briefly show two actives
        s.urgent_link = false;
        for _ in 0..200 {
            if s.converged() {
                s.check();
                s.check_newest_serves();
                return;
            }
            let succ = s.successors(false);
            // Prefer anything but a timer: deliveries and role answers first.
            let pick = succ
                .iter()
                .find(|t| t.now == s.now && **t != s)
                .or_else(|| succ.first())
                .cloned();
            match pick {
                Some(t) => s = t,
                None => panic!("stuck: {s:#?}"),
            }
        }
        panic!("no convergence after 200 steps from {self:#?}\nreached {s:#?}");
    }
}

/// Search depth: `release` steps in release builds (three fewer in debug builds, which are
/// much slower), or `BATON_EXPLORE_DEPTH` for a deeper run.
fn depth(release: usize) -> usize {
    let default = if cfg!(debug_assertions) {
        release - 3
    } else {
        release
    };
    std::env::var("BATON_EXPLORE_DEPTH")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(default)
}

/// Breadth-first over every state within `max_depth` steps; each new state is checked
/// (properties 1 and 2) and must converge once faults stop (properties 3 and 4). Visited
/// states are kept as 64-bit hashes to bound memory.
fn explore(budget: Budget, max_depth: usize) -> usize {
    let fingerprint = |s: &State| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        s.hash(&mut h);
        h.finish()
    };
    let init = State::new(budget, true);
    init.assert_converges();
    let mut seen = HashSet::new();
    seen.insert(fingerprint(&init));
    let mut frontier = vec![init];
    for _ in 0..max_depth {
        let mut next = Vec::new();
        for s in frontier {
            for t in s.successors(true) {
                if seen.insert(fingerprint(&t)) {
                    t.check();
                    t.assert_converges();
                    next.push(t);
                }
            }
        }
        frontier = next;
        if frontier.is_empty() {
            break;
        }
    }
    seen.len()
}

#[test]
fn explore_crashes_failures_switchovers() {
    let n = explore(
        Budget {
            crashes: 2,
            failures: 2,
            switchovers: 1,
            partitions: 0,
            fatals: 0,
        },
        depth(14),
    );
    eprintln!("explored {n} states");
    assert!(n > 1000);
}

#[test]
fn explore_with_a_partition() {
    let n = explore(
        Budget {
            crashes: 1,
            failures: 1,
            switchovers: 1,
            partitions: 1,
            fatals: 0,
        },
        depth(14),
    );
    eprintln!("explored {n} states");
    assert!(n > 1000);
}

#[test]
fn explore_fatal_failures() {
    let n = explore(
        Budget {
            crashes: 1,
            failures: 1,
            switchovers: 1,
            partitions: 0,
            fatals: 1,
        },
        depth(14),
    );
    eprintln!("explored {n} states");
    assert!(n > 1000);
}

#[test]
fn explore_with_preempt() {
    PREEMPT.with(|p| p.set(true));
    let n = explore(
        Budget {
            crashes: 1,
            failures: 1,
            switchovers: 1,
            partitions: 1,
            fatals: 0,
        },
        depth(14),
    );
    eprintln!("explored {n} states");
    assert!(n > 1000);
}
