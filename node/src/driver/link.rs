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
        let mut frames = FramedRead::new(read, FrameCodec::with_max_frame(encoding, max_frame));
        // When a check first found part of a frame (the frame began after the check before):
        // the stall is timed from there, not from the previous frame (an idle link is fine).
        let mut mid_frame_since: Option<Instant> = None;
        let (reason, misbehaved) = loop {
            match tokio::time::timeout(STALL_CHECK, frames.next()).await {
                Err(_) if frames.read_buffer().is_empty() => mid_frame_since = None,
                Err(_) => {
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
                Ok(None) => break ("closed by the other side".to_owned(), false),
                Ok(Some(Err(baton_codec::FrameError::Io(e)))) => {
                    break (format!("i/o: {e}"), false)
                }
                // Closed inside a frame: the sender died while writing.
                Ok(Some(Err(e @ baton_codec::FrameError::Truncated(_)))) => {
                    break (e.to_string(), false)
                }
                Ok(Some(Err(e))) => break (format!("bad frame: {e}"), true),
                Ok(Some(Ok(message))) => {
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
        let mut sink = FramedWrite::new(write, FrameCodec::with_max_frame(encoding, max_frame));
        while let Some(message) = rx.recv().await {
            if let Err(e) = sink.send(&message).await {
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
