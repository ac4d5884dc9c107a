//! `frames`: a byte stream in arbitrary chunks through [`FrameCodec`].

use super::decode::hex;
use baton_codec::{AnyMessage, DecodeError, Encoding, FrameCodec, FrameError, Interface};
use bytes::BytesMut;
use tokio_util::codec::{Decoder, Encoder};

const PREFIX: usize = 4;

/// What a frame decoder returns, comparable.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Frame(AnyMessage),
    TooLong { declared: u64, max: usize },
    Empty,
    UnknownInterface(u8),
    Message(Interface, DecodeError),
    Truncated(usize),
    Io(String),
}

impl From<FrameError> for Item {
    fn from(e: FrameError) -> Self {
        match e {
            FrameError::TooLong { declared, max } => Item::TooLong { declared, max },
            FrameError::Empty => Item::Empty,
            FrameError::UnknownInterface(id) => Item::UnknownInterface(id),
            FrameError::Message { interface, error } => Item::Message(interface, error),
            FrameError::Truncated(n) => Item::Truncated(n),
            FrameError::Io(e) => Item::Io(e.to_string()),
        }
    }
}

/// The input: byte 0 picks the rule (bits 0-2) and, bit 3 set, a small frame limit of
/// 1 to 64 bytes given by byte 1 (else the default 64 KiB); then a count `n` (0 to 7) and
/// `n` chunk sizes, used in turn to cut the rest, the stream, into chunks.
///
/// Checks, against a reference framing written from PROTOCOL 3.1 over the whole
/// stream: the codec fed chunk by chunk returns the same frames and the same first error
/// (after which the link closes), and at the end `decode_eof` reports the bytes of an
/// incomplete frame as `Truncated`; the buffer never grows beyond what the stream and one
/// frame of the limit need; every decoded message is framed again within the limit and
/// decodes to itself.
///
/// # Errors
/// The property that failed.
pub fn check_frames(data: &[u8]) -> Result<(), String> {
    let [selector, limit, count, rest @ ..] = data else {
        return Ok(());
    };
    let rule = Encoding::ALL[usize::from(selector & 7)];
    let max = if selector & 8 != 0 {
        usize::from(limit % 64) + 1
    } else {
        baton_codec::DEFAULT_MAX_FRAME
    };
    let n = usize::from(count % 8).min(rest.len());
    let (sizes, stream) = rest.split_at(n);
    let sizes: Vec<usize> = if sizes.is_empty() {
        vec![stream.len().max(1)]
    } else {
        sizes.iter().map(|&s| usize::from(s) + 1).collect()
    };

    let expected = reference(rule, max, stream);
    let mut codec = FrameCodec::with_max_frame(rule, max);
    let mut got = Vec::new();
    let mut buf = BytesMut::new();
    let bound = 2 * (stream.len() + PREFIX + max) + 64;
    let mut fed = 0;
    let mut i = 0;
    'feed: while fed < stream.len() {
        let size = sizes[i % sizes.len()].min(stream.len() - fed);
        i += 1;
        buf.extend_from_slice(&stream[fed..fed + size]);
        fed += size;
        loop {
            let step = codec.decode(&mut buf);
            if buf.capacity() > bound {
                return Err(format!(
                    "buffer capacity {} after {fed} of {} bytes, limit {max}",
                    buf.capacity(),
                    stream.len()
                ));
            }
            match step {
                Ok(Some(m)) => got.push(Item::Frame(m)),
                Ok(None) => break,
                Err(e) => {
                    got.push(e.into());
                    break 'feed;
                }
            }
        }
    }
    if !matches!(got.last(), Some(item) if !matches!(item, Item::Frame(_))) {
        loop {
            match codec.decode_eof(&mut buf) {
                Ok(Some(m)) => got.push(Item::Frame(m)),
                Ok(None) => break,
                Err(e) => {
                    got.push(e.into());
                    break;
                }
            }
        }
    }
    if got != expected {
        return Err(format!(
            "rule {rule}, limit {max}, chunks {sizes:?}, stream {}:\n codec gave {got:?}\n expected   {expected:?}",
            hex(stream)
        ));
    }
    for item in &got {
        let Item::Frame(m) = item else { continue };
        let mut out = BytesMut::new();
        match codec.encode(m, &mut out) {
            Ok(()) => {
                let back = codec.decode(&mut out).map_err(|e| format!("{m:?}: {e}"))?;
                if back.as_ref() != Some(m) || !out.is_empty() {
                    return Err(format!("{m:?} framed again decodes to {back:?}"));
                }
            }
            // The peer's encoding may be shorter than ours (BER, JER escapes): our frame of
            // the same value may not fit a small limit. Anything else is a bug.
            Err(baton_codec::EncodeFrameError::Encode(
                baton_codec::EncodeError::FrameTooLarge { len, .. },
            )) if len > max => {}
            Err(e) => return Err(format!("{m:?} cannot be framed again: {e}")),
        }
    }
    Ok(())
}

