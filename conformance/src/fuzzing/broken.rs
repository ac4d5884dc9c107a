//! `broken_field`: a valid message from [`arbitrary`], round-tripped, then one field broken.

use super::decode::hex;
use arbitrary::{Arbitrary, Unstructured};
use baton_asn1::{election, monitor, role, status, Violation};
use baton_codec::{AnyMessage, DecodeError, DecodeErrorKind, EncodeError, Encoding};
use rasn::types::NumericString;

/// Digits and spaces for a `NumericString (SIZE(0..16))`: each byte picks a character of
/// `" 0123456789"`; at most 16 are kept.
#[derive(Debug, Clone, Arbitrary)]
pub struct Digits(pub Vec<u8>);

impl Digits {
    fn text(&self) -> String {
        self.0
            .iter()
            .take(16)
            .map(|b| char::from(b" 0123456789"[usize::from(b % 11)]))
            .collect()
    }
}

/// A `Candidate`: any characters, at most 16 kept.
#[derive(Debug, Clone, Arbitrary)]
pub struct Name(pub String);

impl Name {
    fn text(&self) -> String {
        self.0.chars().take(16).collect()
    }
}

/// Every alternative of the four top-level messages, valid by construction.
#[allow(missing_docs)]
#[derive(Debug, Clone, Arbitrary)]
pub enum ValidMessage {
    Nomination {
        id: Digits,
        nominee: Name,
    },
    ElectionError {
        id: Digits,
        description: String,
    },
    Assignment {
        id: Digits,
        active: Name,
        standby: Name,
    },
    Veto {
        id: Digits,
        active: Name,
        standby: Name,
    },
    SetRole {
        id: Digits,
        active: bool,
    },
    SetRoleResponse {
        id: Digits,
        success: bool,
    },
    HealthQuery {
        id: Digits,
        component: Digits,
    },
    HealthQueryResponse {
        id: Digits,
        component: Digits,
        ok: bool,
    },
    HeartBeat {
        id: Digits,
        component: Digits,
        ok: bool,
    },
    GetStatus {
        id: Digits,
    },
    StatusIndication {
        id: Digits,
        status: String,
    },
    GetStatusResponse {
        id: Digits,
        status: String,
    },
}

/// How to break the message (`None`: only the round trip).
#[derive(Debug, Clone, Arbitrary)]
pub enum Breakage {
    /// Nothing: the valid message must round-trip in the rule.
    None,
    /// A `SIZE(0..16)` string field (picked by `field` among the message's) gets
    /// 17 + `extra % 24` characters (digits for a NumericString, `fill` for a Candidate).
    OverLong {
        /// Which sized field.
        field: u8,
        /// Characters beyond 16, modulo 24.
        extra: u8,
        /// The character of an over-long Candidate.
        fill: char,
    },
    /// A NumericString field gets a character outside its alphabet at `position`, patched
    /// into the encoding (in PER: a character index of 11 to 15).
    BadNumeric {
        /// Which NumericString field.
        field: u8,
        /// Where in the string (modulo its length).
        position: u8,
        /// The bad character (mapped out of the alphabet).
        byte: u8,
    },
    /// The encoding cut to `keep` bytes (modulo its length).
    Truncate {
        /// Bytes kept.
        keep: u16,
    },
    /// Bytes appended after the value.
    Trailing {
        /// What is appended (at least one byte).
        tail: Vec<u8>,
    },
    /// A CHOICE of the message (`level` 0: `message`, 1: `electionResult`) set to an
    /// alternative beyond the last one, by encoding a shadow type with one more.
    UnknownChoice {
        /// Which CHOICE.
        level: u8,
    },
}

/// One input of `broken_field`.
#[derive(Debug, Clone, Arbitrary)]
pub struct BrokenInput {
    /// The rule (modulo 8, in [`Encoding::ALL`] order).
    pub rule: u8,
    /// The valid message.
    pub message: ValidMessage,
    /// What to break.
    pub breakage: Breakage,
}

/// [`check_broken_field_input`] of the [`BrokenInput`] built from `data` (as libFuzzer's
/// `fuzz_target!` builds it: `arbitrary_take_rest`).
///
/// # Errors
/// The property that failed.
pub fn check_broken_field(data: &[u8]) -> Result<(), String> {
    match BrokenInput::arbitrary_take_rest(Unstructured::new(data)) {
        Ok(input) => check_broken_field_input(&input),
        Err(_) => Ok(()),
    }
}

