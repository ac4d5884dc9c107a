//! Replication through the node (PROTOCOL 6.11), component side: the library against a fake
//! node that plays its side with raw frames on a Unix socket, and checks every frame the
//! component sends. Time is tokio's paused clock.

mod support;

use baton_asn1::monitor::HealthMonitorMessageMessage as HM;
use baton_asn1::replication as r;
use baton_asn1::role::ReturnCode;
use baton_codec::{AnyMessage, Encoding, FrameCodec};
use baton_component::{
    Ack, Component, ComponentOptions, Endpoint, ErrorCode, Event, Events, Operation, PromoteError,
    Promoted, Record, RecordKey, Replica, ReplicateError, ReplicationMode, ReplicationOptions,
    Restoration, Role, RoleRequest, StandbyKind,
};
use futures_util::{SinkExt, StreamExt};
use r::ReplicationMessageMessage as M;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{ReadHalf, WriteHalf};
use tokio::net::{UnixListener, UnixStream};
use tokio_util::codec::{FramedRead, FramedWrite};

const ID: &str = "1001";

fn options(standby: StandbyKind) -> ComponentOptions {
    let mut o = ComponentOptions::new(ID);
    o.dead_interval = Duration::from_millis(190);
    o.replication = Some(ReplicationOptions {
        standby,
        mode: ReplicationMode::Sync,
    });
    o
}

/// The node's side of one component link, frame by frame.
struct FakeNode {
    _dir: tempfile::TempDir,
    listener: UnixListener,
    from: FramedRead<ReadHalf<UnixStream>, FrameCodec>,
    to: FramedWrite<WriteHalf<UnixStream>, FrameCodec>,
}

impl FakeNode {
    /// A node and a component (`standby` kind) that connected to it and registered.
    async fn start(standby: StandbyKind) -> (FakeNode, Component, Events) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path: PathBuf = dir.path().join("node.sock");
        let listener = UnixListener::bind(&path).expect("bind");
        let (component, events) = Component::connect(Endpoint::Unix(path), options(standby))
            .await
            .expect("connect");
        let (from, to) = accept(&listener).await;
        let mut node = FakeNode {
            _dir: dir,
            listener,
            from,
            to,
        };
        node.registration().await;
        (node, component, events)
    }

    /// Accepts the component's next link (after this one closed).
    async fn reaccept(&mut self) {
        let (from, to) = accept(&self.listener).await;
        self.from = from;
        self.to = to;
        self.registration().await;
    }

    async fn registration(&mut self) {
        match self.recv_any().await {
            AnyMessage::Monitor(h) if matches!(h.message, HM::heartBeat(_)) => {}
            other => panic!("expected the registration heartBeat, got {other:?}"),
        }
    }

    async fn send(&mut self, m: AnyMessage) {
        self.to.send(m).await.expect("send to the component");
    }

    async fn send_r(&mut self, correlation: &str, m: M) {
        self.send(AnyMessage::Replication(rm(correlation, m))).await;
    }

    async fn set_role(&mut self, correlation: &str, role: baton_role::Role) {
        self.send(AnyMessage::Role(baton_role::set_role(correlation, role)))
            .await;
    }

    async fn recv_any(&mut self) -> AnyMessage {
        tokio::time::timeout(Duration::from_secs(10), self.from.next())
            .await
            .expect("a frame within 10 s")
            .expect("the link is open")
            .expect("a valid frame")
    }

    /// The component's next frame that is not a pushed heartbeat.
    async fn recv(&mut self) -> AnyMessage {
        loop {
            match self.recv_any().await {
                AnyMessage::Monitor(h) if matches!(h.message, HM::heartBeat(_)) => {}
                other => return other,
            }
        }
    }

    /// The next frame, which must be a `ReplicationMessage`.
    async fn recv_r(&mut self) -> r::ReplicationMessage {
        match self.recv().await {
            AnyMessage::Replication(m) => m,
            other => panic!("expected a ReplicationMessage, got {other:?}"),
        }
    }

    /// The next frame, which must be this `setRoleResponse`.
    async fn expect_answer(&mut self, correlation: &str, code: ReturnCode) {
        assert_eq!(
            self.recv().await,
            AnyMessage::Role(baton_role::set_role_response(correlation, code))
        );
    }
}

