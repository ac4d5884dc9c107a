//! The cluster keys (PROTOCOL 5.9, 5.10, 5.12): `election = "pair" | "quorum" | "etcd"`,
//! `[[member]] witness = true`, `state_dir`, `[fence]`, the quorum timers of `[timers]` and
//! `[etcd]`.

use super::error::Ctx;
use super::file::File;
use super::tls::resolve;
use super::ConfigError;
use baton_election::Mode;
use baton_engine::{FenceCommand, NodeConfig};
use std::path::PathBuf;
use std::time::Duration;

/// The most members of a cluster, witnesses included.
pub const MAX_MEMBERS: usize = 9;

/// Default `[fence] timeout_ms`.
const DEFAULT_FENCE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the cluster keys give the running node beside the pure node's configuration.
pub(super) struct Cluster {
    pub(super) state_dir: Option<PathBuf>,
    pub(super) fence: Option<FenceCommand>,
    pub(super) etcd: Option<baton_engine::EtcdSettings>,
}

/// The member count: 2 to [`MAX_MEMBERS`].
pub(super) fn check_count(file: &File, cx: &Ctx<'_>) -> Result<(), ConfigError> {
    let n = file.members.len();
    if (2..=MAX_MEMBERS).contains(&n) {
        return Ok(());
    }
    Err(cx.err(
        None,
        "member",
        format!("{n} [[member]] tables: 2 to {MAX_MEMBERS} allowed (witnesses included)"),
    ))
}

/// Reads the cluster keys into `node` (mode, witnesses, quorum timers, fencing) once its
/// members and `me` are known, and checks them together.
pub(super) fn cluster(
    file: &File,
    node: &mut NodeConfig,
    cx: &Ctx<'_>,
) -> Result<Cluster, ConfigError> {
    node.witnesses = file
        .members
        .iter()
        .enumerate()
        .filter(|(_, m)| m.witness.as_ref().is_some_and(|w| *w.get_ref()))
        .map(|(i, _)| i)
        .collect();
    let voters = file.members.len();
    let election_span = file.election.as_ref().map(|e| e.span());
    let mode = match file.election.as_ref().map(|e| e.get_ref().as_str()) {
        None if voters == 2 => Kind::Pair,
        None => Kind::Quorum,
        Some("pair") => Kind::Pair,
        Some("quorum") => Kind::Quorum,
        Some("etcd") => Kind::Etcd,
        Some(other) => {
            return Err(cx.err(
                election_span,
                "election",
                format!("{other:?}: expected \"pair\", \"quorum\" or \"etcd\""),
            ))
        }
    };
    match mode {
        Kind::Pair if voters != 2 => {
            return Err(cx.err(
                election_span,
                "election",
                format!(
                    "pair mode needs exactly 2 members, {voters} configured: use election = \
                     \"quorum\" (3 to {MAX_MEMBERS} voters, witnesses included)"
                ),
            ))
        }
        Kind::Pair => {
            if let Some(&i) = node.witnesses.first() {
                return Err(cx.err(
                    witness_span(file, i),
                    format!("member[{i}].witness"),
                    "a witness votes in quorum mode only: add a third member or set \
                     election = \"quorum\" with at least 3 voters",
                ));
            }
        }
        Kind::Quorum if voters < 3 => {
            return Err(cx.err(
                election_span,
                "election",
                format!(
                    "quorum mode needs at least 3 voters (witnesses included), {voters} configured"
                ),
            ))
        }
        Kind::Quorum => {}
        Kind::Etcd => {
            if let Some(&i) = node.witnesses.first() {
                return Err(cx.err(
                    witness_span(file, i),
                    format!("member[{i}].witness"),
                    "etcd mode has no witnesses: etcd arbitrates",
                ));
            }
        }
    }
    let serving = voters - node.witnesses.len();
    if serving < 2 {
        return Err(cx.err(
            None,
            "member",
            format!("{serving} member(s) without witness = true: at least 2 must be able to serve"),
        ));
    }
    if node.witnesses.contains(&node.me) && !file.components.is_empty() {
        let span = file.components.first().map(|c| c.id.span());
        return Err(cx.err(
            span,
            "component",
            format!(
                "member {:?} is a witness (votes, never serves): its configuration must have \
                 no [[component]] tables",
                file.name.get_ref()
            ),
        ));
    }
    let state_dir = match &file.state_dir {
        Some(s) if s.get_ref().is_empty() => {
            return Err(cx.err(Some(s.span()), "state_dir", "an empty path"))
        }
        Some(s) => Some(resolve(cx.path, s.get_ref())),
        None if mode == Kind::Quorum => {
            return Err(cx.err(
                None,
                "state_dir",
                "required in quorum mode: each voter persists its grant there (PROTOCOL 5.9)",
            ))
        }
        None => None,
    };
    let fence = match &file.fence {
        None => None,
        Some(f) => {
            if f.command.get_ref().trim().is_empty() {
                return Err(cx.err(Some(f.command.span()), "fence.command", "an empty command"));
            }
            let timeout = super::ms(&f.timeout_ms, DEFAULT_FENCE_TIMEOUT, "fence.timeout_ms", cx)?;
            node.fence_retry = super::ms(&f.retry_ms, node.fence_retry, "fence.retry_ms", cx)?;
            Some(FenceCommand {
                command: f.command.get_ref().clone(),
                timeout,
            })
        }
    };
    node.fence = fence.is_some();
    node.mode = match mode {
        Kind::Pair => Mode::Pair,
        Kind::Quorum => Mode::Quorum,
        Kind::Etcd => Mode::Etcd,
    };
    super::quorum::timers(file, node, cx)?;
    let etcd = super::etcd::read(file, node, cx)?;
    Ok(Cluster {
        state_dir,
        fence,
        etcd,
    })
}

/// The mode `election` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pair,
    Quorum,
    Etcd,
}

fn witness_span(file: &File, i: usize) -> Option<std::ops::Range<usize>> {
    file.members
        .get(i)
        .and_then(|m| m.witness.as_ref())
        .map(|w| w.span())
}
