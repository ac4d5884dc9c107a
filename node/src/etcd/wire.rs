//! The JSON of etcd's gRPC gateway (v3 API over HTTP/1.1): the request bodies baton sends
//! and the typed reading of the answers. Pure: no I/O. int64 fields travel as decimal
//! strings, keys and values as base64; an answer that is not what etcd sends is an
//! [`WireError`] naming the field.

use baton_election::{LeaderKey, LeaseId};
use serde_json::{json, Value};

/// An answer that is not what etcd sends.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Not JSON.
    #[error("answer is not JSON: {0}")]
    NotJson(String),
    /// etcd answered an error (`code`, message).
    #[error("etcd error {code}: {message}")]
    Etcd {
        /// The gRPC status code.
        code: i64,
        /// The message.
        message: String,
    },
    /// A field is missing or of the wrong kind.
    #[error("answer field {0} missing or malformed")]
    Field(&'static str),
}

impl WireError {
    /// etcd says the lease does not exist.
    pub fn lease_not_found(&self) -> bool {
        matches!(self, WireError::Etcd { message, .. } if message.contains("lease not found"))
    }
}

/// The leader key of the cluster under `prefix`.
pub fn leader_key(prefix: &str) -> String {
    format!("{prefix}/leader")
}

/// The value a member writes: its name, and ` released` once it resigns.
pub fn value(name: &str, released: bool) -> String {
    if released {
        format!("{name} released")
    } else {
        name.to_owned()
    }
}

/// `POST /v3/lease/grant`.
pub fn grant(ttl_s: u64) -> Value {
    json!({ "TTL": ttl_s.to_string(), "ID": "0" })
}

/// `POST /v3/lease/keepalive` and `/v3/lease/revoke`.
pub fn lease(id: LeaseId) -> Value {
    json!({ "ID": id.0.to_string() })
}

/// `POST /v3/kv/txn`: create `key` with `value` on `lease` if its create revision is 0;
/// otherwise read it.
pub fn campaign(key: &str, value: &str, lease: LeaseId) -> Value {
    let k = b64(key.as_bytes());
    json!({
        "compare": [{ "key": k, "result": "EQUAL", "target": "CREATE", "create_revision": "0" }],
        "success": [{ "request_put": { "key": k, "value": b64(value.as_bytes()), "lease": lease.0.to_string() } }],
        "failure": [{ "request_range": { "key": k } }],
    })
}

/// `POST /v3/kv/txn`: if `key` still has create revision `revision`, write `value` on
/// `lease` (the released mark before the lease is revoked).
pub fn mark(key: &str, revision: i64, value: &str, lease: LeaseId) -> Value {
    let k = b64(key.as_bytes());
    json!({
        "compare": [{ "key": k, "result": "EQUAL", "target": "CREATE", "create_revision": revision.to_string() }],
        "success": [{ "request_put": { "key": k, "value": b64(value.as_bytes()), "lease": lease.0.to_string() } }],
    })
}

/// `POST /v3/kv/range` for one key.
pub fn range(key: &str) -> Value {
    json!({ "key": b64(key.as_bytes()) })
}

/// `POST /v3/watch`: watch `key` from `start_revision`.
pub fn watch(key: &str, start_revision: i64) -> Value {
    json!({ "create_request": { "key": b64(key.as_bytes()), "start_revision": start_revision.to_string() } })
}

fn parse(body: &[u8]) -> Result<Value, WireError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| WireError::NotJson(e.to_string()))?;
    if let Some(err) = v.get("error") {
        let message = err
            .as_str()
            .map(str::to_owned)
            .or_else(|| {
                err.get("message")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| err.to_string());
        let code = v
            .get("code")
            .or_else(|| err.get("grpc_code"))
            .and_then(Value::as_i64)
            .unwrap_or(0);
        return Err(WireError::Etcd { code, message });
    }
    Ok(v)
}

/// An int64 as the gateway writes it (a string; absent means 0).
fn int(v: &Value, field: &'static str) -> Result<i64, WireError> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::String(s)) => s.parse().map_err(|_| WireError::Field(field)),
        Some(Value::Number(n)) => n.as_i64().ok_or(WireError::Field(field)),
        Some(_) => Err(WireError::Field(field)),
    }
}

fn header_revision(v: &Value) -> Result<i64, WireError> {
    int(
        v.get("header").ok_or(WireError::Field("header"))?,
        "revision",
    )
}

