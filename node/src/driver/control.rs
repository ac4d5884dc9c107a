//! Operator commands that have no ASN.1 message, on the local control socket (Unix, mode
//! 0600) and, with TLS only, on the control TCP listener (`listen.control_tcp`): one command
//! per line, one answer line: `switchover` → `ok: …` or `error: …`. The node decides who may
//! (the local socket and admin certificates). Not part of the interoperable protocol.

use super::input::Input;
use baton_engine::Requester;
use std::fmt;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::UnixListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;

/// Longest a control connection may take to send its command line.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// A command from the control socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Command {
    /// Planned switchover.
    Switchover,
    /// The status line and the history of role transitions (`baton status --history`).
    History,
}

impl fmt::Display for Command {
    /// The command's word on the socket.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Command::Switchover => "switchover",
            Command::History => crate::history::COMMAND,
        })
    }
}

/// Serves the control socket until aborted.
pub(crate) fn serve(listener: UnixListener, inbox: mpsc::Sender<Input>) -> AbortHandle {
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            session(stream, Requester::Local, inbox.clone());
        }
    })
    .abort_handle()
}

/// Reads one command from `stream`, hands it to the driver as `requester`'s, and writes the
/// answer; in a task of its own.
pub(crate) fn session<S>(stream: S, requester: Requester, inbox: mpsc::Sender<Input>)
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    tokio::spawn(async move {
        let (read, mut write) = tokio::io::split(stream);
        let mut line = String::new();
        let mut reader = BufReader::new(read).take(256);
        let read = tokio::time::timeout(COMMAND_TIMEOUT, reader.read_line(&mut line)).await;
        let answer = match read {
            Err(_) => format!("error: no command within {} s", COMMAND_TIMEOUT.as_secs()),
            Ok(Err(e)) => format!("error: {e}"),
            Ok(Ok(_)) => match line.trim() {
                word @ ("switchover" | crate::history::COMMAND) => {
                    let command = match word {
                        "switchover" => Command::Switchover,
                        _ => Command::History,
                    };
                    let (reply, rx) = oneshot::channel();
                    let cmd = Input::Control {
                        command,
                        requester,
                        reply,
                    };
                    if inbox.send(cmd).await.is_err() {
                        "error: node is stopping".to_owned()
                    } else {
                        rx.await.unwrap_or_else(|_| "error: no answer".to_owned())
                    }
                }
                other => format!("error: unknown command {other:?} (known: switchover, history)"),
            },
        };
        let _ = write.write_all(format!("{answer}\n").as_bytes()).await;
        let _ = write.shutdown().await;
    });
}
