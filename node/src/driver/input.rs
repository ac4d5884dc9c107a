//! What the driver's task receives: [`Input`], from the link readers, the listeners, the
//! connect attempts, the control socket and the hook runner.

use super::connect::DialError;
use super::control::Command;
use super::fence;
use super::hooks;
use super::net::Io;
use crate::tls::Identity;
use baton_codec::AnyMessage;
use baton_core::LinkId;
use baton_engine::{LinkKind, Requester};
use std::net::SocketAddr;
use tokio::sync::oneshot;

/// A connection of one of the kinds the node serves (TCP, Unix socket, simulated).
pub(crate) type Stream = Box<dyn Io>;

/// What the driver's task receives.
pub(crate) enum Input {
    /// A listener accepted a connection from `from`; with TLS, after its handshake, with
    /// the identity its certificate speaks for.
    Accepted {
        stream: Stream,
        kind: LinkKind,
        from: String,
        identity: Option<Identity>,
    },
    /// A connect attempt the node asked for ([`baton_engine::Event::Dial`]) ended; with TLS,
    /// after its handshake, with the identity the peer's certificate speaks for.
    Dialed {
        member: usize,
        address: SocketAddr,
        result: Result<(Stream, Option<Identity>), DialError>,
    },
    /// A frame arrived.
    Frame { link: LinkId, message: AnyMessage },
    /// A link ended (reader or writer); the reason is logged. `misbehaved`: the other side
    /// broke the framing or stalled mid-frame.
    Closed {
        link: LinkId,
        reason: String,
        misbehaved: bool,
    },
    /// A command from the control socket or the control TCP listener, who asks, and where
    /// its answer goes.
    Control {
        command: Command,
        requester: Requester,
        reply: oneshot::Sender<String>,
    },
    /// The dashboard asks for its document (`GET /status.json`, [`crate::dashboard`]).
    Dashboard { reply: oneshot::Sender<String> },
    /// The hook runner finished a script component's job.
    HooksDone(hooks::Done),
    /// The script guard stood a component down while the node was silent (PROTOCOL 6.3).
    GuardReport(crate::guard::Report),
    /// A fence command ended (PROTOCOL 5.10).
    FenceDone(fence::FenceDone),
    /// A remote check run ended (PROTOCOL 6.8).
    RemoteDone(super::remote::RemoteDone),
    /// Etcd answered, or the watch of the leader key saw a change (PROTOCOL 5.12).
    Etcd(baton_election::EtcdInput),
}

impl From<super::remote::RemoteDone> for Input {
    fn from(done: super::remote::RemoteDone) -> Input {
        Input::RemoteDone(done)
    }
}

impl From<fence::FenceDone> for Input {
    fn from(done: fence::FenceDone) -> Input {
        Input::FenceDone(done)
    }
}

impl From<crate::guard::Report> for Input {
    fn from(report: crate::guard::Report) -> Input {
        Input::GuardReport(report)
    }
}

impl From<hooks::Done> for Input {
    fn from(done: hooks::Done) -> Input {
        Input::HooksDone(done)
    }
}
