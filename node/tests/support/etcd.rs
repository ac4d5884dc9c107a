//! A real etcd for the etcd-mode tests (PROTOCOL 5.12): Debian's `etcd-server` (installed
//! by [`super::ensure_debian_package`] where missing), one member on free loopback ports
//! (and any extra address given, for a member in a network namespace), its data in a
//! scratch folder, started in its own process group and killed by its pid. It can be
//! SIGKILLed and started again on the same data.

use super::{ensure_debian_package, free_port, Scratch};
use baton_node::etcd::http::{post, Endpoint};
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
}

impl EtcdServer {
    /// Starts etcd with its data in `scratch` (and listening on `extra` addresses too), and
    /// waits until it answers.
    pub async fn start(scratch: &Scratch, extra: &[&str]) -> EtcdServer {
        ensure_debian_package("etcd", "etcd-server");
        let mut s = EtcdServer {
            port: free_port(),
            peer_port: free_port(),
            extra: extra.iter().map(|a| (*a).to_owned()).collect(),
            data: scratch.path.join("etcd.data"),
            log: scratch.path.join("etcd.log"),
            child: None,
        };
        s.restart().await;
        s
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `http://ADDR:PORT` for one of the extra addresses.
    pub fn url_at(&self, addr: &str) -> String {
        format!("http://{addr}:{}", self.port)
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
        let child = Command::new("etcd")
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
        let ready = answers_within(&self.url(), Duration::from_secs(20)).await;
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
async fn answers_within(url: &str, within: Duration) -> bool {
    let ep = Endpoint::parse(url).expect("url");
    {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let answer = tokio::time::timeout(
                Duration::from_secs(1),
                post(&ep, None, "/v3/kv/range", br#"{"key":"AA=="}"#),
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
