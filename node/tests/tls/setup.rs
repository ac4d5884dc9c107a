//! What the TLS tests share: `baton` runs, the certificates' folder made by `baton certs`,
//! clients' TLS configurations, a pair with `[tls]` and control TCP listeners, connections
//! from chosen loopback addresses, forged certificates, SIGHUP.

use super::support::{self, Pair, BATON};
use baton_node::tls::make::{Ca, Validity};
use baton_node::tls::{TlsConfig, TlsFiles};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// Longest any one step may take.
pub const STEP: Duration = Duration::from_secs(10);
/// Two status sockets read by one watcher may disagree on the order of events by this much.
pub const SKEW: Duration = Duration::from_millis(50);

/// What a `baton` command did.
pub struct Ran {
    /// Exit status 0.
    pub ok: bool,
    /// Its standard output, trimmed.
    pub stdout: String,
    /// Its standard error, trimmed.
    pub stderr: String,
}

/// Runs `baton ARGS` (killed after 10 s).
pub async fn baton<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Ran {
    let child = tokio::process::Command::new(BATON)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("baton starts");
    let out = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .expect("baton ends within 10 s")
        .expect("baton's output");
    Ran {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    }
}

/// The certificates' folder of a pair: `baton certs init` (alpha, beta) and two clients,
/// `reader` (read-only) and `ops` (admin).
pub fn certs_dir(pair: &Pair) -> PathBuf {
    pair.dir().join("certs")
}

/// A client's TLS configuration from the certificates' folder.
pub fn client(pair: &Pair, name: &str) -> TlsConfig {
    let d = certs_dir(pair);
    TlsConfig::load(&TlsFiles {
        ca: d.join("ca.pem"),
        cert: d.join(format!("{name}.pem")),
        key: d.join(format!("{name}.key")),
    })
    .expect("the client's files load")
}

/// `--ca … --cert … --key …` of a client.
pub fn client_args(pair: &Pair, name: &str) -> Vec<String> {
    let d = certs_dir(pair);
    let p = |f: String| d.join(f).display().to_string();
    vec![
        "--ca".into(),
        p("ca.pem".into()),
        "--cert".into(),
        p(format!("{name}.pem")),
        "--key".into(),
        p(format!("{name}.key")),
    ]
}

/// A pair whose configurations have `[tls]` (certificates made by `baton certs`) and a
/// control TCP listener each; the control addresses.
pub fn tls_pair(tag: &str) -> (Pair, [SocketAddr; 2]) {
    let pair = Pair::new(tag);
    let d = certs_dir(&pair);
    let run = |args: &[&str]| {
        let out = std::process::Command::new(BATON)
            .args(args)
            .output()
            .expect("baton certs runs");
        assert!(out.status.success(), "baton {args:?}: {out:?}");
    };
    let dir = d.display().to_string();
    run(&["certs", "init", &dir, "alpha", "beta"]);
    run(&["certs", "client", &dir, "reader"]);
    run(&["certs", "client", &dir, "ops", "--admin"]);
    let control =
        [support::free_port(), support::free_port()].map(|p| SocketAddr::from(([127, 0, 0, 1], p)));
    for (i, spec) in pair.specs.iter().enumerate() {
        let text = std::fs::read_to_string(&spec.config).expect("the configuration");
        let text = text.replace(
            "[listen]\n",
            &format!("[listen]\ncontrol_tcp = \"{}\"\n", control[i]),
        ) + &format!(
            "\n[tls]\nca = \"certs/ca.pem\"\ncert = \"certs/{n}.pem\"\nkey = \"certs/{n}.key\"\n",
            n = spec.name
        );
        std::fs::write(&spec.config, text).expect("the configuration is written");
    }
    (pair, control)
}

/// A TCP connection to `to` from the loopback address `from` (127.0.0.N).
pub async fn connect_from(from: [u8; 4], to: SocketAddr) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket
        .bind(SocketAddr::from((from, 0)))
        .expect("a loopback address to bind");
    socket.connect(to).await.expect("the node accepts")
}

/// A member's certificate and key from `ca`, valid from `not_before` to `not_after` (Unix
/// seconds), written to `dir`; its TLS configuration (trusting the cluster CA `trust`).
pub fn forged(dir: &Path, name: &str, ca: &Ca, validity: Validity, trust: &Path) -> TlsConfig {
    let issued = ca.member("alpha", validity).expect("a certificate");
    let cert = dir.join(format!("{name}.pem"));
    let key = dir.join(format!("{name}.key"));
    std::fs::write(&cert, &issued.cert_pem).expect("written");
    std::fs::write(&key, &issued.key_pem).expect("written");
    TlsConfig::load(&TlsFiles {
        ca: trust.to_owned(),
        cert,
        key,
    })
    .expect("the forged files load")
}

#[allow(clippy::disallowed_methods, clippy::disallowed_types)] // certificates' dates
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A rustls client that trusts the cluster CA and presents no certificate.
pub fn no_client_certificate(ca: &Path) -> tokio_rustls::TlsConnector {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pki_types::CertificateDer::pem_file_iter(ca).expect("ca.pem") {
        roots.add(cert.expect("a certificate")).expect("a root");
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
}

/// Sends SIGHUP to node `i`.
pub fn hup(pair: &Pair, i: usize) {
    let pid = pair.pid(i).expect("the node runs");
    let sent = std::process::Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
}
