//! What a replicating component replicates (PROTOCOL 2.8, 6.11): records, operations on them,
//! the node's error codes, and the ways `replicate` fails.
//!
//! A component replicates only its own application's records: the application id on the
//! wire is always the component id, so a record here is named by its data type and key.

use baton_asn1::replication as r;
use std::fmt;

/// Most operations in one update (`Operations ::= SEQUENCE (SIZE(1..64))`).
pub const MAX_OPERATIONS: usize = 64;
/// Longest data type (`DataType ::= NumericString (SIZE(0..16))`).
pub const MAX_DATA_TYPE: usize = 16;
/// Longest key (`DataKey ::= OCTET STRING (SIZE(0..64))`).
pub const MAX_KEY: usize = 64;
/// Longest value (`DataValue ::= OCTET STRING (SIZE(0..16384))`).
pub const MAX_VALUE: usize = 16384;

/// Where a record lives within the component's application: its data type (digits and
/// spaces, at most [`MAX_DATA_TYPE`]) and key (at most [`MAX_KEY`] octets).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordKey {
    /// The `DataType`: the application's kind of context, e.g. `"1"` for sessions.
    pub data_type: String,
    /// The `DataKey`.
    pub key: Vec<u8>,
}

impl RecordKey {
    /// Key `key` of data type `data_type`.
    pub fn new(data_type: impl Into<String>, key: impl Into<Vec<u8>>) -> Self {
        RecordKey {
            data_type: data_type.into(),
            key: key.into(),
        }
    }

    /// The key of a wire `RecordKey` (its application id left out).
    pub(crate) fn from_wire(k: &r::RecordKey) -> Self {
        RecordKey {
            data_type: String::from_utf8_lossy(k.data_type.0.as_bytes()).into_owned(),
            key: k.key.0.to_vec(),
        }
    }

    /// The wire `RecordKey` in application `application`, or why it breaks a constraint.
    pub(crate) fn to_wire(&self, application: &str) -> Result<r::RecordKey, String> {
        let check = |s: &str, what: &str| {
            if s.len() <= MAX_DATA_TYPE && s.bytes().all(|b| b.is_ascii_digit() || b == b' ') {
                Ok(())
            } else {
                Err(format!(
                    "{what} {s:?}: expected at most {MAX_DATA_TYPE} digits or spaces"
                ))
            }
        };
        check(application, "application id")?;
        check(&self.data_type, "data type")?;
        if self.key.len() > MAX_KEY {
            return Err(format!(
                "key of {} octets: at most {MAX_KEY}",
                self.key.len()
            ));
        }
        let bad = |_| "not a NumericString".to_owned();
        Ok(r::RecordKey::new(
            r::ApplicationId(application.as_bytes().try_into().map_err(bad)?),
            r::DataType(self.data_type.as_bytes().try_into().map_err(bad)?),
            r::DataKey(self.key.clone().into()),
        ))
    }
}

impl fmt::Display for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}",
            self.data_type,
            String::from_utf8_lossy(&self.key)
        )
    }
}

/// One record: a key and its value (at most [`MAX_VALUE`] octets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Where it lives.
    pub key: RecordKey,
    /// Its value.
    pub value: Vec<u8>,
}

impl Record {
    /// The record of a wire `Entry`.
    pub(crate) fn from_wire(e: &r::Entry) -> Self {
        Record {
            key: RecordKey::from_wire(&e.record_key),
            value: e.value.0.to_vec(),
        }
    }

    fn to_wire(&self, application: &str) -> Result<r::Entry, String> {
        if self.value.len() > MAX_VALUE {
            return Err(format!(
                "value of {} octets: at most {MAX_VALUE}",
                self.value.len()
            ));
        }
        Ok(r::Entry::new(
            self.key.to_wire(application)?,
            r::DataValue(self.value.clone().into()),
        ))
    }
}

/// One change to the application's records (seed 002: add a context when it enters a stable
/// state, modify it only when necessary, delete it when it leaves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// Store the record (replacing a present value).
    Add(Record),
    /// Store the record (creating an absent one).
    Modify(Record),
    /// Remove the key (absent: nothing to do).
    Delete(RecordKey),
}

impl Operation {
    /// `add` of `value` under (`data_type`, `key`).
    pub fn add(
        data_type: impl Into<String>,
        key: impl Into<Vec<u8>>,
        value: impl Into<Vec<u8>>,
    ) -> Self {
        Operation::Add(Record {
            key: RecordKey::new(data_type, key),
            value: value.into(),
        })
    }

    /// `modify` of (`data_type`, `key`) to `value`.
    pub fn modify(
        data_type: impl Into<String>,
        key: impl Into<Vec<u8>>,
        value: impl Into<Vec<u8>>,
    ) -> Self {
        Operation::Modify(Record {
            key: RecordKey::new(data_type, key),
            value: value.into(),
        })
    }

    /// `delete` of (`data_type`, `key`).
    pub fn delete(data_type: impl Into<String>, key: impl Into<Vec<u8>>) -> Self {
        Operation::Delete(RecordKey::new(data_type, key))
    }