async fn accept(
    listener: &UnixListener,
) -> (
    FramedRead<ReadHalf<UnixStream>, FrameCodec>,
    FramedWrite<WriteHalf<UnixStream>, FrameCodec>,
) {
    let (stream, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
        .await
        .expect("the component connects")
        .expect("accept");
    let (read, write) = tokio::io::split(stream);
    (
        FramedRead::new(read, FrameCodec::new(Encoding::Der)),
        FramedWrite::new(write, FrameCodec::new(Encoding::Der)),
    )
}

fn rm(correlation: &str, m: M) -> r::ReplicationMessage {
    r::ReplicationMessage::new(
        r::CorrelationId(correlation.as_bytes().try_into().expect("digits")),
        m,
    )
}

fn wire_key(data_type: &str, key: &[u8]) -> r::RecordKey {
    r::RecordKey::new(
        r::ApplicationId(ID.as_bytes().try_into().expect("digits")),
        r::DataType(data_type.as_bytes().try_into().expect("digits")),
        r::DataKey(key.to_vec().into()),
    )
}

fn wire_entry(key: &[u8], value: &[u8]) -> r::Entry {
    r::Entry::new(wire_key("1", key), r::DataValue(value.to_vec().into()))
}

/// `update{generation, sequence, operations}` as the component must send it.
fn update(generation: u64, sequence: u64, ops: Vec<r::Operation>) -> M {
    M::update(r::Update::new(
        r::Generation(generation),
        r::SequenceNumber(sequence),
        r::Operations(ops),
    ))
}

fn ack(generation: u64, highest: u64) -> M {
    M::updateAck(r::UpdateAck::new(
        r::Generation(generation),
        r::SequenceNumber(highest),
    ))
}

fn refusal(code: r::ErrorCode, text: &str) -> M {
    M::replicationError(r::ReplicationError::new(code, text.to_owned()))
}

fn sync_request() -> M {
    M::syncRequest(r::SyncRequest::new(r::SyncStart::full(r::FullSync::new())))
}

fn chunk(generation: u64, entries: Vec<r::Entry>) -> M {
    M::syncChunk(r::SyncChunk::new(
        r::Generation(generation),
        r::Entries(entries),
    ))
}

fn done(generation: u64, sequence: u64, count: u32) -> M {
    M::syncDone(r::SyncDone::new(
        r::Generation(generation),
        r::SequenceNumber(sequence),
        r::EntryCount(count),
    ))
}

fn record(key: &[u8], value: &[u8]) -> Record {
    Record {
        key: RecordKey::new("1", key.to_vec()),
        value: value.to_vec(),
    }
}

/// The next event, within 10 s of tokio's clock, skipping link events.
async fn next(events: &mut Events) -> Event {
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .expect("an event within 10 s")
            .expect("the component is open");
        match event {
            Event::Connected { .. }
            | Event::Disconnected { .. }
            | Event::SelfDemoted { .. }
            | Event::RoleChanged { .. } => {}
            other => return other,
        }
    }
}

async fn next_request(events: &mut Events) -> RoleRequest {
    match next(events).await {
        Event::RoleRequest(request) => request,
        other => panic!("expected a role request, got {other:?}"),
    }
}

/// The node sets the component active in `correlation` ("<round> <seq>"); it accepts.
async fn activate(node: &mut FakeNode, events: &mut Events, correlation: &str) {
    node.set_role(correlation, baton_role::Role::active).await;
    let request = next_request(events).await;
    assert_eq!(request.role(), Role::Active);
    request.accept().await.expect("accepted");
    node.expect_answer(correlation, ReturnCode::success).await;
}

#[tokio::test(start_paused = true)]
async fn replicate_completes_with_the_nodes_acknowledgement() {
    let (mut node, component, mut events) = FakeNode::start(StandbyKind::Cold).await;
    activate(&mut node, &mut events, "3 1").await;

    let first = component.replicate(vec![Operation::add("1", b"a".to_vec(), b"x".to_vec())]);
    // The update goes out when `replicate` is called: the next two are pipelined behind it.
    let second = component.replicate(vec![
        Operation::modify("1", b"a".to_vec(), b"y".to_vec()),
        Operation::delete("2", b"b".to_vec()),
    ]);
    let third = component.replicate(vec![Operation::delete("1", b"a".to_vec())]);
    assert_eq!(
        node.recv_r().await,
        rm(
            "1",
            update(3, 1, vec![r::Operation::add(wire_entry(b"a", b"x"))])
        )
    );
    assert_eq!(
        node.recv_r().await,
        rm(
            "2",
            update(
                3,
                2,
                vec![
                    r::Operation::modify(wire_entry(b"a", b"y")),
                    r::Operation::delete(wire_key("2", b"b")),
                ]
            )
        )
    );
    assert_eq!(
        node.recv_r().await,
        rm(
            "3",
            update(3, 3, vec![r::Operation::delete(wire_key("1", b"a"))])
        )
    );
    node.send_r("1", ack(3, 1)).await;
    assert_eq!(
        first.await,
        Ok(Ack {
            sequence: 1,
            generation: 3
        })
    );
    // One acknowledgement of the highest contiguous number completes every update below it.
    node.send_r("3", ack(3, 3)).await;
    assert_eq!(
        second.await,
        Ok(Ack {
            sequence: 2,
            generation: 3
        })
    );
    assert_eq!(
        third.await,
        Ok(Ack {
            sequence: 3,
            generation: 3
        })
    );
}

