//! The remote check's keys (PROTOCOL 6.8; OPERATIONS, "Checks from the client's side"):
//! `remote_check`, `uplink_check`, `remote_check_interval_ms`, `remote_check_failures`,
//! `remote_check_handover`. The other keys without `remote_check` are refused.

use super::error::Ctx;
use super::file::File;
use super::{ms, ConfigError};
use baton_engine::{NodeConfig, RemoteCheckCommands, RemoteCheckConfig};
use std::time::Duration;

/// Reads the keys into `node.remote_check` and returns the commands (`None` without
/// `remote_check`); both run with `hook_timeout`.
pub(super) fn read(
    file: &File,
    node: &mut NodeConfig,
    hook_timeout: Duration,
    cx: &Ctx<'_>,
) -> Result<Option<RemoteCheckCommands>, ConfigError> {
    let Some(command) = &file.remote_check else {
        let others = [
            (
                "remote_check_interval_ms",
                file.remote_check_interval_ms.as_ref().map(|s| s.span()),
            ),
            (
                "remote_check_failures",
                file.remote_check_failures.as_ref().map(|s| s.span()),
            ),
            (
                "remote_check_handover",
                file.remote_check_handover.as_ref().map(|s| s.span()),
            ),
            ("uplink_check", file.uplink_check.as_ref().map(|s| s.span())),
        ];
        if let Some((key, span)) = others.into_iter().find(|(_, s)| s.is_some()) {
            return Err(cx.err(span, key, "has no effect without remote_check"));
        }
        return Ok(None);
    };
    if command.get_ref().trim().is_empty() {
        return Err(cx.err(Some(command.span()), "remote_check", "an empty command"));
    }
    let defaults = RemoteCheckConfig::default();
    let interval = ms(
        &file.remote_check_interval_ms,
        defaults.interval,
        "remote_check_interval_ms",
        cx,
    )?;
    let failures = match &file.remote_check_failures {
        None => defaults.failures,
        Some(n) if (1..=1000).contains(n.get_ref()) => *n.get_ref() as u32,
        Some(n) => {
            return Err(cx.err(
                Some(n.span()),
                "remote_check_failures",
                "must be 1 to 1000 (failed checks in a row)",
            ))
        }
    };
    let handover = file
        .remote_check_handover
        .as_ref()
        .is_some_and(|h| *h.get_ref());
    node.remote_check = Some(RemoteCheckConfig {
        interval,
        failures,
        handover,
    });
    Ok(Some(RemoteCheckCommands {
        command: command.get_ref().clone(),
        uplink: file.uplink_check.as_ref().map(|u| u.get_ref().clone()),
        timeout: hook_timeout,
    }))
}
