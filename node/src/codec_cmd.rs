//! `baton encode` and `baton decode`: one message between JER (JSON) and any encoding rule.

use crate::Failure;
use baton_asn1::Message;
use baton_codec::{Encoding, Interface};
use std::io::{Read, Write};

/// Largest input read from stdin: well over any frame (64 KiB default), far under memory.
const MAX_INPUT: u64 = 16 * 1024 * 1024;

/// Arguments of `baton encode`.
#[derive(clap::Args)]
pub struct EncodeArgs {
    /// Interface of the message: election, role, monitor, status.
    #[arg(long, short)]
    interface: Interface,
    /// Encoding rule to write: ber (written as DER), der, cer, uper, aper, oer, coer, jer.
    #[arg(long, short)]
    encoding: Encoding,
}

/// Arguments of `baton decode`.
#[derive(clap::Args)]
pub struct DecodeArgs {
    /// Interface of the message: election, role, monitor, status.
    #[arg(long, short)]
    interface: Interface,
    /// Encoding rule of the bytes: ber, der, cer, uper, aper, oer, coer, jer.
    #[arg(long, short)]
    encoding: Encoding,
    /// The encoding as hex (white space allowed), or `-` to read it from stdin.
    hex: String,
}

/// `baton encode`: JER on stdin, hex on stdout.
pub fn run_encode(args: &EncodeArgs) -> Result<(), Failure> {
    let json = read_stdin()?;
    let bytes = match args.interface {
        Interface::Election => transcode::<baton_asn1::election::ElectionMessage>(&json, args),
        Interface::Role => transcode::<baton_asn1::role::RoleMessage>(&json, args),
        Interface::Monitor => transcode::<baton_asn1::monitor::HealthMonitorMessage>(&json, args),
        Interface::Status => transcode::<baton_asn1::status::ServiceStatusMessage>(&json, args),
    }?;
    print_line(&hex::encode(bytes))
}

fn transcode<T: Message>(json: &[u8], args: &EncodeArgs) -> Result<Vec<u8>, Failure> {
    let value: T =
        baton_codec::decode(Encoding::Jer, json).map_err(|e| Failure::invalid(e.to_string()))?;
    baton_codec::encode(args.encoding, &value).map_err(|e| Failure::invalid(e.to_string()))
}

/// Decodes `bytes` and re-encodes the value as JER.
fn decode_cmd<T: Message>(bytes: &[u8], encoding: Encoding) -> Result<Vec<u8>, Failure> {
    let value: T =
        baton_codec::decode(encoding, bytes).map_err(|e| Failure::invalid(e.to_string()))?;
    baton_codec::encode(Encoding::Jer, &value).map_err(|e| Failure {
        message: e.to_string(),
        status: 1,
    })
}

/// `baton decode`.
pub fn run_decode(args: &DecodeArgs) -> Result<(), Failure> {
    let text = if args.hex == "-" {
        String::from_utf8(read_stdin()?)
            .map_err(|_| Failure::invalid("stdin is not hex: not even UTF-8 text"))?
    } else {
        args.hex.clone()
    };
    let bytes = parse_hex(&text)?;
    let e = args.encoding;
    let json = match args.interface {
        Interface::Election => decode_cmd::<baton_asn1::election::ElectionMessage>(&bytes, e),
        Interface::Role => decode_cmd::<baton_asn1::role::RoleMessage>(&bytes, e),
        Interface::Monitor => decode_cmd::<baton_asn1::monitor::HealthMonitorMessage>(&bytes, e),
        Interface::Status => decode_cmd::<baton_asn1::status::ServiceStatusMessage>(&bytes, e),
    }?;
    print_line(&String::from_utf8_lossy(&json))
}

/// Hex digits, white space ignored, an optional `0x` prefix.
fn parse_hex(text: &str) -> Result<Vec<u8>, Failure> {
    let t = text.trim();
    let t = t.strip_prefix("0x").unwrap_or(t);
    let digits: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    hex::decode(&digits).map_err(|e| Failure::invalid(format!("invalid hex: {e}")))
}

fn read_stdin() -> Result<Vec<u8>, Failure> {
    let mut buf = Vec::new();
    std::io::stdin()
        .take(MAX_INPUT + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Failure::invalid(format!("cannot read stdin: {e}")))?;
    if buf.len() as u64 > MAX_INPUT {
        return Err(Failure::invalid(format!(
            "stdin is larger than {MAX_INPUT} bytes"
        )));
    }
    Ok(buf)
}

fn print_line(s: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{s}")
        .and_then(|()| out.flush())
        .map_err(|e| Failure {
            message: format!("cannot write stdout: {e}"),
            status: 1,
        })
}
