//! `node_ops`: one pure [`Node`] facing an adversarial peer, components and status clients.

use super::broken::{Digits, Name};
use crate::sim::trace::summary;
use arbitrary::{Arbitrary, Unstructured};
use baton_asn1::{election, monitor, role, status};
use baton_codec::{AnyMessage, Encoding, Interface};
use baton_core::{Instant, LinkId};
use baton_election::NodeRole;
use baton_engine::{Event, LinkKind, Node, NodeConfig};
use baton_monitor::{ComponentPolicy, LinkOrigin, Severity};
use baton_role::ComponentRoleState;
use rasn::types::NumericString;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Link slots the operations name (a slot holds at most one open link at a time).
const SLOTS: usize = 6;
/// Operations run per input, at most.
const MAX_OPS: usize = 400;
/// Component ids with a configured policy.
const COMPONENTS: [&str; 3] = ["7", "8", "9"];

/// What a new link is.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum KindSel {
    PeerDialled,
    PeerAccepted,
    Component,
    Client,
}

/// A `correlationId`: echo the latest the node sent on the link (for the message's
/// interface, else any), or a chosen one.
#[allow(missing_docs)]
#[derive(Debug, Clone, Arbitrary)]
pub enum IdSel {
    Echo,
    Number(u16),
    Raw(Digits),
}

/// A member or component id (`ComponentId`).
#[allow(missing_docs)]
#[derive(Debug, Clone, Arbitrary)]
pub enum WhoSel {
    Me,
    Peer,
    Component(u8),
    Raw(Digits),
}

/// A `Candidate`.
#[allow(missing_docs)]
#[derive(Debug, Clone, Arbitrary)]
pub enum NameSel {
    Me,
    Peer,
    Raw(Name),
}

/// A valid message, with ids and names drawn from what the node knows.
#[allow(missing_docs)]
#[derive(Debug, Clone, Arbitrary)]
pub enum MsgSpec {
    Nomination {
        id: IdSel,
        nominee: NameSel,
    },
    ElectionError {
        id: IdSel,
        description: u8,
    },
    Assignment {
        id: IdSel,
        active: NameSel,
        standby: NameSel,
    },
    Veto {
        id: IdSel,
        active: NameSel,
        standby: NameSel,
    },
    SetRole {
        id: IdSel,
        active: bool,
    },
    SetRoleResponse {
        id: IdSel,
        success: bool,
    },
    HealthQuery {
        id: IdSel,
        who: WhoSel,
    },
    HealthQueryResponse {
        id: IdSel,
        who: WhoSel,
        ok: bool,
    },
    HeartBeat {
        id: IdSel,
        who: WhoSel,
        ok: bool,
    },
    GetStatus {
        id: IdSel,
    },
    StatusIndication {
        id: IdSel,
        word: u8,
    },
    GetStatusResponse {
        id: IdSel,
        word: u8,
    },
    /// A Replication message (PROTOCOL 2.8, 6.11): `kind` picks the alternative; small
    /// generations, sequence numbers and keys so that they meet the node's.
    Replication {
        id: IdSel,
        kind: u8,
        generation: u8,
        sequence: u8,
        key: u8,
        app: WhoSel,
    },
}

/// One thing that happens to the node.
#[allow(missing_docs)]
#[derive(Debug, Clone, Arbitrary)]
pub enum Op {
    /// A link opens in `slot` (an open slot is reported opened again: the node ignores it).
    Open { slot: u8, kind: KindSel },
    /// The other side closes the link in `slot`.
    Close { slot: u8 },
    /// The driver closes the link in `slot` for misbehaviour (a frame that did not decode).
    Misbehave { slot: u8 },
    /// A valid message arrives on `slot`.
    Send { slot: u8, msg: MsgSpec },
    /// A frame body arrives on `slot`: interface id and bytes, decoded in the input's rule;
    /// one that does not decode closes the link as misbehaving, as the driver does.
    Raw {
        slot: u8,
        interface: u8,
        bytes: Vec<u8>,
    },
    /// Time passes; the node's timers due by then fire.
    Advance { ms: u16 },
    /// Time jumps to the node's next deadline, which fires.
    FireNext,
    /// The operator asks for a switchover.
    Switchover,
}

