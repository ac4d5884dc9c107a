//! The dialler's check of a server certificate: the chain against the cluster CA (signature,
//! validity dates, serverAuth) exactly as rustls's WebPKI verifier does it, but not the DNS
//! name: members dial IP addresses, and who the server is comes from its SAN URI instead.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{VerifierBuilderError, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{CertificateError, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use std::sync::Arc;

/// [`WebPkiServerVerifier`] whose only forgiven error is "not valid for this name".
#[derive(Debug)]
pub(super) struct AnyNameServerVerifier(Arc<WebPkiServerVerifier>);

impl AnyNameServerVerifier {
    /// The WebPKI verifier over `roots`.
    pub(super) fn new(
        roots: Arc<RootCertStore>,
        provider: Arc<CryptoProvider>,
    ) -> Result<Self, VerifierBuilderError> {
        Ok(AnyNameServerVerifier(
            WebPkiServerVerifier::builder_with_provider(roots, provider).build()?,
        ))
    }
}

/// Whether `e` is the name check failing (the one error the WebPKI verifier returns after the
/// chain, its dates and its key usage have all been checked).
fn only_the_name(e: &Error) -> bool {
    matches!(
        e,
        Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
        )
    )
}

impl ServerCertVerifier for AnyNameServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(e) if only_the_name(&e) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_name_error_is_forgiven() {
        assert!(only_the_name(&Error::InvalidCertificate(
            CertificateError::NotValidForName
        )));
        for other in [
            CertificateError::UnknownIssuer,
            CertificateError::Expired,
            CertificateError::NotValidYet,
            CertificateError::BadEncoding,
            CertificateError::InvalidPurpose,
        ] {
            assert!(!only_the_name(&Error::InvalidCertificate(other)));
        }
        assert!(!only_the_name(&Error::NoCertificatesPresented));
    }
}
