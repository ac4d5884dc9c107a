//! Replication through real `baton node` processes (PROTOCOL 6.11): each node of the pair has,
//! beside the support's script component, a linked component "11" with `replication =
//! "sync"`, played by this test on the node's component socket (it registers, takes every
//! role, answers health queries, and speaks interface 5 in raw frames). The sequences of issue
//! 13: batch sync on join, incremental replication, no acknowledged `sync` update lost at a
//! SIGKILL of the active, a standby restarted during a sync, stale generations refused.
//! (`audit_mismatch_found_and_repaired` is an engine-level test, `engine/tests/
//! replication.rs`: a real process offers no way to corrupt its memory.)

mod support;

use baton_asn1::replication as r;
use baton_asn1::role::{ReturnCode, RoleMessageMessage};
use baton_codec::{AnyMessage, Encoding, FrameCodec};
use baton_monitor::ComponentStatus;
use baton_replication::wire;
use baton_status::State;
use r::ReplicationMessageMessage as M;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{frame, is, runtime, settled, Pair, Watch, BATON};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::unix::OwnedWriteHalf;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The replicating component's id (its application id).
const ID: &str = "11";
/// Long enough for anything these tests wait for on a loaded machine.
const WITHIN: Duration = Duration::from_secs(20);

/// Adds component "11" (`replication = "sync"`) to both nodes' files.
fn replicating_pair(tag: &str) -> Pair {
    replicating_pair_with(tag, "")
}

/// As [`replicating_pair`], with more lines for the `[timers]` table. beta never promotes
/// alone at start (`alone = "wait"`): started after alpha, on a loaded machine it may not
/// have reached alpha within the startup wait, and two actives healed (PROTOCOL 5.11) are no
/// part of these sequences.
fn replicating_pair_with(tag: &str, timers: &str) -> Pair {
    let pair = Pair::with_timers(tag, timers);
    support::configure(&pair, 1, "alone = \"wait\"", "");
    for s in &pair.specs {
        let mut text = std::fs::read_to_string(&s.config).expect("the configuration");
        text.push_str(&format!(
            "\n[[component]]\nid = \"{ID}\"\nreplication = \"sync\"\n"
        ));
        std::fs::write(&s.config, text).expect("the configuration is written");
    }
    pair
}

/// What the test's component saw.
#[derive(Default)]
struct Seen {
    /// The round of the last `setRole{active}` (its correlation id's first number).
    active_round: Option<u64>,
    /// The last role taken.
    role: Option<baton_asn1::role::Role>,
}

/// Component "11" on a node's component socket.
struct Comp {
    write: Arc<tokio::sync::Mutex<OwnedWriteHalf>>,
    replication: mpsc::UnboundedReceiver<r::ReplicationMessage>,
    seen: Arc<Mutex<Seen>>,
    next_id: u64,
}

