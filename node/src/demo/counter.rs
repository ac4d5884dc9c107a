//! The demo's replicated counter (PROTOCOL 6.11): component 1002 on each node, configured
//! `replication = "sync"` and run in the demo's own process with the component library. The
//! active one counts every 10 ms and replicates each new value before taking it; a promoted
//! one restores the value from the records its node sends, then counts on. No acknowledged
//! value may be lost across the failover and the switchover.

use super::{fail, NAMES};
use crate::Failure;
use baton_component::{
    Backoff, Component, ComponentOptions, Endpoint, Event, Operation, RecordKey, Replica,
    ReplicationMode, ReplicationOptions, Restoration, Role, StandbyKind,
};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// The counter's component id.
pub(super) const ID: &str = "1002";
/// Its record: data type 1, key `counter`.
const KEY: &[u8] = b"counter";
/// How often the active one counts.
const TICK: Duration = Duration::from_millis(10);

/// The `[[component]]` table of the counter.
pub(super) fn table() -> String {
    format!(
        "\n# A linked component replicating its state (the demo's counter).\n\
         [[component]]\nid = \"{ID}\"\nreplication = \"sync\"\n"
    )
}

/// What one instance holds.
#[derive(Debug, Default)]
struct Count {
    /// The last value the node acknowledged (the value counted).
    value: u64,
    /// Counting (active).
    counting: bool,
    /// An update is waiting for its answer.
    in_flight: bool,
    /// The value restored at the latest promotion.
    restored: Option<u64>,
}

/// Seed 002's promotion steps on the counter.
struct Promote(Arc<Mutex<Count>>);

impl Replica for Promote {
    fn restore(&mut self, restoration: Restoration) {
        let mut c = lock(&self.0);
        if let Restoration::Records(records) = restoration {
            c.value = records
                .iter()
                .find(|r| r.key.key == KEY)
                .and_then(|r| Some(u64::from_be_bytes(r.value.as_slice().try_into().ok()?)))
                .unwrap_or(0);
        }
        c.restored = Some(c.value);
    }
    fn activate(&mut self) -> bool {
        lock(&self.0).counting = true;
        true
    }
    fn audit(&mut self) -> Vec<RecordKey> {
        Vec::new()
    }
}

fn lock(c: &Mutex<Count>) -> std::sync::MutexGuard<'_, Count> {
    c.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The two instances, one per node.
pub(super) struct Counters {
    counts: [Arc<Mutex<Count>>; 2],
    components: Vec<Component>,
}

impl Counters {
    /// Starts an instance on each node's component socket (they connect once it is up).
    pub(super) async fn start(dir: &Path) -> Result<Counters, Failure> {
        let mut components = Vec::new();
        let counts = [0, 1].map(|_| Arc::new(Mutex::new(Count::default())));
        for (i, name) in NAMES.iter().enumerate() {
            let mut options = ComponentOptions::new(ID);
            options.replication = Some(ReplicationOptions {
                standby: StandbyKind::Cold,
                mode: ReplicationMode::Sync,
            });
            // Back on its node as soon as it is up again (a node counts as degraded until
            // its listed components registered).
            options.reconnect = Backoff {
                initial: Duration::from_millis(10),
                max: Duration::from_millis(50),
            };
            let endpoint = Endpoint::Unix(dir.join(format!("{name}.sock")));
            let (component, mut events) = Component::connect(endpoint, options)
                .await
                .map_err(|e| fail(format!("the counter component: {e}")))?;
            let count = counts[i].clone();
            tokio::spawn(async move {
                while let Some(event) = events.recv().await {
                    match event {
                        Event::RoleRequest(request) => {
                            if request.role() == Role::Standby {
                                lock(&count).counting = false;
                            }
                            let _ = request.promote(&mut Promote(count.clone())).await;
                        }
                        Event::RoleChanged {
                            to: Role::Standby, ..
                        } => lock(&count).counting = false,
                        _ => {}
                    }
                }
            });
            tokio::spawn(count_on(component.clone(), counts[i].clone()));
            components.push(component);
        }
        Ok(Counters { counts, components })
    }

    /// Instance `i`'s value, whether it counts (or waits for an answer), and what it
    /// restored last.
    fn get(&self, i: usize) -> (u64, bool, Option<u64>) {
        let c = lock(&self.counts[i]);
        (c.value, c.counting || c.in_flight, c.restored)
    }

    /// Waits (at most `timeout`) until instance `i` counts and has passed `above`; when.
    pub(super) async fn counting_past(
        &self,
        i: usize,
        above: u64,
        timeout: Duration,
    ) -> Result<Instant, Failure> {
        let deadline = Instant::now() + timeout;
        loop {
            let (value, busy, _) = self.get(i);
            if busy && value > above {
                return Ok(Instant::now());
            }
            if Instant::now() >= deadline {
                return Err(fail(format!(
                    "{}'s counter did not count past {above} within {timeout:?} (at {value})",
                    NAMES[i]
                )));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Waits (at most `timeout`) until instance `i` stopped counting (its node died or
    /// demoted it); the last value its node acknowledged.
    pub(super) async fn stopped(&self, i: usize, timeout: Duration) -> Result<u64, Failure> {
        let deadline = Instant::now() + timeout;
        loop {
            let (value, busy, _) = self.get(i);
            // Standing by with no update in flight: no acknowledgement comes after.
            if !busy && self.components[i].role() != Some(Role::Active) {
                return Ok(value);
            }
            if Instant::now() >= deadline {
                return Err(fail(format!(
                    "{}'s counter did not stop within {timeout:?}",
                    NAMES[i]
                )));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// The value instance `i` restored at its latest promotion; a failure if it is below
    /// `acknowledged` (an acknowledged update lost).
    pub(super) fn restored(&self, i: usize, acknowledged: u64) -> Result<u64, Failure> {
        let restored = self.get(i).2.unwrap_or(0);
        if restored < acknowledged {
            return Err(fail(format!(
                "{}'s counter restored {restored}, but {acknowledged} was acknowledged",
                NAMES[i]
            )));
        }
        Ok(restored)
    }

    /// Closes both instances.
    pub(super) async fn close(self) {
        for c in self.components {
            c.close().await;
        }
    }
}

/// While the instance counts: the next value, replicated, then taken once acknowledged.
async fn count_on(component: Component, count: Arc<Mutex<Count>>) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let next = {
            let mut c = lock(&count);
            if !c.counting {
                if component.state().closed {
                    return;
                }
                continue;
            }
            c.in_flight = true;
            c.value + 1
        };
        let op = Operation::modify("1", KEY.to_vec(), next.to_be_bytes().to_vec());
        let acknowledged = component.replicate(vec![op]).await.is_ok();
        let mut c = lock(&count);
        c.in_flight = false;
        if acknowledged && c.value < next {
            c.value = next;
        }
    }
}
