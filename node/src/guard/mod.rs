//! The script guard (PROTOCOL 6.3): a script component cannot watch its node as a linked
//! component's watchdog does, so a node with script components starts `baton guard` (this
//! binary, a hidden subcommand) in a process group of its own, which outlives a SIGKILL or
//! SIGSTOP of the node and of the node's group. The node writes heartbeats and the components
//! it holds active to the guard's stdin; when the node dies (end of stdin) or falls silent
//! for the [`bound`], the guard runs `deactivate` then `stop` for each, as the node would.
//!
//! - `wire`: the line protocol; `state`: the guard's state machine (sans-IO); `run`: the
//!   guard process; `client`: the node's side, driven by the node's driver.

mod client;
mod run;
mod state;
#[cfg(test)]
mod tests;
mod wire;

pub(crate) use client::{beat_while, Client};
pub use run::{main, GuardArgs};
pub use state::{Guard, Note, Output, Why};
pub use wire::{Arm, BadLine, Report, ToGuard};

use std::time::Duration;

/// The least margin the guard leaves its hooks before the peer may promote.
const MIN_MARGIN: Duration = Duration::from_millis(10);

/// How long the guard waits for a line from its node before it stands the armed components
/// down (PROTOCOL 6.3): `W = D - H - M`, where `D` is the dead interval, `H` the heartbeat
/// interval and the margin `M = max(10 ms, (D - H) / 10)` is left to the hooks themselves
/// and to timer granularity; at least 2 ms. 180 ms with the defaults (300 / 100 ms).
pub fn bound(heartbeat: Duration, dead: Duration) -> Duration {
    let slack = dead.saturating_sub(heartbeat);
    let margin = MIN_MARGIN.max(slack / 10);
    slack.saturating_sub(margin).max(Duration::from_millis(2))
}

/// How often the node sends `beat`: a quarter of the bound, at least every millisecond.
pub fn beat_interval(bound: Duration) -> Duration {
    (bound / 4).max(Duration::from_millis(1))
}

#[cfg(test)]
mod bound_tests {
    use super::*;

    #[test]
    fn bound_leaves_the_margin_of_protocol_6_3() {
        let ms = Duration::from_millis;
        assert_eq!(bound(ms(100), ms(300)), ms(180));
        assert_eq!(beat_interval(ms(180)), ms(45));
        assert_eq!(bound(ms(10), ms(30)), ms(10));
        assert_eq!(bound(ms(1000), ms(3000)), ms(1800));
        assert_eq!(bound(ms(10), ms(15)), ms(2));
        assert_eq!(beat_interval(ms(2)), ms(1));
    }
}
