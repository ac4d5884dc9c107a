//! How the tester reaches the implementation's TCP listeners: plain TCP, or mutual TLS
//! (PROTOCOL 3.4) with the certificate of the party it plays.
//!
//! The tester knows no TLS library: whoever runs it (`baton conformance --tls-…`) hands it a
//! [`Tls`], which runs the handshake presenting a [`Present`] and names the certificate the
//! implementation presented. The identity tests (`member::identity`, `status`, `node`) ask for
//! the certificates a refusal needs: none, another CA's, a client's, the implementation's own.

use crate::wire::Stream;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// Which certificate the tester presents in a TLS handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Present {
    /// Member NAME's (`baton:member:NAME`).
    Member(String),
    /// A client's (`baton:client:NAME`, with `baton:admin` when `admin`).
    Client {
        /// The client's name.
        name: String,
        /// Whether it is an admin client.
        admin: bool,
    },
    /// The one the tester was given (`--tls-cert`), whoever it names.
    Own,
    /// A member's: the tester's own if it names a member, else one the tester makes.
    AnyMember,
    /// None at all (a handshake without a client certificate).
    Nothing,
    /// Member NAME's, signed by a CA other than the cluster's.
    OtherCa(String),
}

impl std::fmt::Display for Present {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Present::Member(n) => write!(f, "member {n}'s certificate"),
            Present::Client { name, admin: true } => write!(f, "admin client {name}'s certificate"),
            Present::Client { name, .. } => write!(f, "read-only client {name}'s certificate"),
            Present::Own => write!(f, "the tester's certificate"),
            Present::AnyMember => write!(f, "a member's certificate"),
            Present::Nothing => write!(f, "no certificate"),
            Present::OtherCa(n) => write!(f, "member {n}'s certificate from another CA"),
        }
    }
}

/// Why a link did not open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// No TCP connection: what the connect said.
    Connect(String),
    /// The tester has no such certificate (the test that needs it is skipped): why.
    Cannot(String),
    /// The handshake failed (or the connection did): what was said.
    Handshake(String),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Connect(why) | Refused::Cannot(why) | Refused::Handshake(why) => {
                f.write_str(why)
            }
        }
    }
}

/// A TLS link as it opened: the stream and the identity of the implementation's certificate
/// in words (`member alpha`).
pub struct Secured {
    /// The stream; frames travel inside it unchanged.
    pub stream: Box<dyn Stream>,
    /// Who the implementation's certificate names.
    pub peer: String,
}

/// A handshake in progress.
pub type Handshake<'a> = Pin<Box<dyn Future<Output = Result<Secured, Refused>> + Send + 'a>>;

/// Mutual TLS as the tester's caller provides it.
pub trait Tls: Send + Sync {
    /// Runs the client side of a handshake on `tcp`, presenting `present`; the server's chain
    /// is checked against the cluster CA (its name is not).
    fn handshake(&self, tcp: tokio::net::TcpStream, present: Present) -> Handshake<'_>;

    /// Whether the tester can present `present` (else the test that needs it is skipped
    /// with [`Tls::cannot`]'s reason).
    fn can(&self, present: &Present) -> bool;

    /// Why the tester cannot present `present`.
    fn cannot(&self, present: &Present) -> String;

    /// Runs the server side of a handshake on an accepted `tcp` (the tester playing a node
    /// for a component): the tester's own certificate, a client certificate of the cluster
    /// CA required.
    fn accept(&self, tcp: tokio::net::TcpStream) -> Handshake<'_>;
}

/// How the tester opens TCP links: plain (the default), or mutual TLS.
#[derive(Clone, Default)]
pub struct Transport {
    tls: Option<Arc<dyn Tls>>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.tls.is_some() { "tls" } else { "tcp" })
    }
}

/// Why the TLS tests are skipped on a plain transport.
pub const PLAIN: &str = "tested over plain TCP: transport security (PROTOCOL 3.4) needs the \
    --tls-ca, --tls-cert and --tls-key options and an implementation configured with mutual TLS";

impl Transport {
    /// Plain TCP.
    pub fn plain() -> Transport {
        Transport::default()
    }

    /// Mutual TLS through `tls`.
    pub fn tls(tls: Arc<dyn Tls>) -> Transport {
        Transport { tls: Some(tls) }
    }

    /// The TLS side, if any.
    pub fn secure(&self) -> Option<&dyn Tls> {
        self.tls.as_deref()
    }

    /// With TLS, runs the server side of a handshake on the accepted `tcp`; the stream and the
    /// identity the other side's certificate names (`None` over plain TCP).
    ///
    /// # Errors
    /// A refused handshake, or none within `within`.
    pub async fn accept(
        &self,
        tcp: tokio::net::TcpStream,
        within: Duration,
    ) -> Result<(Box<dyn Stream>, Option<String>), Refused> {
        let _ = tcp.set_nodelay(true);
        let Some(tls) = &self.tls else {
            return Ok((Box::new(tcp), None));
        };
        match tokio::time::timeout(within, tls.accept(tcp)).await {
            Ok(Ok(s)) => Ok((s.stream, Some(s.peer))),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(Refused::Handshake(format!(
                "no TLS handshake within {within:?}"
            ))),
        }
    }

    /// Connects to `addr` and, with TLS, runs the handshake presenting `present`; the stream
    /// and the implementation's identity (`None` over plain TCP).
    ///
    /// # Errors
    /// No connection within `within`, a refused handshake, or a certificate the tester
    /// cannot present.
    pub async fn open(
        &self,
        addr: SocketAddr,
        present: Present,
        within: Duration,
    ) -> Result<(Box<dyn Stream>, Option<String>), Refused> {
        if let Some(tls) = self.tls.as_ref().filter(|t| !t.can(&present)) {
            return Err(Refused::Cannot(tls.cannot(&present)));
        }
        let tcp = tokio::time::timeout(within, tokio::net::TcpStream::connect(addr))
            .await
            .map_err(|_| {
                Refused::Connect(format!("connect to {addr}: no answer within {within:?}"))
            })?
            .map_err(|e| Refused::Connect(format!("connect to {addr}: {e}")))?;
        let _ = tcp.set_nodelay(true);
        let Some(tls) = &self.tls else {
            return Ok((Box::new(tcp), None));
        };
        match tokio::time::timeout(within, tls.handshake(tcp, present)).await {
            Ok(Ok(s)) => Ok((s.stream, Some(s.peer))),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(Refused::Handshake(format!(
                "no TLS handshake within {within:?}"
            ))),
        }
    }
}