#[tokio::test(start_paused = true)]
async fn a_full_repertory_refuses_the_update_with_its_code() {
    let (mut node, component, mut events) = FakeNode::start(StandbyKind::Cold).await;
    activate(&mut node, &mut events, "1 1").await;
    let wait = component.replicate(vec![Operation::add("1", b"k".to_vec(), vec![7; 100])]);
    let sent = node.recv_r().await;
    assert_eq!(sent.correlation_id.0.as_bytes(), b"1");
    node.send_r(
        "1",
        refusal(
            r::ErrorCode::repertoryFull,
            "1000001 records: limit 1000000",
        ),
    )
    .await;
    let error = wait.await.expect_err("refused");
    assert_eq!(
        error,
        ReplicateError::Refused {
            code: ErrorCode::RepertoryFull,
            description: "1000001 records: limit 1000000".into(),
        }
    );
    assert!(error.to_string().contains("repertoryFull"), "{error}");
    // The next update is numbered on: the refused one took its number.
    let next_one = component.replicate(vec![Operation::delete("1", b"k".to_vec())]);
    assert_eq!(
        node.recv_r().await,
        rm(
            "2",
            update(1, 2, vec![r::Operation::delete(wire_key("1", b"k"))])
        )
    );
    node.send_r("2", ack(1, 2)).await;
    assert_eq!(next_one.await.map(|a| a.sequence), Ok(2));
}

#[tokio::test(start_paused = true)]
async fn a_stale_generation_is_refused_and_a_standby_sends_nothing() {
    let (mut node, component, mut events) = FakeNode::start(StandbyKind::Cold).await;
    // Not active yet: refused by the library, nothing sent.
    let op = || vec![Operation::add("1", b"k".to_vec(), b"v".to_vec())];
    assert_eq!(
        component.replicate(op()).await,
        Err(ReplicateError::NotActive)
    );
    activate(&mut node, &mut events, "4 2").await;
    let wait = component.replicate(op());
    assert_eq!(
        node.recv_r().await,
        rm(
            "1",
            update(4, 1, vec![r::Operation::add(wire_entry(b"k", b"v"))])
        )
    );
    // The node promoted its peer meanwhile (round 5): this generation is stale.
    node.send_r(
        "1",
        refusal(r::ErrorCode::staleGeneration, "generation 4 < 5"),
    )
    .await;
    assert_eq!(
        wait.await,
        Err(ReplicateError::Refused {
            code: ErrorCode::StaleGeneration,
            description: "generation 4 < 5".into(),
        })
    );
    // Demoted: the library refuses at once again.
    node.set_role("5 3", baton_role::Role::standby).await;
    next_request(&mut events)
        .await
        .accept()
        .await
        .expect("accepted");
    node.expect_answer("5 3", ReturnCode::success).await;
    assert_eq!(
        component.replicate(op()).await,
        Err(ReplicateError::NotActive)
    );
    // Nothing else was sent: the next frame is the answer to a query.
    node.send(AnyMessage::Monitor(baton_monitor::health_query("9", ID)))
        .await;
    assert!(
        matches!(node.recv().await, AnyMessage::Monitor(h) if matches!(h.message, HM::healthQueryResponse(_)))
    );
    // Invalid operations are refused before anything is sent.
    activate(&mut node, &mut events, "6 4").await;
    assert!(matches!(
        component.replicate(Vec::<Operation>::new()).await,
        Err(ReplicateError::Invalid(_))
    ));
    assert!(matches!(
        component
            .replicate(vec![Operation::add("x", b"k".to_vec(), b"v".to_vec())])
            .await,
        Err(ReplicateError::Invalid(_))
    ));
    assert!(matches!(
        component
            .replicate(vec![Operation::add("1", vec![0; 65], b"v".to_vec())])
            .await,
        Err(ReplicateError::Invalid(_))
    ));
    // A value the module allows but the 64 KiB frame limit does not.
    let big: Vec<Operation> = (0..8u8)
        .map(|i| Operation::add("1", vec![i], vec![0; 16384]))
        .collect();
    assert!(matches!(
        component.replicate(big).await,
        Err(ReplicateError::Invalid(_))
    ));
}

