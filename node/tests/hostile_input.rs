//! Hostile input on every listener of a real `baton node` (PROTOCOL.md section 9): garbage,
//! an oversize declared length, hellos from no member and from the node itself, messages of
//! an interface the listener does not carry, and a sender that stops in the middle of a
//! frame. Each time: the node closes the link (the socket sees EOF or a reset), logs the
//! reason, and keeps its role and status; the pair stays as it was (the standby does not
//! promote because of garbage on its peer listener).

mod support;

use baton_asn1::role::Role;
use baton_codec::AnyMessage;
use baton_monitor::ComponentStatus;
use baton_status::{PeerState, State};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use support::{
    frame, is, peer_of, read_until, runtime, send_expect_close, settled, start_alpha_then_beta,
    status_json, Pair, Watch, IDS, NAMES,
};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

/// How long the node may take to close a refused link (it takes milliseconds).
const CLOSE_WITHIN: Duration = Duration::from_secs(3);
/// How long a log line may take to appear.
const LOG_WITHIN: Duration = Duration::from_secs(3);

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A listener of a node.
#[derive(Debug, Clone)]
enum Target {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

impl Target {
    async fn connect(&self) -> Box<dyn Io> {
        let deadline = Duration::from_secs(3);
        match self {
            Target::Tcp(a) => {
                let s = tokio::time::timeout(deadline, tokio::net::TcpStream::connect(a))
                    .await
                    .expect("connect in time")
                    .expect("the listener accepts");
                let _ = s.set_nodelay(true);
                Box::new(s)
            }
            Target::Unix(p) => Box::new(
                tokio::time::timeout(deadline, tokio::net::UnixStream::connect(p))
                    .await
                    .expect("connect in time")
                    .expect("the socket accepts"),
            ),
        }
    }
}

/// Bytes to send and what the node's log must then say.
struct Case {
    what: &'static str,
    bytes: Vec<u8>,
    log: Vec<String>,
}

fn case(what: &'static str, bytes: Vec<u8>, log: &[&str]) -> Case {
    Case {
        what,
        bytes,
        log: log.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// A frame with interface id `interface` and a body that is no valid message.
fn garbage_body(interface: u8) -> Vec<u8> {
    let mut out = vec![0, 0, 0, 6, interface];
    out.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef, 0x00]);
    out
}

/// The cases every listener refuses the same way: framing and decoding errors.
fn framing_cases(interface: u8) -> Vec<Case> {
    vec![
        case(
            "garbage message body",
            garbage_body(interface),
            &["link closed: bad frame: "],
        ),
        case(
            "random text (an HTTP request)",
            b"GET / HTTP/1.1\r\nHost: baton\r\n\r\n".to_vec(),
            &["link closed: bad frame: frame length 1195725856 exceeds the limit"],
        ),
        case(
            "declared length 0xFFFFFFFF",
            vec![0xff, 0xff, 0xff, 0xff, interface, 0x30, 0x00],
            &["link closed: bad frame: frame length 4294967295 exceeds the limit of 65536"],
        ),
        case(
            "declared length 0",
            vec![0, 0, 0, 0],
            &["link closed: bad frame: empty frame: no interface id"],
        ),
        case(
            "unknown interface id 9",
            vec![0, 0, 0, 2, 9, 0],
            &["link closed: bad frame: unknown interface id 9"],
        ),
    ]
}

fn hello(id: &str) -> AnyMessage {
    baton_monitor::heart_beat("7", id, ComponentStatus::ok).into()
}

fn nomination(nominee: &str) -> AnyMessage {
    baton_election::message::nomination("7", nominee).into()
}

fn set_role_active() -> AnyMessage {
    baton_role::set_role("7", Role::active).into()
}

/// Sends each case on a new connection to node `i`'s `target`; expects the link closed and
/// the reason logged. Returns what the node sent before closing, per case.
async fn expect_refused(pair: &Pair, i: usize, target: &Target, cases: &[Case]) -> Vec<Vec<u8>> {
    let mut received = Vec::new();
    for c in cases {
        let what = format!("{} {target:?}: {}", NAMES[i], c.what);
        let mark = pair.log_mark(i);
        let stream = target.connect().await;
        let ended = send_expect_close(stream, &c.bytes, CLOSE_WITHIN, &what).await;
        let needles: Vec<&str> = c.log.iter().map(String::as_str).collect();
        let line = pair.log_line(i, mark, &needles, LOG_WITHIN).await;
        eprintln!(
            "{what}: closed ({}) after {:?}; log: {}",
            ended.how,
            ended.after,
            line.trim()
        );
        received.push(ended.received);
    }
    received
}

/// What both nodes looked like before the hostile input.
struct Baseline {
    status: [serde_json::Value; 2],
    marks: [usize; 2],
    at: Instant,
}

/// Starts alpha then beta and waits until they settle (alpha active, beta standby).
async fn settled_pair(pair: &mut Pair, watch: &mut Watch) -> Baseline {
    start_alpha_then_beta(pair, watch).await;
    // Let anything in flight land (the peers' view of each other).
    watch.record_for(Duration::from_millis(300)).await;
    assert_eq!(settled(&watch.now), Some(0), "{}", watch.render());
    let mut status = Vec::new();
    for s in &pair.specs {
        status.push(status_json(s.status).await.expect("baton status answers"));
    }
    Baseline {
        status: [status[0].clone(), status[1].clone()],
        marks: [pair.log_mark(0), pair.log_mark(1)],
        at: Instant::now(),
    }
}

/// Nothing changed since the baseline: no status change on either node for longer than the
/// dead interval, the same `baton status --json` documents, no role change in the logs,
/// both nodes still running.
async fn assert_unchanged(pair: &mut Pair, watch: &mut Watch, base: &Baseline) {
    // Past the dead interval (300 ms): a peer link taken for dead would have shown by now.
    watch.record_for(Duration::from_millis(600)).await;
    let changes: Vec<_> = watch.since(base.at).collect();
    assert!(
        changes.is_empty(),
        "the statuses changed under hostile input; seen:\n{}",
        watch.render()
    );
    for (i, name) in NAMES.iter().enumerate() {
        let now = status_json(pair.specs[i].status)
            .await
            .expect("baton status answers");
        assert_eq!(now, base.status[i], "{name}'s status");
        let roles: Vec<String> = pair
            .log_since(i, base.marks[i])
            .into_iter()
            .filter(|l| l.contains("role changed"))
            .collect();
        assert!(roles.is_empty(), "{name} changed role: {roles:?}");
        assert!(pair.running(i), "{name} exited");
    }
}

/// The first frame in `bytes`, if whole.
fn first_frame(bytes: &[u8]) -> Option<AnyMessage> {
    let mut buf = bytes::BytesMut::from(bytes);
    let mut codec = baton_codec::FrameCodec::new(baton_codec::Encoding::Der);
    tokio_util::codec::Decoder::decode(&mut codec, &mut buf)
        .ok()
        .flatten()
}

/// True if `m` is a `heartBeat` carrying member id `id`.
fn is_hello_from(m: Option<AnyMessage>, id: &str) -> bool {
    use baton_asn1::monitor::HealthMonitorMessageMessage as M;
    matches!(m, Some(AnyMessage::Monitor(h))
        if h.component_id.0.as_bytes() == id.as_bytes() && matches!(h.message, M::heartBeat(_)))
}

#[test]
fn peer_listeners_refuse_bad_input() {
    let mut pair = Pair::new("hostilepeer");
    runtime().block_on(async {
        let mut watch = Watch::start(&pair);
        let base = settled_pair(&mut pair, &mut watch).await;
        for i in [1, 0] {
            let mut cases = framing_cases(1);
            cases.extend([
                case(
                    "hello from no member (id 99)",
                    frame(hello("99")),
                    &["hello refused: the hello names id 99, no configured member"],
                ),
                case(
                    "hello from the node's own id",
                    frame(hello(IDS[i])),
                    &["hello refused: the hello names this node itself"],
                ),
                case(
                    "a healthQuery instead of the hello",
                    frame(baton_monitor::health_query("7", IDS[1 - i])),
                    &["hello refused: the first message was not a heartBeat"],
                ),
                case(
                    "an election message before the hello",
                    frame(nomination(NAMES[1 - i])),
                    &["election message before the hello"],
                ),
                case(
                    "a role message (not carried by peer links)",
                    frame(set_role_active()),
                    &["role message not allowed on a peer link"],
                ),
                // Before its hello a peer has the dead interval (300 ms) to send it; the
                // node does not wait for the rest of the frame that long.
                case(
                    "4 length bytes and part of a frame, then silence",
                    vec![0, 0, 0, 20, 3, 0x30],
                    &["hello refused: no hello within the dead interval"],
                ),
            ]);
            let target = Target::Tcp(pair.specs[i].peer);
            let received = expect_refused(&pair, i, &target, &cases).await;
            // It was the peer listener: the node said hello on every one of those links.
            for (c, r) in cases.iter().zip(&received) {
                assert!(
                    is_hello_from(first_frame(r), IDS[i]),
                    "{}: {}: the node's first frame was not its hello: {r:02x?}",
                    NAMES[i],
                    c.what
                );
            }
        }
        assert_unchanged(&mut pair, &mut watch, &base).await;
    });
}

#[test]
fn status_listeners_refuse_bad_input() {
    let mut pair = Pair::new("hostilestatus");
    runtime().block_on(async {
        let mut watch = Watch::start(&pair);
        let base = settled_pair(&mut pair, &mut watch).await;
        for i in [1, 0] {
            let mut cases = framing_cases(4);
            cases.extend([
                case(
                    "an election message (a client takes no part in elections)",
                    frame(nomination(NAMES[1 - i])),
                    &["election message not allowed on a client link"],
                ),
                case(
                    "setRole active (only the node sets its components' roles)",
                    frame(set_role_active()),
                    &["role message not allowed on a client link"],
                ),
            ]);
            expect_refused(&pair, i, &Target::Tcp(pair.specs[i].status), &cases).await;

            // A heartBeat (a hello from no member, or from the node's own id) is not for a
            // status listener: ignored, logged, the link kept (PROTOCOL.md section 9).
            for id in ["99", IDS[i]] {
                let mark = pair.log_mark(i);
                let mut s = Target::Tcp(pair.specs[i].status).connect().await;
                s.write_all(&frame(hello(id))).await.expect("sent");
                s.write_all(&frame(baton_status::get_status("8")))
                    .await
                    .expect("sent");
                let answer = read_until(&mut s, CLOSE_WITHIN, "getStatus after a heartBeat", |m| {
                    matches!(m, AnyMessage::Status(_))
                })
                .await;
                assert!(
                    format!("{answer:?}").contains("getStatusResponse"),
                    "{answer:?}"
                );
                pair.log_line(i, mark, &["unexpected health message ignored"], LOG_WITHIN)
                    .await;
            }
        }
        assert_unchanged(&mut pair, &mut watch, &base).await;
    });
}

#[test]
fn component_listeners_refuse_bad_input() {
    let mut pair = Pair::new("hostilecomp");
    runtime().block_on(async {
        let mut watch = Watch::start(&pair);
        let base = settled_pair(&mut pair, &mut watch).await;
        for i in [1, 0] {
            let mut cases = framing_cases(2);
            cases.push(case(
                "an election message (a component takes no part in elections)",
                frame(nomination(NAMES[i])),
                &["election message not allowed on a component link"],
            ));
            let targets = [
                Target::Unix(pair.specs[i].component_socket.clone()),
                Target::Tcp(pair.specs[i].component_tcp),
            ];
            for target in &targets {
                expect_refused(&pair, i, target, &cases).await;
            }
        }
        assert_unchanged(&mut pair, &mut watch, &base).await;
    });
}

/// Hellos carry no proof, but a live link is never displaced (PROTOCOL 4, duplicate links):
/// a client that names the *peer's* member id on a peer listener while that peer is up and
/// heard waits, and is refused when the peer is next heard on its own link, or closed at once
/// for what it sends next (garbage, a role message), on the standby beta as on the active
/// alpha. Nobody changes role and the pair's link stays.
#[test]
fn an_impostor_of_the_peer_changes_no_role() {
    let mut pair = Pair::new("impostorpeer");
    runtime().block_on(async {
        let mut watch = Watch::start(&pair);
        let base = settled_pair(&mut pair, &mut watch).await;
        let as_alpha = |tail: Vec<u8>| {
            let mut b = frame(hello(IDS[0]));
            b.extend_from_slice(&tail);
            b
        };
        let refused = ["hello refused: peer alpha is up and heard on another link"];
        let beta_cases = [
            case(
                "alpha's hello, then garbage",
                as_alpha(garbage_body(1)),
                &["link closed: bad frame: "],
            ),
            case(
                "alpha's hello, then a role message",
                as_alpha(frame(set_role_active())),
                &["role message not allowed on a peer link"],
            ),
            case(
                "alpha's hello, then silence",
                as_alpha(Vec::new()),
                &refused,
            ),
        ];
        let target = Target::Tcp(pair.specs[1].peer);
        expect_refused(&pair, 1, &target, &beta_cases).await;
        let alpha_case = case(
            "beta's hello",
            frame(hello(IDS[1])),
            &["hello refused: peer beta is up and heard on another link"],
        );
        expect_refused(&pair, 0, &Target::Tcp(pair.specs[0].peer), &[alpha_case]).await;
        for (i, name) in NAMES.iter().enumerate() {
            assert!(
                !pair
                    .log_since(i, base.marks[i])
                    .iter()
                    .any(|l| l.contains("peer alpha up") || l.contains("peer beta up")),
                "{name}: a peer link came up again"
            );
        }

        watch.record_for(Duration::from_millis(600)).await;
        for (i, want) in [(0, State::Active), (1, State::Standby)] {
            let words: Vec<_> = watch
                .since(base.at)
                .filter(|s| s.node == i)
                .map(|s| s.status.as_ref().map(|s| s.state))
                .collect();
            assert!(
                words.iter().all(|w| *w == Some(want)),
                "{} left {want:?}; seen:\n{}",
                NAMES[i],
                watch.render()
            );
            assert!(
                !pair
                    .log_since(i, base.marks[i])
                    .iter()
                    .any(|l| l.contains("role changed")),
                "{} changed role",
                NAMES[i]
            );
        }
        assert_eq!(settled(&watch.now), Some(0), "{}", watch.render());
        pair.component_becomes(0, "active", CLOSE_WITHIN).await;
        pair.component_becomes(1, "standby", CLOSE_WITHIN).await;
    });
}

/// One node alone (its peer never starts) with a dead interval longer than the mid-frame
/// timeout (5 s), so that a peer link that said hello and then stalls is closed by the
/// mid-frame timer and not as a silent peer. All four listeners stall at once: one wait.
#[test]
fn a_sender_stalled_mid_frame_is_closed_on_every_listener() {
    let mut pair = Pair::with_timers("stall", "dead_interval_ms = 8000\nstartup_wait_ms = 100");
    runtime().block_on(async {
        let mut watch = Watch::start(&pair);
        pair.start(0);
        watch
            .until("alpha active alone", Duration::from_secs(10), |s| {
                is(&s[0], State::Active)
            })
            .await;

        // A fake beta says hello on alpha's peer listener: the link comes up.
        let mut peer = Target::Tcp(pair.specs[0].peer).connect().await;
        peer.write_all(&frame(hello(IDS[1]))).await.expect("sent");
        read_until(&mut peer, CLOSE_WITHIN, "alpha's nomination", |m| {
            matches!(m, AnyMessage::Election(_))
        })
        .await;
        watch
            .until("alpha sees its peer up", Duration::from_secs(5), |s| {
                is(&s[0], State::Active) && peer_of(&s[0]) != Some(PeerState::Down)
            })
            .await;
        let before = status_json(pair.specs[0].status).await.expect("status");
        let mark = pair.log_mark(0);

        // 4 length bytes and 2 of the 20 bytes announced, then silence, on every listener.
        let partial = [0u8, 0, 0, 20, 3, 0x30];
        let targets = [
            ("peer", None),
            ("status", Some(Target::Tcp(pair.specs[0].status))),
            (
                "component socket",
                Some(Target::Unix(pair.specs[0].component_socket.clone())),
            ),
            (
                "component tcp",
                Some(Target::Tcp(pair.specs[0].component_tcp)),
            ),
        ];
        let mut streams = vec![peer];
        for (_, t) in &targets[1..] {
            streams.push(t.as_ref().expect("a target").connect().await);
        }
        let waits = streams
            .into_iter()
            .zip(&targets)
            .map(|(s, (what, _))| async move {
                let ended = send_expect_close(s, &partial, Duration::from_secs(10), what).await;
                (*what, ended)
            });
        let ended = futures_util::future::join_all(waits).await;
        for (what, e) in &ended {
            eprintln!("{what}: closed ({}) after {:?}", e.how, e.after);
            assert!(
                e.after >= Duration::from_millis(4500) && e.after < Duration::from_secs(8),
                "{what}: closed after {:?}, expected the 5 s mid-frame timeout",
                e.after
            );
        }
        let stall = "link closed: stalled mid-frame for 5 s (6 bytes of it received)";
        let deadline = Instant::now() + LOG_WITHIN;
        loop {
            let lines = pair.log_since(0, mark);
            let stalls = lines.iter().filter(|l| l.contains(stall)).count();
            if stalls == 4 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{stalls} of 4 stalled links logged:\n{}",
                lines.join("\n")
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }

        // Alpha kept its role and status word, and did not take its peer for dead.
        let after = status_json(pair.specs[0].status).await.expect("status");
        assert_eq!(after["state"], "active", "{after}");
        assert_eq!(after["state"], before["state"]);
        assert_eq!(after["components"], before["components"]);
        assert!(
            !pair
                .log_since(0, mark)
                .iter()
                .any(|l| l.contains("role changed") || l.contains("peer beta down")),
            "{}",
            pair.log(0)
        );
        assert!(pair.running(0));
    });
}

/// A timer that cuts a frame must count from the frame's first byte: a sender idle for a
/// while that then sends a frame in two pieces a few hundred ms apart is not stalled (the
/// driver's timer counted from the end of the previous frame until ec19d45).
#[test]
fn a_frame_sent_in_two_pieces_after_an_idle_spell_is_not_cut() {
    let mut pair = Pair::new("midframe");
    runtime().block_on(async {
        let mut watch = Watch::start(&pair);
        pair.start(0);
        watch
            .until("alpha active alone", Duration::from_secs(10), |s| {
                is(&s[0], State::Active)
            })
            .await;
        let mark = pair.log_mark(0);
        let mut s = Target::Tcp(pair.specs[0].status).connect().await;
        let get = frame(baton_status::get_status("8"));
        // Idle (allowed: a status client may only listen), then the frame's first 6 bytes
        // just before the 5 s timer of the link's reader ends, the rest 0.5 s later.
        tokio::time::sleep(Duration::from_millis(4750)).await;
        s.write_all(&get[..6]).await.expect("sent");
        tokio::time::sleep(Duration::from_millis(500)).await;
        let rest = s.write_all(&get[6..]).await;
        let answer = async {
            rest.map_err(|e| e.to_string())?;
            let mut buf = Vec::new();
            let mut chunk = [0u8; 1024];
            let deadline = Instant::now() + CLOSE_WITHIN;
            loop {
                let n = tokio::time::timeout_at(
                    deadline,
                    tokio::io::AsyncReadExt::read(&mut s, &mut chunk),
                )
                .await
                .map_err(|_| "no answer".to_owned())?
                .map_err(|e| e.to_string())?;
                if n == 0 {
                    return Err("closed".to_owned());
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(m) = first_frame(&buf) {
                    return Ok(m);
                }
            }
        }
        .await;
        assert!(
            matches!(&answer, Ok(AnyMessage::Status(_))),
            "the frame was cut after a 0.5 s pause: {answer:?}; log:\n{}",
            pair.log_since(0, mark).join("\n")
        );
    });
}

/// A heartBeat on a component listener registers a component. One whose id is in no
/// `[[component]]` table, from a process that then goes away, must not leave the node's
/// status changed for good.
#[test]
fn a_stranger_on_the_component_socket_leaves_no_trace() {
    let mut pair = Pair::new("stranger");
    runtime().block_on(async {
        let mut watch = Watch::start(&pair);
        let base = settled_pair(&mut pair, &mut watch).await;
        // Component id 99 is configured nowhere; "1" is alpha's own member id.
        for id in ["99", IDS[0]] {
            let mut s = Target::Unix(pair.specs[0].component_socket.clone())
                .connect()
                .await;
            s.write_all(&frame(hello(id))).await.expect("sent");
            watch.record_for(Duration::from_millis(100)).await;
        }
        // Gone: silent past the component dead interval (300 ms), then closed.
        watch.record_for(Duration::from_millis(400)).await;
        let now = status_json(pair.specs[0].status).await.expect("status");
        assert_eq!(
            now,
            base.status[0],
            "alpha's status after strangers left; seen:\n{}",
            watch.render()
        );
        assert_eq!(settled(&watch.now), Some(0), "{}", watch.render());
    });
}

/// Anyone on the host can reach the component TCP listener (loopback). A client that
/// registers with the id of a script component, then goes silent, must not take the script
/// component away from its node for good.
#[test]
fn a_client_impersonating_a_script_component_does_not_orphan_it() {
    let mut pair = Pair::new("impostor");
    runtime().block_on(async {
        let mut watch = Watch::start(&pair);
        settled_pair(&mut pair, &mut watch).await;
        let mark = pair.log_mark(0);
        let mut s = Target::Tcp(pair.specs[0].component_tcp).connect().await;
        s.write_all(&frame(hello(support::COMPONENT)))
            .await
            .expect("sent");
        // Silent past the component dead interval (300 ms), then gone.
        watch.record_for(Duration::from_millis(500)).await;
        drop(s);
        // Whatever the election made of the failure, the script component must be back
        // with its node (it runs `check` every second and answers every health query).
        watch.record_for(Duration::from_millis(2500)).await;
        for (i, name) in NAMES.iter().enumerate() {
            let doc = status_json(pair.specs[i].status).await.expect("status");
            assert_eq!(
                doc["components"],
                serde_json::json!({"ok": 1, "total": 1}),
                "{name}'s components; seen:\n{}\nalpha's log since:\n{}",
                watch.render(),
                pair.log_since(0, mark).join("\n")
            );
        }
    });
}

/// PROTOCOL 6.9: `baton node` refuses a component id its `[[component]]` tables do not list:
/// it sends the notice `healthQuery` "0 2" (which the library turns into
/// `Error::UnknownComponentId`), then closes the link, and logs why.
#[test]
fn an_unknown_component_id_is_told_then_closed() {
    use baton_asn1::monitor::HealthMonitorMessageMessage as M;
    use tokio::io::AsyncReadExt;
    let mut pair = Pair::new("unknown-id");
    runtime().block_on(async {
        let mut watch = Watch::start(&pair);
        settled_pair(&mut pair, &mut watch).await;
        let mark = pair.log_mark(0);
        let mut s = Target::Unix(pair.specs[0].component_socket.clone())
            .connect()
            .await;
        s.write_all(&frame(hello("99"))).await.expect("sent");
        let notice = read_until(
            &mut s,
            CLOSE_WITHIN,
            "the refusal notice",
            |m| matches!(m, AnyMessage::Monitor(h) if matches!(h.message, M::healthQuery(_))),
        )
        .await;
        let AnyMessage::Monitor(h) = notice else {
            unreachable!("matched a HealthMonitor message")
        };
        assert_eq!(h.correlation_id.0.as_bytes(), b"0 2");
        assert_eq!(h.component_id.0.as_bytes(), b"99");
        // Then the close: nothing more but the end of the stream.
        let mut rest = Vec::new();
        let end = tokio::time::timeout(CLOSE_WITHIN, s.read_to_end(&mut rest)).await;
        match end {
            Ok(Ok(_)) => assert!(rest.is_empty(), "nothing after the notice: {rest:?}"),
            Ok(Err(_)) => {} // a reset is a close too
            Err(_) => panic!("the node did not close the link within {CLOSE_WITHIN:?}"),
        }
        pair.log_line(
            0,
            mark,
            &["component id 99 is not in this node's configuration: refused"],
            LOG_WITHIN,
        )
        .await;
    });
}
