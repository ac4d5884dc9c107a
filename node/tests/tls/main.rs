//! Mutual TLS with real `baton node` processes on loopback: certificates from `baton certs`,
//! a TLS pair electing, failing over on SIGKILL and switching over (an admin certificate over
//! the control TCP listener; a read-only one refused), `baton status` with and without a
//! client certificate, the forged peer (a plain connection saying hello as the active, then
//! `nominationMsg`) and foreign, expired, not yet valid and absent certificates refused with
//! no role changed, a member's certificate claiming another member refused, SIGHUP reloading
//! the certificate files (a broken one refused, the old ones staying), and a node without TLS
//! warning once that its links are unauthenticated.
//!
//! Refused connections come from different loopback addresses (127.0.0.2, …): a node logs
//! at most one refused handshake per remote address per 10 s.

#[path = "../support/mod.rs"]
mod support;

mod dashboard;
mod refused;
mod reload;
mod setup;

use baton_status::State;
use setup::{baton, client, client_args, tls_pair, SKEW, STEP};
use std::time::Duration;
use support::{is, runtime, settled, start_alpha_then_beta, Pair, Watch, BATON};

#[test]
fn a_tls_pair_elects_fails_over_and_switches_over_with_an_admin_certificate() {
    let (mut pair, control) = tls_pair("tlspair");
    let check = std::process::Command::new(BATON)
        .arg("check-config")
        .arg(&pair.specs[0].config)
        .output()
        .expect("check-config runs");
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success() && said.contains("mutual TLS on every TCP link"),
        "{check:?}"
    );
    runtime().block_on(async {
        let mut watch = Watch::start_with(&pair, Some(client(&pair, "ops")));
        start_alpha_then_beta(&mut pair, &mut watch).await;
        for i in 0..2 {
            let log = pair.log(i);
            assert!(log.contains("tls=true"), "{log}");
            assert!(!log.contains("unauthenticated"), "{log}");
        }

        pair.kill(0);
        watch
            .until("beta takes over", STEP, |s| is(&s[1], State::Active))
            .await;
        pair.component_becomes(1, "active", STEP).await;
        pair.start(0);
        watch
            .until("alpha back as standby", STEP, |s| settled(s) == Some(1))
            .await;
        pair.component_becomes(0, "standby", STEP).await;

        // A read-only certificate may read, not switch over.
        let beta_control = control[1].to_string();
        let mut args = vec!["switchover".to_owned(), "--address".into(), beta_control];
        let read_only = baton(&[args.clone(), client_args(&pair, "reader")].concat()).await;
        assert!(!read_only.ok, "{}", read_only.stdout);
        assert_eq!(
            read_only.stderr,
            "baton: error: read-only certificate: switchover needs an admin certificate"
        );
        watch.record_for(Duration::from_millis(300)).await;
        assert_eq!(settled(&watch.now), Some(1), "{}", watch.render());

        args.extend(client_args(&pair, "ops"));
        let admin = baton(&args).await;
        assert!(admin.ok, "{}", admin.stderr);
        assert_eq!(admin.stdout, "ok: switchover started");
        watch
            .until("alpha active again", STEP, |s| settled(s) == Some(0))
            .await;
        pair.component_becomes(0, "active", STEP).await;
        pair.component_becomes(1, "standby", STEP).await;
        watch.assert_never_two_serving(SKEW);

        // baton status: with a client certificate, with a member's configuration, without.
        let beta_status = pair.specs[1].status.to_string();
        let status = ["status", "--json", "--address", &beta_status];
        let reader = baton(
            &[
                &status[..],
                &client_args(&pair, "reader")
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            ]
            .concat(),
        )
        .await;
        // A standby: exit status 3 (baton status exits by state), no error.
        assert!(!reader.ok && reader.stderr.is_empty(), "{}", reader.stderr);
        let doc: serde_json::Value = serde_json::from_str(&reader.stdout).expect("JSON");
        assert_eq!(doc["state"], "standby");
        let config = pair.specs[0].config.display().to_string();
        let member = baton(&["status", "--json", "--config", &config]).await;
        assert!(member.ok, "{}", member.stderr);
        let doc: serde_json::Value = serde_json::from_str(&member.stdout).expect("JSON");
        assert_eq!(doc["state"], "active");
        let plain = baton(&status).await;
        assert!(!plain.ok);
        assert!(
            plain
                .stderr
                .contains("a node with [tls] requires a client certificate"),
            "{}",
            plain.stderr
        );
    });
}

#[test]
fn a_node_without_tls_warns_once_that_its_links_are_unauthenticated() {
    let mut pair = Pair::new("plainwarn");
    runtime().block_on(async {
        pair.start(0);
        pair.log_line(0, 0, &["node started", "tls=false"], STEP)
            .await;
        let line = pair
            .log_line(
                0,
                0,
                &["links are unauthenticated (no [tls] in the configuration)"],
                STEP,
            )
            .await;
        for listener in [
            format!("peer {}", pair.specs[0].peer),
            format!("status {}", pair.specs[0].status),
            format!("component {}", pair.specs[0].component_tcp),
        ] {
            assert!(line.contains(&listener), "{line}");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let count = pair.log(0).matches("unauthenticated").count();
        assert_eq!(count, 1, "{}", pair.log(0));
    });
}
