//! Constraints of `failover-replication-interface` (PROTOCOL 2.8), checked in every rule:
//! the NumericStrings `CorrelationId`, `ApplicationId` and `DataType` (`SIZE(0..16)`, digits
//! and space), `DataKey` (`SIZE(0..64)` octets), `DataValue` (`SIZE(0..16384)` octets), and
//! the item counts of `Operations` and `Entries` (`SIZE(1..64)`), and the range of
//! `Generation` and `SequenceNumber` (`0..9223372036854775807`, narrower than their Rust type).
//! `Digest` is a fixed 32-octet array in Rust and `EntryCount` a `u32`: neither needs a check.

use super::{
    check_items, check_numeric, check_octets, check_range, ConstraintError, Message, Path,
    Validate, MAX_ID_CHARS,
};
use crate::replication::{
    ApplicationId, CorrelationId, DataKey, DataType, DataValue, Entries, Entry, Generation,
    Operation, Operations, RecordKey, ReplicationMessage, ReplicationMessageMessage as M,
    SequenceNumber, SyncStart,
};

/// Upper bound of `Generation` and `SequenceNumber` (`INTEGER (0..9223372036854775807)`).
pub const MAX_NUMBER: u64 = i64::MAX.unsigned_abs();

/// Upper bound of `DataKey ::= OCTET STRING (SIZE(0..64))`.
pub const MAX_KEY_OCTETS: usize = 64;
/// Upper bound of `DataValue ::= OCTET STRING (SIZE(0..16384))`.
pub const MAX_VALUE_OCTETS: usize = 16384;
/// Bounds of `Operations` and `Entries` (`SEQUENCE (SIZE(1..64)) OF`).
pub const LIST_ITEMS: (usize, usize) = (1, 64);

macro_rules! numeric {
    ($($t:ty),*) => {$(
        impl Validate for $t {
            fn validate_at(&self, path: &Path<'_>) -> Result<(), ConstraintError> {
                check_numeric(self.0.as_bytes(), MAX_ID_CHARS, path)
            }
        }
    )*};
}
numeric!(CorrelationId, ApplicationId, DataType);

macro_rules! number {
    ($($t:ty),*) => {$(
        impl Validate for $t {
            fn validate_at(&self, path: &Path<'_>) -> Result<(), ConstraintError> {
                check_range(self.0, 0, MAX_NUMBER, path)
            }
        }
    )*};
}
number!(Generation, SequenceNumber);

impl Validate for DataKey {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ConstraintError> {
        check_octets(&self.0, 0, MAX_KEY_OCTETS, path)
    }
}

impl Validate for DataValue {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ConstraintError> {
        check_octets(&self.0, 0, MAX_VALUE_OCTETS, path)
    }
}

impl Validate for RecordKey {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ConstraintError> {
        self.application_id
            .validate_at(&path.child("applicationId"))?;
        self.data_type.validate_at(&path.child("dataType"))?;
        self.key.validate_at(&path.child("key"))
    }
}

impl Validate for Entry {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ConstraintError> {
        self.record_key.validate_at(&path.child("recordKey"))?;
        self.value.validate_at(&path.child("value"))
    }
}

impl Validate for Operation {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ConstraintError> {
        match self {
            Operation::add(e) => e.validate_at(&path.child("add")),
            Operation::modify(e) => e.validate_at(&path.child("modify")),
            Operation::delete(k) => k.validate_at(&path.child("delete")),
        }
    }
}

impl Validate for Operations {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ConstraintError> {
        check_items(self.0.len(), LIST_ITEMS.0, LIST_ITEMS.1, path)?;
        // Items are not numbered in the path: the first broken one is reported.
        self.0.iter().try_for_each(|op| op.validate_at(path))
    }
}

impl Validate for Entries {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ConstraintError> {
        check_items(self.0.len(), LIST_ITEMS.0, LIST_ITEMS.1, path)?;
        self.0.iter().try_for_each(|e| e.validate_at(path))
    }
}

