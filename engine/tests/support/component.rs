//! The other parties a node has: in-test components (the shipped
//! [`ComponentEngine`], with an application that answers `setRole` as told) and status
//! clients. What each received is kept, with its time.

use super::net::{End, Item, Link};
use super::Pair;
use baton_asn1::monitor::HealthMonitorMessage;
use baton_asn1::role::RoleMessage;
use baton_asn1::status::ServiceStatusMessage;
use baton_codec::AnyMessage;
use baton_component::engine::{ComponentEngine, ComponentEngineConfig, ComponentEngineEvent};
use baton_component::WatchdogReason;
use baton_core::{Instant, LinkId};
use baton_engine::LinkKind;
use std::time::Duration;

/// How the application behind an in-test component answers a `setRole`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Takes the role, this long after the request.
    Accept(Duration),
    /// Refuses it, this long after the request.
    Refuse(Duration),
    /// Does not answer: the test calls [`super::Pair::answer`].
    Hold,
}

/// A component process: the component engine on one link to its node, reconnecting after
/// every close (at once, then every [`RECONNECT`] while its node is down).
#[derive(Debug)]
pub struct TestComponent {
    /// The shipped component engine.
    pub engine: ComponentEngine,
    /// Its node.
    pub node: usize,
    /// How its application answers `setRole`.
    pub answer: Answer,
    /// False while hung: it neither reads nor runs its timers.
    pub alive: bool,
    /// Its current link.
    pub link: Option<LinkId>,
    /// Every frame it received, with its time.
    pub received: Vec<(Instant, AnyMessage)>,
    /// Every event of its engine, with its time.
    pub events: Vec<(Instant, ComponentEngineEvent)>,
}

/// The wait between a component's connection attempts while its node is down.
pub const RECONNECT: Duration = Duration::from_millis(100);

impl TestComponent {
    /// Component `id` of node `node`, not connected.
    pub fn new(node: usize, id: &str, config: ComponentEngineConfig, answer: Answer) -> Self {
        TestComponent {
            engine: ComponentEngine::new(id, config).expect("a valid component id"),
            node,
            answer,
            alive: true,
            link: None,
            received: Vec::new(),
            events: Vec::new(),
        }
    }

    /// The Role messages it received (`setRole`s), with their times.
    pub fn set_roles(&self) -> Vec<(Instant, RoleMessage)> {
        self.received
            .iter()
            .filter_map(|(at, m)| match m {
                AnyMessage::Role(r) => Some((*at, r.clone())),
                _ => None,
            })
            .collect()
    }

    /// The HealthMonitor messages it received (`healthQuery`s), with their times.
    pub fn monitor_received(&self) -> Vec<(Instant, HealthMonitorMessage)> {
        self.received
            .iter()
            .filter_map(|(at, m)| match m {
                AnyMessage::Monitor(h) => Some((*at, h.clone())),
                _ => None,
            })
            .collect()
    }
}

/// A status client of one node: what it received, with its time.
#[derive(Debug)]
pub struct TestClient {
    /// Its node.
    pub node: usize,
    /// Its link, while open.
    pub link: Option<LinkId>,
    /// Every status message it received, with its time.
    pub received: Vec<(Instant, ServiceStatusMessage)>,
}

impl TestClient {
    /// The status lines it received (answers and indications), in order.
    pub fn lines(&self) -> Vec<String> {
        use baton_asn1::status::ServiceStatusMessageMessage as M;
        self.received
            .iter()
            .filter_map(|(_, m)| match &m.message {
                M::getStatusResponse(r) => Some(r.status.0.clone()),
                M::statusIndication(i) => Some(i.status.0.clone()),
                M::getStatus(_) => None,
            })
            .collect()
    }
}

impl Pair {
    /// Component `c` connects to its node (again), or tries later while the node is down.
    pub(super) fn reconnect(&mut self, c: usize) {
        let now = self.now;
        let node = self.components[c].node;
        if self.components[c].link.is_some() {
            return;
        }
        if self.crashed[node] {
            self.net.push(now + RECONNECT, Item::Reconnect { comp: c });
            return;
        }
        let link = self.net.new_link();
        self.net.links.insert(
            link,
            Link {
                ends: [End::Component(c), End::Node(node)],
                open: [true, true],
                latency: Duration::ZERO,
            },
        );
        let kind = LinkKind::Component;
        let to = End::Node(node);
        self.net.push(now, Item::Opened { link, to, kind });
        self.components[c].link = Some(link);
        self.components[c].engine.handle_connected(now, link);
        self.drain_component(c);
    }

    /// Takes component `c`'s outputs: its frames on the wire, its events recorded and acted
    /// on as its application would (answer `setRole` as told; after a silent self-demotion,
    /// close the link and connect again).
    pub(super) fn drain_component(&mut self, c: usize) {
        let now = self.now;
        loop {
            let comp = &mut self.components[c];
            if let Some(message) = comp.engine.poll_transmit() {
                if let Some(link) = comp.link {
                    self.transmit(End::Component(c), link, message);
                }
                continue;
            }
            let Some(event) = comp.engine.poll_event() else {
                return;
            };
            comp.events.push((now, event.clone()));
            match event {
                ComponentEngineEvent::RoleRequested { correlation, .. } => {
                    let (at, accept) = match comp.answer {
                        Answer::Accept(d) => (now + d, true),
                        Answer::Refuse(d) => (now + d, false),
                        Answer::Hold => continue,
                    };
                    let item = Item::Answer {
                        comp: c,
                        correlation,
                        accept,
                    };
                    self.net.push(at, item);
                }
                ComponentEngineEvent::SelfDemoted {
                    reason: WatchdogReason::Silent,
                } => {
                    if let Some(link) = comp.link.take() {
                        comp.engine.handle_closed(now);
                        self.net.close(now, link, End::Component(c));
                        self.net.push(now, Item::Reconnect { comp: c });
                    }
                }
                _ => {}
            }
        }
    }
}
