//! The frame decoder behind TLS (PROTOCOL 3.1, 3.4): arbitrary bytes, written in arbitrary
//! chunks through a real mutually authenticated session (member alpha dials member beta over
//! an in-memory duplex), are decoded on beta's side as a link's reader decodes them
//! (`FramedRead` of `FrameCodec` with the node's limit, over the read half of the stream),
//! and must give exactly what the fuzz target `frames` expects of the same bytes without TLS
//! (`baton_conformance::fuzzing::check_frames_decoded`): the same frames, the same first
//! error at the same point, no panic, no buffer beyond what one frame of the limit needs.

use baton_codec::{AnyMessage, Encoding, FrameCodec, FrameError, DEFAULT_MAX_FRAME};
use baton_conformance::fuzzing::check_frames_decoded;
use baton_conformance::strategies;
use baton_node::tls::make::{Ca, Validity};
use baton_node::tls::{Identity, TlsConfig, TlsFiles};
use bytes::BytesMut;
use futures_util::StreamExt;
use proptest::prelude::*;
use proptest::sample::Index;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio_util::codec::{Decoder, FramedRead};

/// The initial read buffer of a link's reader (`BUFFER` in the node's link reader).
const BUFFER: usize = 256;
/// The frame length prefix (PROTOCOL 3.1).
const PREFIX: usize = 4;
/// Longest one session may take.
const STEP: Duration = Duration::from_secs(20);

#[allow(clippy::disallowed_methods, clippy::disallowed_types)] // certificates' dates
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Alpha's and beta's configurations, from a CA and member certificates made once.
fn members() -> &'static (TlsConfig, TlsConfig) {
    static MEMBERS: OnceLock<(TlsConfig, TlsConfig)> = OnceLock::new();
    MEMBERS.get_or_init(|| {
        let validity = Validity::days(unix_now(), 30);
        let (ca, ca_files) = Ca::generate(validity).expect("a CA");
        let dir = std::env::temp_dir().join(format!("bt-tls-frames-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        std::fs::write(dir.join("ca.pem"), &ca_files.cert_pem).expect("ca.pem");
        let load = |name: &str| {
            let issued = ca.member(name, validity).expect("a member certificate");
            let cert = dir.join(format!("{name}.pem"));
            let key = dir.join(format!("{name}.key"));
            std::fs::write(&cert, &issued.cert_pem).expect("the certificate");
            std::fs::write(&key, &issued.key_pem).expect("the key");
            let files = TlsFiles {
                ca: dir.join("ca.pem"),
                cert,
                key,
            };
            TlsConfig::load(&files).expect("the member's files load")
        };
        let pair = (load("alpha"), load("beta"));
        let _ = std::fs::remove_dir_all(&dir);
        pair
    })
}

/// The node's codec, unchanged, noting the largest capacity of the read buffer it is given
/// (before and after each step: `FramedRead` only shows it between frames, after a frame
/// was consumed).
struct Measured {
    codec: FrameCodec,
    capacity: Rc<Cell<usize>>,
}

impl Measured {
    fn note(&self, src: &BytesMut) {
        self.capacity.set(self.capacity.get().max(src.capacity()));
    }
}

impl Decoder for Measured {
    type Item = AnyMessage;
    type Error = FrameError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<AnyMessage>, FrameError> {
        self.note(src);
        let step = self.codec.decode(src);
        self.note(src);
        step
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<AnyMessage>, FrameError> {
        self.note(src);
        let step = self.codec.decode_eof(src);
        self.note(src);
        step
    }
}

/// What beta's reader decoded, and the largest capacity its read buffer reached.
struct Decoded {
    items: Vec<Result<AnyMessage, FrameError>>,
    capacity: usize,
}

/// Alpha dials beta over a duplex of `pipe` bytes (full handshake, both certificates
/// checked), writes `stream` in `chunks` (cycled; each write flushed, so each chunk is at
/// least one TLS record) and closes with close_notify; beta decodes until the end or the
/// first error.
fn through_tls(
    rule: Encoding,
    max: usize,
    stream: &[u8],
    chunks: &[usize],
    pipe: usize,
) -> Decoded {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        tokio::time::timeout(STEP, session(rule, max, stream, chunks, pipe))
            .await
            .expect("the session ends")
    })
}

