//! `baton conformance` against the reference: every suite run against a real `baton node`
//! must find no failure, skip only with a reason, and (over the two runs of the member suite,
//! the node as the higher and as the lower member) pass every requirement it can reach;
//! over plain TCP and over mutual TLS (the `tls.*` tests of PROTOCOL 3.4), in a pair and in
//! quorum mode.

mod conformance_iut;

use baton_tester::{Outcome, Report};
use conformance_iut::{runtime, Iut};
use std::process::Command;

/// The member suite's requirements no run reaches: none, the tester playing the node's
/// component (it holds it Demoting and fails its promotion).
const UNREACHABLE: [&str; 0] = [];

fn assert_clean(report: &Report) {
    let text = report.text(true);
    assert!(report.failed_ids().is_empty(), "failures:\n{text}");
    for v in &report.verdicts {
        if let Outcome::Skip(why) = &v.outcome {
            assert!(
                !why.trim().is_empty(),
                "{} skipped without a reason",
                v.requirement.id
            );
        }
    }
}

#[test]
fn the_member_suite_passes_against_baton_node_as_either_member() {
    let rt = runtime();
    let reports: Vec<Report> = [0, 1]
        .into_iter()
        .map(|me| {
            let iut = Iut::start("member", me, None);
            let report = rt.block_on(baton_tester::member::run(&iut.member_setup()));
            assert_clean(&report);
            report
        })
        .collect();
    for r in baton_tester::member::REQUIREMENTS {
        for report in &reports {
            let n = report
                .verdicts
                .iter()
                .filter(|v| v.requirement.id == r.id)
                .count();
            assert_eq!(n, 1, "{} has {n} verdicts in one run", r.id);
        }
        let passed = reports
            .iter()
            .any(|rep| rep.outcome(r.id) == Some(&Outcome::Pass));
        assert_eq!(
            passed,
            !UNREACHABLE.contains(&r.id),
            "{}: passed in a run: {passed}\n{}\n{}",
            r.id,
            reports[0].text(true),
            reports[1].text(true)
        );
    }
}

/// Quorum mode: the tester plays beta, gamma and the witness against alpha, a voter.
#[test]
fn the_member_suite_passes_against_a_quorum_voter() {
    let (_iut, setup) = Iut::start_quorum("quorum", None);
    let report = runtime().block_on(baton_tester::member::run(&setup));
    // Only what a peer link cannot reach is skipped: a restart, the fence command, the
    // release (its component is not played here), and TLS over plain TCP.
    let tls = baton_tester::secure::peer::REQUIREMENTS
        .iter()
        .map(|r| r.id);
    let skipped: Vec<&str> = [
        "quorum.grant-persisted",
        "quorum.release-handover",
        "quorum.fencing-before-promotion",
    ]
    .into_iter()
    .chain(tls)
    .collect();
    assert_quorum_report(&report, &skipped);
}

/// Quorum mode over mutual TLS, the implementation beta (rank 1: its election timer has a
/// stagger), the tester playing alpha, gamma, the witness and beta's component (a failed
/// promotion ends in a release).
#[test]
fn the_member_suite_passes_against_a_quorum_member_over_mutual_tls() {
    let (iut, setup) = Iut::start_quorum_tls_with_component("quorum-tls");
    // Without the CA's key the tester cannot be every other member: refused before it starts.
    let certs = iut.certs.clone().expect("certificates");
    let file = |f: &str| certs.join(f).display().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["conformance", "member", &iut.peer.to_string()])
        .args(["--config", &iut.config.display().to_string()])
        .args([
            "--tls-ca",
            &file("ca.pem"),
            "--tls-cert",
            &file("alpha.pem"),
        ])
        .args(["--tls-key", &file("alpha.key")])
        .output()
        .expect("baton conformance runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls-ca-key"));
    let report = runtime().block_on(baton_tester::member::run(&setup));
    assert_quorum_report(
        &report,
        &["quorum.grant-persisted", "quorum.fencing-before-promotion"],
    );
}

/// Clean, every quorum requirement once in order, and exactly `skipped` skipped.
fn assert_quorum_report(report: &Report, skipped: &[&str]) {
    assert_clean(report);
    let expected: Vec<&str> = baton_tester::member::link_requirements()
        .chain(baton_tester::member::QUORUM_REQUIREMENTS)
        .chain(baton_tester::member::QUORUM_SERVING_REQUIREMENTS)
        .chain(baton_tester::secure::peer::REQUIREMENTS)
        .map(|r| r.id)
        .collect();
    let ran: Vec<&str> = report.verdicts.iter().map(|v| v.requirement.id).collect();
    assert_eq!(ran, expected);
    let was_skipped: Vec<&str> = report
        .verdicts
        .iter()
        .filter(|v| matches!(v.outcome, Outcome::Skip(_)))
        .map(|v| v.requirement.id)
        .collect();
    assert_eq!(was_skipped, skipped, "{}", report.text(true));
    assert_eq!(
        report.summary(true).passed,
        expected.len() - skipped.len(),
        "{}",
        report.text(true)
    );
}

