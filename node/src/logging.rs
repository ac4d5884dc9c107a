//! Logging: `tracing` to stderr, the filter from `RUST_LOG` or the configuration's `log`,
//! which SIGHUP can change while the node runs.

use std::sync::OnceLock;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{reload, EnvFilter, Registry};

static HANDLE: OnceLock<reload::Handle<EnvFilter, Registry>> = OnceLock::new();
static FROM_ENV: OnceLock<bool> = OnceLock::new();

/// Installs the subscriber: `RUST_LOG` if set, else `config_filter`. A second call does
/// nothing.
pub fn init(config_filter: &str) {
    let (filter, from_env) = match EnvFilter::try_from_default_env() {
        Ok(f) => (f, true),
        Err(_) => (EnvFilter::new(config_filter), false),
    };
    let (layer, handle) = reload::Layer::new(filter);
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if tracing_subscriber::registry()
        .with(layer)
        .with(fmt)
        .try_init()
        .is_ok()
    {
        let _ = HANDLE.set(handle);
        let _ = FROM_ENV.set(from_env);
    }
}

/// Applies the configuration's filter, unless `RUST_LOG` chose it. `Ok(true)` if applied.
///
/// # Errors
/// When the filter cannot be applied.
pub fn set_config_filter(filter: &str) -> Result<bool, String> {
    if FROM_ENV.get().copied().unwrap_or(true) {
        return Ok(false);
    }
    let handle = HANDLE.get().ok_or("logging not initialised")?;
    handle
        .reload(EnvFilter::new(filter))
        .map(|()| true)
        .map_err(|e| e.to_string())
}
