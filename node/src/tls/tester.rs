//! Mutual TLS for `baton conformance` ([`baton_tester::transport::Tls`]): the tester presents
//! the certificate it was given and, with the cluster CA's key, makes the others it plays
//! (every member of a quorum cluster, a client) and those a refusal needs (PROTOCOL 3.4).

use super::identity_of;
use super::load::roots;
use super::make::{Ca, Issued, Validity};
use super::verify::AnyNameServerVerifier;
use super::{HandshakeError, Identity, TlsConfig, TlsFiles};
use baton_tester::transport::{Handshake, Present, Refused, Secured, Tls};
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// The tester's TLS side: its own certificate, the cluster CA, the CA's key if given.
pub struct TesterTls {
    roots: Arc<RootCertStore>,
    own: Arc<ClientConfig>,
    /// Accepting with the tester's certificate (a client certificate of the CA required).
    server: Arc<ServerConfig>,
    identity: Identity,
    /// The cluster CA with its key: the tester makes members' and clients' certificates.
    ca: Option<Ca>,
    /// Client configurations made so far, by what they present.
    made: Mutex<HashMap<String, Arc<ClientConfig>>>,
}

impl std::fmt::Debug for TesterTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TesterTls")
            .field("identity", &self.identity)
            .field("ca_key", &self.ca.is_some())
            .finish_non_exhaustive()
    }
}

/// The wall clock, in seconds since the Unix epoch: a certificate made is dated from it.
#[allow(clippy::disallowed_methods, clippy::disallowed_types)] // certificates carry wall-clock dates
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl TesterTls {
    /// Loads the tester's certificate, key and the cluster CA (`files`) and, when given, the
    /// CA's key.
    ///
    /// # Errors
    /// A file that does not load, or a CA key that is not the CA's, as text naming the file.
    pub fn load(files: &TlsFiles, ca_key: Option<&Path>) -> Result<TesterTls, String> {
        let own = TlsConfig::load(files).map_err(|e| e.to_string())?;
        let roots = Arc::new(roots(&files.ca).map_err(|e| e.to_string())?);
        let ca = match ca_key {
            None => None,
            Some(key) => {
                let read = |p: &Path| {
                    std::fs::read_to_string(p)
                        .map_err(|e| format!("{}: cannot read: {e}", p.display()))
                };
                let ca = Ca::from_pem(&read(&files.ca)?, &read(key)?)
                    .map_err(|e| format!("{}: {e}", key.display()))?;
                Some(ca)
            }
        };
        Ok(TesterTls {
            roots,
            identity: own.identity().clone(),
            own: own.client_config(),
            server: own.server_config(),
            ca,
            made: Mutex::new(HashMap::new()),
        })
    }

    /// Who the tester's own certificate names.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// A client configuration presenting `chain` (none: no certificate); the server's chain
    /// checked against the cluster CA, not its name.
    fn config(&self, chain: Option<&Issued>) -> Result<Arc<ClientConfig>, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = AnyNameServerVerifier::new(self.roots.clone(), provider.clone())
            .map_err(|e| e.to_string())?;
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier));
        let mut config = match chain {
            None => builder.with_no_client_auth(),
            Some(issued) => {
                let certs = CertificateDer::pem_slice_iter(issued.cert_pem.as_bytes())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| e.to_string())?;
                let key = PrivateKeyDer::from_pem_slice(issued.key_pem.as_bytes())
                    .map_err(|e| e.to_string())?;
                builder
                    .with_client_auth_cert(certs, key)
                    .map_err(|e| e.to_string())?
            }
        };
        config.enable_sni = false;
        Ok(Arc::new(config))
    }

    /// The configuration presenting `present`, made once.
    fn config_for(&self, present: &Present) -> Result<Arc<ClientConfig>, String> {
        let validity = Validity::days(now(), 1);
        let own_member = matches!(&self.identity, Identity::Member(_));
        match present {
            Present::Own => return Ok(self.own.clone()),
            Present::AnyMember if own_member => return Ok(self.own.clone()),
            Present::Member(n) if self.identity == Identity::Member(n.clone()) => {
                return Ok(self.own.clone())
            }
            _ => {}
        }
        let key = format!("{present:?}");
        let mut made = self.made.lock().map_err(|_| "a poisoned lock".to_owned())?;
        if let Some(c) = made.get(&key) {
            return Ok(c.clone());
        }
        let issued = match (present, &self.ca) {
            (Present::Nothing, _) => None,
            (Present::OtherCa(name), _) => {
                let (other, _) = Ca::generate(validity).map_err(|e| e.to_string())?;
                Some(other.member(name, validity).map_err(|e| e.to_string())?)
            }
            (Present::Member(name), Some(ca)) => {
                Some(ca.member(name, validity).map_err(|e| e.to_string())?)
            }
            (Present::AnyMember, Some(ca)) => Some(
                ca.member("conformance", validity)
                    .map_err(|e| e.to_string())?,
            ),
            (Present::Client { name, admin }, Some(ca)) => Some(
                ca.client(name, *admin, validity)
                    .map_err(|e| e.to_string())?,
            ),
            _ => return Err(self.cannot(present)),
        };
        let config = self.config(issued.as_ref())?;
        made.insert(key, config.clone());
        Ok(config)
    }
}

impl Tls for TesterTls {
    fn handshake(&self, tcp: tokio::net::TcpStream, present: Present) -> Handshake<'_> {
        Box::pin(async move {
            let config = self.config_for(&present).map_err(Refused::Cannot)?;
            let name =
                ServerName::try_from("baton").map_err(|e| Refused::Handshake(e.to_string()))?;
            let stream = TlsConnector::from(config)
                .connect(name, tcp)
                .await
                .map_err(|e| Refused::Handshake(HandshakeError::classify(&e).to_string()))?;
            let peer = named(stream.get_ref().1.peer_certificates());
            Ok(Secured {
                stream: Box::new(stream),
                peer,
            })
        })
    }

    fn accept(&self, tcp: tokio::net::TcpStream) -> Handshake<'_> {
        Box::pin(async move {
            let stream = TlsAcceptor::from(self.server.clone())
                .accept(tcp)
                .await
                .map_err(|e| Refused::Handshake(HandshakeError::classify(&e).to_string()))?;
            let peer = named(stream.get_ref().1.peer_certificates());
            Ok(Secured {
                stream: Box::new(stream),
                peer,
            })
        })
    }

    fn can(&self, present: &Present) -> bool {
        match present {
            Present::Own | Present::Nothing | Present::OtherCa(_) => true,
            Present::AnyMember => self.ca.is_some() || matches!(self.identity, Identity::Member(_)),
            Present::Member(n) => self.ca.is_some() || self.identity == Identity::Member(n.clone()),
            Present::Client { .. } => self.ca.is_some(),
        }
    }

    fn cannot(&self, present: &Present) -> String {
        format!(
            "needs {present}: the tester has {}'s only; give --tls-ca-key (the cluster CA's key) \
             for it to make the others",
            self.identity
        )
    }
}

/// Who the leaf of a peer's chain names, in words.
fn named(chain: Option<&[CertificateDer<'static>]>) -> String {
    chain
        .and_then(|c| c.first())
        .map(|leaf| match identity_of(leaf) {
            Ok(id) => id.to_string(),
            Err(e) => format!("no baton identity ({e})"),
        })
        .unwrap_or_else(|| "no certificate".to_owned())
}
