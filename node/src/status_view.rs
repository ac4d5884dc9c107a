//! How a node's status reads (PROTOCOL 6.7): for people, one line (and a line per member of
//! a cluster), and as JSON. Used by `baton status` and the dashboard (`GET /status.json`).

use baton_status::{PeerState, ServiceStatus};
use serde_json::{json, Value};

/// Renders a status for humans or as JSON (PROTOCOL 6.7). For humans: the line, then, for a
/// cluster of three or more members (`members=`), one line per member with its state. As
/// JSON: `status` (the line), `state`, `peer`, `components`, and `members` (every member,
/// this node included, with its state; from `members=`, or from the node and its `peer=`),
/// plus `round`, `lease_ms`, `fencing` and `remote` (`failing`, `handover`,
/// `uplink-failing`: a standby's remote check, PROTOCOL 6.8) when the line has them.
pub fn render(status: &ServiceStatus, json: bool, me: Option<&str>) -> String {
    if json {
        return document(status, me).to_string();
    }
    let mut text = status.to_string();
    if status.extra.iter().any(|w| w.starts_with("members=")) {
        for (name, state) in &members(status, me) {
            text.push_str(&format!("\n  {name:<16} {state}"));
        }
    }
    text
}

/// The JSON document of [`render`]: the `status` object of `baton status --json` and of the
/// dashboard's `GET /status.json` (OPERATIONS, "Dashboard").
pub fn document(status: &ServiceStatus, me: Option<&str>) -> Value {
    let members = members(status, me);
    let peer = status.peer.as_ref().map(|p| {
        let state = match p.state {
            PeerState::Up(s) => s.as_str().to_owned(),
            PeerState::Unknown => "unknown".to_owned(),
            PeerState::Down => "down".to_owned(),
        };
        json!({"name": p.name, "state": state})
    });
    let components = status
        .components
        .map(|(ok, total)| json!({"ok": ok, "total": total}));
    let members: Vec<_> = members
        .iter()
        .map(|(name, state)| json!({"name": name, "state": state}))
        .collect();
    let word = |key: &str| {
        status
            .extra
            .iter()
            .find_map(|w| w.strip_prefix(key).map(str::to_owned))
    };
    let mut doc = json!({
        "status": status.to_string(),
        "state": status.state.as_str(),
        "peer": peer,
        "components": components,
        "members": members,
    });
    if let Some(round) = word("round=").and_then(|r| r.parse::<u64>().ok()) {
        doc["round"] = round.into();
    }
    if let Some(lease) = word("lease=").and_then(|l| l.strip_suffix("ms")?.parse::<u64>().ok()) {
        doc["lease_ms"] = lease.into();
    }
    if let Some(name) = word("fencing=") {
        doc["fencing"] = name.into();
    }
    if let Some(verdict) = word("remote=") {
        doc["remote"] = verdict.into();
    }
    doc
}

/// Every member and its state (PROTOCOL 6.7): from `members=<name>:<state>,...`, else the
/// node itself (named `me`, `self` when not known, in its own state) and its `peer=`.
fn members(status: &ServiceStatus, me: Option<&str>) -> Vec<(String, String)> {
    if let Some(list) = status.extra.iter().find_map(|w| w.strip_prefix("members=")) {
        return list
            .split(',')
            .filter_map(|m| m.rsplit_once(':'))
            .map(|(name, state)| (name.to_owned(), state.to_owned()))
            .collect();
    }
    let name = me.unwrap_or("self").to_owned();
    let mut all = vec![(name, status.state.as_str().to_owned())];
    if let Some(p) = &status.peer {
        all.push((p.name.clone(), p.state.as_str().to_owned()));
    }
    all
}
