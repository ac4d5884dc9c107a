//! A batch sync on the wire (PROTOCOL 2.8): `syncChunk`s of at most 64 entries and at most
//! [`CHUNK_OCTETS`] octets of keys and values, then `syncDone`. Shared by the active node's
//! full sync to the standby node and by the node's answer to a component's `syncRequest`
//! (PROTOCOL 6.11).

use crate::repertory::Key;
use baton_asn1::replication as r;
use r::ReplicationMessageMessage as M;

/// Most octets of keys and values in one `syncChunk`: with the hexadecimal of JER (twice
/// the octets) and every field's overhead a chunk stays within the default 64 KiB frame
/// (PROTOCOL 3.1). An entry larger than this travels alone.
pub const CHUNK_OCTETS: usize = 24 * 1024;

/// The messages of a sync of `records` in `generation`, consistent with every update up to
/// `sequence`: chunks of at most `chunk_entries` (1 to 64) entries and [`CHUNK_OCTETS`]
/// octets, then `syncDone` with the count. `id` gives each message its `correlationId`.
/// A record whose key breaks the wire types is left out (and not counted).
pub fn sync_messages<'a>(
    generation: u64,
    sequence: u64,
    records: impl IntoIterator<Item = (&'a Key, &'a [u8])>,
    chunk_entries: usize,
    mut id: impl FnMut() -> r::CorrelationId,
) -> Vec<r::ReplicationMessage> {
    let most = chunk_entries.clamp(1, 64);
    let mut out = Vec::new();
    let mut chunk: Vec<r::Entry> = Vec::new();
    let mut octets = 0;
    let mut count: u64 = 0;
    let mut flush = |chunk: &mut Vec<r::Entry>, out: &mut Vec<r::ReplicationMessage>| {
        if !chunk.is_empty() {
            let entries = r::Entries(std::mem::take(chunk));
            out.push(r::ReplicationMessage::new(
                id(),
                M::syncChunk(r::SyncChunk::new(r::Generation(generation), entries)),
            ));
        }
    };
    for (k, v) in records {
        let Some(key) = k.to_wire() else {
            continue;
        };
        let size = k.octets() + v.len();
        if chunk.len() == most || (!chunk.is_empty() && octets + size > CHUNK_OCTETS) {
            flush(&mut chunk, &mut out);
            octets = 0;
        }
        chunk.push(r::Entry::new(key, r::DataValue(v.to_vec().into())));
        octets += size;
        count += 1;
    }
    flush(&mut chunk, &mut out);
    out.push(r::ReplicationMessage::new(
        id(),
        M::syncDone(r::SyncDone::new(
            r::Generation(generation),
            r::SequenceNumber(sequence),
            r::EntryCount(u32::try_from(count).unwrap_or(u32::MAX)),
        )),
    ));
    out
}

/// The next chunk's entries from `records`: at most `per` entries and `most_octets` octets
/// of keys and values (an entry larger than that alone), and the last key read (`None`:
/// `records` was empty). A record whose key breaks the wire types is read and left out.
pub fn next_chunk<'a>(
    records: impl IntoIterator<Item = (&'a Key, &'a [u8])>,
    per: usize,
    most_octets: usize,
) -> (Vec<r::Entry>, Option<Key>) {
    let mut entries = Vec::new();
    let mut octets = 0;
    let mut last = None;
    for (k, v) in records {
        let size = k.octets() + v.len();
        if entries.len() == per || (!entries.is_empty() && octets + size > most_octets) {
            break;
        }
        last = Some(k);
        if let Some(key) = k.to_wire() {
            entries.push(r::Entry::new(key, r::DataValue(v.to_vec().into())));
            octets += size;
        }
    }
    (entries, last.cloned())
}
