//! The listeners: peer, component (Unix socket and TCP), status and control (Unix socket
//! and, with TLS, TCP); each accept loop hands new connections to the driver's inbox. With
//! TLS every TCP connection is handshaken first, in a task of its own: a refused one never
//! reaches the driver (a rate-limited log line names its address and why).

use super::control;
use super::input::{Input, Stream};
use super::net::{Listener, Net};
use super::secure::Tls;
use crate::config::Config;
use crate::tls::{HandshakeError, Identity};
use baton_engine::{LinkKind, Requester};
use baton_monitor::LinkOrigin;
use std::fmt;
use std::net::SocketAddr;
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
    Control,
}

impl Role {
    /// The kind of link it opens; `None` for the control listener (no link: one command).
    fn kind(self) -> Option<LinkKind> {
        match self {
            Role::Peer => Some(LinkKind::Peer(LinkOrigin::Accepted)),
            Role::Component => Some(LinkKind::Component),
            Role::Status => Some(LinkKind::Client),
            Role::Control => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Peer => "peer",
            Role::Component => "component",
            Role::Status => "status",
            Role::Control => "control",
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
/// TCP address, the status address, the control socket and TCP address; with `tls`, every
/// TCP listener requires it.
///
/// # Errors
/// Which listener could not be opened (as the log names it), and why.
pub(crate) async fn open<N: Net>(
    cfg: &Config,
    net: &N,
    inbox: &mpsc::Sender<Input>,
    tls: Option<&Tls>,
) -> Result<Listeners, (String, std::io::Error)> {
    let mut all = Listeners::default();
    let peer = cfg.addresses[cfg.node.me];
    let l = net
        .bind(peer)
        .await
        .map_err(|e| (format!("peer address {peer}"), e))?;
    all.0
        .push(self::net(l, Role::Peer, inbox.clone(), tls.cloned()));
    if let Some(path) = &cfg.component_socket {
        let l = bind_unix(path).map_err(|e| (path.display().to_string(), e))?;
        all.0.push(unix(l, Role::Component, inbox.clone()));
    }
    if let Some(addr) = cfg.component_tcp {
        let l = net
            .bind(addr)
            .await
            .map_err(|e| (format!("component address {addr}"), e))?;
        all.0
            .push(self::net(l, Role::Component, inbox.clone(), tls.cloned()));
    }
    if let Some(addr) = cfg.status {
        let l = net
            .bind(addr)
            .await
            .map_err(|e| (format!("status address {addr}"), e))?;
        all.0
            .push(self::net(l, Role::Status, inbox.clone(), tls.cloned()));
    }
    if let Some(path) = &cfg.control_socket {
        let l = bind_unix(path).map_err(|e| (path.display().to_string(), e))?;
        all.0.push(control::serve(l, inbox.clone()));
    }
    if let Some(addr) = cfg.control_tcp {
        // Only with TLS (the configuration refuses it without): the node decides by the
        // client's certificate.
        let Some(tls) = tls else {
            let e = std::io::Error::other("a control TCP listener needs [tls]");
            return Err((format!("control address {addr}"), e));
        };
        let l = net
            .bind(addr)
            .await
            .map_err(|e| (format!("control address {addr}"), e))?;
        all.0.push(self::net(
            l,
            Role::Control,
            inbox.clone(),
            Some(tls.clone()),
        ));
    }
    Ok(all)
}

/// Accepts connections of a [`Net`] until aborted; with `tls`, each connection's handshake
/// runs in a task of its own (at most a few at once per listener: beyond, new connections
/// are closed).
fn net<L: Listener>(
    mut listener: L,
    role: Role,
    inbox: mpsc::Sender<Input>,
    tls: Option<Tls>,
) -> AbortHandle {
    let permits = Tls::permits();
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, from)) => {
                    let Some(tls) = &tls else {
                        if !ready(role, Box::new(stream), None, from, &inbox).await {
                            return;
                        }
                        continue;
                    };
                    let Some(permit) = Tls::permit(&permits) else {
                        let busy = HandshakeError::Other("too many handshakes at once".into());
                        tls.refused(&format!("{role} listener"), from, &busy);
                        continue;
                    };
                    let (tls, inbox) = (tls.clone(), inbox.clone());
                    tokio::spawn(async move {
                        match tls.accept(stream).await {
                            Ok((stream, identity)) => {
                                drop(permit);
                                ready(role, stream, Some(identity), from, &inbox).await;
                            }
                            Err(e) => tls.refused(&format!("{role} listener"), from, &e),
                        }
                    });
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

/// Hands a connection ready for frames to the driver (a control connection to its session);
/// `false` when the driver is gone.
async fn ready(
    role: Role,
    stream: Stream,
    identity: Option<Identity>,
    from: SocketAddr,
    inbox: &mpsc::Sender<Input>,
) -> bool {
    let Some(kind) = role.kind() else {
        if let Some(identity) = identity {
            control::session(stream, Requester::Remote(identity), inbox.clone());
        }
        return !inbox.is_closed();
    };
    let input = Input::Accepted {
        stream,
        kind,
        from: from.to_string(),
        identity,
    };
    inbox.send(input).await.is_ok()
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
                    let Some(kind) = role.kind() else { return };
                    let input = Input::Accepted {
                        stream: Box::new(stream),
                        kind,
                        from: "unix socket".to_owned(),
                        identity: None,
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
