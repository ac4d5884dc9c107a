//! One connection: a reader task turning bytes into frames for the driver, a writer task
//! turning the driver's messages into bytes. Generic over the stream, so TCP, Unix sockets
//! and simulated streams (turmoil) all work.

use super::Input;
use baton_codec::{AnyMessage, Encoding, FrameCodec};
use baton_core::LinkId;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio::time::Instant;
use tokio_util::codec::{FramedRead, FramedWrite};

/// How long a link may sit in the middle of a frame before it is closed: a peer that stops
/// mid-frame must not hold a connection (or memory) forever.
pub(crate) const MID_FRAME_TIMEOUT: Duration = Duration::from_secs(5);

/// How often a reader looks whether it is in the middle of a frame. A frame is cut between
/// `MID_FRAME_TIMEOUT` and `MID_FRAME_TIMEOUT + STALL_CHECK` after its first byte arrived.
const STALL_CHECK: Duration = Duration::from_secs(1);

/// Initial size of a link's read and write buffers (they grow for larger frames). Most frames
/// are under 64 bytes; tokio-util's default of 8 KiB each cost 160 MB at 10,000 components.
const BUFFER: usize = 256;

/// Frames queued for a link beyond which it is closed as not reading.
pub(crate) const WRITE_QUEUE: usize = 4096;

/// The driver's handle on a link.
pub(crate) struct LinkHandle {
    pub(crate) tx: mpsc::Sender<AnyMessage>,
    reader: AbortHandle,
}

impl LinkHandle {
    /// Queues a message; false when the link is gone or not reading.
    pub(crate) fn send(&self, message: AnyMessage) -> Result<(), &'static str> {
        self.tx.try_send(message).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => "not reading: write queue full",
            mpsc::error::TrySendError::Closed(_) => "writer gone",
        })
    }
}

impl Drop for LinkHandle {
    fn drop(&mut self) {
        // Dropping `tx` ends the writer, which drops the write half; stop reading too.
        self.reader.abort();
    }
}

/// Starts the reader and writer tasks of a new link.
pub(crate) fn spawn<S>(
    stream: S,
    link: LinkId,
    encoding: Encoding,
    max_frame: usize,
    inbox: mpsc::Sender<Input>,
) -> LinkHandle
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (read, write) = tokio::io::split(stream);
    let (tx, mut rx) = mpsc::channel::<AnyMessage>(WRITE_QUEUE);
    let reader_inbox = inbox.clone();
    let reader = tokio::spawn(async move {
        let codec = FrameCodec::with_max_frame(encoding, max_frame);
        let mut frames = FramedRead::with_capacity(read, codec, BUFFER);
        // One timer per link, looked at every STALL_CHECK (not one armed and cancelled per
        // frame: with 10,000 components that was 200,000 timer operations a second). When a
        // check first found part of a frame (the frame began after the check before): the
        // stall is timed from there, not from the previous frame (an idle link is fine).
        let check = tokio::time::sleep(STALL_CHECK);
        tokio::pin!(check);
        let mut mid_frame_since: Option<Instant> = None;
        let (reason, misbehaved) = loop {
            let next = tokio::select! {
                biased;
                next = frames.next() => next,
                () = &mut check => {
                    check.as_mut().reset(Instant::now() + STALL_CHECK);
                    if frames.read_buffer().is_empty() {
                        mid_frame_since = None;
                        continue;
                    }
                    let since = *mid_frame_since.get_or_insert_with(Instant::now);
                    if since.elapsed() < MID_FRAME_TIMEOUT {
                        continue;
                    }
                    let reason = format!(
                        "stalled mid-frame for {} s ({} bytes of it received)",
                        MID_FRAME_TIMEOUT.as_secs(),
                        frames.read_buffer().len()
                    );
                    break (reason, true);
                }
            };
            match next {
                None => break ("closed by the other side".to_owned(), false),
                Some(Err(baton_codec::FrameError::Io(e))) => break (format!("i/o: {e}"), false),
                // Closed inside a frame: the sender died while writing.
                Some(Err(e @ baton_codec::FrameError::Truncated(_))) => {
                    break (e.to_string(), false)
                }
                Some(Err(e)) => break (format!("bad frame: {e}"), true),
                Some(Ok(message)) => {
                    mid_frame_since = None;
                    if reader_inbox
                        .send(Input::Frame { link, message })
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            }
        };
        let _ = reader_inbox
            .send(Input::Closed {
                link,
                reason,
                misbehaved,
            })
            .await;
    })
    .abort_handle();
    tokio::spawn(async move {
        let codec = FrameCodec::with_max_frame(encoding, max_frame);
        let mut sink = FramedWrite::with_capacity(write, codec, BUFFER);
        while let Some(message) = rx.recv().await {
            // Everything queued goes out in one write.
            let mut sent = sink.feed(&message).await;
            while sent.is_ok() {
                match rx.try_recv() {
                    Ok(message) => sent = sink.feed(&message).await,
                    Err(_) => break,
                }
            }
            if sent.is_ok() {
                sent = futures_util::SinkExt::<&AnyMessage>::flush(&mut sink).await;
            }
            if let Err(e) = sent {
                let _ = inbox
                    .send(Input::Closed {
                        link,
                        reason: format!("write failed: {e}"),
                        misbehaved: false,
                    })
                    .await;
                return;
            }
        }
        // The driver dropped the link: flush what was queued and close our side.
        let _ = futures_util::SinkExt::<&AnyMessage>::close(&mut sink).await;
    });
    LinkHandle { tx, reader }
}
