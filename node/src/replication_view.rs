//! Replication state for the operator (PROTOCOL 6.11; OPERATIONS, "Replication"): per
//! replicating component `{mode, caught_up, lag_updates, lag_ms, records, bytes, generation,
//! sequence}`, in `baton status --json` (`replication`, keyed by component id), in the
//! control socket's `history` answer, and in the dashboard's `status.json` (`components[]`).

use baton_engine::ReplicationStatus;
use serde_json::{json, Map, Value};

/// One component's replication state as JSON.
pub fn component(s: &ReplicationStatus) -> Value {
    json!({
        "mode": s.mode.word(),
        "caught_up": s.caught_up,
        "lag_updates": s.lag_updates,
        "lag_ms": s.lag_ms,
        "records": s.records,
        "bytes": s.bytes,
        "generation": s.generation,
        "sequence": s.sequence,
    })
}

/// Every replicating component's state, keyed by component id (`{}` with none).
pub fn document(all: &[ReplicationStatus]) -> Value {
    let map: Map<String, Value> = all
        .iter()
        .map(|s| (s.component.clone(), component(s)))
        .collect();
    Value::Object(map)
}

/// `rendered` (a status as `baton status` prints it) with the replication state: a
/// `replication` object in the JSON document, or one line a component after the text.
/// Unchanged when `replication` is empty.
pub fn attach(rendered: &str, json: bool, replication: &Value) -> String {
    let Some(all) = replication.as_object().filter(|m| !m.is_empty()) else {
        return rendered.to_owned();
    };
    if json {
        return match serde_json::from_str::<Value>(rendered) {
            Ok(mut doc) => {
                doc["replication"] = replication.clone();
                doc.to_string()
            }
            Err(_) => rendered.to_owned(),
        };
    }
    let mut out = rendered.to_owned();
    for (id, s) in all {
        out.push_str(&format!(
            "\nreplication {id}: {} {} lag {} updates {} ms, {} records {} bytes",
            s["mode"].as_str().unwrap_or("?"),
            if s["caught_up"].as_bool() == Some(true) {
                "caught-up"
            } else {
                "not-caught-up"
            },
            s["lag_updates"],
            s["lag_ms"],
            s["records"],
            s["bytes"],
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_engine::ReplicationMode;

    fn one() -> ReplicationStatus {
        ReplicationStatus {
            component: "11".into(),
            mode: ReplicationMode::Sync,
            caught_up: true,
            lag_updates: 2,
            lag_ms: 3,
            records: 4,
            bytes: 5,
            generation: 6,
            sequence: 7,
        }
    }

    #[test]
    fn the_document_and_its_attachment() {
        let doc = document(&[one()]);
        assert_eq!(
            doc.to_string(),
            r#"{"11":{"bytes":5,"caught_up":true,"generation":6,"lag_ms":3,"lag_updates":2,"mode":"sync","records":4,"sequence":7}}"#
        );
        let json = attach(r#"{"state":"active"}"#, true, &doc);
        assert_eq!(
            json,
            r#"{"replication":{"11":{"bytes":5,"caught_up":true,"generation":6,"lag_ms":3,"lag_updates":2,"mode":"sync","records":4,"sequence":7}},"state":"active"}"#
        );
        assert_eq!(
            attach("active", false, &doc),
            "active\nreplication 11: sync caught-up lag 2 updates 3 ms, 4 records 5 bytes"
        );
        assert_eq!(attach("active", false, &document(&[])), "active");
    }
}
