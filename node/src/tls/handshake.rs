//! The handshakes the driver runs on a new connection, and why one failed.

use super::identity::{identity_of, IdentityError};
use super::{Identity, TlsConfig};
use rustls::{CertificateError, Error};
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::{TlsAcceptor, TlsConnector, TlsStream};

/// Why a TLS handshake failed (or its certificate speaks for no one); `Display` is one log
/// line's reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// The client presented no certificate.
    #[error("no client certificate")]
    NoClientCertificate,
    /// The peer's certificate is not signed by the cluster CA.
    #[error("certificate not signed by the cluster CA")]
    UnknownCa,
    /// The peer's certificate has expired.
    #[error("certificate expired")]
    Expired,
    /// The peer's certificate is not valid yet.
    #[error("certificate not yet valid")]
    NotYetValid,
    /// The peer's certificate is the CA's, but names no baton member or client.
    #[error("no baton identity in the certificate: {0}")]
    NoIdentity(IdentityError),
    /// The peer refused the handshake (its alert): our certificate, typically.
    #[error("refused by the peer: {0}")]
    RefusedByPeer(String),
    /// Anything else (I/O, protocol, an unsupported key or signature).
    #[error("{0}")]
    Other(String),
}

impl HandshakeError {
    /// The cause of a failed handshake (or of a read that failed on a TLS stream: with TLS 1.3
    /// a dialler learns that its certificate was refused at its first read).
    pub fn classify(err: &std::io::Error) -> HandshakeError {
        match err.get_ref().and_then(|e| e.downcast_ref::<Error>()) {
            Some(e) => HandshakeError::from_rustls(e),
            None => HandshakeError::Other(err.to_string()),
        }
    }

    /// The cause named by a rustls error.
    pub fn from_rustls(err: &Error) -> HandshakeError {
        use CertificateError as C;
        match err {
            Error::NoCertificatesPresented => HandshakeError::NoClientCertificate,
            Error::InvalidCertificate(c) => match c {
                C::UnknownIssuer | C::BadSignature => HandshakeError::UnknownCa,
                C::Expired | C::ExpiredContext { .. } => HandshakeError::Expired,
                C::NotValidYet | C::NotValidYetContext { .. } => HandshakeError::NotYetValid,
                other => HandshakeError::Other(format!("certificate refused: {other:?}")),
            },
            Error::AlertReceived(alert) => HandshakeError::RefusedByPeer(format!("{alert:?}")),
            other => HandshakeError::Other(other.to_string()),
        }
    }
}

/// The server name a dialler gives rustls: never checked (see `verify`), never sent (no SNI).
const ANY_NAME: &str = "baton";

impl TlsConfig {
    /// Runs the server side of a handshake on an accepted connection: the client must present
    /// a certificate from the cluster CA naming a baton identity.
    pub async fn accept<IO>(&self, io: IO) -> Result<(TlsStream<IO>, Identity), HandshakeError>
    where
        IO: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let stream = TlsAcceptor::from(self.server.clone())
            .accept(io)
            .await
            .map_err(|e| HandshakeError::classify(&e))?;
        let identity = leaf(stream.get_ref().1.peer_certificates())
            .ok_or(HandshakeError::NoClientCertificate)
            .and_then(identity)?;
        Ok((TlsStream::Server(stream), identity))
    }

    /// Runs the client side of a handshake on a dialled connection: the server's chain must
    /// lead to the cluster CA (its name is not checked) and its certificate name a baton
    /// identity; ours is presented.
    pub async fn connect<IO>(&self, io: IO) -> Result<(TlsStream<IO>, Identity), HandshakeError>
    where
        IO: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let name =
            ServerName::try_from(ANY_NAME).map_err(|e| HandshakeError::Other(e.to_string()))?;
        let stream = TlsConnector::from(self.client.clone())
            .connect(name, io)
            .await
            .map_err(|e| HandshakeError::classify(&e))?;
        let identity = leaf(stream.get_ref().1.peer_certificates())
            .ok_or_else(|| HandshakeError::Other("no server certificate".to_owned()))
            .and_then(identity)?;
        Ok((TlsStream::Client(stream), identity))
    }
}

fn leaf<'a>(chain: Option<&'a [CertificateDer<'static>]>) -> Option<&'a CertificateDer<'static>> {
    chain.and_then(|c| c.first())
}

fn identity(cert: &CertificateDer<'_>) -> Result<Identity, HandshakeError> {
    identity_of(cert).map_err(HandshakeError::NoIdentity)
}
