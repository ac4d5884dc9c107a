//! The metrics' labels and their configuration keys.

use super::{snake_case_variant, unserved};
use crate::config::parse;
use baton_core::{Instant, NodeRole};
use baton_engine::{CloseReason, Event, LogFormat, Node};
use prometheus_client::encoding::text::encode;
use std::path::Path;

fn file(top: &str, listen: &str) -> String {
    format!(
        "name = \"a\"\n{top}\n[[member]]\nname = \"a\"\nid = \"1\"\n\
         address = \"127.0.0.1:7401\"\n[[member]]\nname = \"b\"\nid = \"2\"\n\
         address = \"127.0.0.1:7402\"\n[listen]\n{listen}\n"
    )
}

#[test]
fn the_configuration_sets_the_listener_and_the_log_format() {
    let path = Path::new("a.toml");
    let cfg = parse(path, &file("", "")).expect("valid");
    assert_eq!((cfg.metrics, cfg.log_format), (None, LogFormat::Text));
    let text = file("log_format = \"json\"", "metrics = \"127.0.0.1:9421\"");
    let cfg = parse(path, &text).expect("valid");
    let want = Some(([127, 0, 0, 1], 9421).into());
    assert_eq!((cfg.metrics, cfg.log_format), (want, LogFormat::Json));
    let bad = parse(path, &file("log_format = \"xml\"", ""))
        .map(|_| ())
        .map_err(|e| e.to_string());
    assert_eq!(
        bad,
        Err("a.toml:2:14: log_format: \"xml\": expected text or json".to_owned())
    );
    let bad = parse(path, &file("", "metrics = \"nowhere\""))
        .map(|_| ())
        .map_err(|e| e.to_string());
    assert!(
        bad.as_ref().is_err_and(|e| e.contains("listen.metrics")),
        "{bad:?}"
    );
}

#[test]
fn reason_labels_are_the_variant_names() {
    assert_eq!(
        snake_case_variant("PeerSilent { peer: \"a\" }"),
        "peer_silent"
    );
    assert_eq!(
        snake_case_variant("ElectionBeforeHello"),
        "election_before_hello"
    );
    assert_eq!(snake_case_variant("HelloRefused(SelfId)"), "hello_refused");
}

/// The sample lines of `registry`, sorted (a family's series come in no set order).
fn samples(registry: &prometheus_client::registry::Registry) -> Vec<String> {
    let mut text = String::new();
    encode(&mut text, registry).expect("encodes");
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

/// A quorum member alone: negotiating, its peers down, not quorate; a role change and a
/// closed link counted; the series, whole.
#[test]
fn a_quorum_member_alone_is_not_quorate() {
    let text = "name = \"alpha\"\nstate_dir = \"state\"\n\
                [[member]]\nname = \"alpha\"\nid = \"1\"\naddress = \"127.0.0.1:7401\"\n\
                [[member]]\nname = \"beta\"\nid = \"2\"\naddress = \"127.0.0.1:7402\"\n\
                [[member]]\nname = \"gamma\"\nid = \"3\"\naddress = \"127.0.0.1:7403\"\n\
                witness = true\n[listen]\nstatus = \"127.0.0.1:7421\"\n";
    let cfg = parse(Path::new("/etc/baton/a.toml"), text).expect("valid");
    let node = Node::new(cfg.node.clone(), Instant::ZERO).expect("a node");
    let (mut metrics, registry) = unserved(&cfg);
    metrics.refresh(&node);
    let change = Event::RoleChanged {
        from: NodeRole::Negotiating,
        to: NodeRole::Standby,
    };
    metrics.event(&change, &node);
    let close = Event::CloseLink {
        link: baton_core::LinkId(7),
        reason: CloseReason::ElectionBeforeHello,
    };
    metrics.event(&close, &node);
    let want = [
        "baton_failover_duration_seconds_bucket{le=\"+Inf\"} 0",
        "baton_failover_duration_seconds_bucket{le=\"0.005\"} 0",
        "baton_failover_duration_seconds_bucket{le=\"0.01\"} 0",
        "baton_failover_duration_seconds_bucket{le=\"0.025\"} 0",
        "baton_failover_duration_seconds_bucket{le=\"0.05\"} 0",
        "baton_failover_duration_seconds_bucket{le=\"0.1\"} 0",
        "baton_failover_duration_seconds_bucket{le=\"0.25\"} 0",
        "baton_failover_duration_seconds_bucket{le=\"0.5\"} 0",
        "baton_failover_duration_seconds_bucket{le=\"1.0\"} 0",
        "baton_failover_duration_seconds_bucket{le=\"10.0\"} 0",
        "baton_failover_duration_seconds_bucket{le=\"2.5\"} 0",
        "baton_failover_duration_seconds_bucket{le=\"30.0\"} 0",
        "baton_failover_duration_seconds_bucket{le=\"5.0\"} 0",
        "baton_failover_duration_seconds_count 0",
        "baton_failover_duration_seconds_sum 0.0",
        "baton_link_closes_total{reason=\"election_before_hello\"} 1",
        "baton_peer_up{member=\"beta\"} 0",
        "baton_peer_up{member=\"gamma\"} 0",
        "baton_quorate 0",
        "baton_role{role=\"active\"} 0",
        "baton_role{role=\"demoting\"} 0",
        "baton_role{role=\"failed\"} 0",
        "baton_role{role=\"negotiating\"} 1",
        "baton_role{role=\"promoting\"} 0",
        "baton_role{role=\"standby\"} 0",
        "baton_transitions_total{from=\"negotiating\",to=\"standby\"} 1",
    ];
    assert_eq!(samples(&registry), want);
}

/// A pair member has no `baton_quorate`.
#[test]
fn a_pair_member_has_no_quorate_series() {
    let cfg = parse(Path::new("a.toml"), &file("", "")).expect("valid");
    let node = Node::new(cfg.node.clone(), Instant::ZERO).expect("a node");
    let (mut metrics, registry) = unserved(&cfg);
    metrics.refresh(&node);
    let all = samples(&registry);
    assert!(
        all.iter().all(|l| !l.starts_with("baton_quorate")),
        "{all:?}"
    );
    assert!(
        all.contains(&"baton_peer_up{member=\"b\"} 0".to_owned()),
        "{all:?}"
    );
}

/// With `remote_check`, the two remote check series, at zero before any check; none without.
#[test]
fn a_remote_check_adds_its_series() {
    let cfg = parse(Path::new("a.toml"), &file("remote_check = \"true\"", "")).expect("valid");
    let node = Node::new(cfg.node.clone(), Instant::ZERO).expect("a node");
    let (mut metrics, registry) = unserved(&cfg);
    metrics.refresh(&node);
    let all = samples(&registry);
    for want in [
        "baton_remote_check_failing 0",
        "baton_remote_check_failures_total 0",
    ] {
        assert!(all.contains(&want.to_owned()), "{all:?}");
    }
    let cfg = parse(Path::new("a.toml"), &file("", "")).expect("valid");
    let (mut metrics, registry) = unserved(&cfg);
    metrics.refresh(&node);
    let all = samples(&registry);
    assert!(
        all.iter().all(|l| !l.starts_with("baton_remote")),
        "{all:?}"
    );
}