/// Builds the valid message, checks that it round-trips in the rule, breaks one field and
/// checks the exact error class:
/// - over-long string: `encode` refuses it with `Constraint` naming the field; where rasn's
///   own encoder writes it anyway, `decode` refuses those bytes with `Constraint(TooLong)`
///   naming the field (or, for a NumericString that rasn itself checks, `Malformed` at that
///   field);
/// - bad NumericString character: `Constraint(NotNumeric)` at the field and position, or
///   `Malformed` at the field where the rule's decoder checks the alphabet itself (rasn's
///   BER family does, and baton's UPER);
/// - truncation: `Malformed`;
/// - trailing bytes: `TrailingBytes(n)` with exactly the bytes appended (JER: `Malformed`,
///   unless they are only JSON whitespace, which JSON allows after a value);
/// - unknown CHOICE alternative: `Malformed` (not checked in PER for a CHOICE of two
///   alternatives, whose 1-bit index always names one).
///
/// # Errors
/// The property that failed.
pub fn check_broken_field_input(input: &BrokenInput) -> Result<(), String> {
    let rule = Encoding::ALL[usize::from(input.rule % 8)];
    let message = build(&input.message, None);
    let bytes = message
        .encode(rule)
        .map_err(|e| format!("{rule}: valid {message:?} does not encode: {e}"))?;
    let back = AnyMessage::decode(message.interface(), rule, &bytes).map_err(|e| {
        format!(
            "{rule}: {message:?} encoded as {} does not decode: {e}",
            hex(&bytes)
        )
    })?;
    if back != message {
        return Err(format!("{rule}: {message:?} round-trips as {back:?}"));
    }
    let fail = |what: String| Err(format!("{rule}: {message:?} ({}): {what}", hex(&bytes)));
    match &input.breakage {
        Breakage::None => Ok(()),
        Breakage::OverLong { field, extra, fill } => {
            let fields = sized_fields(&input.message);
            let (name, numeric) = fields[usize::from(*field) % fields.len()];
            let chars = 17 + usize::from(extra % 24);
            let value = if numeric {
                "7".repeat(chars)
            } else {
                fill.to_string().repeat(chars)
            };
            let long = build(&input.message, Some((name, value)));
            let path = format!("{}.{name}", message.interface().message_name());
            match long.encode(rule) {
                Err(EncodeError::Constraint(c))
                    if c.path == path && c.violation == Violation::TooLong { chars, max: 16 } => {}
                other => return fail(format!("over-long {path}: encode gave {other:?}")),
            }
            let Some(raw) = rasn_encode(rule, &long) else {
                return Ok(());
            };
            match AnyMessage::decode(message.interface(), rule, &raw) {
                Err(DecodeError {
                    kind: DecodeErrorKind::Constraint(c),
                    ..
                }) if c.path == path && c.violation == Violation::TooLong { chars, max: 16 } => {
                    Ok(())
                }
                Err(DecodeError {
                    kind: DecodeErrorKind::Malformed { path: p, .. },
                    ..
                }) if numeric && p == path => Ok(()),
                other => fail(format!(
                    "over-long {path} ({chars} characters) as {}: decode gave {other:?}",
                    hex(&raw)
                )),
            }
        }
        Breakage::BadNumeric {
            field,
            position,
            byte,
        } => {
            let fields: Vec<&str> = sized_fields(&input.message)
                .into_iter()
                .filter(|(_, numeric)| *numeric)
                .map(|(name, _)| name)
                .collect();
            let name = fields[usize::from(*field) % fields.len()];
            let path = format!("{}.{name}", message.interface().message_name());
            let Some((raw, position, bad)) =
                bad_numeric(rule, &input.message, name, *position, *byte)
            else {
                return fail(format!("could not locate {path} in the encoding"));
            };
            match AnyMessage::decode(message.interface(), rule, &raw) {
                Err(DecodeError {
                    kind: DecodeErrorKind::Constraint(c),
                    ..
                }) if c.path == path
                    && c.violation
                        == Violation::NotNumeric {
                            ch: char::from(bad),
                            position,
                        } =>
                {
                    Ok(())
                }
                Err(DecodeError {
                    kind: DecodeErrorKind::Malformed { path: p, .. },
                    ..
                }) if p == path => Ok(()),
                other => fail(format!(
                    "{path} with {bad:#04x} at {position}, as {}: decode gave {other:?}",
                    hex(&raw)
                )),
            }
        }
        Breakage::Truncate { keep } => {
            let cut = &bytes[..usize::from(*keep) % bytes.len()];
            match AnyMessage::decode(message.interface(), rule, cut) {
                Err(DecodeError {
                    kind: DecodeErrorKind::Malformed { .. },
                    ..
                }) => Ok(()),
                other => fail(format!("cut to {}: decode gave {other:?}", hex(cut))),
            }
        }
        Breakage::Trailing { tail } => {
            if tail.is_empty() {
                return Ok(());
            }
            let mut long = bytes.clone();
            long.extend_from_slice(tail);
            let got = AnyMessage::decode(message.interface(), rule, &long);
            let ok = match (&got, rule) {
                (Ok(m), Encoding::Jer) => {
                    m == &message && tail.iter().all(|b| b" \t\r\n".contains(b))
                }
                (
                    Err(DecodeError {
                        kind: DecodeErrorKind::Malformed { .. },
                        ..
                    }),
                    Encoding::Jer,
                ) => !tail.iter().all(|b| b" \t\r\n".contains(b)),
                (
                    Err(DecodeError {
                        kind: DecodeErrorKind::TrailingBytes(n),
                        ..
                    }),
                    _,
                ) => *n == tail.len() && rule != Encoding::Jer,
                _ => false,
            };
            if ok {
                Ok(())
            } else {
                fail(format!("{} appended: decode gave {got:?}", hex(tail)))
            }
        }
        Breakage::UnknownChoice { level } => {
            let Some((raw, alternatives)) = shadow::encode_unknown(rule, &input.message, *level)
            else {
                return Ok(());
            };
            if alternatives == 2 && matches!(rule, Encoding::Uper | Encoding::Aper) {
                return Ok(());
            }
            match AnyMessage::decode(message.interface(), rule, &raw) {
                Err(DecodeError {
                    kind: DecodeErrorKind::Malformed { .. },
                    ..
                }) => Ok(()),
                other => fail(format!(
                    "unknown alternative (level {level}) as {}: decode gave {other:?}",
                    hex(&raw)
                )),
            }
        }
    }
}

