//! Deterministic simulation of N nodes (pair mode: 2; quorum mode: 3 members, 2 + a
//! witness, 5 members), their components and status clients on a virtual clock, with
//! seeded faults.
//!
//! Everything is sans-IO and single-threaded: the real [`Node`](baton_engine::Node),
//! [`ComponentEngine`](baton_component::engine::ComponentEngine) (the component side as the
//! component library ships it) and [`StatusClient`](baton_status::StatusClient) machines,
//! driven by [`World`] in the style
//! of quinn-proto's test pair: the clock jumps to the earliest of the next scheduled action,
//! the next packet arrival and the earliest `poll_timeout`. All randomness comes from one
//! [`Rng`] (SplitMix64) seeded with the schedule's seed, so a seed replays exactly.
//!
//! # What is simulated
//! Each member runs a node, 1-3 components (an application embedding the `ComponentEngine`:
//! it answers `setRole` after a think time of 0-20 ms, sometimes 50-400 ms)
//! on component links of 0.05-2 ms latency, and one status client recording every
//! `statusIndication`. Peer links have 0.5-5 ms latency. Each node dials its peer when
//! its engine asks ([`baton_engine::Event::Dial`]: at start and at once after a link it
//! dialled closed, then with the shipped back-off, 50 ms doubling to 150 ms, half the
//! `startup_wait`): the attempt connects at once, is refused at once if the peer is down,
//! or times out after the engine's connect timeout (1 s) in a partition. Both members dial,
//! so links opened at once from both sides are common (PROTOCOL 4's duplicate-link rule).
//!
//! # Fault model, and why
//! Peer links are TCP, so a message is never lost, duplicated or reordered while its
//! connection lives. The faults are what TCP can actually do to the protocol:
//! - **reset** (the "loss" fault): what is in flight on a peer link is lost and both ends
//!   close. A live node sees its peer down, exactly as in a partition;
//! - **partition** (a silent stall): the pair's peer links deliver nothing, data and FINs
//!   wait (TCP retransmits) and flow again in order at the heal unless the receiver closed
//!   the link meanwhile. A partition longer than the dead interval (300 ms) is detected by
//!   both nodes; a shorter one only delays messages. Dropping frames while the connection
//!   stays up is not modelled: TCP cannot do it, and the Election relies on it (an
//!   unanswered nomination is never re-sent on the same link);
//! - **crash** (process death) and **restart**: the node's sockets close behind what it sent
//!   (its components' watchdog demotes them on the close), and a fresh `Node` starts in
//!   `Negotiating` 20-1500 ms later; components and client reconnect and register again;
//! - **promotion failure**: a component refuses `setRole active` (or, a third of the time,
//!   leaves it unanswered so the role timeout fires) for 0.1-2.5 s. Standby requests are
//!   always accepted (a component that would not stand by is a different fault: it cannot keep
//!   its node Active, PROTOCOL 6.1);
//! - **planned switchover** on the Active node.
//!
//! Duplication and reordering are available as adversarial stress only, within a peer link
//! ([`NetworkConfig::duplicate_per_mille`], [`NetworkConfig::reorder_per_mille`]): no TCP
//! connection does it, so a violation under it is not a bug of the protocol. Replaying a
//! message on a later connection is not modelled at all: it is a forged message (a replayed
//! handover request legitimately makes a Standby promote).
//!
//! # Quorum mode ([`Topology`] three, witness, five)
//! Each member's node is configured as the node's loader builds it from a file with
//! `election = "quorum"`, `witness = true` on the witness, the quorum timers of `[timers]`
//! at their defaults and, for seeds `s % 3 == 1`, `[fence]` ([`topology`]). What the
//! driver does beside links is modelled in [`host`]:
//! - **clocks** ([`clock`]): each host's clock has its own origin and a rate drawn in
//!   `[1 − ρ, 1 + ρ]`, ρ = `clock_drift_ppm` (1 %), a quarter of the hosts at an extreme;
//!   the node, its components and its client read it; the lease inequality is exercised;
//! - **grant files**: a write completes 0.2-15 ms after `Event::PersistGrant`, then
//!   `Node::handle_grant_persisted`; a crash loses an unfinished write and keeps a finished
//!   one; a restart starts from the file (`Known`), or `Unknown` when there is none yet or,
//!   in lost-file runs (seeds `s % 5 == 2`), half of the time (lost or corrupt: abstain
//!   for one voter lease);
//! - **fencing**: the command ends 10-200 ms later; it succeeds only if the host is down
//!   afterwards: already crashed, or reached and killed (stalled or running: power-cycled,
//!   restarted 0.5-1.5 s later); against a live host across a partition it fails;
//! - **stalls** (SIGSTOP of the node process, 0.1-2.5 s, longer than a voter lease): the
//!   node takes nothing in and fires no timer; its components and client run on (their
//!   watchdog stands them down); at the resume it reads what waited, then runs its timers.
//!
//! Faults besides the pair's: stalls, isolation of the active (half of the time) or of a
//! minority, a member's links flapping (cut and healed 3-11 times, 20-300 ms each), single
//! cuts, resets (the loss fault), frames duplicated on peer links (5 in 1000), crashes
//! (the active half of the time), refusals, switchovers ([`FaultConfig::quorum`]).
//! A component's application stands by within 250 ms (the demotion bound `D` = 300 ms:
//! the components' side of the lease inequality).
//!
//! # Checks ([`check`])
//! 1. When the quiet phase begins (every partition healed, every node restarted, every
//!    refusal ended), the pair converges within [`CONVERGENCE_BOUND`] (one Active, one
//!    Standby, nothing in flight, components holding their node's role) and stays so.
//! 2. A node becomes Active only from Promoting with every registered component confirmed;
//!    among live nodes at most one is Promoting or Active (PROTOCOL 5.8 property 1) except
//!    from a partition or a reset until the pair is reconciled (no partition, the peer link
//!    up at both ends, at most one serving): a live node that loses its link cannot tell a
//!    reset or partition from a crash, and promotes.
//! 3. Each status client receives exactly the node's status changes while connected.
//! 4. No component of a crashed node is active beyond its watchdog (200 ms, + ρ on a drifting
//!    clock); at the end exactly the Active node's components are active.
//!
//! Quorum mode replaces property 1 of check 2, which partitions suspend, by checks that
//! hold through every fault ([`quorum_check`]), at every step: 6. at most one member serving
//! at any instant (serving = any of its components holds the active role: what the
//! applications were told and accepted, stalled and crashed nodes' components included);
//! 7. a witness never serves; 5. at most one member wins a round, except in lost-file runs,
//! where a round can be won twice (MODEL.md, quorum finding 1) and only "never two serving
//! at once" is checked (rounds won twice are counted). Check 2's promotion check does not
//! look at the applications while a resumed node reads what waited during its stall (they
//! may have stood down on their watchdog meanwhile: the node cannot know yet).
//!
//! With [`SimConfig::replication`] (the `simulate --replication` runs, `tests/sim_replication.rs`)
//! every component replicates through its node and writes records while active; after the
//! schedule [`replicate::acknowledged_kept`] checks that no acknowledged `sync` update was lost
//! beyond what the design allows (see [`replicate`]).
//!
//! # The bound
//! After the repair, the slowest path is: a half-open link waits for the dead interval
//! (300 ms), a dial in flight into the old partition times out ([`baton_engine::CONNECT_TIMEOUT`],
//! 1 s) and the next waits for the back-off cap (150 ms); a component that stalled on
//! `setRole active` just before makes the promotion fail only at the role timeout (1 s); the
//! handover then costs a few election round trips with `electionError` retries (3 x 100 ms)
//! and two component answers at the slowest think time (2 x 400 ms): 3.55 s, bound 4 s.
//!
//! # The quorum bound ([`QUORUM_CONVERGENCE_BOUND`])
//! The links as in the pair (1.45 s); a restarted voter re-arms the voter lease of its file
//! [Q2] (or abstains for one, its file lost): `L_v (1 + ρ)` = 0.81 s; the election timer
//! then waits `(1 + rank) × election_timeout + backup rank × stagger`, at most
//! 5 × 50 ms + 3 × 300 ms = 1.15 s with five members; a split candidacy is void at `L_a`
//! (0.45 s); a promotion stalled on a component fails at the role timeout (1 s) and hands
//! over (0.1 s); two slow component answers (0.8 s): 5.76 s, bound 7 s.

