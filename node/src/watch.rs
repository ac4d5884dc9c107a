//! Following a node's service status over its status listener: `getStatus`, then every
//! `statusIndication`, reconnecting when the node goes away. Used by `baton demo` and the
//! process tests; a thin tokio driver around [`StatusClient`].

use crate::client::ClientStream;
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
    loop {
        let connected = crate::client::connect(address, tls.as_ref(), Duration::from_secs(2));
        if let Ok((stream, _)) = connected.await {
            follow(node, stream, &tx).await;
        }
        let gone = Sample {
            at: Instant::now(),
            node,
            status: None,
        };
        if tx.send(gone).is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn follow(node: usize, stream: ClientStream, tx: &mpsc::UnboundedSender<Sample>) {
    let t0 = Instant::now();
    let now = || BInstant::from_duration(t0.elapsed());
    let mut framed = Framed::new(stream, FrameCodec::new(Encoding::Der));
    let mut client = StatusClient::new(StatusClientConfig::default());
    client.handle_connected(now(), LinkId(1));
    if client.request(now()).is_err() {
        return;
    }
    loop {
        while let Some(t) = client.poll_transmit() {
            if framed.send(AnyMessage::Status(t.message)).await.is_err() {
                return;
            }
        }
        while let Some(e) = client.poll_event() {
            match e {
                ClientEvent::Status { status, .. } | ClientEvent::Indication { status } => {
                    let sample = Sample {
                        at: Instant::now(),
                        node,
                        status: Some(status),
                    };
                    if tx.send(sample).is_err() {
                        return;
                    }
                }
                // No answer to getStatus: reconnect.
                ClientEvent::RequestTimedOut { .. } => return,
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
                _ => return,
            },
            () = tokio::time::sleep_until(deadline) => client.handle_timeout(now()),
        }
    }
}
