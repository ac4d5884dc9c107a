//! The node's side of its guard (PROTOCOL 6.3): starts `baton guard` in a process group of
//! its own, tells it of each script component before its `activate` runs (`arm`), after its
//! `deactivate` job succeeded (`disarm`), beats while the driver runs, and says `bye` once
//! the exit jobs ran; a guard that went away (a write failed) is started again and told every
//! component still armed. Writes never block the driver: the guard's stdin is our end of a
//! socket pair in non-blocking mode, and what does not fit waits for the next write. The
//! guard's reports come to the driver's inbox ([`Client::report`]); a dead interval later
//! [`Client::tick`] names the script links the node must take as closed (the component
//! stood down on its own), unless the node stood the component down or activated it again
//! meanwhile.

use super::wire::{Arm, Report, ToGuard};
use crate::config::Config;
use baton_core::LinkId;
use baton_engine::{Hook, HookJob, JobId, Node, ScriptComponent, SCRIPT_LINKS};
use std::collections::HashMap;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::{info, warn};

/// Beats are not queued behind this much unwritten data (a guard that does not read).
const MAX_PENDING: usize = 64 * 1024;

/// How soon a guard that could not be started again is tried again.
const RETRY: Duration = Duration::from_secs(1);

/// Hands a guard's stdout to a task that reads its reports into the driver's inbox.
type Reader = Box<dyn Fn(tokio::process::ChildStdout) + Send>;

/// The node's handle on its guard.
pub(crate) struct Client {
    child: tokio::process::Child,
    stdin: UnixStream,
    pending: Vec<u8>,
    interval: Duration,
    next_beat: Instant,
    /// How long a report waits before it is applied: the dead interval, in which a node
    /// that resumed hears its peer and heals two actives (PROTOCOL 7.7) first.
    settle: Duration,
    /// Reports received, and when each is applied.
    reports: Vec<(Instant, Report)>,
    next_seq: u64,
    /// Each script component's job to stand it down and its commands (configuration order):
    /// the node's own clean-up jobs ([`Node::start_jobs`]).
    cleanup: Vec<(HookJob, ScriptComponent)>,
    /// The arming of each script component the guard holds.
    armed: Vec<Option<u64>>,
    /// `deactivate` jobs out: their component and the arming they end.
    standing_down: HashMap<JobId, (usize, u64)>,
    /// A write failed: the guard is gone; it is started again at `retry_at`, and told every
    /// component still armed.
    broken: bool,
    retry_at: Instant,
    bound: Duration,
    /// `realtime = true`: the priority the guard runs at too.
    realtime: Option<u8>,
    reader: Reader,
}

impl Client {
    /// Starts the guard of `cfg`'s script components (none without any), its reports to
    /// `inbox`. A guard that cannot start is logged, and the node runs without it.
    pub(crate) fn start<T>(cfg: &Config, inbox: mpsc::Sender<T>) -> Option<Client>
    where
        T: From<Report> + Send + 'static,
    {
        let node = &cfg.node;
        if node.scripts.is_empty() {
            return None;
        }
        let bound = super::bound(node.heartbeat_interval, node.dead_interval);
        let reader: Reader = Box::new(move |out| {
            tokio::spawn(read_reports(out, inbox.clone()));
        });
        match launch(bound, cfg.realtime, &reader) {
            Ok((child, stdin)) => {
                // By component index (start_jobs gives them in the order of a demotion).
                let mut jobs = Node::start_jobs(node);
                jobs.sort_by_key(|j| j.component);
                let cleanup = jobs.into_iter().zip(node.scripts.clone());
                Some(Client {
                    child,
                    stdin,
                    pending: Vec::new(),
                    interval: super::beat_interval(bound),
                    next_beat: Instant::now(),
                    settle: node.dead_interval,
                    reports: Vec::new(),
                    next_seq: 1,
                    armed: vec![None; node.scripts.len()],
                    cleanup: cleanup.collect(),
                    standing_down: HashMap::new(),
                    broken: false,
                    retry_at: Instant::now(),
                    bound,
                    realtime: cfg.realtime,
                    reader,
                })
            }
            Err(e) => {
                warn!("guard not started ({e}): script components are not guarded");
                None
            }
        }
    }

