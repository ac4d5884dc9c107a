//! What a script component's hook runner is asked to run: [`HookJob`]s, named by [`JobId`].

use crate::config::ScriptComponent;
use baton_component::Role;

/// A hook of a script component: a shell command the driver runs (`docs/OPERATIONS.md`,
/// script components).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hook {
    /// `check`: exit status 0 means healthy.
    Check,
    /// `activate`: take the service.
    Activate,
    /// `deactivate`: give the service up.
    Deactivate,
    /// `start`: cold standby, run before `activate`.
    Start,
    /// `stop`: cold standby, run after `deactivate`.
    Stop,
}

impl Hook {
    /// The hook's name, as configured and as `BATON_HOOK` tells it.
    pub fn name(self) -> &'static str {
        match self {
            Hook::Check => "check",
            Hook::Activate => "activate",
            Hook::Deactivate => "deactivate",
            Hook::Start => "start",
            Hook::Stop => "stop",
        }
    }

    /// The hook's command in `script`'s configuration, if one is configured.
    pub fn command(self, script: &ScriptComponent) -> Option<&str> {
        match self {
            Hook::Check => script.check.as_deref(),
            Hook::Activate => script.activate.as_deref(),
            Hook::Deactivate => script.deactivate.as_deref(),
            Hook::Start => script.start.as_deref(),
            Hook::Stop => script.stop.as_deref(),
        }
    }
}

impl std::fmt::Display for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Names a job the node handed to the driver, so that the driver can say when it is done
/// (`Node::handle_hooks_done`). Unique within one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(pub u64);

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "job {}", self.0)
    }
}

/// What every hook of a job is told, in environment variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookEnv {
    /// `BATON_COMPONENT`: the script component's id.
    pub component: String,
    /// `BATON_ROLE`: the role the job is for ([`Role::name`]: `active` or `standby`).
    pub role: Role,
    /// `BATON_MEMBER`: this node's member name.
    pub member: String,
    /// `BATON_PEER`: the other member's name (empty when there is none).
    pub peer: String,
}

/// Hooks of one script component to run in order, stopping at the first that fails (a hook
/// with no command configured succeeds); the clean-up jobs at start and exit
/// ([`crate::Node::start_jobs`], [`crate::Node::exit_jobs`]) run every hook instead. The driver runs the jobs of one component strictly
/// in the order it got them, never two at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookJob {
    /// The script component: its index in the configuration's script components.
    pub component: usize,
    /// The hooks, in order.
    pub hooks: Vec<Hook>,
    /// What each hook is told.
    pub env: HookEnv,
}