/// The message's fields with a `SIZE(0..16)`, as paths below the top-level type, and whether
/// each is a NumericString.
fn sized_fields(m: &ValidMessage) -> Vec<(&'static str, bool)> {
    use ValidMessage as V;
    let mut fields = vec![("correlationId", true)];
    match m {
        V::Nomination { .. } => fields.push(("message.nominationMsg.nominee", false)),
        V::Assignment { .. } => fields.extend([
            ("message.electionResult.assigment.active", false),
            ("message.electionResult.assigment.standby", false),
        ]),
        V::Veto { .. } => fields.extend([
            ("message.electionResult.veto.active", false),
            ("message.electionResult.veto.standby", false),
        ]),
        V::HealthQuery { .. } | V::HealthQueryResponse { .. } | V::HeartBeat { .. } => {
            fields.push(("componentId", true))
        }
        _ => {}
    }
    fields
}

fn numeric(s: &str) -> NumericString {
    NumericString::from_bytes(s.as_bytes()).expect("digits and spaces")
}

/// The message, with the field at `path` (below the top-level type) replaced by `value`.
fn build(m: &ValidMessage, replace: Option<(&str, String)>) -> AnyMessage {
    use ValidMessage as V;
    let field = |name: &str, value: String| match &replace {
        Some((n, v)) if *n == name => v.clone(),
        _ => value,
    };
    let id = |d: &Digits| numeric(&field("correlationId", d.text()));
    let component = |d: &Digits| monitor::ComponentId(numeric(&field("componentId", d.text())));
    let candidate = |path: &str, n: &Name| election::Candidate(field(path, n.text()));
    let election = |d: &Digits, m| {
        AnyMessage::from(election::ElectionMessage::new(
            election::CorrelationId(id(d)),
            m,
        ))
    };
    use election::{ElectionMessageMessage as E, ElectionResult as R};
    use monitor::HealthMonitorMessageMessage as H;
    use role::RoleMessageMessage as Ro;
    use status::ServiceStatusMessageMessage as S;
    let health = |ok: bool| {
        monitor::BillOfHealth::new(if ok {
            monitor::ComponentStatus::ok
        } else {
            monitor::ComponentStatus::failed
        })
    };
    let monitor = |d: &Digits, c: &Digits, m| {
        AnyMessage::from(monitor::HealthMonitorMessage::new(
            monitor::CorrelationId(id(d)),
            component(c),
            m,
        ))
    };
    let status = |d: &Digits, m| {
        AnyMessage::from(status::ServiceStatusMessage::new(
            status::CorrelationId(id(d)),
            m,
        ))
    };
    let role =
        |d: &Digits, m| AnyMessage::from(role::RoleMessage::new(role::CorrelationId(id(d)), m));
    match m {
        V::Nomination { id, nominee } => election(
            id,
            E::nominationMsg(election::NominationMessage::new(candidate(
                "message.nominationMsg.nominee",
                nominee,
            ))),
        ),
        V::ElectionError { id, description } => election(
            id,
            E::electionResult(R::electionError(election::ElectionError::new(
                description.clone(),
            ))),
        ),
        V::Assignment {
            id,
            active,
            standby,
        } => election(
            id,
            E::electionResult(R::assigment(election::Assigment::new(
                candidate("message.electionResult.assigment.active", active),
                candidate("message.electionResult.assigment.standby", standby),
            ))),
        ),
        V::Veto {
            id,
            active,
            standby,
        } => election(
            id,
            E::electionResult(R::veto(election::Veto::new(
                candidate("message.electionResult.veto.active", active),
                candidate("message.electionResult.veto.standby", standby),
            ))),
        ),
        V::SetRole { id, active } => role(
            id,
            Ro::setRole(role::SetRole::new(if *active {
                role::Role::active
            } else {
                role::Role::standby
            })),
        ),
        V::SetRoleResponse { id, success } => role(
            id,
            Ro::setRoleResponse(role::SetRoleResponse::new(if *success {
                role::ReturnCode::success
            } else {
                role::ReturnCode::failure
            })),
        ),
        V::HealthQuery { id, component } => {
            monitor(id, component, H::healthQuery(monitor::HealthQuery {}))
        }
        V::HealthQueryResponse { id, component, ok } => monitor(
            id,
            component,
            H::healthQueryResponse(monitor::HealthQueryResponse::new(health(*ok))),
        ),
        V::HeartBeat { id, component, ok } => monitor(
            id,
            component,
            H::heartBeat(monitor::HeartBeat::new(health(*ok))),
        ),
        V::GetStatus { id } => status(id, S::getStatus(status::GetStatus {})),
        V::StatusIndication { id, status: s } => status(
            id,
            S::statusIndication(status::StatusIndication::new(status::Status(s.clone()))),
        ),
        V::GetStatusResponse { id, status: s } => status(
            id,
            S::getStatusResponse(status::GetStatusResponse::new(status::Status(s.clone()))),
        ),
    }
}

