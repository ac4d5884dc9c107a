//! Replication through the node (PROTOCOL 6.11) with two whole Nodes: component "11"
//! replicates (`sync`) on each; alpha is Active, beta Standby. The replication frames each
//! node sends on its peer link and each component receives are compared as whole typed
//! values (correlation ids included); component frames the shipped component engine does
//! not make are sent with [`Pair::component_send`].

mod support;

use baton_asn1::replication as r;
use baton_codec::AnyMessage;
use baton_core::{LinkId, NodeRole};
use baton_engine::{Notice, ReplicationMode, ReplicationNotice, ReplicationStatus};
use baton_monitor::Severity;
use baton_replication::wire;
use r::ReplicationMessageMessage as M;
use std::time::Duration;
use support::*;

/// alpha's component.
const A: usize = 0;
/// beta's component.
const B: usize = 1;

fn repl_config(me: usize) -> baton_engine::NodeConfig {
    let mut c = sequence_config(me);
    c.components.insert("11".into(), policy(Severity::Major));
    c.replication
        .components
        .insert("11".into(), ReplicationMode::Sync);
    c
}

/// alpha Active and beta Standby with component "11" on each, settled at 1 s, records
/// cleared.
fn settled() -> Pair {
    settled_with(repl_config)
}

fn settled_with(cfg: impl Fn(usize) -> baton_engine::NodeConfig) -> Pair {
    let mut p = Pair::dialling_with(cfg);
    p.attach(ALPHA, "11");
    p.attach(BETA, "11");
    p.run_until(ms(1000));
    assert_eq!(p.nodes[ALPHA].role(), NodeRole::Active);
    assert_eq!(p.nodes[BETA].role(), NodeRole::Standby);
    p.clear_events();
    p
}

fn id(n: u64) -> r::CorrelationId {
    wire::correlation(n)
}

fn repertory_key(k: &str) -> baton_replication::Key {
    baton_replication::Key {
        application_id: b"11".to_vec(),
        data_type: b"1".to_vec(),
        key: k.as_bytes().to_vec(),
    }
}

fn key(k: &str) -> r::RecordKey {
    repertory_key(k).to_wire().unwrap()
}

fn entry(k: &str, v: &str) -> r::Entry {
    r::Entry::new(key(k), r::DataValue(v.as_bytes().to_vec().into()))
}

fn add(k: &str, v: &str) -> r::Operation {
    r::Operation::add(entry(k, v))
}

fn update(cid: u64, generation: u64, seq: u64, ops: Vec<r::Operation>) -> r::ReplicationMessage {
    wire::message(
        &id(cid),
        M::update(r::Update::new(
            r::Generation(generation),
            r::SequenceNumber(seq),
            r::Operations(ops),
        )),
    )
}

fn ack(cid: u64, generation: u64, highest: u64) -> r::ReplicationMessage {
    wire::ack(&id(cid), generation, highest)
}

fn chunk(cid: u64, generation: u64, entries: Vec<r::Entry>) -> r::ReplicationMessage {
    wire::message(
        &id(cid),
        M::syncChunk(r::SyncChunk::new(
            r::Generation(generation),
            r::Entries(entries),
        )),
    )
}

fn done(cid: u64, generation: u64, seq: u64, count: u32) -> r::ReplicationMessage {
    wire::message(
        &id(cid),
        M::syncDone(r::SyncDone::new(
            r::Generation(generation),
            r::SequenceNumber(seq),
            r::EntryCount(count),
        )),
    )
}

fn sync_request(cid: u64) -> r::ReplicationMessage {
    wire::message(
        &id(cid),
        M::syncRequest(r::SyncRequest::new(r::SyncStart::full(r::FullSync {}))),
    )
}

fn error(cid: u64, code: r::ErrorCode, why: &str) -> r::ReplicationMessage {
    wire::error(&id(cid), code, why.to_owned())
}

