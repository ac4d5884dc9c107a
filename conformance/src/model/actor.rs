//! The adapter: a stateright [`Actor`] for one node, wrapping the real
//! [`baton_election::Election`], plus the host around it (its network endpoint, the fault
//! budget it spent) and the role layer (as a nondeterministic choice).
//!
//! Every input reaches the Election through its public API; every output is drained after
//! each input: transmits become [`Msg::Election`] frames on the current connection,
//! `SetComponents` becomes a random choice for the role layer, and the Election's next
//! deadline becomes the stateright timer [`Timer::Election`].

use super::wire::{Conn, Frame, Msg, Token};
use super::{Bounds, Planted, Variant};
use baton_core::Instant;
use baton_election::{Config, Election, Event, Generation, Member, NodeRole, Role};
use stateright::actor::{model_timeout, Actor, Id, Out};
use std::borrow::Cow;

/// The members' `Candidate` names, highest priority first: actor `Id(0)` is `a`, `Id(1)` is
/// `b`.
pub const NAMES: [&str; 2] = ["a", "b"];

/// The logical time given to every input except timeouts. A timeout is handled at the
/// deadline it is due (`poll_timeout`), and the next input is at `T0` again: the Election
/// keeps no time but its timer deadlines, each `T0` + a configured duration, so the state
/// space stays finite (see the module documentation of [`crate::model`]).
pub const T0: Instant = Instant::ZERO;

/// The random-choice key of the role layer's verdict.
const COMPONENTS: &str = "components";

/// A stateright timer of a node actor: it may fire at any moment while set (durations are
/// ignored), which is exactly the uncertainty of timing the model needs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    /// The Election's next deadline (`startup_wait` or the retry back-off). Armed for
    /// `startup_wait` only once the node knows the peer is unreachable (see
    /// [`Process::alone`]).
    Election,
    /// The crashed process starts again (a repair).
    Restart,
    /// The peer's failure detector notices the connections of this crashed process (sends
    /// [`Msg::LinkLost`]); a repair, possibly after the restart.
    Notice,
    /// This node's failure detector notices its connection died in a partition (a repair).
    Detect,
    /// The partition of this host ends (a repair).
    Heal,
    /// Fault: the process crashes.
    Crash,
    /// Fault: the network between the hosts is cut at this host.
    Cut,
    /// Fault: the operator asks this (Active) node for a planned switchover.
    Switchover,
    /// Fault: a fatal component failure (PROTOCOL 5.6, 6.4); never cleared, a restart forgets it.
    Fatal,
}

impl Timer {
    /// Whether firing this timer is a fault (bounded; none fires once faults stop).
    pub fn is_fault(&self) -> bool {
        matches!(
            self,
            Timer::Crash | Timer::Cut | Timer::Switchover | Timer::Fatal
        )
    }
}

/// The role layer's verdict on the latest `SetComponents` command.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RoleAnswer {
    /// Every component confirmed (for a demotion: answered or failed, PROTOCOL 6.1).
    Done(Generation),
    /// A component answered `failure` or timed out during a promotion (a fault, bounded).
    Failed(Generation),
}

/// The faults one host has spent (the model bounds their sum over both hosts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Spent {
    /// Process crashes.
    pub crashes: u8,
    /// Failed promotions.
    pub failures: u8,
    /// Planned switchovers.
    pub switchovers: u8,
    /// Network cuts.
    pub partitions: u8,
    /// Fatal component failures.
    pub fatals: u8,
}

/// What survives a crash: the host, its network and the model's bookkeeping. Nothing of
/// the Election is kept (pair mode persists nothing).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Host {
    /// The network between the hosts is cut at this host: nothing goes in or out, dials to
    /// it time out.
    pub cut: bool,
    /// The next dial token.
    pub next_token: Token,
    /// Faults spent.
    pub spent: Spent,
    /// The crashed process's connections whose loss the peer has not noticed yet.
    pub notices: Vec<Conn>,
}

