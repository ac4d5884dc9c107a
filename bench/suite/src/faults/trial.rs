//! One fault against a settled cluster, and the recovery after it: what was measured.

use super::cluster::{Cluster, PEER_PORT};
use super::track::Overlaps;
use super::{forge, net, Fault};
use std::time::Duration;
use tokio::time::Instant;

/// Durations of a run, from the heartbeat and the cluster kind.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Heartbeat.
    pub heartbeat: Duration,
    /// How long the cluster takes to see a failure: the dead interval (pair), the voter lease
    /// plus the election timeout and one stagger (quorum).
    pub detect: Duration,
    /// How long a stop or a partition lasts (and a kill is watched): twice `detect` plus two
    /// heartbeats, past the dead interval and the leases.
    pub hold: Duration,
    /// Longest wait for the cluster to settle after the fault was undone.
    pub settle: Duration,
    /// How long it must stay settled.
    pub quiet: Duration,
}

impl Params {
    /// The durations at `heartbeat` for a cluster that sees a failure in `detect`
    /// ([`super::Kind::detect`]).
    pub fn new(heartbeat: Duration, detect: Duration) -> Params {
        Params {
            heartbeat,
            detect,
            hold: 2 * detect + 2 * heartbeat,
            settle: Duration::from_secs(10) + 10 * detect,
            quiet: (3 * heartbeat).max(Duration::from_millis(50)),
        }
    }
}

/// What one fault did.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// From just before the fault to another member serving every service, ms.
    pub failover_ms: Option<f64>,
    /// Dual-active moments and overlap, over the fault and the recovery.
    pub overlaps: Overlaps,
    /// Settled again (one member serving, the others standby) after the fault was undone.
    pub converged: bool,
    /// Full restarts the cluster needed to settle again.
    pub resets: usize,
    /// What went wrong with the fault itself (e.g. the forger could not connect).
    pub note: Option<String>,
}

/// A random number in [0, 1) from the standard library's randomly seeded hasher.
pub fn random_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let bits = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// Reads records until `until`; notes the first instant at or after `t0` at which a serving
/// member other than `old` had every service serving.
async fn watch(c: &mut Cluster, old: usize, t0: Instant, until: Instant, found: &mut Option<f64>) {
    loop {
        if found.is_none() {
            for m in c.serving().into_iter().filter(|&m| m != old) {
                if let Some(at) = c.shared.full_since(m).filter(|&at| at >= t0) {
                    let v = at.saturating_duration_since(t0).as_secs_f64() * 1000.0;
                    *found = Some(found.map_or(v, |f: f64| f.min(v)));
                }
            }
        }
        if c.next(until).await.is_none() {
            return;
        }
    }
}

/// A serving standby to partition or to forge a nomination to: the lowest-priority one.
fn a_standby(c: &Cluster, old: usize) -> usize {
    c.serving().into_iter().rfind(|&m| m != old).unwrap_or(old)
}

/// Runs `fault` against the settled cluster whose active is `old`; undoes it, waits for the
/// cluster to settle (restarting it if it does not). Returns the outcome and the active.
pub async fn run(
    c: &mut Cluster,
    fault: Fault,
    old: usize,
    p: &Params,
) -> Result<(Outcome, usize), String> {
    let mut old = old;
    let mut o = Outcome::default();
    // A random phase of the heartbeats; then it must still be settled.
    let phase = p.heartbeat.mul_f64(random_fraction());
    c.drain_until(Instant::now() + phase).await;
    if c.settled() != Some(old) {
        old = match c.settle(p.settle, p.quiet).await {
            Ok(a) => a,
            Err(e) => {
                crate::progress(
                    "faults",
                    format!("before {}: {e}; restarting", fault.name()),
                );
                o.resets += 1;
                c.reset()?;
                c.settle(p.settle, p.quiet).await?
            }
        };
    }
    let _ = c.shared.take();
    let mut found = None;
    let t0;
    match fault {
        Fault::Kill => {
            t0 = c.kill(old)?;
            watch(c, old, t0, t0 + p.hold, &mut found).await;
        }
        Fault::Stop => {
            t0 = Instant::now();
            c.pause(old, true)?;
            watch(c, old, t0, t0 + p.hold, &mut found).await;
        }
        Fault::PartitionActive | Fault::PartitionMinority => {
            let who = if fault == Fault::PartitionActive {
                old
            } else {
                a_standby(c, old)
            };
            t0 = Instant::now();
            c.net.link(who, false)?;
            watch(c, old, t0, t0 + p.hold, &mut found).await;
            c.net.link(who, true)?;
        }
        Fault::Flap => {
            t0 = Instant::now();
            for _ in 0..5 {
                for up in [false, true] {
                    let d = p.detect.mul_f64(0.25 + random_fraction());
                    c.net.link(old, up)?;
                    let until = Instant::now() + d;
                    watch(c, old, t0, until, &mut found).await;
                }
            }
        }
        Fault::Forged => {
            let s = a_standby(c, old);
            let target = format!("{}:{PEER_PORT}", net::addr(s))
                .parse()
                .map_err(|e| format!("address: {e}"))?;
            t0 = Instant::now();
            let rx = forge::spawn(
                c.net.members[old].clone(),
                target,
                (old + 1).to_string(),
                c.names[s].to_owned(),
                p.hold / 2,
            );
            watch(c, old, t0, t0 + p.hold, &mut found).await;
            match rx.recv_timeout(Duration::from_secs(3)) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => o.note = Some(format!("forger: {e}")),
                Err(_) => o.note = Some("forger: no result".into()),
            }
        }
        Fault::Switchover => {
            let answer;
            (t0, answer) = c.switchover(old).await?;
            if !answer.starts_with("ok") {
                o.note = Some(format!("switchover answered: {answer}"));
            }
            watch(c, old, t0, t0 + p.hold, &mut found).await;
        }
    }
    o.failover_ms = found;
    c.revive()?;
    let mut active = c.settle(p.settle, p.quiet).await;
    o.converged = active.is_ok();
    while let Err(e) = &active {
        if o.resets == 3 {
            return Err(format!("does not settle after three restarts: {e}"));
        }
        crate::progress(
            "faults",
            format!("{}: {e}; restarting the cluster", fault.name()),
        );
        o.resets += 1;
        c.reset()?;
        active = c.settle(p.settle, p.quiet).await;
    }
    o.overlaps = c.shared.take();
    Ok((o, active.unwrap_or(old)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_outlast_detection() {
        let ms = Duration::from_millis;
        let pair = Params::new(ms(100), super::super::Kind::Pair.detect(ms(100)));
        assert_eq!((pair.detect, pair.hold), (ms(300), ms(800)));
        let q = Params::new(ms(100), super::super::Kind::Quorum3.detect(ms(100)));
        assert_eq!((q.detect, q.hold), (ms(900), ms(2000)));
        let e = Params::new(ms(100), super::super::Kind::Etcd3.detect(ms(100)));
        assert_eq!((e.detect, e.hold), (ms(2500), ms(5200)));
        assert!(random_fraction() < 1.0);
    }
}
