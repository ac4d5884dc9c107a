//! `realtime = true` (OPERATIONS "Real-time scheduling"; keepalived's `vrrp_rt_priority` and
//! `vrrp_no_swap`): the node, and its script guard, lock their memory (`mlockall`, current and
//! future pages) and run their loop at a SCHED_FIFO priority, so that a busy or swapping host
//! does not starve the heartbeats into a spurious failover.
//!
//! Scheduling is per thread: [`enter`] changes the calling thread (the node's and the guard's
//! only runtime thread) and the threads it starts later. Hooks, the fence command and the guard
//! must not inherit the policy (a runaway hook at SCHED_FIFO would starve the host, the node
//! included): with realtime on, [`spawn`] starts every child process from a thread of its own
//! that [`enter`] starts *before* it raises the policy, so it keeps the normal one (and is set
//! back to SCHED_OTHER if the process was started real-time). The kernel's own answer,
//! `SCHED_RESET_ON_FORK`, has no safe wrapper: `nix` and `rustix` have no `sched_setscheduler`,
//! `thread-priority` takes no flags, and this crate forbids `unsafe`.
//!
//! Memory locks are not inherited by a child (fork clears them, exec too): hooks are unlocked.

use std::io;
use std::sync::{mpsc, OnceLock};
use thread_priority::{
    set_thread_priority_and_policy, thread_native_id, thread_schedule_policy,
    NormalThreadSchedulePolicy, RealtimeThreadSchedulePolicy, ThreadPriority,
    ThreadPriorityOsValue, ThreadPriorityValue, ThreadSchedulePolicy,
};
use tokio::process::{Child, Command};
use tracing::{info, warn};

/// The SCHED_FIFO priority of `realtime = true` without `realtime_priority`: above every
/// normally scheduled process, below the kernel's threaded interrupt handlers (50).
pub const DEFAULT_PRIORITY: u8 = 10;

/// What [`enter`] obtained: each part, or why not (one line, with the remedy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The priority asked for.
    pub priority: u8,
    /// `mlockall(MCL_CURRENT | MCL_FUTURE)`.
    pub memory_locked: Result<(), String>,
    /// SCHED_FIFO at `priority` for the calling thread.
    pub scheduled: Result<(), String>,
}

impl Outcome {
    /// Logs the outcome: one info line when both parts were obtained, a warning for each
    /// that was not (the node runs on without it: see OPERATIONS "Real-time scheduling").
    pub fn log(&self) {
        if let Err(e) = &self.memory_locked {
            warn!("realtime: memory not locked: {e}");
        }
        if let Err(e) = &self.scheduled {
            warn!("realtime: normal scheduling kept: {e}");
        }
        if self.memory_locked.is_ok() && self.scheduled.is_ok() {
            info!(
                priority = self.priority,
                "realtime: memory locked, SCHED_FIFO"
            );
        }
    }
}

/// Locks the process's memory and raises the calling thread to SCHED_FIFO at `priority`
/// (1 to 99), after starting the thread [`spawn`] starts child processes from. Neither is
/// raised if that thread cannot start (children would inherit the policy).
pub fn enter(priority: u8) -> Outcome {
    let (memory_locked, scheduled) = match start_spawner() {
        Ok(()) => (lock_memory(), schedule(priority)),
        Err(e) => {
            let why = format!("cannot start the thread that starts hooks: {e}");
            (Err(why.clone()), Err(why))
        }
    };
    Outcome {
        priority,
        memory_locked,
        scheduled,
    }
}

fn lock_memory() -> Result<(), String> {
    use nix::sys::mman::{mlockall, MlockAllFlags};
    mlockall(MlockAllFlags::MCL_CURRENT | MlockAllFlags::MCL_FUTURE).map_err(|e| {
        format!(
            "mlockall: {}: needs CAP_IPC_LOCK or a RLIMIT_MEMLOCK above the node's size \
             (systemd: LimitMEMLOCK=infinity)",
            e.desc()
        )
    })
}

fn schedule(priority: u8) -> Result<(), String> {
    let value = ThreadPriorityValue::try_from(priority)
        .ok()
        .filter(|_| (1..=99).contains(&priority))
        .ok_or_else(|| format!("priority {priority}: must be 1 to 99"))?;
    set_thread_priority_and_policy(
        thread_native_id(),
        ThreadPriority::Crossplatform(value),
        ThreadSchedulePolicy::Realtime(RealtimeThreadSchedulePolicy::Fifo),
    )
    .map_err(|e| {
        let why = match e {
            thread_priority::Error::OS(n) => nix::errno::Errno::from_raw(n).desc().to_owned(),
            other => format!("{other:?}"),
        };
        format!(
            "SCHED_FIFO priority {priority}: {why}: needs CAP_SYS_NICE or RLIMIT_RTPRIO >= \
             {priority} (systemd: LimitRTPRIO={priority})"
        )
    })
}

/// A child process to start: the command, the runtime its [`Child`] belongs to, the answer.
struct Job {
    command: Command,
    runtime: tokio::runtime::Handle,
    reply: mpsc::SyncSender<io::Result<Child>>,
}

/// The spawner thread's inbox, once [`enter`] started it.
static SPAWNER: OnceLock<mpsc::Sender<Job>> = OnceLock::new();

fn start_spawner() -> io::Result<()> {
    if SPAWNER.get().is_some() {
        return Ok(());
    }
    let (tx, rx) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("baton-spawner".into())
        .spawn(move || {
            normal_scheduling();
            for mut job in rx {
                let _runtime = job.runtime.enter();
                let _ = job.reply.send(job.command.spawn());
            }
        })?;
    let _ = SPAWNER.set(tx);
    Ok(())
}

/// Sets the calling thread back to SCHED_OTHER (nice 0) if it runs real-time.
fn normal_scheduling() {
    if let Ok(ThreadSchedulePolicy::Realtime(_)) = thread_schedule_policy() {
        if let Err(e) = set_thread_priority_and_policy(
            thread_native_id(),
            ThreadPriority::Os(ThreadPriorityOsValue::default()),
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Other),
        ) {
            warn!("realtime: hooks may inherit the real-time policy: {e:?}");
        }
    }
}

/// Starts `command` as [`Command::spawn`] does; with realtime on, from the thread of normal
/// scheduling, so the child runs SCHED_OTHER (the calling thread waits for the fork).
///
/// # Errors
/// As [`Command::spawn`]; also when called outside a tokio runtime with realtime on.
pub fn spawn(mut command: Command) -> io::Result<Child> {
    let Some(spawner) = SPAWNER.get() else {
        return command.spawn();
    };
    let runtime = tokio::runtime::Handle::try_current().map_err(io::Error::other)?;
    let (reply, answer) = mpsc::sync_channel(1);
    let job = Job {
        command,
        runtime,
        reply,
    };
    let gone = || io::Error::other("the thread that starts hooks is gone");
    spawner.send(job).map_err(|_| gone())?;
    answer.recv().map_err(|_| gone())?
}