impl Host {
    fn fresh_token(&mut self) -> Token {
        let t = self.next_token;
        self.next_token += 1;
        t
    }
}

/// This node's connection to the peer, as the host sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Link {
    /// The connection up (the Election got `handle_link_up` with its `LinkId`).
    pub up: Option<Conn>,
    /// The connection up died in a partition; the failure detector has not noticed yet.
    pub dead: bool,
    /// The token of this node's pending dial.
    pub dial: Option<Token>,
}

/// A running process: the Election and the role layer's view of its components.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Process {
    /// The real Election.
    pub election: Election,
    /// The connection.
    pub link: Link,
    /// The node knows the peer is unreachable: its dial was refused (no process there) or
    /// timed out (the network is cut), or its own host is cut off. Only then may
    /// `startup_wait` expire: a peer that is up and reachable connects well within
    /// `startup_wait` (300 ms). A lost link is not evidence by itself (the peer may already
    /// run again): the node redials, and the redial's refusal is.
    pub alone: bool,
    /// The latest `SetComponents` command.
    pub command: Option<(Role, Generation)>,
    /// Whether the role layer confirmed it.
    pub confirmed: bool,
    /// The Election reported `PeerMisbehaved` or `NominationRefused` (never between two
    /// correct nodes).
    pub misbehaviour: bool,
    /// [`Planted::ReplayStaleFrames`] only: frames of dead connections, replayed on the next.
    pub stale: Vec<Frame>,
    /// Election timers fired on the current connection (nomination retries), bounded by
    /// [`Bounds::retries`]: each retry takes a fresh `correlationId`, so unbounded retries
    /// would make the state space infinite.
    pub retries: u8,
}

impl Process {
    /// Whether the Election's peer link is up on a live connection.
    pub fn link_up(&self) -> bool {
        self.link.up.is_some() && !self.link.dead
    }
}

/// A node actor's state.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NodeState {
    /// The host.
    pub host: Host,
    /// The process; `None` while crashed.
    pub process: Option<Process>,
}

impl NodeState {
    /// The Election's role, if the process runs.
    pub fn role(&self) -> Option<NodeRole> {
        self.process.as_ref().map(|p| p.election.role())
    }
}

/// One member of the pair: `me` is its index in [`NAMES`] and its actor `Id`.
#[derive(Clone, Debug)]
pub struct Node {
    /// This member's index.
    pub me: usize,
    /// The fault bounds (each host stops arming a fault it alone has exhausted; the model's
    /// boundary enforces the sums).
    pub bounds: Bounds,
    /// Configuration and planted faults.
    pub variant: Variant,
}

impl Node {
    /// This member's Election configuration: pair mode, defaults, `preempt` from the
    /// variant. `first_correlation_id` stays 1 at every start, the worst case: only the
    /// link ties an answer to its nomination.
    pub fn config(&self) -> Config {
        let mut c = Config::pair(NAMES, self.me);
        c.preempt = self.variant.preempt;
        c
    }

    fn peer_id(&self) -> Id {
        Id::from(1 - self.me)
    }

    fn peer(&self) -> Member {
        Member(1 - self.me)
    }

    fn me_u8(&self) -> u8 {
        u8::try_from(self.me).expect("two members")
    }

    fn start_process(&self, host: &mut Host, o: &mut Out<Self>) -> Process {
        let election = Election::new(self.config(), T0).expect("the model's config is valid");
        let mut p = Process {
            election,
            link: Link::default(),
            alone: host.cut,
            command: None,
            confirmed: false,
            misbehaviour: false,
            stale: Vec::new(),
            retries: 0,
        };
        self.dial(&mut p, host, o);
        self.flush(&mut p, host, o);
        p
    }

    /// A new dial, unless the host is cut off or a dial is pending.
    fn dial(&self, p: &mut Process, host: &mut Host, o: &mut Out<Self>) {
        if host.cut || p.link.dial.is_some() {
            return;
        }
        let token = host.fresh_token();
        let conn = Conn {
            dialer: self.me_u8(),
            token,
        };
        o.send(self.peer_id(), Msg::Hello(conn));
        p.link.dial = Some(token);
    }

