//! The replication procedures of PROTOCOL 2.8 between a pure [`Active`] and a pure
//! [`Standby`], every message and event compared exactly: batch sync on join, incremental
//! replication (in and out of order), a stale generation refused, an audit mismatch found and
//! repaired, a full repertory refusing an update without dropping anything.

use baton_asn1::replication as r;
use baton_replication::{
    Active, ActiveConfig, ActiveEvent, Key, Limits, Op, Repertory, Standby, StandbyConfig,
};
use r::{ErrorCode, ReplicationMessageMessage as M};
use rasn::types::NumericString;

fn num(s: &str) -> NumericString {
    NumericString::from_bytes(s.as_bytes()).unwrap()
}

fn key(app: &str, k: &str) -> Key {
    Key {
        application_id: app.as_bytes().to_vec(),
        data_type: b"1".to_vec(),
        key: k.as_bytes().to_vec(),
    }
}

fn msg(id: &str, m: M) -> r::ReplicationMessage {
    r::ReplicationMessage::new(r::CorrelationId(num(id)), m)
}

fn entry(app: &str, k: &str, v: &str) -> r::Entry {
    r::Entry::new(
        key(app, k).to_wire().unwrap(),
        r::DataValue(v.as_bytes().to_vec().into()),
    )
}

fn chunk(id: &str, generation: u64, entries: Vec<r::Entry>) -> r::ReplicationMessage {
    msg(
        id,
        M::syncChunk(r::SyncChunk::new(
            r::Generation(generation),
            r::Entries(entries),
        )),
    )
}

fn done(id: &str, generation: u64, seq: u64, count: u32) -> r::ReplicationMessage {
    msg(
        id,
        M::syncDone(r::SyncDone::new(
            r::Generation(generation),
            r::SequenceNumber(seq),
            r::EntryCount(count),
        )),
    )
}

fn ack(id: &str, generation: u64, highest: u64) -> r::ReplicationMessage {
    msg(
        id,
        M::updateAck(r::UpdateAck::new(
            r::Generation(generation),
            r::SequenceNumber(highest),
        )),
    )
}

fn update(id: &str, generation: u64, seq: u64, ops: &[Op]) -> r::ReplicationMessage {
    msg(
        id,
        M::update(r::Update::new(
            r::Generation(generation),
            r::SequenceNumber(seq),
            r::Operations(ops.iter().map(|o| o.to_wire().unwrap()).collect()),
        )),
    )
}

fn error(id: &str, code: ErrorCode, why: &str) -> r::ReplicationMessage {
    msg(
        id,
        M::replicationError(r::ReplicationError::new(code, why.to_owned())),
    )
}

fn add(app: &str, k: &str, v: &str) -> Op {
    Op::Add(key(app, k), v.as_bytes().to_vec())
}

/// Every message a machine sends meets PROTOCOL 2.8's constraints: it encodes (the codec
/// checks them) and decodes back to itself.
fn on_the_wire(m: r::ReplicationMessage) -> r::ReplicationMessage {
    use baton_codec::Encoding;
    let bytes = baton_codec::encode(Encoding::Der, &m).expect("a valid message");
    let back: r::ReplicationMessage = baton_codec::decode(Encoding::Der, &bytes).unwrap();
    assert_eq!(back, m);
    m
}

fn drain_active(a: &mut Active) -> Vec<r::ReplicationMessage> {
    std::iter::from_fn(|| a.poll_transmit())
        .map(on_the_wire)
        .collect()
}

fn drain_standby(s: &mut Standby) -> Vec<r::ReplicationMessage> {
    std::iter::from_fn(|| s.poll_transmit())
        .map(on_the_wire)
        .collect()
}

fn events(a: &mut Active) -> Vec<ActiveEvent> {
    std::iter::from_fn(|| a.poll_event()).collect()
}

fn config() -> ActiveConfig {
    ActiveConfig {
        chunk_entries: 2,
        ..ActiveConfig::default()
    }
}

/// An active of generation 7 with three records from two updates, and a standby that joined
/// and took the batch sync (the `batch_sync_on_join` exchange, checked there).
fn synced_pair() -> (Active, Standby) {
    let mut active = Active::new(config(), 7, Repertory::new(Limits::default()));
    active
        .submit(&[
            add("1001", "alice", "registered"),
            add("1001", "bob", "idle"),
        ])
        .unwrap();
    active.submit(&[add("2002", "call-9", "active")]).unwrap();
    // No standby yet: the two updates go nowhere.
    drain_active(&mut active);
    let mut standby = Standby::new(StandbyConfig::default());
    standby.join();
    for m in drain_standby(&mut standby) {
        active.handle(m);
    }
    for m in drain_active(&mut active) {
        standby.handle(m);
    }
    for m in drain_standby(&mut standby) {
        active.handle(m);
    }
    events(&mut active);
    (active, standby)
}