async fn session(
    rule: Encoding,
    max: usize,
    stream: &[u8],
    chunks: &[usize],
    pipe: usize,
) -> Decoded {
    let (alpha, beta) = members();
    let (a, b) = tokio::io::duplex(pipe);
    let (dialled, accepted) = tokio::join!(alpha.dial(a), beta.accept(b));
    let (mut out, beta_id) = dialled.expect("alpha's dial succeeds");
    let (tls, alpha_id) = accepted.expect("beta accepts alpha");
    assert_eq!(beta_id, Identity::Member("beta".to_owned()));
    assert_eq!(alpha_id, Identity::Member("alpha".to_owned()));

    let write = async move {
        let mut at = 0;
        for &size in chunks.iter().cycle() {
            if at >= stream.len() {
                break;
            }
            let end = (at + size.max(1)).min(stream.len());
            // Beta stops reading at its first error and drops its side: writing may fail.
            if out.write_all(&stream[at..end]).await.is_err() || out.flush().await.is_err() {
                return;
            }
            at = end;
        }
        let _ = out.shutdown().await;
    };
    let read = async move {
        // As the node's link reader: the read half of the stream, the node's codec.
        let (half, _write_half) = tokio::io::split(tls);
        let capacity = Rc::new(Cell::new(0));
        let codec = Measured {
            codec: FrameCodec::with_max_frame(rule, max),
            capacity: capacity.clone(),
        };
        let mut frames = FramedRead::with_capacity(half, codec, BUFFER);
        let mut items = Vec::new();
        while let Some(item) = frames.next().await {
            let failed = item.is_err();
            items.push(item);
            if failed {
                break;
            }
        }
        Decoded {
            items,
            capacity: capacity.get(),
        }
    };
    tokio::join!(write, read).1
}

/// Decodes `stream` through TLS and checks it against the reference framing and the buffer
/// bound.
fn check(
    rule: Encoding,
    max: usize,
    stream: &[u8],
    chunks: &[usize],
    pipe: usize,
) -> Result<(), String> {
    let decoded = through_tls(rule, max, stream, chunks, pipe);
    check_frames_decoded(rule, max, stream, &decoded.items)
        .map_err(|e| format!("chunks {chunks:?}, duplex {pipe}: {e}"))?;
    // The codec reserves at most one frame of the limit; the buffer may double once past it.
    let bound = 2 * (PREFIX + max.max(BUFFER));
    if decoded.capacity > bound {
        return Err(format!(
            "read buffer capacity {} over {bound} (limit {max})",
            decoded.capacity
        ));
    }
    Ok(())
}

/// A valid frame (PROTOCOL 3.1) of `message` in `rule`: length, interface id, message.
fn frame(message: &AnyMessage, rule: Encoding) -> Vec<u8> {
    let body = message.encode(rule).expect("a valid message encodes");
    let len = u32::try_from(body.len() + 1).expect("a message under 4 GiB");
    let mut out = len.to_be_bytes().to_vec();
    out.push(message.interface() as u8);
    out.extend_from_slice(&body);
    out
}

/// How a valid frame is damaged.
#[derive(Debug, Clone)]
enum Mutation {
    None,
    /// One byte xor a non-zero mask.
    Flip(Index, u8),
    /// Cut after this many bytes.
    Truncate(Index),
    /// Another declared length.
    Length(u32),
}

/// One part of the stream.
#[derive(Debug, Clone)]
enum Piece {
    Frame(AnyMessage, Mutation),
    Bytes(Vec<u8>),
    /// A declared length of at least 64 KiB + 1 (over any limit used here), then a few bytes.
    Huge(u32, Vec<u8>),
    /// A frame of this length (several TLS records) filled with one byte: the reader buffers
    /// all of it before decoding.
    Long(u32, u8),
}

