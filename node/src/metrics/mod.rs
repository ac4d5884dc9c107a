//! Prometheus metrics (`[listen] metrics = "127.0.0.1:9421"`, `GET /metrics`), fed by the
//! driver from the engine's typed outputs, served by [`http`]. Names and labels in the style
//! of keepalived-exporter and ha_cluster_exporter:
//!
//! | series | type | what |
//! |---|---|---|
//! | `baton_role{role}` | gauge | 1 for the node's role, 0 for the others (`negotiating`, `standby`, `promoting`, `active`, `demoting`, `failed`) |
//! | `baton_transitions_total{from,to}` | counter | role changes |
//! | `baton_failover_duration_seconds` | histogram | a failover, from the fault noticed to the components confirmed active |
//! | `baton_peer_up{member}` | gauge | 1 while the member's link is up (hellos exchanged) |
//! | `baton_component_up{component}` | gauge | 1 while the component's health is `ok` |
//! | `baton_frames_received_total{link}`, `baton_frames_sent_total{link}` | counter | frames by link kind: `peer`, `component`, `client` |
//! | `baton_link_closes_total{reason}` | counter | links closed: by the node, the reason's name (`peer_silent`, `duplicate_peer_link`, ...); by the other side `remote`; for broken framing `framing`; a link that could not be written `unwritable` |
//! | `baton_hooks_run_total{component,hooks}`, `baton_hooks_failed_total{component,hooks}` | counter | script component hook jobs that ended, and those that failed; `hooks` names the job's hooks that have a command (`check`, `start+activate`, `deactivate+stop`) |
//! | `baton_quorate` | gauge | quorum mode only: 1 while this member and the members up on its links are a majority |
//! | `baton_remote_check_failing` | gauge | with `remote_check` only: 1 while this standby reports the active's service failing (PROTOCOL 6.8) |
//! | `baton_remote_check_failures_total` | counter | with `remote_check` only: remote checks that failed |
//! | `baton_replication_lag_updates{component}` | gauge | replicating components only (PROTOCOL 6.11): on the active node, updates not acknowledged by the standby node; on a standby node, updates held until a gap fills |
//! | `baton_replication_records{component}` | gauge | replicating components only: the component's records in the repertory this node holds |

mod http;

use crate::config::Config;
use baton_core::NodeRole;
use baton_election::Mode;
use baton_engine::{Event, JobId, LinkKind, Node};
use baton_monitor::ComponentHealthState;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use tokio::task::AbortHandle;

