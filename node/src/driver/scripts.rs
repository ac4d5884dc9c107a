//! Script components (DESIGN.md section 6): components defined by commands, run by the node
//! as built-in adapters that speak the Role and Monitor interfaces.
//!
//! Each script component is a real component to the [`Node`]: an in-process link carrying
//! the same messages a linked application would send, driven by the same component-side
//! machines ([`ComponentRole`], [`ComponentHealth`]). Its hooks run through one task per
//! component, strictly in order, never two at once; each has a timeout, is told the role and
//! the peer in environment variables, and has its output logged.

use super::Input;
use crate::config::{Config, ScriptComponent};
use baton_engine::Node;
use baton_codec::AnyMessage;
use baton_core::{Instant, LinkId};
use baton_election::NodeRole;
use baton_monitor::{ComponentHealth, ComponentHealthConfig, ComponentStatus};
use baton_role::{ComponentConfig, ComponentEvent, ComponentRole, Role};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;
use tracing::{info, warn};

/// A hook of a script component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hook {
    Check,
    Activate,
    Deactivate,
    Start,
    Stop,
}

impl Hook {
    fn name(self) -> &'static str {
        match self {
            Hook::Check => "check",
            Hook::Activate => "activate",
            Hook::Deactivate => "deactivate",
            Hook::Start => "start",
            Hook::Stop => "stop",
        }
    }

    fn command(self, c: &ScriptComponent) -> Option<&str> {
        match self {
            Hook::Check => c.check.as_deref(),
            Hook::Activate => c.activate.as_deref(),
            Hook::Deactivate => c.deactivate.as_deref(),
            Hook::Start => c.start.as_deref(),
            Hook::Stop => c.stop.as_deref(),
        }
    }
}

/// A job for a component's hook runner: hooks run in order; `then` says what to tell the
/// component machines when all succeeded (or one failed).
struct Job {
    hooks: Vec<Hook>,
    role: Role,
    then: Then,
}

#[derive(Debug, Clone)]
enum Then {
    /// Answer the `setRole` with this correlationId, if it is still the pending request (a
    /// newer request supersedes it and is answered by its own job).
    AnswerSetRole(String),
    ReportHealth,
    Nothing,
}

/// What the hook runners send back to the driver.
pub(crate) struct Output {
    index: usize,
    then: Then,
    ok: bool,
}

struct Script {
    cfg: ScriptComponent,
    link: Option<LinkId>,
    role: ComponentRole,
    health: ComponentHealth,
    jobs: mpsc::UnboundedSender<Job>,
    next_check: Option<Instant>,
    check_running: bool,
}

/// Every script component of the node.
pub(crate) struct Scripts {
    items: Vec<Script>,
    bound: usize,
}

/// Environment every hook sees.
#[derive(Clone)]
struct Env {
    member: String,
    peer: String,
}

