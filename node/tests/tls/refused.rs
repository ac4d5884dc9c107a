//! Refused: the forged peer, foreign, expired, not yet valid and absent certificates, a
//! member's certificate claiming another member. Nothing reaches the engine; no role changes.

use super::setup::{
    certs_dir, client, connect_from, forged, no_client_certificate, tls_pair, unix_now, STEP,
};
use super::support::{
    frame, is, runtime, send_expect_close, settled, start_alpha_then_beta, Watch, IDS, NAMES,
};
use baton_node::tls::make::{Ca, Validity};
use baton_node::tls::{HandshakeError, TlsConfig, TlsFiles};
use baton_status::State;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

#[test]
fn the_forged_peer_and_foreign_expired_or_absent_certificates_are_refused() {
    let (mut pair, _) = tls_pair("tlsforged");
    runtime().block_on(async {
        let mut watch = Watch::start_with(&pair, Some(client(&pair, "ops")));
        start_alpha_then_beta(&mut pair, &mut watch).await;
        let marks = [pair.log_mark(0), pair.log_mark(1)];
        let since = tokio::time::Instant::now();
        let beta = pair.specs[1].peer;
        let within = Duration::from_secs(3);

        // The forged peer: a plain connection saying hello as alpha (the active),
        // then nominating beta. It made the standby run activate; now the handshake fails.
        let mut forged_bytes = frame(baton_monitor::heart_beat(
            "7",
            IDS[0],
            baton_monitor::ComponentStatus::ok,
        ));
        forged_bytes.extend(frame(baton_election::message::nomination("7", NAMES[1])));
        let s = connect_from([127, 0, 0, 2], beta).await;
        send_expect_close(s, &forged_bytes, within, "the forged peer").await;

        let ca_pem = certs_dir(&pair).join("ca.pem");
        let d = pair.dir().to_owned();
        let now = unix_now();
        let (other_ca, _) = Ca::generate(Validity::days(now, 30)).expect("a CA");
        let cluster_ca = Ca::from_pem(
            &std::fs::read_to_string(&ca_pem).expect("ca.pem"),
            &std::fs::read_to_string(certs_dir(&pair).join("ca.key")).expect("ca.key"),
        )
        .expect("the cluster CA");
        let expired = Validity {
            not_before: now - 10 * 86_400,
            not_after: now - 86_400,
        };
        let not_yet = Validity {
            not_before: now + 86_400,
            not_after: now + 10 * 86_400,
        };
        let cases = [
            (
                [127, 0, 0, 3],
                forged(&d, "other", &other_ca, Validity::days(now, 30), &ca_pem),
            ),
            (
                [127, 0, 0, 4],
                forged(&d, "expired", &cluster_ca, expired, &ca_pem),
            ),
            (
                [127, 0, 0, 5],
                forged(&d, "notyet", &cluster_ca, not_yet, &ca_pem),
            ),
        ];
        for (from, tls) in &cases {
            let s = connect_from(*from, beta).await;
            let refused = tokio::time::timeout(within, tls.dial(s))
                .await
                .expect("an end");
            assert!(
                matches!(refused, Err(HandshakeError::RefusedByPeer(_))),
                "{:?}",
                refused.map(|(_, who)| who)
            );
        }
        // TLS without a client certificate.
        let no_cert = no_client_certificate(&ca_pem);
        let s = connect_from([127, 0, 0, 6], beta).await;
        let name = rustls_pki_types::ServerName::try_from("beta").expect("a name");
        let mut t = no_cert
            .connect(name, s)
            .await
            .expect("the server's side is fine");
        let _ = t
            .write_all(&frame(baton_monitor::heart_beat(
                "7",
                IDS[0],
                baton_monitor::ComponentStatus::ok,
            )))
            .await;
        send_expect_close(t, &[], within, "no client certificate").await;

        // Each refusal: one line naming the remote address and the reason.
        let expect = [
            ("127.0.0.2", "not TLS: "),
            ("127.0.0.3", "certificate not signed by the cluster CA"),
            ("127.0.0.4", "certificate expired"),
            ("127.0.0.5", "certificate not yet valid"),
            ("127.0.0.6", "no client certificate"),
        ];
        for (from, why) in expect {
            let why = format!(
                "peer listener: TLS handshake refused: {}",
                why.trim_start_matches("not TLS: ")
            );
            let from = format!("remote={from}:");
            pair.log_line(1, marks[1], &[&why, &from], within).await;
        }

        // Rate-limited: three from one address within 10 s, one line.
        for _ in 0..3 {
            let s = connect_from([127, 0, 0, 7], beta).await;
            send_expect_close(s, &forged_bytes, within, "a repeated plain connection").await;
        }
        watch.record_for(Duration::from_millis(500)).await;
        let lines = pair.log_since(1, marks[1]);
        let from_7 = lines
            .iter()
            .filter(|l| l.contains("remote=127.0.0.7:"))
            .count();
        assert_eq!(from_7, 1, "{}", lines.join("\n"));

        // Nothing reached either engine: no role changed, beta's component never active.
        for i in 0..2 {
            let log = pair.log_since(i, marks[i]);
            assert!(
                !log.iter().any(|l| l.contains("role changed")
                    || l.contains("peer alpha up")
                    || l.contains("peer beta up")),
                "{}: {}",
                NAMES[i],
                log.join("\n")
            );
        }
        assert!(
            watch
                .since(since)
                .all(|s| s.status.as_ref().map(|st| st.state)
                    == Some(if s.node == 0 {
                        State::Active
                    } else {
                        State::Standby
                    })),
            "{}",
            watch.render()
        );
        assert_eq!(settled(&watch.now), Some(0), "{}", watch.render());
        assert_eq!(pair.component(1), "standby");
        assert_eq!(pair.component(0), "active");
    });
}