    /// The key the operation changes.
    pub fn key(&self) -> &RecordKey {
        match self {
            Operation::Add(r) | Operation::Modify(r) => &r.key,
            Operation::Delete(k) => k,
        }
    }

    /// The operation of a wire `Operation`.
    pub(crate) fn from_wire(op: &r::Operation) -> Self {
        match op {
            r::Operation::add(e) => Operation::Add(Record::from_wire(e)),
            r::Operation::modify(e) => Operation::Modify(Record::from_wire(e)),
            r::Operation::delete(k) => Operation::Delete(RecordKey::from_wire(k)),
        }
    }

    /// The wire `Operation` in application `application`, or why it breaks a constraint.
    pub(crate) fn to_wire(&self, application: &str) -> Result<r::Operation, String> {
        Ok(match self {
            Operation::Add(rec) => r::Operation::add(rec.to_wire(application)?),
            Operation::Modify(rec) => r::Operation::modify(rec.to_wire(application)?),
            Operation::Delete(k) => r::Operation::delete(k.to_wire(application)?),
        })
    }
}

/// The node's reasons to refuse (the ASN.1 `ErrorCode`); shown by their ASN.1 names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// `staleGeneration`: the component is not active, or the update's generation is older
    /// than the node's (a demoted active's late update).
    StaleGeneration,
    /// `outOfSequence`.
    OutOfSequence,
    /// `repertoryFull`: the update would take the repertory past its bounds; nothing was
    /// applied (nothing is ever dropped silently).
    RepertoryFull,
    /// `syncRequired`.
    SyncRequired,
    /// `malformedRequest`: e.g. an operation naming another application.
    MalformedRequest,
}

impl ErrorCode {
    /// The ASN.1 name (`repertoryFull`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            ErrorCode::StaleGeneration => "staleGeneration",
            ErrorCode::OutOfSequence => "outOfSequence",
            ErrorCode::RepertoryFull => "repertoryFull",
            ErrorCode::SyncRequired => "syncRequired",
            ErrorCode::MalformedRequest => "malformedRequest",
        }
    }
}

impl From<r::ErrorCode> for ErrorCode {
    fn from(code: r::ErrorCode) -> Self {
        match code {
            r::ErrorCode::staleGeneration => ErrorCode::StaleGeneration,
            r::ErrorCode::outOfSequence => ErrorCode::OutOfSequence,
            r::ErrorCode::repertoryFull => ErrorCode::RepertoryFull,
            r::ErrorCode::syncRequired => ErrorCode::SyncRequired,
            r::ErrorCode::malformedRequest => ErrorCode::MalformedRequest,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An update the node acknowledged (`updateAck`): with the node's `replication = "sync"`,
/// the standby node stored it (or no standby node could be promoted meanwhile); with
/// `"async"`, the active node's mirror holds it (PROTOCOL 6.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack {
    /// The update's sequence number on this link (1, 2, ... since the registration).
    pub sequence: u64,
    /// The generation the acknowledgement carries.
    pub generation: u64,
}

/// Why a `replicate` did not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplicateError {
    /// The component was not configured to replicate
    /// ([`ComponentOptions::replication`](crate::ComponentOptions)).
    #[error("this component does not replicate: set ComponentOptions::replication")]
    NotReplicating,
    /// No node link is up: nothing was sent.
    #[error("not connected to the node")]
    NotConnected,
    /// The component is not active: only the active component replicates. Nothing was sent.
    #[error("the component is not active")]
    NotActive,
    /// The operations break the module's constraints (none, more than [`MAX_OPERATIONS`], a
    /// data type that is not digits, a key or value too long, or a frame over the limit).
    /// Nothing was sent.
    #[error("invalid update: {0}")]
    Invalid(String),
    /// The node refused the update (`replicationError`): nothing of it was applied.
    #[error("the node refused the update: {code}: {description}")]
    Refused {
        /// The node's reason.
        code: ErrorCode,
        /// Its text.
        description: String,
    },
    /// The link closed before the node answered: the update may or may not be replicated.
    #[error("the node link closed before the update was acknowledged")]
    LinkClosed,
    /// The component is closed.
    #[error("the component is closed")]
    Closed,
}

/// Where a promoted component's state comes from (seed 002's *restoration*).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restoration {
    /// The application's records as the node's repertory holds them (the node sent them
    /// before its `setRole{active}`): replace the application's state with them.
    Records(Vec<Record>),
    /// A hot standby: the state is what the standby stream delivered
    /// ([`StandbySync`](crate::Event::StandbySync), then each
    /// [`StandbyUpdate`](crate::Event::StandbyUpdate)), already applied.
    Streamed,
}

/// Operations as wire `Operations` in application `application`, or why not.
pub(crate) fn operations_to_wire(
    application: &str,
    ops: &[Operation],
) -> Result<r::Operations, String> {
    if ops.is_empty() || ops.len() > MAX_OPERATIONS {
        return Err(format!(
            "{} operations: 1 to {MAX_OPERATIONS} per update",
            ops.len()
        ));
    }
    let wire = ops
        .iter()
        .map(|op| op.to_wire(application))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(r::Operations(wire))
}
