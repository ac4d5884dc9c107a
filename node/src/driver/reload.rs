//! SIGHUP: the configuration file again. The engine's [`Config::diff`] says what changes and
//! what needs a restart; the driver applies the log filter and the TLS files, the node the
//! rest ([`Node::reload`]), and the outcome is logged.
//!
//! With TLS, the certificate, key and CA files are read again at every reload, also when
//! their paths did not change (certificates rotated in place): new connections use them,
//! links already open keep their sessions. Files that do not load are refused with a log
//! line, and the ones loaded before stay in force.

use super::secure::Tls;
use crate::config::Config;
use baton_core::Instant;
use baton_engine::{Change, Node};
use tracing::{info, warn};

/// Reads `cfg.path` again and applies what can change in a running node (with `tls`, the
/// TLS files are loaded again); `cfg` becomes what is now in force.
pub(crate) fn reload(cfg: &mut Config, node: &mut Node, now: Instant, tls: Option<&Tls>) {
    let new = match crate::config::load(&cfg.path) {
        Err(e) => {
            warn!("reload: configuration not reloaded: {e}");
            return;
        }
        Ok(new) => new,
    };
    let mut diff = cfg.diff(&new);
    let mut applied = Vec::new();
    // TLS turned on or off is refused by the diff (a restart); otherwise load the files.
    if let (Some(tls), Some(_)) = (tls, &new.tls) {
        match crate::config::load_tls(&new) {
            Ok(Some(loaded)) => {
                tls.replace(loaded);
                applied.push("TLS files loaded again".to_owned());
            }
            Ok(None) => {}
            Err(e) => {
                warn!("reload: TLS files not reloaded, the ones loaded before stay: {e}");
                diff.applied
                    .retain(|c| !matches!(c, Change::TlsFiles { .. }));
            }
        }
    }
    for change in &diff.applied {
        match change {
            Change::LogFilter { filter } => match crate::logging::set_config_filter(filter) {
                Ok(true) => applied.push(change.to_string()),
                Ok(false) => info!("reload: log filter left to RUST_LOG"),
                Err(e) => warn!("reload: log filter {filter} not applied: {e}"),
            },
            Change::ComponentPolicy { .. } | Change::TlsFiles { .. } => {
                applied.push(change.to_string())
            }
        }
    }
    node.reload(now, &diff);
    cfg.apply(&diff);
    if applied.is_empty() && diff.refused.is_empty() {
        info!("reload: nothing changed");
    }
    if !applied.is_empty() {
        info!("reload: applied {}", applied.join("; "));
    }
    if !diff.refused.is_empty() {
        let refused: Vec<String> = diff.refused.iter().map(ToString::to_string).collect();
        warn!(
            "reload: these changes need a restart and were not applied: {}",
            refused.join(", ")
        );
    }
}
