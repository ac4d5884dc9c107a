//! One loopback TCP link carrying `ReplicationMessage`s in the frames of PROTOCOL 3.1 (the
//! codec's `FrameCodec`, as the node's links use it), and the standby's end of it: a thread
//! that reads, decodes, hands every message to a pure `Standby` and writes back what it answers.

use baton_asn1::replication::ReplicationMessage;
use baton_codec::{AnyMessage, Encoding, FrameCodec};
use baton_replication::Standby;
use bytes::BytesMut;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc::Sender;

/// Octets read from the socket at most at once.
const READ_CHUNK: usize = 256 * 1024;

/// Two ends of one loopback TCP connection, `TCP_NODELAY` on both (as the node's links).
pub fn pair() -> Result<(TcpStream, TcpStream), String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let a = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    let (b, _) = listener.accept().map_err(|e| format!("accept: {e}"))?;
    for s in [&a, &b] {
        s.set_nodelay(true).map_err(|e| format!("nodelay: {e}"))?;
    }
    Ok((a, b))
}

/// The writing half: messages are framed into a buffer and written with one `write_all` per
/// [`FrameOut::flush`].
pub struct FrameOut {
    stream: TcpStream,
    codec: FrameCodec,
    buf: BytesMut,
}

impl FrameOut {
    /// Frames for `stream` in `encoding`.
    pub fn new(stream: TcpStream, encoding: Encoding) -> FrameOut {
        FrameOut {
            stream,
            codec: FrameCodec::new(encoding),
            buf: BytesMut::with_capacity(READ_CHUNK),
        }
    }

    /// Frames `m` into the buffer.
    pub fn push(&mut self, m: ReplicationMessage) -> Result<(), String> {
        use tokio_util::codec::Encoder;
        self.codec
            .encode(AnyMessage::Replication(m), &mut self.buf)
            .map_err(|e| format!("encode: {e}"))
    }

    /// Octets framed and not yet written.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Writes the buffer out.
    pub fn flush(&mut self) -> Result<(), String> {
        if !self.buf.is_empty() {
            self.stream
                .write_all(&self.buf)
                .map_err(|e| format!("write: {e}"))?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Ends the writing direction (the other end reads end of file).
    pub fn close(mut self) -> Result<(), String> {
        self.flush()?;
        self.stream
            .shutdown(Shutdown::Write)
            .map_err(|e| format!("shutdown: {e}"))
    }
}

/// The reading half: whatever one `read` returned, decoded into whole messages.
pub struct FrameIn {
    stream: TcpStream,
    codec: FrameCodec,
    buf: BytesMut,
    chunk: Vec<u8>,
}

impl FrameIn {
    /// Frames from `stream` in `encoding`.
    pub fn new(stream: TcpStream, encoding: Encoding) -> FrameIn {
        FrameIn {
            stream,
            codec: FrameCodec::new(encoding),
            buf: BytesMut::with_capacity(READ_CHUNK),
            chunk: vec![0; READ_CHUNK],
        }
    }

    /// Reads once (blocking) and appends every whole message to `out`. `false` at end of file.
    pub fn read_batch(&mut self, out: &mut Vec<ReplicationMessage>) -> Result<bool, String> {
        use tokio_util::codec::Decoder;
        let n = self
            .stream
            .read(&mut self.chunk)
            .map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return match self.buf.is_empty() {
                true => Ok(false),
                false => Err(format!(
                    "{} octets of a frame left at end of file",
                    self.buf.len()
                )),
            };
        }
        self.buf.extend_from_slice(&self.chunk[..n]);
        while let Some(frame) = self
            .codec
            .decode(&mut self.buf)
            .map_err(|e| format!("decode: {e}"))?
        {
            match frame {
                AnyMessage::Replication(m) => out.push(m),
                other => return Err(format!("not a replication frame: {other:?}")),
            }
        }
        Ok(true)
    }
}

/// The standby's end: reads until end of file, handing every message to `standby` and
/// writing its answers after each read. Joins first (`syncRequest{full}`) when `join`.
/// Returns the standby as it ended.
pub fn serve_standby(
    stream: TcpStream,
    mut standby: Standby,
    encoding: Encoding,
    join: bool,
) -> Result<Standby, String> {
    let mut input = FrameIn::new(stream.try_clone().map_err(|e| e.to_string())?, encoding);
    let mut output = FrameOut::new(stream, encoding);
    if join {
        standby.join();
    }
    let mut batch = Vec::new();
    loop {
        while let Some(m) = standby.poll_transmit() {
            output.push(m)?;
        }
        output.flush()?;
        if !input.read_batch(&mut batch)? {
            return Ok(standby);
        }
        for m in batch.drain(..) {
            standby.handle(m);
        }
        // Applied updates (what a node forwards to a hot standby component): dropped here.
        while standby.poll_event().is_some() {}
    }
}

/// Reads `input` until end of file, sending each read's messages to `tx` (the active's
/// thread). Ends quietly when the receiver is gone.
pub fn forward(mut input: FrameIn, tx: Sender<Vec<ReplicationMessage>>) -> Result<(), String> {
    loop {
        let mut batch = Vec::new();
        if !input.read_batch(&mut batch)? {
            return Ok(());
        }
        if !batch.is_empty() && tx.send(batch).is_err() {
            return Ok(());
        }
    }
}
