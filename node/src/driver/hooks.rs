//! The hook process runner: runs the script components' [`HookJob`]s the node decides
//! (`docs/OPERATIONS.md`, script components). I/O only: each hook is `sh -c` with its
//! command, told `BATON_COMPONENT`, `BATON_HOOK`, `BATON_ROLE`, `BATON_MEMBER` and
//! `BATON_PEER`, killed after the component's timeout (and then failed), its output lines
//! logged. One task per component runs its jobs strictly in the order submitted, never two
//! at once, and reports each end ([`Done`]) to the driver's inbox.

use baton_engine::{Hook, HookJob, JobId, ScriptComponent, VipConfig};
use std::collections::HashSet;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

/// A submitted job ended: `ok` if every hook succeeded (a hook with no command succeeds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Done {
    /// The job.
    pub(crate) job: JobId,
    /// Whether every hook succeeded.
    pub(crate) ok: bool,
}

enum Work {
    /// A job from the node: its end is reported.
    Job(JobId, HookJob),
    /// A job at exit: its end is told to the one waiting for it.
    Exit(HookJob, oneshot::Sender<()>),
}

/// The built-in components the runner carries out in-process instead of `sh -c`: the VIPs
/// (PROTOCOL 6.10), and which of them it last activated (the role their `check` judges by:
/// a check queued before an activation or a deactivation runs after it).
#[derive(Debug, Default)]
pub(crate) struct Builtins {
    vips: Vec<VipConfig>,
    active: std::sync::Mutex<HashSet<String>>,
}

impl Builtins {
    /// The built-in components of `vips`.
    pub(crate) fn new(vips: &[VipConfig]) -> Builtins {
        Builtins {
            vips: vips.to_vec(),
            active: std::sync::Mutex::default(),
        }
    }

    /// Runs `hook` of VIP `vip` in-process: true on success (a failure is logged).
    async fn run_vip(&self, vip: &VipConfig, hook: Hook) -> bool {
        let id = &vip.id;
        let result = match hook {
            Hook::Activate => crate::vip::activate(vip, false).await,
            Hook::Deactivate => crate::vip::deactivate(vip).await,
            Hook::Check => {
                let active = self.active.lock().is_ok_and(|a| a.contains(id));
                crate::vip::check(vip, active).await
            }
            Hook::Start | Hook::Stop => Ok(()),
        };
        if let Ok(mut active) = self.active.lock() {
            match (hook, result.is_ok()) {
                (Hook::Activate, true) => {
                    active.insert(id.clone());
                }
                (Hook::Deactivate, _) => {
                    active.remove(id);
                }
                _ => {}
            }
        }
        match (&result, hook) {
            (Ok(()), Hook::Check) => debug!(component = %id, "check passed"),
            (Ok(()), _) => info!(component = %id, %hook, "done"),
            (Err(e), _) => warn!(component = %id, %hook, "failed: {e}"),
        }
        result.is_ok()
    }
}

/// The hook runners of every script component.
pub(crate) struct Runner {
    scripts: Arc<[ScriptComponent]>,
    builtins: Arc<Builtins>,
    queues: Vec<mpsc::UnboundedSender<Work>>,
    /// Set at exit: jobs queued and not yet started are dropped.
    exiting: Arc<AtomicBool>,
}

impl Runner {
    /// One runner task per script component of `scripts` (configuration order), reporting
    /// to `inbox`.
    pub(crate) fn start<T>(
        scripts: &[ScriptComponent],
        builtins: Builtins,
        inbox: mpsc::Sender<T>,
    ) -> Runner
    where
        T: From<Done> + Send + 'static,
    {
        let scripts: Arc<[ScriptComponent]> = scripts.into();
        let builtins = Arc::new(builtins);
        let exiting = Arc::new(AtomicBool::new(false));
        let queues = (0..scripts.len())
            .map(|i| {
                let (tx, rx) = mpsc::unbounded_channel();
                let task = run_queue(
                    scripts.clone(),
                    builtins.clone(),
                    i,
                    rx,
                    inbox.clone(),
                    exiting.clone(),
                );
                tokio::spawn(task);
                tx
            })
            .collect();
        Runner {
            scripts,
            builtins,
            queues,
            exiting,
        }
    }

    /// Queues `job` behind the other jobs of its component; its end comes to the inbox.
    pub(crate) fn submit(&self, id: JobId, job: HookJob) {
        match self.queues.get(job.component) {
            Some(queue) => {
                let _ = queue.send(Work::Job(id, job));
            }
            None => warn!(%id, "hooks of an unknown script component: not run"),
        }
    }

    /// Runs `jobs` one after another before anything else (nothing is queued yet), every
    /// hook of each whatever the one before it did.
    pub(crate) async fn run_at_start(&self, jobs: Vec<HookJob>) {
        for job in jobs {
            run_job(&self.scripts, Some(&self.builtins), &job, Until::End).await;
        }
    }

