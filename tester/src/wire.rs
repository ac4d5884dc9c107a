//! One link to the implementation under test: frames in and out with the reference codec
//! (PROTOCOL 3.1), raw bytes for the malformed cases, and waits bounded by the patience.

use crate::transport::{Present, Transport};
use baton_codec::{AnyMessage, Encoding, FrameCodec};
use bytes::BytesMut;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;
use tokio_util::codec::{Decoder, Encoder};

/// How many unread messages a link keeps (the oldest go first).
const MAX_UNREAD: usize = 4096;

/// What a byte stream to or from the implementation is: TCP, or a Unix socket.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// What a wait on a link ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Got {
    /// A message that satisfied the wait.
    Message(AnyMessage),
    /// The implementation closed the link (EOF or a reset).
    Closed,
    /// Nothing satisfying the wait came in time.
    Timeout,
}

/// A heartbeat the tester keeps sending while it waits: its `componentId` and interval.
#[derive(Debug, Clone)]
pub struct KeepAlive {
    /// The `componentId` of the heartbeats (the member id the tester plays).
    pub id: String,
    /// How often.
    pub every: Duration,
}

/// A framed link to the implementation under test.
pub struct Link {
    stream: Box<dyn Stream>,
    codec: FrameCodec,
    buf: BytesMut,
    closed: bool,
    /// Every message received, in order, including those a wait skipped.
    pub log: Vec<(Instant, AnyMessage)>,
    /// Messages received that no wait has taken yet, oldest first: a later wait looks at
    /// them before reading more.
    unread: VecDeque<AnyMessage>,
    keepalive: Option<KeepAlive>,
    /// While set: every `healthQuery` received is answered `healthQueryResponse{ok}` from
    /// this component id, echoing its id (a component's duty, PROTOCOL 6.4).
    answer_queries: Option<String>,
    next_beat: Instant,
    seq: u64,
}