/// The bounds of `baton_failover_duration_seconds`, in seconds.
pub const FAILOVER_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Every role, by its status word.
const ROLES: [NodeRole; 6] = [
    NodeRole::Negotiating,
    NodeRole::Standby,
    NodeRole::Promoting,
    NodeRole::Active,
    NodeRole::Demoting,
    NodeRole::PromotionFailed,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RoleLabels {
    role: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TransitionLabels {
    from: String,
    to: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MemberLabels {
    member: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ComponentLabels {
    component: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LinkLabels {
    link: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HookLabels {
    component: String,
    hooks: String,
}

/// The metrics of a node that serves them.
struct Inner {
    role: Family<RoleLabels, Gauge>,
    transitions: Family<TransitionLabels, Counter>,
    failover: Histogram,
    peer_up: Family<MemberLabels, Gauge>,
    component_up: Family<ComponentLabels, Gauge>,
    received: Family<LinkLabels, Counter>,
    sent: Family<LinkLabels, Counter>,
    closes: Family<ReasonLabels, Counter>,
    hooks_run: Family<HookLabels, Counter>,
    hooks_failed: Family<HookLabels, Counter>,
    quorate: Option<Gauge>,
    /// With `remote_check`: `baton_remote_check_failing`, `baton_remote_check_failures_total`.
    remote: Option<(Gauge, Counter)>,
    /// `baton_replication_lag_updates{component}`, `baton_replication_records{component}`.
    replication_lag: Family<ComponentLabels, Gauge>,
    replication_records: Family<ComponentLabels, Gauge>,
    /// The hook jobs under way, with their labels.
    jobs: HashMap<JobId, HookLabels>,
    /// The components with a `baton_component_up` series.
    components: BTreeSet<String>,
    /// The HTTP listener's task.
    server: Option<AbortHandle>,
}

/// The node's metrics, or nothing when `listen.metrics` is not set (every call then does
/// nothing). The HTTP listener stops when this is dropped.
#[derive(Default)]
pub struct Metrics(Option<Box<Inner>>);

impl Drop for Metrics {
    fn drop(&mut self) {
        if let Some(server) = self.0.as_ref().and_then(|m| m.server.as_ref()) {
            server.abort();
        }
    }
}

impl Metrics {
    /// Opens `listen.metrics` if `cfg` sets it and registers every series; nothing otherwise.
    /// `ask` serves the dashboard's `status.json`; with `tls`, every client must hand a
    /// certificate of the cluster's CA.
    ///
    /// # Errors
    /// The listener could not be opened: its name for the log, and why.
    pub(crate) async fn open(
        cfg: &Config,
        ask: Option<crate::dashboard::Ask>,
        tls: Option<crate::driver::secure::Tls>,
    ) -> Result<Metrics, (String, std::io::Error)> {
        let Some(address) = cfg.metrics else {
            return Ok(Metrics(None));
        };
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|e| (format!("metrics address {address}"), e))?;
        let mut registry = Registry::default();
        let inner = Inner::register(&mut registry, cfg);
        let served = Arc::new(http::Served { registry, ask });
        let server = Some(http::serve(listener, served, tls));
        Ok(Metrics(Some(Box::new(Inner { server, ..inner }))))
    }

    /// A frame arrived on a link of `kind` (`None`: one the node does not know).
    pub fn received(&self, kind: Option<LinkKind>) {
        if let Some(m) = &self.0 {
            m.received.get_or_create(&link_labels(kind)).inc();
        }
    }

    /// A frame is written on a link of `kind`.
    pub fn sent(&self, kind: Option<LinkKind>) {
        if let Some(m) = &self.0 {
            m.sent.get_or_create(&link_labels(kind)).inc();
        }
    }

    /// A link closed without the node asking: `reason` is `remote`, `framing` or
    /// `unwritable`.
    pub fn closed(&self, reason: &str) {
        if let Some(m) = &self.0 {
            let labels = ReasonLabels {
                reason: reason.to_owned(),
            };
            m.closes.get_or_create(&labels).inc();
        }
    }

    /// One of the node's events (after it happened: `node` is the node since).
    pub fn event(&mut self, event: &Event, node: &Node) {
        let Some(m) = &mut self.0 else { return };
        match event {
            Event::RoleChanged { from, to } => {
                let labels = TransitionLabels {
                    from: from.status_word().to_owned(),
                    to: to.status_word().to_owned(),
                };
                m.transitions.get_or_create(&labels).inc();
                let failover = node
                    .history()
                    .last()
                    .filter(|t| t.from == *from && t.to == *to);
                if let Some(d) = failover.and_then(|t| t.failover) {
                    m.failover.observe(d.as_secs_f64());
                }
            }
            Event::CloseLink { reason, .. } => {
                let labels = ReasonLabels {
                    reason: snake_case_variant(&format!("{reason:?}")),
                };
                m.closes.get_or_create(&labels).inc();
            }
            Event::RunHooks { id, job } => {
                // The hooks that have a command (a job may name `start` for a component
                // without one).
                let script = node.config().scripts.get(job.component);
                let hooks: Vec<&str> = job
                    .hooks
                    .iter()
                    .filter(|h| script.is_some_and(|s| h.command(s).is_some()))
                    .map(|h| h.name())
                    .collect();
                let labels = HookLabels {
                    component: job.env.component.clone(),
                    hooks: hooks.join("+"),
                };
                m.jobs.insert(*id, labels);
            }
            _ => {}
        }
    }

    /// The hook job `job` ended, `ok` if every hook succeeded.
    pub fn hooks_done(&mut self, job: JobId, ok: bool) {
        let Some(m) = &mut self.0 else { return };
        if let Some(labels) = m.jobs.remove(&job) {
            m.hooks_run.get_or_create(&labels).inc();
            if !ok {
                m.hooks_failed.get_or_create(&labels).inc();
            }
        }
    }

    /// The gauges from the node as it is now: its role, its peers, its components (a
    /// component the node forgot loses its series), quorum.
    pub fn refresh(&mut self, node: &Node) {
        let Some(m) = &mut self.0 else { return };
        let role = node.role();
        for r in ROLES {
            let labels = RoleLabels {
                role: r.status_word().to_owned(),
            };
            m.role.get_or_create(&labels).set(i64::from(r == role));
        }
        let cfg = node.config();
        let mut up = 1;
        for (i, member) in cfg.members.iter().enumerate() {
            if i == cfg.me {
                continue;
            }
            let is_up = node.peer_is_up(i);
            up += usize::from(is_up);
            let labels = MemberLabels {
                member: member.name.clone(),
            };
            m.peer_up.get_or_create(&labels).set(i64::from(is_up));
        }
        let mut known = BTreeSet::new();
        for (id, health, _, _) in node.health().components() {
            let labels = ComponentLabels {
                component: id.to_owned(),
            };
            let ok = health == ComponentHealthState::Ok;
            m.component_up.get_or_create(&labels).set(i64::from(ok));
            known.insert(id.to_owned());
        }
        for gone in m.components.difference(&known) {
            let labels = ComponentLabels {
                component: gone.clone(),
            };
            m.component_up.remove(&labels);
        }
        m.components = known;
        if let Some(q) = &m.quorate {
            q.set(i64::from(2 * up > cfg.members.len()));
        }
        // `lag_ms` is not a series: the status's time does not matter here.
        for s in node.replication_status(baton_core::Instant::ZERO) {
            let labels = ComponentLabels {
                component: s.component,
            };
            let gauge = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
            m.replication_lag
                .get_or_create(&labels)
                .set(gauge(s.lag_updates));
            m.replication_records
                .get_or_create(&labels)
                .set(gauge(s.records));
        }
        if let (Some((failing, failures)), Some(r)) = (&m.remote, node.remote_check()) {
            failing.set(i64::from(
                r.verdict() == baton_engine::RemoteVerdict::Failing,
            ));
            failures.inc_by(r.failures_total().saturating_sub(failures.get()));
        }
    }
}

impl Inner {
    /// Every series, registered in `registry`; no server yet.
    fn register(registry: &mut Registry, cfg: &Config) -> Inner {
        let failover = Histogram::new(FAILOVER_BUCKETS);
        let quorate = (cfg.node.mode == Mode::Quorum).then(Gauge::default);
        let inner = Inner {
            role: Family::default(),
            transitions: Family::default(),
            failover,
            peer_up: Family::default(),
            component_up: Family::default(),
            received: Family::default(),
            sent: Family::default(),
            closes: Family::default(),
            hooks_run: Family::default(),
            hooks_failed: Family::default(),
            quorate,
            remote: cfg
                .remote_check
                .is_some()
                .then(|| (Gauge::default(), Counter::default())),
            replication_lag: Family::default(),
            replication_records: Family::default(),
            jobs: HashMap::new(),
            components: BTreeSet::new(),
            server: None,
        };
        let r = registry;
        r.register(
            "baton_role",
            "The node's role (1) among all roles (0)",
            inner.role.clone(),
        );
        r.register(
            "baton_transitions",
            "Role changes",
            inner.transitions.clone(),
        );
        r.register(
            "baton_failover_duration_seconds",
            "Failovers: from the fault noticed to the components confirmed active",
            inner.failover.clone(),
        );
        r.register(
            "baton_peer_up",
            "Whether a member is up on a peer link",
            inner.peer_up.clone(),
        );
        r.register(
            "baton_component_up",
            "Whether a component's health is ok",
            inner.component_up.clone(),
        );
        r.register(
            "baton_frames_received",
            "Frames received, by link kind",
            inner.received.clone(),
        );
        r.register(
            "baton_frames_sent",
            "Frames sent, by link kind",
            inner.sent.clone(),
        );
        r.register(
            "baton_link_closes",
            "Links closed, by reason",
            inner.closes.clone(),
        );
        r.register(
            "baton_hooks_run",
            "Script component hook jobs that ended",
            inner.hooks_run.clone(),
        );
        r.register(
            "baton_hooks_failed",
            "Script component hook jobs that failed",
            inner.hooks_failed.clone(),
        );
        if let Some(q) = &inner.quorate {
            r.register(
                "baton_quorate",
                "Quorum mode: whether this member and those up on its links are a majority",
                q.clone(),
            );
        }
        if !cfg.node.replication.components.is_empty() {
            r.register(
                "baton_replication_lag_updates",
                "Replicating components: updates not acknowledged by the standby node (active), \
                 or held until a gap fills (standby)",
                inner.replication_lag.clone(),
            );
            r.register(
                "baton_replication_records",
                "Replicating components: records in the repertory this node holds",
                inner.replication_records.clone(),
            );
        }
        if let Some((failing, failures)) = &inner.remote {
            r.register(
                "baton_remote_check_failing",
                "Whether this standby reports the active's service failing from the client's side",
                failing.clone(),
            );
            r.register(
                "baton_remote_check_failures",
                "Remote checks that failed",
                failures.clone(),
            );
        }
        inner
    }
}

fn link_labels(kind: Option<LinkKind>) -> LinkLabels {
    LinkLabels {
        link: kind.map_or_else(|| "unknown".to_owned(), |k| k.to_string()),
    }
}

/// The variant name at the start of a `Debug` text, in snake case: `PeerSilent { .. }` is
/// `peer_silent`.
fn snake_case_variant(debug: &str) -> String {
    let mut out = String::new();
    for c in debug.chars().take_while(char::is_ascii_alphanumeric) {
        if c.is_ascii_uppercase() {
            if !out.is_empty() {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The metrics of `cfg` without a listener, and their registry (tests).
#[cfg(test)]
fn unserved(cfg: &Config) -> (Metrics, Registry) {
    let mut registry = Registry::default();
    let inner = Inner::register(&mut registry, cfg);
    (Metrics(Some(Box::new(inner))), registry)
}

#[cfg(test)]
mod tests;