mod application;
pub mod check;
pub mod clock;
mod connect;
mod driver;
pub mod faults;
pub mod host;
mod inject;
mod member;
pub mod network;
pub mod quorum_check;
pub mod replicate;
pub mod rng;
pub mod topology;
pub mod trace;
mod world;

pub use check::Violation;
pub use faults::{FaultConfig, FaultKind};
pub use member::{Client, Component, Member};
pub use network::NetworkConfig;
pub use rng::Rng;
pub use topology::{member_name, Topology};
pub use world::{
    SimConfig, World, CONVERGENCE_BOUND, QUORUM_CONVERGENCE_BOUND, RECONNECT_RETRY, WATCHDOG,
};

use baton_core::Instant;
use std::time::Duration;

/// What a passing run reports.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The seed.
    pub seed: u64,
    /// Time from the start of the quiet phase to convergence.
    pub converged_after: Option<Duration>,
    /// Steps run.
    pub steps: u64,
    /// Frames delivered.
    pub delivered: u64,
    /// The faults injected, as readable lines.
    pub faults: Vec<String>,
    /// Quorum mode: rounds the run saw (Promoting or Active in them).
    pub rounds: usize,
    /// Quorum mode, lost-file runs: rounds won by a second member.
    pub rounds_won_twice: u64,
    /// Replication runs: updates sent, acknowledged, lost as allowed.
    pub replication: replicate::ReplicationCounts,
}

/// Runs one schedule: `config.fault_phase` of seeded faults, then `config.quiet_phase` of
/// quiet, checking everything.
///
/// # Errors
/// The first violation, with the seed and the last steps.
pub fn run(seed: u64, config: &SimConfig) -> Result<Outcome, Violation> {
    let mut w = World::new(seed, config.clone());
    let end = Instant::ZERO + config.fault_phase + config.quiet_phase;
    w.run_until(end)?;
    check::at_end(&w)?;
    let replication =
        replicate::acknowledged_kept(&w).map_err(|e| w.violation("replication", e))?;
    Ok(Outcome {
        seed,
        converged_after: w.converged_at().zip(w.quiet_since()).map(|(c, q)| c - q),
        steps: w.steps(),
        delivered: w.network().delivered,
        faults: w.faults_applied().to_vec(),
        rounds: w.record.winners.len(),
        rounds_won_twice: w.record.rounds_won_twice,
        replication,
    })
}