impl Validate for ReplicationMessage {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ConstraintError> {
        self.correlation_id
            .validate_at(&path.child("correlationId"))?;
        let path = path.child("message");
        let gen =
            |g: &Generation, alt: &'static str| g.validate_at(&path.child(alt).child("generation"));
        let seq = |s: &SequenceNumber, alt: &'static str, field: &'static str| {
            s.validate_at(&path.child(alt).child(field))
        };
        match &self.message {
            M::update(u) => {
                gen(&u.generation, "update")?;
                seq(&u.sequence_number, "update", "sequenceNumber")?;
                u.operations
                    .validate_at(&path.child("update").child("operations"))
            }
            M::updateAck(a) => {
                gen(&a.generation, "updateAck")?;
                seq(&a.highest_contiguous, "updateAck", "highestContiguous")
            }
            M::syncRequest(r) => match &r.start {
                SyncStart::full(_) => Ok(()),
                SyncStart::fromSequenceNumber(s) => s.validate_at(
                    &path
                        .child("syncRequest")
                        .child("start")
                        .child("fromSequenceNumber"),
                ),
            },
            M::syncChunk(c) => {
                gen(&c.generation, "syncChunk")?;
                c.entries
                    .validate_at(&path.child("syncChunk").child("entries"))
            }
            M::syncDone(d) => {
                gen(&d.generation, "syncDone")?;
                seq(&d.sequence_number, "syncDone", "sequenceNumber")
            }
            M::audit(a) => {
                gen(&a.generation, "audit")?;
                seq(&a.sequence_number, "audit", "sequenceNumber")
            }
            M::auditResponse(a) => seq(&a.sequence_number, "auditResponse", "sequenceNumber"),
            M::replicationError(_) => Ok(()),
        }
    }
}

impl Message for ReplicationMessage {
    const NAME: &'static str = "ReplicationMessage";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replication::{Generation, SequenceNumber, SyncChunk, Update};
    use crate::Violation;
    use rasn::types::NumericString;

    fn num(s: &str) -> NumericString {
        NumericString::from_bytes(s.as_bytes()).unwrap()
    }

    fn key(app: &str, k: &[u8]) -> RecordKey {
        RecordKey::new(
            ApplicationId(num(app)),
            DataType(num("1")),
            DataKey(k.to_vec().into()),
        )
    }

    fn update(ops: Vec<Operation>) -> ReplicationMessage {
        ReplicationMessage::new(
            CorrelationId(num("5")),
            M::update(Update::new(
                Generation(3),
                SequenceNumber(9),
                Operations(ops),
            )),
        )
    }

    #[test]
    fn a_valid_update_passes() {
        let add = Operation::add(Entry::new(
            key("12", &[0; 64]),
            DataValue(vec![1; MAX_VALUE_OCTETS].into()),
        ));
        update(vec![add, Operation::delete(key("", b""))])
            .validate()
            .unwrap();
    }

    #[test]
    fn key_over_64_octets_names_the_field() {
        let err = update(vec![Operation::delete(key("1", &[7; 65]))])
            .validate()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "ReplicationMessage.message.update.operations.delete.key: 65 octets, expected 0 to 64 (SIZE(0..64))"
        );
    }

    #[test]
    fn numbers_over_2_pow_63_are_refused() {
        let mut m = update(vec![Operation::delete(key("1", b""))]);
        if let M::update(u) = &mut m.message {
            u.sequence_number = SequenceNumber(1 << 63);
        }
        assert_eq!(
            m.validate().unwrap_err().to_string(),
            "ReplicationMessage.message.update.sequenceNumber: 9223372036854775808 is outside \
             the range 0..9223372036854775807"
        );
    }

    #[test]
    fn empty_and_oversized_lists_are_refused() {
        let err = update(vec![]).validate().unwrap_err();
        assert_eq!(err.path, "ReplicationMessage.message.update.operations");
        assert_eq!(
            err.violation,
            Violation::ItemsOutOfRange {
                items: 0,
                min: 1,
                max: 64
            }
        );
        let entry = Entry::new(key("1", b"k"), DataValue(vec![].into()));
        let chunk = ReplicationMessage::new(
            CorrelationId(num("")),
            M::syncChunk(SyncChunk::new(Generation(1), Entries(vec![entry; 65]))),
        );
        assert_eq!(
            chunk.validate().unwrap_err().to_string(),
            "ReplicationMessage.message.syncChunk.entries: 65 items, expected 1 to 64 (SIZE(1..64))"
        );
    }
}
