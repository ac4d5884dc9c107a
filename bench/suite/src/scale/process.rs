//! One `baton node` process for the scale runs: its configuration, its start, its end.

use baton_node::watch::{watch, Sample};
use baton_status::State;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::sync::mpsc;

/// A running `baton node`, killed (SIGKILL) and reaped when dropped.
pub struct NodeProcess {
    child: Child,
    /// Its status listener.
    pub status: SocketAddr,
    /// Its component socket.
    pub socket: PathBuf,
    /// Its log (standard error).
    pub log: PathBuf,
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nobody listens on, below the ephemeral range (a port from `bind(0)` may be
/// taken by an outgoing connection meanwhile).
fn free_port(avoid: &[u16]) -> Result<u16, String> {
    let base = 21000 + (std::process::id() % 4000) as u16 * 2;
    (0..2000u16)
        .map(|i| base.wrapping_add(i * 7) % 10000 + 20000)
        .find(|p| !avoid.contains(p) && TcpListener::bind((Ipv4Addr::LOCALHOST, *p)).is_ok())
        .ok_or_else(|| "no free loopback port in 20000..30000".to_owned())
}

impl NodeProcess {
    /// Starts `baton` (`exe`) as member `alpha` of a pair whose `beta` never comes, so that it
    /// promotes itself alone after the startup wait; components connect to a Unix socket in
    /// `dir`; their ids, `100000` to `100000 + components - 1`, are configured `minor` (the
    /// node refuses an id its configuration does not list, PROTOCOL 6.9).
    pub fn start(
        exe: &Path,
        dir: &Path,
        query_interval_ms: u64,
        components: usize,
    ) -> Result<NodeProcess, String> {
        let alpha = free_port(&[])?;
        let beta = free_port(&[alpha])?;
        let status = free_port(&[alpha, beta])?;
        let socket = dir.join("components.sock");
        let mut config = format!(
            r#"name = "alpha"
alone = "promote"
log = "info"

[[member]]
name = "alpha"
id = "1"
address = "127.0.0.1:{alpha}"

[[member]]
name = "beta"
id = "2"
address = "127.0.0.1:{beta}"

[timers]
query_interval_ms = {query_interval_ms}

[listen]
component_socket = "{}"
status = "127.0.0.1:{status}"
"#,
            socket.display()
        );
        for i in 0..components {
            config += &format!("\n[[component]]\nid = \"{}\"\n", 100_000 + i);
        }
        let path = dir.join("alpha.toml");
        std::fs::write(&path, config).map_err(|e| format!("{}: {e}", path.display()))?;
        let log = dir.join("alpha.log");
        let log_file =
            std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let child = Command::new(exe)
            .arg("node")
            .arg("--config")
            .arg(&path)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
        Ok(NodeProcess {
            child,
            status: SocketAddr::from((Ipv4Addr::LOCALHOST, status)),
            socket,
            log,
        })
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// An error if it exited, with the end of its log.
    pub fn check_alive(&mut self) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!(
                "baton node exited ({status}); end of its log:\n{}",
                self.log_tail(10)
            )),
            Err(e) => Err(format!("baton node: {e}")),
        }
    }

    /// The last `n` lines of its log.
    pub fn log_tail(&self, n: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Waits (up to `limit`) until the node's status listener says `state`; returns its
    /// status line.
    pub async fn wait_status(
        &mut self,
        limit: Duration,
        want: impl Fn(&baton_status::ServiceStatus) -> bool,
    ) -> Result<String, String> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Sample>();
        let watcher = tokio::spawn(watch(0, self.status, tx));
        let _abort = AbortOnDrop(watcher.abort_handle());
        let deadline = tokio::time::Instant::now() + limit;
        let mut last = None;
        loop {
            self.check_alive()?;
            let sample = tokio::time::timeout_at(
                deadline.min(tokio::time::Instant::now() + Duration::from_millis(200)),
                rx.recv(),
            )
            .await;
            match sample {
                Ok(Some(Sample {
                    status: Some(s), ..
                })) => {
                    if want(&s) {
                        return Ok(s.to_string());
                    }
                    last = Some(s.to_string());
                }
                Ok(Some(_)) => {}
                Ok(None) => return Err("status watcher ended".into()),
                Err(_) if tokio::time::Instant::now() >= deadline => {
                    return Err(format!(
                        "node not in the expected state within {limit:?} (last status: {})",
                        last.as_deref().unwrap_or("none")
                    ))
                }
                Err(_) => {}
            }
        }
    }

    /// Waits until the node is active: `degraded` counts, as the node serves while its
    /// listed components have not registered yet (they connect after this returns).
    pub async fn wait_active(&mut self, limit: Duration) -> Result<String, String> {
        self.wait_status(limit, |s| {
            matches!(s.state, State::Active | State::Degraded)
        })
        .await
    }
}

struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
