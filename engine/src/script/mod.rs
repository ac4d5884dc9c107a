//! Script components (`docs/OPERATIONS.md`, script components; PROTOCOL 11, note 15):
//! components defined by shell commands, which the node stands in for.
//!
//! Each script component is a real component to the [`crate::Node`]: a component link carrying
//! the frames a linked application would send, from the shipped component engine
//! ([`ComponentEngine`](baton_component::engine::ComponentEngine), the one the component
//! library's driver runs). What a linked application decides in its own code, the adapter
//! decides here, and the driver only carries it out as [`HookJob`]s:
//! - a `setRole` runs `start`, `activate` (active) or `deactivate`, `stop` (standby); the
//!   job's success answers it, if it is still the request waiting (a newer request, or a
//!   link closed meanwhile, supersedes it: its result is dropped, [`ScriptNotice::Superseded`]);
//! - `check` runs every `check_interval`, never two at once; its exit status is the health
//!   the component reports (a change is pushed at once, PROTOCOL 6.4);
//! - a `major` failure restarts the component: `stop`, then `start`;
//! - before anything else, and at exit while the node still holds the service: `deactivate`,
//!   then `stop`, with the role `standby` ([`cleanup_jobs`]).
//!
//! Addressing: script component `i` is on link `LinkId(SCRIPT_LINKS + i)` ([`script_link`]).
//! Links from [`SCRIPT_LINKS`] up are the engine's own: a driver numbers its links below, and
//! never sees these (their frames cross inside the Node's processing step).

mod component;
mod hook;
mod node;
mod notice;
#[cfg(test)]
mod tests;

pub use hook::{Hook, HookEnv, HookJob, JobId};
pub(crate) use node::scripts_of;
pub use notice::ScriptNotice;

use crate::close::CloseReason;
use baton_codec::AnyMessage;
use baton_component::engine::{ComponentEngineEvent, InvalidComponentId};
use baton_component::{Health, Role};
use baton_core::{Instant, LinkId};
use component::Script;
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

/// The first link id of the script components: script component `i` is on link
/// `LinkId(SCRIPT_LINKS + i)`. A driver numbers its own links below.
pub const SCRIPT_LINKS: u64 = 1 << 63;

/// The link of script component `index`.
pub fn script_link(index: usize) -> LinkId {
    LinkId(SCRIPT_LINKS.saturating_add(index as u64))
}

/// The jobs that leave script components given up: `deactivate`, then `stop`, with the role
/// `standby`, one job per component in `ids` (their order in the configuration). The driver
/// runs every hook of these, whatever the one before it did (unlike the node's jobs, which
/// stop at the first failure: [`HookJob`]). Run before
/// anything else at start (a crashed node may have left one active, and a script cannot watch
/// its node as a linked component's watchdog does) and at exit by a node that still holds the
/// service.
pub fn cleanup_jobs<'a>(
    ids: impl IntoIterator<Item = &'a str>,
    member: &str,
    peer: &str,
) -> Vec<HookJob> {
    ids.into_iter()
        .enumerate()
        .map(|(component, id)| HookJob {
            component,
            hooks: vec![Hook::Deactivate, Hook::Stop],
            env: env(id, Role::Standby, member, peer),
        })
        .collect()
}

fn env(id: &str, role: Role, member: &str, peer: &str) -> HookEnv {
    HookEnv {
        component: id.to_owned(),
        role,
        member: member.to_owned(),
        peer: peer.to_owned(),
    }
}

/// What the end of a job out with the driver means.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Then {
    /// Answer the `setRole` with this `correlationId`, if it is still the one waiting.
    Answer(String),
    /// The `check` result: the component's health.
    Health,
    /// Nothing (a restart).
    Nothing,
}

/// Every script component of a node (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct Scripts {
    items: Vec<Script>,
    /// This node's member name and its peer's, told to every hook.
    member: String,
    peer: String,
    next_job: u64,
    /// Jobs out with the driver: the component and what their end means.
    jobs: BTreeMap<JobId, (usize, Then)>,
    /// Frames from the node, for the component engines at the next [`Scripts::pump`].
    inbox: VecDeque<(usize, AnyMessage)>,
    /// Components whose link the node closed: they connect again at once.
    closed: VecDeque<usize>,
    runs: VecDeque<(JobId, HookJob)>,
    notices: VecDeque<ScriptNotice>,
}

