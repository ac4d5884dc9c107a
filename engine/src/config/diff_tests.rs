//! Tests of [`Config::diff`]: what a reload applies and what it refuses.

use super::*;
use crate::{NodeConfig, ScriptComponent};
use baton_codec::Encoding;
use baton_election::Alone;
use baton_monitor::Severity;
use std::time::Duration;

fn policy(severity: Severity, dead_ms: Option<u64>) -> ComponentPolicy {
    ComponentPolicy {
        severity,
        dead_interval: dead_ms.map(Duration::from_millis),
    }
}

fn base() -> Config {
    let mut node = NodeConfig::pair([("alpha", "1"), ("beta", "2")], 0);
    node.components
        .insert("1001".into(), policy(Severity::Fatal, None));
    node.components
        .insert("1002".into(), policy(Severity::Minor, Some(500)));
    Config {
        path: "c.toml".into(),
        node,
        addresses: vec![
            "127.0.0.1:7401".parse().unwrap(),
            "127.0.0.1:7402".parse().unwrap(),
        ],
        encoding: Encoding::Der,
        max_frame: 65536,
        log: "info".into(),
        component_socket: Some("/run/baton.sock".into()),
        component_tcp: None,
        status: Some("127.0.0.1:7421".parse().unwrap()),
        control_socket: None,
        control_tcp: None,
        tls: None,
        state_dir: None,
        etcd: None,
        fence: None,
        metrics: None,
        log_format: crate::config::LogFormat::Text,
        remote_check: None,
        realtime: None,
        vips: Vec::new(),
    }
}

fn diff(change: impl FnOnce(&mut Config)) -> ConfigDiff {
    let old = base();
    let mut new = base();
    change(&mut new);
    old.diff(&new)
}

#[test]
fn the_same_file_changes_nothing() {
    assert_eq!(diff(|_| {}), ConfigDiff::default());
    assert!(diff(|_| {}).is_empty());
}

#[test]
fn the_log_filter_and_component_policies_are_applied_in_order() {
    let d = diff(|c| {
        c.log = "debug".into();
        c.node
            .components
            .insert("1002".into(), policy(Severity::Major, None));
        c.node
            .components
            .insert("1001".into(), policy(Severity::Minor, Some(300)));
    });
    let applied = vec![
        Change::LogFilter {
            filter: "debug".into(),
        },
        Change::ComponentPolicy {
            component: "1001".into(),
            policy: policy(Severity::Minor, Some(300)),
        },
        Change::ComponentPolicy {
            component: "1002".into(),
            policy: policy(Severity::Major, None),
        },
    ];
    assert_eq!(
        d,
        ConfigDiff {
            applied,
            refused: vec![]
        }
    );
    let words: Vec<String> = d.applied.iter().map(ToString::to_string).collect();
    assert_eq!(
        words,
        [
            "log filter debug",
            "component 1001: severity minor, dead interval 300 ms",
            "component 1002: severity major, default dead interval",
        ]
    );
    let mut running = base();
    running.apply(&d);
    assert_eq!(
        running.diff(&{
            let mut n = base();
            n.log = "debug".into();
            n.node
                .components
                .insert("1002".into(), policy(Severity::Major, None));
            n.node
                .components
                .insert("1001".into(), policy(Severity::Minor, Some(300)));
            n
        }),
        ConfigDiff::default()
    );
}

