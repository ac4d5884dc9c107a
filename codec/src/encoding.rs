//! The encoding rules a link can use.

use std::fmt;
use std::str::FromStr;

/// An ASN.1 encoding rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Encoding {
    /// Basic Encoding Rules. Encoding writes DER (a valid BER encoding); decoding accepts any
    /// BER, indefinite lengths and constructed strings included.
    Ber,
    /// Distinguished Encoding Rules: the default on every link.
    Der,
    /// Canonical Encoding Rules.
    Cer,
    /// Unaligned Packed Encoding Rules (canonical).
    Uper,
    /// Aligned Packed Encoding Rules (canonical).
    Aper,
    /// Octet Encoding Rules (basic).
    Oer,
    /// Canonical Octet Encoding Rules.
    Coer,
    /// JSON Encoding Rules (X.697).
    Jer,
}

impl Encoding {
    /// Every rule, in the order shown to users.
    pub const ALL: [Encoding; 8] = [
        Encoding::Ber,
        Encoding::Der,
        Encoding::Cer,
        Encoding::Uper,
        Encoding::Aper,
        Encoding::Oer,
        Encoding::Coer,
        Encoding::Jer,
    ];

    /// The rule's lower-case name, as used in configuration and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Encoding::Ber => "ber",
            Encoding::Der => "der",
            Encoding::Cer => "cer",
            Encoding::Uper => "uper",
            Encoding::Aper => "aper",
            Encoding::Oer => "oer",
            Encoding::Coer => "coer",
            Encoding::Jer => "jer",
        }
    }

    /// Whether the encoding is text (JER) rather than bytes.
    pub const fn is_text(self) -> bool {
        matches!(self, Encoding::Jer)
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An encoding name that is not one of [`Encoding::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown encoding {0:?}: expected one of ber, der, cer, uper, aper, oer, coer, jer")]
pub struct UnknownEncoding(pub String);

impl FromStr for Encoding {
    type Err = UnknownEncoding;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Encoding::ALL
            .into_iter()
            .find(|e| e.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownEncoding(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for e in Encoding::ALL {
            assert_eq!(e.name().parse::<Encoding>(), Ok(e));
        }
        assert_eq!("UPER".parse::<Encoding>(), Ok(Encoding::Uper));
        assert!("xer".parse::<Encoding>().is_err());
    }
}
