//! One connection: a reader task turning bytes into frames for the driver; the driver's
//! messages are encoded and written to the stream at once, by the driver itself ([`LinkHandle::send`]).
//! Only when the stream cannot take them all (the other side is slow to read) does a flush task
//! take over, until everything queued is written. Generic over the stream, so TCP, Unix
//! sockets and simulated streams (turmoil) all work.
//!
//! At 10,000 components a writer task per link cost a task wakeup, a channel hop and a
//! `write` per frame, on another thread than the driver's: the driver writing itself saves
//! all but the `write`.

use super::input::Input;
use baton_codec::{AnyMessage, Encoding, FrameCodec, Interface};
use baton_core::LinkId;
use bytes::{Buf, BytesMut};
use futures_util::StreamExt;
use std::future::Future;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio::time::Instant;
use tokio_util::codec::{Encoder, FramedRead};

/// How long a link may sit in the middle of a frame before it is closed: a peer that stops
/// mid-frame must not hold a connection (or memory) forever.
pub(crate) const MID_FRAME_TIMEOUT: Duration = Duration::from_secs(5);

/// How often a reader looks whether it is in the middle of a frame. A frame is cut between
/// `MID_FRAME_TIMEOUT` and `MID_FRAME_TIMEOUT + STALL_CHECK` after its first byte arrived.
const STALL_CHECK: Duration = Duration::from_secs(1);

/// Initial size of a link's read buffer (it grows for larger frames). Most frames are under
/// 64 bytes; tokio-util's default of 8 KiB cost 80 MB at 10,000 components.
const BUFFER: usize = 256;

/// Frames queued for a link (encoded, not yet written) beyond which it is closed as not
/// reading. Replication frames count apart ([`REPLICATION_QUEUE`]).
pub(crate) const WRITE_QUEUE: usize = 4096;

/// Replication frames (PROTOCOL 6.11) queued for a link beyond which it is closed as not
/// reading. A batch sync comes as one burst of a chunk per 64 records (1,000,000 records:
/// 15,625 chunks), more than the socket takes at once: it waits here, bounded by the
/// repertory's own bounds, and does not count against [`WRITE_QUEUE`] (which keeps telling a
/// link that does not read by its other frames). 65,536 chunks: 4,194,304 records.
pub(crate) const REPLICATION_QUEUE: usize = 65_536;

/// The write side of a link, shared by the driver and (while the stream is full) its flush
/// task.
struct Out {
    write: Box<dyn AsyncWrite + Send + Unpin>,
    codec: FrameCodec,
    /// Encoded frames not yet written.
    buf: BytesMut,
    /// Frames in `buf` (reset when it empties).
    queued: usize,
    /// Replication frames among them.
    queued_replication: usize,
    /// A flush task owns the writing until `buf` is empty.
    flushing: bool,
    /// The driver dropped the link: shut the write side once `buf` is written.
    closing: bool,
    /// Writing failed: why (the link is being closed).
    failed: Option<String>,
}

impl Out {
    /// Writes what is queued: ready once all of it is written (and flushed).
    fn poll_write_all(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.buf.is_empty() {
            match std::pin::Pin::new(&mut self.write).poll_write(cx, &self.buf) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => self.buf.advance(n),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        self.queued = 0;
        self.queued_replication = 0;
        std::pin::Pin::new(&mut self.write).poll_flush(cx)
    }

    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::pin::Pin::new(&mut self.write).poll_shutdown(cx)
    }
}

fn lock(out: &Mutex<Out>) -> MutexGuard<'_, Out> {
    out.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The driver's handle on a link.
pub(crate) struct LinkHandle {
    out: Arc<Mutex<Out>>,
    link: LinkId,
    inbox: mpsc::Sender<Input>,
    reader: AbortHandle,
}

impl LinkHandle {
    /// Encodes a message and writes it (or queues it behind what the stream has not taken
    /// yet); an error when the link is not reading or cannot be written.
    pub(crate) fn send(&self, message: AnyMessage) -> Result<(), String> {
        let mut guard = lock(&self.out);
        let o = &mut *guard;
        if let Some(reason) = &o.failed {
            return Err(reason.clone());
        }
        let replication = message.interface() == Interface::Replication;
        let full = if replication {
            o.queued_replication >= REPLICATION_QUEUE
        } else {
            o.queued - o.queued_replication >= WRITE_QUEUE
        };
        if full {
            return Err("not reading: write queue full".to_owned());
        }
        o.codec
            .encode(&message, &mut o.buf)
            .map_err(|e| format!("write failed: {e}"))?;
        o.queued += 1;
        o.queued_replication += usize::from(replication);
        if o.flushing {
            return Ok(());
        }
        // The driver's own write: nobody is woken if the stream is full, so a flush task
        // takes over then (its poll registers a real waker). Outside tokio's cooperative
        // budget: the driver writes thousands of frames in one poll (a round of queries),
        // and past the budget's 128 every write would be refused and left to a flush task.
        let write =
            tokio::task::coop::unconstrained(std::future::poll_fn(|cx| o.poll_write_all(cx)));
        match std::pin::pin!(write).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(Ok(())) => Ok(()),
            Poll::Ready(Err(e)) => {
                let reason = format!("write failed: {e}");
                o.failed = Some(reason.clone());
                Err(reason)
            }
            Poll::Pending => {
                o.flushing = true;
                drop(guard);
                tokio::spawn(flush(self.out.clone(), self.link, self.inbox.clone()));
                Ok(())
            }
        }
    }
}

/// Writes what is queued until none is left (then the driver writes again), or the link
/// failed (the driver is told) or was dropped (the write side is shut once all is written).
async fn flush(out: Arc<Mutex<Out>>, link: LinkId, inbox: mpsc::Sender<Input>) {
    let result = std::future::poll_fn(|cx| {
        let mut o = lock(&out);
        let written = std::task::ready!(o.poll_write_all(cx));
        if written.is_ok() && o.closing {
            let _ = std::task::ready!(o.poll_shutdown(cx));
        }
        match &written {
            // Under the lock: a frame queued after this is the driver's to write.
            Ok(()) => o.flushing = false,
            Err(e) => o.failed = Some(format!("write failed: {e}")),
        }
        Poll::Ready(written)
    })
    .await;
    if let Err(e) = result {
        let _ = inbox
            .send(Input::Closed {
                link,
                reason: format!("write failed: {e}"),
                misbehaved: false,
            })
            .await;
    }
}

impl Drop for LinkHandle {
    fn drop(&mut self) {
        self.reader.abort();
        // What is queued is still written (by the flush task, which then shuts the write
        // side); otherwise shut it now.
        let mut o = lock(&self.out);
        o.closing = true;
        if !o.flushing && o.failed.is_none() {
            let _ = o.poll_shutdown(&mut Context::from_waker(Waker::noop()));
        }
    }
}

/// Starts the reader task of a new link.
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
    let out = Out {
        write: Box::new(write),
        codec: FrameCodec::with_max_frame(encoding, max_frame),
        buf: BytesMut::new(),
        queued: 0,
        queued_replication: 0,
        flushing: false,
        closing: false,
        failed: None,
    };
    LinkHandle {
        out: Arc::new(Mutex::new(out)),
        link,
        inbox,
        reader,
    }
}
