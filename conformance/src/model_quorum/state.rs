//! The quorum model's state and its transitions, shared by the checker
//! ([`super::QuorumModel`]) and the seeded random walk ([`super::walk`]).
//!
//! Time is global ticks of real time ([`super::Setup::tick`]); each host's clock advances by
//! `tick × rate / 1000` per tick, its rate fixed per host within `1 ± ρ`. Every other action
//! happens at the instant of the current tick.

use super::Setup;
use baton_asn1::election::ElectionMessage;
use baton_core::{Instant, LinkId};
use baton_election::{Election, Event, Generation, Grant, NodeRole, PersistedGrant, Role};
use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};

/// Faults spent so far (the boundary keeps them within [`super::Bounds`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Spent {
    /// Process crashes.
    pub crashes: u8,
    /// Restarts that found the grant file lost (`PersistedGrant::Unknown`).
    pub lost_grants: u8,
    /// Link cuts.
    pub cuts: u8,
    /// Messages lost.
    pub losses: u8,
    /// Messages delivered and kept in flight (delivered again later).
    pub duplicates: u8,
    /// Promotions the role layer failed.
    pub failures: u8,
}

/// One running process: the real Election and what its caller holds for it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Proc {
    /// The Election under test.
    pub election: Election,
    /// A `PersistGrant` not yet written (the caller writes it, then calls
    /// `handle_grant_persisted`).
    pub persist: Option<Grant>,
    /// The latest `SetComponents` command, its generation and the tick it was issued.
    pub command: Option<(Role, Generation, u32)>,
    /// The role layer confirmed the command.
    pub confirmed: bool,
}

/// One host: its clock, its process (absent while crashed), its grant file, its components.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Host {
    /// Clock rate in parts per thousand of real time.
    pub rate: u32,
    /// The host's clock (what its Election is given as `now`).
    pub clock: Instant,
    /// The process, `None` while crashed.
    pub proc: Option<Proc>,
    /// The grant file (`None`: never written).
    pub grant_file: Option<Grant>,
    /// The components may be active (from `SetComponents(active)` until they stopped).
    pub components_live: bool,
    /// The tick by which live components have stopped for sure: a demotion's or a crash's
    /// demotion bound `D` (the component watchdog or guard).
    pub stop_by: Option<u32>,
}

/// A message in flight on the link of a pair.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Envelope {
    /// Sender.
    pub from: usize,
    /// Receiver.
    pub to: usize,
    /// The tick it was sent.
    pub sent: u32,
    /// The message.
    pub msg: ElectionMessage,
}

impl Envelope {
    fn key(&self) -> (usize, usize, u32, u64) {
        let mut h = DefaultHasher::new();
        self.msg.hash(&mut h);
        (self.from, self.to, self.sent, h.finish())
    }
}

/// The whole model state.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct State {
    /// Real time, in ticks.
    pub now: u32,
    /// The tick the exploration started at (the horizon counts from it).
    pub start: u32,
    /// The hosts, by member index.
    pub hosts: Vec<Host>,
    /// Messages in flight, sorted (a multiset).
    pub net: Vec<Envelope>,
    /// Cut pairs `(i, j)`, `i < j`: no link between them.
    pub cut: BTreeSet<(usize, usize)>,
    /// `(i, j)`: member `i`'s Election has its link to `j` up (it may be dead without `i`
    /// knowing yet: failure detection is not instant).
    pub views: BTreeSet<(usize, usize)>,
    /// `(round, member)` for every member seen `Promoting` or `Active` under a round it won.
    pub winners: BTreeSet<(u32, usize)>,
    /// A correct peer was reported misbehaving.
    pub misbehaviour: bool,
    /// Faults spent.
    pub spent: Spent,
    /// The tick of the last fault (crash, cut, loss, duplicate, failure), for convergence.
    pub last_fault: u32,
}

