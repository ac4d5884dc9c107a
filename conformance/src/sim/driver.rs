//! The driver loop: the virtual clock, deliveries, timers, draining every machine, dialling.

use super::check::{self, Violation};
use super::faults;
use super::host::Held;
use super::network::{Class, Delivery, End, Packet};
use super::trace::summary;
use super::world::{Action, World};
use baton_asn1::status::ServiceStatusMessageMessage as S;
use baton_codec::AnyMessage;
use baton_core::Instant;
use baton_engine::{Event, LinkKind};
use baton_status::{ClientEvent, ClientIgnoredReason};
use std::time::Duration;

impl World {
    /// Runs until the virtual clock reaches `end` (or a check fails).
    ///
    /// # Errors
    /// The first violation of a check, with the seed and the trace.
    pub fn run_until(&mut self, end: Instant) -> Result<(), Violation> {
        while let Some(t) = self.next_time() {
            if t > end {
                break;
            }
            self.now = self.now.max(t);
            self.step()?;
        }
        self.now = self.now.max(end);
        Ok(())
    }

    /// Runs for `d` of virtual time.
    ///
    /// # Errors
    /// As [`World::run_until`].
    pub fn run_for(&mut self, d: Duration) -> Result<(), Violation> {
        self.run_until(self.now + d)
    }

