use super::{document, health_word, role_state, VERSION};
use baton_core::Instant;
use baton_engine::{Node, NodeConfig};
use baton_monitor::{ComponentHealthState, ComponentPolicy, FailureReason, Severity};
use baton_role::{ComponentRoleState, Role};
use serde_json::json;
use std::time::Duration;

/// A pair member `alpha` with one fatal component that never registers, run alone until
/// it decided (startup wait, then `alone = promote`).
fn alone() -> (Node, Instant) {
    let mut cfg = NodeConfig::pair([("alpha", "1"), ("beta", "2")], 0);
    let policy = ComponentPolicy {
        severity: Severity::Fatal,
        dead_interval: None,
    };
    cfg.components.insert("1001".to_owned(), policy);
    let mut node = Node::new(cfg, Instant::ZERO).expect("a valid configuration");
    let mut now = Instant::ZERO;
    for _ in 0..200 {
        now += Duration::from_millis(10);
        node.handle_timeout(now);
        while node.poll_transmit().is_some() || node.poll_event().is_some() {}
    }
    (node, now)
}

#[test]
fn the_document_names_every_member_component_and_transition() {
    let (node, now) = alone();
    // 2026-12-06T05:00:00Z at `now`.
    let wall = Duration::from_secs(1_796_533_200);
    let doc = document(&node, now, wall);
    assert_eq!(doc["version"], json!(VERSION));
    assert_eq!(doc["at"], json!("2026-12-06T05:00:00.000000Z"));
    assert_eq!(doc["member"], json!("alpha"));
    assert_eq!(doc["mode"], json!("pair"));
    assert_eq!(doc["role"], json!(node.role().status_word()));
    assert_eq!(doc["status"]["status"], json!(node.status().to_string()));
    assert_eq!(
        doc["members"],
        json!([
            {"name": "alpha", "id": "1", "self": true, "witness": false, "link_up": null,
             "state": node.status().state.as_str()},
            // Never heard from: `unknown` (PROTOCOL 6.7), its link down.
            {"name": "beta", "id": "2", "self": false, "witness": false, "link_up": false,
             "state": "unknown"},
        ])
    );
    assert_eq!(
        doc["components"],
        json!([{"id": "1001", "health": "unregistered", "severity": "fatal", "role": null,
                 "replication": null}])
    );
    assert_eq!(doc["quorum"], json!(null));
    let history = doc["history"].as_array().expect("an array");
    assert_eq!(history.len(), node.history().iter().count());
    assert!(!history.is_empty(), "the node decided: {doc}");
    // Transitions are stamped on the wall clock: the last one at most `now` before `wall`.
    let last = history.last().expect("one");
    assert_eq!(last["to"], json!(node.role().status_word()));
    assert!(last["at"]
        .as_str()
        .is_some_and(|t| t.starts_with("2026-12-06T04:59:5")));
}

#[test]
fn a_quorum_member_says_how_many_voters_it_reaches() {
    let cfg = NodeConfig::quorum(&[("a", "1"), ("b", "2"), ("c", "3")], 1);
    let node = Node::new(cfg, Instant::ZERO).expect("a valid configuration");
    let doc = document(&node, Instant::ZERO, Duration::from_secs(1));
    assert_eq!(doc["mode"], json!("quorum"));
    assert_eq!(doc["member"], json!("b"));
    assert_eq!(
        doc["quorum"],
        json!({"quorate": false, "up": 1, "voters": 3})
    );
}

#[test]
fn words_for_health_and_roles() {
    let words: Vec<_> = [
        ComponentHealthState::Ok,
        ComponentHealthState::Unregistered,
        ComponentHealthState::Failed(FailureReason::ReportedFailed),
        ComponentHealthState::Failed(FailureReason::Silent),
        ComponentHealthState::Failed(FailureReason::LinkClosed),
    ]
    .into_iter()
    .map(health_word)
    .collect();
    assert_eq!(
        words,
        [
            "ok",
            "unregistered",
            "failed: reported",
            "failed: silent",
            "failed: link closed"
        ]
    );
    let roles: Vec<_> = [
        ComponentRoleState::Unassigned,
        ComponentRoleState::Assigning(Role::active),
        ComponentRoleState::Assigned(Role::standby),
        ComponentRoleState::Failed(Role::active),
    ]
    .into_iter()
    .map(role_state)
    .collect();
    assert_eq!(
        roles,
        ["unassigned", "assigning active", "standby", "failed active"]
    );
}

#[test]
fn the_page_is_self_contained_and_reads_no_field_as_html() {
    let page = super::PAGE;
    assert!(page.starts_with("<!DOCTYPE html>"));
    for external in ["src=\"http", "href=\"http", "@import", "url("] {
        assert!(!page.contains(external), "the page loads {external}");
    }
    assert!(page.contains("fetch(\"status.json\""));
    assert!(
        !page.contains("innerHTML"),
        "fields are set with textContent only"
    );
}