/// What can happen next.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Deliver the message at this index of `net`.
    Deliver(usize),
    /// Deliver it and keep a copy in flight (duplication).
    Duplicate(usize),
    /// Lose it.
    Lose(usize),
    /// Member `m`'s grant is written; `handle_grant_persisted`.
    Persist(usize),
    /// Member `m`'s components confirm its latest command.
    Confirm(usize),
    /// Member `m`'s promotion fails.
    Fail(usize),
    /// Member `m`'s process crashes.
    Crash(usize),
    /// Member `m` restarts from its grant file.
    Restart(usize),
    /// Member `m` restarts and its grant file is gone (`PersistedGrant::Unknown`).
    RestartLost(usize),
    /// The link between `i` and `j` is cut (both ends see it down).
    Cut(usize, usize),
    /// The cut between `i` and `j` heals (the link comes up if both run).
    Heal(usize, usize),
    /// One tick of real time passes: clocks advance, due timers fire, demotion bounds stop
    /// components.
    Tick,
}

/// The `LinkId` of the link between `i` and `j` (the same at both ends; a link that went
/// down takes nothing of its own with it: its messages are dropped).
pub fn link_of(i: usize, j: usize) -> LinkId {
    let (a, b) = if i < j { (i, j) } else { (j, i) };
    LinkId(100 + (a * 16 + b) as u64)
}

/// Whether the node's own role counts as serving.
pub fn serving_role(r: NodeRole) -> bool {
    matches!(r, NodeRole::Promoting | NodeRole::Active)
}

impl State {
    /// Whether member `m` may be serving now: its process is `Promoting`/`Active`, or its
    /// components have not stopped yet.
    pub fn serving(&self, m: usize) -> bool {
        let h = &self.hosts[m];
        h.components_live
            || h.proc
                .as_ref()
                .is_some_and(|p| serving_role(p.election.role()))
    }

    /// Members that may be serving now.
    pub fn servers(&self) -> Vec<usize> {
        (0..self.hosts.len()).filter(|m| self.serving(*m)).collect()
    }

    /// The Election of member `m`, if running.
    pub fn election(&self, m: usize) -> Option<&Election> {
        self.hosts[m].proc.as_ref().map(|p| &p.election)
    }

    fn linked(&self, i: usize, j: usize) -> bool {
        let (a, b) = if i < j { (i, j) } else { (j, i) };
        i != j
            && !self.cut.contains(&(a, b))
            && self.hosts[i].proc.is_some()
            && self.hosts[j].proc.is_some()
    }

    /// The actions enabled in this state (faults included while the budgets of `setup`
    /// allow; the boundary re-checks them).
    pub fn actions(&self, setup: &Setup, out: &mut Vec<Action>) {
        let b = &setup.bounds;
        let n = self.hosts.len();
        for (k, e) in self.net.iter().enumerate() {
            out.push(Action::Deliver(k));
            if self.spent.duplicates < b.duplicates {
                out.push(Action::Duplicate(k));
            }
            if self.spent.losses < b.losses {
                out.push(Action::Lose(k));
            }
            let _ = e;
        }
        for m in 0..n {
            let h = &self.hosts[m];
            match &h.proc {
                Some(p) => {
                    if p.persist.is_some() {
                        out.push(Action::Persist(m));
                    }
                    if let Some((role, _, _)) = p.command {
                        if !p.confirmed {
                            out.push(Action::Confirm(m));
                            if role == Role::active && self.spent.failures < b.failures {
                                out.push(Action::Fail(m));
                            }
                        }
                    }
                    if self.spent.crashes < b.crashes {
                        out.push(Action::Crash(m));
                    }
                }
                None => {
                    out.push(Action::Restart(m));
                    if self.spent.lost_grants < b.lost_grants {
                        out.push(Action::RestartLost(m));
                    }
                }
            }
            for j in m + 1..n {
                if self.cut.contains(&(m, j)) {
                    out.push(Action::Heal(m, j));
                } else if self.spent.cuts < b.cuts {
                    out.push(Action::Cut(m, j));
                }
            }
        }
        if self.tick_enabled(setup) {
            out.push(Action::Tick);
        }
    }

