//! The repertory (seed 002, "Replication Repertory"): records hashed by (application id, data
//! type, key), in memory, bounded by [`Limits`]. Past a bound an operation fails with
//! [`RepertoryFull`] and changes nothing: nothing is ever dropped silently.

use baton_asn1::replication as r;
use std::collections::BTreeMap;

/// Where a record lives: (application id, data type, key), each compared as octets.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// `ApplicationId` (digits and spaces, at most 16).
    pub application_id: Vec<u8>,
    /// `DataType` (digits and spaces, at most 16).
    pub data_type: Vec<u8>,
    /// `DataKey` (at most 64 octets).
    pub key: Vec<u8>,
}

impl Key {
    /// The key of a wire `RecordKey`.
    pub fn from_wire(k: &r::RecordKey) -> Key {
        Key {
            application_id: k.application_id.0.as_bytes().to_vec(),
            data_type: k.data_type.0.as_bytes().to_vec(),
            key: k.key.0.to_vec(),
        }
    }

    /// The wire `RecordKey` of this key. `None` if a part breaks its constraint (a key built
    /// by hand with a non-digit application id).
    pub fn to_wire(&self) -> Option<r::RecordKey> {
        let numeric = |b: &[u8]| rasn::types::NumericString::from_bytes(b).ok();
        Some(r::RecordKey::new(
            r::ApplicationId(numeric(&self.application_id)?),
            r::DataType(numeric(&self.data_type)?),
            r::DataKey(self.key.clone().into()),
        ))
    }

    /// Its size: the octets of its three parts.
    pub fn octets(&self) -> usize {
        self.application_id.len() + self.data_type.len() + self.key.len()
    }
}

/// One change to the repertory (PROTOCOL 2.8, "Operations").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Store `value` under the key (replacing a present value).
    Add(Key, Vec<u8>),
    /// Store `value` under the key (creating an absent one).
    Modify(Key, Vec<u8>),
    /// Remove the key (absent: nothing to do).
    Delete(Key),
}

impl Op {
    /// The operation of a wire `Operation`.
    pub fn from_wire(op: &r::Operation) -> Op {
        match op {
            r::Operation::add(e) => Op::Add(Key::from_wire(&e.record_key), e.value.0.to_vec()),
            r::Operation::modify(e) => {
                Op::Modify(Key::from_wire(&e.record_key), e.value.0.to_vec())
            }
            r::Operation::delete(k) => Op::Delete(Key::from_wire(k)),
        }
    }

    /// The wire `Operation`; `None` if the key does not fit the wire types.
    pub fn to_wire(&self) -> Option<r::Operation> {
        Some(match self {
            Op::Add(k, v) => {
                r::Operation::add(r::Entry::new(k.to_wire()?, r::DataValue(v.clone().into())))
            }
            Op::Modify(k, v) => {
                r::Operation::modify(r::Entry::new(k.to_wire()?, r::DataValue(v.clone().into())))
            }
            Op::Delete(k) => r::Operation::delete(k.to_wire()?),
        })
    }
}

/// The bounds of a repertory (configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most records held.
    pub max_entries: usize,
    /// Most octets held, keys and values together.
    pub max_octets: usize,
}

impl Default for Limits {
    /// 100 000 records, 64 MiB.
    fn default() -> Self {
        Limits {
            max_entries: 100_000,
            max_octets: 64 << 20,
        }
    }
}

/// An operation would take the repertory past one of its [`Limits`]; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("repertory full: {entries} records and {octets} octets needed, limits {} and {}", limits.max_entries, limits.max_octets)]
pub struct RepertoryFull {
    /// Records the repertory would hold.
    pub entries: usize,
    /// Octets it would hold.
    pub octets: usize,
    /// Its limits.
    pub limits: Limits,
}

/// The records, their total size and their bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repertory {
    records: BTreeMap<Key, Vec<u8>>,
    octets: usize,
    limits: Limits,
    /// Records and octets by application id ([`Repertory::application_size`]).
    apps: BTreeMap<Vec<u8>, (usize, usize)>,
}

