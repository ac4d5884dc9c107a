//! The node's `setRole` `correlationId`: `"<round> <seq>"` (PROTOCOL 2.3, *Role
//! `correlationId`s*), so that every role request carries the generation of the promotion it
//! serves (PROTOCOL 5.11).
//!
//! The node builds it; a component MAY read the round ([`SetRoleId::parse`]); the node still
//! matches answers by equality of the whole id, and a component that treats it as opaque is
//! unaffected.

use std::fmt;

/// A `setRole` `correlationId` of the node: the round (generation, PROTOCOL 5.11; 0 = none
/// yet) and a 16-bit request number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SetRoleId {
    /// The round of the promotion the request serves (an `active` request), or the highest
    /// round the node knows of (a `standby` request).
    pub round: u32,
    /// The request's number, a wrapping 16-bit counter.
    pub seq: u16,
}

impl SetRoleId {
    /// Parses `"<round> <seq>"`: two decimal numbers (leading zeros accepted), exactly one
    /// space, `round` at most 4294967295 and `seq` at most 65535. `None` for anything else
    /// (an id of an older node, a counter without a space).
    pub fn parse(id: &str) -> Option<SetRoleId> {
        let (round, seq) = id.split_once(' ')?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(round) || !digits(seq) {
            return None;
        }
        Some(SetRoleId {
            round: round.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }
}

impl fmt::Display for SetRoleId {
    /// `"<round> <seq>"`, without leading zeros: at most 16 characters, a valid
    /// `CorrelationId`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.round, self.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::SetRoleId;

    #[test]
    fn renders_and_parses_back() {
        let id = SetRoleId {
            round: u32::MAX,
            seq: u16::MAX,
        };
        assert_eq!(id.to_string(), "4294967295 65535");
        assert_eq!(id.to_string().len(), 16);
        assert_eq!(SetRoleId::parse("4294967295 65535"), Some(id));
        assert_eq!(
            SetRoleId::parse("007 01"),
            Some(SetRoleId { round: 7, seq: 1 })
        );
    }

    #[test]
    fn anything_else_is_none() {
        for bad in [
            "",
            "1",
            "12",
            " 1",
            "1 ",
            "1  2",
            "1 2 3",
            "4294967296 1",
            "1 65536",
            "a 1",
        ] {
            assert_eq!(SetRoleId::parse(bad), None, "{bad:?}");
        }
    }
}
