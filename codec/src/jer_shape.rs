//! Strict JER (X.697) structure, checked before rasn's JER decoder.
//!
//! rasn 0.30's JER decoder is lenient where X.697 is not: it matches CHOICE alternatives
//! without regard to case (`heartbeat` for `heartBeat`), takes the first of several
//! alternatives, and ignores unknown members. This module checks the JSON against the
//! ASN.1 structure of the five messages first: exact identifiers, every member present,
//! no other members, exactly one alternative, strings where strings belong, ENUMERATED
//! values by identifier, non-negative integers for the INTEGERs, hex strings for the OCTET
//! STRINGs and arrays for the `SEQUENCE OF`s of the replication module.

use serde_json::Value;

/// The JER shape of an ASN.1 type in the five modules.
enum Shape {
    /// SEQUENCE: an object with exactly these members (none is OPTIONAL here).
    Seq(&'static [(&'static str, Shape)]),
    /// CHOICE: an object with exactly one member, one of these.
    Choice(&'static [(&'static str, Shape)]),
    /// A character string.
    Text,
    /// ENUMERATED: a string, one of these identifiers.
    Enum(&'static [&'static str]),
    /// INTEGER (0..2^63-1 or narrower): a non-negative integer number (rasn checks the range).
    Int,
    /// OCTET STRING: a string of hexadecimal digits, two per octet (X.697 24).
    Hex,
    /// SEQUENCE OF: an array of these.
    List(&'static Shape),
}

use Shape::{Choice, Enum, Hex, Int, List, Seq, Text};

const CANDIDATE_PAIR: Shape = Seq(&[("active", Text), ("standby", Text)]);
const BILL_OF_HEALTH: Shape = Seq(&[("billOfHealth", Seq(&[("status", Enum(&["ok", "failed"]))]))]);
const STATUS: Shape = Seq(&[("status", Text)]);

const ELECTION: Shape = Seq(&[
    ("correlationId", Text),
    (
        "message",
        Choice(&[
            ("nominationMsg", Seq(&[("nominee", Text)])),
            (
                "electionResult",
                Choice(&[
                    ("electionError", Seq(&[("description", Text)])),
                    ("assigment", CANDIDATE_PAIR),
                    ("veto", CANDIDATE_PAIR),
                ]),
            ),
        ]),
    ),
]);

const ROLE: Shape = Seq(&[
    ("correlationId", Text),
    (
        "message",
        Choice(&[
            ("setRole", Seq(&[("role", Enum(&["active", "standby"]))])),
            (
                "setRoleResponse",
                Seq(&[("returnCode", Enum(&["success", "failure"]))]),
            ),
        ]),
    ),
]);

const MONITOR: Shape = Seq(&[
    ("correlationId", Text),
    ("componentId", Text),
    (
        "message",
        Choice(&[
            ("healthQuery", Seq(&[])),
            ("healthQueryResponse", BILL_OF_HEALTH),
            ("heartBeat", BILL_OF_HEALTH),
        ]),
    ),
]);

const SERVICE_STATUS: Shape = Seq(&[
    ("correlationId", Text),
    (
        "message",
        Choice(&[
            ("getStatus", Seq(&[])),
            ("statusIndication", STATUS),
            ("getStatusResponse", STATUS),
        ]),
    ),
]);

const RECORD_KEY: Shape = Seq(&[("applicationId", Text), ("dataType", Text), ("key", Hex)]);
const ENTRY: Shape = Seq(&[("recordKey", RECORD_KEY), ("value", Hex)]);

const REPLICATION: Shape = Seq(&[
    ("correlationId", Text),
    (
        "message",
        Choice(&[
            (
                "update",
                Seq(&[
                    ("generation", Int),
                    ("sequenceNumber", Int),
                    (
                        "operations",
                        List(&Choice(&[
                            ("add", ENTRY),
                            ("modify", ENTRY),
                            ("delete", RECORD_KEY),
                        ])),
                    ),
                ]),
            ),
            (
                "updateAck",
                Seq(&[("generation", Int), ("highestContiguous", Int)]),
            ),
            (
                "syncRequest",
                Seq(&[(
                    "start",
                    Choice(&[("full", Seq(&[])), ("fromSequenceNumber", Int)]),
                )]),
            ),
            (
                "syncChunk",
                Seq(&[("generation", Int), ("entries", List(&ENTRY))]),
            ),
            (
                "syncDone",
                Seq(&[
                    ("generation", Int),
                    ("sequenceNumber", Int),
                    ("entryCount", Int),
                ]),
            ),
            (
                "audit",
                Seq(&[
                    ("generation", Int),
                    ("sequenceNumber", Int),
                    ("entryCount", Int),
                    ("digest", Hex),
                ]),
            ),
            (
                "auditResponse",
                Seq(&[
                    ("result", Enum(&["consistent", "inconsistent"])),
                    ("sequenceNumber", Int),
                    ("entryCount", Int),
                    ("digest", Hex),
                ]),
            ),
            (
                "replicationError",
                Seq(&[
                    (
                        "code",
                        Enum(&[
                            "staleGeneration",
                            "outOfSequence",
                            "repertoryFull",
                            "syncRequired",
                            "malformedRequest",
                        ]),
                    ),
                    ("description", Text),
                ]),
            ),
        ]),
    ),
]);

fn shape_of(top: &str) -> Option<&'static Shape> {
    match top {
        "ElectionMessage" => Some(&ELECTION),
        "RoleMessage" => Some(&ROLE),
        "HealthMonitorMessage" => Some(&MONITOR),
        "ServiceStatusMessage" => Some(&SERVICE_STATUS),
        "ReplicationMessage" => Some(&REPLICATION),
        _ => None,
    }
}