#[tokio::test(start_paused = true)]
async fn a_hot_standby_applies_the_sync_then_the_updates_in_order() {
    let (mut node, _component, mut events) = FakeNode::start(StandbyKind::Hot).await;
    // At registration a hot standby asks for its records.
    assert_eq!(node.recv_r().await, rm("1", sync_request()));
    node.send_r(
        "1",
        chunk(2, vec![wire_entry(b"a", b"1"), wire_entry(b"b", b"2")]),
    )
    .await;
    node.send_r("1", chunk(2, vec![wire_entry(b"c", b"3")]))
        .await;
    node.send_r("1", done(2, 5, 3)).await;
    node.send_r(
        "7",
        update(2, 6, vec![r::Operation::modify(wire_entry(b"a", b"9"))]),
    )
    .await;
    node.send_r(
        "8",
        update(2, 7, vec![r::Operation::delete(wire_key("1", b"b"))]),
    )
    .await;
    match next(&mut events).await {
        Event::StandbySync { records } => assert_eq!(
            records,
            vec![record(b"a", b"1"), record(b"b", b"2"), record(b"c", b"3")]
        ),
        other => panic!("{other:?}"),
    }
    match next(&mut events).await {
        Event::StandbyUpdate {
            sequence,
            operations,
        } => {
            assert_eq!(sequence, 6);
            assert_eq!(
                operations,
                vec![Operation::modify("1", b"a".to_vec(), b"9".to_vec())]
            );
        }
        other => panic!("{other:?}"),
    }
    match next(&mut events).await {
        Event::StandbyUpdate {
            sequence,
            operations,
        } => {
            assert_eq!(sequence, 7);
            assert_eq!(operations, vec![Operation::delete("1", b"b".to_vec())]);
        }
        other => panic!("{other:?}"),
    }
    // setRole{standby} while streamed to: no second request.
    node.set_role("2 1", baton_role::Role::standby).await;
    next_request(&mut events)
        .await
        .accept()
        .await
        .expect("accepted");
    node.expect_answer("2 1", ReturnCode::success).await;
    // A gap in the stream (8 missing): the copy is stale, a new full sync is asked for.
    node.send_r(
        "9",
        update(2, 9, vec![r::Operation::delete(wire_key("1", b"c"))]),
    )
    .await;
    assert_eq!(node.recv_r().await, rm("2", sync_request()));
    node.send_r("2", chunk(2, vec![wire_entry(b"a", b"9")]))
        .await;
    node.send_r("2", done(2, 9, 1)).await;
    match next(&mut events).await {
        Event::StandbySync { records } => assert_eq!(records, vec![record(b"a", b"9")]),
        other => panic!("{other:?}"),
    }
    // Promotion of a hot standby: its state is what the stream delivered.
    node.set_role("3 2", baton_role::Role::active).await;
    let request = next_request(&mut events).await;
    assert_eq!(request.restoration(), Some(&Restoration::Streamed));
}

/// An application that records the promotion's steps.
struct Recorder {
    steps: Arc<Mutex<Vec<String>>>,
    orphans: Vec<RecordKey>,
}

impl Recorder {
    fn step(&self, s: String) {
        self.steps.lock().unwrap().push(s);
    }
}

impl Replica for Recorder {
    fn restore(&mut self, restoration: Restoration) {
        self.step(format!("restore {restoration:?}"));
    }
    fn activate(&mut self) -> bool {
        self.step("activate".into());
        true
    }
    fn audit(&mut self) -> Vec<RecordKey> {
        self.step("audit".into());
        self.orphans.clone()
    }
    fn cleanup(&mut self, orphans: &[RecordKey]) {
        self.step(format!("cleanup {}", orphans.len()));
    }
}