/// One input of `node_ops`.
#[derive(Debug, Clone, Arbitrary)]
pub struct NodeOps {
    /// The node is member 1 (`beta`, id 2) rather than member 0 (`alpha`, id 1).
    pub second: bool,
    /// `preempt`.
    pub preempt: bool,
    /// `alone = Wait` rather than `Promote`.
    pub wait_alone: bool,
    /// Severities of components 7 and 8 (2 bits each: minor, major, fatal).
    pub severities: u8,
    /// First correlation id: 1, near the wrap, or this number.
    pub first_id: u64,
    /// The rule of `Raw` frames (modulo 8).
    pub rule: u8,
    /// The operations.
    pub ops: Vec<Op>,
}

/// [`check_node_ops_input`] of the [`NodeOps`] built from `data` (`arbitrary_take_rest`).
///
/// # Errors
/// The property that failed, with the operations so far.
pub fn check_node_ops(data: &[u8]) -> Result<(), String> {
    match NodeOps::arbitrary_take_rest(Unstructured::new(data)) {
        Ok(input) => check_node_ops_input(&input),
        Err(_) => Ok(()),
    }
}

/// An outstanding `setRole` the node sent to a component link.
#[derive(Debug, Clone)]
struct Pending {
    correlation: String,
    active: bool,
    deadline: Instant,
    /// The promotion it was sent in, if the node was promoting.
    period: Option<u64>,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    link: LinkId,
    kind: KindSel,
}

struct Harness {
    node: Node,
    now: Instant,
    rule: Encoding,
    me: usize,
    names: [String; 2],
    ids: [String; 2],
    role_timeout: Duration,
    slots: [Option<Slot>; SLOTS],
    next_link: u64,
    /// Every link ever opened, and links the node closed or saw closed.
    opened: BTreeMap<LinkId, KindSel>,
    closed: BTreeSet<LinkId>,
    /// Latest correlation id the node sent per link and interface, and per link.
    sent_ids: BTreeMap<(LinkId, Interface), String>,
    last_id: BTreeMap<LinkId, String>,
    pending: BTreeMap<LinkId, Pending>,
    role: NodeRole,
    period: Option<u64>,
    periods: u64,
    failed_periods: BTreeSet<u64>,
    trace: Vec<String>,
}

/// Drives one [`Node`] (a pair member, its peer absent or adversarial) through the
/// operations, and checks after every step:
/// - nothing panicked; the node's `RoleChanged` events chain from its previous role to
///   [`Node::role`];
/// - it becomes Active only from Promoting, never after a failed promotion (a component of
///   the promotion answered `failure` to its `setRole active`, its link was closed while it
///   owed the answer, or the role timeout passed), and then with every registered component
///   confirmed active;
/// - every request is answered or times out: a `getStatus` (any link) and a client's or the
///   peer's `healthQuery` are answered in the same step with the same `correlationId`; a
///   `setRole` the node sent has a deadline no later than the role timeout, and once it has
///   passed and the timers ran the component no longer counts as assigning;
/// - after the timers ran, the next deadline is in the future (a driver would spin);
/// - everything the node sends is valid (encodes), goes on a link the node had open, and
///   is of an interface that link carries;
/// - a switchover is accepted only with an open peer link to hand over on.
///
/// # Errors
/// The property that failed, with the trace of the operations.
pub fn check_node_ops_input(input: &NodeOps) -> Result<(), String> {
    let mut h = Harness::new(input);
    for op in input.ops.iter().take(MAX_OPS) {
        if let Err(e) = h.step(op) {
            let start = h.trace.len().saturating_sub(60);
            return Err(format!(
                "{e}\nconfig: second={} preempt={} wait_alone={} severities={:#x} first_id={}\nlast steps:\n  {}",
                input.second,
                input.preempt,
                input.wait_alone,
                input.severities,
                input.first_id,
                h.trace[start..].join("\n  ")
            ));
        }
    }
    Ok(())
}

fn numeric(s: &str) -> NumericString {
    NumericString::from_bytes(s.as_bytes()).expect("digits and spaces")
}

