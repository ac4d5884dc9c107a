//! Restore with a large repertory: building it, iterating it and digesting it in memory, then
//! a batch sync of all of it over one link into a fresh standby (PROTOCOL 2.8: `syncRequest
//! {full}`, the chunks, `syncDone`, the standby's acknowledgement).

use super::stream::{key, limits, ActiveEnd};
use baton_codec::Encoding;
use baton_replication::Repertory;
use std::time::Instant;

/// What one restore measured, seconds each.
#[derive(Debug, Clone, Copy)]
pub struct Restore {
    /// Records.
    pub records: u64,
    /// Octets per value.
    pub value: usize,
    /// `Repertory::from_entries` of all the records.
    pub build_secs: f64,
    /// Iterating every record in key order.
    pub iterate_secs: f64,
    /// The audit digest (SHA-256 of every record, PROTOCOL 2.8).
    pub digest_secs: f64,
    /// From the standby's join arriving to the active queueing the chunks and `syncDone`.
    pub queue_secs: f64,
    /// From the join arriving to the standby's acknowledgement of the completed sync arriving
    /// back (queueing, framing, the link, decoding, the standby storing the whole).
    pub sync_secs: f64,
}

/// Builds a repertory of `records` records with `value`-octet values and syncs it into a
/// fresh standby over one link; checks the standby's digest equals the active's.
pub fn restore(encoding: Encoding, records: u64, value: usize) -> Result<Restore, String> {
    let entries: Vec<_> = (0..records)
        .map(|k| (key(k), vec![(k % 251) as u8; value]))
        .collect();
    let t = Instant::now();
    let rep = Repertory::from_entries(limits(), entries).map_err(|e| e.to_string())?;
    let build_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let octets: usize = rep.iter().map(|(k, v)| k.key.len() + v.len()).sum();
    let iterate_secs = t.elapsed().as_secs_f64();
    std::hint::black_box(octets);
    let t = Instant::now();
    let digest = rep.digest();
    let digest_secs = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let mut end = ActiveEnd::start(encoding, rep)?;
    let queue_secs = end.queued_after.as_secs_f64();
    end.wait_ack()?;
    let sync_secs = t.elapsed().as_secs_f64() - end.join_after.as_secs_f64();
    let standby = end.finish()?;
    let got = standby.repertory();
    if got.len() as u64 != records || got.digest() != digest {
        return Err(format!(
            "the standby holds {} records of {records}, digest equal: {}",
            got.len(),
            got.digest() == digest
        ));
    }
    Ok(Restore {
        records,
        value,
        build_secs,
        iterate_secs,
        digest_secs,
        queue_secs,
        sync_secs,
    })
}
