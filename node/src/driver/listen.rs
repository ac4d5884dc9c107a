//! Accept loops: each hands new connections to the driver.

use super::net::Listener;
use super::Input;
use baton_engine::LinkKind;
use baton_monitor::LinkOrigin;
use std::path::Path;
use tokio::net::UnixListener;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

/// What a listener accepts.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Role {
    Peer,
    Component,
    Status,
}

impl Role {
    fn kind(self) -> LinkKind {
        match self {
            Role::Peer => LinkKind::Peer(LinkOrigin::Accepted),
            Role::Component => LinkKind::Component,
            Role::Status => LinkKind::Client,
        }
    }
}

/// Accepts connections of a [`super::Net`] until aborted.
pub(crate) fn net<L: Listener>(
    mut listener: L,
    role: Role,
    inbox: mpsc::Sender<Input>,
) -> AbortHandle {
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, from)) => {
                    let input = Input::Accepted {
                        stream: Box::new(stream),
                        kind: role.kind(),
                        from: from.to_string(),
                    };
                    if inbox.send(input).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!("{role:?} listener: accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        }
    })
    .abort_handle()
}

/// Binds a Unix socket readable and writable by its owner only (mode 0600), replacing a
/// stale socket file left by a previous run.
pub(crate) fn bind_unix(path: &Path) -> std::io::Result<UnixListener> {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.file_type().is_socket() {
            std::fs::remove_file(path)?;
        } else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a socket", path.display()),
            ));
        }
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Accepts Unix-socket connections until aborted.
pub(crate) fn unix(listener: UnixListener, role: Role, inbox: mpsc::Sender<Input>) -> AbortHandle {
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    let input = Input::Accepted {
                        stream: Box::new(stream),
                        kind: role.kind(),
                        from: "unix socket".to_owned(),
                    };
                    if inbox.send(input).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!("{role:?} socket: accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        }
    })
    .abort_handle()
}