    /// Time may pass unless something urgent is due first: a message older than
    /// `max_delay` ticks, a grant not yet written, an unconfirmed promotion.
    pub fn tick_enabled(&self, setup: &Setup) -> bool {
        self.now < self.start.saturating_add(setup.horizon)
            && self
                .net
                .iter()
                .all(|e| e.sent + setup.max_delay > self.now + 1)
            && self.hosts.iter().all(|h| {
                h.proc.as_ref().is_none_or(|p| {
                    let promoting = p.command.is_some_and(|(r, _, _)| r == Role::active);
                    p.persist.is_none() && (p.confirmed || !promoting)
                })
            })
    }

    /// The state after `action`, `None` if it is not enabled.
    pub fn next(&self, setup: &Setup, action: &Action) -> Option<State> {
        let mut s = self.clone();
        s.step(setup, action).then_some(s)
    }

    /// Applies `action` in place; `false` (and the state may be half changed) if it was not
    /// enabled. For runs that never go back (the fair run).
    pub fn step(&mut self, setup: &Setup, action: &Action) -> bool {
        let Some(fault) = self.apply(setup, action) else {
            return false;
        };
        if fault {
            self.last_fault = self.now;
        }
        self.record();
        true
    }

    /// Applies `action`; `Some(true)` if it was a fault.
    fn apply(&mut self, setup: &Setup, action: &Action) -> Option<bool> {
        match *action {
            Action::Deliver(k) => {
                let e = self.net.get(k)?.clone();
                self.net.remove(k);
                self.deliver(setup, e);
                Some(false)
            }
            Action::Duplicate(k) => {
                let e = self.net.get(k)?.clone();
                self.spent.duplicates += 1;
                self.deliver(setup, e);
                Some(true)
            }
            Action::Lose(k) => {
                self.net.get(k)?;
                self.net.remove(k);
                self.spent.losses += 1;
                Some(true)
            }
            Action::Persist(m) => {
                let p = self.hosts[m].proc.as_mut()?;
                let g = p.persist.take()?;
                self.hosts[m].grant_file = Some(g);
                let now = self.hosts[m].clock;
                self.with(setup, m, |e| e.handle_grant_persisted(now, g));
                Some(false)
            }
            Action::Confirm(m) => {
                let (role, generation) = self.command(m)?;
                self.confirm(setup, m, role, generation);
                Some(false)
            }
            Action::Fail(m) => {
                let (role, generation) = self.command(m)?;
                if role != Role::active {
                    return None;
                }
                self.spent.failures += 1;
                self.hosts[m].proc.as_mut()?.confirmed = true;
                let now = self.hosts[m].clock;
                self.with(setup, m, |e| e.handle_promotion_failed(now, generation));
                Some(true)
            }
            Action::Crash(m) => {
                self.hosts[m].proc.as_ref()?;
                self.spent.crashes += 1;
                self.hosts[m].proc = None;
                self.views.retain(|(x, _)| *x != m);
                // What it sent may still arrive; what was sent to it is lost.
                self.net.retain(|e| e.to != m);
                for j in 0..self.hosts.len() {
                    if setup.detect {
                        self.view_down(setup, j, m);
                    }
                }
                let h = &mut self.hosts[m];
                if h.components_live {
                    let by = self.now + setup.demotion_ticks();
                    h.stop_by = Some(h.stop_by.map_or(by, |t| t.min(by)));
                }
                Some(true)
            }
            Action::Restart(m) | Action::RestartLost(m) => {
                if self.hosts[m].proc.is_some() {
                    return None;
                }
                let lost = matches!(action, Action::RestartLost(_));
                if lost {
                    self.spent.lost_grants += 1;
                    self.hosts[m].grant_file = None;
                }
                self.start(setup, m, lost);
                Some(lost)
            }
            Action::Cut(i, j) => {
                if !self.cut.insert((i, j)) {
                    return None;
                }
                self.spent.cuts += 1;
                self.purge(i, j);
                if setup.detect {
                    self.view_down(setup, i, j);
                    self.view_down(setup, j, i);
                }
                Some(true)
            }
            Action::Heal(i, j) => {
                if !self.cut.remove(&(i, j)) {
                    return None;
                }
                if self.linked(i, j) {
                    self.connect(setup, i, j);
                }
                Some(false)
            }
            Action::Tick => {
                if !self.tick_enabled(setup) {
                    return None;
                }
                self.tick(setup);
                Some(false)
            }
        }
    }

