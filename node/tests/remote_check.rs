//! Checks from the client's side (issue 15 item 9, seed 004, PROTOCOL 6.8) with real
//! `baton node` processes on loopback: each member's `remote_check` fails while a marker file
//! of its own exists; the standby's `baton status --json` says `remote`, and with
//! `remote_check_handover = true` the service moves to it.

mod support;

use std::path::PathBuf;
use std::time::Duration;
use support::{free_port, runtime, settled, start_alpha_then_beta, status_json, Pair, Watch};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Longest any one step may take.
const STEP: Duration = Duration::from_secs(10);

/// Adds the remote check to both files; returns each member's marker (its check fails while
/// the marker exists). The check also insists on the active's name and host in its
/// environment.
fn add_remote_check(pair: &Pair, handover: bool) -> [PathBuf; 2] {
    [0, 1].map(|i| {
        let spec = &pair.specs[i];
        let marker = pair.dir().join(format!("{}.remote-fails", spec.name));
        let other = &pair.specs[1 - i];
        let check = format!(
            "[ ! -e {} ] && [ \"$BATON_ACTIVE_MEMBER\" = {} ] && [ \"$BATON_ACTIVE_HOST\" = {} ]",
            marker.display(),
            other.name,
            other.peer.ip(),
        );
        let keys = format!(
            "log = \"info\"\nremote_check = {check:?}\nremote_check_interval_ms = 100\n\
             remote_check_failures = 3\nremote_check_handover = {handover}\n"
        );
        let text = std::fs::read_to_string(&spec.config).expect("the file");
        assert!(text.contains("log = \"info\"\n"), "{text}");
        std::fs::write(&spec.config, text.replacen("log = \"info\"\n", &keys, 1)).expect("written");
        marker
    })
}

/// Gives node `i` a metrics listener; returns its address.
fn add_metrics(pair: &Pair, i: usize) -> std::net::SocketAddr {
    let address: std::net::SocketAddr = ([127, 0, 0, 1], free_port()).into();
    let path = &pair.specs[i].config;
    let text = std::fs::read_to_string(path).expect("the file");
    let line = format!("[listen]\nmetrics = \"{address}\"\n");
    std::fs::write(path, text.replacen("[listen]\n", &line, 1)).expect("written");
    address
}

/// `GET /metrics`: the lines that start with `prefix`.
async fn metrics(address: std::net::SocketAddr, prefix: &str) -> Vec<String> {
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connects");
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n")
        .await
        .expect("written");
    let mut text = String::new();
    let read = stream.read_to_string(&mut text);
    tokio::time::timeout(STEP, read)
        .await
        .expect("in time")
        .expect("read");
    text.lines()
        .filter(|l| l.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

/// Waits until node `i`'s `baton status --json` has `remote` equal to `want` (`None`: no
/// such key).
async fn remote_becomes(pair: &Pair, i: usize, want: Option<&str>) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + STEP;
    loop {
        let doc = status_json(pair.specs[i].status).await.expect("status");
        if doc.get("remote").and_then(|r| r.as_str()) == want {
            return doc;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{doc}, want remote {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[test]
fn the_standby_reports_the_actives_service_failing_and_nothing_moves_without_the_flag() {
    let mut pair = Pair::new("remote");
    let markers = add_remote_check(&pair, false);
    let beta_metrics = add_metrics(&pair, 1);
    runtime().block_on(async {
        let mut watch = Watch::start(&pair);
        start_alpha_then_beta(&mut pair, &mut watch).await;
        watch.record_for(Duration::from_millis(500)).await;
        remote_becomes(&pair, 1, None).await;
        std::fs::write(&markers[1], "").expect("marker");
        let doc = remote_becomes(&pair, 1, Some("failing")).await;
        assert_eq!(doc["state"], "standby", "{doc}");
        assert!(
            doc["status"].as_str().unwrap().ends_with(" remote=failing"),
            "{doc}"
        );
        assert_eq!(
            metrics(beta_metrics, "baton_remote_check_failing").await,
            ["baton_remote_check_failing 1"]
        );
        watch.record_for(Duration::from_millis(500)).await;
        assert_eq!(settled(&watch.now), Some(0), "{}", watch.render());
        let log = pair.log(1);
        assert_eq!(
            log.matches("remote check of alpha's service: failing (3 in a row")
                .count(),
            1,
            "{log}"
        );
        // The active's own view is unchanged; the failure clears with the marker.
        std::fs::remove_file(&markers[1]).expect("removed");
        remote_becomes(&pair, 1, None).await;
        assert!(pair.log(1).contains("remote check of alpha's service: ok"));
        assert_eq!(
            metrics(beta_metrics, "baton_remote_check_failing").await,
            ["baton_remote_check_failing 0"]
        );
        let failures = metrics(beta_metrics, "baton_remote_check_failures_total ").await;
        let n: u64 = failures[0].rsplit(' ').next().unwrap().parse().unwrap();
        assert!(n >= 3, "{failures:?}");
    });
}

#[test]
fn with_the_flag_the_service_moves_to_the_standby_that_cannot_reach_it() {
    let mut pair = Pair::new("remotemove");
    let markers = add_remote_check(&pair, true);
    runtime().block_on(async {
        let mut watch = Watch::start(&pair);
        start_alpha_then_beta(&mut pair, &mut watch).await;
        std::fs::write(&markers[1], "").expect("marker");
        watch
            .until("beta active, alpha standby", STEP, |s| {
                settled(s) == Some(1)
            })
            .await;
        pair.component_becomes(1, "active", STEP).await;
        pair.component_becomes(0, "standby", STEP).await;
        // alpha, now the standby, checks beta and finds it fine: the service stays.
        watch.record_for(Duration::from_millis(800)).await;
        assert_eq!(settled(&watch.now), Some(1), "{}", watch.render());
        remote_becomes(&pair, 0, None).await;
        assert!(
            pair.log(0)
                .contains("beta's remote checks fail and it asks for the service: handing over"),
            "{}",
            pair.log(0)
        );
        watch.assert_never_two_serving(Duration::from_millis(100));
    });
}
