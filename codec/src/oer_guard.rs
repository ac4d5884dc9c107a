//! A walk over OER/COER bytes of a `ReplicationMessage` (PROTOCOL 2.8) that checks every
//! `SEQUENCE OF` count before rasn decodes the message.
//!
//! rasn 0.30's OER decoder reserves `Vec::with_capacity(count)` for a `SEQUENCE OF` from the
//! count on the wire, unchecked against the `SIZE` constraint or the bytes left: a few bytes
//! declaring 2^40 items would abort the process (allocation failure) or panic (capacity
//! overflow). The four modules of PROTOCOL 2.1 have no `SEQUENCE OF`, so only the replication
//! module needs this. The walk follows the module's OER layout (no OPTIONAL, no extension
//! markers, AUTOMATIC TAGS): it reads lengths and tags, skips contents, and refuses a count
//! over the list's `SIZE` upper bound or over the octets left (every item takes at least
//! one), before anything is allocated. It allocates nothing itself.

use baton_asn1::validate::replication::LIST_ITEMS;

/// The OER layout of a type of the replication module.
enum Layout {
    /// A length determinant, then that many octets (NumericString, variable-size OCTET
    /// STRING, UTF8String).
    Counted,
    /// A fixed number of octets (constrained INTEGER, ENUMERATED below 128, `Digest`).
    Fixed(usize),
    /// SEQUENCE with no OPTIONAL fields: the fields in order.
    Seq(&'static [(&'static str, Layout)]),
    /// CHOICE: a one-octet context tag `0x80 | index`, then the alternative.
    Choice(&'static [(&'static str, Layout)]),
    /// `SEQUENCE (SIZE(min..max)) OF`: a quantity (length determinant + unsigned integer),
    /// then the items.
    List(&'static Layout),
}

use Layout::{Choice, Counted, Fixed, List, Seq};

const U64: Layout = Fixed(8);
const U32: Layout = Fixed(4);
const ENUM: Layout = Fixed(1);
const RECORD_KEY: Layout = Seq(&[
    ("applicationId", Counted),
    ("dataType", Counted),
    ("key", Counted),
]);
const ENTRY: Layout = Seq(&[("recordKey", RECORD_KEY), ("value", Counted)]);
const OPERATION: Layout = Choice(&[("add", ENTRY), ("modify", ENTRY), ("delete", RECORD_KEY)]);

const MESSAGE: Layout = Seq(&[
    ("correlationId", Counted),
    (
        "message",
        Choice(&[
            (
                "update",
                Seq(&[
                    ("generation", U64),
                    ("sequenceNumber", U64),
                    ("operations", List(&OPERATION)),
                ]),
            ),
            (
                "updateAck",
                Seq(&[("generation", U64), ("highestContiguous", U64)]),
            ),
            (
                "syncRequest",
                Seq(&[(
                    "start",
                    Choice(&[("full", Seq(&[])), ("fromSequenceNumber", U64)]),
                )]),
            ),
            (
                "syncChunk",
                Seq(&[("generation", U64), ("entries", List(&ENTRY))]),
            ),
            (
                "syncDone",
                Seq(&[
                    ("generation", U64),
                    ("sequenceNumber", U64),
                    ("entryCount", U32),
                ]),
            ),
            (
                "audit",
                Seq(&[
                    ("generation", U64),
                    ("sequenceNumber", U64),
                    ("entryCount", U32),
                    ("digest", Fixed(32)),
                ]),
            ),
            (
                "auditResponse",
                Seq(&[
                    ("result", ENUM),
                    ("sequenceNumber", U64),
                    ("entryCount", U32),
                    ("digest", Fixed(32)),
                ]),
            ),
            (
                "replicationError",
                Seq(&[("code", ENUM), ("description", Counted)]),
            ),
        ]),
    ),
]);

/// Why the walk refused the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GuardError {
    /// A list declares more items than its `SIZE` allows.
    TooManyItems {
        /// The declared count (saturated at `u64::MAX`).
        declared: u64,
        /// The `SIZE` upper bound.
        max: usize,
    },
    /// A list declares more items than octets are left.
    ItemsBeyondInput {
        /// The declared count.
        declared: u64,
        /// Octets left after the count.
        left: usize,
    },
    /// The bytes end, or a length runs past them, before the value does.
    Truncated,
    /// A CHOICE tag that names no alternative.
    UnknownTag(u8),
}

impl std::fmt::Display for GuardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GuardError::TooManyItems { declared, max } => {
                write!(f, "declares {declared} items, SIZE allows at most {max}")
            }
            GuardError::ItemsBeyondInput { declared, left } => write!(
                f,
                "declares {declared} items, only {left} octets left (at least one per item)"
            ),
            GuardError::Truncated => f.write_str("truncated: a length runs past the input"),
            GuardError::UnknownTag(t) => {
                write!(f, "CHOICE tag octet {t:#04x} names no alternative")
            }
        }
    }
}

