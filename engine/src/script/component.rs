//! One script component: the component engine standing for it, and its `check` schedule.

use baton_component::engine::{ComponentEngine, ComponentEngineConfig, InvalidComponentId};
use baton_core::Instant;
use std::time::Duration;

/// The watchdog of an in-process component: it cannot outlive its node, so the watchdog has
/// nothing to guard against (PROTOCOL 6.3) and is set out of reach.
const IN_PROCESS_DEAD_INTERVAL: Duration = Duration::from_secs(365 * 24 * 3600);

/// One script component: what the component library's driver is to a linked application.
#[derive(Debug, Clone)]
pub(super) struct Script {
    /// The component side of its link to the node.
    pub(super) engine: ComponentEngine,
    /// How often `check` runs; `None`: no `check` configured, the component is always ok.
    pub(super) check_interval: Option<Duration>,
    /// When the next `check` is due (while none is running).
    pub(super) next_check: Option<Instant>,
    /// A `check` job is out: the next one is scheduled when it is done.
    pub(super) check_running: bool,
}

impl Script {
    /// Component `id`, not connected.
    pub(super) fn new(
        id: &str,
        check_interval: Option<Duration>,
    ) -> Result<Script, InvalidComponentId> {
        let config = ComponentEngineConfig {
            dead_interval: IN_PROCESS_DEAD_INTERVAL,
            ..ComponentEngineConfig::default()
        };
        Ok(Script {
            engine: ComponentEngine::new(id, config)?,
            check_interval,
            next_check: None,
            check_running: false,
        })
    }

    /// The `check` deadline, unless one is running.
    pub(super) fn check_due(&self) -> Option<Instant> {
        self.next_check.filter(|_| !self.check_running)
    }

    /// The earliest of its engine's timers and its next `check`.
    pub(super) fn poll_timeout(&self) -> Option<Instant> {
        [self.engine.poll_timeout(), self.check_due()]
            .into_iter()
            .flatten()
            .min()
    }
}
