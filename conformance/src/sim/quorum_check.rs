//! The safety checks of quorum mode (PROTOCOL 5.9; DESIGN 3.6), run after every step
//! instead of the pair's property 1, which a partition suspends: quorum mode must hold
//! through partitions, stalls and drifting clocks.
//!
//! - [`one_serving`]: at most one member serves at any instant, where a member serves while
//!   any of its components holds the active role (what its application was told and
//!   accepted, until it stood down on a `setRole standby`, its watchdog, or its link's
//!   close). A stalled or crashed node's components count until they stood down.
//! - [`witness_never_serves`]: a witness node is never Promoting or Active and has no
//!   components.
//! - one winner per round: at every step the round each Promoting or Active member serves in
//!   is recorded, and a second member in the same round is a violation. In a
//!   lost-file run (a restart found its grant file lost or corrupt) a round can be won twice
//!   (`conformance/MODEL.md`, quorum finding 1; PROTOCOL 5.9.3): there the rule checked is
//!   only "never two serving at once", and rounds won twice are counted.

use super::world::World;

/// At most one member has an active component now.
pub fn one_serving(w: &World) -> Result<(), String> {
    let serving: Vec<String> = (0..w.members.len())
        .filter(|m| w.components_active(*m).contains(&true))
        .map(|m| {
            let role = w.role(m).map_or("down", |r| r.status_word());
            let stalled = if w.members[m].stalled {
                ", stalled"
            } else {
                ""
            };
            format!("n{m} ({role}{stalled})")
        })
        .collect();
    if serving.len() > 1 {
        return Err(format!(
            "{} have active components at once",
            serving.join(" and ")
        ));
    }
    Ok(())
}

/// A witness never serves.
pub fn witness_never_serves(w: &World) -> Result<(), String> {
    for m in w.config().topology.witnesses() {
        if let Some(r) = w.role(m).filter(|r| r.is_promoting_or_active()) {
            return Err(format!("witness n{m} is {r}"));
        }
        if !w.members[m].components.is_empty() {
            return Err(format!("witness n{m} has components"));
        }
    }
    Ok(())
}

/// Records the round each Promoting or Active member serves in (`serving_round`, which a
/// re-election keeping the role moves on \[Q5\]); a round another member won is a violation
/// (counted instead in a lost-file run).
fn record_winners(w: &mut World) -> Result<(), (&'static str, String)> {
    for m in 0..w.members.len() {
        let Some(node) = &w.members[m].node else {
            continue;
        };
        if !node.role().is_promoting_or_active() {
            continue;
        }
        let Some(round) = node.election().serving_round() else {
            continue;
        };
        let winner = *w.record.winners.entry(round.0).or_insert(m);
        if winner == m {
            continue;
        }
        if !w.lost_grants {
            return Err((
                "5 (one winner per round)",
                format!("round {round} won by n{winner} and by n{m}"),
            ));
        }
        // Counted once per round; the second winner is remembered in its place.
        w.record.winners.insert(round.0, m);
        w.record.rounds_won_twice += 1;
        w.log(|| format!("round {round} won by n{winner} and n{m} (a grant file was lost)"));
    }
    Ok(())
}

/// The quorum checks after a step.
pub(crate) fn after_step(w: &mut World) -> Result<(), (&'static str, String)> {
    record_winners(w)?;
    one_serving(w).map_err(|e| ("6 (at most one serving)", e))?;
    witness_never_serves(w).map_err(|e| ("7 (witness)", e))
}
