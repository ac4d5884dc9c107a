//! The operator's requests to a running driver: [`Request`]s, from SIGTERM, SIGINT and
//! SIGHUP in production ([`signals`]), from a channel in tests.

use tokio::signal::unix::{Signal, SignalKind};
use tokio::sync::mpsc;
use tracing::warn;

/// What an operator asks of a running driver: in production, the signals `baton node` gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// SIGTERM: hand the service over to the standby (planned switchover), then exit.
    Stop,
    /// SIGINT: exit at once, without handover.
    Exit,
    /// SIGHUP: read the configuration file again and say what would need a restart.
    Reload,
}

/// SIGTERM, SIGINT and SIGHUP as [`Request`]s; watched from now on.
pub(crate) fn signals() -> mpsc::Receiver<Request> {
    let (tx, rx) = mpsc::channel(8);
    let mut term = signal(SignalKind::terminate(), "SIGTERM");
    let mut int = signal(SignalKind::interrupt(), "SIGINT");
    let mut hup = signal(SignalKind::hangup(), "SIGHUP");
    tokio::spawn(async move {
        loop {
            let request = tokio::select! {
                Some(()) = recv(&mut term) => Request::Stop,
                Some(()) = recv(&mut int) => Request::Exit,
                Some(()) = recv(&mut hup) => Request::Reload,
                else => return,
            };
            if tx.send(request).await.is_err() {
                return;
            }
        }
    });
    rx
}

fn signal(kind: SignalKind, name: &str) -> Option<Signal> {
    tokio::signal::unix::signal(kind)
        .map_err(|e| warn!("cannot watch {name}: {e}"))
        .ok()
}

async fn recv(s: &mut Option<Signal>) -> Option<()> {
    match s {
        Some(s) => s.recv().await,
        None => std::future::pending().await,
    }
}
