//! The node side for its components: [`HealthMonitor`].

use crate::ignored::IgnoredReason;
use crate::message::{correlation_id, text, Transmit};
use crate::{LinkNotice, Severity};
use baton_asn1::monitor::{
    ComponentId, ComponentStatus, HealthMonitorMessage, HealthMonitorMessageMessage as M,
    HealthQuery,
};
use baton_core::{CorrelationCounter, Graced, Instant, LinkId, StallRule, Timers};
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

/// Queries kept outstanding per component; an answer to an older one is unknown.
const MAX_OUTSTANDING: usize = 16;

/// How the node treats one component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComponentPolicy {
    /// What its failure means (PROTOCOL 6.4). Default [`Severity::Minor`].
    pub severity: Severity,
    /// Silence after which it is failed; `None` (the default) means three query intervals.
    pub dead_interval: Option<Duration>,
}

impl Default for ComponentPolicy {
    fn default() -> Self {
        ComponentPolicy {
            severity: Severity::Minor,
            dead_interval: None,
        }
    }
}

/// Configuration of a [`HealthMonitor`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorConfig {
    /// Interval between `healthQuery`s to each registered component. Default 100 ms, the
    /// node-to-node heartbeat interval of PROTOCOL 4, so a component dies as fast as a peer.
    pub query_interval: Duration,
    /// The policy of components by id. They count toward [`HealthMonitor::counts`] from the
    /// start, as [`ComponentHealthState::Unregistered`] until they register.
    pub components: BTreeMap<String, ComponentPolicy>,
    /// The policy of a component that registers without being configured.
    pub default_policy: ComponentPolicy,
    /// The grace after the node's own stall (PROTOCOL 6.4): a component's dead interval that
    /// ends more than [`default_stall_threshold`] of the query interval late (the node did
    /// not run at the deadline, so neither did it read) is extended once by this much before
    /// the component is failed, so that a component stalled with the node is queried once
    /// more and can answer. `None` (the default) means one query interval; zero disables it.
    /// Its cost: a component that really went silent while the node was stalled is failed up
    /// to one grace later.
    ///
    /// [`default_stall_threshold`]: baton_core::default_stall_threshold
    pub stall_grace: Option<Duration>,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig {
            query_interval: Duration::from_millis(100),
            components: BTreeMap::new(),
            default_policy: ComponentPolicy::default(),
            stall_grace: None,
        }
    }
}

/// Why a component is failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureReason {
    /// It reported `status failed` (heartBeat or healthQueryResponse).
    ReportedFailed,
    /// Nothing from it for its dead interval.
    Silent,
    /// Its link closed.
    LinkClosed,
}

/// The health of one component, as the node sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComponentHealthState {
    /// Configured, never registered.
    Unregistered,
    /// Its latest bill of health said `ok` and it is not silent.
    Ok,
    /// Failed, and why.
    Failed(FailureReason),
}

/// What the node learns about its components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Component `id` registered on `link` (its first `heartBeat`). If it was registered on
    /// another link, that link is `replaced`: no longer watched, and the composer closes it.
    ComponentRegistered {
        /// The component id.
        id: String,
        /// Its link.
        link: LinkId,
        /// Its previous link, now abandoned.
        replaced: Option<LinkId>,
    },
    /// Component `id` failed (it was `ok` or not yet known). `Major`: the composer restarts it;
    /// `Fatal`: the node cannot serve.
    ComponentFailed {
        /// The component id.
        id: String,
        /// Its configured severity.
        severity: Severity,
        /// Why it is failed.
        reason: FailureReason,
    },
    /// Failed component `id` says `ok` again.
    ComponentRecovered {
        /// The component id.
        id: String,
    },
    /// Component `id` left on purpose (its `heartBeat` carried the leave notice, PROTOCOL
    /// 6.9): it is no longer registered (configured: [`ComponentHealthState::Unregistered`];
    /// not configured: forgotten), without a failure. The composer closes `link`.
    ComponentLeft {
        /// The component id.
        id: String,
        /// The link it leaves.
        link: LinkId,
    },
    /// A message was ignored.
    Ignored {
        /// The link it came on.
        link: LinkId,
        /// Why.
        reason: IgnoredReason,
    },
}