/// The Replication messages node `i` sent on peer links, in order.
fn peer_sent(p: &Pair, i: usize) -> Vec<r::ReplicationMessage> {
    p.sent
        .iter()
        .filter(|s| s.node == i)
        .filter(|s| !p.components.iter().any(|c| c.link == Some(s.link)))
        .filter_map(|s| match &s.message {
            AnyMessage::Replication(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

/// The Replication messages component `c` received, in order.
fn received(p: &Pair, c: usize) -> Vec<r::ReplicationMessage> {
    p.components[c]
        .received
        .iter()
        .filter_map(|(_, m)| match m {
            AnyMessage::Replication(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

/// The generation alpha (or beta) serves in: its round.
fn generation(p: &Pair, i: usize) -> u64 {
    u64::from(p.nodes[i].election().round().0)
}

/// The open peer link at node `i`.
fn peer_link(p: &Pair, i: usize) -> LinkId {
    p.peer_links()
        .into_iter()
        .find(|l| p.is_open(i, *l))
        .expect("a peer link")
}

fn status(p: &Pair, i: usize) -> ReplicationStatus {
    p.nodes[i].replication_status(p.now).remove(0)
}

fn replication_notices(p: &Pair, i: usize) -> Vec<ReplicationNotice> {
    p.notices(i)
        .into_iter()
        .filter_map(|n| match n {
            Notice::Replication(n) => Some(n),
            _ => None,
        })
        .collect()
}

/// PROTOCOL 6.11: alpha's component writes three records while beta is down (acknowledged
/// at once: no standby node); beta starts again, joins with `syncRequest{full}` and gets
/// the three records in one chunk, then `syncDone`; it is caught up.
#[test]
fn batch_sync_on_join() {
    let mut p = settled();
    let g = generation(&p, ALPHA);
    p.crash(BETA);
    p.run_for(Duration::from_millis(500));
    for s in 1..=3 {
        let ops = vec![add(&format!("k{s}"), "v")];
        p.component_send(A, update(10 + s, g, s, ops));
    }
    assert_eq!(
        received(&p, A),
        vec![ack(11, g, 1), ack(12, g, 2), ack(13, g, 3)]
    );
    p.clear_events();
    p.restart(BETA, 1001);
    p.run_for(Duration::from_millis(1000));
    assert_eq!(peer_sent(&p, BETA), vec![sync_request(1), ack(6, g, 3)]);
    assert_eq!(
        peer_sent(&p, ALPHA),
        vec![
            chunk(
                5,
                g,
                vec![entry("k1", "v"), entry("k2", "v"), entry("k3", "v")]
            ),
            done(6, g, 3, 3),
        ]
    );
    let s = status(&p, BETA);
    assert_eq!((s.caught_up, s.records, s.bytes), (true, 3, 3 * 6));
    assert!(status(&p, ALPHA).caught_up);
}

/// PROTOCOL 6.11: a `sync` update of alpha's component goes to beta as the node's update 1,
/// beta acknowledges it, and only then alpha acknowledges it to the component in the
/// component's numbering; beta's hot standby component (its `syncRequest{full}` answered
/// with an empty sync) receives the update, numbered after its `syncDone`.
#[test]
fn incremental_replication() {
    let mut p = settled();
    let g = generation(&p, ALPHA);
    p.component_send(B, sync_request(500));
    assert_eq!(received(&p, B), vec![done(500, g, 0, 0)]);
    p.set_link_latency(peer_link(&p, ALPHA), Duration::from_millis(5));
    p.component_send(A, update(21, g, 1, vec![add("a", "1")]));
    p.component_send(A, update(22, g, 2, vec![add("b", "2"), add("c", "3")]));
    // Nothing acknowledged before beta's answers come back.
    assert_eq!(received(&p, A), vec![]);
    p.run_for(Duration::from_millis(20));
    assert_eq!(received(&p, A), vec![ack(21, g, 1), ack(22, g, 2)]);
    assert_eq!(
        peer_sent(&p, ALPHA),
        vec![
            update(2, g, 1, vec![add("a", "1")]),
            update(3, g, 2, vec![add("b", "2"), add("c", "3")]),
        ]
    );
    assert_eq!(peer_sent(&p, BETA), vec![ack(2, g, 1), ack(3, g, 2)]);
    assert_eq!(
        received(&p, B),
        vec![
            done(500, g, 0, 0),
            update(101, g, 1, vec![add("a", "1")]),
            update(102, g, 2, vec![add("b", "2"), add("c", "3")]),
        ]
    );
    let s = status(&p, ALPHA);
    assert_eq!(
        (s.caught_up, s.lag_updates, s.lag_ms, s.records),
        (true, 0, 0, 3)
    );
}

/// PROTOCOL 6.11: every update alpha acknowledged in `sync` mode is in beta's repertory when
/// alpha dies; beta (caught up) is promoted and sends its component (not hot) the records
/// before `setRole{active}`, its `syncDone` at 0 in the component's numbering (nothing
/// received from it yet). The update in flight at the crash was never acknowledged to the
/// component (it reached beta all the same: kept, as a duplicate would be).
#[test]
fn failover_loses_no_acknowledged_sync_update() {
    let mut p = settled();
    let g = generation(&p, ALPHA);
    for s in 1..=3 {
        p.component_send(A, update(30 + s, g, s, vec![add(&format!("k{s}"), "v")]));
    }
    assert_eq!(
        received(&p, A),
        vec![ack(31, g, 1), ack(32, g, 2), ack(33, g, 3)]
    );
    p.set_link_latency(peer_link(&p, ALPHA), Duration::from_millis(5));
    p.component_send(A, update(34, g, 4, vec![add("k4", "v")]));
    p.crash(ALPHA);
    assert_eq!(received(&p, A).len(), 3, "update 4 never acknowledged");
    p.clear_events();
    p.run_for(Duration::from_millis(1000));
    assert_eq!(p.nodes[BETA].role(), NodeRole::Active);
    let g2 = generation(&p, BETA);
    assert!(g2 > g);
    let entries = ["k1", "k2", "k3", "k4"].map(|k| entry(k, "v")).to_vec();
    assert_eq!(
        received(&p, B),
        vec![chunk(101, g2, entries), done(102, g2, 0, 4)]
    );
    // The sync came before the setRole{active}.
    let first_role = p.components[B]
        .received
        .iter()
        .position(|(_, m)| matches!(m, AnyMessage::Role(_)))
        .unwrap();
    let last_sync = p.components[B]
        .received
        .iter()
        .rposition(|(_, m)| matches!(m, AnyMessage::Replication(_)))
        .unwrap();
    assert!(last_sync < first_role);
    assert_eq!(status(&p, BETA).records, 4);
}

/// PROTOCOL 6.11: beta restarts while alpha's sync to it is in flight: the sync is lost with
/// the link, alpha releases its waiting `sync` update (no standby node), and beta, started
/// again, joins and gets the whole repertory.
#[test]
fn standby_restart_during_sync() {
    let mut p = settled();
    let g = generation(&p, ALPHA);
    let link = peer_link(&p, ALPHA);
    p.set_link_latency(link, Duration::from_millis(5));
    let records: Vec<r::Operation> = (0..64).map(|i| add(&format!("r{i:02}"), "x")).collect();
    p.component_send(A, update(40, g, 1, records));
    p.component_send(A, update(41, g, 2, vec![add("z", "y")]));
    // The audit repairs (a full sync) are under way when beta dies.
    assert!(p.nodes[ALPHA].audit_replication(p.now));
    p.crash(BETA);
    p.run_for(Duration::from_millis(20));
    // Released when the standby node was lost: in the mirror, and no standby node.
    assert_eq!(received(&p, A), vec![ack(40, g, 1), ack(41, g, 2)]);
    p.clear_events();
    p.restart(BETA, 1001);
    p.run_for(Duration::from_millis(1000));
    let s = status(&p, BETA);
    assert_eq!((s.caught_up, s.records, s.sequence), (true, 65, 2));
    let sent = peer_sent(&p, ALPHA);
    assert_eq!(sent.len(), 3, "two chunks (64 + 1 records) and syncDone");
    assert_eq!(sent[2], done(7, g, 2, 65));
}

/// PROTOCOL 6.11: an update of an older generation, or from a component that is not active,
/// is refused (`staleGeneration`) and applies nothing; on the peer link, the new active
/// refuses the demoted one's late update.
#[test]
fn stale_generation_refused() {
    let mut p = settled();
    let g = generation(&p, ALPHA);
    p.component_send(A, update(50, g - 1, 1, vec![add("old", "1")]));
    let why = format!(
        "generation {} is older than this node's {g}: nothing applied",
        g - 1
    );
    assert_eq!(
        received(&p, A),
        vec![error(50, r::ErrorCode::staleGeneration, &why)]
    );
    // beta's component is standby.
    p.component_send(B, update(51, g, 1, vec![add("x", "1")]));
    assert_eq!(
        received(&p, B),
        vec![error(
            51,
            r::ErrorCode::staleGeneration,
            "this node is not active: nothing applied"
        )]
    );
    // A switchover: beta serves in a newer generation; alpha's late update is refused.
    p.switchover(ALPHA).unwrap();
    p.run_for(Duration::from_millis(500));
    assert_eq!(p.nodes[BETA].role(), NodeRole::Active);
    let g2 = generation(&p, BETA);
    p.clear_events();
    let link = peer_link(&p, BETA);
    p.nodes[BETA].handle_frame(p.now, link, update(9, g, 7, vec![add("late", "1")]).into());
    p.flush();
    let why = format!("generation {g} is older than this active node's {g2}: nothing applied");
    assert_eq!(
        peer_sent(&p, BETA),
        vec![error(9, r::ErrorCode::staleGeneration, &why)]
    );
    assert_eq!(status(&p, BETA).records, 0);
}

/// PROTOCOL 2.8, 6.11: beta's repertory is corrupted in memory; alpha's audit finds it
/// (`inconsistent`), logs it and repairs beta with a full sync; a second audit is consistent.
/// An engine-level test: a real process offers no way to corrupt memory.
#[test]
fn audit_mismatch_found_and_repaired() {
    let mut p = settled();
    let g = generation(&p, ALPHA);
    p.component_send(A, update(60, g, 1, vec![add("k", "good")]));
    let bad = baton_replication::Op::Add(repertory_key("k"), b"evil".to_vec());
    assert_eq!(p.nodes[BETA].corrupt_replica_for_test(&[bad]), Ok(true));
    p.clear_events();
    assert!(p.nodes[ALPHA].audit_replication(p.now));
    p.flush();
    assert_eq!(
        replication_notices(&p, ALPHA),
        vec![ReplicationNotice::AuditMismatch {
            sequence_number: 1,
            entry_count: 1,
        }]
    );
    let sent = peer_sent(&p, ALPHA);
    assert!(matches!(sent[0].message, M::audit(_)));
    assert_eq!(
        &sent[1..],
        &[chunk(4, g, vec![entry("k", "good")]), done(5, g, 1, 1)]
    );
    p.clear_events();
    assert!(p.nodes[ALPHA].audit_replication(p.now));
    p.flush();
    assert_eq!(replication_notices(&p, ALPHA), vec![]);
    let answer = peer_sent(&p, BETA);
    assert!(matches!(
        &answer[0].message,
        M::auditResponse(a) if a.result == r::AuditResult::consistent
    ));
}

/// PROTOCOL 6.11, *Eligibility*: beta has the first chunk of a sync (not caught up) when
/// alpha dies: it is not promoted (its promotion fails at once: `PromotionFailed`); with
/// `promote_unsynced = true` it is.
#[test]
fn a_standby_not_caught_up_is_not_promoted() {
    for promote_unsynced in [false, true] {
        let mut p = settled_with(move |me| {
            let mut c = repl_config(me);
            c.replication.promote_unsynced = promote_unsynced;
            c
        });
        let g = generation(&p, ALPHA);
        let link = peer_link(&p, BETA);
        p.nodes[BETA].handle_frame(p.now, link, chunk(900, g, vec![entry("p", "1")]).into());
        p.flush();
        p.crash(ALPHA);
        p.run_for(Duration::from_millis(1000));
        let expected = if promote_unsynced {
            (NodeRole::Active, vec![])
        } else {
            (
                NodeRole::PromotionFailed,
                vec![ReplicationNotice::NotCaughtUp],
            )
        };
        assert_eq!(
            (p.nodes[BETA].role(), replication_notices(&p, BETA)),
            expected,
            "promote_unsynced = {promote_unsynced}"
        );
    }
}

/// PROTOCOL 6.11: a component that registered sends `syncChunk` (only a node sends it): the
/// link is closed with a typed reason; a frame on a non-replicating component's link closes
/// it as not allowed (PROTOCOL 1.5).
#[test]
fn a_component_sending_a_node_message_is_closed() {
    let mut p = settled();
    let link = p.components[A].link.unwrap();
    p.component_send(A, chunk(70, 1, vec![entry("k", "v")]));
    assert_eq!(
        p.closed(ALPHA),
        vec![(
            link,
            baton_engine::CloseReason::ReplicationNotFromComponent {
                component: "11".into(),
                message: "syncChunk"
            }
        )]
    );
}

/// PROTOCOL 6.11: a full sync larger than one step (5,000 records: 79 chunks, 32 a step)
/// goes out in steps, each a timer due at once, with the updates made meanwhile behind its
/// `syncDone`; beta ends caught up with every record.
#[test]
fn a_large_sync_goes_out_in_steps() {
    let mut p = settled();
    let g = generation(&p, ALPHA);
    p.crash(BETA);
    p.run_for(Duration::from_millis(500));
    for s in 1..=79u64 {
        let ops = (0..64)
            .map(|i| add(&format!("{s:02}-{i:02}"), "v"))
            .take(if s == 79 { 8 } else { 64 })
            .collect();
        p.component_send(A, update(100 + s, g, s, ops));
    }
    assert_eq!(status(&p, ALPHA).records, 5000);
    p.clear_events();
    p.restart(BETA, 1001);
    p.run_for(Duration::from_millis(1000));
    let sent = peer_sent(&p, ALPHA);
    let chunks = sent
        .iter()
        .filter(|m| matches!(m.message, M::syncChunk(_)))
        .count();
    assert_eq!(chunks, 79);
    assert!(matches!(&sent[79].message, M::syncDone(d) if d.entry_count.0 == 5000));
    let s = status(&p, BETA);
    assert_eq!((s.caught_up, s.records), (true, 5000));
    // The steps were timers due at once: no stall was taken for one.
    assert!(!p
        .notices(ALPHA)
        .iter()
        .any(|n| matches!(n, Notice::Resumed { .. })));
}

/// PROTOCOL 6.11: a component's sync larger than one step goes out in steps too: beta, with
/// 5,000 records of component "11", promoted after alpha's crash, sends its (cold) component
/// the 79 chunks and the `syncDone`, and only then `setRole{active}`, held behind them.
#[test]
fn a_large_component_sync_goes_out_in_steps_before_set_role() {
    let mut p = settled();
    let g = generation(&p, ALPHA);
    for s in 1..=79u64 {
        let ops = (0..64)
            .map(|i| add(&format!("{s:02}-{i:02}"), "v"))
            .take(if s == 79 { 8 } else { 64 })
            .collect();
        p.component_send(A, update(100 + s, g, s, ops));
    }
    assert_eq!(status(&p, BETA).records, 5000);
    p.clear_events();
    p.crash(ALPHA);
    p.run_for(Duration::from_millis(1000));
    assert_eq!(p.nodes[BETA].role(), NodeRole::Active);
    let kinds: Vec<&str> = p.components[B]
        .received
        .iter()
        .filter_map(|(_, m)| match m {
            AnyMessage::Replication(r) => Some(match r.message {
                M::syncChunk(_) => "chunk",
                M::syncDone(_) => "done",
                _ => "other",
            }),
            AnyMessage::Role(_) => Some("setRole"),
            _ => None,
        })
        .collect();
    let mut expected = vec!["chunk"; 79];
    expected.extend(["done", "setRole"]);
    assert_eq!(kinds, expected);
}

/// PROTOCOL 6.11: a second `syncRequest` while the answer to the first is under way (5,000
/// records, three steps) is answered after it: the component never sees two syncs' chunks
/// mixed.
#[test]
fn a_second_sync_request_is_answered_after_the_first() {
    let mut p = settled();
    let g = generation(&p, ALPHA);
    for s in 1..=79u64 {
        let ops = (0..64)
            .map(|i| add(&format!("{s:02}-{i:02}"), "v"))
            .take(if s == 79 { 8 } else { 64 })
            .collect();
        p.component_send(A, update(100 + s, g, s, ops));
    }
    p.clear_events();
    let link = p.components[B].link.unwrap();
    let now = p.now;
    p.nodes[BETA].handle_frame(now, link, sync_request(801).into());
    p.nodes[BETA].handle_frame(now, link, sync_request(802).into());
    p.run_for(Duration::from_millis(10));
    let ids: Vec<String> = received(&p, B)
        .iter()
        .map(|m| String::from_utf8_lossy(m.correlation_id.0.as_bytes()).into_owned())
        .collect();
    let mut expected = vec!["801".to_owned(); 80];
    expected.extend(vec!["802".to_owned(); 80]);
    assert_eq!(ids, expected);
    assert!(matches!(received(&p, B)[159].message, M::syncDone(ref d) if d.entry_count.0 == 5000));
}

/// PROTOCOL 6.11: an update whose keys and values exceed what the node can forward within its
/// frame size (`max_update_octets`, from the encoding rule and `max_frame`) is refused
/// (`malformedRequest`): renumbered by the node, it might not fit a frame to the standby.
#[test]
fn an_update_too_large_to_forward_is_refused() {
    let mut p = settled_with(|me| {
        let mut c = repl_config(me);
        c.replication.max_update_octets = 10;
        c
    });
    let g = generation(&p, ALPHA);
    // "11" + "1" + "kk" + the value: 10 octets, then 11.
    p.component_send(A, update(90, g, 1, vec![add("kk", "12345")]));
    p.component_send(A, update(91, g, 2, vec![add("kk", "123456")]));
    assert_eq!(
        received(&p, A),
        vec![
            ack(90, g, 1),
            error(
                91,
                r::ErrorCode::malformedRequest,
                "an update of 11 octets of keys and values: more than the 10 this node can \
                 forward within its frame size (split it)"
            )
        ]
    );
}

/// PROTOCOL 6.11, *Eligibility* (rsim finding 2): with a `fatal`
/// component, beta restarts and catches up (a chunk, then `syncDone`) before its component
/// registers. An unregistered component counts as not ok, yet it never set the Election's
/// fatal flag: replication's hold is released once caught up, and beta takes over when alpha
/// dies (before: the flag stayed, and every later promotion of beta failed at once).
#[test]
fn a_standby_caught_up_before_its_fatal_component_registers_is_promoted() {
    let mut p = Pair::dialling_with(|me| {
        let mut c = repl_config(me);
        c.components.insert("11".into(), policy(Severity::Fatal));
        c
    });
    p.attach(ALPHA, "11");
    p.run_until(ms(1000));
    assert_eq!(p.nodes[ALPHA].role(), NodeRole::Active);
    let g = generation(&p, ALPHA);
    p.component_send(A, update(70, g, 1, vec![add("k", "v")]));
    p.crash(BETA);
    p.run_for(Duration::from_millis(100));
    p.clear_events();
    p.restart(BETA, 1001);
    p.run_for(Duration::from_millis(500));
    assert_eq!(p.nodes[BETA].role(), NodeRole::Standby);
    assert_eq!(
        replication_notices(&p, BETA),
        vec![ReplicationNotice::NotCaughtUp, ReplicationNotice::CaughtUp]
    );
    assert_eq!(status(&p, BETA).records, 1);
    assert!(!p.nodes[BETA].election().is_fatal());
    p.attach(BETA, "11");
    p.run_for(Duration::from_millis(200));
    p.crash(ALPHA);
    p.run_for(Duration::from_millis(1000));
    assert_eq!(p.nodes[BETA].role(), NodeRole::Active);
}

/// PROTOCOL 6.11, *Joins between standby nodes* (rsim finding 3): alpha's component writes
/// three `sync` records (acknowledged: beta holds them) and alpha crashes; beta's promotion
/// fails (its component refuses). alpha restarts empty: it joins beta, which is not active
/// and answers with the copy it holds; alpha is behind until then, so the promotion beta
/// hands it (\[F3\]) fails and beta takes over again: the three records survive on both
/// (before: alpha, never having heard of an active term, was promoted empty and synced beta
/// from nothing).
#[test]
fn a_node_restarted_empty_takes_the_copy_of_a_standby_peer_before_its_promotion() {
    let mut p = settled();
    let g = generation(&p, ALPHA);
    for s in 1..=3 {
        p.component_send(A, update(80 + s, g, s, vec![add(&format!("k{s}"), "v")]));
    }
    p.run_for(Duration::from_millis(50));
    assert_eq!(
        received(&p, A),
        vec![ack(81, g, 1), ack(82, g, 2), ack(83, g, 3)]
    );
    p.components[B].answer = Answer::Refuse(Duration::ZERO);
    p.crash(ALPHA);
    p.run_for(Duration::from_millis(1000));
    assert_eq!(p.nodes[BETA].role(), NodeRole::PromotionFailed);
    p.components[B].answer = Answer::Accept(Duration::ZERO);
    p.clear_events();
    p.restart(ALPHA, 1001);
    p.run_for(Duration::from_millis(1000));
    // alpha, behind until beta answered, failed the promotion beta handed it at once and
    // handed back; beta's component now takes `active`.
    let t = ms(2050);
    let t2 = ms(2150);
    assert_eq!(
        p.roles_of(ALPHA),
        vec![
            (t, NodeRole::Promoting),
            (t, NodeRole::PromotionFailed),
            (t2, NodeRole::Demoting),
            (t2, NodeRole::Standby)
        ]
    );
    assert_eq!(p.nodes[BETA].role(), NodeRole::Active);
    assert_eq!(status(&p, BETA).records, 3);
    let s = status(&p, ALPHA);
    assert_eq!((s.caught_up, s.records), (true, 3));
    // beta's answer to alpha's join: its copy, echoing the request's correlation id.
    let answer = peer_sent(&p, BETA);
    assert!(
        answer.iter().any(|m| matches!(
            &m.message,
            M::syncDone(d) if d.entry_count.0 == 3
        )),
        "{answer:?}"
    );
}

/// PROTOCOL 6.11, *Promotion*: beta's repertory is replaced by a sync (here one more record,
/// `00-new`, first in key order) while its hot component's sync (5,000 records, in steps) is
/// under way; its first step went out from the old repertory. That component is promoted
/// (alpha's switchover) before the step after: its `setRole{active}` waits behind the sync
/// under way and behind the new sync it owes (the whole new repertory), never only the first
/// (a copy missing `00-new`, restored as the component's own).
#[test]
fn a_hot_component_promoted_during_a_resync_gets_the_new_records_first() {
    let mut p = settled();
    let g = generation(&p, ALPHA);
    let mut records = Vec::new();
    for s in 1..=79u64 {
        let keys: Vec<String> = (0..64)
            .map(|i| format!("{s:02}-{i:02}"))
            .take(if s == 79 { 8 } else { 64 })
            .collect();
        let ops = keys.iter().map(|k| add(k, "v")).collect();
        records.extend(keys);
        p.component_send(A, update(100 + s, g, s, ops));
    }
    p.clear_events();
    let now = p.now;
    let link = p.components[B].link.unwrap();
    p.nodes[BETA].handle_frame(now, link, sync_request(801).into());
    let peer = peer_link(&p, BETA);
    let mut entries = vec![entry("00-new", "v")];
    entries.extend(records.iter().map(|k| entry(k, "v")));
    p.nodes[BETA].handle_frame(now, peer, chunk(901, g, entries).into());
    p.nodes[BETA].handle_frame(now, peer, done(902, g, 79, 5001).into());
    p.switchover(ALPHA).unwrap();
    p.run_for(Duration::from_millis(1000));
    assert_eq!(p.nodes[BETA].role(), NodeRole::Active);
    let kinds: Vec<String> = p.components[B]
        .received
        .iter()
        .filter_map(|(_, m)| match m {
            AnyMessage::Replication(r) => Some(match &r.message {
                M::syncChunk(_) => "chunk".to_owned(),
                M::syncDone(d) => format!("done {}", d.entry_count.0),
                _ => "other".to_owned(),
            }),
            AnyMessage::Role(_) => Some("setRole".to_owned()),
            _ => None,
        })
        .collect();
    let mut expected = vec!["chunk".to_owned(); 79];
    expected.push("done 5000".to_owned());
    expected.extend(vec!["chunk".to_owned(); 79]);
    expected.extend(["done 5001".to_owned(), "setRole".to_owned()]);
    assert_eq!(kinds, expected);
}
