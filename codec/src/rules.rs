//! One top-level message in one encoding rule, constraints checked both ways.

use crate::error::rasn_path_and_detail;
use crate::{DecodeError, DecodeErrorKind, EncodeError, Encoding};
use baton_asn1::{election, monitor, role, status, Message};

/// One of the four top-level messages (`ElectionMessage`, `RoleMessage`,
/// `HealthMonitorMessage`, `ServiceStatusMessage`): what [`encode`] and [`decode`] take.
/// Sealed: it carries baton's direct UPER codec for each.
pub trait Pdu: Message + crate::uper::Uper {}

impl Pdu for election::ElectionMessage {}
impl Pdu for role::RoleMessage {}
impl Pdu for monitor::HealthMonitorMessage {}
impl Pdu for status::ServiceStatusMessage {}

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
/// byte-identical to rasn's and several times faster.
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
        Encoding::Uper => {
            crate::uper::encode(value, buf);
            Ok(())
        }
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
        Encoding::Uper => crate::uper::decode::<T>(bytes)?,
        Encoding::Aper => rasn::aper::decode_with_remainder(bytes).map_err(malformed)?,
        Encoding::Oer => rasn::oer::decode_with_remainder(bytes).map_err(malformed)?,
        Encoding::Coer => rasn::coer::decode_with_remainder(bytes).map_err(malformed)?,
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
