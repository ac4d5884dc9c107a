//! A real etcd for the etcd-mode tests (PROTOCOL 5.12): Debian's `etcd-server` (installed
//! by [`super::ensure_debian_package`] where missing), one member on free loopback ports
//! (and any extra address given, for a member in a network namespace), its data in a
//! scratch folder, started in its own process group and killed by its pid. It can be
//! SIGKILLed and started again on the same data.

use super::{ensure_debian_package, free_port, Scratch};
use baton_node::etcd::http::{post, Endpoint};
use baton_node::tls::{TlsConfig, TlsFiles};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// One etcd server.
pub struct EtcdServer {
    /// Its client port.
    pub port: u16,
    peer_port: u16,
    /// Extra addresses it listens on for clients (beside 127.0.0.1).
    extra: Vec<String>,
    data: PathBuf,
    log: PathBuf,
    child: Option<Child>,
    /// With TLS: the CA, etcd's certificate and key (`baton certs` files); clients must
    /// present a certificate from that CA.
    tls: Option<EtcdTls>,
}

/// etcd's TLS files, and a member's for the readiness probe.
#[derive(Clone)]
pub struct EtcdTls {
    /// The CA (`ca.pem`).
    pub ca: PathBuf,
    /// etcd's certificate and key.
    pub cert: PathBuf,
    /// Its key.
    pub key: PathBuf,
    /// A client's files (a member's), for the probe.
    pub client: TlsFiles,
}

impl EtcdServer {
    /// Starts etcd with its data in `scratch` (and listening on `extra` addresses too), and
    /// waits until it answers.
    pub async fn start(scratch: &Scratch, extra: &[&str]) -> EtcdServer {
        Self::start_with(scratch, extra, None).await
    }

    /// As [`EtcdServer::start`], serving `https` with `tls` and requiring client
    /// certificates from its CA.
    pub async fn start_with(scratch: &Scratch, extra: &[&str], tls: Option<EtcdTls>) -> EtcdServer {
        ensure_debian_package("etcd", "etcd-server");
        let mut s = EtcdServer {
            port: free_port(),
            peer_port: free_port(),
            extra: extra.iter().map(|a| (*a).to_owned()).collect(),
            data: scratch.path.join("etcd.data"),
            log: scratch.path.join("etcd.log"),
            child: None,
            tls,
        };
        s.restart().await;
        s
    }

    /// `http://127.0.0.1:PORT` (`https` with TLS).
    pub fn url(&self) -> String {
        self.url_at("127.0.0.1")
    }

    /// `http://ADDR:PORT` for one of the extra addresses (`https` with TLS).
    pub fn url_at(&self, addr: &str) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{addr}:{}", self.port)
    }

    /// (Re)starts etcd on its data folder and waits (up to 20 s) until it answers a read.
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "etcd runs");
        let mut clients = vec![self.url()];
        clients.extend(self.extra.iter().map(|a| self.url_at(a)));
        let peer = format!("http://127.0.0.1:{}", self.peer_port);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("etcd log");
        let mut cmd = Command::new("etcd");
        if let Some(t) = &self.tls {
            cmd.arg("--cert-file")
                .arg(&t.cert)
                .arg("--key-file")
                .arg(&t.key)
                .arg("--trusted-ca-file")
                .arg(&t.ca)
                .arg("--client-cert-auth");
        }
        let child = cmd
            .args(["--name", "t", "--data-dir"])
            .arg(&self.data)
            .args([
                "--listen-client-urls",
                &clients.join(","),
                "--advertise-client-urls",
                &self.url(),
                "--listen-peer-urls",
                &peer,
                "--initial-advertise-peer-urls",
                &peer,
                "--initial-cluster",
                &format!("t={peer}"),
                "--log-level",
                "warn",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("etcd starts");
        self.child = Some(child);
        let tls = self.tls.as_ref().map(|t| {
            TlsConfig::load(&t.client)
                .expect("the probe's TLS files")
                .client_config()
        });
        let ready = answers_within(&self.url(), tls, Duration::from_secs(20)).await;
        assert!(
            ready,
            "etcd did not answer within 20 s: {}",
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
    }

    /// SIGKILL to etcd (by its pid), reaped.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Its pid, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

impl Drop for EtcdServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Whether etcd at `url` answers a read within `within`.
async fn answers_within(
    url: &str,
    tls: Option<std::sync::Arc<rustls::ClientConfig>>,
    within: Duration,
) -> bool {
    let ep = Endpoint::parse(url).expect("url");
    {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let answer = tokio::time::timeout(
                Duration::from_secs(1),
                post(&ep, tls.as_ref(), "/v3/kv/range", br#"{"key":"AA=="}"#),
            )
            .await;
            if matches!(answer, Ok(Ok(ref b)) if b.starts_with(b"{\"header\"")) {
                return true;
            }
            if tokio::time::Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
