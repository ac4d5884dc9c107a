//! Encoding rules and framing for baton's five top-level messages (PROTOCOL 2.1 and 2.8).
//!
//! - [`Encoding`]: BER, DER, CER, UPER, APER, OER, COER and JER, the rules of rasn whose bytes an
//!   independent implementation reproduces (`conformance/vectors`). XER is left out: rasn 0.30
//!   cannot decode an empty string in XER, and empty strings are valid in all four modules.
//! - [`encode`] / [`decode`]: one top-level message in one rule. Every constraint of the ASN.1
//!   is checked on both sides ([`baton_asn1::validate`]), and bytes after the value are
//!   refused, in every rule.
//! - `FrameCodec` (default feature `framing`): the framing of PROTOCOL 3.1 as a tokio-util
//!   `Decoder`/`Encoder` of [`AnyMessage`]: a 4-byte big-endian length, an interface id byte,
//!   the message. Without the feature the crate has no tokio below it: the messages and their
//!   encoding rules are what a pure (sans-IO) machine needs.
//!
//! # No panics
//! Decoding never panics on any input and allocates at most in proportion to the input: the
//! frame decoder refuses a declared length over its limit before reserving anything, and rasn's
//! decoders check declared lengths against the bytes present, except the `SEQUENCE OF`
//! counts of OER/COER, which `oer_guard` checks before rasn runs (PROTOCOL 2.8). This is exercised by the fuzz
//! targets in `fuzz/` and the malformed vectors in `conformance/`.
#![forbid(unsafe_code)]

mod encoding;
mod error;
#[cfg(feature = "framing")]
mod frame;
mod jer_shape;
mod message;
mod oer_guard;
mod rules;
mod uper;

pub use encoding::Encoding;
pub use error::{DecodeError, DecodeErrorKind, EncodeError, FrameError};
#[cfg(feature = "framing")]
pub use frame::{EncodeFrameError, FrameCodec, DEFAULT_MAX_FRAME};
pub use message::{AnyMessage, Interface};
pub use rules::{decode, encode, encode_into, Pdu};
