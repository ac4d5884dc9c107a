//! Constraint checks that rasn 0.30 does not make in every encoding rule.
//!
//! - `SIZE(0..16)` on `Candidate` (UTF8String) counted in **characters**;
//! - `SIZE(0..16)` and the NumericString alphabet (digits and space) on `CorrelationId` and
//!   `ComponentId`.
//!
//! - In `failover-replication-interface` (PROTOCOL 2.8): the same on its three NumericStrings,
//!   `SIZE` in octets on `DataKey` and `DataValue`, and the item counts of `Operations` and
//!   `Entries` (module `replication`).
//!
//! Errors name the field path from the top-level type, ASN.1 identifiers joined by `.`, and
//! the broken constraint: `ElectionMessage.message.nominationMsg.nominee: 17 characters, at
//! most 16`. The path is only rendered when a check fails: validating a valid value does not
//! allocate.

use crate::{election, monitor, role, status};
use std::fmt;

pub mod replication;

/// Upper bound of every `SIZE(0..16)` in the four modules.
pub const MAX_ID_CHARS: usize = 16;

/// A value that breaks a constraint of its ASN.1 type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstraintError {
    /// Field path from the top-level type, e.g. `ElectionMessage.correlationId`.
    pub path: String,
    /// What is wrong with the value at `path`.
    pub violation: Violation,
}

/// The broken constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// `SIZE(0..max)`: the string has `chars` characters.
    TooLong {
        /// Characters in the value.
        chars: usize,
        /// The constraint's upper bound.
        max: usize,
    },
    /// `SIZE(min..max)` of an OCTET STRING: the value has `octets` octets.
    OctetsOutOfRange {
        /// Octets in the value.
        octets: usize,
        /// The constraint's lower bound.
        min: usize,
        /// The constraint's upper bound.
        max: usize,
    },
    /// `SEQUENCE (SIZE(min..max)) OF`: the list has `items` items.
    ItemsOutOfRange {
        /// Items in the list.
        items: usize,
        /// The constraint's lower bound.
        min: usize,
        /// The constraint's upper bound.
        max: usize,
    },
    /// `INTEGER (min..max)`: the value is outside the range.
    IntegerOutOfRange {
        /// The value.
        value: u64,
        /// The range's lower bound.
        min: u64,
        /// The range's upper bound.
        max: u64,
    },
    /// NumericString: a character other than a digit or a space.
    NotNumeric {
        /// The offending character.
        ch: char,
        /// Its position, counted in characters from 0.
        position: usize,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::TooLong { chars, max } => write!(f, "{chars} characters, at most {max}"),
            Violation::OctetsOutOfRange { octets, min, max } => {
                write!(
                    f,
                    "{octets} octets, expected {min} to {max} (SIZE({min}..{max}))"
                )
            }
            Violation::IntegerOutOfRange { value, min, max } => {
                write!(f, "{value} is outside the range {min}..{max}")
            }
            Violation::ItemsOutOfRange { items, min, max } => {
                write!(
                    f,
                    "{items} items, expected {min} to {max} (SIZE({min}..{max}))"
                )
            }
            Violation::NotNumeric { ch, position } => write!(
                f,
                "character {ch:?} at position {position} is not a digit or space (NumericString)"
            ),
        }
    }
}

impl fmt::Display for ConstraintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.violation)
    }
}

impl std::error::Error for ConstraintError {}

/// A field path under construction: a stack of ASN.1 identifiers, rendered only on error.
#[derive(Clone, Copy)]
pub struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    name: &'static str,
}

impl<'a> Path<'a> {
    /// The path of a top-level type.
    pub fn root(name: &'static str) -> Self {
        Path { parent: None, name }
    }

    /// The path of field or alternative `name` below this one.
    pub fn child(&'a self, name: &'static str) -> Path<'a> {
        Path {
            parent: Some(self),
            name,
        }
    }

    fn render(&self) -> String {
        match self.parent {
            Some(p) => format!("{}.{}", p.render(), self.name),
            None => self.name.to_owned(),
        }
    }

    fn error(&self, violation: Violation) -> ConstraintError {
        ConstraintError {
            path: self.render(),
            violation,
        }
    }
}