    /// When [`Client::tick`] is due next: a `beat`, or a report to apply.
    pub(crate) fn due(&self) -> Instant {
        let report = self.reports.iter().map(|(at, _)| *at).min();
        report.map_or(self.next_beat, |at| at.min(self.next_beat))
    }

    /// Sends `beat` if it is due (and what earlier writes left); returns the script links
    /// of the reports due (see [`Client::report`]).
    pub(crate) fn tick(&mut self) -> Vec<LinkId> {
        let now = Instant::now();
        if self.broken && now >= self.retry_at {
            self.restart(now);
        }
        if now >= self.next_beat {
            self.next_beat = now + self.interval;
            if self.pending.is_empty() {
                self.send(&ToGuard::Beat);
            } else {
                self.flush();
            }
        }
        let (due, later) = std::mem::take(&mut self.reports)
            .into_iter()
            .partition(|(at, _)| *at <= now);
        self.reports = later;
        due.into_iter()
            .filter_map(|(_, r): (Instant, Report)| self.take_report(&r))
            .collect()
    }

    /// The guard stood a component down while the node was silent: applied a dead
    /// interval from now by [`Client::tick`].
    pub(crate) fn report(&mut self, report: Report) {
        info!(component = %report.component, ok = report.ok, "guard: stood the component down while this node was silent");
        self.reports.push((Instant::now() + self.settle, report));
    }

    /// The driver is about to hand `job` to the hook runner: a job that activates arms its
    /// component first (so that a node killed between the two is still guarded); a job that
    /// deactivates an armed component is remembered, to disarm it once it succeeded.
    pub(crate) fn before_job(&mut self, id: JobId, job: &HookJob) {
        let c = job.component;
        let Some((cleanup, script)) = self.cleanup.get(c) else {
            return;
        };
        if job.hooks.contains(&Hook::Activate) {
            let seq = self.next_seq;
            self.next_seq += 1;
            let arm = Arm::new(seq, cleanup, script);
            self.armed[c] = Some(seq);
            self.send(&ToGuard::Arm(Box::new(arm)));
            if !self.pending.is_empty() {
                // Only a guard that has not read for many minutes leaves the socket full.
                let id = &self.cleanup[c].1.id;
                warn!(component = %id, "guard not reading: activated before it heard of it");
            }
        } else if job.hooks.contains(&Hook::Deactivate) {
            if let Some(seq) = self.armed[c] {
                self.standing_down.insert(id, (c, seq));
            }
        }
    }

    /// The hook runner finished job `id`: a `deactivate` job that succeeded disarms its
    /// component, unless it was armed again since.
    pub(crate) fn job_done(&mut self, id: JobId, ok: bool) {
        let Some((c, seq)) = self.standing_down.remove(&id) else {
            return;
        };
        if ok && self.armed[c] == Some(seq) {
            self.armed[c] = None;
            let component = self.cleanup[c].1.id.clone();
            self.send(&ToGuard::Disarm { component, seq });
        }
    }

    /// The guard stood a component down while the node was silent. If that arming is still
    /// the component's, the component's script link: the node takes it as closed, as it
    /// would a linked component's after a self-demotion (PROTOCOL 6.3), and the component
    /// registers again and is sent the node's current role. `None` for a stale report (the
    /// node stood it down, or activated it again, since).
    fn take_report(&mut self, report: &Report) -> Option<LinkId> {
        let c = self
            .cleanup
            .iter()
            .position(|(_, s)| s.id == report.component)?;
        if self.armed[c] != Some(report.seq) {
            info!(component = %report.component, "guard: stood down a component the node had already left: nothing to do");
            return None;
        }
        self.armed[c] = None;
        warn!(component = %report.component, "guard stood the component down while this node was silent: it registers again");
        Some(LinkId(SCRIPT_LINKS.saturating_add(c as u64)))
    }

    /// The node ran its exit jobs: `bye`, the end of the guard's stdin, and a short wait for
    /// it to exit.
    pub(crate) async fn bye(mut self) {
        self.send(&ToGuard::Bye);
        if !self.pending.is_empty() && self.stdin.set_nonblocking(false).is_ok() {
            let _ = self.stdin.write_all(&self.pending);
        }
        drop(self.stdin);
        let waited = tokio::time::timeout(Duration::from_secs(2), self.child.wait()).await;
        if !matches!(waited, Ok(Ok(s)) if s.success()) {
            warn!("guard did not exit cleanly: {waited:?}");
        }
    }