#[test]
fn batch_sync_on_join() {
    let mut active = Active::new(config(), 7, Repertory::new(Limits::default()));
    assert_eq!(
        active.submit(&[
            add("1001", "alice", "registered"),
            add("1001", "bob", "idle")
        ]),
        Ok(1)
    );
    assert_eq!(active.submit(&[add("2002", "call-9", "active")]), Ok(2));
    assert_eq!(
        drain_active(&mut active).len(),
        2,
        "two updates, no standby"
    );

    let mut standby = Standby::new(StandbyConfig::default());
    standby.join();
    let request = drain_standby(&mut standby);
    assert_eq!(
        request,
        [msg(
            "1",
            M::syncRequest(r::SyncRequest::new(r::SyncStart::full(r::FullSync {})))
        )]
    );
    active.handle(request[0].clone());
    let sync = drain_active(&mut active);
    // Key order: (1001, alice), (1001, bob), (2002, call-9); two entries a chunk.
    assert_eq!(
        sync,
        [
            chunk(
                "3",
                7,
                vec![
                    entry("1001", "alice", "registered"),
                    entry("1001", "bob", "idle")
                ]
            ),
            chunk("4", 7, vec![entry("2002", "call-9", "active")]),
            done("5", 7, 2, 3),
        ]
    );
    for m in sync {
        standby.handle(m);
    }
    let acks = drain_standby(&mut standby);
    assert_eq!(acks, [ack("5", 7, 2)]);
    assert_eq!(standby.repertory(), active.mirror());
    assert_eq!(standby.repertory().digest(), active.mirror().digest());
    assert_eq!(standby.synced_generation(), Some(7));
    active.handle(acks[0].clone());
    assert_eq!(events(&mut active), [ActiveEvent::Acknowledged(2)]);
}

#[test]
fn incremental_replication_in_and_out_of_order() {
    let (mut active, mut standby) = synced_pair();
    let op3 = [Op::Modify(key("1001", "bob"), b"busy".to_vec())];
    let op4 = [Op::Delete(key("2002", "call-9"))];
    let op5 = [add("2002", "call-10", "ringing")];
    assert_eq!(active.submit(&op3), Ok(3));
    assert_eq!(active.submit(&op4), Ok(4));
    assert_eq!(active.submit(&op5), Ok(5));
    let updates = drain_active(&mut active);
    assert_eq!(
        updates,
        [
            update("6", 7, 3, &op3),
            update("7", 7, 4, &op4),
            update("8", 7, 5, &op5)
        ]
    );
    // 3 in order: applied and acknowledged.
    standby.handle(updates[0].clone());
    assert_eq!(drain_standby(&mut standby), [ack("6", 7, 3)]);
    // 5 before 4: held, the acknowledgement stays at 3.
    standby.handle(updates[2].clone());
    assert_eq!(drain_standby(&mut standby), [ack("8", 7, 3)]);
    assert_eq!(standby.repertory().get(&key("2002", "call-10")), None);
    // 4 fills the gap: 4 and 5 applied, acknowledged up to 5.
    standby.handle(updates[1].clone());
    let acks = drain_standby(&mut standby);
    assert_eq!(acks, [ack("7", 7, 5)]);
    // A duplicate is not applied again and is acknowledged again.
    standby.handle(updates[0].clone());
    assert_eq!(drain_standby(&mut standby), [ack("6", 7, 5)]);
    assert_eq!(standby.applied(), 5);
    assert_eq!(standby.repertory(), active.mirror());
    assert_eq!(
        standby.repertory().get(&key("1001", "bob")),
        Some(&b"busy"[..])
    );
    assert_eq!(standby.repertory().get(&key("2002", "call-9")), None);
    active.handle(acks[0].clone());
    assert_eq!(events(&mut active), [ActiveEvent::Acknowledged(5)]);
}

