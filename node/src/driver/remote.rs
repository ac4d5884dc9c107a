//! The remote check runner (PROTOCOL 6.8; OPERATIONS, "Checks from the client's side"): for
//! each [`baton_engine::Event::RemoteCheck`], `uplink_check` (if configured) then
//! `remote_check`, each with `sh -c` and the hook timeout, the active member's name, peer
//! address and host in `BATON_ACTIVE_MEMBER`, `BATON_ACTIVE_ADDRESS` and
//! `BATON_ACTIVE_HOST`; the outcome goes to the driver's inbox ([`RemoteDone`]). Each run is
//! logged at debug only: the node logs the verdict once per change.

use baton_engine::{RemoteCheckCommands, RemoteOutcome};
use std::net::SocketAddr;
use std::process::Stdio;
use tokio::sync::mpsc;
use tracing::debug;

/// A remote check run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RemoteDone {
    /// The run.
    pub(crate) id: u64,
    /// What it found.
    pub(crate) outcome: RemoteOutcome,
}

/// The member checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Active {
    /// Its member name.
    pub(crate) name: String,
    /// Its peer address.
    pub(crate) address: Option<SocketAddr>,
}

/// Runs run `id` in a task of its own; its end goes to `inbox`.
pub(crate) fn spawn<T>(
    commands: &RemoteCheckCommands,
    id: u64,
    active: Active,
    inbox: mpsc::Sender<T>,
) where
    T: From<RemoteDone> + Send + 'static,
{
    let commands = commands.clone();
    tokio::spawn(async move {
        let outcome = run(&commands, &active).await;
        let _ = inbox.send(T::from(RemoteDone { id, outcome })).await;
    });
}

/// The uplink check, then the remote check.
pub(crate) async fn run(commands: &RemoteCheckCommands, active: &Active) -> RemoteOutcome {
    if let Some(uplink) = &commands.uplink {
        if !command(uplink, "uplink_check", commands, active).await {
            return RemoteOutcome::UplinkFailed;
        }
    }
    if command(&commands.command, "remote_check", commands, active).await {
        RemoteOutcome::Ok
    } else {
        RemoteOutcome::Failed
    }
}

/// Runs `text` with `sh -c`: true if it exited 0 within the timeout (else it is killed).
async fn command(text: &str, key: &str, c: &RemoteCheckCommands, active: &Active) -> bool {
    let address = active.address.map(|a| a.to_string()).unwrap_or_default();
    let host = active
        .address
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let mut sh = tokio::process::Command::new("sh");
    sh.arg("-c")
        .arg(text)
        .env("BATON_ACTIVE_MEMBER", &active.name)
        .env("BATON_ACTIVE_ADDRESS", &address)
        .env("BATON_ACTIVE_HOST", &host)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    // Normal scheduling even with `realtime = true` (crate::realtime).
    let child = crate::realtime::spawn(sh);
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            debug!(active = %active.name, "{key}: cannot run: {e}");
            return false;
        }
    };
    match tokio::time::timeout(c.timeout, child.wait()).await {
        Ok(Ok(status)) => {
            debug!(active = %active.name, "{key}: {status}");
            status.success()
        }
        Ok(Err(e)) => {
            debug!(active = %active.name, "{key}: wait failed: {e}");
            false
        }
        Err(_) => {
            debug!(active = %active.name, "{key}: ran past {} ms: killed", c.timeout.as_millis());
            let _ = child.kill().await;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn commands(command: &str, uplink: Option<&str>) -> RemoteCheckCommands {
        RemoteCheckCommands {
            command: command.to_owned(),
            uplink: uplink.map(str::to_owned),
            timeout: Duration::from_secs(5),
        }
    }

    fn alpha() -> Active {
        Active {
            name: "alpha".into(),
            address: Some("127.0.0.1:7401".parse().unwrap()),
        }
    }

    #[tokio::test]
    async fn the_active_is_in_the_environment_and_the_uplink_goes_first() {
        let env = "[ \"$BATON_ACTIVE_MEMBER\" = alpha ] && [ \"$BATON_ACTIVE_ADDRESS\" = \
                   127.0.0.1:7401 ] && [ \"$BATON_ACTIVE_HOST\" = 127.0.0.1 ]";
        assert_eq!(run(&commands(env, None), &alpha()).await, RemoteOutcome::Ok);
        assert_eq!(
            run(&commands("exit 1", None), &alpha()).await,
            RemoteOutcome::Failed
        );
        assert_eq!(
            run(&commands("true", Some("false")), &alpha()).await,
            RemoteOutcome::UplinkFailed
        );
        assert_eq!(
            run(&commands("false", Some("true")), &alpha()).await,
            RemoteOutcome::Failed
        );
    }

    #[tokio::test]
    async fn a_check_past_its_timeout_fails() {
        let mut c = commands("sleep 5", None);
        c.timeout = Duration::from_millis(50);
        assert_eq!(run(&c, &alpha()).await, RemoteOutcome::Failed);
    }
}