impl Scripts {
    /// Runs `deactivate` then `stop` for every script component (clearing what a crashed node
    /// may have left active), then starts their hook runners.
    pub(crate) async fn start(cfg: &Config, inbox: mpsc::Sender<Input>) -> Scripts {
        let me = cfg.node.me;
        let env = Env {
            member: cfg.node.members[me].name.clone(),
            peer: cfg
                .node
                .members
                .iter()
                .enumerate()
                .find(|(i, _)| *i != me)
                .map(|(_, m)| m.name.clone())
                .unwrap_or_default(),
        };
        let mut items = Vec::new();
        for (index, c) in cfg.node.scripts.iter().enumerate() {
            for hook in [Hook::Deactivate, Hook::Stop] {
                run_hook(c, hook, Role::standby, &env).await;
            }
            let (jobs, rx) = mpsc::unbounded_channel();
            tokio::spawn(runner(index, c.clone(), env.clone(), rx, inbox.clone()));
            let health = ComponentHealth::new(&c.id, ComponentHealthConfig::default())
                .unwrap_or_else(|_| {
                    ComponentHealth::new("0", ComponentHealthConfig::default())
                        .expect("\"0\" is a valid component id")
                });
            items.push(Script {
                cfg: c.clone(),
                link: None,
                // In-process: the node cannot die without this adapter, so the watchdog
                // has nothing to guard against.
                role: ComponentRole::new(ComponentConfig {
                    dead_interval: Duration::from_secs(365 * 24 * 3600),
                }),
                health,
                jobs,
                next_check: None,
                check_running: false,
            });
        }
        Scripts { items, bound: 0 }
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// Gives the next script component its link id.
    pub(crate) fn bind_next(&mut self, link: LinkId) {
        if let Some(s) = self.items.get_mut(self.bound) {
            s.link = Some(link);
            self.bound += 1;
        }
    }

    /// Connects every bound script component (it registers with its heartbeat).
    pub(crate) fn connect_all(&mut self, now: Instant, node: &mut Node) {
        for s in &mut self.items {
            if let Some(link) = s.link {
                s.role.handle_node_connected(now, link);
                s.health.handle_node_connected(now, link);
                s.next_check = s.cfg.check.as_ref().map(|_| now);
            }
        }
        self.pump(now, node);
    }

    /// Whether `id` is the id of one of the script components.
    /// Whether `id` (a frame's `componentId`, as its bytes) is a script component's.
    pub(crate) fn has_id(&self, id: &[u8]) -> bool {
        self.items.iter().any(|s| s.cfg.id.as_bytes() == id)
    }

    pub(crate) fn owns(&self, link: LinkId) -> bool {
        self.items.iter().any(|s| s.link == Some(link))
    }

    /// A message from the node to a script component.
    pub(crate) fn deliver(&mut self, now: Instant, link: LinkId, message: AnyMessage) {
        let Some(s) = self.items.iter_mut().find(|s| s.link == Some(link)) else {
            return;
        };
        s.role.handle_node_activity(now);
        match message {
            AnyMessage::Role(m) => s.role.handle_message(now, m),
            AnyMessage::Monitor(m) => s.health.handle_message(now, m),
            other => warn!(component = %s.cfg.id, "unexpected {} message", other.interface()),
        }
    }

    /// Moves the component machines' output to the node and their role requests to the hook
    /// runners. True if anything moved.
    pub(crate) fn pump(&mut self, now: Instant, node: &mut Node) -> bool {
        let mut moved = false;
        for s in &mut self.items {
            let Some(link) = s.link else { continue };
            while let Some(t) = s.role.poll_transmit() {
                moved = true;
                node.handle_frame(now, link, t.message.into());
            }
            while let Some(t) = s.health.poll_transmit() {
                moved = true;
                node.handle_frame(now, link, t.message.into());
            }
            while let Some(e) = s.role.poll_event() {
                moved = true;
                if let ComponentEvent::RoleRequested { role, correlation } = e {
                    let hooks = match role {
                        Role::active => vec![Hook::Start, Hook::Activate],
                        Role::standby => vec![Hook::Deactivate, Hook::Stop],
                    };
                    let _ = s.jobs.send(Job {
                        hooks,
                        role,
                        then: Then::AnswerSetRole(correlation),
                    });
                }
            }
            while s.health.poll_event().is_some() {}
        }
        moved
    }

    /// A hook runner finished a job.
    pub(crate) fn handle(&mut self, now: Instant, out: Output, node: &mut Node) {
        let Some(s) = self.items.get_mut(out.index) else {
            return;
        };
        match out.then {
            Then::AnswerSetRole(correlation) => {
                let current = s
                    .role
                    .pending_request()
                    .is_some_and(|(c, _)| c == correlation);
                if !current {
                    info!(component = %s.cfg.id, "hooks for a superseded setRole finished");
                    self.pump(now, node);
                    return;
                }
                let result = if out.ok {
                    s.role.accept(now)
                } else {
                    s.role.refuse(now)
                };
                if let Err(e) = result {
                    info!(component = %s.cfg.id, "role answer dropped: {e}");
                }
            }
            Then::ReportHealth => {
                s.check_running = false;
                let status = if out.ok {
                    ComponentStatus::ok
                } else {
                    ComponentStatus::failed
                };
                s.health.set_status(now, status);
                s.next_check = Some(now + s.cfg.check_interval);
            }
            Then::Nothing => {}
        }
        self.pump(now, node);
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.items
            .iter()
            .flat_map(|s| {
                [
                    s.role.poll_timeout(),
                    s.health.poll_timeout(),
                    s.next_check.filter(|_| !s.check_running),
                ]
            })
            .flatten()
            .min()
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant, node: &mut Node) {
        for s in &mut self.items {
            s.role.handle_timeout(now);
            s.health.handle_timeout(now);
            if !s.check_running && s.next_check.is_some_and(|t| t <= now) {
                s.check_running = true;
                let role = s.role.role().unwrap_or(Role::standby);
                let _ = s.jobs.send(Job {
                    hooks: vec![Hook::Check],
                    role,
                    then: Then::ReportHealth,
                });
            }
        }
        self.pump(now, node);
    }

    /// A `major` failure: restart the component (`stop` then `start`, in order with its other
    /// hooks).
    pub(crate) fn restart(&mut self, id: &str) {
        if let Some(s) = self.items.iter().find(|s| s.cfg.id == id) {
            let role = s.role.role().unwrap_or(Role::standby);
            let _ = s.jobs.send(Job {
                hooks: vec![Hook::Stop, Hook::Start],
                role,
                then: Then::Nothing,
            });
        }
    }

    /// Leaving: a node that still holds the service stops its script components.
    pub(crate) async fn shutdown(&mut self, role: NodeRole) {
        if matches!(role, NodeRole::Standby | NodeRole::Negotiating) {
            return;
        }
        for s in &self.items {
            let env = Env {
                member: String::new(),
                peer: String::new(),
            };
            for hook in [Hook::Deactivate, Hook::Stop] {
                run_hook(&s.cfg, hook, Role::standby, &env).await;
            }
        }
    }
}

async fn runner(
    index: usize,
    cfg: ScriptComponent,
    env: Env,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    inbox: mpsc::Sender<Input>,
) {
    while let Some(job) = jobs.recv().await {
        let mut ok = true;
        for hook in job.hooks {
            if !run_hook(&cfg, hook, job.role, &env).await {
                ok = false;
                break;
            }
        }
        let out = Output {
            index,
            then: job.then,
            ok,
        };
        if inbox.send(Input::Script(out)).await.is_err() {
            return;
        }
    }
}

/// Runs one hook with `sh -c`; true on exit status 0 (a missing hook is a success).
async fn run_hook(c: &ScriptComponent, hook: Hook, role: Role, env: &Env) -> bool {
    let Some(command) = hook.command(c) else {
        return true;
    };
    let role_word = match role {
        Role::active => "active",
        Role::standby => "standby",
    };
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .env("BATON_COMPONENT", &c.id)
        .env("BATON_HOOK", hook.name())
        .env("BATON_ROLE", role_word)
        .env("BATON_MEMBER", &env.member)
        .env("BATON_PEER", &env.peer)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            warn!(component = %c.id, hook = hook.name(), "cannot run: {e}");
            return false;
        }
    };
    let id = c.id.clone();
    let log = |stream: Option<Box<dyn tokio::io::AsyncRead + Send + Unpin>>, is_err: bool| {
        let id = id.clone();
        async move {
            let Some(stream) = stream else { return };
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if is_err {
                    warn!(component = %id, hook = hook.name(), "{line}");
                } else {
                    info!(component = %id, hook = hook.name(), "{line}");
                }
            }
        }
    };
    let out = tokio::spawn(log(child.stdout.take().map(|s| Box::new(s) as _), false));
    let err = tokio::spawn(log(child.stderr.take().map(|s| Box::new(s) as _), true));
    let ok = match tokio::time::timeout(c.timeout, child.wait()).await {
        Ok(Ok(status)) if status.success() => true,
        Ok(Ok(status)) => {
            warn!(component = %c.id, hook = hook.name(), "failed: {status}");
            false
        }
        Ok(Err(e)) => {
            warn!(component = %c.id, hook = hook.name(), "wait failed: {e}");
            false
        }
        Err(_) => {
            warn!(component = %c.id, hook = hook.name(), "timed out after {:?}: killed", c.timeout);
            let _ = child.kill().await;
            false
        }
    };
    let _ = out.await;
    let _ = err.await;
    if ok && hook == Hook::Check {
        tracing::debug!(component = %c.id, "check passed");
    } else if ok {
        info!(component = %c.id, hook = hook.name(), role = role_word, "done");
    }
    ok
}
