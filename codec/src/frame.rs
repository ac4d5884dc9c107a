//! PROTOCOL 3.1 framing: `u32` big-endian length L, then L bytes: one interface id
//! byte and one top-level message in the link's encoding rule.

use crate::{AnyMessage, EncodeError, Encoding, FrameError, Interface};
use bytes::{Buf, BufMut, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

/// The default limit on L, the length after the 4-byte prefix: 64 KiB.
pub const DEFAULT_MAX_FRAME: usize = 64 * 1024;

const PREFIX: usize = 4;

/// A tokio-util codec of typed frames for one link.
///
/// Decoding checks the declared length against the limit before reserving any room for the
/// frame, so a peer cannot make the node allocate more than `max_frame` bytes for a frame.
/// Any [`FrameError`] leaves the stream out of sync: close the link.
#[derive(Debug, Clone)]
pub struct FrameCodec {
    encoding: Encoding,
    max_frame: usize,
    scratch: Vec<u8>,
}

impl FrameCodec {
    /// A codec for a link using `encoding`, with the default 64 KiB frame limit.
    pub fn new(encoding: Encoding) -> Self {
        Self::with_max_frame(encoding, DEFAULT_MAX_FRAME)
    }

    /// A codec with a limit of `max_frame` bytes on L (clamped to `u32::MAX` and at least 1).
    pub fn with_max_frame(encoding: Encoding, max_frame: usize) -> Self {
        FrameCodec {
            encoding,
            max_frame: max_frame.clamp(1, u32::MAX as usize),
            scratch: Vec::new(),
        }
    }

    /// The link's encoding rule.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The limit on L.
    pub fn max_frame(&self) -> usize {
        self.max_frame
    }
}

impl Decoder for FrameCodec {
    type Item = AnyMessage;
    type Error = FrameError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<AnyMessage>, FrameError> {
        let Some(prefix) = src.get(..PREFIX) else {
            return Ok(None);
        };
        let declared = u32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]);
        let len = declared as usize;
        if len > self.max_frame {
            return Err(FrameError::TooLong {
                declared: u64::from(declared),
                max: self.max_frame,
            });
        }
        if src.len() < PREFIX + len {
            // Bounded by max_frame, checked above.
            src.reserve(PREFIX + len - src.len());
            return Ok(None);
        }
        // Decoded in place, then skipped: splitting the frame off (`split_to`) turned the
        // buffer into a shared one, an allocation and atomic reference counting per frame.
        let decoded = match src[PREFIX..PREFIX + len].split_first() {
            None => Err(FrameError::Empty),
            Some((&id, message)) => match Interface::from_id(id) {
                None => Err(FrameError::UnknownInterface(id)),
                Some(interface) => AnyMessage::decode(interface, self.encoding, message)
                    .map(Some)
                    .map_err(|error| FrameError::Message { interface, error }),
            },
        };
        src.advance(PREFIX + len);
        decoded
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<AnyMessage>, FrameError> {
        match self.decode(src)? {
            Some(frame) => Ok(Some(frame)),
            None if src.is_empty() => Ok(None),
            None => Err(FrameError::Truncated(src.len())),
        }
    }
}

impl Encoder<&AnyMessage> for FrameCodec {
    type Error = EncodeFrameError;

    fn encode(&mut self, item: &AnyMessage, dst: &mut BytesMut) -> Result<(), EncodeFrameError> {
        let buf = &mut self.scratch;
        item.encode_into(self.encoding, buf)?;
        let len = 1 + buf.len();
        if len > self.max_frame {
            return Err(EncodeError::FrameTooLarge {
                interface: item.interface(),
                len,
                max: self.max_frame,
            }
            .into());
        }
        dst.reserve(PREFIX + len);
        // len <= max_frame <= u32::MAX
        dst.put_u32(len as u32);
        dst.put_u8(item.interface() as u8);
        dst.extend_from_slice(buf);
        Ok(())
    }
}

impl Encoder<AnyMessage> for FrameCodec {
    type Error = EncodeFrameError;

    fn encode(&mut self, item: AnyMessage, dst: &mut BytesMut) -> Result<(), EncodeFrameError> {
        self.encode(&item, dst)
    }
}

/// Writing a frame failed: an invalid value or the transport.
#[derive(Debug, thiserror::Error)]
pub enum EncodeFrameError {
    /// The message could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The transport failed (tokio-util's `FramedWrite` needs this).
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}