impl Repertory {
    /// An empty repertory with these bounds.
    pub fn new(limits: Limits) -> Repertory {
        Repertory {
            records: BTreeMap::new(),
            octets: 0,
            limits,
            apps: BTreeMap::new(),
        }
    }

    /// A repertory holding `entries` (later duplicates replace earlier ones).
    ///
    /// # Errors
    /// [`RepertoryFull`] if they do not fit the limits.
    pub fn from_entries(
        limits: Limits,
        entries: impl IntoIterator<Item = (Key, Vec<u8>)>,
    ) -> Result<Repertory, RepertoryFull> {
        // A new repertory, nothing to keep on a refusal: built at once (in bulk when the
        // entries come in key order, as a sync sends them), then checked.
        let records: BTreeMap<Key, Vec<u8>> = entries.into_iter().collect();
        let mut octets = 0;
        let mut apps: BTreeMap<Vec<u8>, (usize, usize)> = BTreeMap::new();
        for (k, v) in &records {
            let size = k.octets() + v.len();
            octets += size;
            match apps.get_mut(&k.application_id) {
                Some(app) => *app = (app.0 + 1, app.1 + size),
                None => {
                    apps.insert(k.application_id.clone(), (1, size));
                }
            }
        }
        if records.len() > limits.max_entries || octets > limits.max_octets {
            return Err(RepertoryFull {
                entries: records.len(),
                octets,
                limits,
            });
        }
        Ok(Repertory {
            records,
            octets,
            limits,
            apps,
        })
    }

