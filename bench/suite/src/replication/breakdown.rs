//! Where an update's time goes: the steps of one update's round trip timed one after the
//! other on one thread, each over every update of a batch (no link, no other thread): the
//! component's operations made, `Active::submit`, framing, the standby's decoding and
//! `Standby::handle`, the acknowledgement's framing, decoding and `Active::handle`.

use super::stream::{limits, Load};
use baton_asn1::replication::ReplicationMessage;
use baton_codec::{AnyMessage, Encoding, FrameCodec};
use baton_replication::{Active, ActiveConfig, Repertory, Standby, StandbyConfig};
use bytes::BytesMut;
use tokio_util::codec::{Decoder, Encoder};

/// The steps, in order, with the side that runs each.
pub const STEPS: [(&str, &str); 8] = [
    ("make the operations (the component's `Vec<Op>`)", "active"),
    ("`Active::submit` + `poll_transmit`", "active"),
    ("frame the `update` (validate, encode)", "active"),
    ("decode the `update` frame (decode, validate)", "standby"),
    (
        "`Standby::handle` + `poll_transmit` + `poll_event`",
        "standby",
    ),
    ("frame the `updateAck`", "standby"),
    ("decode the `updateAck` frame", "active (reader)"),
    ("`Active::handle` + `poll_event`", "active"),
];

fn encode_all(codec: &mut FrameCodec, all: Vec<ReplicationMessage>) -> Result<BytesMut, String> {
    let mut buf = BytesMut::new();
    for m in all {
        codec
            .encode(AnyMessage::Replication(m), &mut buf)
            .map_err(|e| e.to_string())?;
    }
    Ok(buf)
}

fn decode_all(
    codec: &mut FrameCodec,
    mut buf: BytesMut,
) -> Result<Vec<ReplicationMessage>, String> {
    let mut out = Vec::new();
    while let Some(m) = codec.decode(&mut buf).map_err(|e| e.to_string())? {
        if let AnyMessage::Replication(m) = m {
            out.push(m);
        }
    }
    Ok(out)
}

/// CPU time of the calling thread (user + system), seconds.
pub fn thread_cpu_secs() -> f64 {
    use nix::sys::resource::{getrusage, UsageWho};
    getrusage(UsageWho::RUSAGE_THREAD).map_or(0.0, |u| {
        let t = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 + tv.tv_usec() as f64 / 1e6;
        t(u.user_time()) + t(u.system_time())
    })
}

/// Nanoseconds of CPU per update of each of [`STEPS`], over `n` updates of `load`.
pub fn breakdown(encoding: Encoding, load: Load, n: u64) -> Result<Vec<f64>, String> {
    let config = ActiveConfig {
        limits: limits(),
        ..ActiveConfig::default()
    };
    let mut active = Active::new(config, 1, Repertory::new(limits()));
    let mut standby = Standby::new(StandbyConfig {
        limits: limits(),
        ..StandbyConfig::default()
    });
    // The join: an empty sync.
    standby.join();
    while let Some(m) = standby.poll_transmit() {
        active.handle(m);
    }
    while let Some(m) = active.poll_transmit() {
        standby.handle(m);
    }
    while let Some(m) = standby.poll_transmit() {
        active.handle(m);
    }
    let mut codec = FrameCodec::new(encoding);
    let mut ns = Vec::new();
    // CPU time of this thread, not wall time: the machine is shared.
    let mut step = |t: f64| ns.push((thread_cpu_secs() - t) * 1e9 / n as f64);

    let t = thread_cpu_secs();
    let ops: Vec<_> = (1..=n).map(|i| load.update(i)).collect();
    step(t);

    let t = thread_cpu_secs();
    let mut updates = Vec::with_capacity(n as usize);
    for o in &ops {
        active.submit(o).map_err(|e| e.to_string())?;
        updates.extend(std::iter::from_fn(|| active.poll_transmit()));
    }
    step(t);
    drop(ops);

    let t = thread_cpu_secs();
    let frames = encode_all(&mut codec, updates)?;
    step(t);

    let t = thread_cpu_secs();
    let updates = decode_all(&mut codec, frames)?;
    step(t);

    let t = thread_cpu_secs();
    let mut acks = Vec::with_capacity(n as usize);
    for m in updates {
        standby.handle(m);
        acks.extend(std::iter::from_fn(|| standby.poll_transmit()));
        while standby.poll_event().is_some() {}
    }
    step(t);

    let t = thread_cpu_secs();
    let frames = encode_all(&mut codec, acks)?;
    step(t);

    let t = thread_cpu_secs();
    let acks = decode_all(&mut codec, frames)?;
    step(t);

    let t = thread_cpu_secs();
    for m in acks {
        active.handle(m);
        while active.poll_event().is_some() {}
    }
    step(t);

    if active.acknowledged() != n || standby.applied() != n {
        return Err(format!(
            "{} acknowledged, {} applied, of {n}",
            active.acknowledged(),
            standby.applied()
        ));
    }
    Ok(ns)
}
