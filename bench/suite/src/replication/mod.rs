//! The replication section (issue 13, PROTOCOL 2.8): a pure `Active` and a pure `Standby`
//! (`baton-replication`) at the two ends of one loopback TCP link, every message framed by the
//! codec's `FrameCodec` (PROTOCOL 3.1) in the link's encoding rule:
//!
//! - updates per second, flat out (at most 4,096 unacknowledged), with 64-octet and 4 KiB
//!   values, one operation per update and 16;
//! - the lag from submit to the acknowledgement arriving back, p50/p99, at an offered load
//!   (default 100,000 updates per second);
//! - restore: a repertory of 1,000,000 records built, iterated and digested, then batch-synced
//!   into a fresh standby.
//!
//! The active runs on this thread, the standby on another, and a third reads the standby's
//! answers: three threads, two cores here.

mod breakdown;
pub mod campaign;
mod link;
mod restore;
mod stream;

use crate::report::Table;
use crate::{progress, Options};
use stream::Load;

/// The value of percentile `p` (0 to 1) of sorted `samples`.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn size(value: usize) -> String {
    match value {
        v if v >= 1024 && v % 1024 == 0 => format!("{} KiB", v / 1024),
        v => format!("{v} B"),
    }
}

/// Whether part `name` runs: all of them, or only the one named in `BATON_BENCH_REPL_ONLY`
/// (`throughput`, `lag` or `restore`: for profiling one part).
fn runs(name: &str) -> bool {
    std::env::var("BATON_BENCH_REPL_ONLY").map_or(true, |only| only == name)
}