/// A type whose constraints can be checked.
pub trait Validate {
    /// Checks every constraint of `self`, reporting errors under `path`.
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ConstraintError>;
}

/// One of the five top-level messages.
pub trait Message: Validate + rasn::Encode + rasn::Decode + Clone + fmt::Debug + PartialEq {
    /// The ASN.1 type name, e.g. `ElectionMessage`.
    const NAME: &'static str;

    /// Checks every constraint of the message.
    fn validate(&self) -> Result<(), ConstraintError> {
        self.validate_at(&Path::root(Self::NAME))
    }
}

/// Checks `SIZE(0..max)` counted in characters.
pub fn check_chars(s: &str, max: usize, path: &Path<'_>) -> Result<(), ConstraintError> {
    // Fast path: a string of at most `max` bytes has at most `max` characters.
    if s.len() <= max {
        return Ok(());
    }
    let chars = s.chars().count();
    if chars > max {
        return Err(path.error(Violation::TooLong { chars, max }));
    }
    Ok(())
}

/// Checks `NumericString (SIZE(0..max))`: digits and space only, at most `max` characters.
pub fn check_numeric(bytes: &[u8], max: usize, path: &Path<'_>) -> Result<(), ConstraintError> {
    if let Some(position) = bytes
        .iter()
        .position(|b| !(b.is_ascii_digit() || *b == b' '))
    {
        // rasn's NumericString holds bytes; a byte outside the alphabet is shown as a char.
        let ch = char::from(bytes[position]);
        return Err(path.error(Violation::NotNumeric { ch, position }));
    }
    if bytes.len() > max {
        return Err(path.error(Violation::TooLong {
            chars: bytes.len(),
            max,
        }));
    }
    Ok(())
}

/// Checks `SIZE(min..max)` of an OCTET STRING, counted in octets.
pub fn check_octets(
    bytes: &[u8],
    min: usize,
    max: usize,
    path: &Path<'_>,
) -> Result<(), ConstraintError> {
    let octets = bytes.len();
    if octets < min || octets > max {
        return Err(path.error(Violation::OctetsOutOfRange { octets, min, max }));
    }
    Ok(())
}

/// Checks `INTEGER (min..max)` of an unsigned value.
pub fn check_range(value: u64, min: u64, max: u64, path: &Path<'_>) -> Result<(), ConstraintError> {
    if value < min || value > max {
        return Err(path.error(Violation::IntegerOutOfRange { value, min, max }));
    }
    Ok(())
}

/// Checks `SEQUENCE (SIZE(min..max)) OF`: the number of items.
pub fn check_items(
    items: usize,
    min: usize,
    max: usize,
    path: &Path<'_>,
) -> Result<(), ConstraintError> {
    if items < min || items > max {
        return Err(path.error(Violation::ItemsOutOfRange { items, min, max }));
    }
    Ok(())
}

macro_rules! numeric_id {
    ($($t:ty),*) => {$(
        impl Validate for $t {
            fn validate_at(&self, path: &Path<'_>) -> Result<(), ConstraintError> {
                check_numeric(self.0.as_bytes(), MAX_ID_CHARS, path)
            }
        }
    )*};
}
numeric_id!(
    election::CorrelationId,
    role::CorrelationId,
    monitor::CorrelationId,
    monitor::ComponentId,
    status::CorrelationId
);

impl Validate for election::Candidate {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ConstraintError> {
        // Planted fault `constraint-unchecked` (feature `plant`, conformance CI only): the
        // SIZE of a Candidate goes unchecked.
        #[cfg(feature = "plant")]
        if crate::plant::planted("constraint-unchecked") {
            return Ok(());
        }
        check_chars(&self.0, MAX_ID_CHARS, path)
    }
}

/// `active` and `standby` of `Assigment` and `Veto`.
fn check_pair(
    active: &election::Candidate,
    standby: &election::Candidate,
    path: &Path<'_>,
) -> Result<(), ConstraintError> {
    active.validate_at(&path.child("active"))?;
    standby.validate_at(&path.child("standby"))
}