#[tokio::test(start_paused = true)]
async fn promotion_restores_activates_answers_audits_then_cleans_up() {
    let (mut node, component, mut events) = FakeNode::start(StandbyKind::Cold).await;
    // Before setRole{active} the node sends the application's records (PROTOCOL 6.11).
    node.send_r(
        "5",
        chunk(7, vec![wire_entry(b"a", b"1"), wire_entry(b"b", b"")]),
    )
    .await;
    node.send_r("5", done(7, 12, 2)).await;
    node.set_role("7 3", baton_role::Role::active).await;
    let request = next_request(&mut events).await;
    let restored = Restoration::Records(vec![record(b"a", b"1"), record(b"b", b"")]);
    assert_eq!(request.restoration(), Some(&restored));
    let steps = Arc::new(Mutex::new(Vec::new()));
    let mut app = Recorder {
        steps: steps.clone(),
        orphans: vec![RecordKey::new("1", b"b".to_vec())],
    };
    let promotion = tokio::spawn(async move { request.promote(&mut app).await });

    // The answer comes after activation, the cleanup's delete after the answer.
    node.expect_answer("7 3", ReturnCode::success).await;
    assert_eq!(
        node.recv_r().await,
        rm(
            "1",
            update(7, 1, vec![r::Operation::delete(wire_key("1", b"b"))])
        )
    );
    assert_eq!(
        *steps.lock().unwrap(),
        vec![
            format!("restore {restored:?}"),
            "activate".into(),
            "audit".into()
        ]
    );
    assert_eq!(component.role(), Some(Role::Active));
    node.send_r("1", ack(7, 1)).await;
    let promoted = promotion.await.expect("the task").expect("promoted");
    assert_eq!(
        promoted,
        Promoted {
            orphans: vec![RecordKey::new("1", b"b".to_vec())],
            acks: vec![Ack {
                sequence: 1,
                generation: 7
            }],
        }
    );
    assert_eq!(
        *steps.lock().unwrap(),
        vec![
            format!("restore {restored:?}"),
            "activate".into(),
            "audit".into(),
            "cleanup 1".into()
        ]
    );
}

/// An application that cannot activate.
struct Broken;