    /// Runs `jobs` one after another at exit, every hook of each whatever the one before it
    /// did: each after the job its component is running (never two at once), instead of
    /// those still queued.
    pub(crate) async fn run_at_exit(&self, jobs: Vec<HookJob>) {
        self.exiting.store(true, Ordering::SeqCst);
        for job in jobs {
            let (tx, rx) = oneshot::channel();
            let queued = match self.queues.get(job.component) {
                Some(queue) => queue.send(Work::Exit(job, tx)).map_err(|e| e.0),
                None => Err(Work::Exit(job, tx)),
            };
            match queued {
                Ok(()) => {
                    let _ = rx.await;
                }
                // The runner task is gone: nothing else runs the component's hooks.
                Err(Work::Exit(job, _) | Work::Job(_, job)) => {
                    run_job(&self.scripts, Some(&self.builtins), &job, Until::End).await;
                }
            }
        }
    }
}

async fn run_queue<T: From<Done>>(
    scripts: Arc<[ScriptComponent]>,
    builtins: Arc<Builtins>,
    component: usize,
    mut queue: mpsc::UnboundedReceiver<Work>,
    inbox: mpsc::Sender<T>,
    exiting: Arc<AtomicBool>,
) {
    while let Some(work) = queue.recv().await {
        match work {
            Work::Job(job, hooks) => {
                if exiting.load(Ordering::SeqCst) {
                    continue;
                }
                let ok = run_job(&scripts, Some(&builtins), &hooks, Until::FirstFailure).await;
                // A driver gone is a driver exiting: its exit jobs may still come.
                let _ = inbox.send(T::from(Done { job, ok })).await;
            }
            Work::Exit(hooks, done) => {
                run_job(&scripts, Some(&builtins), &hooks, Until::End).await;
                let _ = done.send(());
            }
        }
        debug!(component, "hook job done");
    }
}

/// How far a job's hooks run.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Until {
    /// Up to the first that fails: the node's jobs (a failed `start` skips `activate`).
    FirstFailure,
    /// Every one: the clean-up at start and at exit (`stop` even if `deactivate` failed).
    End,
}

/// Runs the job's hooks in order, as far as `until` says. True if none failed. A built-in
/// component of `builtins` runs in-process (the guard has none: it runs the commands).
pub(crate) async fn run_job(
    scripts: &[ScriptComponent],
    builtins: Option<&Builtins>,
    job: &HookJob,
    until: Until,
) -> bool {
    let Some(script) = scripts.get(job.component) else {
        warn!(component = %job.env.component, "not a configured script component: not run");
        return false;
    };
    let vip = builtins.and_then(|b| b.vips.iter().find(|v| v.id == script.id).map(|v| (b, v)));
    let mut ok = true;
    for &hook in &job.hooks {
        let done = match vip {
            Some((b, v)) => b.run_vip(v, hook).await,
            None => run_hook(script, hook, job).await,
        };
        if !done {
            ok = false;
            if until == Until::FirstFailure {
                break;
            }
        }
    }
    ok
}

/// Runs one hook with `sh -c`; true on exit status 0 (a hook with no command succeeds).
async fn run_hook(script: &ScriptComponent, hook: Hook, job: &HookJob) -> bool {
    let Some(command) = hook.command(script) else {
        return true;
    };
    let env = &job.env;
    let role = env.role.name();
    let mut sh = tokio::process::Command::new("sh");
    sh.arg("-c")
        .arg(command)
        .env("BATON_COMPONENT", &env.component)
        .env("BATON_HOOK", hook.name())
        .env("BATON_ROLE", role)
        .env("BATON_MEMBER", &env.member)
        .env("BATON_PEER", &env.peer)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // Normal scheduling even with `realtime = true` (crate::realtime).
    let child = crate::realtime::spawn(sh);
    let id = &env.component;
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            warn!(component = %id, %hook, "cannot run: {e}");
            return false;
        }
    };
    let out = tokio::spawn(log_lines(child.stdout.take(), id.clone(), hook, false));
    let err = tokio::spawn(log_lines(child.stderr.take(), id.clone(), hook, true));
    let ok = match tokio::time::timeout(script.timeout, child.wait()).await {
        Ok(Ok(status)) if status.success() => true,
        Ok(Ok(status)) => {
            warn!(component = %id, %hook, "failed: {status}");
            false
        }
        Ok(Err(e)) => {
            warn!(component = %id, %hook, "wait failed: {e}");
            false
        }
        Err(_) => {
            let ms = script.timeout.as_millis();
            warn!(component = %id, %hook, "timed out after {ms} ms: killed");
            let _ = child.kill().await;
            false
        }
    };
    let _ = out.await;
    let _ = err.await;
    if ok && hook == Hook::Check {
        debug!(component = %id, "check passed");
    } else if ok {
        info!(component = %id, %hook, role, "done");
    }
    ok
}

/// Logs every line of a hook's output: stderr as warnings, stdout as information.
async fn log_lines<R: AsyncRead + Unpin>(stream: Option<R>, id: String, hook: Hook, is_err: bool) {
    let Some(stream) = stream else { return };
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if is_err {
            warn!(component = %id, %hook, "{line}");
        } else {
            info!(component = %id, %hook, "{line}");
        }
    }
}