/// The machine's timers: the dead interval of each registered component, by link, and the
/// next round of `healthQuery`s. Declared in the order they expire when due at the same
/// instant: the dead intervals due at a round go first (a component answering the round
/// cannot come back in the same call anyway).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Dead(LinkId),
    Query,
}

/// How many known components are `Ok`, and how many are not, by severity: kept as records
/// change, so that [`HealthMonitor::counts`] and [`HealthMonitor::worst_failure`] (read by
/// the composer after every input) do not walk every record.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    ok: usize,
    /// Not `Ok`, indexed by [`Severity`] (minor, major, fatal).
    not_ok: [usize; 3],
}

impl Tally {
    fn slot(&mut self, state: ComponentHealthState, severity: Severity) -> &mut usize {
        if state == ComponentHealthState::Ok {
            &mut self.ok
        } else {
            &mut self.not_ok[severity as usize]
        }
    }

    fn add(&mut self, state: ComponentHealthState, severity: Severity) {
        *self.slot(state, severity) += 1;
    }

    fn remove(&mut self, state: ComponentHealthState, severity: Severity) {
        let n = self.slot(state, severity);
        *n = n.saturating_sub(1);
    }
}

/// One known component.
#[derive(Debug, Clone)]
struct Record {
    wire_id: Option<ComponentId>,
    policy: ComponentPolicy,
    link: Option<LinkId>,
    state: ComponentHealthState,
    outstanding: VecDeque<String>,
    /// Whether the stall grace was granted since the component was last heard.
    graced: Graced,
}

/// The node side of the monitor interface for its components (PROTOCOL 6.4).
///
/// A component registers by sending `heartBeat{billOfHealth}` with its component id as the
/// first message on a new component link. Every query interval the node sends each
/// registered component a `healthQuery` with a fresh `correlationId`; the
/// `healthQueryResponse` (matched by `correlationId`) and any pushed `heartBeat` carry its
/// status and restart its dead interval. Transitions between `ok` and failed are reported
/// once each, with the component's configured severity.
#[derive(Debug, Clone)]
pub struct HealthMonitor {
    config: MonitorConfig,
    /// The stall grace of the dead intervals (PROTOCOL 6.4).
    stall: StallRule,
    records: BTreeMap<String, Record>,
    links: BTreeMap<LinkId, String>,
    correlation: CorrelationCounter,
    timers: Timers<Timer>,
    tally: Tally,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
}

impl HealthMonitor {
    /// A monitor knowing the configured components, none registered yet.
    pub fn new(config: MonitorConfig) -> Self {
        Self::with_correlation(config, CorrelationCounter::default())
    }