impl Scripts {
    /// The script components, as `(id, check_interval)` (`None`: no `check`), in
    /// configuration order; not connected.
    ///
    /// # Errors
    /// The first id that is not 1 to 16 digits.
    pub(crate) fn new<'a>(
        components: impl IntoIterator<Item = (&'a str, Option<Duration>)>,
        member: &str,
        peer: &str,
    ) -> Result<Scripts, InvalidComponentId> {
        let items = components
            .into_iter()
            .map(|(id, check)| Script::new(id, check))
            .collect::<Result<_, _>>()?;
        Ok(Scripts {
            items,
            member: member.to_owned(),
            peer: peer.to_owned(),
            next_job: 1,
            jobs: BTreeMap::new(),
            inbox: VecDeque::new(),
            closed: VecDeque::new(),
            runs: VecDeque::new(),
            notices: VecDeque::new(),
        })
    }

    /// The script components' links, in configuration order.
    pub(crate) fn links(&self) -> impl Iterator<Item = LinkId> {
        (0..self.items.len()).map(script_link)
    }

    /// The script component on `link`, if it is one of theirs.
    fn index(&self, link: LinkId) -> Option<usize> {
        let i = usize::try_from(link.0.checked_sub(SCRIPT_LINKS)?).ok()?;
        (i < self.items.len()).then_some(i)
    }

    /// Whether `link` is a script component's.
    pub(crate) fn owns(&self, link: LinkId) -> bool {
        self.index(link).is_some()
    }

    /// Whether `id` (a frame's `componentId`, as its bytes: no allocation per frame) is a
    /// script component's.
    pub(crate) fn has_id(&self, id: &[u8]) -> bool {
        self.items.iter().any(|s| s.engine.id().as_bytes() == id)
    }

    /// Every script component connects (and registers): its first `check` is due at once.
    pub(crate) fn connect(&mut self, now: Instant) {
        for i in 0..self.items.len() {
            let s = &mut self.items[i];
            s.engine.handle_connected(now, script_link(i));
            s.next_check = s.check_interval.map(|_| now);
            self.collect(i);
        }
    }

    /// The node closed a script component's link: it connects again at the next
    /// [`Scripts::poll_reconnect`], as the component library's driver does after a link
    /// that worked.
    pub(crate) fn handle_closed(&mut self, now: Instant, link: LinkId) {
        let Some(i) = self.index(link) else { return };
        self.inbox.retain(|(c, _)| *c != i);
        self.items[i].engine.handle_closed(now);
        self.collect(i);
        if !self.closed.contains(&i) {
            self.closed.push_back(i);
        }
    }

    /// The notice for the node closing script component `link` for `reason`.
    pub(crate) fn closed_notice(&self, link: LinkId, reason: CloseReason) -> ScriptNotice {
        let component = self.index(link).map_or("", |i| self.items[i].engine.id());
        ScriptNotice::LinkClosed {
            component: component.to_owned(),
            reason,
        }
    }

    /// The next component to connect again (its registration is queued): the node opens its
    /// link before it takes the component's frames.
    pub(crate) fn poll_reconnect(&mut self, now: Instant) -> Option<LinkId> {
        let i = self.closed.pop_front()?;
        self.items[i].engine.handle_connected(now, script_link(i));
        self.collect(i);
        Some(script_link(i))
    }

    /// A frame from the node for the script component on `link`, taken in at the next
    /// [`Scripts::pump`].
    pub(crate) fn deliver(&mut self, link: LinkId, message: AnyMessage) {
        if let Some(i) = self.index(link) {
            self.inbox.push_back((i, message));
        }
    }

    /// Hands the frames from the node to the component engines. True if there were any.
    pub(crate) fn pump(&mut self, now: Instant) -> bool {
        let moved = !self.inbox.is_empty();
        while let Some((i, message)) = self.inbox.pop_front() {
            self.items[i].engine.handle_frame(now, message);
            self.collect(i);
        }
        moved
    }

    /// The next frame from a script component for the node, and its link.
    pub(crate) fn poll_transmit(&mut self) -> Option<(LinkId, AnyMessage)> {
        self.items
            .iter_mut()
            .enumerate()
            .find_map(|(i, s)| s.engine.poll_transmit().map(|m| (script_link(i), m)))
    }

    /// The next job for the driver's hook runner.
    pub(crate) fn poll_run(&mut self) -> Option<(JobId, HookJob)> {
        self.runs.pop_front()
    }

    /// The next thing worth a log line.
    pub(crate) fn poll_notice(&mut self) -> Option<ScriptNotice> {
        self.notices.pop_front()
    }

