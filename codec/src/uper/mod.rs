//! A direct Unaligned PER (X.691, canonical) encoder and decoder for the four messages.
//!
//! rasn's generic PER codec spends most of its time on machinery these types never need
//! (a BTreeMap alphabet lookup per NumericString character, tag-tree searches for every
//! CHOICE, a heap allocation per field when decoding). The UPER layout of the four modules
//! is small and fixed (no OPTIONAL, no extension markers, AUTOMATIC TAGS), so it is written
//! out here directly:
//!
//! | ASN.1 | UPER |
//! |---|---|
//! | `NumericString (SIZE(0..16))` | 5-bit length, then 4 bits per character: index in `" 0123456789"` |
//! | `UTF8String` (no PER-visible constraint) | unconstrained length determinant in octets (8 bits below 128, 16 bits below 16384, 16K fragments above), then the octets, unaligned |
//! | CHOICE of 2 / 3 alternatives | 1 / 2 bits: index in definition order |
//! | ENUMERATED of 2 | 1 bit |
//! | SEQUENCE | its fields in order, nothing else |
//!
//! The result is padded with zero bits to an octet. `conformance/tests/uper_differential.rs`
//! checks it against rasn's UPER byte for byte on generated values and for the same
//! accept/refuse decision on mutated and random bytes; the vectors check it against asn1tools.
//!
//! Decoding never panics and never allocates more than the input holds: every length is
//! checked against the bits left before anything is reserved.

mod bits;
mod messages;

pub(crate) use bits::{BitReader, BitWriter};
pub(crate) use messages::Uper;

use crate::{DecodeError, DecodeErrorKind, Encoding};
use baton_asn1::{ConstraintError, Message, Violation};
use bits::Short;
use rasn::types::NumericString;

/// Why the fast path refused its input, with the static path of the field.
#[derive(Debug)]
pub enum UperError {
    Short(&'static str, Short),
    Alphabet(&'static str, u32),
    Size(&'static str, u32),
    Choice(&'static str, u32),
    Fragment(&'static str, u32),
    Utf8(&'static str),
}

impl UperError {
    pub(crate) fn into_decode_error<T: Message>(self) -> DecodeError {
        let malformed = |path: &str, detail: String| DecodeErrorKind::Malformed {
            path: path.to_owned(),
            detail,
        };
        let kind = match self {
            UperError::Short(path, s) => malformed(
                path,
                format!("truncated: needs {} more bits, {} left", s.needed, s.left),
            ),
            UperError::Alphabet(path, i) => malformed(
                path,
                format!("character index {i} is outside the NumericString alphabet (0 to 10)"),
            ),
            UperError::Size(path, len) => DecodeErrorKind::Constraint(ConstraintError {
                path: path.to_owned(),
                violation: Violation::TooLong {
                    chars: len as usize,
                    max: baton_asn1::validate::MAX_ID_CHARS,
                },
            }),
            UperError::Choice(path, i) => {
                malformed(path, format!("CHOICE index {i} names no alternative"))
            }
            UperError::Fragment(path, m) => malformed(
                path,
                format!("length fragment of {m} x 16K octets (1 to 4 allowed)"),
            ),
            UperError::Utf8(path) => malformed(path, "UTF8String is not valid UTF-8".to_owned()),
        };
        DecodeError {
            message: T::NAME,
            encoding: Encoding::Uper,
            kind,
        }
    }
}

pub type Result<T> = std::result::Result<T, UperError>;

const FRAGMENT: usize = 16384;

fn put_numeric(w: &mut BitWriter<'_>, s: &NumericString) {
    let bytes = s.as_bytes();
    // Validated before encoding: at most 16 digits or spaces.
    w.bits(bytes.len() as u32, 5);
    for &b in bytes {
        let index = if b == b' ' {
            0
        } else {
            u32::from(b - b'0') + 1
        };
        w.bits(index, 4);
    }
}

fn get_numeric(r: &mut BitReader<'_>, path: &'static str) -> Result<NumericString> {
    let short = |s| UperError::Short(path, s);
    let len = r.bits(5).map_err(short)?;
    if len > 16 {
        return Err(UperError::Size(path, len));
    }
    let mut buf = [0u8; 16];
    for slot in buf.iter_mut().take(len as usize) {
        let index = r.bits(4).map_err(short)?;
        *slot = match index {
            0 => b' ',
            1..=10 => b'0' + (index as u8 - 1),
            _ => return Err(UperError::Alphabet(path, index)),
        };
    }
    NumericString::from_bytes(&buf[..len as usize]).map_err(|_| UperError::Alphabet(path, 11))
}

fn put_octets(w: &mut BitWriter<'_>, mut rest: &[u8]) {
    loop {
        let n = rest.len();
        if n < 128 {
            w.bits(n as u32, 8);
            w.octets(rest);
            return;
        }
        if n < FRAGMENT {
            w.bits(0x8000 | n as u32, 16);
            w.octets(rest);
            return;
        }
        let m = (n / FRAGMENT).min(4);
        w.bits(0xc0 | m as u32, 8);
        let (fragment, tail) = rest.split_at(m * FRAGMENT);
        w.octets(fragment);
        rest = tail;
    }
}

fn get_octets(r: &mut BitReader<'_>, path: &'static str) -> Result<Vec<u8>> {
    let short = |s| UperError::Short(path, s);
    let mut out = Vec::new();
    loop {
        let first = r.bits(8).map_err(short)?;
        if first & 0x80 == 0 {
            r.octets_into(first as usize, &mut out).map_err(short)?;
            return Ok(out);
        }
        if first & 0x40 == 0 {
            let n = ((first & 0x3f) << 8) | r.bits(8).map_err(short)?;
            r.octets_into(n as usize, &mut out).map_err(short)?;
            return Ok(out);
        }
        let m = first & 0x3f;
        if !(1..=4).contains(&m) {
            return Err(UperError::Fragment(path, m));
        }
        r.octets_into(m as usize * FRAGMENT, &mut out)
            .map_err(short)?;
    }
}

fn put_utf8(w: &mut BitWriter<'_>, s: &str) {
    put_octets(w, s.as_bytes());
}

fn get_utf8(r: &mut BitReader<'_>, path: &'static str) -> Result<String> {
    String::from_utf8(get_octets(r, path)?).map_err(|_| UperError::Utf8(path))
}

fn get_index(r: &mut BitReader<'_>, bits: u32, count: u32, path: &'static str) -> Result<u32> {
    let i = r.bits(bits).map_err(|s| UperError::Short(path, s))?;
    if i >= count {
        return Err(UperError::Choice(path, i));
    }
    Ok(i)
}

/// Encodes a validated value into `buf`, replacing its contents.
pub(crate) fn encode<T: Uper>(value: &T, buf: &mut Vec<u8>) {
    buf.clear();
    let mut w = BitWriter::new(buf);
    value.put(&mut w);
    w.finish();
}

/// Decodes one value; returns it and the octets after it.
pub(crate) fn decode<T: Uper + Message>(
    bytes: &[u8],
) -> std::result::Result<(T, &[u8]), DecodeError> {
    let mut r = BitReader::new(bytes);
    let value = T::get(&mut r).map_err(UperError::into_decode_error::<T>)?;
    Ok((value, r.rest()))
}