    /// Both hellos of `conn` are exchanged: link-up, unless another connection is up and
    /// preferred (PROTOCOL 4); the loser is closed.
    fn connected(&self, p: &mut Process, host: &mut Host, conn: Conn, o: &mut Out<Self>) {
        match p.link.up {
            Some(old) if old == conn => return,
            Some(old) if old.preferred_over(conn) => {
                o.send(self.peer_id(), Msg::Closed(conn));
                return;
            }
            Some(old) => o.send(self.peer_id(), Msg::Closed(old)),
            None => {}
        }
        p.link.up = Some(conn);
        p.link.dead = false;
        p.alone = false;
        p.retries = 0;
        p.election.handle_link_up(T0, conn.link_id(), self.peer());
        for frame in std::mem::take(&mut p.stale) {
            p.election
                .handle_message(T0, conn.link_id(), frame.to_message());
        }
        self.flush(p, host, o);
    }

    /// The connection up is gone: link-down, and a redial if `redial` (the peer's process
    /// or the network failed; the redial's refusal is the evidence for [`Process::alone`]).
    fn link_down(&self, p: &mut Process, host: &mut Host, redial: bool, o: &mut Out<Self>) {
        let Some(conn) = p.link.up.take() else {
            return;
        };
        p.link.dead = false;
        p.election.handle_link_down(T0, conn.link_id());
        if redial {
            self.dial(p, host, o);
        }
        self.flush(p, host, o);
    }

    /// Drains the Election's transmits and events.
    fn flush(&self, p: &mut Process, host: &Host, o: &mut Out<Self>) {
        while let Some(t) = p.election.poll_transmit() {
            match p.link.up {
                Some(conn) if !p.link.dead && !host.cut && t.link == conn.link_id() => o.send(
                    self.peer_id(),
                    Msg::Election {
                        conn,
                        frame: Frame::from_message(&t.message),
                    },
                ),
                // The connection is dead: the frame is lost.
                _ => {}
            }
        }
        while let Some(ev) = p.election.poll_event() {
            match ev {
                Event::SetComponents { role, generation } => {
                    p.command = Some((role, generation));
                    p.confirmed = false;
                    let mut choices = vec![RoleAnswer::Done(generation)];
                    if role == Role::active && host.spent.failures < self.bounds.failures {
                        choices.push(RoleAnswer::Failed(generation));
                    }
                    o.choose_random(COMPONENTS, choices);
                }
                Event::PeerMisbehaved { .. } | Event::NominationRefused { .. } => {
                    p.misbehaviour = true
                }
                Event::RoleChanged { .. } => {}
                // The pair model configures no fencing (Config::fence is false).
                Event::Fence { .. } => {}
                // Pair mode persists nothing and asks nothing of etcd.
                Event::PersistGrant(_) | Event::Etcd(_) => {}
            }
        }
    }

    /// Sets exactly the timers the state calls for, cancels the others.
    fn arm(&self, s: &NodeState, o: &mut Out<Self>) {
        let b = &self.bounds;
        let h = &s.host;
        let p = s.process.as_ref();
        let election = p.is_some_and(|p| {
            let startup = p.election.role() == NodeRole::Negotiating && p.link.up.is_none();
            // Retries are bounded by the model's boundary, not here: the convergence check's
            // fair run must not be bounded by them.
            p.election.poll_timeout().is_some() && (!startup || p.alone)
        });
        let wanted = [
            (Timer::Election, election),
            (Timer::Restart, p.is_none()),
            (Timer::Notice, !h.notices.is_empty()),
            (
                Timer::Detect,
                p.is_some_and(|p| p.link.up.is_some() && p.link.dead),
            ),
            (Timer::Heal, h.cut),
            (Timer::Crash, p.is_some() && h.spent.crashes < b.crashes),
            (
                Timer::Cut,
                p.is_some() && !h.cut && h.spent.partitions < b.partitions,
            ),
            (
                Timer::Switchover,
                p.is_some_and(|p| {
                    p.election.role() == NodeRole::Active
                        && p.election.peer_view().is_some_and(|v| v.link.is_some())
                }) && h.spent.switchovers < b.switchovers,
            ),
            (
                Timer::Fatal,
                p.is_some_and(|p| !p.election.is_fatal()) && h.spent.fatals < b.fatals,
            ),
        ];
        for (t, on) in wanted {
            if on {
                o.set_timer(t, model_timeout());
            } else {
                o.cancel_timer(t);
            }
        }
    }