/// rasn's own encoder, without baton's constraint checks (`None` where rasn refuses too).
fn rasn_encode(rule: Encoding, m: &AnyMessage) -> Option<Vec<u8>> {
    fn one<T: rasn::Encode>(rule: Encoding, v: &T) -> Option<Vec<u8>> {
        match rule {
            Encoding::Ber | Encoding::Der => rasn::der::encode(v).ok(),
            Encoding::Cer => rasn::cer::encode(v).ok(),
            Encoding::Uper => rasn::uper::encode(v).ok(),
            Encoding::Aper => rasn::aper::encode(v).ok(),
            Encoding::Oer => rasn::oer::encode(v).ok(),
            Encoding::Coer => rasn::coer::encode(v).ok(),
            Encoding::Jer => rasn::jer::encode(v).ok().map(String::into_bytes),
        }
    }
    match m {
        AnyMessage::Election(v) => one(rule, v),
        AnyMessage::Role(v) => one(rule, v),
        AnyMessage::Monitor(v) => one(rule, v),
        AnyMessage::Status(v) => one(rule, v),
        AnyMessage::Replication(v) => one(rule, v),
    }
}

/// The message encoded with a character outside the NumericString alphabet at `position`
/// of field `name`: returns the bytes, the position (within the string) and the bad byte
/// (in PER: the bad character index). The character is located by encoding the string with
/// `'0'` and with `'8'` there: the encodings differ in one bit, in the character itself
/// (ASCII 0x30/0x38) or in its 4-bit PER index (1/9).
fn bad_numeric(
    rule: Encoding,
    m: &ValidMessage,
    name: &str,
    position: u8,
    byte: u8,
) -> Option<(Vec<u8>, usize, u8)> {
    let current = match (name, m) {
        ("correlationId", _) => id_of(m).text(),
        (_, ValidMessage::HealthQuery { component, .. })
        | (_, ValidMessage::HealthQueryResponse { component, .. })
        | (_, ValidMessage::HeartBeat { component, .. }) => component.text(),
        _ => return None,
    };
    let mut chars: Vec<u8> = current.into_bytes();
    if chars.is_empty() {
        chars.push(b'5');
    }
    let position = usize::from(position) % chars.len();
    let with = |c: u8| {
        let mut s = chars.clone();
        s[position] = c;
        let text = String::from_utf8(s).expect("ascii");
        build(m, Some((name, text))).encode(rule).ok()
    };
    let (zero, eight) = (with(b'0')?, with(b'8')?);
    if zero.len() != eight.len() {
        return None;
    }
    let diffs: Vec<usize> = (0..zero.len() * 8)
        .filter(|&bit| (zero[bit / 8] ^ eight[bit / 8]) & (0x80 >> (bit % 8)) != 0)
        .collect();
    let [bit] = diffs[..] else { return None };
    let mut raw = zero;
    if matches!(rule, Encoding::Uper | Encoding::Aper) {
        // The index's top bit differs: the 4-bit index starts there.
        let bad = 11 + byte % 5;
        for k in 0..4 {
            let b = bit + k;
            let set = bad & (0x8 >> k) != 0;
            let mask = 0x80 >> (b % 8);
            if set {
                raw[b / 8] |= mask;
            } else {
                raw[b / 8] &= !mask;
            }
        }
        Some((raw, position, bad))
    } else {
        // Printable ASCII outside the alphabet, and not `"` or `\` (JER keeps it a string).
        let candidates: Vec<u8> = (0x21..0x7f)
            .filter(|c: &u8| !c.is_ascii_digit() && *c != b'"' && *c != b'\\')
            .collect();
        let bad = candidates[usize::from(byte) % candidates.len()];
        raw[bit / 8] = bad;
        Some((raw, position, bad))
    }
}