fn severity(bits: u8) -> Severity {
    match bits & 3 {
        0 | 3 => Severity::Minor,
        1 => Severity::Major,
        _ => Severity::Fatal,
    }
}

fn carries(kind: KindSel, interface: Interface) -> bool {
    match kind {
        KindSel::PeerDialled | KindSel::PeerAccepted => interface != Interface::Role,
        // Replication on component links: this harness's first component replicates
        // (PROTOCOL 6.11).
        KindSel::Component => interface != Interface::Election,
        KindSel::Client => matches!(interface, Interface::Status | Interface::Monitor),
    }
}

fn correlation_of(m: &AnyMessage) -> String {
    let bytes = match m {
        AnyMessage::Election(e) => e.correlation_id.0.as_bytes(),
        AnyMessage::Role(r) => r.correlation_id.0.as_bytes(),
        AnyMessage::Monitor(h) => h.correlation_id.0.as_bytes(),
        AnyMessage::Status(s) => s.correlation_id.0.as_bytes(),
        AnyMessage::Replication(r) => r.correlation_id.0.as_bytes(),
    };
    String::from_utf8_lossy(bytes).into_owned()
}

impl Harness {
    fn new(input: &NodeOps) -> Harness {
        let me = usize::from(input.second);
        let mut config = NodeConfig::pair([("alpha", "1"), ("beta", "2")], me);
        config.preempt = input.preempt;
        if input.wait_alone {
            config.alone = baton_election::Alone::Wait;
        }
        // The first component replicates (PROTOCOL 6.11), in `sync` or `async` mode.
        let mode = if input.severities & 0x10 == 0 {
            baton_engine::ReplicationMode::Sync
        } else {
            baton_engine::ReplicationMode::Async
        };
        config
            .replication
            .components
            .insert(COMPONENTS[0].to_owned(), mode);
        for (i, id) in COMPONENTS.iter().take(2).enumerate() {
            config.components.insert(
                (*id).to_owned(),
                ComponentPolicy {
                    severity: severity(input.severities >> (2 * i)),
                    dead_interval: None,
                },
            );
        }
        config.first_correlation_id = match input.first_id % 4 {
            0 => 1,
            1 => 9_999_999_999_999_990 + input.first_id % 10,
            _ => input.first_id,
        };
        let role_timeout = config.role_timeout;
        let now = Instant::ZERO;
        let node = Node::new(config, now).expect("valid pair config");
        let mut h = Harness {
            role: node.role(),
            node,
            now,
            rule: Encoding::ALL[usize::from(input.rule % 8)],
            me,
            names: ["alpha".into(), "beta".into()],
            ids: ["1".into(), "2".into()],
            role_timeout,
            slots: [None; SLOTS],
            next_link: 100,
            opened: BTreeMap::new(),
            closed: BTreeSet::new(),
            sent_ids: BTreeMap::new(),
            last_id: BTreeMap::new(),
            pending: BTreeMap::new(),
            period: None,
            periods: 0,
            failed_periods: BTreeSet::new(),
            trace: Vec::new(),
        };
        // Whatever Node::new queued.
        let _ = h.drain(None);
        h
    }

    fn slot(&self, slot: u8) -> Option<Slot> {
        self.slots[usize::from(slot) % SLOTS]
    }

    fn registered(&self) -> BTreeMap<LinkId, ComponentRoleState> {
        self.node
            .roles()
            .components()
            .map(|(l, _, s)| (l, s))
            .collect()
    }

    fn id(&self, link: LinkId, interface: Interface, sel: &IdSel) -> String {
        match sel {
            IdSel::Echo => self
                .sent_ids
                .get(&(link, interface))
                .or_else(|| self.last_id.get(&link))
                .cloned()
                .unwrap_or_default(),
            IdSel::Number(n) => n.to_string(),
            IdSel::Raw(d) => {
                d.0.iter()
                    .take(16)
                    .map(|b| char::from(b" 0123456789"[usize::from(b % 11)]))
                    .collect()
            }
        }
    }