/// The lease of a grant answer.
pub fn granted(body: &[u8]) -> Result<LeaseId, WireError> {
    let v = parse(body)?;
    match int(&v, "ID")? {
        0 => Err(WireError::Field("ID")),
        id => Ok(LeaseId(id)),
    }
}

/// A keep-alive answer: `Ok(true)` renewed, `Ok(false)` the lease is gone (TTL ≤ 0).
pub fn kept_alive(body: &[u8]) -> Result<bool, WireError> {
    let v = parse(body)?;
    let result = v.get("result").ok_or(WireError::Field("result"))?;
    if let Some(err) = result.get("error") {
        return Err(WireError::Etcd {
            code: 0,
            message: err.to_string(),
        });
    }
    Ok(int(result, "TTL")? > 0)
}

/// A campaign's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Campaign {
    /// The key was created: its create revision.
    Won(i64),
    /// The key exists, held as this (`None`: it went between compare and read, or its
    /// value names no one).
    Lost(Option<LeaderKey>),
}

/// A campaign transaction's answer.
pub fn campaigned(body: &[u8]) -> Result<Campaign, WireError> {
    let v = parse(body)?;
    if v.get("succeeded").and_then(Value::as_bool) == Some(true) {
        return Ok(Campaign::Won(header_revision(&v)?));
    }
    let kvs = v
        .get("responses")
        .and_then(|r| r.get(0))
        .and_then(|r| r.get("response_range"))
        .and_then(|r| r.get("kvs"));
    let key = match kvs.and_then(|k| k.get(0)) {
        None => None,
        Some(kv) => leader(kv)?,
    };
    Ok(Campaign::Lost(key))
}

/// A range answer: the key, and the revision of the store it was read at.
pub fn ranged(body: &[u8]) -> Result<(Option<LeaderKey>, i64), WireError> {
    let v = parse(body)?;
    let revision = header_revision(&v)?;
    let key = match v.get("kvs").and_then(|k| k.get(0)) {
        None => None,
        Some(kv) => leader(kv)?,
    };
    Ok((key, revision))
}

/// What one watch message says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Watched {
    /// The watch is set up (or a progress note): nothing changed.
    Nothing,
    /// The key's latest state in this message.
    Key(Option<LeaderKey>),
    /// etcd cancelled the watch (compaction, error): read and watch again.
    Cancelled,
}

/// One message of a watch stream.
pub fn watched(line: &[u8]) -> Result<Watched, WireError> {
    let v = parse(line)?;
    let result = v.get("result").ok_or(WireError::Field("result"))?;
    if result.get("canceled").and_then(Value::as_bool) == Some(true) {
        return Ok(Watched::Cancelled);
    }
    let Some(events) = result.get("events").and_then(Value::as_array) else {
        return Ok(Watched::Nothing);
    };
    let Some(last) = events.last() else {
        return Ok(Watched::Nothing);
    };
    if last.get("type").and_then(Value::as_str) == Some("DELETE") {
        return Ok(Watched::Key(None));
    }
    let kv = last.get("kv").ok_or(WireError::Field("events.kv"))?;
    Ok(Watched::Key(leader(kv)?))
}

