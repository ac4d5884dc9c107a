//! The quorum timers of `[timers]` (PROTOCOL 5.9.6, 8): read, defaulted, and checked against
//! the lease inequality `L_a/(1−ρ) + D ≤ L_v/(1+ρ)`, `renew ≤ L_a/3` and
//! `retry_backoff < L_a/2`, refused with the numbers. In etcd mode only `stagger_ms`,
//! `demotion_bound_ms` and `clock_drift_ppm` apply (`[etcd]` checks them with its TTL).

use super::error::Ctx;
use super::file::File;
use super::ConfigError;
use baton_election::{Mode, QuorumTimers};
use baton_engine::NodeConfig;

/// Reads the quorum timers into `node.quorum` and, in quorum mode, checks them. In pair
/// mode they are refused: they would do nothing.
pub(super) fn timers(file: &File, node: &mut NodeConfig, cx: &Ctx<'_>) -> Result<(), ConfigError> {
    let t = &file.timers;
    let keys = [
        ("timers.voter_lease_ms", &t.voter_lease_ms),
        ("timers.active_lease_ms", &t.active_lease_ms),
        ("timers.renew_ms", &t.renew_ms),
        ("timers.election_timeout_ms", &t.election_timeout_ms),
        ("timers.stagger_ms", &t.stagger_ms),
        ("timers.demotion_bound_ms", &t.demotion_bound_ms),
        ("timers.clock_drift_ppm", &t.clock_drift_ppm),
    ];
    if node.mode == Mode::Pair {
        if let Some((key, Some(v))) = keys.iter().find(|(_, v)| v.is_some()) {
            return Err(cx.err(
                Some(v.span()),
                *key,
                "a quorum timer: this configuration is in pair mode (election = \"pair\")",
            ));
        }
        return Ok(());
    }
    if node.mode == Mode::Etcd {
        // Etcd mode uses the stagger, D and ρ only (PROTOCOL 5.12.4); [etcd] has the lease.
        if let Some((key, Some(v))) = keys[..4].iter().find(|(_, v)| v.is_some()) {
            return Err(cx.err(
                Some(v.span()),
                *key,
                "a quorum-mode timer: in etcd mode the lease is [etcd] ttl_ms",
            ));
        }
    }
    let d = QuorumTimers::default();
    let drift = match &t.clock_drift_ppm {
        None => d.clock_drift_ppm,
        Some(v) if *v.get_ref() < 500_000 => *v.get_ref() as u32,
        Some(v) => {
            return Err(cx.err(
                Some(v.span()),
                "timers.clock_drift_ppm",
                "must be 0 to 499999 parts per million",
            ))
        }
    };
    let q = QuorumTimers {
        voter_lease: super::ms(&t.voter_lease_ms, d.voter_lease, keys[0].0, cx)?,
        active_lease: super::ms(&t.active_lease_ms, d.active_lease, keys[1].0, cx)?,
        renew: super::ms(&t.renew_ms, d.renew, keys[2].0, cx)?,
        election_timeout: super::ms(&t.election_timeout_ms, d.election_timeout, keys[3].0, cx)?,
        stagger: super::ms(&t.stagger_ms, d.stagger, keys[4].0, cx)?,
        demotion_bound: super::ms(&t.demotion_bound_ms, d.demotion_bound, keys[5].0, cx)?,
        clock_drift_ppm: drift,
    };
    let refused = match node.mode {
        Mode::Etcd => Ok(()),
        _ => q.check().and_then(|()| q.check_retry(node.retry_backoff)),
    };
    if let Err(e) = refused {
        let span = t
            .active_lease_ms
            .as_ref()
            .or(t.voter_lease_ms.as_ref())
            .map(toml::Spanned::span);
        return Err(cx.err(span, "timers", format!("quorum timers refused: {e}")));
    }
    node.quorum = q;
    Ok(())
}