    fn command(&self, m: usize) -> Option<(Role, Generation)> {
        let p = self.hosts[m].proc.as_ref()?;
        let (role, generation, _) = p.command?;
        (!p.confirmed).then_some((role, generation))
    }

    fn confirm(&mut self, setup: &Setup, m: usize, role: Role, generation: Generation) {
        let h = &mut self.hosts[m];
        if let Some(p) = h.proc.as_mut() {
            p.confirmed = true;
        }
        if role == Role::standby {
            h.components_live = false;
            h.stop_by = None;
        }
        let now = h.clock;
        self.with(setup, m, |e| e.handle_components_done(now, generation));
    }

    /// A fresh process for member `m` (at start or restart), from its grant file.
    pub(crate) fn start(&mut self, setup: &Setup, m: usize, lost: bool) {
        let mut cfg = setup.config(m);
        // No file (first start, or lost) and a corrupt one are the same to the Election.
        cfg.persisted = match (self.hosts[m].grant_file, lost) {
            (Some(g), false) => PersistedGrant::Known(g),
            _ => PersistedGrant::Unknown,
        };
        let now = self.hosts[m].clock;
        let election = Election::new(cfg, now).expect("the model's configuration is valid");
        self.hosts[m].proc = Some(Proc {
            election,
            persist: None,
            command: None,
            confirmed: false,
        });
        self.drain(setup, m);
        for j in 0..self.hosts.len() {
            if self.linked(m, j) {
                self.connect(setup, m, j);
            }
        }
    }

    /// A new connection between `i` and `j`: a stale link at either end is noticed down
    /// first (the new connection replaces it), its frames are gone; then both ends see the
    /// link up.
    fn connect(&mut self, setup: &Setup, i: usize, j: usize) {
        self.view_down(setup, i, j);
        self.view_down(setup, j, i);
        self.purge(i, j);
        for (x, y) in [(i, j), (j, i)] {
            self.views.insert((x, y));
            let now = self.hosts[x].clock;
            self.with(setup, x, |e| {
                e.handle_link_up(now, link_of(x, y), baton_election::Member(y))
            });
        }
    }

    /// Member `x` notices its link to `y` down (if it had it up).
    fn view_down(&mut self, setup: &Setup, x: usize, y: usize) {
        if self.views.remove(&(x, y)) {
            let now = self.hosts[x].clock;
            self.with(setup, x, |e| e.handle_link_down(now, link_of(x, y)));
        }
    }

    /// Frames in flight between `i` and `j` are lost.
    fn purge(&mut self, i: usize, j: usize) {
        self.net
            .retain(|e| !((e.from == i && e.to == j) || (e.from == j && e.to == i)));
    }

    fn deliver(&mut self, setup: &Setup, e: Envelope) {
        if !self.views.contains(&(e.to, e.from)) || self.hosts[e.to].proc.is_none() {
            return;
        }
        let now = self.hosts[e.to].clock;
        let link = link_of(e.from, e.to);
        self.with(setup, e.to, |el| el.handle_message(now, link, e.msg));
    }

