//! Replication through the node end to end (PROTOCOL 6.11, issue 13): two real `baton node`
//! processes, and on each a component of the library (`baton-component`, in this test's
//! process) configured `replication = "sync"`. Every write the active component had
//! acknowledged must be in the records the new active restores after a SIGKILL of the active
//! node.

mod support;

use baton_component::{
    Backoff, Component, ComponentOptions, Endpoint, Event, Operation, Record, RecordKey, Replica,
    ReplicationMode, ReplicationOptions, Restoration, Role, StandbyKind,
};
use baton_status::State;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{is, runtime, start_alpha_then_beta, Pair, Watch};

/// Longest any one step may take (they take milliseconds; the margin is for loaded machines).
const STEP: Duration = Duration::from_secs(10);
/// The replicating component on both nodes.
const ID: &str = "1002";
/// Writes acknowledged before the SIGKILL.
const WRITES: u32 = 300;

/// Adds the replicating component to both nodes' configurations.
fn with_replication(pair: &Pair) {
    for s in &pair.specs {
        let text = std::fs::read_to_string(&s.config).expect("the configuration");
        let text = format!("{text}\n[[component]]\nid = \"{ID}\"\nreplication = \"sync\"\n");
        std::fs::write(&s.config, text).expect("the configuration is written");
    }
}

/// The application: what it restored at its promotions, and its copy (a hot standby's,
/// from the stream).
#[derive(Default)]
struct Kept {
    restored: Vec<Restoration>,
    copy: BTreeMap<String, String>,
}

struct Keeper(Arc<Mutex<Kept>>);

impl Replica for Keeper {
    fn restore(&mut self, restoration: Restoration) {
        self.0.lock().unwrap().restored.push(restoration);
    }
    fn activate(&mut self) -> bool {
        true
    }
    fn audit(&mut self) -> Vec<RecordKey> {
        Vec::new()
    }
}

fn text(key: &RecordKey, value: &[u8]) -> (String, String) {
    assert_eq!(key.data_type, "1");
    (
        String::from_utf8_lossy(&key.key).into_owned(),
        String::from_utf8_lossy(value).into_owned(),
    )
}