    fn on_message(&self, s: &mut NodeState, msg: Msg, o: &mut Out<Self>) {
        let peer = self.peer_id();
        let cut = s.host.cut;
        let NodeState { host, process } = s;
        let Some(p) = process.as_mut() else {
            // No process: the host's TCP stack refuses dials, everything else is lost.
            if let Msg::Hello(conn) = msg {
                o.send(peer, Msg::Refused(conn));
            }
            return;
        };
        let me = self.me_u8();
        let mine = |p: &Process, c: Conn| c.dialer == me && p.link.dial == Some(c.token);
        match msg {
            Msg::Hello(conn) if cut => o.send(peer, Msg::Refused(conn)),
            Msg::Hello(conn) => {
                o.send(peer, Msg::HelloAck(conn));
                self.connected(p, host, conn, o);
            }
            Msg::HelloAck(conn) => {
                if !cut && mine(p, conn) {
                    p.link.dial = None;
                    self.connected(p, host, conn, o);
                }
            }
            Msg::Refused(conn) => {
                if mine(p, conn) {
                    p.link.dial = None;
                    p.alone = true;
                }
            }
            Msg::Closed(conn) => {
                if mine(p, conn) {
                    p.link.dial = None;
                }
                if p.link.up == Some(conn) {
                    // The peer keeps the other connection, which reaches this node too.
                    self.link_down(p, host, false, o);
                }
            }
            Msg::LinkLost(conn) => {
                if mine(p, conn) {
                    p.link.dial = None;
                    self.dial(p, host, o);
                }
                if p.link.up == Some(conn) {
                    self.link_down(p, host, true, o);
                }
            }
            Msg::Election { conn, frame } => {
                if cut {
                    return;
                }
                if self.variant.planted == Some(Planted::DropVetoes) && frame.is_veto() {
                    return;
                }
                let frame = if self.variant.planted == Some(Planted::TieRounds) {
                    frame.with_round(p.election.round())
                } else {
                    frame
                };
                let replay = self.variant.planted == Some(Planted::ReplayStaleFrames);
                match p.link.up {
                    Some(up) if !p.link.dead && (up == conn || replay) => {
                        p.election
                            .handle_message(T0, up.link_id(), frame.to_message());
                        self.flush(p, host, o);
                    }
                    None if replay => p.stale.push(frame),
                    // A frame of a dead connection: lost.
                    _ => {}
                }
            }
        }
    }