#[test]
fn each_rule_refuses_its_own_fields() {
    let refused = |change: fn(&mut Config)| diff(change).refused;
    assert_eq!(
        refused(|c| c.node.members[1].name = "gamma".into()),
        [Refusal::Members]
    );
    assert_eq!(
        refused(|c| c.addresses[1] = "127.0.0.1:9".parse().unwrap()),
        [Refusal::Members]
    );
    assert_eq!(
        refused(|c| c.encoding = Encoding::Uper),
        [Refusal::Encoding]
    );
    assert_eq!(refused(|c| c.max_frame = 1024), [Refusal::Encoding]);
    for change in [
        (|c: &mut Config| c.node.heartbeat_interval = Duration::from_millis(50)) as fn(&mut Config),
        |c| c.node.dead_interval = Duration::from_millis(500),
        |c| c.node.startup_wait = Duration::from_millis(500),
        |c| c.node.retry_backoff = Duration::from_millis(500),
        |c| c.node.role_timeout = Duration::from_millis(500),
        |c| c.node.query_interval = Duration::from_millis(500),
    ] {
        assert_eq!(refused(change), [Refusal::Timers]);
    }
    assert_eq!(refused(|c| c.node.preempt = true), [Refusal::PreemptAlone]);
    assert_eq!(
        refused(|c| c.node.alone = Alone::Wait),
        [Refusal::PreemptAlone]
    );
    assert_eq!(refused(|c| c.component_socket = None), [Refusal::Listeners]);
    assert_eq!(
        refused(|c| c.component_tcp = Some("127.0.0.1:9".parse().unwrap())),
        [Refusal::Listeners]
    );
    assert_eq!(refused(|c| c.status = None), [Refusal::Listeners]);
    assert_eq!(
        refused(|c| c.metrics = Some("127.0.0.1:9421".parse().unwrap())),
        [Refusal::Listeners]
    );
    assert_eq!(
        refused(|c| c.log_format = crate::config::LogFormat::Json),
        [Refusal::LogFormat]
    );
    assert_eq!(refused(|c| c.realtime = Some(10)), [Refusal::Realtime]);
    assert_eq!(
        refused(|c| c.control_socket = Some("/run/c".into())),
        [Refusal::Listeners]
    );
    assert_eq!(
        refused(|c| c.control_tcp = Some("127.0.0.1:9".parse().unwrap())),
        [Refusal::Listeners]
    );
    assert_eq!(refused(|c| c.tls = Some(tls("ca.pem"))), [Refusal::Tls]);
    assert_eq!(
        refused(|c| c.node.scripts.push(ScriptComponent {
            id: "1001".into(),
            check: Some("true".into()),
            activate: None,
            deactivate: None,
            start: None,
            stop: None,
            timeout: Duration::from_secs(10),
            check_interval: Duration::from_secs(1),
        })),
        [Refusal::ScriptComponents]
    );
    // Not compared: a driver seeds the correlation ids at each start.
    assert_eq!(refused(|c| c.node.first_correlation_id = 7), []);
}

fn tls(ca: &str) -> TlsFiles {
    TlsFiles {
        ca: ca.into(),
        cert: "alpha.pem".into(),
        key: "alpha.key".into(),
    }
}

#[test]
fn other_tls_files_are_applied_tls_off_is_refused() {
    let old = Config {
        tls: Some(tls("ca.pem")),
        ..base()
    };
    let new = Config {
        tls: Some(tls("ca2.pem")),
        ..base()
    };
    let d = old.diff(&new);
    assert_eq!(
        d,
        ConfigDiff {
            applied: vec![Change::TlsFiles {
                files: tls("ca2.pem")
            }],
            refused: vec![],
        }
    );
    assert_eq!(
        d.applied[0].to_string(),
        "tls files ca ca2.pem, cert alpha.pem, key alpha.key"
    );
    let mut running = old.clone();
    running.apply(&d);
    assert_eq!(running.tls, new.tls);
    assert_eq!(old.diff(&old), ConfigDiff::default());
    let off = old.diff(&base());
    assert_eq!(off.refused, [Refusal::Tls]);
    assert_eq!(off.refused[0].to_string(), "tls on or off");
}

#[test]
fn cluster_changes_need_a_restart() {
    let d = diff(|c| {
        c.node.witnesses = vec![1];
        c.node.mode = baton_election::Mode::Quorum;
        c.state_dir = Some("/var/lib/baton".into());
        c.fence = Some(crate::FenceCommand {
            command: "true".into(),
            timeout: Duration::from_secs(1),
        });
    });
    assert_eq!(
        d.refused,
        [Refusal::Members, Refusal::Election, Refusal::Fence]
    );
    let words: Vec<String> = d.refused.iter().map(ToString::to_string).collect();
    assert_eq!(
        words,
        [
            "members",
            "election mode, quorum timers, state_dir or [etcd]",
            "fence"
        ]
    );
    let timers = diff(|c| c.node.quorum.renew = Duration::from_millis(50));
    assert_eq!(timers.refused, [Refusal::Election]);
}

#[test]
fn components_added_or_removed_refuse_every_policy_change() {
    let d = diff(|c| {
        c.node.components.remove("1002");
        c.node
            .components
            .insert("1001".into(), policy(Severity::Minor, None));
        c.node.preempt = true;
    });
    assert_eq!(
        d,
        ConfigDiff {
            applied: vec![],
            refused: vec![Refusal::PreemptAlone, Refusal::ComponentsAddedOrRemoved],
        }
    );
    let words: Vec<String> = d.refused.iter().map(ToString::to_string).collect();
    assert_eq!(words, ["preempt or alone", "components added or removed"]);
}

#[test]
fn a_changed_vip_is_refused_as_a_script_component_change() {
    let d = diff(|c| {
        c.vips.push(crate::config::VipConfig {
            id: "9001".into(),
            address: "192.0.2.10".parse().unwrap(),
            prefix: 24,
            interface: "eth0".into(),
            announce_count: 3,
            announce_interval: std::time::Duration::from_millis(10),
            probe: std::time::Duration::from_millis(1),
        });
    });
    assert_eq!(d.refused, vec![Refusal::ScriptComponents]);
}
