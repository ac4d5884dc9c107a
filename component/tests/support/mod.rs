//! A tiny tokio driver around the pure `baton_engine::Node`, listening for components
//! on a Unix socket (or loopback TCP): what the tests talk to. It records every frame both
//! ways and can close its links, fall silent or stop.

#![allow(dead_code)]

use baton_codec::{AnyMessage, Encoding, FrameCodec};
use baton_core::{Instant, LinkId};
use baton_election::NodeRole;
use baton_engine::{Event, LinkKind, Node, NodeConfig};
use baton_monitor::ComponentHealthState;
use futures_util::{SinkExt, StreamExt};
use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::codec::{FramedRead, FramedWrite};

/// The component id every test uses.
pub const ID: &str = "1001";

/// What the node did, for assertions.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// The node's role after its latest step.
    pub role: Option<NodeRole>,
    /// The component's health as the node sees it.
    pub health: Option<ComponentHealthState>,
    /// Frames the components sent.
    pub from_components: Vec<AnyMessage>,
    /// Frames the node sent (also those dropped while silent).
    pub to_components: Vec<AnyMessage>,
    /// Component links accepted so far.
    pub links_opened: usize,
    /// Links open now.
    pub links_open: usize,
    /// The node's log.
    pub log: Vec<String>,
}

enum Ctl {
    CloseLinks,
    Silence,
}

/// A running test node.
pub struct TestNode {
    ctl: mpsc::UnboundedSender<Ctl>,
    seen: Arc<Mutex<Seen>>,
    task: Option<JoinHandle<()>>,
}

/// The node configuration of the tests: a pair whose peer never comes, so the node promotes
/// alone after `startup_wait` (300 ms).
pub fn config() -> NodeConfig {
    NodeConfig::pair([("alpha", "1"), ("beta", "2")], 0)
}

impl TestNode {
    /// A node listening on the Unix socket `path` (replacing any stale socket file).
    pub fn unix(path: &Path, config: NodeConfig) -> TestNode {
        let _ = std::fs::remove_file(path);
        let listener = Arc::new(tokio::net::UnixListener::bind(path).expect("bind"));
        Self::spawn(config, move || {
            let listener = listener.clone();
            async move {
                let (s, _) = listener.accept().await?;
                Ok(tokio::io::split(s))
            }
        })
    }