/// The oracle of [`check_frames`] for a decoder fed some other way (through a TLS session:
/// `node/tests/tls_frames.rs`): `got`, what a [`FrameCodec`] with rule `rule` and limit
/// `max` returned for `stream` in order, up to its first error or the end of the stream,
/// must be what the reference framing of PROTOCOL 3.1 gives for the whole stream: the same
/// frames, then the same first error (an incomplete frame at the end is `Truncated`).
///
/// # Errors
/// Both sequences, when they differ.
pub fn check_frames_decoded(
    rule: Encoding,
    max: usize,
    stream: &[u8],
    got: &[Result<AnyMessage, FrameError>],
) -> Result<(), String> {
    let got: Vec<Item> = got
        .iter()
        .map(|r| match r {
            Ok(m) => Item::Frame(m.clone()),
            Err(FrameError::Io(e)) => Item::Io(e.to_string()),
            Err(FrameError::TooLong { declared, max }) => Item::TooLong {
                declared: *declared,
                max: *max,
            },
            Err(FrameError::Empty) => Item::Empty,
            Err(FrameError::UnknownInterface(id)) => Item::UnknownInterface(*id),
            Err(FrameError::Message { interface, error }) => {
                Item::Message(*interface, error.clone())
            }
            Err(FrameError::Truncated(n)) => Item::Truncated(*n),
        })
        .collect();
    let expected = reference(rule, max, stream);
    if got != expected {
        return Err(format!(
            "rule {rule}, limit {max}, stream {}:\n decoder gave {got:?}\n expected     {expected:?}",
            hex(stream)
        ));
    }
    Ok(())
}

/// PROTOCOL 3.1 over the whole stream: frames until the first error; an incomplete
/// frame at the end is `Truncated`.
fn reference(rule: Encoding, max: usize, stream: &[u8]) -> Vec<Item> {
    let mut out = Vec::new();
    let mut rest = stream;
    loop {
        if rest.is_empty() {
            return out;
        }
        let Some(prefix) = rest.get(..PREFIX) else {
            out.push(Item::Truncated(rest.len()));
            return out;
        };
        let declared = u32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]);
        let len = declared as usize;
        if len > max {
            out.push(Item::TooLong {
                declared: u64::from(declared),
                max,
            });
            return out;
        }
        let Some(body) = rest.get(PREFIX..PREFIX + len) else {
            out.push(Item::Truncated(rest.len()));
            return out;
        };
        rest = &rest[PREFIX + len..];
        let Some((&id, message)) = body.split_first() else {
            out.push(Item::Empty);
            return out;
        };
        let Some(interface) = Interface::from_id(id) else {
            out.push(Item::UnknownInterface(id));
            return out;
        };
        match AnyMessage::decode(interface, rule, message) {
            Ok(m) => out.push(Item::Frame(m)),
            Err(e) => {
                out.push(Item::Message(interface, e));
                return out;
            }
        }
    }
}
