//! Connecting to a node's TCP listener as a client (`baton status`, `baton switchover`, the
//! status watchers): plain TCP, or mutual TLS with a client's (or a member's) certificate,
//! until the node accepted it ([`TlsConfig::dial`]).

use crate::driver::Io;
use crate::tls::{HandshakeError, Identity, TlsConfig};
use std::net::SocketAddr;
use std::time::Duration;

/// A connection to a node.
pub type ClientStream = Box<dyn Io>;

/// Why a connection to a node could not be made; `Display` is one line for the operator.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The TCP connection failed.
    #[error("cannot connect to {0}: {1}")]
    Io(SocketAddr, std::io::Error),
    /// Nothing within the time given.
    #[error("cannot connect to {0}: timed out after {ms} ms", ms = .1.as_millis())]
    TimedOut(SocketAddr, Duration),
    /// The node refused our certificate (its alert).
    #[error("{0} refused our certificate (alert {1})")]
    Refused(SocketAddr, String),
    /// The handshake failed on our side: the node's certificate, typically.
    #[error("TLS handshake with {0} failed: {1}")]
    Handshake(SocketAddr, HandshakeError),
}

/// Connects to `address` within `within`, with `tls` when given; with TLS, also the
/// identity the node's certificate speaks for.
///
/// # Errors
/// What failed, for the operator.
pub async fn connect(
    address: SocketAddr,
    tls: Option<&TlsConfig>,
    within: Duration,
) -> Result<(ClientStream, Option<Identity>), ConnectError> {
    let attempt = async {
        let stream = tokio::net::TcpStream::connect(address)
            .await
            .map_err(|e| ConnectError::Io(address, e))?;
        let _ = stream.set_nodelay(true);
        match tls {
            None => Ok((Box::new(stream) as ClientStream, None)),
            Some(tls) => match tls.dial(stream).await {
                Ok((stream, identity)) => Ok((Box::new(stream) as ClientStream, Some(identity))),
                Err(HandshakeError::RefusedByPeer(alert)) => {
                    Err(ConnectError::Refused(address, alert))
                }
                Err(e) => Err(ConnectError::Handshake(address, e)),
            },
        }
    };
    tokio::time::timeout(within, attempt)
        .await
        .unwrap_or(Err(ConnectError::TimedOut(address, within)))
}

/// The hint added to a failure of a plain connection: the node may require TLS.
pub const TLS_HINT: &str = "(a node with [tls] requires a client certificate: give --ca, \
                            --cert and --key, or --config with a member's configuration)";
