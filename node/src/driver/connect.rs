//! Connect attempts to peers, one task each, when the node asks for one
//! ([`baton_engine::Event::Dial`]): abandoned after the engine's [`CONNECT_TIMEOUT`]; how
//! each ended goes to the inbox ([`Input::Dialed`]).

use super::input::{Input, Stream};
use super::net::Net;
use baton_engine::CONNECT_TIMEOUT;
use std::net::SocketAddr;
use tokio::sync::mpsc;

/// Connects to member `member` at `address` in a task of its own.
pub(crate) fn spawn<N: Net>(
    net: &N,
    member: usize,
    address: SocketAddr,
    inbox: &mpsc::Sender<Input>,
) {
    let (net, inbox) = (net.clone(), inbox.clone());
    tokio::spawn(async move {
        let result = tokio::time::timeout(CONNECT_TIMEOUT, net.connect(address))
            .await
            .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
            .map(|s| Box::new(s) as Stream);
        let input = Input::Dialed {
            member,
            address,
            result,
        };
        let _ = inbox.send(input).await;
    });
}