    fn who(&self, sel: &WhoSel) -> String {
        match sel {
            WhoSel::Me => self.ids[self.me].clone(),
            WhoSel::Peer => self.ids[1 - self.me].clone(),
            WhoSel::Component(k) => COMPONENTS[usize::from(*k) % COMPONENTS.len()].to_owned(),
            WhoSel::Raw(d) => {
                d.0.iter()
                    .take(16)
                    .map(|b| char::from(b" 0123456789"[usize::from(b % 11)]))
                    .collect()
            }
        }
    }

    fn name(&self, sel: &NameSel) -> String {
        match sel {
            NameSel::Me => self.names[self.me].clone(),
            NameSel::Peer => self.names[1 - self.me].clone(),
            NameSel::Raw(n) => n.0.chars().take(16).collect(),
        }
    }

    fn message(&self, link: LinkId, spec: &MsgSpec) -> AnyMessage {
        use election::{ElectionMessageMessage as E, ElectionResult as R};
        use monitor::HealthMonitorMessageMessage as H;
        use role::RoleMessageMessage as Ro;
        use status::ServiceStatusMessageMessage as S;
        const WORDS: [&str; 8] = [
            "active",
            "standby",
            "negotiating",
            "promoting",
            "demoting",
            "failed",
            "",
            "active peer beta down",
        ];
        let eid = |sel| election::CorrelationId(numeric(&self.id(link, Interface::Election, sel)));
        let cand = |sel| election::Candidate(self.name(sel));
        let mid = |sel| monitor::CorrelationId(numeric(&self.id(link, Interface::Monitor, sel)));
        let comp = |sel| monitor::ComponentId(numeric(&self.who(sel)));
        let sid = |sel| status::CorrelationId(numeric(&self.id(link, Interface::Status, sel)));
        let rid = |sel| role::CorrelationId(numeric(&self.id(link, Interface::Role, sel)));
        let health = |ok: bool| {
            monitor::BillOfHealth::new(if ok {
                monitor::ComponentStatus::ok
            } else {
                monitor::ComponentStatus::failed
            })
        };
        let line = |w: u8| status::Status(WORDS[usize::from(w) % WORDS.len()].to_owned());
        match spec {
            MsgSpec::Replication {
                id,
                kind,
                generation,
                sequence,
                key,
                app,
            } => replication_message(
                numeric(&self.id(link, Interface::Replication, id)),
                *kind,
                u64::from(*generation),
                u64::from(*sequence),
                *key,
                numeric(&self.who(app)),
            )
            .into(),
            MsgSpec::Nomination { id, nominee } => election::ElectionMessage::new(
                eid(id),
                E::nominationMsg(election::NominationMessage::new(cand(nominee))),
            )
            .into(),
            MsgSpec::ElectionError { id, description } => {
                const DESCRIPTIONS: [&str; 7] = [
                    "negotiating",
                    "demoting",
                    "not a member",
                    "malformed",
                    "handover pending",
                    "promotion failed",
                    "other",
                ];
                let d = DESCRIPTIONS[usize::from(*description) % DESCRIPTIONS.len()];
                election::ElectionMessage::new(
                    eid(id),
                    E::electionResult(R::electionError(election::ElectionError::new(d.into()))),
                )
                .into()
            }
            MsgSpec::Assignment {
                id,
                active,
                standby,
            } => election::ElectionMessage::new(
                eid(id),
                E::electionResult(R::assigment(election::Assigment::new(
                    cand(active),
                    cand(standby),
                ))),
            )
            .into(),
            MsgSpec::Veto {
                id,
                active,
                standby,
            } => election::ElectionMessage::new(
                eid(id),
                E::electionResult(R::veto(election::Veto::new(cand(active), cand(standby)))),
            )
            .into(),
            MsgSpec::SetRole { id, active } => role::RoleMessage::new(
                rid(id),
                Ro::setRole(role::SetRole::new(if *active {
                    role::Role::active
                } else {
                    role::Role::standby
                })),
            )
            .into(),
            MsgSpec::SetRoleResponse { id, success } => role::RoleMessage::new(
                rid(id),
                Ro::setRoleResponse(role::SetRoleResponse::new(if *success {
                    role::ReturnCode::success
                } else {
                    role::ReturnCode::failure
                })),
            )
            .into(),
            MsgSpec::HealthQuery { id, who } => monitor::HealthMonitorMessage::new(
                mid(id),
                comp(who),
                H::healthQuery(monitor::HealthQuery {}),
            )
            .into(),
            MsgSpec::HealthQueryResponse { id, who, ok } => monitor::HealthMonitorMessage::new(
                mid(id),
                comp(who),
                H::healthQueryResponse(monitor::HealthQueryResponse::new(health(*ok))),
            )
            .into(),
            MsgSpec::HeartBeat { id, who, ok } => monitor::HealthMonitorMessage::new(
                mid(id),
                comp(who),
                H::heartBeat(monitor::HeartBeat::new(health(*ok))),
            )
            .into(),
            MsgSpec::GetStatus { id } => {
                status::ServiceStatusMessage::new(sid(id), S::getStatus(status::GetStatus {}))
                    .into()
            }
            MsgSpec::StatusIndication { id, word } => status::ServiceStatusMessage::new(
                sid(id),
                S::statusIndication(status::StatusIndication::new(line(*word))),
            )
            .into(),
            MsgSpec::GetStatusResponse { id, word } => status::ServiceStatusMessage::new(
                sid(id),
                S::getStatusResponse(status::GetStatusResponse::new(line(*word))),
            )
            .into(),
        }
    }