impl Validate for election::ElectionMessage {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ConstraintError> {
        use election::{ElectionMessageMessage as M, ElectionResult as R};
        self.correlation_id
            .validate_at(&path.child("correlationId"))?;
        let path = path.child("message");
        match &self.message {
            M::nominationMsg(n) => n
                .nominee
                .validate_at(&path.child("nominationMsg").child("nominee")),
            M::electionResult(r) => {
                let path = path.child("electionResult");
                match r {
                    R::electionError(_) => Ok(()),
                    R::assigment(a) => check_pair(&a.active, &a.standby, &path.child("assigment")),
                    R::veto(v) => check_pair(&v.active, &v.standby, &path.child("veto")),
                }
            }
        }
    }
}

impl Validate for role::RoleMessage {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ConstraintError> {
        self.correlation_id
            .validate_at(&path.child("correlationId"))
    }
}

impl Validate for monitor::HealthMonitorMessage {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ConstraintError> {
        self.correlation_id
            .validate_at(&path.child("correlationId"))?;
        self.component_id.validate_at(&path.child("componentId"))
    }
}

impl Validate for status::ServiceStatusMessage {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ConstraintError> {
        self.correlation_id
            .validate_at(&path.child("correlationId"))
    }
}

impl Message for election::ElectionMessage {
    const NAME: &'static str = "ElectionMessage";
}
impl Message for role::RoleMessage {
    const NAME: &'static str = "RoleMessage";
}
impl Message for monitor::HealthMonitorMessage {
    const NAME: &'static str = "HealthMonitorMessage";
}
impl Message for status::ServiceStatusMessage {
    const NAME: &'static str = "ServiceStatusMessage";
}

#[cfg(test)]
mod tests {
    use super::*;
    use election::*;
    use rasn::types::NumericString;

    fn cid(s: &str) -> CorrelationId {
        CorrelationId(NumericString::from_bytes(s.as_bytes()).unwrap())
    }

    fn nomination(nominee: &str) -> ElectionMessage {
        ElectionMessage::new(
            cid("1"),
            ElectionMessageMessage::nominationMsg(NominationMessage::new(Candidate(
                nominee.into(),
            ))),
        )
    }

    #[test]
    fn seventeen_characters_name_the_field() {
        let err = nomination("abcdefghijklmnopq").validate().unwrap_err();
        assert_eq!(
            err.to_string(),
            "ElectionMessage.message.nominationMsg.nominee: 17 characters, at most 16"
        );
    }

    #[test]
    fn sixteen_non_ascii_characters_are_valid() {
        let name = "ééééééééééééééé€";
        assert_eq!(name.chars().count(), 16);
        assert!(name.len() > 16);
        nomination(name).validate().unwrap();
        let err = nomination("éééééééééééééééé€").validate().unwrap_err();
        assert_eq!(err.violation, Violation::TooLong { chars: 17, max: 16 });
    }

    #[test]
    fn numeric_ids_are_checked() {
        let ok = ElectionMessage::new(cid("0123456789 12345"), nomination("a").message);
        ok.validate().unwrap();
        let long = ElectionMessage::new(cid("01234567890123456"), nomination("a").message);
        assert_eq!(
            long.validate().unwrap_err().to_string(),
            "ElectionMessage.correlationId: 17 characters, at most 16"
        );
        assert!(check_numeric(b"12a", 16, &Path::root("X")).is_err());
        let err = check_numeric(b"12a", 16, &Path::root("X")).unwrap_err();
        assert_eq!(
            err.violation,
            Violation::NotNumeric {
                ch: 'a',
                position: 2
            }
        );
    }

    #[test]
    fn assignment_fields_have_their_own_path() {
        let m = ElectionMessage::new(
            cid(""),
            ElectionMessageMessage::electionResult(ElectionResult::veto(Veto::new(
                Candidate("a".into()),
                Candidate("b".repeat(20)),
            ))),
        );
        assert_eq!(
            m.validate().unwrap_err().path,
            "ElectionMessage.message.electionResult.veto.standby"
        );
    }
}