/// A replicating component (`standby` kind) on node `i`'s socket that promotes through
/// [`Keeper`] and keeps the stream's copy.
async fn component(pair: &Pair, i: usize, standby: StandbyKind) -> (Component, Arc<Mutex<Kept>>) {
    let mut options = ComponentOptions::new(ID);
    options.replication = Some(ReplicationOptions {
        standby,
        mode: ReplicationMode::Sync,
    });
    options.reconnect = Backoff {
        initial: Duration::from_millis(10),
        max: Duration::from_millis(50),
    };
    let endpoint = Endpoint::Unix(pair.specs[i].component_socket.clone());
    let (component, mut events) = Component::connect(endpoint, options)
        .await
        .expect("the component starts");
    let kept = Arc::new(Mutex::new(Kept::default()));
    let k = kept.clone();
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            match event {
                Event::RoleRequest(request) => {
                    let _ = request.promote(&mut Keeper(k.clone())).await;
                }
                Event::StandbySync { records } => {
                    k.lock().unwrap().copy =
                        records.iter().map(|r| text(&r.key, &r.value)).collect();
                }
                Event::StandbyUpdate { operations, .. } => {
                    let copy = &mut k.lock().unwrap().copy;
                    for op in operations {
                        match op {
                            Operation::Add(r) | Operation::Modify(r) => {
                                let (key, value) = text(&r.key, &r.value);
                                copy.insert(key, value);
                            }
                            Operation::Delete(key) => {
                                copy.remove(&text(&key, b"").0);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    });
    (component, kept)
}

async fn role_becomes(component: &Component, want: Role) {
    let mut state = component.watch();
    tokio::time::timeout(STEP, state.wait_for(|s| s.role == Some(want)))
        .await
        .unwrap_or_else(|_| panic!("the component did not become {want}"))
        .expect("the component is open");
}

/// Alpha active and beta standby, each with its component (beta's of `standby` kind),
/// [`WRITES`] writes (eight in flight at a time), a rewrite and a delete acknowledged, then a
/// SIGKILL of alpha: beta's component is active. Returns the acknowledged records, beta's
/// component and what it kept.
async fn write_then_kill(
    pair: &mut Pair,
    standby: StandbyKind,
) -> (BTreeMap<String, String>, Component, Arc<Mutex<Kept>>) {
    let mut watch = Watch::start(pair);
    // The components first: they connect once their node is up (a node counts as
    // degraded, not active, until its listed components registered).
    let (alpha, _) = component(pair, 0, StandbyKind::Cold).await;
    let (beta, beta_kept) = component(pair, 1, standby).await;
    start_alpha_then_beta(pair, &mut watch).await;
    role_becomes(&alpha, Role::Active).await;
    role_becomes(&beta, Role::Standby).await;

    // Only the acknowledged writes are expected back.
    let mut acknowledged = BTreeMap::new();
    let mut next = 0u32;
    while next < WRITES {
        let waits: Vec<_> = (next..(next + 8).min(WRITES))
            .map(|n| {
                let (key, value) = (format!("k{n}"), format!("v{n}"));
                let wait = alpha.replicate(vec![Operation::add(
                    "1",
                    key.clone().into_bytes(),
                    value.clone().into_bytes(),
                )]);
                (key, value, wait)
            })
            .collect();
        for (key, value, wait) in waits {
            let ack = tokio::time::timeout(STEP, wait)
                .await
                .expect("acknowledged in time")
                .expect("acknowledged");
            assert!(ack.sequence > 0);
            acknowledged.insert(key, value);
        }
        next = (next + 8).min(WRITES);
    }
    // Rewrites and deletes are replicated too.
    alpha
        .replicate(vec![
            Operation::modify("1", b"k0".to_vec(), b"changed".to_vec()),
            Operation::delete("1", b"k1".to_vec()),
        ])
        .await
        .expect("acknowledged");
    acknowledged.insert("k0".into(), "changed".into());
    acknowledged.remove("k1");
    // Beta's node holds them all (sync mode: it stored each before alpha acknowledged it).
    caught_up_with(pair, 1, acknowledged.len()).await;

    pair.kill(0);
    watch
        .until("beta active", STEP, |s| is(&s[1], State::Active))
        .await;
    role_becomes(&beta, Role::Active).await;
    alpha.close().await;
    (acknowledged, beta, beta_kept)
}

/// Waits until node `i`'s `baton status --json --config` says the component is caught up
/// with `records` records.
async fn caught_up_with(pair: &Pair, i: usize, records: usize) {
    let deadline = tokio::time::Instant::now() + STEP;
    loop {
        let out = tokio::process::Command::new(support::BATON)
            .args(["status", "--json", "--config"])
            .arg(&pair.specs[i].config)
            .output()
            .await
            .expect("baton status runs");
        let s = serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .map_or(serde_json::Value::Null, |doc| {
                doc["replication"][ID].clone()
            });
        if s["caught_up"] == true && s["records"] == records as u64 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "node {i}: not caught up with {records} records: {s}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The new active replicates on, numbered from 1 on its link.
async fn replicates_on(beta: Component) {
    let ack = tokio::time::timeout(
        STEP,
        beta.replicate(vec![Operation::add("1", b"after".to_vec(), b"1".to_vec())]),
    )
    .await
    .expect("acknowledged in time")
    .expect("acknowledged");
    assert_eq!(ack.sequence, 1, "the first update of beta's component");
    beta.close().await;
}

#[test]
fn acknowledged_sync_writes_survive_a_sigkill_of_the_active_node() {
    let mut pair = Pair::new("replcomp");
    with_replication(&pair);
    runtime().block_on(async {
        let (acknowledged, beta, kept) = write_then_kill(&mut pair, StandbyKind::Cold).await;
        let restored = kept.lock().unwrap().restored.clone();
        let Some(Restoration::Records(records)) = restored.last() else {
            panic!("beta restored no records: {restored:?}");
        };
        let got: BTreeMap<String, String> = records
            .iter()
            .map(|Record { key, value }| text(key, value))
            .collect();
        assert_eq!(
            got, acknowledged,
            "every acknowledged write, and only those"
        );
        replicates_on(beta).await;
    });
}

#[test]
fn a_hot_standby_component_holds_every_acknowledged_write_at_failover() {
    let mut pair = Pair::new("replhot");
    with_replication(&pair);
    runtime().block_on(async {
        let (acknowledged, beta, kept) = write_then_kill(&mut pair, StandbyKind::Hot).await;
        let (restored, copy) = {
            let kept = kept.lock().unwrap();
            (kept.restored.clone(), kept.copy.clone())
        };
        // Streamed to: the node sent no records at promotion, the copy is the state.
        assert_eq!(restored, vec![Restoration::Streamed]);
        assert_eq!(
            copy, acknowledged,
            "every acknowledged write, and only those"
        );
        replicates_on(beta).await;
    });
}