    /// A link in `slot` went away by the other side or the driver: a component that owed an
    /// answer to a `setRole active` of the current promotion fails it.
    fn link_gone(&mut self, link: LinkId, registered: &BTreeMap<LinkId, ComponentRoleState>) {
        if let Some(p) = self.pending.remove(&link) {
            if let Some(period) = p
                .period
                .filter(|_| p.active && registered.contains_key(&link))
            {
                self.failed_periods.insert(period);
            }
        }
    }

    fn deliver(
        &mut self,
        link: LinkId,
        kind: KindSel,
        message: AnyMessage,
        registered: &BTreeMap<LinkId, ComponentRoleState>,
    ) -> Option<(LinkId, Interface, String)> {
        use monitor::HealthMonitorMessageMessage as H;
        use role::RoleMessageMessage as Ro;
        use status::ServiceStatusMessageMessage as S;
        self.trace.push(format!(
            "{}ms: {link} {kind:?} <- {}",
            self.now.since_origin().as_millis(),
            summary(&message)
        ));
        let mut expect = None;
        match &message {
            AnyMessage::Role(r) if kind == KindSel::Component => {
                if let Ro::setRoleResponse(resp) = &r.message {
                    let c = correlation_of(&message);
                    let matches = self.pending.get(&link).is_some_and(|p| p.correlation == c)
                        && registered.contains_key(&link);
                    if matches {
                        let p = self.pending.remove(&link).expect("checked");
                        if resp.return_code == role::ReturnCode::failure && p.active {
                            if let Some(period) = p.period {
                                self.failed_periods.insert(period);
                            }
                        }
                    }
                }
            }
            AnyMessage::Status(s) if matches!(s.message, S::getStatus(_)) => {
                expect = Some((link, Interface::Status, correlation_of(&message)));
            }
            AnyMessage::Monitor(m) if matches!(m.message, H::healthQuery(_)) => {
                let who = String::from_utf8_lossy(m.component_id.0.as_bytes()).into_owned();
                let peer_up = self.node.election().peers().any(|p| p.link == Some(link));
                if kind == KindSel::Client || (peer_up && who == self.ids[1 - self.me]) {
                    expect = Some((link, Interface::Monitor, correlation_of(&message)));
                }
            }
            _ => {}
        }
        self.node.handle_frame(self.now, link, message);
        expect
    }

