//! A node that is not active answers a peer's join (PROTOCOL 6.11, *Joins between standby
//! nodes*): the copy it holds goes to the peer, and its own join counts as answered only
//! once the peer answered it. Closes the window where a node restarted empty, never having
//! heard of an active term, was promoted over the node holding the only copy of
//! acknowledged `sync` updates and then synced that node from nothing (rsim finding 3).

use super::Side;
use crate::node::Node;
use baton_asn1::replication as r;
use baton_core::LinkId;
use baton_replication::{next_chunk, Key};
use r::ReplicationMessageMessage as M;

/// Entries in one `syncChunk` (PROTOCOL 2.8).
const CHUNK_ENTRIES: usize = 64;

impl Node {
    /// A peer's `syncRequest{full}` on `link` while this node is not active: answered with
    /// its repertory, `syncChunk`s then `syncDone`, in the generation it was synced in and at
    /// the sequence number applied since (generation 0, sequence 0 if it was never synced:
    /// an empty one answers `syncDone{0, 0, 0}`, "nothing here"). Every message echoes the
    /// request's correlation id. Sent in one step (the active's syncs go in steps).
    pub(crate) fn answer_join(&mut self, link: LinkId, request: &r::CorrelationId) {
        let Side::Standby(s) = &self.replication.side else {
            return;
        };
        let (generation, sequence) = match s.standby.synced_generation() {
            Some(g) => (g, s.standby.applied()),
            None => (0, 0),
        };
        let repertory = s.standby.repertory();
        let mut out = Vec::new();
        let mut after: Option<Key> = None;
        let mut count: u64 = 0;
        loop {
            let (entries, last) = next_chunk(
                repertory.after(after.as_ref()),
                CHUNK_ENTRIES,
                self.replication.chunk_octets,
            );
            if !entries.is_empty() {
                count += entries.len() as u64;
                out.push(M::syncChunk(r::SyncChunk::new(
                    r::Generation(generation),
                    r::Entries(entries),
                )));
            }
            match last {
                Some(k) => after = Some(k),
                None => break,
            }
        }
        out.push(M::syncDone(r::SyncDone::new(
            r::Generation(generation),
            r::SequenceNumber(sequence),
            r::EntryCount(u32::try_from(count).unwrap_or(u32::MAX)),
        )));
        for m in out {
            self.send(link, r::ReplicationMessage::new(request.clone(), m));
        }
    }
}