/// Runs the section.
pub fn run(opts: &Options) -> Result<Vec<Table>, String> {
    let secs = opts.repl_secs;
    let mut through = Table::new(
        format!("Replication: updates over one loopback link ({secs} s each, flat out)"),
        &[
            "encoding",
            "value",
            "operations per update",
            "updates/s",
            "operations/s",
            "values MB/s",
            "CPU µs per update (both ends)",
        ],
    );
    let loads = [
        Load {
            ops: 1,
            value: 64,
            keys: 10_000,
        },
        Load {
            ops: 1,
            value: 4096,
            keys: 10_000,
        },
        Load {
            ops: 16,
            value: 64,
            keys: 10_000,
        },
    ];
    for &encoding in opts.repl_encodings.iter().filter(|_| runs("throughput")) {
        for load in loads {
            progress("replication", format!("throughput {encoding:?} {load:?}"));
            let t = stream::throughput(encoding, load, secs)?;
            let rate = t.updates as f64 / t.secs;
            through.row(vec![
                encoding.to_string(),
                size(load.value),
                load.ops.to_string(),
                format!("{rate:.0}"),
                format!("{:.0}", rate * load.ops as f64),
                format!("{:.1}", rate * (load.ops * load.value) as f64 / 1e6),
                format!("{:.2}", t.cpu_secs * 1e6 / t.updates as f64),
            ]);
        }
    }
    through.notes.push(
        "One `update` message per update, each `modify` of one record (application 1001, a \
         16-digit key); the standby acknowledges every update (one `updateAck` each). Every \
         update was checked applied by the standby at the end."
            .into(),
    );

    let mut steps = Table::new(
        "Replication: where an update's time goes (ns per update, one thread, no link)",
        &["step", "runs on"],
    );
    for (name, side) in breakdown::STEPS {
        steps.row(vec![name.to_owned(), side.to_owned()]);
    }
    steps.row(vec!["**all steps**".into(), "".into()]);
    steps.row(vec![
        "**active's thread (reader's excluded)**".into(),
        "".into(),
    ]);
    steps.row(vec!["**standby's thread**".into(), "".into()]);
    for &encoding in opts.repl_encodings.iter().filter(|_| runs("breakdown")) {
        for load in loads {
            let n = (opts.repl_secs * 100_000.0
                / (load.ops as f64 * (load.value as f64 / 64.0).sqrt()))
            .max(1000.0) as u64;
            progress(
                "replication",
                format!("breakdown {encoding:?} {load:?} x{n}"),
            );
            let ns = breakdown::breakdown(encoding, load, n)?;
            steps.header.push(format!(
                "{encoding}, {}, {} op{}",
                size(load.value),
                load.ops,
                if load.ops == 1 { "" } else { "s" }
            ));
            let sum = |side: Option<&str>| -> f64 {
                breakdown::STEPS
                    .iter()
                    .zip(&ns)
                    .filter(|((_, s), _)| side.is_none_or(|side| *s == side))
                    .map(|(_, v)| v)
                    .sum()
            };
            let totals = [sum(None), sum(Some("active")), sum(Some("standby"))];
            for (row, v) in steps.rows.iter_mut().zip(ns.iter().chain(&totals)) {
                row.push(format!("{v:.0}"));
            }
        }
    }
    steps.notes.push(
        "Each step runs over every update of a batch before the next step starts (the \
         messages held in between), so caches are colder than in a stream. The active's \
         thread bounds the link's rate: one core gives at most 10⁹ / (its ns) updates/s."
            .into(),
    );

    let rate = opts.repl_rate;
    let mut lag = Table::new(
        format!("Replication lag: submit to acknowledgement at {rate} updates/s offered"),
        &[
            "encoding",
            "value",
            "updates",
            "achieved updates/s",
            "p50 µs",
            "p99 µs",
            "p99.9 µs",
            "max µs",
        ],
    );
    for &encoding in opts.repl_encodings.iter().filter(|_| runs("lag")) {
        let load = Load {
            ops: 1,
            value: 64,
            keys: 10_000,
        };
        progress("replication", format!("lag {encoding:?} at {rate}/s"));
        let l = stream::lag(encoding, load, rate, secs)?;
        let mut s = l.samples_us;
        s.sort_by(f64::total_cmp);
        lag.row(vec![
            encoding.to_string(),
            size(load.value),
            s.len().to_string(),
            format!("{:.0}", l.achieved_rate),
            format!("{:.0}", percentile(&s, 0.5)),
            format!("{:.0}", percentile(&s, 0.99)),
            format!("{:.0}", percentile(&s, 0.999)),
            format!("{:.0}", s.last().copied().unwrap_or(f64::NAN)),
        ]);
    }
    lag.notes.push(
        "Each update is submitted when due (in a batch with every other update due) and timed \
         from its submit to the active handling the `updateAck` that covers it."
            .into(),
    );

    let records = opts.repl_records;
    let mut restore = Table::new(
        format!("Replication restore: {records} records"),
        &[
            "encoding",
            "value",
            "build s",
            "iterate s",
            "digest s",
            "queue the sync s",
            "sync into a fresh standby s",
            "records/s synced",
        ],
    );
    for &encoding in opts.repl_encodings.iter().filter(|_| runs("restore")) {
        progress(
            "replication",
            format!("restore {encoding:?} {records} records"),
        );
        let r = restore::restore(encoding, records, 64)?;
        restore.row(vec![
            encoding.to_string(),
            size(r.value),
            format!("{:.3}", r.build_secs),
            format!("{:.3}", r.iterate_secs),
            format!("{:.3}", r.digest_secs),
            format!("{:.3}", r.queue_secs),
            format!("{:.3}", r.sync_secs),
            format!("{:.0}", r.records as f64 / r.sync_secs),
        ]);
    }
    restore.notes.push(
        "build: `Repertory::from_entries`; iterate: every record in key order; digest: the \
         audit's SHA-256; queue: the active answering `syncRequest{full}` (chunks of 64 \
         entries and `syncDone`); sync: from the join arriving at the active to the standby's \
         acknowledgement of the whole arriving back, the standby's digest then checked equal."
            .into(),
    );
    Ok(vec![through, steps, lag, restore])
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_of_ten() {
        let s: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&s, 0.5), 5.0);
        assert_eq!(percentile(&s, 0.99), 10.0);
        assert_eq!(percentile(&s, 0.0), 1.0);
    }
}