    /// The earliest timer: an engine's (pushed heartbeat) or a `check` due.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.items.iter().filter_map(Script::poll_timeout).min()
    }

    /// Runs the due timers: heartbeats, and every `check` due (unless one is running).
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        for i in 0..self.items.len() {
            let s = &mut self.items[i];
            s.engine.handle_timeout(now);
            if s.check_due().is_some_and(|t| t <= now) {
                s.check_running = true;
                let role = s.engine.role().unwrap_or(Role::Standby);
                self.submit(i, vec![Hook::Check], role, Then::Health);
            }
            self.collect(i);
        }
    }

    /// The driver ran job `job` to its end: `ok` if every hook succeeded. An unknown job
    /// (already done) is ignored with [`ScriptNotice::UnknownJob`].
    pub(crate) fn handle_done(&mut self, now: Instant, job: JobId, ok: bool) {
        let Some((i, then)) = self.jobs.remove(&job) else {
            self.notices.push_back(ScriptNotice::UnknownJob { job });
            return;
        };
        let s = &mut self.items[i];
        match then {
            Then::Answer(correlation) => {
                let waiting = s
                    .engine
                    .pending_request()
                    .is_some_and(|p| p.correlation == correlation);
                if !waiting {
                    self.notices.push_back(ScriptNotice::Superseded {
                        component: s.engine.id().to_owned(),
                        job,
                    });
                } else if ok {
                    // Cannot fail: the request is waiting.
                    let _ = s.engine.accept(now);
                } else {
                    let _ = s.engine.refuse(now);
                }
            }
            Then::Health => {
                s.check_running = false;
                let health = if ok { Health::Ok } else { Health::Failed };
                s.engine.set_health(now, health);
                s.next_check = s.check_interval.map(|interval| now + interval);
            }
            Then::Nothing => {}
        }
        self.collect(i);
    }

    /// A `major` failure of component `id` (PROTOCOL 6.4): if it is a script component, a
    /// restart (`stop`, then `start`, in order with its other jobs). False if it is not one.
    pub(crate) fn restart(&mut self, id: &str) -> bool {
        let Some(i) = self.items.iter().position(|s| s.engine.id() == id) else {
            return false;
        };
        let role = self.items[i].engine.role().unwrap_or(Role::Standby);
        self.submit(i, vec![Hook::Stop, Hook::Start], role, Then::Nothing);
        true
    }

    /// The jobs to run at exit by a node that still holds the service ([`cleanup_jobs`]).
    pub(crate) fn exit_jobs(&self) -> Vec<HookJob> {
        cleanup_jobs(
            self.items.iter().map(|s| s.engine.id()),
            &self.member,
            &self.peer,
        )
    }

    fn submit(&mut self, i: usize, hooks: Vec<Hook>, role: Role, then: Then) {
        let job = JobId(self.next_job);
        self.next_job += 1;
        let id = self.items[i].engine.id();
        let env = env(id, role, &self.member, &self.peer);
        self.jobs.insert(job, (i, then));
        let hooks = HookJob {
            component: i,
            hooks,
            env,
        };
        self.runs.push_back((job, hooks));
    }

    /// Acts on component `i`'s engine events: a role request becomes a job, an ignored
    /// frame a notice; the rest needs nothing of a script.
    fn collect(&mut self, i: usize) {
        while let Some(e) = self.items[i].engine.poll_event() {
            match e {
                ComponentEngineEvent::RoleRequested {
                    role, correlation, ..
                } => {
                    let hooks = match role {
                        Role::Active => vec![Hook::Start, Hook::Activate],
                        Role::Standby => vec![Hook::Deactivate, Hook::Stop],
                    };
                    self.submit(i, hooks, role, Then::Answer(correlation));
                }
                ComponentEngineEvent::Ignored(frame) => {
                    let component = self.items[i].engine.id().to_owned();
                    self.notices
                        .push_back(ScriptNotice::Ignored { component, frame });
                }
                // The node sends its notices (PROTOCOL 6.9) to linked components only; a
                // script's restart is the node's own (`stop`, `start`).
                ComponentEngineEvent::Connected { .. }
                | ComponentEngineEvent::RequestWithdrawn { .. }
                | ComponentEngineEvent::SelfDemoted { .. }
                | ComponentEngineEvent::RoleChanged { .. }
                | ComponentEngineEvent::RestartRequested
                | ComponentEngineEvent::UnknownComponentId
                | ComponentEngineEvent::NodeTimer { .. }
                | ComponentEngineEvent::WatchdogTooLong { .. }
                | ComponentEngineEvent::ActiveRefused { .. }
                // A script component does not replicate (PROTOCOL 6.11).
                | ComponentEngineEvent::Replication(_) => {}
            }
        }
    }
}
