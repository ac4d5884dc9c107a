//! Connect attempts to peers, one task each, when the node asks for one
//! ([`baton_engine::Event::Dial`]): with TLS, the handshake runs in the same task, until the
//! peer accepted our certificate; the whole is abandoned after the engine's
//! [`CONNECT_TIMEOUT`]. How each ended goes to the inbox ([`Input::Dialed`]): a refused
//! handshake is a failed dial with the back-off of a refused link (`Node::handle_dial_refused`,
//! PROTOCOL 4 *Dialling*), and a rate-limited log line.

use super::input::{Input, Stream};
use super::net::Net;
use super::secure::Tls;
use crate::tls::{HandshakeError, Identity};
use baton_engine::CONNECT_TIMEOUT;
use std::fmt;
use std::net::SocketAddr;
use tokio::sync::mpsc;

/// Why a connect attempt failed.
#[derive(Debug)]
pub(crate) enum DialError {
    /// The connection could not be made.
    Io(std::io::Error),
    /// The TLS handshake failed, or the peer refused our certificate.
    Tls(HandshakeError),
    /// Not done within [`CONNECT_TIMEOUT`].
    TimedOut,
}

impl fmt::Display for DialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DialError::Io(e) => write!(f, "{e}"),
            DialError::Tls(e) => write!(f, "TLS: {e}"),
            DialError::TimedOut => write!(f, "timed out after {} ms", CONNECT_TIMEOUT.as_millis()),
        }
    }
}

/// Connects to member `member` at `address` (with `tls`, handshaken) in a task of its own.
pub(crate) fn spawn<N: Net>(
    net: &N,
    member: usize,
    address: SocketAddr,
    inbox: &mpsc::Sender<Input>,
    tls: Option<&Tls>,
) {
    let (net, inbox, tls) = (net.clone(), inbox.clone(), tls.cloned());
    tokio::spawn(async move {
        let attempt = async {
            let stream = net.connect(address).await.map_err(DialError::Io)?;
            match &tls {
                None => Ok((Box::new(stream) as Stream, None::<Identity>)),
                Some(tls) => match tls.dial(stream).await {
                    Ok((stream, identity)) => Ok((stream, Some(identity))),
                    Err(e) => {
                        tls.refused("dial", address, &e);
                        Err(DialError::Tls(e))
                    }
                },
            }
        };
        let result = tokio::time::timeout(CONNECT_TIMEOUT, attempt)
            .await
            .unwrap_or(Err(DialError::TimedOut));
        let input = Input::Dialed {
            member,
            address,
            result,
        };
        let _ = inbox.send(input).await;
    });
}
