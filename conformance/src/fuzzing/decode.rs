//! `decode`: any bytes as any top-level message in any rule.

use baton_asn1::{election, monitor, replication, role, status};
use baton_codec::{decode, encode, DecodeErrorKind, Encoding, Interface, Pdu};

/// The first byte picks the rule (bits 0-2, in [`Encoding::ALL`] order) and the interface
/// (bits 3-4, in [`Interface::ALL`] order); the rest is decoded as that interface's
/// top-level message. See [`check_decode_in`] for what is checked.
///
/// # Errors
/// The property that failed.
pub fn check_decode(data: &[u8]) -> Result<(), String> {
    let Some((&selector, bytes)) = data.split_first() else {
        return Ok(());
    };
    let rule = Encoding::ALL[usize::from(selector & 7)];
    let interface = Interface::ALL[usize::from((selector >> 3) & 3)];
    check_decode_in(rule, interface, bytes)
}

/// Decodes `bytes` as `interface`'s top-level message in `rule`, and checks:
/// - a decoded value meets every constraint, encodes again in `rule`, and that encoding
///   decodes to the same value;
/// - an error names the message and the rule, its field path starts at the top-level type,
///   its text starts with that path, and a `TrailingBytes(n)` count is within the input;
/// - in UPER, baton's direct decoder makes the same decision, with the same value, as rasn's
///   UPER decoder with baton's rules on top (whole input, constraints).
///
/// # Errors
/// The property that failed.
pub fn check_decode_in(rule: Encoding, interface: Interface, bytes: &[u8]) -> Result<(), String> {
    match interface {
        Interface::Election => one::<election::ElectionMessage>(rule, bytes),
        Interface::Role => one::<role::RoleMessage>(rule, bytes),
        Interface::Monitor => one::<monitor::HealthMonitorMessage>(rule, bytes),
        Interface::Status => one::<status::ServiceStatusMessage>(rule, bytes),
        Interface::Replication => one::<replication::ReplicationMessage>(rule, bytes),
    }
}

fn one<T: Pdu>(rule: Encoding, bytes: &[u8]) -> Result<(), String> {
    let what = || format!("{} in {rule} from {}", T::NAME, hex(bytes));
    let result = decode::<T>(rule, bytes);
    match &result {
        Ok(value) => {
            value
                .validate()
                .map_err(|e| format!("{}: decoded value breaks a constraint: {e}", what()))?;
            let again = encode(rule, value)
                .map_err(|e| format!("{}: decoded value does not encode: {e}", what()))?;
            let back = decode::<T>(rule, &again).map_err(|e| {
                format!(
                    "{}: re-encoding {} does not decode: {e}",
                    what(),
                    hex(&again)
                )
            })?;
            if &back != value {
                return Err(format!(
                    "{}: decoded {value:?}, re-encoded and decoded {back:?}",
                    what()
                ));
            }
        }
        Err(e) => {
            if e.message != T::NAME || e.encoding != rule {
                return Err(format!(
                    "{}: error names {} in {}",
                    what(),
                    e.message,
                    e.encoding
                ));
            }
            let path = match &e.kind {
                DecodeErrorKind::Constraint(c) => c.path.as_str(),
                DecodeErrorKind::Malformed { path, .. } => path.as_str(),
                DecodeErrorKind::TrailingBytes(n) => {
                    if *n == 0 || *n > bytes.len() {
                        return Err(format!("{}: {n} trailing bytes", what()));
                    }
                    T::NAME
                }
            };
            let text = e.to_string();
            if !(path == T::NAME || path.starts_with(&format!("{}.", T::NAME)))
                || !text.starts_with(path)
            {
                return Err(format!("{}: error path {path:?}, text {text:?}", what()));
            }
        }
    }
    if rule == Encoding::Uper {
        let reference = rasn::uper::decode_with_remainder::<T>(bytes)
            .ok()
            .filter(|(v, rest)| rest.is_empty() && v.validate().is_ok())
            .map(|(v, _)| v);
        if result.as_ref().ok() != reference.as_ref() {
            return Err(format!(
                "{}: baton's UPER gives {result:?}, rasn's {reference:?}",
                what()
            ));
        }
    }
    Ok(())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