#[test]
fn stale_generation_refused() {
    let (_active, mut standby) = synced_pair();
    let before = standby.repertory().clone();
    // The demoted active of generation 6 still sends.
    let mut late = Active::new(config(), 6, Repertory::new(Limits::default()));
    late.submit(&[Op::Delete(key("1001", "alice"))]).unwrap();
    let sent = drain_active(&mut late);
    assert_eq!(
        sent,
        [update("1", 6, 1, &[Op::Delete(key("1001", "alice"))])]
    );
    standby.handle(sent[0].clone());
    let answer = drain_standby(&mut standby);
    assert_eq!(
        answer,
        [error(
            "1",
            ErrorCode::staleGeneration,
            "generation 6 is older than 7: nothing applied"
        )]
    );
    assert_eq!(standby.repertory(), &before);
    assert_eq!(standby.applied(), 2);
    late.handle(answer[0].clone());
    assert_eq!(
        events(&mut late),
        [ActiveEvent::Refused {
            code: ErrorCode::staleGeneration,
            description: "generation 6 is older than 7: nothing applied".to_owned()
        }]
    );
    // Its sync (an empty mirror: syncDone alone) is refused too, the stored repertory kept.
    late.full_sync();
    let sync = drain_active(&mut late);
    assert_eq!(sync, [done("2", 6, 1, 0)]);
    standby.handle(sync[0].clone());
    assert_eq!(
        drain_standby(&mut standby),
        [error(
            "2",
            ErrorCode::staleGeneration,
            "generation 6 is older than 7: nothing applied"
        )]
    );
    assert_eq!(standby.repertory(), &before);
}

#[test]
fn audit_mismatch_found_and_repaired() {
    let (mut active, mut standby) = synced_pair();
    // The standby's copy of bob goes wrong without any message.
    standby
        .corrupt_for_test(&[Op::Modify(key("1001", "bob"), b"garbage".to_vec())])
        .unwrap();
    active.audit();
    let audit = drain_active(&mut active);
    let mirror_digest = active.mirror().digest();
    assert_eq!(
        audit,
        [msg(
            "6",
            M::audit(r::Audit::new(
                r::Generation(7),
                r::SequenceNumber(2),
                r::EntryCount(3),
                r::Digest(mirror_digest.into())
            ))
        )]
    );
    standby.handle(audit[0].clone());
    let answer = drain_standby(&mut standby);
    assert_eq!(
        answer,
        [msg(
            "6",
            M::auditResponse(r::AuditResponse::new(
                r::AuditResult::inconsistent,
                r::SequenceNumber(2),
                r::EntryCount(3),
                r::Digest(standby.repertory().digest().into())
            ))
        )]
    );
    assert_ne!(standby.repertory().digest(), mirror_digest);
    // The active repairs the standby with a full sync.
    active.handle(answer[0].clone());
    assert_eq!(
        events(&mut active),
        [ActiveEvent::AuditMismatch {
            sequence_number: 2,
            entry_count: 3
        }]
    );
    let repair = drain_active(&mut active);
    assert_eq!(
        repair,
        [
            chunk(
                "7",
                7,
                vec![
                    entry("1001", "alice", "registered"),
                    entry("1001", "bob", "idle")
                ]
            ),
            chunk("8", 7, vec![entry("2002", "call-9", "active")]),
            done("9", 7, 2, 3),
        ]
    );
    for m in repair {
        standby.handle(m);
    }
    assert_eq!(drain_standby(&mut standby), [ack("9", 7, 2)]);
    assert_eq!(standby.repertory().digest(), mirror_digest);
    // A second audit finds the copies equal.
    active.audit();
    for m in drain_active(&mut active) {
        standby.handle(m);
    }
    for m in drain_standby(&mut standby) {
        active.handle(m);
    }
    assert_eq!(events(&mut active), [ActiveEvent::AuditConsistent]);
}

#[test]
fn a_full_repertory_refuses_the_update_and_drops_nothing() {
    let (mut active, _) = synced_pair();
    let limits = Limits {
        max_entries: 3,
        max_octets: 1 << 20,
    };
    let mut standby = Standby::new(StandbyConfig {
        limits,
        ..StandbyConfig::default()
    });
    active.full_sync();
    for m in drain_active(&mut active) {
        standby.handle(m);
    }
    assert_eq!(drain_standby(&mut standby), [ack("8", 7, 2)]);
    let before = standby.repertory().clone();
    active.submit(&[add("3003", "x", "1")]).unwrap();
    for m in drain_active(&mut active) {
        standby.handle(m);
    }
    assert_eq!(
        drain_standby(&mut standby),
        [error(
            "9",
            ErrorCode::repertoryFull,
            "repertory full: 4 records and 56 octets needed, limits 3 and 1048576"
        )]
    );
    assert_eq!(standby.repertory(), &before);
    assert_eq!(standby.applied(), 2);
}

