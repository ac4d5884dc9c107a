//! The [`Node`]'s side of its script components: their links, the frames crossing them, the
//! jobs they hand the driver and the jobs' ends.

use super::{cleanup_jobs, HookJob, JobId, Scripts};
use crate::config::NodeConfig;
use crate::event::{Event, LinkKind};
use crate::node::Node;
use crate::notice::Notice;
use baton_component::engine::InvalidComponentId;
use baton_core::{Instant, LinkId, NodeRole};
use baton_role::ComponentOrder;

/// This node's member name and its peer's (empty when there is none), told to every hook.
fn names(config: &NodeConfig) -> (&str, &str) {
    let member = config.me().map_or("", |m| m.name.as_str());
    let peer = config
        .members
        .iter()
        .enumerate()
        .find(|(i, _)| *i != config.me)
        .map_or("", |(_, m)| m.name.as_str());
    (member, peer)
}

/// `jobs` (one per script component, a clean-up) reordered as a demotion runs them (PROTOCOL
/// 6.1, *Components in order*): each component's job after the jobs of every component that
/// is after it.
fn in_demotion_order(jobs: Vec<HookJob>, order: &ComponentOrder) -> Vec<HookJob> {
    if order.is_empty() {
        return jobs;
    }
    let ids: Vec<&str> = jobs.iter().map(|j| j.env.component.as_str()).collect();
    let sequence = order.demotion_sequence(&ids);
    let mut slots: Vec<Option<HookJob>> = jobs.into_iter().map(Some).collect();
    sequence
        .into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take))
        .collect()
}

/// The script components of `config`, not connected.
pub(crate) fn scripts_of(config: &NodeConfig) -> Result<Scripts, InvalidComponentId> {
    let (member, peer) = names(config);
    let components = config.scripts.iter().map(|s| {
        let check = s.check.as_ref().map(|_| s.check_interval);
        (s.id.as_str(), check)
    });
    Scripts::new(components, member, peer)
}

impl Node {
    /// The hooks to run before anything else, before the node is made: `deactivate`, then
    /// `stop`, for every script component (a crashed node may have left one active; PROTOCOL
    /// 11, note 15). The driver runs them one after another, every hook of each whatever the
    /// one before it did, and waits for them.
    ///
    /// With an order (`after`, PROTOCOL 6.1) the jobs come in the order of a demotion: a
    /// component's after every component that is after it ([`in_demotion_order`]).
    pub fn start_jobs(config: &NodeConfig) -> Vec<HookJob> {
        let (member, peer) = names(config);
        let jobs = cleanup_jobs(config.scripts.iter().map(|s| s.id.as_str()), member, peer);
        in_demotion_order(jobs, &config.component_order)
    }

    /// The hooks to run as the node exits, after its last event: `deactivate`, then `stop`,
    /// for every script component, if the node still holds the service (any role but
    /// Standby and Negotiating); none otherwise. The driver runs them one after another,
    /// every hook of each, each job after the one its component is running, and waits.
    /// In the order of a demotion, as [`Node::start_jobs`].
    pub fn exit_jobs(&self) -> Vec<HookJob> {
        if matches!(self.role(), NodeRole::Standby | NodeRole::Negotiating) {
            return Vec::new();
        }
        in_demotion_order(self.scripts.exit_jobs(), &self.config.component_order)
    }

    /// The driver ran the job of [`Event::RunHooks`] `id` to its end: `ok` if every hook
    /// succeeded.
    pub fn handle_hooks_done(&mut self, now: Instant, id: JobId, ok: bool) {
        self.scripts.handle_done(now, id, ok);
        self.process(now);
    }

    /// Opens the script components' links; they register at the next [`Node::process`].
    pub(crate) fn open_scripts(&mut self, now: Instant) {
        for link in self.scripts.links() {
            self.links.insert(link, LinkKind::Component);
        }
        self.scripts.connect(now);
    }

    /// Whether a frame on `link` claiming component id `id` (as bytes: no allocation per
    /// frame) takes a script component's id from another link.
    pub(crate) fn takes_script_id(&self, link: LinkId, id: &[u8]) -> bool {
        !self.scripts.owns(link) && self.scripts.has_id(id)
    }

    /// One step of the composition loop for the script components: links closed by the node
    /// connect again, frames from the node go in, their frames come out to the machines,
    /// their jobs and notices to the driver. True if any frame moved.
    pub(crate) fn process_scripts(&mut self, now: Instant) -> bool {
        let mut moved = false;
        while let Some(link) = self.scripts.poll_reconnect(now) {
            self.links.insert(link, LinkKind::Component);
        }
        moved |= self.scripts.pump(now);
        while let Some((link, message)) = self.scripts.poll_transmit() {
            moved = true;
            if let Some(kind) = self.links.get(&link).copied() {
                self.route_frame(now, link, kind, message);
            }
        }
        while let Some((id, job)) = self.scripts.poll_run() {
            self.events.push_back(Event::RunHooks { id, job });
        }
        while let Some(n) = self.scripts.poll_notice() {
            self.notice(Notice::Script(n));
        }
        moved
    }
}
