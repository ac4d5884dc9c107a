//! The Election's `correlationId`: `"<round> <seq>"` (PROTOCOL 2.3).
//!
//! `round` is the sender's [`Round`] in decimal (0 = none yet), then one space, then `seq`, a
//! wrapping 16-bit counter in decimal: at most 10 + 1 + 5 = 16 characters, all in the
//! NumericString alphabet. A request carries a round of its sender (pair mode: the highest
//! round it has seen, PROTOCOL 5.11); an answer echoes the request's `seq` and carries the
//! responder's own round.

use crate::round::Round;
use baton_asn1::election::CorrelationId;
use rasn::types::NumericString;
use std::fmt;

/// A parsed Election `correlationId` (PROTOCOL 2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct WireId {
    /// The sender's round: of a request, pair mode: the highest it has seen; of an answer: the
    /// responder's own (PROTOCOL 2.3).
    pub round: Round,
    /// The request's sequence number; an answer echoes it.
    pub seq: u16,
}

/// Why a `correlationId` is not a [`WireId`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum WireIdError {
    /// Not two space-separated decimal fields.
    Shape(String),
    /// The round does not fit 0..=4294967295.
    Round(String),
    /// The seq does not fit 0..=65535.
    Seq(String),
}

impl fmt::Display for WireIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireIdError::Shape(s) => write!(f, "correlationId {s:?} is not \"<round> <seq>\""),
            WireIdError::Round(s) => write!(f, "round {s:?} is not in 0..=4294967295"),
            WireIdError::Seq(s) => write!(f, "seq {s:?} is not in 0..=65535"),
        }
    }
}

impl std::error::Error for WireIdError {}

/// Decimal digits only (no sign, no blank), 1 to `max` of them.
fn digits(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
}

impl WireId {
    /// A new id.
    pub fn new(round: Round, seq: u16) -> Self {
        WireId { round, seq }
    }

    /// Parses `"<round> <seq>"`: two decimal numbers separated by exactly one space, nothing
    /// else. Leading zeros are accepted (the numbers are what count).
    pub fn parse(s: &str) -> Result<WireId, WireIdError> {
        let shape = || WireIdError::Shape(s.to_owned());
        let (r, q) = s.split_once(' ').ok_or_else(shape)?;
        if !digits(r, 10) || !digits(q, 5) {
            return Err(shape());
        }
        let round = r
            .parse::<u32>()
            .map_err(|_| WireIdError::Round(r.to_owned()))?;
        let seq = q
            .parse::<u16>()
            .map_err(|_| WireIdError::Seq(q.to_owned()))?;
        Ok(WireId {
            round: Round(round),
            seq,
        })
    }

    /// Parses the NumericString of a `CorrelationId`.
    pub fn from_correlation_id(id: &CorrelationId) -> Result<WireId, WireIdError> {
        match std::str::from_utf8(id.0.as_bytes()) {
            Ok(s) => WireId::parse(s),
            Err(_) => Err(WireIdError::Shape(
                String::from_utf8_lossy(id.0.as_bytes()).into_owned(),
            )),
        }
    }

    /// `"<round> <seq>"`, at most 16 characters.
    pub fn format(&self) -> String {
        format!("{} {}", self.round.0, self.seq)
    }

    /// The id as a `CorrelationId` (always valid: digits and one space).
    pub fn correlation_id(&self) -> CorrelationId {
        CorrelationId(NumericString::from_bytes(self.format().as_bytes()).unwrap_or_default())
    }
}

impl fmt::Display for WireId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_back() {
        for (round, seq, text) in [
            (0, 0, "0 0"),
            (7, 12, "7 12"),
            (u32::MAX, u16::MAX, "4294967295 65535"),
        ] {
            let id = WireId::new(Round(round), seq);
            assert_eq!(id.format(), text);
            assert!(text.len() <= 16);
            assert_eq!(WireId::parse(text), Ok(id));
            assert_eq!(WireId::from_correlation_id(&id.correlation_id()), Ok(id));
        }
    }

    #[test]
    fn refuses_everything_else() {
        for s in [
            "",
            "7",
            "7 ",
            " 7",
            "7  1",
            "7 1 2",
            "a 1",
            "1 -1",
            "+1 2",
            "12345678901 1",
        ] {
            assert_eq!(
                WireId::parse(s),
                Err(WireIdError::Shape(s.to_owned())),
                "{s:?}"
            );
        }
        assert_eq!(
            WireId::parse("4294967296 1"),
            Err(WireIdError::Round("4294967296".into()))
        );
        assert_eq!(
            WireId::parse("1 65536"),
            Err(WireIdError::Seq("65536".into()))
        );
    }
}