#[test]
fn the_status_suite_passes_against_baton_node() {
    let iut = Iut::start("status", 0, None);
    let report = runtime().block_on(baton_tester::status::run(&iut.status_setup()));
    assert_clean(&report);
    assert_eq!(
        report.summary(true).passed,
        baton_tester::status::REQUIREMENTS.len()
    );
}

#[test]
fn the_node_suite_passes_against_baton_node() {
    let iut = Iut::start_with_component("node", None);
    let report = runtime().block_on(baton_tester::node::run(&iut.node_setup()));
    assert_clean(&report);
    assert_eq!(
        report.summary(true).passed,
        baton_tester::node::REQUIREMENTS.len()
    );
}

/// The reference component library (`baton-component`), accepting every role, against the
/// tester playing its node.
#[test]
fn the_component_suite_passes_against_the_component_library() {
    let rt = runtime();
    let report = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let at = listener.local_addr().expect("its address");
        let setup = baton_tester::component::ComponentSetup {
            listen: at,
            encoding: baton_codec::Encoding::Der,
            max_frame: baton_codec::DEFAULT_MAX_FRAME,
            wait: std::time::Duration::from_secs(10),
            bound: std::time::Duration::from_secs(10),
            patience: conformance_iut::PATIENCE,
            transport: baton_tester::transport::Transport::plain(),
        };
        let mut options = baton_component::ComponentOptions::new("1001");
        options.reconnect.initial = std::time::Duration::from_millis(20);
        let (component, mut events) =
            baton_component::Component::connect(baton_component::Endpoint::Tcp(at), options)
                .await
                .expect("the component starts");
        let app = tokio::spawn(async move {
            while let Some(e) = events.recv().await {
                if let baton_component::Event::RoleRequest(r) = e {
                    let _ = r.accept().await;
                }
            }
        });
        let report = baton_tester::component::run_on(listener, &setup).await;
        component.close().await;
        app.abort();
        report
    });
    assert_clean(&report);
    assert_eq!(
        report.summary(true).passed,
        baton_tester::component::REQUIREMENTS.len()
    );
}

#[test]
fn the_cli_prints_json_and_exits_by_the_verdicts() {
    let iut = Iut::start("cli", 0, None);
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["conformance", "status", &iut.status.to_string(), "--json"])
        .args(["--config", &iut.config.display().to_string()])
        .output()
        .expect("baton conformance runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(doc["suite"], "status");
    assert_eq!(doc["summary"]["failed"], 0);
    assert_eq!(
        doc["summary"]["total"],
        baton_tester::status::REQUIREMENTS.len() + baton_tester::secure::status::REQUIREMENTS.len()
    );
    // Every test passes but those of transport security, skipped over plain TCP.
    assert!(doc["tests"].as_array().expect("tests").iter().all(|t| {
        let tls = t["id"].as_str().is_some_and(|id| id.starts_with("tls."));
        t["result"] == if tls { "skip" } else { "pass" } && t["section"].is_string()
    }));

    // The member suite through the command line, the tester playing the node's component
    // too: a second node (the first one has met its tester already).
    let member = Iut::start("cli-member", 1, None);
    let component = member
        .component_tcp
        .expect("a component listener")
        .to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["conformance", "member", &member.peer.to_string(), "--json"])
        .args(["--config", &member.config.display().to_string()])
        .args(["--component", &component, "--patience-ms", "1500"])
        .output()
        .expect("baton conformance runs");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(out.status.code(), Some(0), "{doc:#}");
    assert_eq!(doc["summary"]["failed"], 0);
    let skipped: Vec<&str> = doc["tests"]
        .as_array()
        .expect("tests")
        .iter()
        .filter(|t| t["result"] == "skip")
        .filter_map(|t| t["id"].as_str())
        .collect();
    // The rank-bound rows of the other side only (beta is outranked), and TLS over TCP.
    let tls = baton_tester::secure::peer::REQUIREMENTS
        .iter()
        .map(|r| r.id);
    let expected: Vec<&str> = [
        "election.negotiating.outranking",
        "election.negotiating.handover",
    ]
    .into_iter()
    .chain(tls)
    .collect();
    assert_eq!(skipped, expected);

    // Nobody listening: exit status 2 and one line saying so, no report.
    let nobody = format!(
        "127.0.0.1:{}",
        baton_node::loopback::free_port().expect("a port")
    );
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["conformance", "status", &nobody])
        .output()
        .expect("baton conformance runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot connect"));
}