    /// As [`HealthMonitor::new`], with a counter the driver seeded.
    pub fn with_correlation(config: MonitorConfig, correlation: CorrelationCounter) -> Self {
        let records: BTreeMap<String, Record> = config
            .components
            .iter()
            .map(|(id, policy)| (id.clone(), Record::new(*policy)))
            .collect();
        let mut tally = Tally::default();
        for r in records.values() {
            tally.add(r.state, r.policy.severity);
        }
        let stall = StallRule::for_interval(
            config.query_interval,
            config.stall_grace.unwrap_or(config.query_interval),
        );
        HealthMonitor {
            config,
            stall,
            records,
            links: BTreeMap::new(),
            correlation,
            timers: Timers::new(),
            tally,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// A `HealthMonitorMessage` on component link `link`.
    pub fn handle_message(&mut self, now: Instant, link: LinkId, message: HealthMonitorMessage) {
        // The common case (every answer of every component, every query interval) compares
        // bytes and looks the component up once, without allocating.
        let Some(registered) = self.links.get(&link) else {
            let id = text(&message.component_id.0);
            self.register(now, link, id, message);
            return;
        };
        if registered.as_bytes() != message.component_id.0.as_bytes() {
            let expected = registered.clone();
            let got = text(&message.component_id.0);
            self.ignore(link, IgnoredReason::ComponentIdMismatch { expected, got });
            return;
        }
        let Some(record) = self.records.get_mut(registered) else {
            return;
        };
        let status = match message.message {
            M::heartBeat(_) if message.correlation_id.0.as_bytes() == b"0 0" => {
                // PROTOCOL 6.9: a planned leave.
                let id = registered.clone();
                self.leave(link, id);
                return;
            }
            M::heartBeat(hb) => hb.bill_of_health.status,
            M::healthQueryResponse(r)
                if LinkNotice::is_reserved(message.correlation_id.0.as_bytes()) =>
            {
                // PROTOCOL 6.9: the answer to a notice is a bill of health that settles no
                // query.
                r.bill_of_health.status
            }
            M::healthQueryResponse(r) => {
                let correlation = message.correlation_id.0.as_bytes();
                let Some(pos) = record
                    .outstanding
                    .iter()
                    .position(|c| c.as_bytes() == correlation)
                else {
                    let correlation = text(&message.correlation_id.0);
                    self.ignore(link, IgnoredReason::UnknownCorrelation(correlation));
                    return;
                };
                // This query and every older one are settled.
                record.outstanding.drain(..=pos);
                r.bill_of_health.status
            }
            M::healthQuery(_) => {
                self.ignore(link, IgnoredReason::UnexpectedMessage);
                return;
            }
        };
        // report() and alive(), on the record in hand (one lookup per frame).
        let dead = record.dead_interval(self.config.query_interval);
        record.graced.heard();
        apply(
            &mut self.tally,
            &mut self.events,
            registered,
            record,
            status,
        );
        self.heard(now, link, dead);
    }

    /// Component link `link` closed: its component (if any) is failed with
    /// [`FailureReason::LinkClosed`] unless already failed, and no longer queried.
    pub fn handle_link_closed(&mut self, _now: Instant, link: LinkId) {
        let Some(id) = self.links.remove(&link) else {
            return;
        };
        self.timers.stop(Timer::Dead(link));
        let Some(record) = self.records.get_mut(&id) else {
            return;
        };
        record.link = None;
        record.graced.heard();
        record.outstanding.clear();
        let was_failed = matches!(record.state, ComponentHealthState::Failed(_));
        let severity = record.policy.severity;
        self.tally.remove(record.state, severity);
        record.state = ComponentHealthState::Failed(FailureReason::LinkClosed);
        // A component in no configuration was not expected: once it leaves, it is forgotten
        // rather than counted as failed for good (a stranger must leave no trace).
        if self.config.components.contains_key(&id) {
            self.tally.add(record.state, severity);
        } else {
            self.records.remove(&id);
        }
        if !was_failed {
            self.events.push_back(Event::ComponentFailed {
                id,
                severity,
                reason: FailureReason::LinkClosed,
            });
        }
    }

    /// Component `id` on `link` leaves on purpose (PROTOCOL 6.9): not registered any more,
    /// no failure.
    fn leave(&mut self, link: LinkId, id: String) {
        self.links.remove(&link);
        self.timers.stop(Timer::Dead(link));
        let Some(record) = self.records.get_mut(&id) else {
            return;
        };
        record.link = None;
        record.graced.heard();
        record.outstanding.clear();
        let severity = record.policy.severity;
        self.tally.remove(record.state, severity);
        record.state = ComponentHealthState::Unregistered;
        if self.config.components.contains_key(&id) {
            self.tally.add(record.state, severity);
        } else {
            self.records.remove(&id);
        }
        self.events.push_back(Event::ComponentLeft { id, link });
    }

    /// Sends the notice `notice` (PROTOCOL 6.9) to registered component `id`, as a
    /// `healthQuery` with the notice's `correlationId` (which settles no query when
    /// answered). `false` if `id` is not registered.
    pub fn notify(&mut self, id: &str, notice: LinkNotice) -> bool {
        let Some(record) = self.records.get(id) else {
            return false;
        };
        let (Some(link), Some(wire_id)) = (record.link, record.wire_id.clone()) else {
            return false;
        };
        let message = HealthMonitorMessage::new(
            correlation_id(&notice.to_string()),
            wire_id,
            M::healthQuery(HealthQuery::new()),
        );
        self.transmits.push_back(Transmit { link, message });
        true
    }

    /// The dead interval the node applies to component `id` (configured, or three query
    /// intervals; the default policy's for an unknown id).
    pub fn dead_interval_of(&self, id: &str) -> Duration {
        let policy = self
            .records
            .get(id)
            .map_or(self.config.default_policy, |r| r.policy);
        policy
            .dead_interval
            .unwrap_or(self.config.query_interval * 3)
    }

    /// The interval of the node's `healthQuery`s.
    pub fn query_interval(&self) -> Duration {
        self.config.query_interval
    }

    /// Sends the due `healthQuery`s and fails components silent for their dead interval.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some((timer, deadline)) = self.timers.next_expired_at(now) {
            match timer {
                Timer::Query => self.query_all(now),
                Timer::Dead(link) => {
                    if !self.grant_grace(now, deadline, link) {
                        self.silent(link);
                    }
                }
            }
        }
    }