    fn on_timer(&self, s: &mut NodeState, timer: &Timer, o: &mut Out<Self>) {
        let NodeState { host, process } = s;
        match (timer, process.as_mut()) {
            (Timer::Restart, None) => {
                *process = Some(self.start_process(host, o));
            }
            (Timer::Notice, _) => {
                for conn in std::mem::take(&mut host.notices) {
                    o.send(self.peer_id(), Msg::LinkLost(conn));
                }
            }
            (Timer::Heal, p) => {
                host.cut = false;
                if let Some(p) = p {
                    if p.link.up.is_none() {
                        self.dial(p, host, o);
                    }
                }
            }
            (_, None) => {}
            (Timer::Election, Some(p)) => {
                if let Some(deadline) = p.election.poll_timeout() {
                    if p.link.up.is_some() {
                        p.retries = p.retries.saturating_add(1);
                    }
                    p.election.handle_timeout(deadline);
                    self.flush(p, host, o);
                }
            }
            (Timer::Detect, Some(p)) => {
                if p.link.dead {
                    self.link_down(p, host, true, o);
                }
            }
            (Timer::Crash, Some(p)) => {
                host.spent.crashes += 1;
                host.notices.extend(p.link.up);
                let me = self.me_u8();
                host.notices
                    .extend(p.link.dial.map(|token| Conn { dialer: me, token }));
                *process = None;
                o.remove_random(COMPONENTS);
            }
            (Timer::Cut, Some(p)) => {
                host.cut = true;
                host.spent.partitions += 1;
                p.alone = true;
                if let Some(conn) = p.link.up {
                    if !p.link.dead {
                        o.send(self.peer_id(), Msg::LinkLost(conn));
                    }
                    p.link.dead = true;
                }
                if let Some(token) = p.link.dial.take() {
                    let conn = Conn {
                        dialer: self.me_u8(),
                        token,
                    };
                    o.send(self.peer_id(), Msg::LinkLost(conn));
                }
            }
            (Timer::Switchover, Some(p)) => {
                if p.election.switchover(T0).is_ok() {
                    host.spent.switchovers += 1;
                    self.flush(p, host, o);
                }
            }
            (Timer::Fatal, Some(p)) => {
                host.spent.fatals += 1;
                p.election.handle_fatal(T0);
                self.flush(p, host, o);
            }
            (Timer::Restart, Some(_)) => {}
        }
    }

    fn on_role_answer(&self, s: &mut NodeState, answer: &RoleAnswer, o: &mut Out<Self>) {
        let NodeState { host, process } = s;
        let Some(p) = process.as_mut() else {
            return;
        };
        match *answer {
            RoleAnswer::Done(g) => {
                if p.command.is_some_and(|(_, cg)| cg == g) {
                    p.confirmed = true;
                }
                p.election.handle_components_done(T0, g);
            }
            RoleAnswer::Failed(g) => {
                host.spent.failures += 1;
                p.command = None;
                p.confirmed = false;
                p.election.handle_promotion_failed(T0, g);
            }
        }
        self.flush(p, host, o);
    }

    /// Runs `f` on a copy of the state, keeps the copy if it differs, and re-arms the timers.
    fn update(
        &self,
        state: &mut Cow<NodeState>,
        o: &mut Out<Self>,
        f: impl FnOnce(&mut NodeState, &mut Out<Self>),
    ) {
        let mut s = (**state).clone();
        f(&mut s, o);
        self.arm(&s, o);
        if s != **state {
            *state = Cow::Owned(s);
        }
    }
}

impl Actor for Node {
    type Msg = Msg;
    type State = NodeState;
    type Timer = Timer;
    type Random = RoleAnswer;
    type Storage = ();

    fn name(&self) -> String {
        NAMES[self.me].to_owned()
    }

    fn on_start(&self, _id: Id, _storage: &Option<()>, o: &mut Out<Self>) -> NodeState {
        let mut host = Host::default();
        let process = Some(self.start_process(&mut host, o));
        let s = NodeState { host, process };
        self.arm(&s, o);
        s
    }

    fn on_msg(&self, _id: Id, state: &mut Cow<NodeState>, _src: Id, msg: Msg, o: &mut Out<Self>) {
        self.update(state, o, |s, o| self.on_message(s, msg, o));
    }

    fn on_timeout(&self, _id: Id, state: &mut Cow<NodeState>, timer: &Timer, o: &mut Out<Self>) {
        self.update(state, o, |s, o| self.on_timer(s, timer, o));
    }

    fn on_random(
        &self,
        _id: Id,
        state: &mut Cow<NodeState>,
        random: &RoleAnswer,
        o: &mut Out<Self>,
    ) {
        self.update(state, o, |s, o| self.on_role_answer(s, random, o));
    }
}
