//! Loading a member's (or client's) certificate, key and cluster CA into rustls configurations.

use super::identity::{identity_of, IdentityError};
use super::verify::AnyNameServerVerifier;
use super::{Identity, TlsFiles};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why a TLS configuration does not load; each names the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file cannot be read.
    #[error("{}: cannot read: {source}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not valid PEM.
    #[error("{}: not PEM: {reason}", path.display())]
    Pem {
        /// The file.
        path: PathBuf,
        /// The PEM parser's word.
        reason: String,
    },
    /// A certificate file holds no certificate.
    #[error("{}: no certificate in the file", path.display())]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// The key file holds no private key (or one rustls cannot use).
    #[error("{}: no usable private key in the file{}", path.display(), reason_suffix(reason))]
    NoKey {
        /// The file.
        path: PathBuf,
        /// What rustls said, if the file had a key it refused.
        reason: Option<String>,
    },
    /// The key is not the certificate's.
    #[error("{}: the key does not match the certificate {}", key.display(), cert.display())]
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// Our own certificate names no baton identity.
    #[error("{}: {source}", path.display())]
    NoIdentity {
        /// The certificate file.
        path: PathBuf,
        /// Why.
        source: IdentityError,
    },
    /// The CA file holds a certificate rustls refuses as a trust anchor.
    #[error("{}: not a usable CA: {reason}", path.display())]
    CaInvalid {
        /// The CA file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// rustls refused the configuration for another reason.
    #[error("TLS configuration: {0}")]
    Other(String),
}

fn reason_suffix(reason: &Option<String>) -> String {
    reason
        .as_ref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default()
}

/// A loaded TLS configuration: for accepting (client certificate required) and for dialling
/// (our certificate presented, the server's chain verified against the CA, its name not).
#[derive(Clone)]
pub struct TlsConfig {
    pub(super) server: Arc<ServerConfig>,
    pub(super) client: Arc<ClientConfig>,
    identity: Identity,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

impl TlsConfig {
    /// Reads the three files and builds both configurations (rustls on ring).
    pub fn load(files: &TlsFiles) -> Result<TlsConfig, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots = Arc::new(roots(&files.ca)?);
        let chain = certs(&files.cert)?;
        let identity = chain
            .first()
            .map(identity_of)
            .ok_or_else(|| TlsError::NoCertificate {
                path: files.cert.clone(),
            })?
            .map_err(|source| TlsError::NoIdentity {
                path: files.cert.clone(),
                source,
            })?;
        let key = key(&files.key)?;
        let ca_invalid = |e: &dyn std::fmt::Display| TlsError::CaInvalid {
            path: files.ca.clone(),
            reason: e.to_string(),
        };
        let config_error = |e: rustls::Error| match e {
            rustls::Error::InconsistentKeys(_) => TlsError::KeyMismatch {
                cert: files.cert.clone(),
                key: files.key.clone(),
            },
            other => TlsError::NoKey {
                path: files.key.clone(),
                reason: Some(other.to_string()),
            },
        };

        // A client certificate from the CA is required: never `allow_unauthenticated`.
        let verifier = WebPkiClientVerifier::builder_with_provider(roots.clone(), provider.clone())
            .build()
            .map_err(|e| ca_invalid(&e))?;
        let server = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Other(e.to_string()))?
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain.clone(), key.clone_key())
            .map_err(config_error)?;

        let server_verifier =
            AnyNameServerVerifier::new(roots, provider.clone()).map_err(|e| ca_invalid(&e))?;
        let mut client = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Other(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(server_verifier))
            .with_client_auth_cert(chain, key)
            .map_err(config_error)?;
        // Members dial IP addresses: no name to send.
        client.enable_sni = false;

        Ok(TlsConfig {
            server: Arc::new(server),
            client: Arc::new(client),
            identity,
        })
    }

    /// Who our own certificate speaks for.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The configuration for accepting connections (a client certificate from the CA required).
    pub fn server_config(&self) -> Arc<ServerConfig> {
        self.server.clone()
    }

    /// The configuration for dialling (our certificate presented; the server's chain checked
    /// against the CA, not its name).
    pub fn client_config(&self) -> Arc<ClientConfig> {
        self.client.clone()
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Unreadable {
        path: path.to_owned(),
        source,
    })
}

/// Every certificate in a PEM file, in order; at least one.
fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read(path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Pem {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

/// The CA file's certificates as trust anchors.
pub(super) fn roots(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in certs(path)? {
        roots.add(cert).map_err(|e| TlsError::CaInvalid {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
    }
    Ok(roots)
}

/// The first private key in a PEM file.
fn key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = read(path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        rustls_pki_types::pem::Error::NoItemsFound => TlsError::NoKey {
            path: path.to_owned(),
            reason: None,
        },
        other => TlsError::Pem {
            path: path.to_owned(),
            reason: other.to_string(),
        },
    })
}