    /// The dead interval of `link`, due at `deadline`, just expired at `now`: if the stall
    /// rule grants a grace (PROTOCOL 6.4: fired late, none granted since the component was
    /// last heard), extends it and returns `true`.
    fn grant_grace(&mut self, now: Instant, deadline: Instant, link: LinkId) -> bool {
        let Some(record) = self
            .links
            .get(&link)
            .and_then(|id| self.records.get_mut(id))
        else {
            return false;
        };
        let Some(until) = self.stall.extend(&mut record.graced, deadline, now) else {
            return false;
        };
        self.timers.set(Timer::Dead(link), until);
        true
    }

    /// The next deadline: a query round or a dead interval.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Changes the policy of component `id` (known or not), from the next failure or
    /// dead-interval restart on. The composer may, say, lower a `major` component it
    /// restarted (PROTOCOL 6.4) to `minor`.
    pub fn set_policy(&mut self, id: &str, policy: ComponentPolicy) {
        let record = match self.records.get_mut(id) {
            Some(r) => r,
            None => {
                let r = Record::new(policy);
                self.tally.add(r.state, r.policy.severity);
                self.records.entry(id.to_owned()).or_insert(r)
            }
        };
        self.tally.remove(record.state, record.policy.severity);
        record.policy = policy;
        self.tally.add(record.state, record.policy.severity);
    }

    /// The health of component `id`, if configured or ever registered.
    pub fn health(&self, id: &str) -> Option<ComponentHealthState> {
        self.records.get(id).map(|r| r.state)
    }

    /// The component registered on `link`, if any.
    pub fn component_on(&self, link: LinkId) -> Option<&str> {
        self.links.get(&link).map(String::as_str)
    }

    /// The link of component `id`, while registered.
    pub fn link_of(&self, id: &str) -> Option<LinkId> {
        self.records.get(id).and_then(|r| r.link)
    }