fn id_of(m: &ValidMessage) -> &Digits {
    use ValidMessage as V;
    match m {
        V::Nomination { id, .. }
        | V::ElectionError { id, .. }
        | V::Assignment { id, .. }
        | V::Veto { id, .. }
        | V::SetRole { id, .. }
        | V::SetRoleResponse { id, .. }
        | V::HealthQuery { id, .. }
        | V::HealthQueryResponse { id, .. }
        | V::HeartBeat { id, .. }
        | V::GetStatus { id }
        | V::StatusIndication { id, .. }
        | V::GetStatusResponse { id, .. } => id,
    }
}

/// Shadow types: the top-level types with one more alternative in a CHOICE, to write an
/// alternative index the real type does not have, in every rule.
mod shadow {
    // Every alternative is declared for its index (AUTOMATIC TAGS, PER index), only the
    // extra one is built.
    #![allow(non_camel_case_types, missing_docs, dead_code)]
    use super::{build, Encoding, ValidMessage};
    use baton_asn1::{election, monitor, role, status};
    use baton_codec::AnyMessage;
    use rasn::prelude::*;

    #[derive(AsnType, Debug, Clone, Encode, PartialEq)]
    #[rasn(automatic_tags)]
    pub struct Extra {}

    #[derive(AsnType, Debug, Clone, Encode, PartialEq)]
    #[rasn(choice, automatic_tags)]
    pub enum ElectionResultX {
        electionError(election::ElectionError),
        assigment(election::Assigment),
        veto(election::Veto),
        extra(Extra),
    }

    #[derive(AsnType, Debug, Clone, Encode, PartialEq)]
    #[rasn(choice, automatic_tags)]
    pub enum ElectionChoiceX {
        nominationMsg(election::NominationMessage),
        electionResult(ElectionResultX),
        extra(Extra),
    }

    #[derive(AsnType, Debug, Clone, Encode, PartialEq)]
    #[rasn(automatic_tags)]
    pub struct ElectionMessageX {
        #[rasn(identifier = "correlationId")]
        pub correlation_id: election::CorrelationId,
        pub message: ElectionChoiceX,
    }

