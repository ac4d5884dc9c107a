//! The checks, as functions over a [`World`] (shared by the tests, the `simulate` binary and
//! future fuzz targets), and the [`Violation`] they report.
//!
//! 1. [`converged`]: once the quiet phase begins, one node Active and the other Standby,
//!    nothing in flight, every component holding its node's role, within
//!    [`SimConfig::convergence_bound`](super::SimConfig::convergence_bound), and for good.
//! 2. [`promotion_confirmed`] when a node becomes Active (and only from Promoting), and
//!    [`at_most_one_serving`] (PROTOCOL 5.8 property 1) whenever no partition or reset is
//!    unreconciled.
//! 3. [`status_streams`]: every status change reached every connected client, in order.
//! 4. [`watchdog_bound`] (no component of a crashed node active beyond its watchdog) and
//!    [`final_components`] (at the end exactly the Active node's components are active).

use super::trace::millis;
use super::world::{World, WATCHDOG};
use baton_core::{Instant, LinkId};
use baton_election::NodeRole;
use baton_role::{ComponentRoleState, Role};
use std::collections::BTreeMap;
use std::fmt;

/// A check failed: which, when, why, and the last steps before it.
#[derive(Debug, Clone)]
pub struct Violation {
    /// The schedule's seed (replay with `BATON_SIM_SEED=<seed>`).
    pub seed: u64,
    /// The cluster it ran.
    pub topology: super::Topology,
    /// The check that failed.
    pub check: &'static str,
    /// When.
    pub at: Instant,
    /// What is wrong.
    pub message: String,
    /// The last trace lines, oldest first.
    pub trace: Vec<String>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "seed {} ({}): check {} failed at {}: {}",
            self.seed,
            self.topology,
            self.check,
            millis(self.at),
            self.message
        )?;
        writeln!(
            f,
            "replay: BATON_SIM_SEED={} BATON_SIM_TOPOLOGY={} cargo test -p baton-conformance --test simulation replay -- --nocapture",
            self.seed, self.topology
        )?;
        writeln!(f, "last {} steps:", self.trace.len())?;
        for line in &self.trace {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Violation {}

/// What one status client connection should have received and did receive.
#[derive(Debug, Clone, Default)]
pub struct Stream {
    /// The member whose node it is connected to.
    pub member: usize,
    /// The node's `StatusChanged` lines while the link was open at the node.
    pub expected: Vec<String>,
    /// The `statusIndication` lines the client received on it.
    pub received: Vec<String>,
    /// The link closed at the client.
    pub closed: bool,
}

/// What the checks remember across steps.
#[derive(Debug, Clone, Default)]
pub struct Record {
    /// Every client connection, by link.
    pub streams: BTreeMap<LinkId, Stream>,
    /// When the quiet phase began.
    pub quiet_since: Option<Instant>,
    /// When the pair last entered the converged state after that (cleared when it leaves
    /// it: it must hold from the bound on).
    pub converged_at: Option<Instant>,
    /// Whether property 1 is checked now (false from a partition or reset until the pair is
    /// reconciled).
    pub property1_armed: bool,
    /// Property 1 is not re-armed before this: a healed partition may still be detected
    /// (dead interval) until the frames it held have arrived.
    pub settle_until: Instant,
    /// Every role change: when, member, from, to.
    pub role_changes: Vec<(Instant, usize, NodeRole, NodeRole)>,
    /// Peer links reset by a fault: a pair still on one of them is not reconciled.
    pub reset_links: std::collections::BTreeSet<LinkId>,
    /// When each partition, isolation or reset began (the replication check, where a node
    /// that restarted empty may take over without seeing the other copy).
    pub splits: Vec<Instant>,
    /// A violation found while draining events, reported at the end of the step.
    pub(crate) pending_violation: Option<(&'static str, String)>,
    /// Quorum mode: the member that won each round (check 5).
    pub winners: BTreeMap<u32, usize>,
    /// Quorum mode, lost-file runs: rounds won by a second member.
    pub rounds_won_twice: u64,
}

impl Record {
    /// A record for `n` members; property 1 armed.
    pub fn new(_n: usize) -> Self {
        Record {
            property1_armed: true,
            ..Record::default()
        }
    }

    /// A partition or a reset: both nodes may serve until reconciled.
    pub(crate) fn split_allowed(&mut self, at: Instant) {
        self.property1_armed = false;
        self.splits.push(at);
    }
}

/// PROTOCOL 5.8 property 1: among live nodes, at most one is Promoting or Active.
pub fn at_most_one_serving(w: &World) -> Result<(), String> {
    let serving: Vec<String> = (0..w.members.len())
        .filter_map(|m| w.role(m).map(|r| (m, r)))
        .filter(|(_, r)| r.is_promoting_or_active())
        .map(|(m, r)| format!("n{m} {r}"))
        .collect();
    if serving.len() > 1 {
        return Err(format!("{} serve at once", serving.join(" and ")));
    }
    Ok(())
}

/// Check 2 at a `RoleChanged` to Active of member `m`: every component registered at the
/// node confirmed `active` (node side `Assigned(active)`, and the application is active).
pub fn promotion_confirmed(w: &World, m: usize) -> Result<(), String> {
    let Some(node) = &w.members[m].node else {
        return Ok(());
    };
    for (link, id, state) in node.roles().components() {
        if state != ComponentRoleState::Assigned(Role::active) {
            return Err(format!(
                "n{m} is Active but component {id} ({link}) is {state:?}"
            ));
        }
        if w.members[m].resuming {
            // Confirmed before the stall; its watchdog may have stood it down since.
            continue;
        }
        let comp = w.members[m].components.iter().find(|c| c.id == id);
        if !comp.is_some_and(|c| c.is_active() && c.link == Some(link)) {
            return Err(format!(
                "n{m} is Active but component {id} is not active on {link}"
            ));
        }
    }
    Ok(())
}

/// Check 4 at every step: no component of a crashed node is active longer than its watchdog
/// after the crash.
pub fn watchdog_bound(w: &World) -> Result<(), String> {
    for (m, member) in w.members.iter().enumerate() {
        let Some(at) = member.crashed_at else {
            continue;
        };
        // The components read their host's clock: a slow one stretches the watchdog by ρ.
        let slack = if w.config().topology.is_quorum() {
            WATCHDOG / 50
        } else {
            std::time::Duration::ZERO
        };
        if w.now() <= at + WATCHDOG + slack {
            continue;
        }
        for (c, comp) in member.components.iter().enumerate() {
            if comp.is_active() {
                return Err(format!(
                    "n{m}c{c} still active {} after its node crashed at {}",
                    millis(Instant::ZERO + (w.now() - at)),
                    millis(at)
                ));
            }
        }
    }
    Ok(())
}

/// Check 1's target: every node up, exactly one Active and the rest Standby, every Election
/// settled, every pair of nodes on the same peer link, every component connected,
/// registered and holding its node's role.
pub fn converged(w: &World) -> Result<(), String> {
    let n = w.members.len();
    let mut active = 0;
    for m in 0..n {
        let Some(node) = &w.members[m].node else {
            return Err(format!("n{m} is down"));
        };
        let want = match node.role() {
            NodeRole::Active => {
                active += 1;
                Role::active
            }
            NodeRole::Standby => Role::standby,
            r => return Err(format!("n{m} is {r}")),
        };
        if !node.election().is_settled() {
            let e = node.election();
            return Err(format!(
                "n{m}'s election is not settled (candidacy {:?}, persisting {}, fencing {:?})",
                e.candidacy_round(),
                e.grant_persisting(),
                e.fencing()
            ));
        }
        for peer in node.election().peers() {
            let theirs = w.members[peer.member.0]
                .node
                .as_ref()
                .and_then(|o| o.election().peers().find(|p| p.member.0 == m))
                .and_then(|p| p.link);
            if peer.link.is_none()
                || peer.link != theirs
                || peer.link.is_some_and(|l| w.record.reset_links.contains(&l))
            {
                return Err(format!(
                    "n{m} and n{} disagree on their link ({:?} vs {theirs:?})",
                    peer.member.0, peer.link
                ));
            }
        }
        for comp in &w.members[m].components {
            let Some(link) = comp.link else {
                return Err(format!("n{m}'s component {} is not connected", comp.id));
            };
            let state = node.roles().component(&comp.id);
            if state != Some((link, ComponentRoleState::Assigned(want))) {
                return Err(format!(
                    "n{m}'s component {} is {state:?}, want {want:?} on {link}",
                    comp.id
                ));
            }
            if comp.role() != Some(want) {
                return Err(format!(
                    "n{m}'s component {} holds {:?}, want {want:?}",
                    comp.id,
                    comp.role()
                ));
            }
        }
    }
    if active != 1 {
        return Err(format!("{active} nodes Active"));
    }
    Ok(())
}

/// Check 3: on every client connection, the lines received are the node's `StatusChanged`
/// lines while connected, in order; at most the ones still in flight are missing.
pub fn status_streams(w: &World) -> Result<(), String> {
    for (link, s) in &w.record.streams {
        let in_flight = w.network().link(*link).map_or(0, |l| l.in_flight());
        let prefix = s.received.len() <= s.expected.len()
            && s.expected[..s.received.len()] == s.received[..];
        let missing = s.expected.len().saturating_sub(s.received.len());
        if !prefix || missing > in_flight {
            return Err(format!(
                "n{}'s client on {link}: received {:?}, node announced {:?} ({in_flight} in flight)",
                s.member, s.received, s.expected
            ));
        }
    }
    Ok(())
}

/// Check 4 at the end: exactly the Active node's components are active.
pub fn final_components(w: &World) -> Result<(), String> {
    for (m, member) in w.members.iter().enumerate() {
        let serving = member.role() == Some(NodeRole::Active);
        for (c, comp) in member.components.iter().enumerate() {
            if comp.is_active() != serving {
                return Err(format!(
                    "n{m}c{c} is {:?} while n{m} is {:?}",
                    comp.role(),
                    member.role()
                ));
            }
        }
    }
    Ok(())
}

/// Check 2 when member `m`'s node changes role (called while draining its events).
pub(crate) fn on_role_changed(w: &mut World, m: usize, from: NodeRole, to: NodeRole) {
    w.record.role_changes.push((w.now(), m, from, to));
    if to != NodeRole::Active || w.record.pending_violation.is_some() {
        return;
    }
    if from != NodeRole::Promoting {
        w.record.pending_violation = Some((
            "2 (promotion)",
            format!("n{m} went {from} -> active without promoting"),
        ));
        return;
    }
    if w.role(m) != Some(NodeRole::Active) {
        return;
    }
    if let Err(e) = promotion_confirmed(w, m) {
        w.record.pending_violation = Some(("2 (promotion)", e));
    }
}

/// No partition (nor one healed less than a dead interval ago), and every pair of live nodes has its peer link up at both ends (the same
/// link, not one that was reset).
fn reconciled(w: &World) -> bool {
    if w.network().any_cut() || w.now() < w.record.settle_until {
        return false;
    }
    (0..w.members.len()).all(|m| {
        let Some(node) = &w.members[m].node else {
            return true;
        };
        node.election().peers().all(|p| {
            let Some(other) = &w.members[p.member.0].node else {
                return true;
            };
            p.link.is_some_and(|l| !w.record.reset_links.contains(&l))
                && other
                    .election()
                    .peers()
                    .find(|q| q.member.0 == m)
                    .and_then(|q| q.link)
                    == p.link
        })
    })
}

/// The checks run after every step.
pub(crate) fn after_step(w: &mut World) -> Result<(), super::check::Violation> {
    if let Err(e) = watchdog_bound(w) {
        return Err(w.violation("4 (watchdog)", e));
    }
    if w.config().topology.is_quorum() {
        if let Err((check, e)) = super::quorum_check::after_step(w) {
            return Err(w.violation(check, e));
        }
    } else if w.record.property1_armed {
        if let Err(e) = at_most_one_serving(w) {
            return Err(w.violation("2 (property 1: at most one serving)", e));
        }
    } else if reconciled(w) && at_most_one_serving(w).is_ok() {
        w.record.property1_armed = true;
        w.log(|| "property 1 checked again (pair reconciled)".to_owned());
    }
    if let Some(quiet) = w.record.quiet_since {
        match converged(w) {
            Ok(()) => {
                if w.record.converged_at.is_none() {
                    w.record.converged_at = Some(w.now());
                    let after = millis(Instant::ZERO + (w.now() - quiet));
                    w.log(|| format!("converged, {after} after the quiet phase began"));
                }
            }
            Err(e) => {
                if w.record.converged_at.take().is_some() {
                    w.log(|| format!("not converged any more: {e}"));
                }
                let bound = w.config().convergence_bound;
                if w.now() >= quiet + bound {
                    return Err(w.violation(
                        "1 (convergence)",
                        format!("not converged {bound:?} after the quiet phase began: {e}"),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The checks at the end of a run with a quiet phase: it converged (check 1), every status
/// stream is complete (check 3), exactly the Active node's components are active (check 4).
///
/// # Errors
/// The first check that fails.
pub fn at_end(w: &World) -> Result<(), Violation> {
    if w.record.quiet_since.is_some() && w.record.converged_at.is_none() {
        let why = converged(w).err().unwrap_or_default();
        return Err(w.violation("1 (convergence)", format!("never converged: {why}")));
    }
    status_streams(w).map_err(|e| w.violation("3 (status streams)", e))?;
    final_components(w).map_err(|e| w.violation("4 (final components)", e))?;
    Ok(())
}