    /// Starts the guard again after it went away, and arms it with every component the node
    /// holds armed (the same arming numbers).
    fn restart(&mut self, now: Instant) {
        match launch(self.bound, self.realtime, &self.reader) {
            Ok((child, stdin)) => {
                self.child = child;
                self.stdin = stdin;
                self.pending.clear();
                self.broken = false;
                for c in 0..self.armed.len() {
                    if let Some(seq) = self.armed[c] {
                        let arm = Arm::new(seq, &self.cleanup[c].0, &self.cleanup[c].1);
                        self.send(&ToGuard::Arm(Box::new(arm)));
                    }
                }
            }
            Err(e) => {
                warn!("guard not started again ({e}): tried again in 1 s");
                self.retry_at = now + RETRY;
            }
        }
    }

    fn send(&mut self, message: &ToGuard) {
        if matches!(message, ToGuard::Beat) && self.pending.len() > MAX_PENDING {
            return;
        }
        self.pending
            .extend_from_slice(message.to_string().as_bytes());
        self.pending.push(b'\n');
        self.flush();
    }

    fn flush(&mut self) {
        while !self.pending.is_empty() && !self.broken {
            match self.stdin.write(&self.pending) {
                Ok(n) => {
                    self.pending.drain(..n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    warn!("guard gone ({e}): starting it again");
                    self.broken = true;
                    self.retry_at = Instant::now();
                }
            }
        }
    }
}

/// Runs `work` (the exit jobs) while `guard` keeps hearing `beat`s, so that a slow
/// `deactivate` at exit is not taken for a silent node and run twice.
pub(crate) async fn beat_while<F: std::future::Future>(
    guard: &mut Option<Client>,
    work: F,
) -> F::Output {
    let Some(guard) = guard else {
        return work.await;
    };
    tokio::pin!(work);
    loop {
        tokio::select! {
            out = &mut work => return out,
            () = tokio::time::sleep_until(guard.next_beat) => {
                // Reports are of no use to a node that is exiting.
                let _ = guard.tick();
            }
        }
    }
}

/// Starts the guard and its reports' reader.
fn launch(
    bound: Duration,
    realtime: Option<u8>,
    reader: &Reader,
) -> std::io::Result<(tokio::process::Child, UnixStream)> {
    let (mut child, stdin) = spawn(bound, realtime)?;
    let pid = child.id().unwrap_or(0);
    info!(pid, bound_ms = bound.as_millis() as u64, "guard started");
    if let Some(out) = child.stdout.take() {
        reader(out);
    }
    Ok((child, stdin))
}

/// Starts `baton guard` (this executable) in its own process group, its stdin our socket;
/// with `realtime`, it locks its memory and raises its own loop (it is started normal, as
/// hooks are: crate::realtime).
fn spawn(
    bound: Duration,
    realtime: Option<u8>,
) -> std::io::Result<(tokio::process::Child, UnixStream)> {
    let exe = std::env::current_exe()?;
    let (ours, theirs) = UnixStream::pair()?;
    ours.set_nonblocking(true)?;
    let mut guard = tokio::process::Command::new(exe);
    guard
        .arg("guard")
        .arg("--bound-ms")
        .arg(bound.as_millis().to_string());
    if let Some(priority) = realtime {
        guard.arg("--realtime-priority").arg(priority.to_string());
    }
    guard
        .env(crate::logging::FORMAT_ENV, crate::logging::format_word())
        .stdin(Stdio::from(OwnedFd::from(theirs)))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .process_group(0);
    let child = crate::realtime::spawn(guard)?;
    Ok((child, ours))
}

/// Hands each of the guard's reports to the driver's inbox.
async fn read_reports<T: From<Report>>(out: tokio::process::ChildStdout, inbox: mpsc::Sender<T>) {
    let mut lines = BufReader::new(out).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        match Report::parse(&line) {
            Ok(r) => {
                if inbox.send(T::from(r)).await.is_err() {
                    return;
                }
            }
            Err(e) => warn!("{e}"),
        }
    }
}
