//! Making the cluster's certificates with rcgen: the CA, a member's, a client's (what
//! `baton certs` writes).

use super::identity::{client_uri, member_uri, ADMIN_URI};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PublicKeyData, SanType,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;

/// The common name of the cluster CA.
pub const CA_COMMON_NAME: &str = "baton cluster CA";

/// How far before "now" a new certificate becomes valid, for clocks a little behind ours.
const SKEW_SECS: i64 = 3600;

/// A certificate's validity period, in seconds since the Unix epoch (the caller reads the
/// clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    /// Not valid before this time.
    pub not_before: i64,
    /// Not valid after this time.
    pub not_after: i64,
}

impl Validity {
    /// From an hour before `now` (clock skew) to `days` days after it.
    pub fn days(now: i64, days: u32) -> Self {
        Validity {
            not_before: now.saturating_sub(SKEW_SECS),
            not_after: now.saturating_add(86_400 * i64::from(days)),
        }
    }
}

/// A certificate and its private key, both PEM.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The certificate (`CERTIFICATE`).
    pub cert_pem: String,
    /// Its private key (PKCS #8, `PRIVATE KEY`).
    pub key_pem: String,
}

/// Why a certificate could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MakeError {
    /// The CA certificate does not parse.
    #[error("the CA certificate does not parse: {0}")]
    CaCert(String),
    /// The CA key does not parse.
    #[error("the CA key does not parse: {0}")]
    CaKey(String),
    /// The CA key is not the key of the CA certificate.
    #[error("the CA key does not match the CA certificate")]
    CaKeyMismatch,
    /// A validity date out of the range this maker writes (1950 to 9999).
    #[error("a validity date out of range (1950 to 9999)")]
    Date,
    /// rcgen refused the parameters or could not sign.
    #[error("{0}")]
    Sign(String),
}

fn sign(e: rcgen::Error) -> MakeError {
    MakeError::Sign(e.to_string())
}

/// The cluster CA: signs member and client certificates.
pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
    cert_pem: String,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ca").finish_non_exhaustive()
    }
}

impl Ca {
    /// A new CA (CN "baton cluster CA", may sign certificates and CRLs), with its key.
    pub fn generate(validity: Validity) -> Result<(Ca, Issued), MakeError> {
        let mut params = params(CA_COMMON_NAME, validity)?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().map_err(sign)?;
        let cert_pem = params.self_signed(&key).map_err(sign)?.pem();
        let issued = Issued {
            cert_pem: cert_pem.clone(),
            key_pem: key.serialize_pem(),
        };
        let issuer = Issuer::new(params, key);
        Ok((Ca { issuer, cert_pem }, issued))
    }

    /// An existing CA from its certificate and key (PEM); the key must be the certificate's.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Ca, MakeError> {
        let key = KeyPair::from_pem(key_pem).map_err(|e| MakeError::CaKey(e.to_string()))?;
        let der = CertificateDer::from_pem_slice(cert_pem.as_bytes())
            .map_err(|e| MakeError::CaCert(e.to_string()))?;
        let (_, x509) = x509_parser::parse_x509_certificate(der.as_ref())
            .map_err(|e| MakeError::CaCert(e.to_string()))?;
        if x509.public_key().raw != key.subject_public_key_info().as_slice() {
            return Err(MakeError::CaKeyMismatch);
        }
        let issuer =
            Issuer::from_ca_cert_der(&der, key).map_err(|e| MakeError::CaCert(e.to_string()))?;
        Ok(Ca {
            issuer,
            cert_pem: cert_pem.to_owned(),
        })
    }

    /// The CA certificate (PEM).
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// A member's certificate: CN and SAN URI `baton:member:<name>`, SAN DNS `name` when it
    /// is a DNS name; for servers and clients (peer links are dialled both ways).
    pub fn member(&self, name: &str, validity: Validity) -> Result<Issued, MakeError> {
        let mut params = params(name, validity)?;
        params.subject_alt_names = vec![uri(&member_uri(name))?];
        if rustls_pki_types::DnsName::try_from(name).is_ok() {
            params
                .subject_alt_names
                .push(SanType::DnsName(name.try_into().map_err(sign)?));
        }
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        self.issue(&params)
    }

    /// A client's certificate: CN and SAN URI `baton:client:<name>`, with `admin` also the
    /// SAN URI `baton:admin`; for clients only.
    pub fn client(&self, name: &str, admin: bool, validity: Validity) -> Result<Issued, MakeError> {
        let mut params = params(name, validity)?;
        params.subject_alt_names = vec![uri(&client_uri(name))?];
        if admin {
            params.subject_alt_names.push(uri(ADMIN_URI)?);
        }
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.issue(&params)
    }

    fn issue(&self, params: &CertificateParams) -> Result<Issued, MakeError> {
        let key = KeyPair::generate().map_err(sign)?;
        let cert = params.signed_by(&key, &self.issuer).map_err(sign)?;
        Ok(Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

fn uri(s: &str) -> Result<SanType, MakeError> {
    Ok(SanType::URI(s.try_into().map_err(sign)?))
}

fn params(common_name: &str, validity: Validity) -> Result<CertificateParams, MakeError> {
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.not_before = date(validity.not_before)?;
    params.not_after = date(validity.not_after)?;
    params.use_authority_key_identifier_extension = true;
    Ok(params)
}

/// `t` as a date X.509 can carry (1950 to 9999), without panicking on any other.
fn date(t: i64) -> Result<OffsetDateTime, MakeError> {
    OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .filter(|d| (1950..=9999).contains(&d.year()))
        .ok_or(MakeError::Date)
}
