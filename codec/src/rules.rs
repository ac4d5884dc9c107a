//! One top-level message in one encoding rule, constraints checked both ways.

use crate::error::rasn_path_and_detail;
use crate::{DecodeError, DecodeErrorKind, EncodeError, Encoding};
use baton_asn1::{election, monitor, replication, role, status, Message};

/// One of the five top-level messages (`ElectionMessage`, `RoleMessage`,
/// `HealthMonitorMessage`, `ServiceStatusMessage`, `ReplicationMessage`): what [`encode`] and
/// [`decode`] take. Sealed: it carries the UPER codec and the OER pre-check of each.
pub trait Pdu: Message + sealed::Rules {}

mod sealed {
    use crate::DecodeError;

    /// What differs between the messages in how a rule is run.
    pub trait Rules: Sized {
        /// UPER into `buf` (cleared).
        fn uper_encode(&self, buf: &mut Vec<u8>) -> Result<(), rasn::error::EncodeError>;
        /// UPER: the value and the octets after it.
        fn uper_decode(bytes: &[u8]) -> Result<(Self, &[u8]), DecodeError>;
        /// OER/COER: checks made before rasn decodes (none for most messages).
        fn oer_precheck(_bytes: &[u8], _encoding: crate::Encoding) -> Result<(), DecodeError> {
            Ok(())
        }
    }
}

/// The four messages of PROTOCOL 2.1 use baton's direct UPER codec (`uper` module).
macro_rules! direct_uper {
    ($($t:ty),*) => {$(
        impl sealed::Rules for $t {
            fn uper_encode(&self, buf: &mut Vec<u8>) -> Result<(), rasn::error::EncodeError> {
                crate::uper::encode(self, buf);
                Ok(())
            }
            fn uper_decode(bytes: &[u8]) -> Result<(Self, &[u8]), DecodeError> {
                crate::uper::decode::<Self>(bytes)
            }
        }
        impl Pdu for $t {}
    )*};
}
direct_uper!(
    election::ElectionMessage,
    role::RoleMessage,
    monitor::HealthMonitorMessage,
    status::ServiceStatusMessage
);

/// `ReplicationMessage` (PROTOCOL 2.8) uses rasn's UPER (its `SEQUENCE OF` counts are
/// `SIZE`-constrained, so PER bounds them) and a list-count check before rasn's OER
/// (`oer_guard`).
impl sealed::Rules for replication::ReplicationMessage {
    fn uper_encode(&self, buf: &mut Vec<u8>) -> Result<(), rasn::error::EncodeError> {
        rasn::uper::encode_buf(self, buf)
    }
    fn uper_decode(bytes: &[u8]) -> Result<(Self, &[u8]), DecodeError> {
        rasn::uper::decode_with_remainder(bytes).map_err(|e| {
            let (path, detail) = rasn_path_and_detail(Self::NAME, &e);
            DecodeError {
                message: Self::NAME,
                encoding: Encoding::Uper,
                kind: DecodeErrorKind::Malformed { path, detail },
            }
        })
    }
    fn oer_precheck(bytes: &[u8], encoding: Encoding) -> Result<(), DecodeError> {
        use crate::oer_guard::GuardError;
        crate::oer_guard::check(bytes).map_err(|(path, e)| {
            let kind = match e {
                GuardError::TooManyItems { declared, max } => {
                    DecodeErrorKind::Constraint(baton_asn1::ConstraintError {
                        path,
                        violation: baton_asn1::Violation::ItemsOutOfRange {
                            items: usize::try_from(declared).unwrap_or(usize::MAX),
                            min: baton_asn1::validate::replication::LIST_ITEMS.0,
                            max,
                        },
                    })
                }
                other => DecodeErrorKind::Malformed {
                    path,
                    detail: other.to_string(),
                },
            };
            DecodeError {
                message: Self::NAME,
                encoding,
                kind,
            }
        })
    }
}
impl Pdu for replication::ReplicationMessage {}