/// Checks `text` against the JER structure of top-level type `top`. On failure returns the
/// path of the offending member and what is wrong.
pub(crate) fn check(top: &'static str, text: &str) -> Result<(), (String, String)> {
    let Some(shape) = shape_of(top) else {
        return Ok(());
    };
    let value: Value =
        serde_json::from_str(text).map_err(|e| (top.to_owned(), format!("not JSON: {e}")))?;
    let mut path = top.to_owned();
    walk(shape, &value, &mut path).map_err(|detail| (path, detail))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Walks `value`; on error `path` is left pointing at the offending member.
fn walk(shape: &Shape, value: &Value, path: &mut String) -> Result<(), String> {
    match shape {
        Text => match value {
            Value::String(_) => Ok(()),
            other => Err(format!("expected a string, found {}", kind(other))),
        },
        Enum(ids) => match value {
            Value::String(s) if ids.contains(&s.as_str()) => Ok(()),
            Value::String(s) => Err(format!("{s:?} is not one of {}", ids.join(", "))),
            other => Err(format!(
                "expected an identifier string, found {}",
                kind(other)
            )),
        },
        Int => match value {
            Value::Number(n) if n.is_u64() => Ok(()),
            Value::Number(n) => Err(format!("{n} is not a non-negative integer")),
            other => Err(format!("expected an integer, found {}", kind(other))),
        },
        Hex => match value {
            Value::String(s) if s.len() % 2 == 0 && s.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Ok(())
            }
            Value::String(_) => {
                Err("expected hexadecimal digits, two per octet (OCTET STRING)".to_owned())
            }
            other => Err(format!("expected a hex string, found {}", kind(other))),
        },
        List(item) => {
            let Value::Array(items) = value else {
                return Err(format!(
                    "expected an array (SEQUENCE OF), found {}",
                    kind(value)
                ));
            };
            let len = path.len();
            for (i, v) in items.iter().enumerate() {
                path.push_str(&format!("[{i}]"));
                walk(item, v, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        Seq(fields) => {
            let Value::Object(map) = value else {
                return Err(format!(
                    "expected an object (SEQUENCE), found {}",
                    kind(value)
                ));
            };
            if let Some(extra) = map.keys().find(|k| !fields.iter().any(|(f, _)| f == k)) {
                return Err(format!("unknown member {extra:?}"));
            }
            for (name, field) in *fields {
                let Some(v) = map.get(*name) else {
                    return Err(format!("missing member {name:?}"));
                };
                let len = path.len();
                path.push('.');
                path.push_str(name);
                walk(field, v, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        Choice(alternatives) => {
            let Value::Object(map) = value else {
                return Err(format!(
                    "expected an object (CHOICE), found {}",
                    kind(value)
                ));
            };
            let mut members = map.iter();
            let (Some((name, v)), None) = (members.next(), members.next()) else {
                return Err(format!(
                    "a CHOICE has exactly one alternative, found {}",
                    map.len()
                ));
            };
            let Some((_, alt)) = alternatives.iter().find(|(a, _)| a == name) else {
                let names: Vec<_> = alternatives.iter().map(|(a, _)| *a).collect();
                return Err(format!(
                    "unknown alternative {name:?} (expected one of {})",
                    names.join(", ")
                ));
            };
            path.push('.');
            path.push_str(name);
            walk(alt, v, path)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(top: &'static str, text: &str) -> String {
        let (path, detail) = check(top, text).unwrap_err();
        format!("{path}: {detail}")
    }

    #[test]
    fn valid_messages_pass() {
        check(
            "HealthMonitorMessage",
            r#"{"correlationId":"7","componentId":"1","message":{"healthQuery":{}}}"#,
        )
        .unwrap();
        check(
            "ElectionMessage",
            r#"{"correlationId":"","message":{"electionResult":{"veto":{"active":"a","standby":"b"}}}}"#,
        )
        .unwrap();
    }

    #[test]
    fn identifiers_are_case_sensitive_and_exact() {
        assert_eq!(
            err(
                "HealthMonitorMessage",
                r#"{"correlationId":"7","componentId":"1","message":{"heartbeat":{"billOfHealth":{"status":"ok"}}}}"#
            ),
            "HealthMonitorMessage.message: unknown alternative \"heartbeat\" (expected one of healthQuery, healthQueryResponse, heartBeat)"
        );
        assert_eq!(
            err(
                "ServiceStatusMessage",
                r#"{"correlationId":"1","message":{"getStatus":{},"statusIndication":{"status":"x"}}}"#
            ),
            "ServiceStatusMessage.message: a CHOICE has exactly one alternative, found 2"
        );
        assert_eq!(
            err(
                "ElectionMessage",
                r#"{"correlationId":"1","message":{"nominationMsg":{"nominee":"a"}},"priority":1}"#
            ),
            "ElectionMessage: unknown member \"priority\""
        );
        assert_eq!(
            err(
                "RoleMessage",
                r#"{"correlationId":"1","message":{"setRole":{"role":"Active"}}}"#
            ),
            "RoleMessage.message.setRole.role: \"Active\" is not one of active, standby"
        );
        assert_eq!(
            err(
                "ElectionMessage",
                r#"{"correlationId":42,"message":{"nominationMsg":{"nominee":"a"}}}"#
            ),
            "ElectionMessage.correlationId: expected a string, found a number"
        );
    }
}
