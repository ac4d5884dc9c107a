//! Following a node's service status over its status listener: `getStatus`, then every
//! `statusIndication`, reconnecting when the node goes away (a restart, a crash). Used by
//! `baton status --watch`, `baton switchover --wait`, `baton demo` and the process tests; a
//! thin tokio driver around [`StatusClient`].

use crate::client::{ClientStream, ConnectError};
use crate::tls::TlsConfig;
use baton_codec::{AnyMessage, Encoding, FrameCodec};
use baton_core::{Instant as BInstant, LinkId};
use baton_status::{ClientEvent, ServiceStatus, StatusClient, StatusClientConfig};
use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::codec::Framed;

/// One observation: node `node` reported `status` (`None`: unreachable) at `at`.
#[derive(Debug, Clone)]
pub struct Sample {
    /// When the watcher received it.
    pub at: Instant,
    /// Which node (the caller's index).
    pub node: usize,
    /// What it said.
    pub status: Option<ServiceStatus>,
}

/// Where a follower connects, and how.
#[derive(Clone)]
pub struct Target {
    /// The node's status listener.
    pub address: SocketAddr,
    /// TLS with a client's (or a member's) certificate, when given.
    pub tls: Option<TlsConfig>,
    /// The node's encoding rule.
    pub encoding: Encoding,
}

/// What a follower saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// A status: the answer to `getStatus`, or an indication.
    Status(ServiceStatus),
    /// The node could not be reached, or the connection ended: why, in one line. The
    /// follower connects again after its retry interval.
    Lost(String),
    /// The node refused our certificate, or the TLS handshake failed: trying again will not
    /// help without other files (the follower still does).
    Refused(String),
}

/// Follows the status listener at `address` (DER) until `tx` is dropped, sending a
/// [`Sample`] for every status and a `None` sample each time the node cannot be reached.
pub async fn watch(node: usize, address: SocketAddr, tx: mpsc::UnboundedSender<Sample>) {
    watch_with(node, address, None, tx).await;
}

/// As [`watch`], with TLS (a client's or a member's certificate) when given.
pub async fn watch_with(
    node: usize,
    address: SocketAddr,
    tls: Option<TlsConfig>,
    tx: mpsc::UnboundedSender<Sample>,
) {
    let target = Target {
        address,
        tls,
        encoding: Encoding::Der,
    };
    follow_with(&target, Duration::from_millis(5), |seen| {
        let status = match seen {
            Seen::Status(s) => Some(s),
            Seen::Lost(_) | Seen::Refused(_) => None,
        };
        // The time is taken as the status is handed over: no channel hop before it.
        let sample = Sample {
            at: Instant::now(),
            node,
            status,
        };
        tx.send(sample).is_ok()
    })
    .await;
}

/// Follows `target`, sending what it sees to `tx` until `tx` is dropped; after a lost or
/// refused connection, connects again `retry` later.
pub async fn follow(target: Target, retry: Duration, tx: mpsc::UnboundedSender<Seen>) {
    follow_with(&target, retry, |seen| tx.send(seen).is_ok()).await;
}

/// The follower: `seen` is called with every observation, and ends it by returning false.
async fn follow_with(target: &Target, retry: Duration, mut seen: impl FnMut(Seen) -> bool) {
    let address = target.address;
    loop {
        let connected =
            crate::client::connect(address, target.tls.as_ref(), Duration::from_secs(2));
        let why = match connected.await {
            Ok((stream, _)) => match session(stream, target.encoding, &mut seen).await {
                Ended::Stop => return,
                Ended::Lost(why) => Seen::Lost(format!("{address}: {why}")),
            },
            Err(e @ (ConnectError::Refused(..) | ConnectError::Handshake(..))) => {
                Seen::Refused(e.to_string())
            }
            Err(e) => Seen::Lost(e.to_string()),
        };
        if !seen(why) {
            return;
        }
        tokio::time::sleep(retry).await;
    }
}

/// How a connection ended.
enum Ended {
    /// The caller wants no more.
    Stop,
    /// The node closed it, sent a bad frame, or did not answer.
    Lost(String),
}

async fn session(
    stream: ClientStream,
    encoding: Encoding,
    seen: &mut impl FnMut(Seen) -> bool,
) -> Ended {
    let t0 = Instant::now();
    let now = || BInstant::from_duration(t0.elapsed());
    let mut framed = Framed::new(stream, FrameCodec::new(encoding));
    let mut client = StatusClient::new(StatusClientConfig::default());
    client.handle_connected(now(), LinkId(1));
    if let Err(e) = client.request(now()) {
        return Ended::Lost(format!("cannot ask: {e}"));
    }
    loop {
        while let Some(t) = client.poll_transmit() {
            if let Err(e) = framed.send(AnyMessage::Status(t.message)).await {
                return Ended::Lost(format!("cannot send: {e}"));
            }
        }
        while let Some(e) = client.poll_event() {
            match e {
                ClientEvent::Status { status, .. } | ClientEvent::Indication { status } => {
                    if !seen(Seen::Status(status)) {
                        return Ended::Stop;
                    }
                }
                // No answer to getStatus: reconnect.
                ClientEvent::RequestTimedOut { .. } => {
                    return Ended::Lost("no answer to getStatus".to_owned())
                }
                ClientEvent::Ignored { .. } => {}
            }
        }
        let deadline = client
            .poll_timeout()
            .map_or(Instant::now() + Duration::from_secs(3600), |t| {
                t0 + t.since_origin()
            });
        tokio::select! {
            frame = framed.next() => match frame {
                Some(Ok(AnyMessage::Status(m))) => client.handle_message(now(), m),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Ended::Lost(format!("a bad frame: {e}")),
                None => return Ended::Lost("the connection closed".to_owned()),
            },
            () = tokio::time::sleep_until(deadline) => client.handle_timeout(now()),
        }
    }
}