    fn step(&mut self, op: &Op) -> Result<(), String> {
        let registered = self.registered();
        let closed_before = self.closed.clone();
        let mut expect = None;
        let mut timers_ran = false;
        match op {
            Op::Open { slot, kind } => {
                let i = usize::from(*slot) % SLOTS;
                let link = match self.slots[i] {
                    Some(s) => s.link,
                    None => {
                        self.next_link += 1;
                        let link = LinkId(self.next_link);
                        self.slots[i] = Some(Slot { link, kind: *kind });
                        self.opened.insert(link, *kind);
                        link
                    }
                };
                let kind = self.slots[i].expect("set").kind;
                self.trace.push(format!(
                    "{}ms: open {link} {kind:?}",
                    self.now.since_origin().as_millis()
                ));
                let k = match kind {
                    KindSel::PeerDialled => LinkKind::Peer(LinkOrigin::Dialled),
                    KindSel::PeerAccepted => LinkKind::Peer(LinkOrigin::Accepted),
                    KindSel::Component => LinkKind::Component,
                    KindSel::Client => LinkKind::Client,
                };
                self.node.handle_link_opened(self.now, link, k);
            }
            Op::Close { slot } | Op::Misbehave { slot } => {
                let i = usize::from(*slot) % SLOTS;
                if let Some(s) = self.slots[i].take() {
                    let misbehave = matches!(op, Op::Misbehave { .. });
                    self.trace.push(format!(
                        "{}ms: {} {}",
                        self.now.since_origin().as_millis(),
                        if misbehave { "misbehaved" } else { "closed" },
                        s.link
                    ));
                    self.closed.insert(s.link);
                    self.link_gone(s.link, &registered);
                    if misbehave {
                        self.node.handle_link_misbehaved(self.now, s.link);
                    } else {
                        self.node.handle_link_closed(self.now, s.link);
                    }
                }
            }
            Op::Send { slot, msg } => {
                if let Some(s) = self.slot(*slot) {
                    let message = self.message(s.link, msg);
                    expect = self.deliver(s.link, s.kind, message, &registered);
                }
            }
            Op::Raw {
                slot,
                interface,
                bytes,
            } => {
                if let Some(s) = self.slot(*slot) {
                    let decoded = Interface::from_id(*interface)
                        .ok_or(())
                        .and_then(|i| AnyMessage::decode(i, self.rule, bytes).map_err(|_| ()));
                    match decoded {
                        Ok(message) => expect = self.deliver(s.link, s.kind, message, &registered),
                        Err(()) => {
                            let i = usize::from(*slot) % SLOTS;
                            self.slots[i] = None;
                            self.trace.push(format!(
                                "{}ms: undecodable frame on {}: misbehaved",
                                self.now.since_origin().as_millis(),
                                s.link
                            ));
                            self.closed.insert(s.link);
                            self.link_gone(s.link, &registered);
                            self.node.handle_link_misbehaved(self.now, s.link);
                        }
                    }
                }
            }
            Op::Advance { ms } => {
                self.now += Duration::from_millis(u64::from(*ms));
                self.timeout(&registered);
                timers_ran = true;
            }
            Op::FireNext => {
                if let Some(at) = self.node.poll_timeout() {
                    self.now = self.now.max(at);
                }
                self.timeout(&registered);
                timers_ran = true;
            }
            Op::Switchover => {
                let r = self.node.switchover(self.now);
                self.trace.push(format!(
                    "{}ms: switchover: {r:?}",
                    self.now.since_origin().as_millis()
                ));
                // A handover needs a peer to hand over to, on a link that is open.
                let live = self
                    .node
                    .election()
                    .peers()
                    .filter_map(|p| p.link)
                    .any(|l| !self.closed.contains(&l));
                if r.is_ok() && !live {
                    return Err("switchover accepted with no open peer link".into());
                }
            }
        }
        let out = self.drain(Some(&closed_before))?;
        self.check(expect, timers_ran, &out)
    }

    /// Timers due at `now`; setRoles whose deadline passed time out (and fail the promotion
    /// they belong to).
    fn timeout(&mut self, registered: &BTreeMap<LinkId, ComponentRoleState>) {
        self.trace
            .push(format!("{}ms: timers", self.now.since_origin().as_millis()));
        let now = self.now;
        for (link, p) in &self.pending {
            if p.deadline <= now && registered.contains_key(link) && p.active {
                if let Some(period) = p.period {
                    self.failed_periods.insert(period);
                }
            }
        }
        self.node.handle_timeout(now);
    }