impl Replica for Broken {
    fn restore(&mut self, _: Restoration) {}
    fn activate(&mut self) -> bool {
        false
    }
    fn audit(&mut self) -> Vec<RecordKey> {
        unreachable!("no audit after a failed activation")
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_activation_refuses_the_role() {
    let (mut node, component, mut events) = FakeNode::start(StandbyKind::Cold).await;
    node.send_r("5", done(1, 0, 0)).await;
    node.set_role("1 1", baton_role::Role::active).await;
    let request = next_request(&mut events).await;
    assert_eq!(request.restoration(), Some(&Restoration::Records(vec![])));
    assert_eq!(
        request.promote(&mut Broken).await,
        Err(PromoteError::NotActivated)
    );
    node.expect_answer("1 1", ReturnCode::failure).await;
    assert_eq!(component.role(), None);
}

#[tokio::test(start_paused = true)]
async fn a_new_link_renumbers_from_one_and_fails_what_was_in_flight() {
    let (mut node, component, mut events) = FakeNode::start(StandbyKind::Cold).await;
    activate(&mut node, &mut events, "2 1").await;
    let op = |v: &[u8]| vec![Operation::add("1", b"k".to_vec(), v.to_vec())];
    let first = component.replicate(op(b"1"));
    let second = component.replicate(op(b"2"));
    node.recv_r().await;
    node.recv_r().await;
    node.send_r("1", ack(2, 1)).await;
    assert_eq!(first.await.map(|a| a.sequence), Ok(1));
    // The node's link drops before the second is acknowledged: its outcome is unknown.
    let FakeNode { from, to, .. } = &mut node;
    drop(std::mem::replace(
        from,
        FramedRead::new(
            tokio::io::split(UnixStream::pair().expect("pair").0).0,
            FrameCodec::new(Encoding::Der),
        ),
    ));
    drop(std::mem::replace(
        to,
        FramedWrite::new(
            tokio::io::split(UnixStream::pair().expect("pair").0).1,
            FrameCodec::new(Encoding::Der),
        ),
    ));
    assert_eq!(second.await, Err(ReplicateError::LinkClosed));
    // The component registers again, is made active again: numbering restarts at 1.
    node.reaccept().await;
    activate(&mut node, &mut events, "3 2").await;
    let third = component.replicate(op(b"3"));
    assert_eq!(
        node.recv_r().await,
        rm(
            "1",
            update(3, 1, vec![r::Operation::add(wire_entry(b"k", b"3"))])
        )
    );
    node.send_r("1", ack(3, 1)).await;
    assert_eq!(
        third.await,
        Ok(Ack {
            sequence: 1,
            generation: 3
        })
    );
}

#[tokio::test(start_paused = true)]
async fn syncs_the_component_did_not_ask_for_are_a_promotions_or_a_new_copy() {
    let (mut node, _component, mut events) = FakeNode::start(StandbyKind::Hot).await;
    assert_eq!(node.recv_r().await, rm("1", sync_request()));
    // The node (active) promotes it before answering its request: the sync it pushes under
    // an id of its own is the promotion's restoration.
    node.send_r("40", chunk(3, vec![wire_entry(b"a", b"1")]))
        .await;
    node.send_r("41", done(3, 0, 1)).await;
    node.set_role("3 1", baton_role::Role::active).await;
    let request = next_request(&mut events).await;
    assert_eq!(
        request.restoration(),
        Some(&Restoration::Records(vec![record(b"a", b"1")]))
    );
    request.accept().await.expect("accepted");
    node.expect_answer("3 1", ReturnCode::success).await;
    // The answer to the request, late: the component is active, it is not a copy.
    node.send_r("1", done(3, 0, 0)).await;
    // Demoted: a hot standby asks again; streamed to, a sync the node pushes (its
    // repertory was replaced) is a new copy, and the stream goes on after it.
    node.set_role("4 2", baton_role::Role::standby).await;
    next_request(&mut events)
        .await
        .accept()
        .await
        .expect("accepted");
    node.expect_answer("4 2", ReturnCode::success).await;
    assert_eq!(node.recv_r().await, rm("2", sync_request()));
    node.send_r("2", done(4, 3, 0)).await;
    match next(&mut events).await {
        Event::StandbySync { records } => assert!(records.is_empty()),
        other => panic!("{other:?}"),
    }
    node.send_r("42", chunk(4, vec![wire_entry(b"b", b"2")]))
        .await;
    node.send_r("43", done(4, 9, 1)).await;
    node.send_r(
        "44",
        update(4, 10, vec![r::Operation::delete(wire_key("1", b"b"))]),
    )
    .await;
    match next(&mut events).await {
        Event::StandbySync { records } => assert_eq!(records, vec![record(b"b", b"2")]),
        other => panic!("{other:?}"),
    }
    match next(&mut events).await {
        Event::StandbyUpdate { sequence, .. } => assert_eq!(sequence, 10),
        other => panic!("{other:?}"),
    }
}

/// A replicating component against the real pure node (`baton_engine::Node`, alone: it
/// promotes after its startup wait), with a repertory of at most two records.
#[tokio::test(start_paused = true)]
async fn against_the_node_engine_a_write_is_acknowledged_and_the_bound_refuses() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("node.sock");
    let mut config = support::config();
    config
        .replication
        .components
        .insert(ID.into(), baton_engine::ReplicationMode::Sync);
    config.replication.limits = baton_replication::Limits {
        max_entries: 2,
        max_octets: 1 << 20,
    };
    let _node = support::TestNode::unix(&path, config);
    let (component, mut events) =
        Component::connect(Endpoint::Unix(path), options(StandbyKind::Cold))
            .await
            .expect("connect");
    let request = next_request(&mut events).await;
    assert_eq!(request.restoration(), Some(&Restoration::Records(vec![])));
    let generation = u64::from(request.generation().expect("a round"));
    let steps = Arc::new(Mutex::new(Vec::new()));
    let mut app = Recorder {
        steps: steps.clone(),
        orphans: vec![],
    };
    assert_eq!(request.promote(&mut app).await, Ok(Promoted::default()));
    let add = |k: &[u8]| vec![Operation::add("1", k.to_vec(), b"v".to_vec())];
    // No standby node: acknowledged once in the mirror.
    assert_eq!(
        component.replicate(add(b"a")).await,
        Ok(Ack {
            sequence: 1,
            generation
        })
    );
    assert_eq!(
        component.replicate(add(b"b")).await.map(|a| a.sequence),
        Ok(2)
    );
    match component.replicate(add(b"c")).await {
        Err(ReplicateError::Refused {
            code: ErrorCode::RepertoryFull,
            ..
        }) => {}
        other => panic!("expected repertoryFull, got {other:?}"),
    }
    // Nothing was dropped: a rewrite of a present key still fits.
    assert_eq!(
        component
            .replicate(vec![Operation::modify("1", b"a".to_vec(), b"w".to_vec())])
            .await
            .map(|a| a.sequence),
        Ok(4)
    );
}
