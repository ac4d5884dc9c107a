//! The metrics listener of a node with `[tls]` (the dashboard, issue 19): like the status
//! listener, it answers only a client with a certificate of the cluster's CA.

use super::setup::{client, no_client_certificate, tls_pair, STEP};
use super::support::{runtime, start_alpha_then_beta, with_metrics, Watch};
use std::net::SocketAddr;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Sends `GET path` on `stream`; all it answers (empty if the server closed or refused).
async fn get<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return String::new();
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(STEP, stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn with_tls_the_dashboard_and_metrics_need_a_client_certificate() {
    let (mut pair, _control) = tls_pair("tlsdash");
    let metrics = with_metrics(&pair);
    runtime().block_on(async {
        let mut watch = Watch::start_with(&pair, Some(client(&pair, "reader")));
        start_alpha_then_beta(&mut pair, &mut watch).await;
        let at: SocketAddr = metrics[0];

        // A read-only client certificate reads the document and the metrics.
        let reader = client(&pair, "reader");
        for path in ["/status.json", "/metrics", "/"] {
            let (stream, _) = baton_node::client::connect(at, Some(&reader), STEP)
                .await
                .expect("the reader's handshake");
            let answer = get(stream, path).await;
            assert!(
                answer.starts_with("HTTP/1.1 200 OK\r\n"),
                "{path}: {answer}"
            );
        }
        let (stream, _) = baton_node::client::connect(at, Some(&reader), STEP)
            .await
            .expect("the reader's handshake");
        let answer = get(stream, "/status.json").await;
        let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        let doc: serde_json::Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(doc["role"], "active", "{doc}");

        // Plain HTTP: no answer.
        let plain = tokio::net::TcpStream::connect(at).await.expect("accepted");
        let answer = get(plain, "/status.json").await;
        assert!(
            !answer.contains("HTTP/1.1"),
            "plain HTTP answered: {answer}"
        );

        // TLS without a client certificate: refused, no answer.
        let ca = pair.dir().join("certs").join("ca.pem");
        let tcp = tokio::net::TcpStream::connect(at).await.expect("accepted");
        let name = rustls_pki_types::ServerName::try_from("baton").expect("a name");
        let answer = match no_client_certificate(&ca).connect(name, tcp).await {
            Ok(stream) => get(stream, "/status.json").await,
            Err(_) => String::new(),
        };
        assert!(
            !answer.contains("HTTP/1.1"),
            "no certificate answered: {answer}"
        );
    });
}
