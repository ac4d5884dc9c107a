//! `replication-campaign`: SIGKILL of the active node under a steady replication load (issue
//! 13, PROTOCOL 6.11). Two `baton node` processes on loopback (default timers), each with two linked
//! components hosted here: 1001 replicates `sync`, 1002 `async` (cold standby: a promotion
//! restores the records the node sends before `setRole{active}`). While active, each
//! component writes one record every millisecond (at most 16 unanswered), a key of 4,096,
//! the value a counter that only grows.
//!
//! Each kill: wait until one node is active with both components serving and the other node
//! standby, caught up for both components (its control socket's replication state) and the
//! load running for a while; SIGKILL the active node; wait until the other node's components
//! have restored and activated; then compare: every update the killed node acknowledged must
//! be in the restored records (the same key with this value or a later one). `sync` updates
//! missing: must be 0. `async` updates missing: counted, and the loss window is the time
//! from the oldest missing one's acknowledgement to the kill. The killed node restarts as
//! standby; the next kill hits the other node.

use crate::report::Table;
use crate::stats::Summary;
use crate::{progress, Options};
use baton_component::{
    Component, ComponentOptions, Endpoint, Event, Events, Operation, Record, RecordKey, Replica,
    ReplicationMode, ReplicationOptions, Restoration, Role, StandbyKind,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const NAMES: [&str; 2] = ["alpha", "beta"];
/// The components: `sync` then `async`.
const COMPONENTS: [(&str, &str); 2] = [("1001", "sync"), ("1002", "async")];
/// Distinct keys written.
const KEYS: u64 = 4096;
/// The longest wait for any step of a kill.
const STEP_TIMEOUT: Duration = Duration::from_secs(20);
/// The load runs this long with the standby caught up before a kill.
const STEADY: Duration = Duration::from_millis(300);

/// One component instance's state, shared with its tasks.
#[derive(Debug, Default)]
struct Instance {
    /// It serves: promoted (restored, activated) and not stood down since.
    active: bool,
    /// Promotions so far.
    terms: u64,
    /// The records restored at its last promotion: key -> value.
    restored: BTreeMap<Vec<u8>, u64>,
    /// Hot standby: the copy kept from the node's stream (`StandbySync`, `StandbyUpdate`).
    copy: BTreeMap<Vec<u8>, u64>,
    /// What its node acknowledged in this term: key -> (value, when).
    acked: BTreeMap<Vec<u8>, (u64, Instant)>,
    /// Updates that failed (refused, or the link closed before the answer).
    failed: u64,
}

type Shared = Arc<Mutex<[[Instance; 2]; 2]>>;

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, [[Instance; 2]; 2]> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

/// Seed 002's promotion steps on an instance: keep the restored records, then serve.
struct Promote {
    shared: Shared,
    node: usize,
    comp: usize,
}

impl Replica for Promote {
    fn restore(&mut self, restoration: Restoration) {
        let mut all = lock(&self.shared);
        let me = &mut all[self.node][self.comp];
        me.restored = match restoration {
            Restoration::Records(r) => r
                .into_iter()
                .map(|r| (r.key.key, value_of(&r.value)))
                .collect(),
            // Hot standby: the copy the stream kept is the state.
            Restoration::Streamed => std::mem::take(&mut me.copy),
        };
        me.acked.clear();
    }
    fn activate(&mut self) -> bool {
        let mut all = lock(&self.shared);
        let me = &mut all[self.node][self.comp];
        me.active = true;
        me.terms += 1;
        true
    }
    fn audit(&mut self) -> Vec<RecordKey> {
        Vec::new()
    }
}

/// The counter a value holds (8 octets, big-endian).
fn value_of(value: &[u8]) -> u64 {
    let mut v = [0u8; 8];
    let n = value.len().min(8);
    v[..n].copy_from_slice(&value[..n]);
    u64::from_be_bytes(v)
}

/// The application side of one instance: takes every role, restores on promotion; a hot
/// standby keeps its copy from the stream.
async fn serve(shared: Shared, node: usize, comp: usize, mut events: Events) {
    while let Some(event) = events.recv().await {
        match event {
            Event::RoleRequest(request) => {
                if request.role() == Role::Standby {
                    lock(&shared)[node][comp].active = false;
                }
                let mut steps = Promote {
                    shared: shared.clone(),
                    node,
                    comp,
                };
                let _ = request.promote(&mut steps).await;
            }
            Event::RoleChanged {
                to: Role::Standby, ..
            }
            | Event::SelfDemoted { .. }
            | Event::Disconnected { .. } => lock(&shared)[node][comp].active = false,
            Event::StandbySync { records } => {
                lock(&shared)[node][comp].copy = records
                    .into_iter()
                    .map(|Record { key, value }| (key.key, value_of(&value)))
                    .collect();
            }
            Event::StandbyUpdate { operations, .. } => {
                let mut all = lock(&shared);
                let copy = &mut all[node][comp].copy;
                for op in operations {
                    match op {
                        Operation::Add(r) | Operation::Modify(r) => {
                            copy.insert(r.key.key, value_of(&r.value));
                        }
                        Operation::Delete(k) => {
                            copy.remove(&k.key);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// The load of one instance: while it serves, a write every millisecond, at most 16
/// unanswered.
async fn write(shared: Shared, node: usize, comp: usize, c: Component, counter: Arc<AtomicU64>) {
    let window = Arc::new(tokio::sync::Semaphore::new(16));
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        if !lock(&shared)[node][comp].active {
            continue;
        }
        let Ok(permit) = window.clone().acquire_owned().await else {
            return;
        };
        let n = counter.fetch_add(1, Ordering::Relaxed);
        let key = format!("{:04}", n % KEYS).into_bytes();
        let op = Operation::add("1", key.clone(), n.to_be_bytes().to_vec());
        let answer = c.replicate(vec![op]);
        let shared = shared.clone();
        tokio::spawn(async move {
            let result = answer.await;
            let mut all = lock(&shared);
            let me = &mut all[node][comp];
            match result {
                Ok(_) => {
                    let at = Instant::now();
                    let e = me.acked.entry(key).or_insert((n, at));
                    if e.0 <= n {
                        *e = (n, at);
                    }
                }
                Err(_) => me.failed += 1,
            }
            drop(permit);
        });
    }
}

fn write_configs(dir: &Path, peer: [u16; 2]) -> Result<(), String> {
    // The nodes' log level: BATON_BENCH_NODE_LOG (default info).
    let log = std::env::var("BATON_BENCH_NODE_LOG").unwrap_or_else(|_| "info".into());
    for name in NAMES {
        let d = dir.display();
        let mut text = format!(
            "name = \"{name}\"\nlog = \"{log}\"\n\n[[member]]\nname = \"alpha\"\nid = \"1\"\n\
             address = \"127.0.0.1:{}\"\n\n[[member]]\nname = \"beta\"\nid = \"2\"\n\
             address = \"127.0.0.1:{}\"\n\n[listen]\n\
             component_socket = \"{d}/{name}.sock\"\ncontrol_socket = \"{d}/{name}.ctl\"\n",
            peer[0], peer[1]
        );
        // Default severity (minor). With `fatal`, a standby node that links with the active
        // before its components register keeps the Election's fatal input that replication
        // took while it caught up, and every later promotion fails at once (eligible.rs
        // clears only when no component counts as a fatal failure; the unregistered ones do).
        for (id, mode) in COMPONENTS {
            text += &format!("\n[[component]]\nid = \"{id}\"\nreplication = \"{mode}\"\n");
        }
        let path = dir.join(format!("{name}.toml"));
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// The node processes, killed and reaped on drop.
struct Nodes {
    baton: PathBuf,
    dir: PathBuf,
    children: [Option<Child>; 2],
}

impl Nodes {
    fn spawn(&mut self, i: usize) -> Result<(), String> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(format!("{}.log", NAMES[i])))
            .map_err(|e| e.to_string())?;
        let child = Command::new(&self.baton)
            .arg("node")
            .arg("--config")
            .arg(self.dir.join(format!("{}.toml", NAMES[i])))
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.baton.display()))?;
        self.children[i] = Some(child);
        Ok(())
    }

    /// SIGKILL and reap node `i`; the time just before the signal.
    fn kill(&mut self, i: usize) -> Option<Instant> {
        let mut child = self.children[i].take()?;
        let t = Instant::now();
        let _ = child.kill();
        let _ = child.wait();
        Some(t)
    }
}

impl Drop for Nodes {
    fn drop(&mut self) {
        for i in 0..2 {
            self.kill(i);
        }
    }
}

/// What a node's control socket says: its status word and, per component, caught up.
async fn node_state(cfg: &baton_node::config::Config) -> Option<(String, [bool; 2])> {
    let answer = baton_node::history::fetch(cfg).await.ok()?;
    let word = answer.status.split_whitespace().next()?.to_owned();
    let caught = |id: &str| answer.replication[id]["caught_up"].as_bool() == Some(true);
    Some((word, [caught(COMPONENTS[0].0), caught(COMPONENTS[1].0)]))
}

/// Waits until `ok` holds, polling every 10 ms.
async fn until(what: &str, mut ok: impl AsyncFnMut() -> bool) -> Result<(), String> {
    let deadline = Instant::now() + STEP_TIMEOUT;
    while !ok().await {
        if Instant::now() > deadline {
            return Err(format!("{what}: not within {STEP_TIMEOUT:?}"));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

/// What one kill measured.
#[derive(Debug, Clone, Copy)]
struct Kill {
    sync_acked: usize,
    sync_lost: usize,
    async_acked: usize,
    async_lost: usize,
    /// Oldest lost `async` acknowledgement to the kill, ms (0 with none lost).
    async_window_ms: f64,
    /// Kill to the other node's `sync` component activated, ms.
    failover_ms: f64,
}

async fn campaign(opts: &Options, kills: usize) -> Result<Vec<Kill>, String> {
    let dir = std::env::temp_dir().join(format!("baton-bench-repl-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let port = || baton_node::loopback::free_port().map_err(|e| e.to_string());
    write_configs(&dir, [port()?, port()?])?;
    let cfgs: Vec<baton_node::config::Config> = NAMES
        .iter()
        .map(|n| baton_node::config::load(&dir.join(format!("{n}.toml"))))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let mut nodes = Nodes {
        baton: opts.baton_exe(),
        dir: dir.clone(),
        children: [None, None],
    };
    nodes.spawn(0)?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    nodes.spawn(1)?;

    let shared: Shared = Arc::default();
    let counter = Arc::new(AtomicU64::new(1));
    let mut handles = Vec::new();
    for (node, name) in NAMES.iter().enumerate() {
        for (comp, (id, mode)) in COMPONENTS.iter().enumerate() {
            let mut options = ComponentOptions::new(*id);
            options.replication = Some(ReplicationOptions {
                standby: if opts.campaign_hot {
                    StandbyKind::Hot
                } else {
                    StandbyKind::Cold
                },
                mode: if *mode == "sync" {
                    ReplicationMode::Sync
                } else {
                    ReplicationMode::Async
                },
            });
            let endpoint = Endpoint::Unix(dir.join(format!("{name}.sock")));
            let (c, events) = Component::connect(endpoint, options)
                .await
                .map_err(|e| format!("{name} {id}: {e}"))?;
            handles.push(tokio::spawn(serve(shared.clone(), node, comp, events)));
            handles.push(tokio::spawn(write(
                shared.clone(),
                node,
                comp,
                c.clone(),
                counter.clone(),
            )));
        }
    }

    let mut results = Vec::new();
    let mut active = 0;
    let outcome = async {
        // The first active: whichever node's components both serve first.
        until("a first active node", async || {
            let s = lock(&shared);
            match (0..2).find(|n| s[*n][0].active && s[*n][1].active) {
                Some(n) => {
                    active = n;
                    true
                }
                None => false,
            }
        })
        .await?;
        for k in 0..kills {
            let standby = 1 - active;
            // Steady: the active serving on both components, the standby caught up.
            until(&format!("kill {k}: {} active", NAMES[active]), async || {
                let s = lock(&shared);
                s[active][0].active && s[active][1].active
            })
            .await?;
            until(&format!("kill {k}: {} caught up", NAMES[standby]), async || {
                matches!(node_state(&cfgs[standby]).await, Some((w, [true, true])) if w == "standby")
            })
            .await?;
            tokio::time::sleep(STEADY).await;
            let terms = lock(&shared)[standby].each_ref().map(|i| i.terms);
            let t_kill = nodes.kill(active).ok_or("no active process")?;
            until(&format!("kill {k}: {} promoted", NAMES[standby]), async || {
                let s = lock(&shared);
                (0..2).all(|c| s[standby][c].terms > terms[c] && s[standby][c].active)
            })
            .await?;
            let failover_ms = t_kill.elapsed().as_secs_f64() * 1e3;
            let kill = {
                let s = lock(&shared);
                let check = |c: usize| {
                    let lost: Vec<Instant> = s[active][c]
                        .acked
                        .iter()
                        .filter(|(key, (v, _))| s[standby][c].restored.get(*key).is_none_or(|r| r < v))
                        .map(|(_, (_, at))| *at)
                        .collect();
                    (s[active][c].acked.len(), lost)
                };
                let (sync_acked, sync_lost) = check(0);
                let (async_acked, async_lost) = check(1);
                let oldest = async_lost.iter().min().copied();
                Kill {
                    sync_acked,
                    sync_lost: sync_lost.len(),
                    async_acked,
                    async_lost: async_lost.len(),
                    async_window_ms: oldest
                        .map_or(0.0, |o| t_kill.saturating_duration_since(o).as_secs_f64() * 1e3),
                    failover_ms,
                }
            };
            let unix = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs_f64();
            progress(
                "replication-campaign",
                format!("kill {}/{kills} (unix {unix:.3}): {kill:?}", k + 1),
            );
            results.push(kill);
            nodes.spawn(active)?;
            active = standby;
        }
        Ok::<(), String>(())
    }
    .await;
    for h in handles {
        h.abort();
    }
    drop(nodes);
    if outcome.is_ok() && !opts.keep {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        progress("replication-campaign", format!("kept {}", dir.display()));
    }
    outcome.map(|()| results)
}

fn summary(samples: &[f64]) -> String {
    Summary::of(samples).map_or("-".into(), |s| format!("{} ({})", s.triple(1), s.n))
}

/// Runs the campaign of `--kills` kills.
pub fn run(opts: &Options) -> Result<Vec<Table>, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let kills = runtime.block_on(campaign(opts, opts.kills))?;
    let total = |f: fn(&Kill) -> usize| kills.iter().map(f).sum::<usize>();
    let mut t = Table::new(
        format!(
            "Replication campaign: {} SIGKILLs of the active node under load ({} standby)",
            kills.len(),
            if opts.campaign_hot { "hot" } else { "cold" }
        ),
        &["what", "value"],
    );
    let floats = |f: fn(&Kill) -> f64| kills.iter().map(f).collect::<Vec<f64>>();
    let lost_async: Vec<f64> = kills.iter().map(|k| k.async_lost as f64).collect();
    let windows: Vec<f64> = kills
        .iter()
        .filter(|k| k.async_lost > 0)
        .map(|k| k.async_window_ms)
        .collect();
    for (what, value) in [
        ("kills", kills.len().to_string()),
        (
            "`sync` updates acknowledged by the killed node (all terms)",
            total(|k| k.sync_acked).to_string(),
        ),
        (
            "**`sync` acknowledged updates lost**",
            format!("**{}**", total(|k| k.sync_lost)),
        ),
        (
            "`async` updates acknowledged by the killed node",
            total(|k| k.async_acked).to_string(),
        ),
        ("`async` acknowledged updates lost", total(|k| k.async_lost).to_string()),
        ("`async` lost per kill, min / median / max", summary(&lost_async)),
        (
            "`async` loss window, ms (oldest lost acknowledgement to the kill; kills that lost any)",
            summary(&windows),
        ),
        (
            "failover, ms (kill to the other node's components restored and active)",
            summary(&floats(|k| k.failover_ms)),
        ),
    ] {
        t.row(vec![what.into(), value]);
    }
    t.notes.push(format!(
        "Two `baton node` processes (default timers: heartbeat 100 ms), components 1001 (`sync`) and 1002 \
         (`async`) on each, hot (`--campaign-hot`: the copy kept from the node's stream is the \
         state) or cold standby (the records the node sends before `setRole{{active}}`); while active each writes a record every ms (16 \
         unanswered at most, {KEYS} keys, growing values). Before each kill the standby node is \
         caught up (control socket) and the load has run {} ms more.",
        STEADY.as_millis()
    ));
    Ok(vec![t])
}
