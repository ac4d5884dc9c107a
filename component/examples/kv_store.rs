//! A replicated key-value store (PROTOCOL 6.11): the active instance serves a line protocol
//! on a loopback TCP port and replicates every write through its node before answering it;
//! after a failover the new active serves the same data.
//!
//! Run one instance beside each node of a pair, each with its own port, and a
//! `[[component]]` with `replication = "sync"` for the id on both nodes:
//!
//! ```text
//! cargo run -p baton-component --example kv_store -- --socket /run/baton/components.sock \
//!     --id 1001 --listen 127.0.0.1:7001 [--hot]
//! printf 'SET colour blue\nGET colour\n' | nc 127.0.0.1 7001
//! ```
//!
//! Commands, one per line: `SET <key> <value>` (`OK <sequence>` once the node acknowledged
//! it), `GET <key>` (`VALUE <value>` or `NONE`), `DEL <key>`, `KEYS`. A standby answers
//! `ERR standby`. With `--hot` the standby keeps a copy from the node's stream; without, it
//! restores the records the node sends at promotion.

use baton_component::{
    Component, ComponentOptions, Endpoint, Event, Operation, Record, RecordKey, Replica,
    ReplicationMode, ReplicationOptions, Restoration, Role, StandbyKind,
};
use clap::Parser;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// The data type of the store's records.
const KV: &str = "1";

/// A replicated key-value store.
#[derive(Debug, Parser)]
struct Args {
    /// The node's component socket (Unix).
    #[arg(long, conflicts_with = "tcp", required_unless_present = "tcp")]
    socket: Option<std::path::PathBuf>,
    /// The node's component address (TCP), instead of --socket.
    #[arg(long)]
    tcp: Option<std::net::SocketAddr>,
    /// The component id, as configured on the node (digits).
    #[arg(long)]
    id: String,
    /// Where the store serves clients (while active).
    #[arg(long, default_value = "127.0.0.1:7001")]
    listen: std::net::SocketAddr,
    /// Hot standby: keep a copy from the node's stream.
    #[arg(long)]
    hot: bool,
}

/// The store: its data and whether it serves.
#[derive(Debug, Default)]
struct Store {
    data: BTreeMap<Vec<u8>, Vec<u8>>,
    serving: bool,
}

impl Store {
    fn apply(&mut self, op: &Operation) {
        match op {
            Operation::Add(Record { key, value }) | Operation::Modify(Record { key, value }) => {
                self.data.insert(key.key.clone(), value.clone());
            }
            Operation::Delete(key) => {
                self.data.remove(&key.key);
            }
        }
    }
}

/// Seed 002's promotion steps on the shared store.
struct Promote(Arc<Mutex<Store>>);

impl Replica for Promote {
    fn restore(&mut self, restoration: Restoration) {
        let mut store = self.0.lock().unwrap();
        if let Restoration::Records(records) = restoration {
            store.data = records.into_iter().map(|r| (r.key.key, r.value)).collect();
        }
        println!("restored {} keys", store.data.len());
    }
    fn activate(&mut self) -> bool {
        self.0.lock().unwrap().serving = true;
        println!("active: serving");
        true
    }
    fn audit(&mut self) -> Vec<RecordKey> {
        // A value left empty by a client that died mid-write is an orphan.
        let store = self.0.lock().unwrap();
        let orphans: Vec<RecordKey> = store
            .data
            .iter()
            .filter(|(_, v)| v.is_empty())
            .map(|(k, _)| RecordKey::new(KV, k.clone()))
            .collect();
        orphans
    }
    fn cleanup(&mut self, orphans: &[RecordKey]) {
        let mut store = self.0.lock().unwrap();
        for k in orphans {
            store.data.remove(&k.key);
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let endpoint = match (&args.socket, args.tcp) {
        (Some(path), _) => Endpoint::Unix(path.clone()),
        (_, Some(addr)) => Endpoint::Tcp(addr),
        _ => return Err("give --socket or --tcp".into()),
    };
    let mut options = ComponentOptions::new(args.id.clone());
    options.replication = Some(ReplicationOptions {
        standby: if args.hot {
            StandbyKind::Hot
        } else {
            StandbyKind::Cold
        },
        mode: ReplicationMode::Sync,
    });
    let (component, mut events) = Component::connect(endpoint, options).await?;
    let store = Arc::new(Mutex::new(Store::default()));

    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    println!("kv store {} on {}", args.id, args.listen);
    let (c, s) = (component.clone(), store.clone());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, c.clone(), s.clone()));
        }
    });

    while let Some(event) = events.recv().await {
        match event {
            Event::RoleRequest(request) => {
                if request.role() == Role::Standby {
                    store.lock().unwrap().serving = false;
                }
                let role = request.role();
                if let Err(e) = request.promote(&mut Promote(store.clone())).await {
                    eprintln!("{role} not taken: {e}");
                }
            }
            Event::RoleChanged {
                to: Role::Standby, ..
            } => {
                store.lock().unwrap().serving = false;
                println!("standby");
            }
            Event::StandbySync { records } => {
                let mut s = store.lock().unwrap();
                s.data = records.into_iter().map(|r| (r.key.key, r.value)).collect();
                println!("standby copy: {} keys", s.data.len());
            }
            Event::StandbyUpdate { operations, .. } => {
                let mut s = store.lock().unwrap();
                operations.iter().for_each(|op| s.apply(op));
            }
            _ => {}
        }
    }
    Ok(())
}

/// One client: a command per line, an answer per line.
async fn serve(stream: tokio::net::TcpStream, component: Component, store: Arc<Mutex<Store>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let answer = answer(&line, &component, &store).await;
        if write
            .write_all(format!("{answer}\n").as_bytes())
            .await
            .is_err()
        {
            return;
        }
    }
}

async fn answer(line: &str, component: &Component, store: &Arc<Mutex<Store>>) -> String {
    if !store.lock().unwrap().serving {
        return "ERR standby".into();
    }
    let mut words = line.splitn(3, ' ');
    let (command, key) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let op = match (command, words.next()) {
        ("GET", None) => {
            return match store.lock().unwrap().data.get(key.as_bytes()) {
                Some(v) => format!("VALUE {}", String::from_utf8_lossy(v)),
                None => "NONE".into(),
            }
        }
        ("KEYS", None) => {
            let s = store.lock().unwrap();
            let keys: Vec<_> = s.data.keys().map(|k| String::from_utf8_lossy(k)).collect();
            return format!("KEYS {}", keys.join(" "));
        }
        ("SET", Some(value)) => Operation::add(KV, key.as_bytes(), value.as_bytes()),
        ("DEL", None) => Operation::delete(KV, key.as_bytes()),
        _ => return "ERR usage: SET k v | GET k | DEL k | KEYS".into(),
    };
    // Replicate first, apply once acknowledged: what a client saw answered OK survives a
    // failover (sync mode). A bounded wait keeps a client from hanging on a dead node.
    match tokio::time::timeout(
        Duration::from_secs(5),
        component.replicate(vec![op.clone()]),
    )
    .await
    {
        Ok(Ok(ack)) => {
            store.lock().unwrap().apply(&op);
            format!("OK {}", ack.sequence)
        }
        Ok(Err(e)) => format!("ERR {e}"),
        Err(_) => "ERR no acknowledgement in 5 s".into(),
    }
}