    /// A node listening on loopback TCP; returns its address.
    pub async fn tcp(config: NodeConfig) -> (TestNode, std::net::SocketAddr) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let listener = Arc::new(listener);
        let node = Self::spawn(config, move || {
            let listener = listener.clone();
            async move {
                let (s, _) = listener.accept().await?;
                Ok(tokio::io::split(s))
            }
        });
        (node, addr)
    }

    fn spawn<A, F, S>(config: NodeConfig, accept: A) -> TestNode
    where
        A: Fn() -> F + Send + 'static,
        F: Future<Output = std::io::Result<(tokio::io::ReadHalf<S>, tokio::io::WriteHalf<S>)>>
            + Send
            + 'static,
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (ctl, ctl_rx) = mpsc::unbounded_channel();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let task = tokio::spawn(run(config, accept, ctl_rx, seen.clone()));
        TestNode {
            ctl,
            seen,
            task: Some(task),
        }
    }

    /// What the node did so far.
    pub fn seen(&self) -> Seen {
        self.seen.lock().unwrap().clone()
    }

    /// Closes every component link (the node stays up and keeps listening).
    pub fn close_links(&self) {
        let _ = self.ctl.send(Ctl::CloseLinks);
    }

    /// Drops everything the node sends on the links open now (a hung link); later links are
    /// served normally.
    pub fn silence_links(&self) {
        let _ = self.ctl.send(Ctl::Silence);
    }

    /// Stops the node: its links and listener close.
    pub async fn stop(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
        // Let the aborted readers drop their halves of the sockets.
        tokio::task::yield_now().await;
    }

    /// Waits (bounded, on tokio's clock) until `pred` holds of what the node did.
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&Seen) -> bool) -> Seen {
        for _ in 0..1000 {
            let seen = self.seen();
            if pred(&seen) {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("timed out waiting for {what}: {:#?}", self.seen());
    }
}

type Writer<S> = FramedWrite<tokio::io::WriteHalf<S>, FrameCodec>;

async fn run<A, F, S>(
    config: NodeConfig,
    accept: A,
    mut ctl: mpsc::UnboundedReceiver<Ctl>,
    seen: Arc<Mutex<Seen>>,
) where
    A: Fn() -> F,
    F: Future<Output = std::io::Result<(tokio::io::ReadHalf<S>, tokio::io::WriteHalf<S>)>>,
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let start = tokio::time::Instant::now();
    let now = || Instant::from_duration(start.elapsed());
    let mut node = Node::new(config, now()).expect("node config");
    let (in_tx, mut in_rx) = mpsc::unbounded_channel::<(LinkId, Option<AnyMessage>)>();
    let mut writers: BTreeMap<LinkId, Writer<S>> = BTreeMap::new();
    let mut readers: BTreeMap<LinkId, Reader> = BTreeMap::new();
    let mut next_link = 0u64;
    let mut silent = std::collections::BTreeSet::new();
    loop {
        while let Some(t) = node.poll_transmit() {
            seen.lock().unwrap().to_components.push(t.message.clone());
            if silent.contains(&t.link) {
                continue;
            }
            if let Some(w) = writers.get_mut(&t.link) {
                if w.send(t.message).await.is_err() {
                    writers.remove(&t.link);
                }
            }
        }
        while let Some(e) = node.poll_event() {
            match e {
                Event::CloseLink { link, reason } => {
                    seen.lock()
                        .unwrap()
                        .log
                        .push(format!("close {link}: {reason}"));
                    writers.remove(&link);
                    readers.remove(&link);
                }
                other => seen.lock().unwrap().log.push(format!("{other:?}")),
            }
        }
        {
            let mut s = seen.lock().unwrap();
            s.role = Some(node.role());
            s.health = node.health().health(ID);
            s.links_open = writers.len();
        }
        let deadline = node
            .poll_timeout()
            .map(|t| start + t.since_origin())
            .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            accepted = accept() => {
                let Ok((read, write)) = accepted else { continue };
                let link = LinkId(next_link);
                next_link += 1;
                seen.lock().unwrap().links_opened += 1;
                writers.insert(link, FramedWrite::new(write, FrameCodec::new(Encoding::Der)));
                let tx = in_tx.clone();
                readers.insert(link, Reader(tokio::spawn(async move {
                    let mut frames = FramedRead::new(read, FrameCodec::new(Encoding::Der));
                    while let Some(Ok(m)) = frames.next().await {
                        if tx.send((link, Some(m))).is_err() {
                            return;
                        }
                    }
                    let _ = tx.send((link, None));
                })));
                node.handle_link_opened(now(), link, LinkKind::Component);
            }
            Some((link, message)) = in_rx.recv() => match message {
                Some(m) => {
                    if readers.contains_key(&link) {
                        seen.lock().unwrap().from_components.push(m.clone());
                        node.handle_frame(now(), link, m);
                    }
                }
                None => {
                    writers.remove(&link);
                    if readers.remove(&link).is_some() {
                        node.handle_link_closed(now(), link);
                    }
                }
            },
            () = tokio::time::sleep_until(deadline) => node.handle_timeout(now()),
            c = ctl.recv() => match c {
                Some(Ctl::CloseLinks) => {
                    writers.clear();
                    for link in std::mem::take(&mut readers).into_keys() {
                        node.handle_link_closed(now(), link);
                    }
                }
                Some(Ctl::Silence) => silent.extend(writers.keys().copied()),
                None => return,
            },
        }
    }
}

/// A reader task, aborted (its half of the socket dropped) when the link is forgotten.
struct Reader(JoinHandle<()>);

impl Drop for Reader {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}