    /// Every known component (configured, or registered and not gone: a component in no
    /// configuration is forgotten when its link closes): id, health, severity, link; in id
    /// order.
    pub fn components(
        &self,
    ) -> impl Iterator<Item = (&str, ComponentHealthState, Severity, Option<LinkId>)> + '_ {
        self.records
            .iter()
            .map(|(id, r)| (id.as_str(), r.state, r.policy.severity, r.link))
    }

    /// `(ok, total)`: components whose health is `Ok`, and all known components.
    pub fn counts(&self) -> (usize, usize) {
        (self.tally.ok, self.records.len())
    }

    /// The highest severity among components not `Ok` (configured components that never
    /// registered included), `None` if all are `Ok`.
    pub fn worst_failure(&self) -> Option<Severity> {
        [Severity::Fatal, Severity::Major, Severity::Minor]
            .into_iter()
            .find(|s| self.tally.not_ok[*s as usize] > 0)
    }

    fn register(&mut self, now: Instant, link: LinkId, id: String, message: HealthMonitorMessage) {
        let M::heartBeat(hb) = message.message else {
            self.ignore(link, IgnoredReason::NotRegistered);
            return;
        };
        if id.is_empty() {
            self.ignore(link, IgnoredReason::EmptyComponentId);
            return;
        }
        let default = self.config.default_policy;
        let tally = &mut self.tally;
        let record = self.records.entry(id.clone()).or_insert_with(|| {
            let r = Record::new(default);
            tally.add(r.state, r.policy.severity);
            r
        });
        let replaced = record.link.replace(link);
        record.wire_id = Some(message.component_id);
        record.outstanding.clear();
        if let Some(old) = replaced {
            self.links.remove(&old);
            self.timers.stop(Timer::Dead(old));
        }
        self.links.insert(link, id.clone());
        self.events.push_back(Event::ComponentRegistered {
            id: id.clone(),
            link,
            replaced,
        });
        self.alive(now, link);
        self.report(&id, hb.bill_of_health.status);
    }

    /// The component on `link` spoke: its dead interval restarts, and queries run.
    fn alive(&mut self, now: Instant, link: LinkId) {
        let Some(record) = self
            .links
            .get(&link)
            .and_then(|id| self.records.get_mut(id))
        else {
            return;
        };
        let dead = record.dead_interval(self.config.query_interval);
        record.graced.heard();
        self.heard(now, link, dead);
    }

    /// As [`HealthMonitor::alive`], with the component's dead interval already known (and
    /// its stall grace already ended).
    fn heard(&mut self, now: Instant, link: LinkId, dead: Duration) {
        self.timers.set(Timer::Dead(link), now + dead);
        if !self.timers.is_armed(Timer::Query) {
            self.timers
                .set(Timer::Query, now + self.config.query_interval);
        }
    }

    /// Applies a bill of health, reporting a transition.
    fn report(&mut self, id: &str, status: ComponentStatus) {
        if let Some(record) = self.records.get_mut(id) {
            apply(&mut self.tally, &mut self.events, id, record, status);
        }
    }

    fn query_all(&mut self, now: Instant) {
        for (link, id) in &self.links {
            let Some(record) = self.records.get_mut(id) else {
                continue;
            };
            let Some(wire_id) = record.wire_id.clone() else {
                continue;
            };
            let correlation = self.correlation.next_id();
            let message = HealthMonitorMessage::new(
                correlation_id(&correlation),
                wire_id,
                M::healthQuery(HealthQuery::new()),
            );
            if record.outstanding.len() == MAX_OUTSTANDING {
                record.outstanding.pop_front();
            }
            record.outstanding.push_back(correlation);
            self.transmits.push_back(Transmit {
                link: *link,
                message,
            });
        }
        if !self.links.is_empty() {
            self.timers
                .set(Timer::Query, now + self.config.query_interval);
        }
    }

    fn silent(&mut self, link: LinkId) {
        let Some(id) = self.links.get(&link) else {
            return;
        };
        let Some(record) = self.records.get_mut(id) else {
            return;
        };
        let was_failed = matches!(record.state, ComponentHealthState::Failed(_));
        self.tally.remove(record.state, record.policy.severity);
        record.state = ComponentHealthState::Failed(FailureReason::Silent);
        self.tally.add(record.state, record.policy.severity);
        if !was_failed {
            self.events.push_back(Event::ComponentFailed {
                id: id.clone(),
                severity: record.policy.severity,
                reason: FailureReason::Silent,
            });
        }
    }

    fn ignore(&mut self, link: LinkId, reason: IgnoredReason) {
        self.events.push_back(Event::Ignored { link, reason });
    }
}