    /// Applies `ops` in order, all or nothing.
    ///
    /// # Errors
    /// [`RepertoryFull`] if the result would not fit; the repertory is then unchanged.
    pub fn apply(&mut self, ops: &[Op]) -> Result<(), RepertoryFull> {
        self.admit(ops)?;
        for op in ops {
            match op {
                Op::Add(k, v) | Op::Modify(k, v) => self.store(k, v),
                Op::Delete(k) => {
                    if let Some(old) = self.records.remove(k) {
                        let size = k.octets() + old.len();
                        self.octets -= size;
                        self.account(&k.application_id, None, Some(size));
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether `ops` fit the limits once applied.
    fn admit(&self, ops: &[Op]) -> Result<(), RepertoryFull> {
        // Most updates fit even if every add and modify made a new record: no dry run then.
        let (grown_entries, grown_octets) = ops.iter().fold((0, 0), |(e, o), op| match op {
            Op::Add(k, v) | Op::Modify(k, v) => (e + 1, o + k.octets() + v.len()),
            Op::Delete(_) => (e, o),
        });
        if self.records.len() + grown_entries <= self.limits.max_entries
            && self.octets + grown_octets <= self.limits.max_octets
        {
            return Ok(());
        }
        // Dry run on sizes, so that a refused update changes nothing.
        let mut entries = self.records.len();
        let mut octets = self.octets;
        let mut touched: BTreeMap<&Key, Option<usize>> = BTreeMap::new();
        for op in ops {
            let (key, new) = match op {
                Op::Add(k, v) | Op::Modify(k, v) => (k, Some(k.octets() + v.len())),
                Op::Delete(k) => (k, None),
            };
            let old = match touched.get(key) {
                Some(size) => *size,
                None => self.records.get(key).map(|v| key.octets() + v.len()),
            };
            entries = entries + usize::from(new.is_some()) - usize::from(old.is_some());
            octets = octets + new.unwrap_or(0) - old.unwrap_or(0);
            touched.insert(key, new);
        }
        if entries > self.limits.max_entries || octets > self.limits.max_octets {
            return Err(RepertoryFull {
                entries,
                octets,
                limits: self.limits,
            });
        }
        Ok(())
    }

    /// Stores `value` under `key`, in the present record's buffer when there is one not much
    /// larger (the memory held stays close to what the limits count).
    fn store(&mut self, key: &Key, value: &[u8]) {
        let new = key.octets() + value.len();
        let old = match self.records.get_mut(key) {
            Some(old) => {
                let size = key.octets() + old.len();
                self.octets = self.octets + value.len() - old.len();
                if old.capacity() <= 2 * value.len().max(32) {
                    old.clear();
                    old.extend_from_slice(value);
                } else {
                    *old = value.to_vec();
                }
                Some(size)
            }
            None => {
                self.octets += new;
                self.records.insert(key.clone(), value.to_vec());
                None
            }
        };
        self.account(&key.application_id, Some(new), old);
    }

    /// Counts a record of `app` replaced: `new` and `old` sizes (`None`: absent).
    fn account(&mut self, app: &[u8], new: Option<usize>, old: Option<usize>) {
        if new.is_none() && old.is_none() {
            return;
        }
        let size = match self.apps.get_mut(app) {
            Some(size) => size,
            None => self.apps.entry(app.to_vec()).or_insert((0, 0)),
        };
        size.0 = size.0 + usize::from(new.is_some()) - usize::from(old.is_some());
        size.1 = size.1 + new.unwrap_or(0) - old.unwrap_or(0);
        if size.0 == 0 {
            self.apps.remove(app);
        }
    }

    /// The records and octets (keys and values) of one application.
    pub fn application_size(&self, application_id: &[u8]) -> (usize, usize) {
        self.apps.get(application_id).copied().unwrap_or((0, 0))
    }

    /// The value under `key`.
    pub fn get(&self, key: &Key) -> Option<&[u8]> {
        self.records.get(key).map(Vec::as_slice)
    }

    /// Records held.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Octets held, keys and values.
    pub fn octets(&self) -> usize {
        self.octets
    }

    /// Its bounds.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The records in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &[u8])> {
        self.records.iter().map(|(k, v)| (k, v.as_slice()))
    }

    /// The records after `key` (all of them with `None`), in key order.
    pub fn after<'a>(
        &'a self,
        key: Option<&Key>,
    ) -> impl Iterator<Item = (&'a Key, &'a [u8])> + 'a {
        use std::ops::Bound;
        let from = match key {
            Some(k) => Bound::Excluded(k.clone()),
            None => Bound::Unbounded,
        };
        self.records
            .range((from, Bound::Unbounded))
            .map(|(k, v)| (k, v.as_slice()))
    }

    /// The records of one application (`applicationId` = `application_id`), in key order.
    pub fn application<'a>(
        &'a self,
        application_id: &'a [u8],
    ) -> impl Iterator<Item = (&'a Key, &'a [u8])> + 'a {
        let from = Key {
            application_id: application_id.to_vec(),
            data_type: Vec::new(),
            key: Vec::new(),
        };
        self.records
            .range(from..)
            .take_while(move |(k, _)| k.application_id == application_id)
            .map(|(k, v)| (k, v.as_slice()))
    }

