//! The malformed vectors of `conformance/vectors/malformed.json` (PROTOCOL 10), made by two
//! ASN.1 tools that share no code with baton, as whole frames to send on a link.

use baton_codec::{Encoding, Interface};
use serde_json::Value;

/// The vectors, compiled in.
const MALFORMED: &str = include_str!("../../conformance/vectors/malformed.json");

/// One malformed message as a frame.
#[derive(Debug, Clone)]
pub struct Case {
    /// The vector's name.
    pub name: String,
    /// What is wrong with it.
    pub description: String,
    /// The whole frame: L, interface id, the bad message.
    pub frame: Vec<u8>,
}

/// Whether a vector's kind breaks a constraint (SIZE, alphabet) rather than the encoding.
fn is_constraint(kind: &str) -> bool {
    matches!(kind, "size" | "alphabet")
}

/// The vectors of `encoding` for `interfaces`: the constraint ones (`constraints`) or the
/// others.
pub fn cases(encoding: Encoding, interfaces: &[Interface], constraints: bool) -> Vec<Case> {
    let Ok(doc) = serde_json::from_str::<Value>(MALFORMED) else {
        return Vec::new();
    };
    let Some(vectors) = doc["vectors"].as_array() else {
        return Vec::new();
    };
    vectors
        .iter()
        .filter(|v| v["encoding"].as_str() == Some(encoding.name()))
        .filter(|v| v["peer_rejects"].as_bool() == Some(true))
        .filter(|v| {
            v["kind"]
                .as_str()
                .is_some_and(|k| is_constraint(k) == constraints)
        })
        .filter_map(|v| {
            let interface = interfaces
                .iter()
                .find(|i| v["interface"].as_str() == Some(i.name()))?;
            let body = match (v["hex"].as_str(), v["text"].as_str()) {
                (Some(h), _) => hex_bytes(h)?,
                (None, Some(t)) => t.as_bytes().to_vec(),
                _ => return None,
            };
            let mut frame = u32::try_from(body.len() + 1).ok()?.to_be_bytes().to_vec();
            frame.push(*interface as u8);
            frame.extend_from_slice(&body);
            Some(Case {
                name: v["name"].as_str().unwrap_or("?").to_owned(),
                description: v["description"].as_str().unwrap_or("").to_owned(),
                frame,
            })
        })
        .collect()
}

/// The cases for a peer link: Election, HealthMonitor and ServiceStatus messages.
pub fn peer_link_cases(encoding: Encoding, constraints: bool) -> Vec<Case> {
    cases(
        encoding,
        &[Interface::Election, Interface::Monitor, Interface::Status],
        constraints,
    )
}

fn hex_bytes(h: &str) -> Option<Vec<u8>> {
    if h.len() % 2 != 0 {
        return None;
    }
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(h.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_constraint_and_encoding_cases_for_peer_links() {
        for e in [Encoding::Der, Encoding::Ber, Encoding::Uper, Encoding::Oer] {
            let c = peer_link_cases(e, true);
            let d = peer_link_cases(e, false);
            assert!(!c.is_empty(), "{e:?} constraint cases");
            assert!(!d.is_empty(), "{e:?} decoding cases");
            for case in c.iter().chain(&d) {
                let l = u32::from_be_bytes([
                    case.frame[0],
                    case.frame[1],
                    case.frame[2],
                    case.frame[3],
                ]);
                assert_eq!(l as usize, case.frame.len() - 4, "{}", case.name);
            }
        }
    }
}