/// Checks the list counts of an OER/COER `ReplicationMessage` in `bytes`. On refusal returns
/// the ASN.1 path of the offending field and the reason. Bytes after the value are left for
/// the caller's trailing-bytes check.
pub(crate) fn check(bytes: &[u8]) -> Result<(), (String, GuardError)> {
    let mut path = String::from("ReplicationMessage");
    let mut input = bytes;
    walk(&MESSAGE, &mut input, &mut path).map_err(|e| (path, e))
}

fn take<'a>(input: &mut &'a [u8], n: usize) -> Result<&'a [u8], GuardError> {
    if n > input.len() {
        return Err(GuardError::Truncated);
    }
    let (head, rest) = input.split_at(n);
    *input = rest;
    Ok(head)
}

/// A big-endian unsigned integer of any width, saturated at `u64::MAX`.
fn unsigned(octets: &[u8]) -> u64 {
    octets.iter().fold(0u64, |acc, &b| {
        if acc > (u64::MAX >> 8) {
            u64::MAX
        } else {
            (acc << 8) | u64::from(b)
        }
    })
}

/// X.696 8.6: short form below 0x80, else the low 7 bits count the length octets.
fn length(input: &mut &[u8]) -> Result<u64, GuardError> {
    let first = take(input, 1)?[0];
    if first < 0x80 {
        return Ok(u64::from(first));
    }
    Ok(unsigned(take(input, usize::from(first & 0x7f))?))
}

fn skip(input: &mut &[u8], n: u64) -> Result<(), GuardError> {
    let n = usize::try_from(n).map_err(|_| GuardError::Truncated)?;
    take(input, n).map(|_| ())
}

fn walk(layout: &Layout, input: &mut &[u8], path: &mut String) -> Result<(), GuardError> {
    match layout {
        Counted => {
            let n = length(input)?;
            skip(input, n)
        }
        Fixed(n) => take(input, *n).map(|_| ()),
        Seq(fields) => {
            for (name, field) in *fields {
                let len = path.len();
                path.push('.');
                path.push_str(name);
                walk(field, input, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        Choice(alternatives) => {
            let tag = take(input, 1)?[0];
            let index = usize::from(tag ^ 0x80);
            let Some((name, alt)) = alternatives.get(index).filter(|_| tag & 0xc0 == 0x80) else {
                return Err(GuardError::UnknownTag(tag));
            };
            path.push('.');
            path.push_str(name);
            walk(alt, input, path)
        }
        List(item) => {
            let octets = length(input)?;
            let octets = usize::try_from(octets).map_err(|_| GuardError::Truncated)?;
            let declared = unsigned(take(input, octets)?);
            let max = LIST_ITEMS.1;
            if declared > max as u64 {
                return Err(GuardError::TooManyItems { declared, max });
            }
            if declared > input.len() as u64 {
                return Err(GuardError::ItemsBeyondInput {
                    declared,
                    left: input.len(),
                });
            }
            (0..declared).try_for_each(|_| walk(item, input, path))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // asn1tools OER of an update with one delete (correlationId "7", generation 1,
    // sequenceNumber 5, applicationId "1", dataType "2", key "").
    const UPDATE: &str = "013780000000000000000100000000000000050101820131013200";

    #[test]
    fn a_valid_update_passes() {
        check(&hex(UPDATE)).unwrap();
    }

    #[test]
    fn a_huge_count_is_refused_before_allocation() {
        let mut b = hex(UPDATE);
        // quantity: 01 01 -> 08 ff..ff (2^64 - 1 items)
        let at = 2 + 1 + 16;
        assert_eq!(&b[at..at + 2], &[1, 1]);
        b.splice(
            at..at + 2,
            [8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        );
        assert_eq!(
            check(&b),
            Err((
                "ReplicationMessage.message.update.operations".to_owned(),
                GuardError::TooManyItems {
                    declared: u64::MAX,
                    max: 64
                }
            ))
        );
        // 64 items declared, 6 octets left
        b = hex(UPDATE);
        b[at + 1] = 64;
        assert_eq!(
            check(&b).unwrap_err().1,
            GuardError::ItemsBeyondInput {
                declared: 64,
                left: 6
            }
        );
    }

    #[test]
    fn unknown_tags_and_truncation_are_refused() {
        let mut b = hex(UPDATE);
        b[2] = 0x88;
        assert_eq!(check(&b).unwrap_err().1, GuardError::UnknownTag(0x88));
        let b = hex(UPDATE);
        for n in 0..b.len() {
            assert!(check(&b[..n]).is_err(), "{n} octets");
        }
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