    /// PROTOCOL 2.8 "Digest": SHA-256 over the records in key order, each as its application
    /// id, data type, key and value, each a 4-octet big-endian length then the octets.
    pub fn digest(&self) -> [u8; 32] {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        for (k, v) in &self.records {
            for part in [&k.application_id[..], &k.data_type, &k.key, v] {
                // Every part is far below 4 GiB (the wire types bound them).
                ctx.update(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
                ctx.update(part);
            }
        }
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.finish().as_ref());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn key(app: &str, k: &str) -> Key {
        Key {
            application_id: app.as_bytes().to_vec(),
            data_type: b"1".to_vec(),
            key: k.as_bytes().to_vec(),
        }
    }

    #[test]
    fn full_refuses_the_whole_update_and_changes_nothing() {
        let limits = Limits {
            max_entries: 2,
            max_octets: 100,
        };
        let mut rep = Repertory::new(limits);
        rep.apply(&[Op::Add(key("1", "a"), b"x".to_vec())]).unwrap();
        let before = rep.clone();
        let err = rep
            .apply(&[
                Op::Add(key("1", "b"), b"y".to_vec()),
                Op::Add(key("1", "c"), b"z".to_vec()),
            ])
            .unwrap_err();
        assert_eq!(
            err,
            RepertoryFull {
                entries: 3,
                octets: 12,
                limits
            }
        );
        assert_eq!(rep, before);
        // A delete in the same update makes room.
        rep.apply(&[
            Op::Delete(key("1", "a")),
            Op::Add(key("1", "b"), b"y".to_vec()),
            Op::Add(key("1", "c"), b"z".to_vec()),
        ])
        .unwrap();
        assert_eq!(rep.len(), 2);
        assert_eq!(rep.octets(), 8);
        // Counted by application: "1" holds both; a delete of all leaves nothing.
        assert_eq!(rep.application_size(b"1"), (2, 8));
        assert_eq!(rep.application_size(b"2"), (0, 0));
        rep.apply(&[Op::Delete(key("1", "b")), Op::Delete(key("1", "c"))])
            .unwrap();
        assert_eq!(rep.application_size(b"1"), (0, 0));
    }

    #[test]
    fn octets_follow_replacements_deletes_and_duplicates() {
        let mut rep = Repertory::new(Limits::default());
        rep.apply(&[Op::Add(key("1", "a"), vec![1; 100])]).unwrap();
        assert_eq!(rep.octets(), 103);
        // A shorter value in the record's own buffer, then a much longer one.
        rep.apply(&[Op::Modify(key("1", "a"), vec![2; 10])])
            .unwrap();
        assert_eq!(
            (rep.octets(), rep.get(&key("1", "a"))),
            (13, Some(&[2u8; 10][..]))
        );
        rep.apply(&[Op::Modify(key("1", "a"), vec![3; 1000])])
            .unwrap();
        assert_eq!(rep.octets(), 1003);
        assert_eq!(rep.application_size(b"1"), (1, 1003));
        rep.apply(&[Op::Delete(key("1", "a")), Op::Delete(key("1", "z"))])
            .unwrap();
        assert_eq!((rep.octets(), rep.len()), (0, 0));
        // Later duplicates replace earlier ones; the count is of the records kept.
        let rep = Repertory::from_entries(
            Limits::default(),
            [
                (key("1", "b"), b"old".to_vec()),
                (key("1", "a"), b"x".to_vec()),
                (key("1", "b"), b"new!".to_vec()),
            ],
        )
        .unwrap();
        assert_eq!((rep.len(), rep.octets()), (2, 4 + 7));
        assert_eq!(rep.application_size(b"1"), (2, 4 + 7));
        assert_eq!(rep.get(&key("1", "b")), Some(&b"new!"[..]));
        let tight = Limits {
            max_entries: 1,
            max_octets: 100,
        };
        assert_eq!(
            Repertory::from_entries(tight, [(key("1", "a"), vec![]), (key("1", "b"), vec![])]),
            Err(RepertoryFull {
                entries: 2,
                octets: 6,
                limits: tight
            })
        );
    }

    #[test]
    fn digest_of_empty_and_of_one_record() {
        let mut rep = Repertory::new(Limits::default());
        // SHA-256 of nothing.
        assert_eq!(
            hex(&rep.digest()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        rep.apply(&[Op::Add(key("1", "k"), b"v".to_vec())]).unwrap();
        // SHA-256 of 00000001 31 00000001 31 00000001 6b 00000001 76.
        let mut input = Vec::new();
        for part in [b"1", b"1", b"k", b"v"] {
            input.extend_from_slice(&1u32.to_be_bytes());
            input.extend_from_slice(part);
        }
        let expected = ring::digest::digest(&ring::digest::SHA256, &input);
        assert_eq!(rep.digest().as_slice(), expected.as_ref());
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}
