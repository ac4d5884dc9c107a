//! The vector files in `conformance/vectors/`, made by an independent implementation.
//!
//! `valid.json`: `{"vectors": [{"name", "interface", "value" (JER), "encodings": {rule: hex,
//! "jer": text}}]}`. `malformed.json`: `{"vectors": [{"name", "interface", "encoding", "hex"
//! or "text", "kind", "field"?}]}`. Both are written by `conformance/peer/gen_vectors.py`.

use baton_codec::{Encoding, Interface};
use serde_json::Value;
use std::path::PathBuf;

/// A value and its encodings by the independent implementation.
#[derive(Debug, Clone)]
pub struct ValidVector {
    /// Unique name, e.g. `election-nomination`.
    pub name: String,
    /// The message's interface.
    pub interface: Interface,
    /// The value in JER, as the peer writes it.
    pub value: Value,
    /// The peer's encoding in each rule it shares with baton (JER as its UTF-8 text).
    pub encodings: Vec<(Encoding, Vec<u8>)>,
}

/// What a malformed vector breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MalformedKind {
    /// A string over its `SIZE(0..16)`.
    Size,
    /// A NumericString with a character other than a digit or space.
    Alphabet,
    /// An INTEGER outside its range (PROTOCOL 2.8).
    Range,
    /// A CHOICE alternative that does not exist.
    UnknownChoice,
    /// A valid encoding cut short.
    Truncated,
    /// A valid encoding followed by more bytes.
    Trailing,
    /// A declared length far beyond the data.
    HugeLength,
    /// An indefinite length where the rule forbids it.
    IndefiniteLength,
    /// JER that is not JSON, or not of the type.
    BadJson,
}

impl MalformedKind {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "size" => Self::Size,
            "alphabet" => Self::Alphabet,
            "range" => Self::Range,
            "unknown-choice" => Self::UnknownChoice,
            "truncated" => Self::Truncated,
            "trailing" => Self::Trailing,
            "huge-length" => Self::HugeLength,
            "indefinite-length" => Self::IndefiniteLength,
            "bad-json" => Self::BadJson,
            _ => return None,
        })
    }
}

/// An input every conforming decoder refuses.
#[derive(Debug, Clone)]
pub struct MalformedVector {
    /// Unique name.
    pub name: String,
    /// The interface it is decoded as.
    pub interface: Interface,
    /// The rule it is decoded in.
    pub encoding: Encoding,
    /// The input.
    pub bytes: Vec<u8>,
    /// What is wrong with it.
    pub kind: MalformedKind,
    /// For `Size`, `Alphabet` and `Range`: the ASN.1 path of the broken field.
    pub field: Option<String>,
}

/// The folder holding the vector files.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

fn load(file: &str) -> Result<Vec<Value>, String> {
    let path = dir().join(file);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    match doc.get("vectors") {
        Some(Value::Array(v)) => Ok(v.clone()),
        _ => Err(format!("{}: no \"vectors\" array", path.display())),
    }
}

fn str_field<'a>(v: &'a Value, key: &str, name: &str) -> Result<&'a str, String> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("vector {name:?}: no string {key:?}"))
}

fn bytes_of(encoding: Encoding, v: &Value, name: &str) -> Result<Vec<u8>, String> {
    let s = v
        .as_str()
        .ok_or_else(|| format!("vector {name:?}: {encoding} is not a string"))?;
    if encoding.is_text() {
        Ok(s.as_bytes().to_vec())
    } else {
        hex::decode(s).map_err(|e| format!("vector {name:?}: {encoding}: {e}"))
    }
}

/// Loads `valid.json`.
///
/// # Errors
/// A message naming the file or vector that could not be read.
pub fn valid() -> Result<Vec<ValidVector>, String> {
    load("valid.json")?
        .iter()
        .map(|v| {
            let name = str_field(v, "name", "?")?.to_owned();
            let interface = str_field(v, "interface", &name)?
                .parse()
                .map_err(|e| format!("vector {name:?}: {e}"))?;
            let value = v.get("value").cloned().ok_or("no value")?;
            let mut encodings = Vec::new();
            if let Some(Value::Object(map)) = v.get("encodings") {
                for (rule, enc) in map {
                    let encoding: Encoding =
                        rule.parse().map_err(|e| format!("vector {name:?}: {e}"))?;
                    encodings.push((encoding, bytes_of(encoding, enc, &name)?));
                }
            }
            Ok(ValidVector {
                name,
                interface,
                value,
                encodings,
            })
        })
        .collect()
}

/// Loads `malformed.json`.
///
/// # Errors
/// A message naming the file or vector that could not be read.
pub fn malformed() -> Result<Vec<MalformedVector>, String> {
    load("malformed.json")?
        .iter()
        .map(|v| {
            let name = str_field(v, "name", "?")?.to_owned();
            let interface = str_field(v, "interface", &name)?
                .parse()
                .map_err(|e| format!("vector {name:?}: {e}"))?;
            let encoding: Encoding = str_field(v, "encoding", &name)?
                .parse()
                .map_err(|e| format!("vector {name:?}: {e}"))?;
            let bytes = match (v.get("hex"), v.get("text")) {
                (Some(h), _) if !encoding.is_text() => bytes_of(encoding, h, &name)?,
                (_, Some(Value::String(t))) => t.as_bytes().to_vec(),
                _ => return Err(format!("vector {name:?}: no hex or text")),
            };
            let kind_name = str_field(v, "kind", &name)?;
            let kind = MalformedKind::parse(kind_name)
                .ok_or_else(|| format!("vector {name:?}: unknown kind {kind_name:?}"))?;
            let field = v.get("field").and_then(Value::as_str).map(str::to_owned);
            Ok(MalformedVector {
                name,
                interface,
                encoding,
                bytes,
                kind,
                field,
            })
        })
        .collect()
}