/// Encodes `value` in `encoding` into a new buffer.
///
/// # Errors
/// [`EncodeError::Constraint`] if the value breaks a constraint of its type.
pub fn encode<T: Pdu>(encoding: Encoding, value: &T) -> Result<Vec<u8>, EncodeError> {
    let mut buf = Vec::new();
    encode_into(encoding, value, &mut buf)?;
    Ok(buf)
}

/// Encodes `value` in `encoding` into `buf`, replacing its contents and reusing its
/// allocation (the hot path of a link: one buffer per link).
///
/// `Ber` writes DER, which is valid BER. `Uper` uses baton's direct codec (`uper` module),
/// byte-identical to rasn's and several times faster, for the four messages of PROTOCOL 2.1,
/// and rasn's for `ReplicationMessage`.
///
/// # Errors
/// [`EncodeError::Constraint`] if the value breaks a constraint of its type.
pub fn encode_into<T: Pdu>(
    encoding: Encoding,
    value: &T,
    buf: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    value.validate().map_err(EncodeError::Constraint)?;
    // rasn 0.30's OER and COER `encode_buf` append to the buffer where the other rules
    // replace its contents: clear it for all of them.
    buf.clear();
    let result = match encoding {
        Encoding::Ber | Encoding::Der => rasn::der::encode_buf(value, buf),
        Encoding::Cer => rasn::cer::encode_buf(value, buf),
        Encoding::Uper => value.uper_encode(buf),
        Encoding::Aper => rasn::aper::encode_buf(value, buf),
        Encoding::Oer => rasn::oer::encode_buf(value, buf),
        Encoding::Coer => rasn::coer::encode_buf(value, buf),
        Encoding::Jer => {
            rasn::jer::encode(value).map(|text| buf.extend_from_slice(text.as_bytes()))
        }
    };
    result.map_err(|e| EncodeError::Codec {
        message: T::NAME,
        encoding,
        detail: e.to_string(),
    })
}

/// Decodes one `T` in `encoding` from all of `bytes`.
///
/// # Errors
/// A [`DecodeError`] naming the field and the problem: malformed bytes, a broken constraint,
/// or bytes left after the value. Never panics.
pub fn decode<T: Pdu>(encoding: Encoding, bytes: &[u8]) -> Result<T, DecodeError> {
    let error = |kind| DecodeError {
        message: T::NAME,
        encoding,
        kind,
    };
    let malformed = |e: rasn::error::DecodeError| {
        let (path, detail) = rasn_path_and_detail(T::NAME, &e);
        error(DecodeErrorKind::Malformed { path, detail })
    };
    let (value, rest): (T, &[u8]) = match encoding {
        Encoding::Ber => rasn::ber::decode_with_remainder(bytes).map_err(malformed)?,
        Encoding::Der => rasn::der::decode_with_remainder(bytes).map_err(malformed)?,
        Encoding::Cer => rasn::cer::decode_with_remainder(bytes).map_err(malformed)?,
        Encoding::Uper => T::uper_decode(bytes)?,
        Encoding::Aper => rasn::aper::decode_with_remainder(bytes).map_err(malformed)?,
        Encoding::Oer => {
            T::oer_precheck(bytes, encoding)?;
            rasn::oer::decode_with_remainder(bytes).map_err(malformed)?
        }
        Encoding::Coer => {
            T::oer_precheck(bytes, encoding)?;
            rasn::coer::decode_with_remainder(bytes).map_err(malformed)?
        }
        Encoding::Jer => {
            let text = std::str::from_utf8(bytes).map_err(|e| {
                error(DecodeErrorKind::Malformed {
                    path: T::NAME.to_owned(),
                    detail: format!("not UTF-8: {e}"),
                })
            })?;
            crate::jer_shape::check(T::NAME, text)
                .map_err(|(path, detail)| error(DecodeErrorKind::Malformed { path, detail }))?;
            (rasn::jer::decode(text).map_err(malformed)?, &[])
        }
    };
    if !rest.is_empty() {
        return Err(error(DecodeErrorKind::TrailingBytes(rest.len())));
    }
    value
        .validate()
        .map_err(|c| error(DecodeErrorKind::Constraint(c)))?;
    Ok(value)
}
