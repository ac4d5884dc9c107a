//! Who a verified certificate speaks for: its SAN URIs (`baton:member:<NAME>`,
//! `baton:client:<NAME>`, `baton:admin`), read with x509-parser.

use rustls_pki_types::CertificateDer;
use std::fmt;
use x509_parser::extensions::GeneralName;

pub use super::Identity;

/// The SAN URI prefix of a member certificate; the name follows, percent-encoded.
pub const MEMBER_URI: &str = "baton:member:";
/// The SAN URI prefix of a client certificate; the name follows, percent-encoded.
pub const CLIENT_URI: &str = "baton:client:";
/// The SAN URI that gives a client certificate admin rights (a switchover).
pub const ADMIN_URI: &str = "baton:admin";

/// Why a certificate names no baton identity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// The certificate (or its subject alternative names) does not parse.
    #[error("the certificate does not parse: {0}")]
    Malformed(String),
    /// No `baton:member:` or `baton:client:` SAN URI.
    #[error("no baton:member: or baton:client: URI in its subject alternative names")]
    Missing,
    /// A baton URI whose name is empty, badly percent-encoded or not UTF-8.
    #[error("bad name in {0:?}")]
    BadName(String),
    /// Two different names of the same kind: the certificate speaks for no one.
    #[error("two names in one certificate: {0:?} and {1:?}")]
    Ambiguous(String, String),
}

/// The SAN URI of a member: [`MEMBER_URI`] and the name percent-encoded.
pub fn member_uri(name: &str) -> String {
    format!("{MEMBER_URI}{}", encode(name))
}

/// The SAN URI of a client: [`CLIENT_URI`] and the name percent-encoded.
pub fn client_uri(name: &str) -> String {
    format!("{CLIENT_URI}{}", encode(name))
}

/// The identity a (verified) leaf certificate speaks for: its `baton:member:` name, else its
/// `baton:client:` name (admin when it also has `baton:admin`), else an error.
pub fn identity_of(cert: &CertificateDer<'_>) -> Result<Identity, IdentityError> {
    let (_, x509) = x509_parser::parse_x509_certificate(cert.as_ref())
        .map_err(|e| IdentityError::Malformed(e.to_string()))?;
    let sans = x509
        .subject_alternative_name()
        .map_err(|e| IdentityError::Malformed(e.to_string()))?;
    let uris = sans.iter().flat_map(|ext| {
        ext.value.general_names.iter().filter_map(|g| match g {
            GeneralName::URI(uri) => Some(*uri),
            _ => None,
        })
    });
    let (mut member, mut client, mut admin) = (None, None, false);
    for uri in uris {
        if let Some(name) = uri.strip_prefix(MEMBER_URI) {
            one(&mut member, uri, name)?;
        } else if let Some(name) = uri.strip_prefix(CLIENT_URI) {
            one(&mut client, uri, name)?;
        } else if uri == ADMIN_URI {
            admin = true;
        }
    }
    match (member, client) {
        (Some(name), _) => Ok(Identity::Member(name)),
        (None, Some(name)) => Ok(Identity::Client { name, admin }),
        (None, None) => Err(IdentityError::Missing),
    }
}

/// Records the decoded `name` of `uri` in `slot`, refusing a second, different one.
fn one(slot: &mut Option<String>, uri: &str, name: &str) -> Result<(), IdentityError> {
    let name = decode(name).ok_or_else(|| IdentityError::BadName(uri.to_owned()))?;
    match slot {
        Some(first) if *first != name => Err(IdentityError::Ambiguous(first.clone(), name)),
        _ => {
            *slot = Some(name);
            Ok(())
        }
    }
}

/// Percent-encodes every byte of `name` outside `[A-Za-z0-9._-]`.
fn encode(name: &str) -> String {
    struct Enc<'a>(&'a str);
    impl fmt::Display for Enc<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            for b in self.0.bytes() {
                if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
                    write!(f, "{}", char::from(b))?;
                } else {
                    write!(f, "%{b:02X}")?;
                }
            }
            Ok(())
        }
    }
    Enc(name).to_string()
}

/// Decodes `%XX` escapes; `None` for an empty name, a bad escape or bytes that are not UTF-8.
fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let (hi, lo) = (hex(*bytes.get(i + 1)?)?, hex(*bytes.get(i + 2)?)?);
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok().filter(|n| !n.is_empty())
}

/// The value of one hexadecimal digit.
fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_the_uri_encoding() {
        assert_eq!(member_uri("alpha-1.b_c"), "baton:member:alpha-1.b_c");
        assert_eq!(client_uri("ops:é/x"), "baton:client:ops%3A%C3%A9%2Fx");
        for name in ["alpha", "ops:é/x", "%41", "a b"] {
            assert_eq!(decode(&encode(name)).as_deref(), Some(name));
        }
    }

    #[test]
    fn bad_encodings_decode_to_nothing() {
        for bad in ["", "%", "%4", "%zz", "%FF", "a%+1"] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        for bytes in [&b""[..], b"\x30", b"\x30\x03\x02\x01\x00", &[0xff; 64]] {
            let err = identity_of(&CertificateDer::from(bytes.to_vec()));
            assert!(matches!(err, Err(IdentityError::Malformed(_))), "{err:?}");
        }
    }
}
