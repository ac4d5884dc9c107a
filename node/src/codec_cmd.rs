//! `baton encode` and `baton decode`: one message between JER (JSON) and any encoding rule.

use crate::Failure;
use baton_codec::{AnyMessage, Encoding, Interface};
use std::io::{Read, Write};

/// Largest input read from stdin: well over any frame (64 KiB default), far under memory.
const MAX_INPUT: u64 = 16 * 1024 * 1024;

/// Arguments of `baton encode`.
#[derive(clap::Args)]
pub struct EncodeArgs {
    /// Interface of the message: election, role, monitor, status, replication.
    #[arg(long, short)]
    interface: Interface,
    /// Encoding rule to write: ber (written as DER), der, cer, uper, aper, oer, coer, jer.
    #[arg(long, short)]
    encoding: Encoding,
}

/// Arguments of `baton decode`.
#[derive(clap::Args)]
pub struct DecodeArgs {
    /// Interface of the message: election, role, monitor, status, replication.
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
    let value = AnyMessage::decode(args.interface, Encoding::Jer, &json)
        .map_err(|e| Failure::invalid(e.to_string()))?;
    let bytes = value
        .encode(args.encoding)
        .map_err(|e| Failure::invalid(e.to_string()))?;
    print_line(&hex::encode(bytes))
}

/// `baton decode`: hex in, JER on stdout.
pub fn run_decode(args: &DecodeArgs) -> Result<(), Failure> {
    let text = if args.hex == "-" {
        String::from_utf8(read_stdin()?)
            .map_err(|_| Failure::invalid("stdin is not hex: not even UTF-8 text"))?
    } else {
        args.hex.clone()
    };
    let bytes = parse_hex(&text)?;
    let value = AnyMessage::decode(args.interface, args.encoding, &bytes)
        .map_err(|e| Failure::invalid(e.to_string()))?;
    // A decoded value is valid, so JER encoding cannot fail on a constraint.
    let json = value.encode(Encoding::Jer).map_err(|e| Failure {
        message: e.to_string(),
        status: 1,
    })?;
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
