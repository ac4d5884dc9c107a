//! Mutual TLS for the node's TCP links (rustls on ring), and the certificates it uses.
//!
//! - [`TlsConfig::load`] reads a member's (or client's) certificate, key and cluster CA
//!   ([`TlsFiles`]) into a server configuration that requires a client certificate from the
//!   CA and a client configuration that presents ours and checks the server's chain against
//!   the CA (not its name: members dial IP addresses).
//! - [`TlsConfig::accept`] and [`TlsConfig::connect`] run a handshake and return the stream
//!   with the peer's [`Identity`], read from its certificate's SAN URIs by [`identity_of`];
//!   a failure is a typed [`HandshakeError`].
//! - [`TlsConfig::dial`]: [`TlsConfig::connect`], then (TLS 1.3) until the server accepted
//!   our certificate, so that a refused dialler fails there.
//! - [`make`] makes the certificates (`baton certs`).
//! - [`tester::TesterTls`]: the TLS side of `baton conformance`.

mod confirm;
mod handshake;
mod identity;
mod load;
pub mod make;
pub mod tester;
mod verify;

pub use baton_engine::{Identity, TlsFiles};
pub use confirm::Confirmed;
pub use handshake::HandshakeError;
pub use identity::{
    client_uri, identity_of, member_uri, IdentityError, ADMIN_URI, CLIENT_URI, MEMBER_URI,
};
pub use load::{TlsConfig, TlsError};
pub use tokio_rustls::TlsStream;

#[cfg(test)]
mod tests;