/// A key-value as the leader key (`None` when its value names no one).
fn leader(kv: &Value) -> Result<Option<LeaderKey>, WireError> {
    let raw = kv
        .get("value")
        .and_then(Value::as_str)
        .map(unb64)
        .transpose()?
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&raw);
    let mut words = text.split_whitespace();
    let Some(name) = words.next() else {
        return Ok(None);
    };
    Ok(Some(LeaderKey {
        name: name.to_owned(),
        revision: int(kv, "create_revision")?,
        lease: LeaseId(int(kv, "lease")?),
        released: words.next() == Some("released"),
    }))
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn b64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64 (padding optional).
pub fn unb64(s: &str) -> Result<Vec<u8>, WireError> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = ALPHABET
            .iter()
            .position(|a| *a == c)
            .ok_or(WireError::Field("value (base64)"))? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_and_refuses_junk() {
        for s in ["", "a", "ab", "abc", "/baton/x/leader", "alpha released"] {
            assert_eq!(unb64(&b64(s.as_bytes())).unwrap(), s.as_bytes());
        }
        assert_eq!(b64(b"/baton/x/leader"), "L2JhdG9uL3gvbGVhZGVy");
        assert_eq!(unb64("YWxwaGE=").unwrap(), b"alpha");
        assert_eq!(unb64("a!b"), Err(WireError::Field("value (base64)")));
    }

    /// Answers as etcd 3.4.23's gateway wrote them.
    #[test]
    fn reads_etcd_answers() {
        let g = br#"{"header":{"cluster_id":"1","member_id":"2","revision":"1","raft_term":"2"},"ID":"4111120476092515845","TTL":"2"}"#;
        assert_eq!(granted(g), Ok(LeaseId(4111120476092515845)));
        let won = br#"{"header":{"revision":"2"},"succeeded":true,"responses":[{"response_put":{"header":{"revision":"2"}}}]}"#;
        assert_eq!(campaigned(won), Ok(Campaign::Won(2)));
        let lost = br#"{"header":{"revision":"2"},"responses":[{"response_range":{"header":{"revision":"2"},"kvs":[{"key":"L2JhdG9uL3gvbGVhZGVy","create_revision":"2","mod_revision":"2","version":"1","value":"YWxwaGE=","lease":"4111120476092515847"}],"count":"1"}}]}"#;
        assert_eq!(
            campaigned(lost),
            Ok(Campaign::Lost(Some(LeaderKey {
                name: "alpha".into(),
                revision: 2,
                lease: LeaseId(4111120476092515847),
                released: false
            })))
        );
        let alive = br#"{"result":{"header":{"revision":"2"},"ID":"41","TTL":"5"}}"#;
        assert_eq!(kept_alive(alive), Ok(true));
        let gone = br#"{"result":{"header":{"revision":"2"},"ID":"123"}}"#;
        assert_eq!(kept_alive(gone), Ok(false));
        let err = br#"{"error":"etcdserver: requested lease not found","message":"etcdserver: requested lease not found","code":5}"#;
        let e = granted(err).unwrap_err();
        assert!(e.lease_not_found(), "{e}");
        let empty = br#"{"header":{"revision":"3"}}"#;
        assert_eq!(ranged(empty), Ok((None, 3)));
        let del = br#"{"result":{"header":{"revision":"3"},"events":[{"type":"DELETE","kv":{"key":"L2JhdG9uL3gvbGVhZGVy","mod_revision":"3"}}]}}"#;
        assert_eq!(watched(del), Ok(Watched::Key(None)));
        let created = br#"{"result":{"header":{"revision":"2"},"created":true}}"#;
        assert_eq!(watched(created), Ok(Watched::Nothing));
        let put = format!(
            r#"{{"result":{{"header":{{"revision":"9"}},"events":[{{"kv":{{"key":"x","create_revision":"4","mod_revision":"9","value":"{}","lease":"7"}}}}]}}}}"#,
            b64(b"beta released")
        );
        assert_eq!(
            watched(put.as_bytes()),
            Ok(Watched::Key(Some(LeaderKey {
                name: "beta".into(),
                revision: 4,
                lease: LeaseId(7),
                released: true
            })))
        );
    }

    #[test]
    fn refuses_what_etcd_does_not_send() {
        assert!(matches!(granted(b"<html>"), Err(WireError::NotJson(_))));
        assert_eq!(granted(br#"{"ID":"x"}"#), Err(WireError::Field("ID")));
        assert_eq!(ranged(br#"{"kvs":[]}"#), Err(WireError::Field("header")));
        assert_eq!(watched(br#"{"x":1}"#), Err(WireError::Field("result")));
        let bad_rev =
            br#"{"header":{"revision":"2"},"kvs":[{"value":"YQ==","create_revision":[1]}]}"#;
        assert_eq!(ranged(bad_rev), Err(WireError::Field("create_revision")));
    }

    #[test]
    fn builds_the_campaign_transaction() {
        let t = campaign("/b/leader", "alpha", LeaseId(7));
        assert_eq!(t["compare"][0]["target"], "CREATE");
        assert_eq!(t["compare"][0]["create_revision"], "0");
        assert_eq!(t["success"][0]["request_put"]["lease"], "7");
        assert_eq!(t["success"][0]["request_put"]["value"], b64(b"alpha"));
        assert_eq!(t["failure"][0]["request_range"]["key"], b64(b"/b/leader"));
        assert_eq!(grant(2), json!({"TTL": "2", "ID": "0"}));
    }
}