    /// Drains the node's transmits and events, checking them; `closed_before`: the links
    /// closed before this step (`None`: no checks, at start-up).
    fn drain(&mut self, closed_before: Option<&BTreeSet<LinkId>>) -> Result<StepOut, String> {
        let check = closed_before.is_some();
        let mut transmits = Vec::new();
        while let Some(t) = self.node.poll_transmit() {
            transmits.push(t);
        }
        let mut events = Vec::new();
        while let Some(e) = self.node.poll_event() {
            events.push(e);
        }
        let mut out = StepOut::default();
        let mut step_period = self.period;
        let mut became_active = false;
        for e in &events {
            match e {
                Event::RoleChanged { from, to } => {
                    self.trace.push(format!("  role {from} -> {to}"));
                    if check && *from != self.role {
                        return Err(format!(
                            "RoleChanged from {from} to {to}, but the role was {}",
                            self.role
                        ));
                    }
                    if *to == NodeRole::Active {
                        if *from != NodeRole::Promoting {
                            return Err(format!("Active from {from}, not from Promoting"));
                        }
                        if let Some(p) = self.period.filter(|p| self.failed_periods.contains(p)) {
                            return Err(format!(
                                "Active after a failed promotion (promotion #{p}: a component refused, timed out or left)"
                            ));
                        }
                        became_active = true;
                    }
                    if *from == NodeRole::Promoting {
                        self.period = None;
                    }
                    if *to == NodeRole::Promoting {
                        self.periods += 1;
                        self.period = Some(self.periods);
                        step_period = self.period;
                    }
                    self.role = *to;
                }
                Event::CloseLink { link, reason } => {
                    self.trace.push(format!("  node closes {link}: {reason}"));
                    self.closed.insert(*link);
                    out.closed.insert(*link);
                    self.pending.remove(link);
                    for s in &mut self.slots {
                        if s.is_some_and(|s| s.link == *link) {
                            *s = None;
                        }
                    }
                }
                Event::StatusChanged(status) => self
                    .trace
                    .push(format!("  status {:?}", status.to_string())),
                _ => {}
            }
        }
        if check && self.role != self.node.role() {
            return Err(format!(
                "events say {}, the node says {}",
                self.role,
                self.node.role()
            ));
        }
        if check && became_active && self.node.role() == NodeRole::Active {
            for (link, id, state) in self.node.roles().components() {
                if state != ComponentRoleState::Assigned(role::Role::active) {
                    return Err(format!(
                        "became Active with component {id} on {link} {state:?}"
                    ));
                }
            }
        }
        for t in transmits {
            let interface = t.message.interface();
            self.trace
                .push(format!("  {} -> {}", t.link, summary(&t.message)));
            if let Some(closed_before) = closed_before {
                let Some(kind) = self.opened.get(&t.link).copied() else {
                    return Err(format!("sent on {} that was never opened", t.link));
                };
                if closed_before.contains(&t.link) {
                    return Err(format!("sent on {} after it closed", t.link));
                }
                if !carries(kind, interface) {
                    return Err(format!("sent {interface} on a {kind:?} link"));
                }
                if let Err(e) = t.message.encode(Encoding::Der) {
                    return Err(format!("sent an invalid message {:?}: {e}", t.message));
                }
            }
            let c = correlation_of(&t.message);
            if let AnyMessage::Role(r) = &t.message {
                if let role::RoleMessageMessage::setRole(s) = &r.message {
                    out.set_role.insert(t.link);
                    self.pending.insert(
                        t.link,
                        Pending {
                            correlation: c.clone(),
                            active: s.role == role::Role::active,
                            deadline: self.now + self.role_timeout,
                            period: step_period,
                        },
                    );
                }
            }
            self.sent_ids.insert((t.link, interface), c.clone());
            self.last_id.insert(t.link, c);
            out.sent.push((t.link, t.message));
        }
        Ok(out)
    }

