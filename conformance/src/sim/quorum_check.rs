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
//! - [`on_promotion`]: at most one member wins a round: the round a member is Promoting or
//!   Active in is recorded, and a second member in the same round is a violation. In a
//!   lost-file run (a restart found its grant file lost or corrupt) a round can be won twice
//!   (`conformance/MODEL.md`, quorum finding 1; PROTOCOL 5.9.3): there the rule checked is
//!   only "never two serving at once", and rounds won twice are counted.

use super::world::World;
use baton_election::NodeRole;

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

/// Member `m` became Promoting or Active: records its round; a round another member won is
/// a violation (counted instead in a lost-file run).
pub(crate) fn on_promotion(w: &mut World, m: usize, to: NodeRole) {
    if !to.is_promoting_or_active() || !w.config().topology.is_quorum() {
        return;
    }
    let Some(node) = &w.members[m].node else {
        return;
    };
    let election = node.election();
    let Some(round) = election.serving_round().or(election.candidacy_round()) else {
        return;
    };
    let winner = *w.record.winners.entry(round.0).or_insert(m);
    if winner == m {
        return;
    }
    if w.lost_grants {
        w.record.rounds_won_twice += 1;
        w.log(|| format!("round {round} won by n{winner} and n{m} (a grant file was lost)"));
    } else if w.record.pending_violation.is_none() {
        w.record.pending_violation = Some((
            "5 (one winner per round)",
            format!("round {round} won by n{winner} and by n{m}"),
        ));
    }
}

/// The quorum checks after a step.
pub(crate) fn after_step(w: &World) -> Result<(), (&'static str, String)> {
    one_serving(w).map_err(|e| ("6 (at most one serving)", e))?;
    witness_never_serves(w).map_err(|e| ("7 (witness)", e))
}
