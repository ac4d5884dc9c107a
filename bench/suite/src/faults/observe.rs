//! What the fault harness watches, each change stamped on one monotonic clock and fed to one
//! [`Tracker`]: the linked component of each serving member (hosted in this process, an
//! instance serves from its `setRole(active)` until `setRole(standby)` or its watchdog), the
//! marker file of each member's script component (read every 2 ms by one thread: it serves
//! while the file says `active`), and each member's status listener (one thread per member,
//! inside that member's namespace, on its loopback).

use super::track::{Overlaps, Tracker};
use baton_component::{Component, Event, Events, Role};
use baton_node::watch::{watch_with, Sample};
use baton_status::ServiceStatus;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The linked component's service index.
pub const LINKED: usize = 0;
/// The script component's service index.
pub const SCRIPT: usize = 1;
/// Services per serving member.
pub const SERVICES: usize = 2;

/// What the harness saw.
#[derive(Debug, Clone)]
#[allow(dead_code)] // the serving changes are read through `Debug` only (progress lines)
pub enum What {
    /// The member's status watcher: a status, or `None` when it could not be reached.
    Status(Option<ServiceStatus>),
    /// A service instance started (`true`) or stopped serving.
    Serving(usize, bool),
}

/// One observation on member `member` at `at`.
#[derive(Debug, Clone)]
#[allow(dead_code)] // `at` is read through `Debug` only
pub struct Record {
    /// When the harness saw it.
    pub at: Instant,
    /// Member index.
    pub member: usize,
    /// What.
    pub what: What,
}

/// The tracker and the record channel, under one lock so records come in time order.
pub struct Shared {
    origin: Instant,
    tracker: Mutex<Tracker>,
    tx: mpsc::UnboundedSender<Record>,
}

impl Shared {
    /// A tracker for `members` members and the channel's sending end.
    pub fn new(members: usize, tx: mpsc::UnboundedSender<Record>) -> Arc<Shared> {
        Arc::new(Shared {
            origin: Instant::now(),
            tracker: Mutex::new(Tracker::new(SERVICES, members)),
            tx,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tracker> {
        self.tracker.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The instance of `service` on `member` starts (`on`) or stops serving now.
    pub fn set(&self, member: usize, service: usize, on: bool) {
        let mut tracker = self.lock();
        let at = Instant::now();
        let since = at.saturating_duration_since(self.origin);
        let changed = if on {
            tracker.start(service, member, since)
        } else {
            tracker.stop(service, member, since)
        };
        if changed {
            let what = What::Serving(service, on);
            let _ = self.tx.send(Record { at, member, what });
        }
    }

    /// Whether the instance serves.
    pub fn serving(&self, member: usize, service: usize) -> bool {
        self.lock().is_serving(service, member)
    }

    /// When member `member` had every service serving (the later start), if it has.
    pub fn full_since(&self, member: usize) -> Option<Instant> {
        let t = self.lock();
        let mut last = Duration::ZERO;
        for s in 0..SERVICES {
            last = last.max(t.serving_since(s, member)?);
        }
        Some(self.origin + last)
    }

    /// The moments and overlap since the last take.
    pub fn take(&self) -> Overlaps {
        let at = Instant::now().saturating_duration_since(self.origin);
        self.lock().take(at)
    }
}

/// The application side of one linked component: accepts every request, records serving.
pub async fn serve(member: usize, component: Component, mut events: Events, shared: Arc<Shared>) {
    while let Some(event) = events.recv().await {
        match event {
            Event::RoleRequest(request) => {
                let role = request.role();
                if role == Role::Active {
                    settle_pending().await;
                }
                shared.set(member, LINKED, role == Role::Active);
                if request.accept().await.is_err() && component.role() != Some(Role::Active) {
                    shared.set(member, LINKED, false);
                }
            }
            Event::RequestWithdrawn { role: Role::Active }
                if component.role() != Some(Role::Active) =>
            {
                shared.set(member, LINKED, false);
            }
            Event::SelfDemoted { .. }
            | Event::RoleChanged {
                to: Role::Standby, ..
            } => shared.set(member, LINKED, false),
            _ => {}
        }
    }
}

/// Lets the harness's runtime handle what is already pending before a start is stamped: an
/// end of link of another instance (a node killed, or fenced, before this `setRole(active)` was
/// sent) that came in the same wake-up reaches its component's task, and then its `serve`, in
/// a few hops, and without this could be stamped microseconds after the start it caused.
/// Each `yield_now` lets the I/O driver and every ready task run first; three cover the hops
/// (reader, component, `serve`). A real overlap (a component still serving) is not hidden:
/// this takes microseconds.
async fn settle_pending() {
    for _ in 0..3 {
        tokio::task::yield_now().await;
    }
}

/// The thread reading the script components' marker files every 2 ms; stopped on drop.
///
/// Each pass reads every file first and then records the stops before the starts: recorded in
/// file order, a handover seen in one pass (the new instance's file read `active`, the old
/// one's `standby`) would count as a moment of a few microseconds whenever the new instance's
/// file comes first, the old instance still marked serving from the pass before. Stops first,
/// two instances count as overlapping only when one pass read both `active`.
pub struct Markers {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Markers {
    /// Watches `files` (member index, marker path).
    pub fn start(files: Vec<(usize, PathBuf)>, shared: Arc<Shared>) -> Markers {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                let read: Vec<(usize, bool)> = files
                    .iter()
                    .map(|(member, path)| {
                        let text = std::fs::read_to_string(path).unwrap_or_default();
                        (*member, text.trim() == "active")
                    })
                    .collect();
                for on in [false, true] {
                    for &(member, serving) in &read {
                        if serving == on {
                            shared.set(member, SCRIPT, on);
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        Markers {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Markers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts a thread inside namespace `ns` following the status listener at `address` (its
/// loopback) for member `member`; it ends when `tx`'s receiver is gone and the node is
/// unreachable or changes.
pub fn status_thread(
    ns: String,
    member: usize,
    address: SocketAddr,
    tx: mpsc::UnboundedSender<Sample>,
) -> Result<(), String> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let entered = super::net::enter(&ns);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("runtime: {e}"));
        match (entered, runtime) {
            (Ok(()), Ok(rt)) => {
                let _ = ready_tx.send(Ok(()));
                rt.block_on(watch_with(member, address, None, tx));
            }
            (Err(e), _) | (_, Err(e)) => {
                let _ = ready_tx.send(Err(e));
            }
        }
    });
    ready_rx
        .recv_timeout(Duration::from_secs(5))
        .map_err(|_| "status thread did not start".to_owned())?
}