    fn next_time(&self) -> Option<Instant> {
        [
            self.agenda.first_key_value().map(|(k, _)| k.0),
            self.net.next_arrival(),
            self.next_timer(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn next_timer(&self) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        for m in &self.members {
            // Deadlines are the host's: the earliest real time its clock reads them.
            let mut take = |t: Option<Instant>| {
                if let Some(t) = t.map(|t| m.clock.real(t)) {
                    next = Some(next.map_or(t, |n| n.min(t)));
                }
            };
            if let Some(node) = m.node.as_ref().filter(|_| !m.stalled) {
                take(node.poll_timeout());
            }
            for c in &m.components {
                take(c.engine.poll_timeout());
            }
            take(m.client.status.poll_timeout());
        }
        next
    }

    /// One step at `self.now`: an action of the agenda, else a packet, else the due timers;
    /// then every machine is drained and the checks run.
    fn step(&mut self) -> Result<(), Violation> {
        self.steps += 1;
        if self.steps > self.config.max_steps {
            return Err(self.violation(
                "livelock",
                format!("more than {} steps", self.config.max_steps),
            ));
        }
        let now = self.now;
        let due = self
            .agenda
            .first_key_value()
            .filter(|(k, _)| k.0 <= now)
            .map(|(k, _)| *k);
        if let Some(key) = due {
            let action = self.agenda.remove(&key).expect("first key");
            self.act(action);
        } else if self.net.next_arrival().is_some_and(|t| t <= now) {
            if let Some(d) = self.net.pop_arrival(now) {
                self.deliver(d);
            }
        } else {
            self.fire_timers();
        }
        self.drain_all()?;
        check::after_step(self)
    }

    fn fire_timers(&mut self) {
        for m in &mut self.members {
            let now = m.clock.local(self.now);
            if let Some(node) = m.node.as_mut().filter(|_| !m.stalled) {
                if node.poll_timeout().is_some_and(|t| t <= now) {
                    node.handle_timeout(now);
                }
            }
            for c in &mut m.components {
                if c.engine.poll_timeout().is_some_and(|t| t <= now) {
                    c.engine.handle_timeout(now);
                }
            }
            if m.client.status.poll_timeout().is_some_and(|t| t <= now) {
                m.client.status.handle_timeout(now);
            }
        }
    }

    pub(crate) fn deliver(&mut self, d: Delivery) {
        if let End::Node(m) = d.to {
            if self.is_stalled(m) {
                self.members[m].held.push_back(Held::Delivery(d));
                return;
            }
        }
        let host = match d.to {
            End::Node(m) | End::Component(m, _) | End::Client(m) => m,
        };
        let now = self.local(host);
        match (&d.packet, d.to) {
            (Packet::Frame(msg), _) => {
                let (link, from, to) = (d.link, d.from, d.to);
                self.log(|| format!("{link} {from}->{to}: {}", summary(msg)));
            }
            (Packet::Fin, to) => {
                let link = d.link;
                self.log(|| format!("{link} closed at {to} (FIN from {})", d.from));
            }
        }
        match d.to {
            End::Node(m) => {
                let Some(node) = self.members[m].node.as_mut() else {
                    return;
                };
                match d.packet {
                    Packet::Frame(msg) => node.handle_frame(now, d.link, msg),
                    Packet::Fin => node.handle_link_closed(now, d.link),
                }
            }
            End::Component(m, c) => {
                let comp = &mut self.members[m].components[c];
                match d.packet {
                    Packet::Frame(msg) => comp.engine.handle_frame(now, msg),
                    Packet::Fin => {
                        comp.link = None;
                        comp.engine.handle_closed(now);
                        self.schedule_component_connect(m, c);
                    }
                }
            }
            End::Client(m) => match d.packet {
                Packet::Frame(AnyMessage::Status(s)) => {
                    if let S::statusIndication(i) = &s.message {
                        if let Some(stream) = self.record.streams.get_mut(&d.link) {
                            stream.received.push(i.status.0.clone());
                        }
                    }
                    self.members[m].client.status.handle_message(now, s);
                }
                Packet::Frame(_) => {}
                Packet::Fin => {
                    let client = &mut self.members[m].client;
                    client.link = None;
                    client.status.handle_closed(now);
                    if let Some(stream) = self.record.streams.get_mut(&d.link) {
                        stream.closed = true;
                    }
                    self.schedule_client_connect(m);
                }
            },
        }
    }

    pub(crate) fn act(&mut self, action: Action) {
        let node = match action {
            Action::Dial(a, ..) | Action::DialTimeout(a, ..) => Some(a),
            Action::GrantWritten(m, _) | Action::FenceDone(m, ..) => Some(m),
            _ => None,
        };
        if let Some(m) = node.filter(|m| self.is_stalled(*m)) {
            self.members[m].held.push_back(Held::Action(action));
            return;
        }
        match action {
            Action::Decide(m, c, correlation) => self.decide(m, c, &correlation),
            Action::ConnectComponent(m, c) => self.connect_component(m, c),
            Action::ConnectClient(m) => self.connect_client(m),
            Action::Dial(a, b, incarnation) => self.dial(a, b, incarnation),
            Action::DialTimeout(a, b, incarnation) => {
                self.log(|| format!("n{a} dials n{b}: timed out (partition)"));
                self.dial_failed(a, b, incarnation);
            }
            Action::Fault(i) => faults::apply(self, i),
            Action::Quiet => faults::quiet(self),
            Action::Checkpoint => {}
            Action::GrantWritten(m, incarnation) => self.grant_written(m, incarnation),
            Action::FenceDone(m, incarnation, target) => self.fence_done(m, incarnation, target),
            Action::WriteRecord(m, c) => self.write_record(m, c),
        }
    }

    pub(crate) fn drain_all(&mut self) -> Result<(), Violation> {
        for m in 0..self.members.len() {
            self.drain_node(m);
            self.check_pending()?;
            for c in 0..self.members[m].components.len() {
                self.drain_component(m, c);
            }
            self.drain_client(m)?;
        }
        Ok(())
    }

    fn check_pending(&mut self) -> Result<(), Violation> {
        match self.record.pending_violation.take() {
            Some((check, message)) => Err(self.violation(check, message)),
            None => Ok(()),
        }
    }

    /// Sends a node's transmits, acts on its events.
    pub(crate) fn drain_node(&mut self, m: usize) {
        let now = self.now;
        if self.members[m].stalled {
            return;
        }
        let Some(node) = self.members[m].node.as_mut() else {
            return;
        };
        let mut transmits = Vec::new();
        while let Some(t) = node.poll_transmit() {
            transmits.push(t);
        }
        let mut events = Vec::new();
        while let Some(e) = node.poll_event() {
            events.push(e);
        }
        for t in transmits {
            self.net.send(
                now,
                &mut self.rng,
                t.link,
                End::Node(m),
                Packet::Frame(t.message),
            );
        }
        for e in events {
            match e {
                Event::CloseLink { link, reason } => {
                    self.log(|| format!("n{m}: closes {link}: {reason}"));
                    self.net.close(now, &mut self.rng, link, End::Node(m));
                }
                Event::RoleChanged { from, to } => {
                    self.log(|| format!("n{m}: role {from} -> {to}"));
                    check::on_role_changed(self, m, from, to);
                }
                Event::StatusChanged(status) => {
                    let line = status.to_string();
                    // The clients the node knows (one that connected during a stall is
                    // not registered yet).
                    let node = self.members[m].node.as_ref();
                    let known = |l: &baton_core::LinkId| {
                        node.is_some_and(|n| n.link_kind(*l) == Some(LinkKind::Client))
                    };
                    let links = self.net.open_links_of(End::Node(m), Class::Client);
                    for link in links.into_iter().filter(known) {
                        if let Some(s) = self.record.streams.get_mut(&link) {
                            s.expected.push(line.clone());
                        }
                    }
                    self.log(|| format!("n{m}: status {line:?}"));
                }
                Event::RestartComponent { id } => {
                    self.log(|| format!("n{m}: asks to restart component {id}"))
                }
                Event::Notice(notice) => self.log(|| format!("n{m}: {notice}")),
                Event::Exit { handed_over } => {
                    self.log(|| format!("n{m}: exits (handed over: {handed_over})"))
                }
                // The simulation configures no script components, no remote check and no
                // etcd mode.
                Event::RunHooks { .. } | Event::RemoteCheck { .. } | Event::Etcd(_) => {}
                Event::Fence { member, name, .. } => {
                    self.log(|| format!("n{m}: asks to fence {name}"));
                    self.start_fence(m, member);
                }
                Event::PersistGrant {
                    round,
                    member,
                    name,
                } => {
                    self.log(|| format!("n{m}: persists a grant ({round}, {name})"));
                    self.persist_grant(m, round, member);
                }
                // The connect attempt, as a driver's task would make it.
                Event::Dial { member } => {
                    let incarnation = self.members[m].incarnation;
                    self.schedule(now, Action::Dial(m, member, incarnation));
                }
            }
        }
    }

    fn drain_client(&mut self, m: usize) -> Result<(), Violation> {
        let now = self.now;
        let client = &mut self.members[m].client;
        let mut out = Vec::new();
        while let Some(t) = client.status.poll_transmit() {
            out.push(t);
        }
        let mut events = Vec::new();
        while let Some(e) = client.status.poll_event() {
            events.push(e);
        }
        for t in out {
            self.net.send(
                now,
                &mut self.rng,
                t.link,
                End::Client(m),
                Packet::Frame(t.message.into()),
            );
        }
        for e in events {
            if let ClientEvent::Ignored {
                reason: ClientIgnoredReason::MalformedStatus { text, error },
            } = &e
            {
                return Err(self.violation(
                    "status",
                    format!("n{m}'s client cannot parse {text:?}: {error:?}"),
                ));
            }
        }
        Ok(())
    }
}
