//! Replication keys (PROTOCOL 6.11; OPERATIONS, "Replication"): a linked `[[component]]`'s
//! `replication = "sync" | "async"`, and `[replication]` with `max_records`, `max_bytes` and
//! `promote_unsynced`. A script component that replicates, and `[replication]` with no
//! replicating component, are refused.

use super::error::Ctx;
use super::file::File;
use super::ConfigError;
use baton_engine::{NodeConfig, ReplicationConfig, ReplicationMode};

/// Most records `max_records` may allow.
const MAX_RECORDS: u64 = 100_000_000;
/// Most octets `max_bytes` may allow (64 GiB).
const MAX_BYTES: u64 = 64 << 30;

/// Reads the keys into `node.replication` (after the components: a script component is
/// known by then).
pub(super) fn read(
    file: &File,
    node: &mut NodeConfig,
    encoding: baton_codec::Encoding,
    max_frame: usize,
    cx: &Ctx<'_>,
) -> Result<(), ConfigError> {
    let mut config = ReplicationConfig {
        max_update_octets: ReplicationConfig::max_update_octets_for(encoding, max_frame),
        ..ReplicationConfig::default()
    };
    for (i, c) in file.components.iter().enumerate() {
        let Some(mode) = &c.replication else {
            continue;
        };
        let key = format!("component[{i}].replication");
        let id = c.id.get_ref();
        let mode = match mode.get_ref().as_str() {
            "sync" => ReplicationMode::Sync,
            "async" => ReplicationMode::Async,
            other => {
                return Err(cx.err(
                    Some(mode.span()),
                    key,
                    format!("{other:?}: expected \"sync\" or \"async\""),
                ))
            }
        };
        if node.scripts.iter().any(|s| &s.id == id) {
            return Err(cx.err(
                Some(c.replication.as_ref().map_or(0..0, |m| m.span())),
                key,
                format!(
                    "replication needs a linked component, and component {id} is a script \
                     component (it has commands): remove replication, or the commands"
                ),
            ));
        }
        config.components.insert(id.clone(), mode);
    }
    if let Some(table) = &file.replication {
        if config.components.is_empty() {
            return Err(cx.err(
                Some(table.span()),
                "replication",
                "has no effect without a [[component]] with replication = \"sync\" or \"async\"",
            ));
        }
        let t = table.get_ref();
        if let Some(n) = &t.max_records {
            if !(1..=MAX_RECORDS).contains(n.get_ref()) {
                return Err(cx.err(
                    Some(n.span()),
                    "replication.max_records",
                    format!("must be 1 to {MAX_RECORDS}"),
                ));
            }
            config.limits.max_entries = usize::try_from(*n.get_ref()).unwrap_or(usize::MAX);
        }
        if let Some(n) = &t.max_bytes {
            if !(1024..=MAX_BYTES).contains(n.get_ref()) {
                return Err(cx.err(
                    Some(n.span()),
                    "replication.max_bytes",
                    format!("must be 1024 to {MAX_BYTES} (64 GiB)"),
                ));
            }
            config.limits.max_octets = usize::try_from(*n.get_ref()).unwrap_or(usize::MAX);
        }
        if let Some(p) = &t.promote_unsynced {
            config.promote_unsynced = *p.get_ref();
        }
    }
    node.replication = config;
    Ok(())
}