impl Link {
    /// Connects to `addr` over `transport` (TCP, or TLS presenting `present`), giving up
    /// after `within`.
    ///
    /// # Errors
    /// The connect's or the handshake's error, or a timeout, as text.
    pub async fn connect(
        addr: SocketAddr,
        transport: &Transport,
        present: Present,
        encoding: Encoding,
        max_frame: usize,
        within: Duration,
    ) -> Result<Link, String> {
        let (s, _) = transport
            .open(addr, present, within)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Link::over(s, encoding, max_frame))
    }

    /// A link over an open stream.
    pub fn over(stream: Box<dyn Stream>, encoding: Encoding, max_frame: usize) -> Link {
        Link {
            stream,
            codec: FrameCodec::with_max_frame(encoding, max_frame),
            buf: BytesMut::new(),
            closed: false,
            log: Vec::new(),
            unread: VecDeque::new(),
            keepalive: None,
            answer_queries: None,
            next_beat: Instant::now(),
            seq: 0,
        }
    }

    /// From now on, send a `heartBeat{ok}` as `keep.id` every `keep.every` while waiting.
    pub fn keep_alive(&mut self, keep: Option<KeepAlive>) {
        self.keepalive = keep;
        self.next_beat = Instant::now();
    }

    /// From now on, answer every `healthQuery` as component `id` (`None`: stop).
    pub fn answer_queries(&mut self, id: Option<String>) {
        self.answer_queries = id;
    }

    /// Connects to a Unix socket, giving up after `within`.
    ///
    /// # Errors
    /// The connect's error, or a timeout, as text.
    pub async fn connect_unix(
        path: &std::path::Path,
        encoding: Encoding,
        max_frame: usize,
        within: Duration,
    ) -> Result<Link, String> {
        let s = tokio::time::timeout(within, tokio::net::UnixStream::connect(path))
            .await
            .map_err(|_| format!("connect to {}: no answer within {within:?}", path.display()))?
            .map_err(|e| format!("connect to {}: {e}", path.display()))?;
        Ok(Link::over(Box::new(s), encoding, max_frame))
    }

    /// A fresh correlationId of the tester's (digits, PROTOCOL 2.3).
    pub fn fresh_id(&mut self) -> String {
        self.seq += 1;
        format!("{}", 900 + self.seq)
    }

    /// Sends one message.
    ///
    /// # Errors
    /// An encoding or write error, as text.
    pub async fn send(&mut self, message: impl Into<AnyMessage>) -> Result<(), String> {
        let mut out = BytesMut::new();
        self.codec
            .encode(message.into(), &mut out)
            .map_err(|e| format!("the tester could not encode its message: {e}"))?;
        self.send_raw(&out).await
    }

    /// Sends bytes as they are.
    ///
    /// # Errors
    /// A write error, as text.
    pub async fn send_raw(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.stream
            .write_all(bytes)
            .await
            .map_err(|e| format!("write: {e}"))?;
        self.stream.flush().await.map_err(|e| format!("write: {e}"))
    }

    /// Answers `m` if it is a `healthQuery` and queries are answered.
    async fn auto_answer(&mut self, m: &AnyMessage) {
        let Some(id) = self.answer_queries.clone() else {
            return;
        };
        if let AnyMessage::Monitor(h) = m {
            if matches!(
                h.message,
                baton_asn1::monitor::HealthMonitorMessageMessage::healthQuery(_)
            ) {
                let echo = String::from_utf8_lossy(h.correlation_id.0.as_bytes()).into_owned();
                let r = baton_monitor::health_query_response(
                    &echo,
                    &id,
                    baton_monitor::ComponentStatus::ok,
                );
                let _ = self.send(r).await;
            }
        }
    }

    /// Sends the heartbeat of the keep-alive if it is due.
    async fn beat_if_due(&mut self) {
        let Some(keep) = self.keepalive.clone() else {
            return;
        };
        let now = Instant::now();
        if now < self.next_beat {
            return;
        }
        self.next_beat = now + keep.every;
        let id = self.fresh_id();
        let hb = baton_monitor::heart_beat(&id, &keep.id, baton_monitor::ComponentStatus::ok);
        // A failed write shows as a closed link on the next read.
        let _ = self.send(hb).await;
    }

    /// Waits up to `within` for a message satisfying `pred`, skipping (and logging) others.
    ///
    /// # Errors
    /// A frame the reference codec refuses, as text: the implementation sent a bad frame.
    pub async fn wait(
        &mut self,
        within: Duration,
        mut pred: impl FnMut(&AnyMessage) -> bool,
    ) -> Result<Got, String> {
        let deadline = Instant::now() + within;
        if let Some(i) = self.unread.iter().position(&mut pred) {
            if let Some(m) = self.unread.remove(i) {
                return Ok(Got::Message(m));
            }
        }
        loop {
            while let Some(m) = self
                .codec
                .decode(&mut self.buf)
                .map_err(|e| format!("the implementation sent a bad frame: {e}"))?
            {
                self.log.push((Instant::now(), m.clone()));
                self.auto_answer(&m).await;
                if pred(&m) {
                    return Ok(Got::Message(m));
                }
                if self.unread.len() >= MAX_UNREAD {
                    self.unread.pop_front();
                }
                self.unread.push_back(m);
            }
            if self.closed {
                return Ok(Got::Closed);
            }
            self.beat_if_due().await;
            let mut wake = deadline;
            if self.keepalive.is_some() {
                wake = wake.min(self.next_beat);
            }
            let mut chunk = [0u8; 8192];
            match tokio::time::timeout_at(wake, self.stream.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => self.closed = true,
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
                Err(_) if Instant::now() >= deadline => return Ok(Got::Timeout),
                Err(_) => {}
            }
        }
    }

    /// Waits up to `within` for the implementation to close the link, taking (and logging)
    /// whatever it sends meanwhile; a frame that does not decode is skipped with the rest.
    /// The time it took, or `None` if the link is still open.
    pub async fn closed_within(&mut self, within: Duration) -> Option<Duration> {
        let start = Instant::now();
        match self.wait(within, |_| false).await {
            Ok(Got::Closed) => Some(start.elapsed()),
            Ok(_) => None,
            Err(_) => self.drain_until_close(start, within).await,
        }
    }

    async fn drain_until_close(&mut self, start: Instant, within: Duration) -> Option<Duration> {
        let deadline = start + within;
        let mut chunk = [0u8; 8192];
        loop {
            match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return Some(start.elapsed()),
                Ok(Ok(_)) => {}
                Err(_) => return None,
            }
        }
    }

    /// Reads exactly one frame's raw bytes (length, interface id, body) before anything was
    /// decoded on this link: the byte-for-byte check of PROTOCOL 3.2.
    ///
    /// # Errors
    /// The link closed, or no frame within `within`, as text.
    pub async fn raw_frame(&mut self, within: Duration) -> Result<Vec<u8>, String> {
        let deadline = Instant::now() + within;
        let mut chunk = [0u8; 8192];
        loop {
            if self.buf.len() >= 4 {
                let l = u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]])
                    as usize;
                if l > self.codec.max_frame() {
                    return Err(format!(
                        "declared length {l} exceeds the link's maximum {}",
                        self.codec.max_frame()
                    ));
                }
                if self.buf.len() >= 4 + l {
                    return Ok(self.buf[..4 + l].to_vec());
                }
            }
            match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return Err("the link closed before a whole frame".into()),
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
                Err(_) => return Err(format!("no whole frame within {within:?}")),
            }
        }
    }
}