/// Every suite over mutual TLS (PROTOCOL 3.4): the tester presents beta's certificate and,
/// with the CA's key, those the identity tests need; only the binding tests of three members
/// are skipped in a pair.
#[test]
fn the_suites_pass_against_baton_node_over_mutual_tls() {
    let rt = runtime();
    let member = Iut::start_tls("tls-member", 0);
    let report = rt.block_on(baton_tester::member::run(&member.member_setup()));
    assert_clean(&report);
    for r in baton_tester::secure::peer::REQUIREMENTS {
        let want = !matches!(
            r.id,
            "tls.peer.hello-binds-certificate" | "tls.peer.refused-hello-keeps-link"
        );
        assert_eq!(
            report.outcome(r.id) == Some(&Outcome::Pass),
            want,
            "{}\n{}",
            r.id,
            report.text(true)
        );
    }
    drop(member);

    let status = Iut::start_tls("tls-status", 0);
    let report = rt.block_on(baton_tester::status::run(&status.status_setup()));
    assert_clean(&report);
    assert_eq!(
        report.summary(true).passed,
        baton_tester::status::REQUIREMENTS.len() + baton_tester::secure::status::REQUIREMENTS.len(),
        "{}",
        report.text(true)
    );
    drop(status);

    let node = Iut::start_with_component_tls("tls-node");
    let report = rt.block_on(baton_tester::node::run(&node.node_setup()));
    assert_clean(&report);
    assert_eq!(
        report.summary(true).passed,
        baton_tester::node::REQUIREMENTS.len()
            + baton_tester::secure::component::REQUIREMENTS.len(),
        "{}",
        report.text(true)
    );
}

/// The command line over mutual TLS: `--tls-ca`, `--tls-cert`, `--tls-key` (no CA key: the
/// tests that need a certificate the tester cannot make are skipped, saying so).
#[test]
fn the_cli_speaks_mutual_tls() {
    let iut = Iut::start_tls("cli-tls", 0);
    let certs = iut.certs.clone().expect("certificates");
    let file = |f: &str| certs.join(f).display().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["conformance", "status", &iut.status.to_string(), "--json"])
        .args(["--config", &iut.config.display().to_string()])
        .args(["--tls-ca", &file("ca.pem"), "--tls-cert", &file("beta.pem")])
        .args(["--tls-key", &file("beta.key")])
        .output()
        .expect("baton conformance runs");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(out.status.code(), Some(0), "{doc:#}");
    let result = |id: &str| {
        doc["tests"]
            .as_array()
            .expect("tests")
            .iter()
            .find(|t| t["id"] == id)
            .map(|t| (t["result"].clone(), t["reason"].clone()))
            .expect("the test ran")
    };
    assert_eq!(result("tls.status.unauthenticated-refused").0, "pass");
    assert_eq!(result("tls.status.member-answered").0, "pass");
    assert_eq!(result("status.get-answered").0, "pass");
    let (r, why) = result("tls.status.read-only-answered");
    assert_eq!(r, "skip", "{doc:#}");
    assert!(
        why.as_str().is_some_and(|w| w.contains("--tls-ca-key")),
        "{why}"
    );

    // The member suite: the tester plays beta, its certificate's member (no --as); without
    // the CA's key the tests needing another certificate are skipped, saying so.
    let member = Iut::start_tls("cli-tls-member", 0);
    let certs = member.certs.clone().expect("certificates");
    let file = |f: &str| certs.join(f).display().to_string();
    let component = member
        .component_tcp
        .expect("a component listener")
        .to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["conformance", "member", &member.peer.to_string(), "--json"])
        .args(["--config", &member.config.display().to_string()])
        .args(["--component", &component, "--patience-ms", "1500"])
        .args(["--tls-ca", &file("ca.pem"), "--tls-cert", &file("beta.pem")])
        .args(["--tls-key", &file("beta.key")])
        .output()
        .expect("baton conformance runs");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(out.status.code(), Some(0), "{doc:#}");
    let skipped: Vec<&str> = doc["tests"]
        .as_array()
        .expect("tests")
        .iter()
        .filter(|t| t["result"] == "skip")
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert_eq!(
        skipped,
        [
            "election.negotiating.outranked",
            "tls.peer.client-certificate-refused",
            "tls.peer.own-certificate-refused",
            "tls.peer.hello-binds-certificate",
            "tls.peer.refused-hello-keeps-link",
        ],
        "{doc:#}"
    );
    drop(member);

    // Without the files a TLS listener refuses the tester: every test fails, exit status 1.
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["conformance", "status", &iut.status.to_string()])
        .output()
        .expect("baton conformance runs");
    assert_eq!(out.status.code(), Some(1));
}