impl Comp {
    /// Connects to node `i`'s component socket and registers.
    async fn connect(pair: &Pair, i: usize) -> Comp {
        let path = pair.specs[i].component_socket.clone();
        let deadline = Instant::now() + WITHIN;
        let stream = loop {
            match tokio::net::UnixStream::connect(&path).await {
                Ok(s) => break s,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("component socket {}: {e}", path.display()),
            }
        };
        let (mut read, write) = stream.into_split();
        let write = Arc::new(tokio::sync::Mutex::new(write));
        let hello = baton_monitor::heart_beat("1", ID, ComponentStatus::ok);
        write
            .lock()
            .await
            .write_all(&frame(hello))
            .await
            .expect("the hello is written");
        let (tx, rx) = mpsc::unbounded_channel();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let (w, s) = (write.clone(), seen.clone());
        tokio::spawn(async move {
            let mut codec = FrameCodec::new(Encoding::Der);
            let mut buf = bytes::BytesMut::new();
            let mut chunk = vec![0u8; 65536];
            loop {
                while let Ok(Some(m)) = tokio_util::codec::Decoder::decode(&mut codec, &mut buf) {
                    let answer = match m {
                        AnyMessage::Role(m) => {
                            let cid =
                                String::from_utf8_lossy(m.correlation_id.0.as_bytes()).into_owned();
                            if let RoleMessageMessage::setRole(set) = m.message {
                                let mut seen = s.lock().unwrap();
                                seen.role = Some(set.role);
                                if set.role == baton_asn1::role::Role::active {
                                    seen.active_round =
                                        cid.split(' ').next().and_then(|r| r.parse().ok());
                                }
                            }
                            Some(frame(baton_role::set_role_response(
                                &cid,
                                ReturnCode::success,
                            )))
                        }
                        AnyMessage::Monitor(m) => {
                            let cid =
                                String::from_utf8_lossy(m.correlation_id.0.as_bytes()).into_owned();
                            Some(frame(baton_monitor::health_query_response(
                                &cid,
                                ID,
                                ComponentStatus::ok,
                            )))
                        }
                        AnyMessage::Replication(m) => {
                            let _ = tx.send(m);
                            None
                        }
                        _ => None,
                    };
                    if let Some(bytes) = answer {
                        if w.lock().await.write_all(&bytes).await.is_err() {
                            return;
                        }
                    }
                }
                match read.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
        });
        Comp {
            write,
            replication: rx,
            seen,
            next_id: 1000,
        }
    }

    async fn send(&mut self, m: r::ReplicationMessage) {
        self.write
            .lock()
            .await
            .write_all(&frame(m))
            .await
            .expect("the frame is written");
    }

    fn id(&mut self) -> r::CorrelationId {
        self.next_id += 1;
        wire::correlation(self.next_id)
    }

    /// Waits until the node set this component active; the generation it serves in.
    async fn active_generation(&self) -> u64 {
        let deadline = Instant::now() + WITHIN;
        loop {
            let active = {
                let seen = self.seen.lock().unwrap();
                (seen.role == Some(baton_asn1::role::Role::active)).then_some(seen.active_round)
            };
            if let Some(round) = active {
                return round.expect("a round in the setRole's id");
            }
            assert!(Instant::now() < deadline, "component 11 never set active");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The next replication message that `pred` selects (others are dropped).
    async fn next(
        &mut self,
        what: &str,
        mut pred: impl FnMut(&r::ReplicationMessage) -> bool,
    ) -> r::ReplicationMessage {
        let deadline = Instant::now() + WITHIN;
        loop {
            match tokio::time::timeout_at(deadline, self.replication.recv()).await {
                Ok(Some(m)) if pred(&m) => return m,
                Ok(Some(_)) => {}
                Ok(None) => panic!("{what}: the component link closed"),
                Err(_) => panic!("{what}: nothing within {WITHIN:?}"),
            }
        }
    }

    /// Sends `sync` update `seq` of `generation` writing `key` = `value`; returns its id.
    async fn update(&mut self, generation: u64, seq: u64, key: &str, value: &str) -> String {
        let id = self.id();
        let op = r::Operation::add(entry(key, value));
        let m = wire::message(
            &id,
            M::update(r::Update::new(
                r::Generation(generation),
                r::SequenceNumber(seq),
                r::Operations(vec![op]),
            )),
        );
        self.send(m).await;
        text(&id)
    }
}

fn text(id: &r::CorrelationId) -> String {
    String::from_utf8_lossy(id.0.as_bytes()).into_owned()
}

fn entry(key: &str, value: &str) -> r::Entry {
    let k = baton_replication::Key {
        application_id: ID.as_bytes().to_vec(),
        data_type: b"1".to_vec(),
        key: key.as_bytes().to_vec(),
    };
    r::Entry::new(
        k.to_wire().expect("a valid key"),
        r::DataValue(value.as_bytes().to_vec().into()),
    )
}

/// A component's copy of its records, built from what the node sends it: syncs replace it,
/// stream updates change it.
#[derive(Default)]
struct Copy {
    records: BTreeMap<Vec<u8>, Vec<u8>>,
    incoming: Vec<r::Entry>,
}

impl Copy {
    fn take(&mut self, m: &r::ReplicationMessage) {
        match &m.message {
            M::syncChunk(c) => self.incoming.extend(c.entries.0.iter().cloned()),
            M::syncDone(_) => {
                self.records = std::mem::take(&mut self.incoming)
                    .into_iter()
                    .map(|e| (e.record_key.key.0.to_vec(), e.value.0.to_vec()))
                    .collect();
            }
            M::update(u) => {
                for op in &u.operations.0 {
                    match op {
                        r::Operation::add(e) | r::Operation::modify(e) => {
                            self.records
                                .insert(e.record_key.key.0.to_vec(), e.value.0.to_vec());
                        }
                        r::Operation::delete(k) => {
                            self.records.remove(&k.key.0.to_vec());
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// `baton status --json --config` of node `i`: its `replication` object for component 11
/// (`null` while the node does not answer: it is starting).
async fn replication_status(pair: &Pair, i: usize) -> serde_json::Value {
    let out = tokio::process::Command::new(BATON)
        .args(["status", "--json", "--config"])
        .arg(&pair.specs[i].config)
        .output()
        .await
        .expect("baton status runs");
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .map_or(serde_json::Value::Null, |doc| {
            doc["replication"][ID].clone()
        })
}

/// Waits until node `i`'s status says component 11 is caught up with `records` records.
async fn caught_up_with(pair: &Pair, i: usize, records: u64) -> serde_json::Value {
    let deadline = Instant::now() + WITHIN;
    loop {
        let s = replication_status(pair, i).await;
        if s["caught_up"] == true && s["records"] == records {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "node {i}: not caught up with {records} records: {s}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// alpha active (its component 11 connected and active), beta standby with its component
/// connected and hot (it asked for a sync); the generation alpha serves in.
async fn settled_pair(pair: &mut Pair, watch: &mut Watch) -> (Comp, Comp, u64) {
    pair.start(0);
    let a = Comp::connect(pair, 0).await;
    watch
        .until("alpha active alone", WITHIN, |s| is(&s[0], State::Active))
        .await;
    let g = a.active_generation().await;
    pair.start(1);
    let mut b = Comp::connect(pair, 1).await;
    watch
        .until("alpha active, beta standby", WITHIN, |s| {
            settled(s) == Some(0)
        })
        .await;
    let id = b.id();
    b.send(wire::message(
        &id,
        M::syncRequest(r::SyncRequest::new(r::SyncStart::full(r::FullSync {}))),
    ))
    .await;
    b.next("beta's answer to the syncRequest", |m| {
        matches!(m.message, M::syncDone(_))
    })
    .await;
    caught_up_with(pair, 1, 0).await;
    (a, b, g)
}

fn is_ack_of<'a>(id: &'a str) -> impl FnMut(&r::ReplicationMessage) -> bool + 'a {
    move |m| text(&m.correlation_id) == id
}

#[test]
fn batch_sync_on_join() {
    runtime().block_on(async {
        let mut pair = replicating_pair("repl-join");
        let mut watch = Watch::start(&pair);
        pair.start(0);
        let mut a = Comp::connect(&pair, 0).await;
        watch
            .until("alpha active alone", WITHIN, |s| is(&s[0], State::Active))
            .await;
        let g = a.active_generation().await;
        // Three records while alpha is alone: acknowledged at once (no standby node).
        for s in 1..=3u64 {
            let id = a.update(g, s, &format!("k{s}"), "v").await;
            let m = a.next("an acknowledgement", is_ack_of(&id)).await;
            assert_eq!(m, wire::ack(&wire::correlation(1000 + s), g, s));
        }
        // beta joins: batch sync; its hot component gets the three records.
        pair.start(1);
        let mut b = Comp::connect(&pair, 1).await;
        watch
            .until("beta standby", WITHIN, |s| settled(s) == Some(0))
            .await;
        let s = caught_up_with(&pair, 1, 3).await;
        assert_eq!(s["mode"], "sync");
        let id = b.id();
        b.send(wire::message(
            &id,
            M::syncRequest(r::SyncRequest::new(r::SyncStart::full(r::FullSync {}))),
        ))
        .await;
        let mut copy = Copy::default();
        loop {
            let m = b.next("beta's sync", |_| true).await;
            copy.take(&m);
            if let M::syncDone(d) = &m.message {
                assert_eq!((d.generation.0, d.entry_count.0), (g, 3));
                break;
            }
        }
        let keys: Vec<_> = copy.records.keys().cloned().collect();
        assert_eq!(keys, vec![b"k1".to_vec(), b"k2".to_vec(), b"k3".to_vec()]);
        let s = caught_up_with(&pair, 0, 3).await;
        assert_eq!(s["lag_updates"], 0);
    });
}

#[test]
fn incremental_replication() {
    runtime().block_on(async {
        let mut pair = replicating_pair("repl-incr");
        let mut watch = Watch::start(&pair);
        let (mut a, mut b, g) = settled_pair(&mut pair, &mut watch).await;
        for s in 1..=20u64 {
            let id = a.update(g, s, &format!("k{s:02}"), &format!("v{s}")).await;
            let ack = a.next("an acknowledgement", is_ack_of(&id)).await;
            assert_eq!(ack, wire::ack(&wire::correlation(1000 + s), g, s));
        }
        // beta's hot component received the twenty, in order, numbered 1 to 20.
        for s in 1..=20u64 {
            let m = b
                .next("a streamed update", |m| matches!(m.message, M::update(_)))
                .await;
            let M::update(u) = m.message else {
                unreachable!()
            };
            assert_eq!((u.generation.0, u.sequence_number.0), (g, s));
            assert_eq!(
                u.operations.0,
                vec![r::Operation::add(entry(
                    &format!("k{s:02}"),
                    &format!("v{s}")
                ))]
            );
        }
        caught_up_with(&pair, 1, 20).await;
        caught_up_with(&pair, 0, 20).await;
    });
}

#[test]
fn failover_loses_no_acknowledged_sync_update() {
    runtime().block_on(async {
        let mut pair = replicating_pair("repl-failover");
        let mut watch = Watch::start(&pair);
        let (mut a, mut b, g) = settled_pair(&mut pair, &mut watch).await;
        // A steady load: 400 updates written without waiting; alpha is killed once 100 are
        // acknowledged, with the rest in flight.
        let mut ids = BTreeMap::new();
        for s in 1..=400u64 {
            let id = a.update(g, s, &format!("k{s:03}"), "v").await;
            ids.insert(id, s);
        }
        let mut acked = Vec::new();
        while acked.len() < 100 {
            let m = a
                .next("acknowledgements", |m| matches!(m.message, M::updateAck(_)))
                .await;
            acked.push(ids[&text(&m.correlation_id)]);
        }
        pair.kill(0);
        // Acknowledgements already on their way count too.
        while let Ok(m) = a.replication.try_recv() {
            if let Some(s) = ids.get(&text(&m.correlation_id)) {
                acked.push(*s);
            }
        }
        watch
            .until("beta active", WITHIN, |s| is(&s[1], State::Active))
            .await;
        b.active_generation().await;
        // beta's component was hot: everything it holds came by its stream.
        let mut copy = Copy::default();
        while let Ok(m) = b.replication.try_recv() {
            copy.take(&m);
        }
        let lost: Vec<u64> = acked
            .iter()
            .copied()
            .filter(|s| !copy.records.contains_key(format!("k{s:03}").as_bytes()))
            .collect();
        assert_eq!(
            lost,
            Vec::<u64>::new(),
            "acknowledged, and not on the new active"
        );
        let held = replication_status(&pair, 1).await["records"]
            .as_u64()
            .unwrap();
        assert!(held >= acked.len() as u64, "beta holds {held} records");
        assert_eq!(held, copy.records.len() as u64);
    });
}

#[test]
fn standby_restart_during_sync() {
    runtime().block_on(async {
        let mut pair = replicating_pair("repl-restart");
        let mut watch = Watch::start(&pair);
        let (mut a, _b, g) = settled_pair(&mut pair, &mut watch).await;
        // 2048 records (32 updates of 64): a sync of 32 chunks.
        for s in 1..=32u64 {
            let id = a.id();
            let ops = (0..64)
                .map(|i| r::Operation::add(entry(&format!("r{s:02}-{i:02}"), "x")))
                .collect();
            a.send(wire::message(
                &id,
                M::update(r::Update::new(
                    r::Generation(g),
                    r::SequenceNumber(s),
                    r::Operations(ops),
                )),
            ))
            .await;
            a.next("an acknowledgement", is_ack_of(&text(&id))).await;
        }
        caught_up_with(&pair, 1, 2048).await;
        // beta is killed, started, and killed again as its sync comes in; then started.
        pair.kill(1);
        pair.start(1);
        let mark = pair.log_mark(0);
        let deadline = Instant::now() + WITHIN;
        while !pair
            .log_since(0, mark)
            .iter()
            .any(|l| l.contains("peer beta up"))
        {
            assert!(Instant::now() < deadline, "beta never came up");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        pair.kill(1);
        // alpha does not wait for a standby node that is gone: acknowledged at once.
        let id = a.update(g, 33, "after", "y").await;
        a.next("an acknowledgement", is_ack_of(&id)).await;
        pair.start(1);
        caught_up_with(&pair, 1, 2049).await;
        caught_up_with(&pair, 0, 2049).await;
    });
}

#[test]
fn stale_generation_refused() {
    runtime().block_on(async {
        let mut pair = replicating_pair("repl-stale");
        let mut watch = Watch::start(&pair);
        let (mut a, mut b, g) = settled_pair(&mut pair, &mut watch).await;
        let id = a.update(g - 1, 1, "old", "1").await;
        let m = a.next("the refusal", is_ack_of(&id)).await;
        let why = format!(
            "generation {} is older than this node's {g}: nothing applied",
            g - 1
        );
        assert_eq!(
            m,
            wire::error(&wire::correlation(1001), r::ErrorCode::staleGeneration, why)
        );
        // beta's component is standby: refused too.
        let id = b.update(g, 1, "x", "1").await;
        let m = b.next("the refusal", is_ack_of(&id)).await;
        assert!(matches!(
            m.message,
            M::replicationError(e) if e.code == r::ErrorCode::staleGeneration
        ));
        // After a switchover alpha's component (standby now) is refused with its old
        // generation; nothing reached beta's repertory.
        let out = tokio::process::Command::new(BATON)
            .args(["switchover", "--wait", "--config"])
            .arg(&pair.specs[0].config)
            .output()
            .await
            .expect("baton switchover runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        b.active_generation().await;
        let id = a.update(g, 2, "late", "1").await;
        let m = a.next("the refusal", is_ack_of(&id)).await;
        assert!(matches!(
            m.message,
            M::replicationError(e) if e.code == r::ErrorCode::staleGeneration
        ));
        assert_eq!(replication_status(&pair, 1).await["records"], 0);
    });
}

/// A large batch sync (300,032 records: 4,688 chunks in one burst, more frames than a link
/// may queue of other kinds, `WRITE_QUEUE`) reaches the joining standby node whole, the link
/// kept. (Whether the burst queues at all depends on how fast the standby reads: the queue's
/// own limit for replication frames, `REPLICATION_QUEUE` in node/src/driver/link.rs, is not
/// forced here.)
#[test]
fn a_large_batch_sync_reaches_the_standby() {
    runtime().block_on(async {
        // Debug builds on a shared machine: the node is busy for a while with 4,688 updates
        // of 64 operations; long timers keep the guard and the peer from taking that for a
        // death (what is tested is the queue, not the timers).
        let mut pair = replicating_pair_with(
            "repl-large",
            "heartbeat_ms = 1000\ndead_interval_ms = 10000\nstartup_wait_ms = 300\nquery_interval_ms = 1000",
        );
        let mut watch = Watch::start(&pair);
        pair.start(0);
        let mut a = Comp::connect(&pair, 0).await;
        watch
            .until("alpha active alone", WITHIN, |s| is(&s[0], State::Active))
            .await;
        let g = a.active_generation().await;
        let updates = 4688u64;
        let mut last = String::new();
        for s in 1..=updates {
            let id = a.id();
            let ops = (0..64)
                .map(|i| r::Operation::add(entry(&format!("{s:05}-{i:02}"), "0123456789")))
                .collect();
            a.send(wire::message(
                &id,
                M::update(r::Update::new(
                    r::Generation(g),
                    r::SequenceNumber(s),
                    r::Operations(ops),
                )),
            ))
            .await;
            last = text(&id);
        }
        a.next("the last acknowledgement", is_ack_of(&last)).await;
        pair.start(1);
        let deadline = Instant::now() + 3 * WITHIN;
        loop {
            let s = replication_status(&pair, 1).await;
            if s["caught_up"] == true && s["records"] == updates * 64 {
                break;
            }
            assert!(Instant::now() < deadline, "beta not caught up: {s}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(
            !pair.log(0).contains("write queue full"),
            "alpha cut a link: {}",
            pair.log(0)
        );
    });
}
