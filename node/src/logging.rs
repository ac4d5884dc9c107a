//! Logging: `tracing` to stderr, the filter from `RUST_LOG` or the configuration's `log`,
//! which SIGHUP can change while the node runs; lines as text or as JSON objects
//! (`log_format`); a warning that repeats is written once, then with a count
//! ([`repeats`]).

mod json;
pub mod repeats;
#[cfg(test)]
mod repeats_tests;
pub mod time;

use baton_engine::LogFormat;
use repeats::Counted;
use std::sync::OnceLock;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{reload, EnvFilter, Registry};

static HANDLE: OnceLock<reload::Handle<EnvFilter, Registry>> = OnceLock::new();
static FROM_ENV: OnceLock<bool> = OnceLock::new();
static FORMAT: OnceLock<LogFormat> = OnceLock::new();

/// The environment variable that gives a process the node starts (the script guard) the
/// node's log format: `json` or `text`.
pub const FORMAT_ENV: &str = "BATON_LOG_FORMAT";

/// Installs the subscriber: `RUST_LOG` if set, else `config_filter`; JSON lines if
/// [`FORMAT_ENV`] says `json` (a guard started by a node that logs JSON), else text. A
/// second call does nothing.
pub fn init(config_filter: &str) {
    let json = std::env::var(FORMAT_ENV).is_ok_and(|f| f == "json");
    let format = if json {
        LogFormat::Json
    } else {
        LogFormat::Text
    };
    init_with(config_filter, format);
}

/// The format this process logs in, as [`FORMAT_ENV`] says it: `json` or `text`.
pub fn format_word() -> &'static str {
    match FORMAT.get() {
        Some(LogFormat::Json) => "json",
        _ => "text",
    }
}

/// As [`init`], each line in `format`: text (`2026-12-05T16:30:01.123456Z  INFO role
/// changed from=standby to=promoting`) or one JSON object (`timestamp`, `level`, `message`,
/// the fields, `spans`). Either way a warning that repeats is counted, not written each
/// time ([`repeats`]).
pub fn init_with(config_filter: &str, format: LogFormat) {
    let (filter, from_env) = match EnvFilter::try_from_default_env() {
        Ok(f) => (f, true),
        Err(_) => (EnvFilter::new(config_filter), false),
    };
    let (layer, handle) = reload::Layer::new(filter);
    let json = format == LogFormat::Json;
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(!json && std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .event_format(Counted::new(json));
    if tracing_subscriber::registry()
        .with(layer)
        .with(fmt)
        .try_init()
        .is_ok()
    {
        let _ = HANDLE.set(handle);
        let _ = FROM_ENV.set(from_env);
        let _ = FORMAT.set(format);
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
