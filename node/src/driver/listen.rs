//! The listeners: peer, component (Unix socket and TCP), status and control; each accept
//! loop hands new connections to the driver's inbox.

use super::control;
use super::input::Input;
use super::net::{Listener, Net};
use crate::config::Config;
use baton_engine::LinkKind;
use baton_monitor::LinkOrigin;
use std::fmt;
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

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Peer => "peer",
            Role::Component => "component",
            Role::Status => "status",
        })
    }
}

/// The accept loops, aborted when dropped.
#[derive(Default)]
pub(crate) struct Listeners(Vec<AbortHandle>);

impl Drop for Listeners {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

/// Opens every listener `cfg` names: the peer address on `net`, the component socket and
/// TCP address, the status address, the control socket.
///
/// # Errors
/// Which listener could not be opened (as the log names it), and why.
pub(crate) async fn open<N: Net>(
    cfg: &Config,
    net: &N,
    inbox: &mpsc::Sender<Input>,
) -> Result<Listeners, (String, std::io::Error)> {
    let mut all = Listeners::default();
    let peer = cfg.addresses[cfg.node.me];
    let l = net
        .bind(peer)
        .await
        .map_err(|e| (format!("peer address {peer}"), e))?;
    all.0.push(self::net(l, Role::Peer, inbox.clone()));
    if let Some(path) = &cfg.component_socket {
        let l = bind_unix(path).map_err(|e| (path.display().to_string(), e))?;
        all.0.push(unix(l, Role::Component, inbox.clone()));
    }
    if let Some(addr) = cfg.component_tcp {
        let l = net
            .bind(addr)
            .await
            .map_err(|e| (format!("component address {addr}"), e))?;
        all.0.push(self::net(l, Role::Component, inbox.clone()));
    }
    if let Some(addr) = cfg.status {
        let l = net
            .bind(addr)
            .await
            .map_err(|e| (format!("status address {addr}"), e))?;
        all.0.push(self::net(l, Role::Status, inbox.clone()));
    }
    if let Some(path) = &cfg.control_socket {
        let l = bind_unix(path).map_err(|e| (path.display().to_string(), e))?;
        all.0.push(control::serve(l, inbox.clone()));
    }
    Ok(all)
}

/// Accepts connections of a [`Net`] until aborted.
fn net<L: Listener>(mut listener: L, role: Role, inbox: mpsc::Sender<Input>) -> AbortHandle {
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
                    tracing::warn!("{role} listener: accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        }
    })
    .abort_handle()
}

/// Binds a Unix socket readable and writable by its owner only (mode 0600), replacing a
/// stale socket file left by a previous run.
fn bind_unix(path: &Path) -> std::io::Result<UnixListener> {
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
fn unix(listener: UnixListener, role: Role, inbox: mpsc::Sender<Input>) -> AbortHandle {
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
                    tracing::warn!("{role} socket: accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        }
    })
    .abort_handle()
}
