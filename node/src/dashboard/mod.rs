//! The dashboard (OPERATIONS, "Dashboard"): on the metrics listener, `GET /` serves one
//! self-contained HTML page ([`PAGE`]: no external asset, works offline) that polls
//! `GET /status.json` ([`document`]) every second and draws the cluster as this node sees it.
//! Read-only: nothing it serves changes state.
//!
//! `status.json` is documented and stable: [`VERSION`] changes only when a field changes
//! meaning or goes away (fields may be added).

use crate::history;
use crate::logging::time::rfc3339;
use baton_election::Mode;
use baton_engine::Node;
use baton_monitor::{ComponentHealthState, FailureReason};
use baton_role::{ComponentRoleState, Role};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

/// The page, served as it is.
pub const PAGE: &str = include_str!("page.html");

/// The version of the `status.json` document.
pub const VERSION: u32 = 1;

/// The `status.json` document of `node` (OPERATIONS, "Dashboard", has every field).
/// `wall_now` is the wall-clock time (since the Unix epoch) at the node's `now`.
pub fn document(node: &Node, now: baton_core::Instant, wall_now: Duration) -> Value {
    let cfg = node.config();
    let zero = wall_now.saturating_sub(now.since_origin());
    let me = cfg.members.get(cfg.me).map(|m| m.name.as_str());
    let status = crate::status_view::document(node.status(), me);
    let states: Vec<(String, String)> = status["members"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|m| (text(&m["name"]), text(&m["state"])))
                .collect()
        })
        .unwrap_or_default();
    let members: Vec<Value> = cfg
        .members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let state = states
                .iter()
                .find(|(name, _)| *name == m.name)
                .map(|(_, s)| s.clone());
            json!({
                "name": m.name,
                "id": m.id,
                "self": i == cfg.me,
                "witness": cfg.witnesses.contains(&i),
                "link_up": if i == cfg.me { Value::Null } else { node.peer_is_up(i).into() },
                "state": state,
            })
        })
        .collect();
    let replication = node.replication_status(now);
    let components: Vec<Value> = node
        .health()
        .components()
        .map(|(id, health, severity, _)| {
            let role = node.roles().component(id).map(|(_, r)| role_state(r));
            let replication = replication
                .iter()
                .find(|s| s.component == id)
                .map(crate::replication_view::component);
            json!({
                "id": id,
                "health": health_word(health),
                "severity": severity.as_str(),
                "role": role,
                "replication": replication,
            })
        })
        .collect();
    let transitions: Vec<Value> = node
        .history()
        .iter()
        .map(|t| history::transition(t, zero))
        .collect();
    let quorum = (cfg.mode == Mode::Quorum).then(|| {
        let up = 1
            + (0..cfg.members.len())
                .filter(|&i| i != cfg.me && node.peer_is_up(i))
                .count();
        json!({"quorate": 2 * up > cfg.members.len(), "up": up, "voters": cfg.members.len()})
    });
    json!({
        "version": VERSION,
        "at": rfc3339(wall_now),
        "member": me,
        "mode": match cfg.mode {
            Mode::Pair => "pair",
            Mode::Quorum => "quorum",
            Mode::Etcd => "etcd",
        },
        "role": node.role().status_word(),
        "status": status,
        "members": members,
        "components": components,
        "history": transitions,
        "quorum": quorum,
    })
}

/// How the metrics listener asks the driver for [`document`]: each call hands the driver a
/// reply channel (false when the driver cannot take it: its inbox is full or closed).
#[derive(Clone)]
pub struct Ask(Arc<dyn Fn(oneshot::Sender<String>) -> bool + Send + Sync>);

impl Ask {
    /// Asks with `send`.
    pub fn new(send: impl Fn(oneshot::Sender<String>) -> bool + Send + Sync + 'static) -> Ask {
        Ask(Arc::new(send))
    }

    /// One request: the receiver of the answer, or `None` if the driver could not take it.
    pub fn ask(&self) -> Option<oneshot::Receiver<String>> {
        let (reply, answer) = oneshot::channel();
        (self.0)(reply).then_some(answer)
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// A component's health as a word: `ok`, `unregistered`, `failed: reported`, `failed:
/// silent`, `failed: link closed`.
pub fn health_word(health: ComponentHealthState) -> &'static str {
    match health {
        ComponentHealthState::Ok => "ok",
        ComponentHealthState::Unregistered => "unregistered",
        ComponentHealthState::Failed(FailureReason::ReportedFailed) => "failed: reported",
        ComponentHealthState::Failed(FailureReason::Silent) => "failed: silent",
        ComponentHealthState::Failed(FailureReason::LinkClosed) => "failed: link closed",
    }
}

/// A component's role as a word: `unassigned`, `assigning active`, `active`, `failed
/// standby`, ...
pub fn role_state(state: ComponentRoleState) -> String {
    let name = |r: Role| match r {
        Role::active => "active",
        Role::standby => "standby",
    };
    match state {
        ComponentRoleState::Unassigned => "unassigned".to_owned(),
        ComponentRoleState::Assigning(r) => format!("assigning {}", name(r)),
        ComponentRoleState::Assigned(r) => name(r).to_owned(),
        ComponentRoleState::Failed(r) => format!("failed {}", name(r)),
    }
}

#[cfg(test)]
mod tests;