fn message() -> impl Strategy<Value = AnyMessage> {
    prop_oneof![
        strategies::election_message().prop_map(AnyMessage::from),
        strategies::role_message().prop_map(AnyMessage::from),
        strategies::monitor_message().prop_map(AnyMessage::from),
        strategies::status_message().prop_map(AnyMessage::from),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        12 => Just(Mutation::None),
        1 => (any::<Index>(), 1..=u8::MAX).prop_map(|(i, m)| Mutation::Flip(i, m)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => prop_oneof![0u32..=600, any::<u32>()].prop_map(Mutation::Length),
    ]
}

fn piece() -> impl Strategy<Value = Piece> {
    let bytes = || prop::collection::vec(any::<u8>(), 0..48);
    prop_oneof![
        12 => (message(), mutation()).prop_map(|(m, x)| Piece::Frame(m, x)),
        1 => bytes().prop_map(Piece::Bytes),
        1 => (1u32..=40_000, any::<u8>()).prop_map(|(l, b)| Piece::Long(l, b)),
        1 => ((DEFAULT_MAX_FRAME as u32 + 1)..=u32::MAX, bytes()).prop_map(|(l, b)| Piece::Huge(l, b)),
    ]
}

fn render(pieces: &[Piece], rule: Encoding) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Frame(m, mutation) => {
                let mut f = frame(m, rule);
                match mutation {
                    Mutation::None => {}
                    Mutation::Flip(i, mask) => {
                        let at = i.index(f.len());
                        f[at] ^= mask;
                    }
                    Mutation::Truncate(i) => f.truncate(i.index(f.len())),
                    Mutation::Length(l) => f[..PREFIX].copy_from_slice(&l.to_be_bytes()),
                }
                out.extend_from_slice(&f);
            }
            Piece::Bytes(b) => out.extend_from_slice(b),
            Piece::Huge(l, b) => {
                out.extend_from_slice(&l.to_be_bytes());
                out.extend_from_slice(b);
            }
            Piece::Long(l, b) => {
                out.extend_from_slice(&l.to_be_bytes());
                out.resize(out.len() + *l as usize, *b);
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any stream, in any chunks, through TLS decodes exactly as without it.
    #[test]
    fn tls_decodes_as_plain_bytes(
        rule in 0..Encoding::ALL.len(),
        max in prop_oneof![Just(DEFAULT_MAX_FRAME), 64usize..=512],
        pieces in prop::collection::vec(piece(), 0..8),
        chunks in prop::collection::vec(1usize..=2048, 1..6),
        pipe in 16usize..=32_768,
    ) {
        let rule = Encoding::ALL[rule];
        let stream = render(&pieces, rule);
        if let Err(e) = check(rule, max, &stream, &chunks, pipe) {
            prop_assert!(false, "{}", e);
        }
    }
}

/// One valid frame split across two TLS records at every byte boundary, in every rule,
/// decodes to the same message each time (one session per rule, the frame sent once per
/// boundary).
#[test]
fn a_frame_split_across_records_at_every_boundary_decodes_whole() {
    use baton_asn1::status;
    let line = status::Status("alpha active, beta standby: a status line of some length".into());
    let message: AnyMessage = status::ServiceStatusMessage::new(
        status::CorrelationId(rasn::types::NumericString::from_bytes(b"42").expect("digits")),
        status::ServiceStatusMessageMessage::statusIndication(status::StatusIndication::new(line)),
    )
    .into();
    for rule in Encoding::ALL {
        let f = frame(&message, rule);
        let mut stream = Vec::new();
        let mut chunks = Vec::new();
        for k in 1..f.len() {
            stream.extend_from_slice(&f);
            chunks.extend([k, f.len() - k]);
        }
        let decoded = through_tls(rule, DEFAULT_MAX_FRAME, &stream, &chunks, 64 * 1024);
        assert_eq!(
            decoded.items.len(),
            f.len() - 1,
            "{rule}: one message per boundary"
        );
        for (k, item) in decoded.items.iter().enumerate() {
            match item {
                Ok(m) => assert_eq!(m, &message, "{rule}: split after {} bytes", k + 1),
                Err(e) => panic!("{rule}: split after {} bytes: {e}", k + 1),
            }
        }
    }
}
