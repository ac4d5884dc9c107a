//! The fence runner (PROTOCOL 5.10; OPERATIONS, fencing): runs `[fence] command` with
//! `sh -c` against the member being replaced, its name, id and peer address in
//! `BATON_FENCE_MEMBER`, `BATON_FENCE_ID` and `BATON_FENCE_ADDRESS`, kills it (by its pid)
//! when it runs past `timeout_ms`, logs its output lines, and reports [`FenceDone`] to the
//! driver's inbox: `ok` when it exited 0 in time.

use baton_engine::FenceCommand;
use std::net::SocketAddr;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::mpsc;
use tracing::{info, warn};

/// A fence command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FenceDone {
    /// The fenced member's name.
    pub(crate) name: String,
    /// Whether it exited 0 within the timeout.
    pub(crate) ok: bool,
}

/// Who to fence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// Member name.
    pub(crate) name: String,
    /// Member id.
    pub(crate) id: String,
    /// Its peer address.
    pub(crate) address: Option<SocketAddr>,
}

/// Runs `fence` against `target` in a task of its own; its end goes to `inbox`.
pub(crate) fn spawn<T>(fence: &FenceCommand, target: Target, inbox: mpsc::Sender<T>)
where
    T: From<FenceDone> + Send + 'static,
{
    let fence = fence.clone();
    tokio::spawn(async move {
        let ok = run(&fence, &target).await;
        let _ = inbox
            .send(T::from(FenceDone {
                name: target.name,
                ok,
            }))
            .await;
    });
}

/// Runs the command; true if it exited 0 within the timeout.
pub(crate) async fn run(fence: &FenceCommand, target: &Target) -> bool {
    let member = &target.name;
    let address = target.address.map(|a| a.to_string()).unwrap_or_default();
    info!(%member, id = %target.id, %address, "fencing: running the fence command");
    let mut sh = tokio::process::Command::new("sh");
    sh.arg("-c")
        .arg(&fence.command)
        .env("BATON_FENCE_MEMBER", member)
        .env("BATON_FENCE_ID", &target.id)
        .env("BATON_FENCE_ADDRESS", &address)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // Normal scheduling even with `realtime = true` (crate::realtime).
    let child = crate::realtime::spawn(sh);
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            warn!(%member, "fencing: cannot run the fence command: {e}");
            return false;
        }
    };
    let out = tokio::spawn(log_lines(child.stdout.take(), member.clone(), false));
    let err = tokio::spawn(log_lines(child.stderr.take(), member.clone(), true));
    let ok = match tokio::time::timeout(fence.timeout, child.wait()).await {
        Ok(Ok(status)) if status.success() => {
            info!(%member, "fencing: the fence command succeeded");
            true
        }
        Ok(Ok(status)) => {
            warn!(%member, "fencing: the fence command failed: {status}");
            false
        }
        Ok(Err(e)) => {
            warn!(%member, "fencing: cannot wait for the fence command: {e}");
            false
        }
        Err(_) => {
            let ms = fence.timeout.as_millis();
            warn!(%member, pid = ?child.id(), "fencing: the fence command ran past {ms} ms: killed");
            let _ = child.kill().await;
            false
        }
    };
    // Output of a killed command's own children may keep the pipes open: do not wait.
    if ok {
        let _ = out.await;
        let _ = err.await;
    }
    ok
}

async fn log_lines<R: AsyncRead + Unpin>(stream: Option<R>, member: String, is_err: bool) {
    let Some(stream) = stream else { return };
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if is_err {
            warn!(%member, "fence command: {line}");
        } else {
            info!(%member, "fence command: {line}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::time::Instant;

    fn target() -> Target {
        Target {
            name: "alpha".into(),
            id: "1".into(),
            address: Some("127.0.0.1:7401".parse().unwrap()),
        }
    }

    fn fence(command: &str, ms: u64) -> FenceCommand {
        FenceCommand {
            command: command.into(),
            timeout: Duration::from_millis(ms),
        }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn exit_0_in_time_is_ok_and_the_env_names_the_member() {
        let out = std::env::temp_dir().join(format!("baton-fence-{}", std::process::id()));
        let cmd = format!(
            "echo \"$BATON_FENCE_MEMBER $BATON_FENCE_ID $BATON_FENCE_ADDRESS\" > {}",
            out.display()
        );
        assert!(block_on(run(&fence(&cmd, 5000), &target())));
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            "alpha 1 127.0.0.1:7401\n"
        );
        let _ = std::fs::remove_file(out);
    }

    #[test]
    fn a_failure_or_a_timeout_is_not_ok() {
        assert!(!block_on(run(&fence("exit 1", 5000), &target())));
        let t = Instant::now();
        assert!(!block_on(run(&fence("exec sleep 5", 200), &target())));
        assert!(
            t.elapsed() < Duration::from_secs(3),
            "killed at the timeout"
        );
    }
}
