//! The active's end of one link to a standby thread: a pure `Active` driven by this thread,
//! its updates framed and written to the socket, the standby's answers read by a second
//! thread and handed over a channel. Throughput (as fast as acknowledgements allow) and lag
//! (a paced offered load, submit to acknowledgement) are measured on it.

use super::link::{forward, pair, serve_standby, FrameIn, FrameOut};
use baton_asn1::replication::ReplicationMessage;
use baton_codec::Encoding;
use baton_replication::{Active, ActiveConfig, ActiveEvent, Key, Limits, Op, Repertory};
use baton_replication::{Standby, StandbyConfig};
use std::collections::VecDeque;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long the active waits for an answer before the run fails.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// Updates sent and not acknowledged at most (the active then waits for acknowledgements).
const MAX_IN_FLIGHT: u64 = 4096;

/// Updates submitted between two writes to the socket when running flat out.
const WRITE_BATCH: u64 = 64;

/// The updates of a run: `ops` operations per update, `modify` of one of `keys` keys of
/// application 1001, data type 1, with `value` octets each.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Operations per update.
    pub ops: usize,
    /// Octets per value.
    pub value: usize,
    /// Distinct keys written (round robin).
    pub keys: u64,
}

impl Load {
    /// The operations of the `n`th update.
    pub fn update(&self, n: u64) -> Vec<Op> {
        (0..self.ops as u64)
            .map(|i| {
                let k = (n * self.ops as u64 + i) % self.keys;
                Op::Modify(key(k), vec![(n % 251) as u8; self.value])
            })
            .collect()
    }
}

/// The record key of key number `k` (16 decimal digits, like an application's own ids).
pub fn key(k: u64) -> Key {
    Key {
        application_id: b"1001".to_vec(),
        data_type: b"1".to_vec(),
        key: format!("{k:016}").into_bytes(),
    }
}

/// Bounds large enough for every run here (the contract's defaults: 1,000,000 records, 1 GiB),
/// with room for the 1,000,000-record restore.
pub fn limits() -> Limits {
    Limits {
        max_entries: 2_000_000,
        max_octets: 2 << 30,
    }
}

/// The active's end of a link, the standby thread behind it.
pub struct ActiveEnd {
    /// The pure active.
    pub active: Active,
    out: FrameOut,
    rx: Receiver<Vec<ReplicationMessage>>,
    standby: JoinHandle<Result<Standby, String>>,
    reader: JoinHandle<Result<(), String>>,
    /// Highest sequence number acknowledged.
    pub acked: u64,
    /// Messages that were not acknowledgements (errors, refusals), counted.
    pub refusals: u64,
    /// From the start to the standby's join arriving.
    pub join_after: Duration,
    /// From the join arriving to the active having queued its answer (the sync).
    pub queued_after: Duration,
}

impl ActiveEnd {
    /// A link to a fresh standby that joins; the active (generation 1) holds `mirror` and
    /// answers the join with a full sync. Returns once the sync has been written.
    pub fn start(encoding: Encoding, mirror: Repertory) -> Result<ActiveEnd, String> {
        let (a, b) = pair()?;
        let standby_config = StandbyConfig {
            limits: limits(),
            ..StandbyConfig::default()
        };
        let standby = std::thread::Builder::new()
            .name("repl-standby".into())
            .spawn(move || serve_standby(b, Standby::new(standby_config), encoding, true))
            .map_err(|e| e.to_string())?;
        let (tx, rx) = channel();
        let input = FrameIn::new(a.try_clone().map_err(|e| e.to_string())?, encoding);
        let reader = std::thread::Builder::new()
            .name("repl-reader".into())
            .spawn(move || forward(input, tx))
            .map_err(|e| e.to_string())?;
        let config = ActiveConfig {
            limits: limits(),
            ..ActiveConfig::default()
        };
        let mut end = ActiveEnd {
            active: Active::new(config, 1, mirror),
            out: FrameOut::new(a, encoding),
            rx,
            standby,
            reader,
            acked: 0,
            refusals: 0,
            join_after: Duration::ZERO,
            queued_after: Duration::ZERO,
        };
        // The join: a syncRequest, answered with the mirror in chunks and syncDone.
        let started = Instant::now();
        let join = end.recv()?;
        let joined = Instant::now();
        end.join_after = joined - started;
        for m in join {
            end.active.handle(m);
        }
        end.queued_after = joined.elapsed();
        end.transmit()?;
        Ok(end)
    }