/// Peer links bound to their certificates: alpha's certificate saying hello as beta (to beta,
/// alone and active), beta's own certificate and a client's on beta's peer port: each closed
/// with its reason, beta still active with no peer up.
#[test]
fn a_member_certificate_cannot_claim_another_member() {
    let (mut pair, _) = tls_pair("tlsclaim");
    runtime().block_on(async {
        let mut watch = Watch::start_with(&pair, Some(client(&pair, "ops")));
        pair.start(1);
        watch
            .until("beta active alone", STEP, |s| is(&s[1], State::Active))
            .await;
        let within = Duration::from_secs(3);
        pair.log_line(1, 0, &["role changed", "to=active"], within)
            .await;
        let mark = pair.log_mark(1);
        let as_member = |name: &str| {
            let d = certs_dir(&pair);
            TlsConfig::load(&TlsFiles {
                ca: d.join("ca.pem"),
                cert: d.join(format!("{name}.pem")),
                key: d.join(format!("{name}.key")),
            })
            .expect("the member's files")
        };
        let hello_as_beta = frame(baton_monitor::heart_beat(
            "7",
            IDS[1],
            baton_monitor::ComponentStatus::ok,
        ));
        let cases = [
            // Alpha's certificate (a stolen key, say) saying hello as beta.
            (
                as_member("alpha"),
                "hello refused: member alpha's certificate cannot speak as beta",
            ),
            (
                as_member("beta"),
                "peer link refused: the certificate of member beta is no peer's",
            ),
            (
                client(&pair, "ops"),
                "peer link refused: the certificate of client ops (admin) is no peer's",
            ),
        ];
        for (i, (tls, why)) in cases.iter().enumerate() {
            let from = [127, 0, 0, 2 + i as u8];
            let s = connect_from(from, pair.specs[1].peer).await;
            let (t, _) = tls.dial(s).await.expect("a valid certificate");
            send_expect_close(t, &hello_as_beta, within, why).await;
            pair.log_line(1, mark, &[why], within).await;
        }
        watch.record_for(Duration::from_millis(300)).await;
        let log = pair.log_since(1, mark);
        assert!(
            !log.iter()
                .any(|l| l.contains("peer alpha up") || l.contains("role changed")),
            "{}",
            log.join("\n")
        );
        assert!(is(&watch.now[1], State::Active), "{}", watch.render());
        assert_eq!(pair.component(1), "active");
    });
}

/// A dialler refused at the handshake backs off as after a refused link, doubling up to 1 s
/// (PROTOCOL 3.4, 4 *Dialling*): whatever listens at beta's address (here the test, closing
/// every connection at once, as a peer with another CA refuses) sees alpha's attempts at 0,
/// 50, 150, 350, 750, 1550 and 2550 ms at the earliest: at most 7 in 3 s, where the cap of a
/// connect failure (150 ms at the default startup wait) allowed 21.
#[test]
fn a_refused_handshake_backs_off_as_a_refused_link() {
    let (mut pair, _) = tls_pair("tlsbackoff");
    runtime().block_on(async {
        let listener = tokio::net::TcpListener::bind(pair.specs[1].peer)
            .await
            .expect("beta's address");
        pair.start(0);
        let (first, _) = tokio::time::timeout(STEP, listener.accept())
            .await
            .expect("alpha dials")
            .expect("accepted");
        drop(first);
        let window = Duration::from_secs(3);
        let start = tokio::time::Instant::now();
        let mut attempts = 1;
        while let Ok(Ok((s, _))) = tokio::time::timeout_at(start + window, listener.accept()).await
        {
            drop(s);
            attempts += 1;
        }
        assert!(
            (2..=7).contains(&attempts),
            "{attempts} attempts in {window:?}"
        );
        assert!(pair.running(0));
    });
}