/// Applies a bill of health to the record of component `id`, reporting a transition.
fn apply(
    tally: &mut Tally,
    events: &mut VecDeque<Event>,
    id: &str,
    record: &mut Record,
    status: ComponentStatus,
) {
    let before = record.state;
    tally.remove(before, record.policy.severity);
    match status {
        ComponentStatus::ok => {
            record.state = ComponentHealthState::Ok;
            if matches!(before, ComponentHealthState::Failed(_)) {
                events.push_back(Event::ComponentRecovered { id: id.to_owned() });
            }
        }
        ComponentStatus::failed => {
            record.state = ComponentHealthState::Failed(FailureReason::ReportedFailed);
            if !matches!(before, ComponentHealthState::Failed(_)) {
                events.push_back(Event::ComponentFailed {
                    id: id.to_owned(),
                    severity: record.policy.severity,
                    reason: FailureReason::ReportedFailed,
                });
            }
        }
    }
    tally.add(record.state, record.policy.severity);
}

impl Default for HealthMonitor {
    fn default() -> Self {
        Self::new(MonitorConfig::default())
    }
}

impl Record {
    /// Its dead interval: configured, or 3 query intervals.
    fn dead_interval(&self, query_interval: Duration) -> Duration {
        self.policy.dead_interval.unwrap_or(query_interval * 3)
    }

    fn new(policy: ComponentPolicy) -> Self {
        Record {
            wire_id: None,
            policy,
            link: None,
            state: ComponentHealthState::Unregistered,
            outstanding: VecDeque::new(),
            graced: Graced::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::heart_beat;

    /// `counts` and `worst_failure` as they were computed before the tally: by walking
    /// every record.
    fn recount(m: &HealthMonitor) -> ((usize, usize), Option<Severity>) {
        let ok = m
            .records
            .values()
            .filter(|r| r.state == ComponentHealthState::Ok)
            .count();
        let worst = m
            .records
            .values()
            .filter(|r| r.state != ComponentHealthState::Ok)
            .map(|r| r.policy.severity)
            .max();
        ((ok, m.records.len()), worst)
    }

    #[test]
    fn the_tally_follows_every_change() {
        let severities = [Severity::Minor, Severity::Major, Severity::Fatal];
        let mut config = MonitorConfig::default();
        for i in 0..4u64 {
            let policy = ComponentPolicy {
                severity: severities[i as usize % 3],
                dead_interval: None,
            };
            config.components.insert(format!("{}", 10 + i), policy);
        }
        let mut m = HealthMonitor::new(config);
        let mut seed = 12345u64;
        let mut now = Instant::ZERO;
        for step in 0..5000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = (seed >> 33) as usize;
            let link = LinkId(1 + (r % 7) as u64);
            let id = format!("{}", 10 + (r / 7) % 8);
            match r % 5 {
                0 | 1 => {
                    let status = if r % 11 == 0 {
                        ComponentStatus::failed
                    } else {
                        ComponentStatus::ok
                    };
                    m.handle_message(now, link, heart_beat("1", &id, status));
                }
                2 => m.handle_link_closed(now, link),
                3 => {
                    now += Duration::from_millis(60);
                    m.handle_timeout(now);
                }
                _ => m.set_policy(
                    &id,
                    ComponentPolicy {
                        severity: severities[r % 3],
                        dead_interval: Some(Duration::from_millis(50 + (r % 300) as u64)),
                    },
                ),
            }
            while m.poll_event().is_some() {}
            while m.poll_transmit().is_some() {}
            assert_eq!((m.counts(), m.worst_failure()), recount(&m), "step {step}");
        }
    }
}