    #[derive(AsnType, Debug, Clone, Encode, PartialEq)]
    #[rasn(choice, automatic_tags)]
    pub enum RoleChoiceX {
        setRole(role::SetRole),
        setRoleResponse(role::SetRoleResponse),
        extra(Extra),
    }

    #[derive(AsnType, Debug, Clone, Encode, PartialEq)]
    #[rasn(automatic_tags)]
    pub struct RoleMessageX {
        #[rasn(identifier = "correlationId")]
        pub correlation_id: role::CorrelationId,
        pub message: RoleChoiceX,
    }

    #[derive(AsnType, Debug, Clone, Encode, PartialEq)]
    #[rasn(choice, automatic_tags)]
    pub enum MonitorChoiceX {
        healthQuery(monitor::HealthQuery),
        healthQueryResponse(monitor::HealthQueryResponse),
        heartBeat(monitor::HeartBeat),
        extra(Extra),
    }

    #[derive(AsnType, Debug, Clone, Encode, PartialEq)]
    #[rasn(automatic_tags)]
    pub struct HealthMonitorMessageX {
        #[rasn(identifier = "correlationId")]
        pub correlation_id: monitor::CorrelationId,
        #[rasn(identifier = "componentId")]
        pub component_id: monitor::ComponentId,
        pub message: MonitorChoiceX,
    }

    #[derive(AsnType, Debug, Clone, Encode, PartialEq)]
    #[rasn(choice, automatic_tags)]
    pub enum StatusChoiceX {
        getStatus(status::GetStatus),
        statusIndication(status::StatusIndication),
        getStatusResponse(status::GetStatusResponse),
        extra(Extra),
    }

    #[derive(AsnType, Debug, Clone, Encode, PartialEq)]
    #[rasn(automatic_tags)]
    pub struct ServiceStatusMessageX {
        #[rasn(identifier = "correlationId")]
        pub correlation_id: status::CorrelationId,
        pub message: StatusChoiceX,
    }

    fn encode<T: Encode>(rule: Encoding, v: &T) -> Option<Vec<u8>> {
        match rule {
            Encoding::Ber | Encoding::Der => rasn::der::encode(v).ok(),
            Encoding::Cer => rasn::cer::encode(v).ok(),
            Encoding::Uper => rasn::uper::encode(v).ok(),
            Encoding::Aper => rasn::aper::encode(v).ok(),
            Encoding::Oer => rasn::oer::encode(v).ok(),
            Encoding::Coer => rasn::coer::encode(v).ok(),
            Encoding::Jer => rasn::jer::encode(v).ok().map(String::into_bytes),
        }
    }

    /// The message with CHOICE `level` (0: `message`; 1: `electionResult`, election only)
    /// set to the extra alternative, encoded; and how many alternatives the real CHOICE has.
    pub fn encode_unknown(rule: Encoding, m: &ValidMessage, level: u8) -> Option<(Vec<u8>, usize)> {
        match build(m, None) {
            AnyMessage::Election(e) => {
                let (message, n) = if level % 2 == 0 {
                    (ElectionChoiceX::extra(Extra {}), 2)
                } else {
                    (
                        ElectionChoiceX::electionResult(ElectionResultX::extra(Extra {})),
                        3,
                    )
                };
                let x = ElectionMessageX {
                    correlation_id: e.correlation_id,
                    message,
                };
                Some((encode(rule, &x)?, n))
            }
            AnyMessage::Role(r) => {
                let x = RoleMessageX {
                    correlation_id: r.correlation_id,
                    message: RoleChoiceX::extra(Extra {}),
                };
                Some((encode(rule, &x)?, 2))
            }
            AnyMessage::Monitor(h) => {
                let x = HealthMonitorMessageX {
                    correlation_id: h.correlation_id,
                    component_id: h.component_id,
                    message: MonitorChoiceX::extra(Extra {}),
                };
                Some((encode(rule, &x)?, 3))
            }
            AnyMessage::Status(s) => {
                let x = ServiceStatusMessageX {
                    correlation_id: s.correlation_id,
                    message: StatusChoiceX::extra(Extra {}),
                };
                Some((encode(rule, &x)?, 3))
            }
            // `build` makes messages of the four interfaces of PROTOCOL 2.1 only.
            AnyMessage::Replication(_) => None,
        }
    }
}