    fn tick(&mut self, setup: &Setup) {
        self.now += 1;
        let step = setup.tick.as_micros() as u64;
        for m in 0..self.hosts.len() {
            let h = &mut self.hosts[m];
            h.clock += std::time::Duration::from_micros(step * u64::from(h.rate) / 1000);
            // The demotion bound: the components have stopped (the role layer's answer, or
            // the watchdog/guard of a crashed node).
            if h.stop_by.is_some_and(|t| t <= self.now) {
                let pending = self.command(m);
                if let Some((role, generation)) = pending.filter(|(r, _)| *r == Role::standby) {
                    self.confirm(setup, m, role, generation);
                } else {
                    let h = &mut self.hosts[m];
                    h.components_live = false;
                    h.stop_by = None;
                }
            }
        }
        for m in 0..self.hosts.len() {
            let now = self.hosts[m].clock;
            while let Some(t) = self.election(m).and_then(Election::poll_timeout) {
                if t > now {
                    break;
                }
                self.with(setup, m, |e| e.handle_timeout(now));
            }
        }
    }

    /// Calls `f` on member `m`'s Election (if it runs), then takes its outputs.
    fn with(&mut self, setup: &Setup, m: usize, f: impl FnOnce(&mut Election)) {
        let Some(p) = self.hosts[m].proc.as_mut() else {
            return;
        };
        f(&mut p.election);
        self.drain(setup, m);
    }

    fn drain(&mut self, setup: &Setup, m: usize) {
        loop {
            self.drain_once(setup, m);
            if !setup.eager {
                return;
            }
            let h = &mut self.hosts[m];
            let clock = h.clock;
            let Some(p) = h.proc.as_mut() else { return };
            if let Some(g) = p.persist.take() {
                h.grant_file = Some(g);
                p.election.handle_grant_persisted(clock, g);
            } else if let Some((Role::active, generation, _)) = p
                .command
                .filter(|_| !p.confirmed && self.spent.failures >= setup.bounds.failures)
            {
                p.confirmed = true;
                p.election.handle_components_done(clock, generation);
            } else {
                return;
            }
        }
    }

    fn drain_once(&mut self, setup: &Setup, m: usize) {
        let now = self.now;
        let d = setup.demotion_ticks();
        let mut sends = Vec::new();
        let mut misbehaved = false;
        {
            let h = &mut self.hosts[m];
            let Some(p) = h.proc.as_mut() else { return };
            while let Some(t) = p.election.poll_transmit() {
                sends.push((t.to.0, t.link, t.message));
            }
            while let Some(ev) = p.election.poll_event() {
                match ev {
                    Event::SetComponents { role, generation } => {
                        p.command = Some((role, generation, now));
                        p.confirmed = false;
                        if role == Role::active {
                            h.components_live = true;
                            h.stop_by = None;
                        } else if h.components_live {
                            h.stop_by = Some(now + d);
                        }
                    }
                    Event::PersistGrant(g) => p.persist = Some(g),
                    Event::PeerMisbehaved { .. } | Event::NominationRefused { .. } => {
                        misbehaved = true
                    }
                    _ => {}
                }
            }
        }
        self.misbehaviour |= misbehaved;
        for (to, link, msg) in sends {
            // Sent on a dead link (a cut, a crashed peer): lost.
            if to < self.hosts.len() && link == link_of(m, to) && self.linked(m, to) {
                let e = Envelope {
                    from: m,
                    to,
                    sent: now,
                    msg,
                };
                let at = self.net.partition_point(|x| x.key() <= e.key());
                self.net.insert(at, e);
            }
        }
    }

    /// Records the round each member serving now won (`serving_round`: a member that
    /// re-elects while serving \[Q5\] keeps serving under the round it won until it wins
    /// the new one).
    fn record(&mut self) {
        for m in 0..self.hosts.len() {
            if let Some(e) = self.election(m) {
                if let Some(r) = e.serving_round().filter(|_| serving_role(e.role())) {
                    self.winners.insert((r.0, m));
                }
            }
        }
    }
}
