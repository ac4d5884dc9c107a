//! The local control socket (Unix, mode 0600): operator commands that have no ASN.1 message.
//! One command per line, one answer line: `switchover` → `ok: …` or `error: …`.
//! Local administration only; not part of the interoperable protocol.

use super::input::Input;
use std::fmt;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;

/// A command from the control socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Command {
    /// Planned switchover.
    Switchover,
}

impl fmt::Display for Command {
    /// The command's word on the socket.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Command::Switchover => "switchover",
        })
    }
}

/// Serves the control socket until aborted.
pub(crate) fn serve(listener: UnixListener, inbox: mpsc::Sender<Input>) -> AbortHandle {
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let inbox = inbox.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut line = String::new();
                let mut reader = BufReader::new(read).take(256);
                let answer = match reader.read_line(&mut line).await {
                    Ok(_) => match line.trim() {
                        "switchover" => {
                            let (reply, rx) = oneshot::channel();
                            let cmd = Input::Control {
                                command: Command::Switchover,
                                reply,
                            };
                            if inbox.send(cmd).await.is_err() {
                                "error: node is stopping".to_owned()
                            } else {
                                rx.await.unwrap_or_else(|_| "error: no answer".to_owned())
                            }
                        }
                        other => format!("error: unknown command {other:?} (known: switchover)"),
                    },
                    Err(e) => format!("error: {e}"),
                };
                let _ = write.write_all(format!("{answer}\n").as_bytes()).await;
            });
        }
    })
    .abort_handle()
}
