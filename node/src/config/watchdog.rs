//! The timers against PROTOCOL 6.3's watchdog rule: a component of a dead node must stand
//! down before the peer can promote, that is within `D - H` (dead interval minus heartbeat).
//! - Script components: the guard's bound `W_g = D - H - max(10 ms, (D - H) / 10)` must be
//!   at least 2 ms, else the guard acts after the peer may have promoted.
//! - Linked components: the watchdog `W` counts the node's health queries as signs of life,
//!   so `W > query_interval`, and `W + 2 ms <= D - H` (the rule with its least margin, no
//!   stall grace): refused when no `W` fits.

use super::error::Ctx;
use super::file::File;
use super::ConfigError;
use baton_engine::NodeConfig;
use std::time::Duration;

/// The least margin of the rule (PROTOCOL 6.3, `M`).
const MARGIN: Duration = Duration::from_millis(2);
/// The guard's least margin for its hooks (`M_g`).
const GUARD_MARGIN: Duration = Duration::from_millis(10);

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

/// Checks `node`'s heartbeat, dead and query intervals against the rule, for the kinds of
/// component the file has: script components need a guard bound, linked ones (or a serving
/// member with no `[[component]]`, which takes linked components on their default policy) a
/// watchdog that fits.
pub(super) fn check(file: &File, node: &NodeConfig, cx: &Ctx<'_>) -> Result<(), ConfigError> {
    let (h, d, q) = (
        node.heartbeat_interval,
        node.dead_interval,
        node.query_interval,
    );
    let slack = d.saturating_sub(h);
    let t = &file.timers;
    // The key to name: the one written that sets `D - H`.
    let (dead_key, dead_span) = match (&t.dead_interval_ms, &t.heartbeat_ms) {
        (Some(v), _) => ("timers.dead_interval_ms", Some(v.span())),
        (None, Some(v)) => ("timers.heartbeat_ms", Some(v.span())),
        (None, None) => ("timers", None),
    };
    if !node.scripts.is_empty() {
        let margin = GUARD_MARGIN.max(slack / 10);
        if slack < margin + MARGIN {
            return Err(cx.err(
                dead_span.clone(),
                dead_key,
                format!(
                    "the script guard's bound W_g = D - H - max(10 ms, (D - H) / 10) = {} - {} \
                     - {} ms is under 2 ms (PROTOCOL 6.3: the guard would act after the peer \
                     may have promoted): make dead_interval_ms at least {} ms",
                    ms(d),
                    ms(h),
                    ms(margin),
                    ms(h + GUARD_MARGIN + MARGIN)
                ),
            ));
        }
    }
    // A witness never serves: no component of its own.
    let witness = node.witnesses.contains(&node.me);
    let linked =
        !witness && (file.components.len() > node.scripts.len() || file.components.is_empty());
    // The longest watchdog the rule allows; it must exceed the query interval.
    let longest = slack.saturating_sub(MARGIN);
    if linked && longest <= q {
        let (key, span) = match &t.query_interval_ms {
            Some(v) => ("timers.query_interval_ms", Some(v.span())),
            None => (dead_key, dead_span),
        };
        return Err(cx.err(
            span,
            key,
            format!(
                "no linked component's watchdog fits (PROTOCOL 6.3): it must be longer than \
                 the query interval ({} ms) and at most dead_interval_ms - heartbeat_ms - 2 ms \
                 = {} - {} - 2 = {} ms; shorten query_interval_ms or lengthen \
                 dead_interval_ms",
                ms(q),
                ms(d),
                ms(h),
                ms(longest)
            ),
        ));
    }
    Ok(())
}