    /// Frames everything the active queued, writing every 256 KiB and at the end.
    pub fn transmit(&mut self) -> Result<(), String> {
        while let Some(m) = self.active.poll_transmit() {
            self.out.push(m)?;
            if self.out.pending() >= 256 * 1024 {
                self.out.flush()?;
            }
        }
        self.out.flush()
    }

    /// The next batch of messages from the standby (waits).
    pub fn recv(&mut self) -> Result<Vec<ReplicationMessage>, String> {
        self.rx.recv_timeout(ANSWER_TIMEOUT).map_err(|e| match e {
            RecvTimeoutError::Timeout => "no answer from the standby in 10 s".to_owned(),
            RecvTimeoutError::Disconnected => "the standby's link closed".to_owned(),
        })
    }

    /// Hands a batch to the active; returns the new highest acknowledged sequence number.
    pub fn handle(&mut self, batch: Vec<ReplicationMessage>) -> u64 {
        for m in batch {
            self.active.handle(m);
        }
        while let Some(e) = self.active.poll_event() {
            match e {
                ActiveEvent::Acknowledged(n) => self.acked = n,
                _ => self.refusals += 1,
            }
        }
        self.acked
    }

    /// Handles what arrives until `deadline` (at most one batch).
    pub fn wait_until(&mut self, deadline: Instant) {
        let left = deadline.saturating_duration_since(Instant::now());
        if let Ok(batch) = self.rx.recv_timeout(left) {
            self.handle(batch);
        }
    }

    /// Handles whatever arrived, without waiting.
    pub fn poll(&mut self) -> Result<u64, String> {
        while let Ok(batch) = self.rx.try_recv() {
            self.handle(batch);
        }
        Ok(self.acked)
    }

    /// Waits for the next `updateAck` (the answer to a completed sync), handing every
    /// message to the active on the way.
    pub fn wait_ack(&mut self) -> Result<(), String> {
        use baton_asn1::replication::ReplicationMessageMessage as M;
        loop {
            let batch = self.recv()?;
            let acked = batch.iter().any(|m| matches!(m.message, M::updateAck(_)));
            self.handle(batch);
            if acked {
                return Ok(());
            }
        }
    }

    /// Waits until every update submitted is acknowledged.
    pub fn drain(&mut self) -> Result<(), String> {
        while self.acked < self.active.sequence() {
            let batch = self.recv()?;
            self.handle(batch);
        }
        Ok(())
    }

    /// Closes the link and returns the standby as it ended.
    pub fn finish(self) -> Result<Standby, String> {
        self.out.close()?;
        let standby = self
            .standby
            .join()
            .map_err(|_| "the standby thread panicked".to_owned())??;
        drop(self.rx);
        self.reader
            .join()
            .map_err(|_| "the reader thread panicked".to_owned())??;
        Ok(standby)
    }
}

/// What a throughput run measured.
#[derive(Debug, Clone, Copy)]
pub struct Throughput {
    /// Updates submitted and acknowledged.
    pub updates: u64,
    /// Wall time from the first submit to the last acknowledgement, seconds.
    pub secs: f64,
    /// CPU time of the whole process (both ends, all threads) over the run, seconds.
    pub cpu_secs: f64,
}

/// CPU time of this process so far (user + system), seconds.
pub fn process_cpu_secs() -> f64 {
    use nix::sys::resource::{getrusage, UsageWho};
    getrusage(UsageWho::RUSAGE_SELF).map_or(0.0, |u| {
        let t = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 + tv.tv_usec() as f64 / 1e6;
        t(u.user_time()) + t(u.system_time())
    })
}

