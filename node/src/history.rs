//! The node's history of role transitions ([`baton_engine::History`]) for the operator:
//! `history` on the control socket answers `ok: {"status": LINE, "history": [...]}` on one
//! line; `baton status --history` prints it.
//!
//! Each transition is an object: `at` (wall-clock time, RFC 3339 UTC), `uptime_ms` (the
//! node's clock), `from`, `to` (status words), `cause` (the operator's words: `peer alpha
//! down`), `cause_kind` (`peer_down`, ...: [`baton_engine::Cause::kind`]) and, for the end of
//! a failover, `failover_ms`.

use crate::config::Config;
use crate::logging::time::rfc3339;
use baton_engine::{History, Transition};
use baton_status::ServiceStatus;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// The control command.
pub const COMMAND: &str = "history";
/// The longest answer a client reads.
const MAX_ANSWER: u64 = 1024 * 1024;

/// One transition as JSON; `wall_at_zero` is the wall-clock time (since the Unix epoch)
/// of the node's clock zero.
pub fn transition(t: &Transition, wall_at_zero: Duration) -> Value {
    let mut o = json!({
        "at": rfc3339(wall_at_zero + t.at.since_origin()),
        "uptime_ms": t.at.since_origin().as_millis() as u64,
        "from": t.from.status_word(),
        "to": t.to.status_word(),
        "cause": t.cause.to_string(),
        "cause_kind": t.cause.kind(),
    });
    if let Some(d) = t.failover {
        o["failover_ms"] = (d.as_millis() as u64).into();
    }
    o
}

/// The control socket's answer: `ok: ` and the status line, the history and the
/// replication state ([`crate::replication_view::document`]) as one JSON line.
pub fn answer(
    status: &ServiceStatus,
    history: &History,
    wall_at_zero: Duration,
    replication: Value,
) -> String {
    let all: Vec<Value> = history
        .iter()
        .map(|t| transition(t, wall_at_zero))
        .collect();
    format!(
        "ok: {}",
        json!({"status": status.to_string(), "history": all, "replication": replication})
    )
}

/// What the control socket's `history` answer holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The status line.
    pub status: String,
    /// The transitions, oldest first.
    pub history: Vec<Value>,
    /// The replication state by component id (`{}` with none, or from a node that does not
    /// say).
    pub replication: Value,
}

/// The history for people: one line a transition, oldest first, under a `history:` line.
pub fn text(history: &[Value]) -> String {
    let mut out = format!("history ({} transitions, oldest first):", history.len());
    for t in history {
        let s = |k: &str| t[k].as_str().unwrap_or("?").to_owned();
        out.push_str(&format!(
            "\n  {}  {} -> {}: {}",
            s("at"),
            s("from"),
            s("to"),
            s("cause")
        ));
        if let Some(ms) = t["failover_ms"].as_u64() {
            out.push_str(&format!(" (failover {ms} ms)"));
        }
    }
    out
}

/// `rendered` (a status as `baton status` prints it) with the history: its lines after the
/// text, or a `history` array in the JSON document.
pub fn attach(rendered: &str, json: bool, history: &[Value]) -> String {
    if !json {
        return format!("{rendered}\n{}", text(history));
    }
    match serde_json::from_str::<Value>(rendered) {
        Ok(mut doc) => {
            doc["history"] = Value::Array(history.to_vec());
            doc.to_string()
        }
        Err(_) => json!({"status": rendered, "history": history}).to_string(),
    }
}

/// Asks the node of `cfg` for its history, on its control socket (or, with TLS, its control
/// TCP listener): its status line and its transitions.
///
/// # Errors
/// What failed, for the operator.
pub async fn fetch(cfg: &Config) -> Result<Answer, String> {
    let (stream, to): (crate::client::ClientStream, String) =
        match (&cfg.control_socket, cfg.control_tcp) {
            (Some(path), _) => {
                let s = tokio::net::UnixStream::connect(path)
                    .await
                    .map_err(|e| format!("cannot connect to {}: {e}", path.display()))?;
                (Box::new(s), path.display().to_string())
            }
            (None, Some(address)) => {
                let tls = crate::config::load_tls(cfg)
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("{}: control_tcp without [tls]", cfg.path.display()))?;
                let (s, _) = crate::client::connect(address, Some(&tls), Duration::from_secs(2))
                    .await
                    .map_err(|e| e.to_string())?;
                (s, address.to_string())
            }
            (None, None) => {
                return Err(format!(
                    "{}: --history asks the node's control socket: no listen.control_socket or \
                 listen.control_tcp",
                    cfg.path.display()
                ))
            }
        };
    let (read, mut write) = tokio::io::split(stream);
    write
        .write_all(format!("{COMMAND}\n").as_bytes())
        .await
        .map_err(|e| format!("cannot send to {to}: {e}"))?;
    let mut line = String::new();
    let mut reader = BufReader::new(read.take(MAX_ANSWER));
    tokio::time::timeout(Duration::from_secs(5), reader.read_line(&mut line))
        .await
        .map_err(|_| format!("no answer from {to} in 5 s"))?
        .map_err(|e| format!("cannot read the answer of {to}: {e}"))?;
    parse(line.trim()).map_err(|e| format!("{to}: {e}"))
}

/// The status line and the history from the control socket's answer.
///
/// # Errors
/// An `error: …` answer, or one that is not the JSON expected.
pub fn parse(answer: &str) -> Result<Answer, String> {
    let Some(doc) = answer.strip_prefix("ok: ") else {
        return Err(if answer.is_empty() {
            "closed the connection without an answer".to_owned()
        } else {
            answer.to_owned()
        });
    };
    let doc: Value = serde_json::from_str(doc).map_err(|e| format!("not JSON: {e}"))?;
    let status = doc["status"].as_str().ok_or("no status")?.to_owned();
    let history = doc["history"].as_array().ok_or("no history")?.clone();
    let replication = match &doc["replication"] {
        Value::Null => json!({}),
        r => r.clone(),
    };
    Ok(Answer {
        status,
        history,
        replication,
    })
}