    /// The checks at the end of a step.
    fn check(
        &self,
        expect: Option<(LinkId, Interface, String)>,
        timers_ran: bool,
        out: &StepOut,
    ) -> Result<(), String> {
        use monitor::HealthMonitorMessageMessage as H;
        use status::ServiceStatusMessageMessage as S;
        if let Some((link, interface, c)) = expect {
            let answered = out.sent.iter().any(|(l, m)| {
                *l == link
                    && correlation_of(m) == c
                    && match (interface, m) {
                        (Interface::Status, AnyMessage::Status(s)) => {
                            matches!(s.message, S::getStatusResponse(_))
                        }
                        (Interface::Monitor, AnyMessage::Monitor(h)) => {
                            matches!(h.message, H::healthQueryResponse(_))
                        }
                        _ => false,
                    }
            });
            if !answered && !out.closed.contains(&link) && !self.closed.contains(&link) {
                return Err(format!("{interface} request #{c} on {link} not answered"));
            }
        }
        let deadline = self.node.poll_timeout();
        if timers_ran && deadline.is_some_and(|d| d <= self.now) {
            return Err(format!(
                "after the timers ran at {:?}, the next deadline is {deadline:?}",
                self.now
            ));
        }
        let states: BTreeMap<LinkId, ComponentRoleState> = self.registered();
        for (link, p) in &self.pending {
            let Some(ComponentRoleState::Assigning(_)) = states.get(link) else {
                continue;
            };
            if deadline.is_none_or(|d| d > p.deadline) {
                return Err(format!(
                    "setRole #{} on {link} is due by {:?} but the next deadline is {deadline:?}",
                    p.correlation, p.deadline
                ));
            }
            if timers_ran && p.deadline <= self.now && !out.set_role.contains(link) {
                return Err(format!(
                    "setRole #{} on {link} still assigning after its deadline {:?} passed",
                    p.correlation, p.deadline
                ));
            }
        }
        Ok(())
    }
}

/// What one step sent and closed.
#[derive(Debug, Default)]
struct StepOut {
    sent: Vec<(LinkId, AnyMessage)>,
    closed: BTreeSet<LinkId>,
    set_role: BTreeSet<LinkId>,
}

/// A Replication message of alternative `kind` (PROTOCOL 2.8) for `node_ops`: keys of
/// application `app`, data type 1, key `k<key % 8>`.
fn replication_message(
    id: NumericString,
    kind: u8,
    generation: u64,
    sequence: u64,
    key: u8,
    app: NumericString,
) -> baton_asn1::replication::ReplicationMessage {
    use baton_asn1::replication as r;
    use r::ReplicationMessageMessage as M;
    let record = r::RecordKey::new(
        r::ApplicationId(app),
        r::DataType(numeric("1")),
        r::DataKey(format!("k{}", key % 8).into_bytes().into()),
    );
    let entry = r::Entry::new(record.clone(), r::DataValue(vec![key; 3].into()));
    let g = r::Generation(generation % 4);
    let n = r::SequenceNumber(sequence % 8);
    let message = match kind % 9 {
        0 | 8 => M::update(r::Update::new(
            g,
            n,
            r::Operations(vec![if key % 3 == 0 {
                r::Operation::delete(record)
            } else {
                r::Operation::add(entry)
            }]),
        )),
        1 => M::updateAck(r::UpdateAck::new(g, n)),
        2 => M::syncRequest(r::SyncRequest::new(if key % 2 == 0 {
            r::SyncStart::full(r::FullSync {})
        } else {
            r::SyncStart::fromSequenceNumber(n)
        })),
        3 => M::syncChunk(r::SyncChunk::new(g, r::Entries(vec![entry]))),
        4 => M::syncDone(r::SyncDone::new(g, n, r::EntryCount(u32::from(key % 3)))),
        5 => M::audit(r::Audit::new(
            g,
            n,
            r::EntryCount(u32::from(key % 3)),
            r::Digest([key; 32].into()),
        )),
        6 => M::auditResponse(r::AuditResponse::new(
            if key % 2 == 0 {
                r::AuditResult::consistent
            } else {
                r::AuditResult::inconsistent
            },
            n,
            r::EntryCount(1),
            r::Digest([0u8; 32].into()),
        )),
        _ => M::replicationError(r::ReplicationError::new(
            r::ErrorCode::syncRequired,
            String::new(),
        )),
    };
    r::ReplicationMessage::new(r::CorrelationId(id), message)
}