/// Submits `load`'s updates as fast as acknowledgements allow for `secs`, then waits for the
/// last acknowledgement. Checks at the end that the standby applied every update.
pub fn throughput(encoding: Encoding, load: Load, secs: f64) -> Result<Throughput, String> {
    let mut end = ActiveEnd::start(encoding, Repertory::new(limits()))?;
    let cpu0 = process_cpu_secs();
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        end.poll()?;
        if n - end.acked >= MAX_IN_FLIGHT {
            let batch = end.recv()?;
            end.handle(batch);
            continue;
        }
        for _ in 0..WRITE_BATCH {
            n += 1;
            end.active
                .submit(&load.update(n))
                .map_err(|e| format!("submit: {e}"))?;
        }
        end.transmit()?;
    }
    end.drain()?;
    let secs = start.elapsed().as_secs_f64();
    let cpu_secs = process_cpu_secs() - cpu0;
    let refusals = end.refusals;
    let standby = end.finish()?;
    if standby.applied() != n || refusals != 0 {
        return Err(format!(
            "the standby applied {} of {n} updates ({refusals} refusals)",
            standby.applied()
        ));
    }
    Ok(Throughput {
        updates: n,
        secs,
        cpu_secs,
    })
}

/// Submit-to-acknowledgement times of a paced run, microseconds.
#[derive(Debug, Clone)]
pub struct Lag {
    /// One sample per update.
    pub samples_us: Vec<f64>,
    /// Updates per second actually submitted.
    pub achieved_rate: f64,
}

/// Offers `rate` updates per second of `load` for `secs` (each submitted when due, in a
/// batch with the others due; between them the thread waits on the answers), and times each
/// from its submit to the acknowledgement that covers it arriving back at the active.
pub fn lag(encoding: Encoding, load: Load, rate: u64, secs: f64) -> Result<Lag, String> {
    let mut end = ActiveEnd::start(encoding, Repertory::new(limits()))?;
    let total = (rate as f64 * secs) as u64;
    let interval_ns = 1e9 / rate as f64;
    let mut waiting: VecDeque<(u64, Instant)> = VecDeque::new();
    let mut samples = Vec::with_capacity(total as usize);
    let start = Instant::now();
    let mut last_submit = start;
    let mut n = 0u64;
    while n < total || !waiting.is_empty() {
        let acked = end.poll()?;
        let now = Instant::now();
        while waiting.front().is_some_and(|(seq, _)| *seq <= acked) {
            if let Some((_, t)) = waiting.pop_front() {
                samples.push((now - t).as_secs_f64() * 1e6);
            }
        }
        let due = ((start.elapsed().as_nanos() as f64 / interval_ns) as u64 + 1).min(total);
        if n < due {
            while n < due {
                n += 1;
                let ops = load.update(n);
                let t = Instant::now();
                end.active
                    .submit(&ops)
                    .map_err(|e| format!("submit: {e}"))?;
                waiting.push_back((n, t));
                last_submit = t;
            }
            end.transmit()?;
        } else if start.elapsed() > Duration::from_secs_f64(secs) + ANSWER_TIMEOUT {
            return Err(format!("{} updates not acknowledged", waiting.len()));
        } else {
            // Nothing due: wait for an answer or the next update's time (no spinning: the
            // two cores are shared by three threads here).
            let next = start + Duration::from_secs_f64((n + 1) as f64 * interval_ns / 1e9);
            end.wait_until(next);
        }
    }
    let achieved_rate = total as f64 / (last_submit - start).as_secs_f64().max(1e-9);
    let refusals = end.refusals;
    let standby = end.finish()?;
    if standby.applied() != total || refusals != 0 {
        return Err(format!(
            "the standby applied {} of {total} updates ({refusals} refusals)",
            standby.applied()
        ));
    }
    Ok(Lag {
        samples_us: samples,
        achieved_rate,
    })
}