/// The tester reads the file with baton's own loader: quorum timers breaking the lease
/// inequality of PROTOCOL 5.9.6 are refused before any test runs (exit status 2).
#[test]
fn the_cli_refuses_a_file_breaking_the_lease_inequality() {
    let dir = std::env::temp_dir().join(format!("bt-conf-{}-inequality", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let mut text = String::from("name = \"alpha\"\nelection = \"quorum\"\n");
    text.push_str(&format!("state_dir = \"{}\"\n", dir.display()));
    for (i, n) in ["alpha", "beta", "gamma"].iter().enumerate() {
        text.push_str(&format!(
            "\n[[member]]\nname = \"{n}\"\nid = \"{}\"\naddress = \"127.0.0.1:{}\"\n",
            i + 1,
            7401 + i
        ));
    }
    text.push_str("\n[timers]\nvoter_lease_ms = 800\nactive_lease_ms = 600\n");
    text.push_str(&format!(
        "\n[listen]\ncontrol_socket = \"{}/ctl.sock\"\n",
        dir.display()
    ));
    let config = dir.join("alpha.toml");
    std::fs::write(&config, text).expect("the configuration is written");
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["conformance", "member", "127.0.0.1:7401", "--config"])
        .arg(&config)
        .output()
        .expect("baton conformance runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("lease inequality broken"), "{err}");
}

/// The component suite over mutual TLS: the tester (as the node) accepts only a handshake
/// with a certificate of the CA. The component library speaks plain TCP, so a proxy beside
/// it dials the tester with beta's certificate.
#[test]
fn the_component_suite_passes_over_mutual_tls() {
    let dir = std::env::temp_dir().join(format!("bt-conf-{}-component-tls", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let certs = conformance_iut::make_certs(&dir, &["alpha", "beta"]);
    let files = |name: &str| baton_node::tls::TlsFiles {
        ca: certs.join("ca.pem"),
        cert: certs.join(format!("{name}.pem")),
        key: certs.join(format!("{name}.key")),
    };
    let tester = baton_node::tls::tester::TesterTls::load(&files("alpha"), None)
        .expect("the tester's files load");
    let dialler = baton_node::tls::TlsConfig::load(&files("beta")).expect("beta's files load");
    let rt = runtime();
    let report = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let at = listener.local_addr().expect("its address");
        let proxy = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let proxy_at = proxy.local_addr().expect("its address");
        let bridge = tokio::spawn(async move {
            while let Ok((mut plain, _)) = proxy.accept().await {
                let dialler = dialler.clone();
                tokio::spawn(async move {
                    let tcp = tokio::net::TcpStream::connect(at)
                        .await
                        .expect("the tester");
                    if let Ok((mut tls, _)) = dialler.connect(tcp).await {
                        let _ = tokio::io::copy_bidirectional(&mut plain, &mut tls).await;
                    }
                });
            }
        });
        let setup = baton_tester::component::ComponentSetup {
            listen: at,
            encoding: baton_codec::Encoding::Der,
            max_frame: baton_codec::DEFAULT_MAX_FRAME,
            wait: std::time::Duration::from_secs(10),
            bound: std::time::Duration::from_secs(10),
            patience: conformance_iut::PATIENCE,
            transport: baton_tester::transport::Transport::tls(std::sync::Arc::new(tester)),
        };
        let mut options = baton_component::ComponentOptions::new("1001");
        options.reconnect.initial = std::time::Duration::from_millis(20);
        let (component, mut events) =
            baton_component::Component::connect(baton_component::Endpoint::Tcp(proxy_at), options)
                .await
                .expect("the component starts");
        let app = tokio::spawn(async move {
            while let Some(e) = events.recv().await {
                if let baton_component::Event::RoleRequest(r) = e {
                    let _ = r.accept().await;
                }
            }
        });
        let report = baton_tester::component::run_on(listener, &setup).await;
        component.close().await;
        app.abort();
        bridge.abort();
        report
    });
    let _ = std::fs::remove_dir_all(&dir);
    assert_clean(&report);
    assert_eq!(
        report.summary(true).passed,
        baton_tester::component::REQUIREMENTS.len(),
        "{}",
        report.text(true)
    );
}