/// A sync in steps (`sync_step`): one chunk at a time, the mirror read as it is at each step;
/// an update made meanwhile (a change to a record already sent, a new record, the removal of
/// one not sent yet) waits behind the `syncDone` and applies on top of the chunks: the standby
/// ends with the mirror, caught up, and acknowledges everything.
#[test]
fn a_sync_in_steps_sends_what_changed_meanwhile_behind_its_done() {
    let paced = ActiveConfig {
        chunk_entries: 2,
        sync_step: Some(1),
        ..ActiveConfig::default()
    };
    let mut active = Active::new(paced, 3, Repertory::new(Limits::default()));
    active
        .submit(&[
            add("1", "a", "1"),
            add("1", "b", "1"),
            add("1", "c", "1"),
            add("1", "d", "1"),
            add("1", "e", "1"),
        ])
        .unwrap();
    drain_active(&mut active);
    let mut standby = Standby::new(StandbyConfig::default());
    active.full_sync();
    assert!(active.is_syncing());
    assert_eq!(
        drain_active(&mut active),
        vec![chunk(
            "2",
            3,
            vec![entry("1", "a", "1"), entry("1", "b", "1")]
        )]
    );
    active
        .submit(&[
            add("1", "a", "2"),
            add("1", "f", "2"),
            Op::Delete(key("1", "d")),
        ])
        .unwrap();
    // Held behind the sync.
    assert_eq!(drain_active(&mut active), vec![]);
    let mut sent = Vec::new();
    while active.step_sync() {
        sent.extend(drain_active(&mut active));
    }
    sent.extend(drain_active(&mut active));
    assert_eq!(
        sent,
        vec![
            chunk("4", 3, vec![entry("1", "c", "1"), entry("1", "e", "1")]),
            chunk("5", 3, vec![entry("1", "f", "2")]),
            done("6", 3, 1, 5),
            update(
                "3",
                3,
                2,
                &[
                    add("1", "a", "2"),
                    add("1", "f", "2"),
                    Op::Delete(key("1", "d"))
                ]
            ),
        ]
    );
    assert!(!active.is_syncing());
    standby.handle(chunk(
        "2",
        3,
        vec![entry("1", "a", "1"), entry("1", "b", "1")],
    ));
    for m in sent {
        standby.handle(m);
    }
    assert_eq!(standby.repertory(), active.mirror());
    assert!(standby.caught_up());
    assert_eq!(
        drain_standby(&mut standby),
        vec![ack("6", 3, 1), ack("3", 3, 2)]
    );
}

/// Updates sent before a joining standby got its sync are refused with `syncRequired`, one
/// each: the sync under way holds them, so they start no other sync (found by the
/// replication campaign: one whole repertory per update in flight filled the node's write
/// queue). Once the sync is acknowledged, a `syncRequired` starts a sync again.
#[test]
fn sync_required_while_a_sync_is_under_way_starts_no_other() {
    let mut active = Active::new(config(), 7, Repertory::new(Limits::default()));
    let mut standby = Standby::new(StandbyConfig::default());
    active.submit(&[add("1001", "a", "1")]).unwrap();
    active.submit(&[add("1001", "b", "2")]).unwrap();
    let early = drain_active(&mut active);
    standby.join();
    for m in drain_standby(&mut standby) {
        active.handle(m);
    }
    let sync = drain_active(&mut active);
    assert_eq!(sync.len(), 2, "one chunk of two entries and syncDone");
    assert!(active.sync_under_way());
    // The two early updates arrive first: refused, one syncRequired each.
    for m in early {
        standby.handle(m);
    }
    let refusals = drain_standby(&mut standby);
    assert_eq!(refusals.len(), 2);
    for m in refusals {
        active.handle(m);
    }
    assert_eq!(drain_active(&mut active), []);
    assert!(active.sync_under_way());
    // The sync arrives and is acknowledged: nothing under way any more.
    for m in sync {
        standby.handle(m);
    }
    for m in drain_standby(&mut standby) {
        active.handle(m);
    }
    assert!(!active.sync_under_way());
    assert_eq!(standby.repertory(), active.mirror());
    // A later syncRequired (the standby lost its sync) starts one again.
    active.handle(error("9", ErrorCode::syncRequired, "no sync"));
    assert_eq!(drain_active(&mut active).len(), 2);
}
