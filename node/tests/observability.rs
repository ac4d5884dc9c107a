//! Observability of real `baton node` processes (issue 15, items 2, 3, 4 and 7): the history
//! through `baton status --history`, Prometheus metrics scraped during a failover, systemd's
//! notifications on a socket the test binds, JSON logs, a repeating warning counted, status
//! clients logged at debug; `baton_quorate` of a quorum member as its peers go and come.

mod support;

#[path = "cluster/harness.rs"]
#[allow(dead_code)] // the cluster tests use the rest
mod harness;

use baton_status::State;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;
use support::*;

const STEP: Duration = Duration::from_secs(10);

/// `GET /metrics`: every sample line as series → value (comments left out).
async fn scrape(address: SocketAddr) -> BTreeMap<String, f64> {
    let (head, body) = http_get(address, "/metrics", STEP).await;
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(body.ends_with("# EOF\n"), "{body}");
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .map(|(series, v)| (series.to_owned(), v.parse().expect("a number")))
        .collect()
}

/// The series of `all` whose name starts with `prefix`.
fn series(all: &BTreeMap<String, f64>, prefix: &str) -> Vec<(String, f64)> {
    all.iter()
        .filter(|(k, _)| k.starts_with(prefix))
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

fn roles(active: &str) -> Vec<(String, f64)> {
    let mut all: Vec<(String, f64)> = ["active", "demoting", "failed", "negotiating"]
        .into_iter()
        .chain(["promoting", "standby"])
        .map(|r| {
            (
                format!("baton_role{{role=\"{r}\"}}"),
                f64::from(r == active),
            )
        })
        .collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

fn transition(from: &str, to: &str) -> (String, f64) {
    (
        format!("baton_transitions_total{{from=\"{from}\",to=\"{to}\"}}"),
        1.0,
    )
}

/// alpha Active and beta Standby, then alpha killed: beta's metrics say it failed over.
#[test]
fn metrics_during_a_failover() {
    let mut pair = Pair::new("metrics");
    let metrics = with_metrics(&pair);
    runtime().block_on(async {
        let mut watch = Watch::start(&pair);
        start_alpha_then_beta(&mut pair, &mut watch).await;
        let alpha = scrape(metrics[0]).await;
        assert_eq!(series(&alpha, "baton_role{"), roles("active"));
        assert_eq!(
            series(&alpha, "baton_peer_up"),
            [("baton_peer_up{member=\"beta\"}".to_owned(), 1.0)]
        );
        let beta = scrape(metrics[1]).await;
        assert_eq!(series(&beta, "baton_role{"), roles("standby"));
        assert_eq!(
            series(&beta, "baton_transitions_total"),
            [transition("negotiating", "standby")]
        );
        assert_eq!(
            series(&beta, "baton_failover_duration_seconds_count"),
            [("baton_failover_duration_seconds_count".to_owned(), 0.0)]
        );

        pair.kill(0);
        watch
            .until("beta active", STEP, |s| is(&s[1], State::Active))
            .await;
        let beta = scrape(metrics[1]).await;
        assert_eq!(series(&beta, "baton_role{"), roles("active"));
        assert_eq!(
            series(&beta, "baton_transitions_total"),
            [
                transition("negotiating", "standby"),
                transition("promoting", "active"),
                transition("standby", "promoting"),
            ]
        );
        assert_eq!(
            series(&beta, "baton_failover_duration_seconds_count"),
            [("baton_failover_duration_seconds_count".to_owned(), 1.0)]
        );
        assert_eq!(
            series(&beta, "baton_peer_up"),
            [("baton_peer_up{member=\"alpha\"}".to_owned(), 0.0)]
        );
        assert_eq!(
            series(&beta, "baton_component_up"),
            [("baton_component_up{component=\"1001\"}".to_owned(), 1.0)]
        );
        assert!(beta["baton_link_closes_total{reason=\"remote\"}"] >= 1.0);
        assert!(beta["baton_frames_received_total{link=\"peer\"}"] > 0.0);
        assert!(beta["baton_frames_sent_total{link=\"peer\"}"] > 0.0);
        let activate = "baton_hooks_run_total{component=\"1001\",hooks=\"activate\"}";
        assert_eq!(beta.get(activate), Some(&1.0), "{beta:#?}");
        assert_eq!(series(&beta, "baton_hooks_failed_total"), []);
        assert_eq!(series(&beta, "baton_quorate"), [], "pair mode has none");
    });
}

/// `baton status --history --json --config beta.toml` after alpha's death: why beta serves.
#[test]
fn status_history_says_why_it_failed_over() {
    let mut pair = Pair::new("history");
    runtime().block_on(async {
        let mut watch = Watch::start(&pair);
        start_alpha_then_beta(&mut pair, &mut watch).await;
        pair.kill(0);
        watch
            .until("beta active", STEP, |s| is(&s[1], State::Active))
            .await;
        let out = baton(&["status", "--history", "--json", "--config"], &pair, 1).await;
        let doc: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(doc["state"], "active", "{doc}");
        let history = doc["history"].as_array().expect("a history array");
        let got: Vec<(&str, &str, &str)> = history
            .iter()
            .map(|t| {
                let s = |k: &str| t[k].as_str().unwrap_or("?");
                (s("from"), s("to"), s("cause_kind"))
            })
            .collect();
        assert_eq!(
            got,
            [
                ("negotiating", "standby", "peer_election"),
                ("standby", "promoting", "peer_down"),
                ("promoting", "active", "components_confirmed"),
            ],
            "{doc}"
        );
        assert_eq!(history[1]["cause"], "peer alpha down");
        assert!(history[2]["failover_ms"].as_u64().is_some(), "{doc}");
        let at = history[1]["at"].as_str().unwrap_or("");
        assert!(at.len() == 27 && at.ends_with('Z'), "RFC 3339: {at}");

        // For people: the status line, then one line a transition.
        let text = baton(&["status", "--history", "--config"], &pair, 1).await;
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("active peer=alpha:down"), "{text}");
        assert_eq!(lines[1], "history (3 transitions, oldest first):");
        assert!(
            lines[3].ends_with("  standby -> promoting: peer alpha down"),
            "{text}"
        );
    });
}

/// Runs `baton ARGS CONFIG-OF-NODE-i`; its standard output (it must succeed).
async fn baton(args: &[&str], pair: &Pair, i: usize) -> String {
    let out = tokio::process::Command::new(BATON)
        .args(args)
        .arg(&pair.specs[i].config)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("baton runs");
    assert!(
        out.status.success(),
        "baton {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[path = "observability/logs.rs"]
mod logs;
#[path = "observability/notify.rs"]
mod notify;

/// The `baton_quorate` gauge of one member, polled until it is `want` (`within`).
async fn until_quorate(address: SocketAddr, want: f64, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let all = scrape(address).await;
        let q = series(&all, "baton_quorate");
        if q == [("baton_quorate".to_owned(), want)] {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "baton_quorate not {want} after {within:?}: {q:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Three members in quorum mode, alpha scraped: quorate while all three are up, still with
/// one peer gone (two of three), not with both gone, quorate again when one comes back.
#[test]
fn quorate_follows_the_majority() {
    let members = [
        harness::serving("alpha"),
        harness::serving("beta"),
        harness::serving("gamma"),
    ];
    let mut c = harness::Cluster::new("quorate", &members, "election = \"quorum\"", "");
    let metrics: SocketAddr = ([127, 0, 0, 1], free_port()).into();
    let path = c.config(0);
    let text = std::fs::read_to_string(&path).expect("alpha's file");
    let text = text.replacen(
        "[listen]\n",
        &format!("[listen]\nmetrics = \"{metrics}\"\n"),
        1,
    );
    std::fs::write(&path, text).expect("written");
    c.start_all();
    runtime().block_on(async {
        c.until_states(STEP * 2, "alpha active", |s| {
            harness::only_active(s, 0, &[])
        })
        .await;
        until_quorate(metrics, 1.0, STEP).await;
        c.kill(2);
        c.until_states(STEP, "gamma down", |s| s[2].is_none()).await;
        until_quorate(metrics, 1.0, STEP).await;
        c.kill(1);
        until_quorate(metrics, 0.0, STEP).await;
        c.start(1);
        until_quorate(metrics, 1.0, STEP * 2).await;
    });
}
