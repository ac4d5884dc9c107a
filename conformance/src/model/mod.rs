//! A stateright model of the two-member election (PROTOCOL 5) that runs the real
//! [`baton_election::Election`] through an adapter ([`actor::Node`]), and checks PROTOCOL 5.8's
//! properties ([`properties`]). `conformance/MODEL.md` describes the modelling choices and
//! the measured state counts; `cargo run --release -p baton-conformance --bin model-check`
//! checks larger bounds.
//!
//! # What is modelled
//! - Two node actors, `a` (`Id(0)`, higher priority) and `b` (`Id(1)`), each a host with one
//!   process running an Election with the default pair configuration.
//! - **Links**: an ordered network (FIFO per direction, like one TCP connection). A process
//!   dials on start and after each link-down (`Hello` from a fresh endpoint token); the peer
//!   accepts (`HelloAck`), and each side calls `handle_link_up` with its own token as
//!   `LinkId` when it has both hellos. Election messages carry both endpoints; a frame for a
//!   connection that is no longer current is lost.
//! - **Failure detection**: a crash or a cut sends the peer `LinkLost` (the environment's
//!   notice: a reset connection, or silence for the dead interval); its delivery at an
//!   arbitrary later moment is the detection. A crashed process's notice may also never come
//!   if it restarts first: the peer then sees the new connection replace the old one.
//! - **`startup_wait`**: may expire only once the node has evidence the peer is
//!   unreachable (a dial refused or timed out, a link lost, its host cut off). A peer that is
//!   up and reachable always connects first (connecting takes far less than 300 ms).
//! - **Role layer**: each `SetComponents` becomes a random choice: confirm, or for a
//!   promotion fail (bounded by `failures`). Only the latest command can be answered.
//! - **Faults** (stateright timers, each bounded, counted over both hosts by the model's
//!   boundary): process crash (restarts `Negotiating` with nothing of the Election kept),
//!   a network cut at one host (both directions lost until it heals; the connection dies),
//!   an operator switchover on the Active, a fatal component failure.
//! - **Repairs** (always eventually): restart, heal, detection.
//! - **Time**: every input is given the logical time [`actor::T0`]; a timeout is handled
//!   at the deadline it is due. The Election keeps no time but its deadlines, so these are
//!   always `T0` + a configured duration and the state space is finite.
//!
//! # What is abstracted
//! Heartbeats (the notice replaces them), codecs (a [`wire::Frame`] mirrors the ASN.1
//! value), timer durations (any order of expiry is possible, except that `startup_wait`
//! needs the evidence above), stale role-layer answers for superseded generations (the
//! Election's generation check is not exercised), frames of an old connection overtaking a
//! newer connection (per-direction FIFO forbids it).

pub mod actor;
pub mod bfs;
pub mod check;
pub mod properties;
pub mod wire;

use actor::Node;
use properties::State;
use stateright::actor::{ActorModel, LossyNetwork, Network};
use stateright::Expectation;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// Fault budgets, each a total over both hosts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Bounds {
    /// Process crashes (each followed by a restart).
    pub crashes: u8,
    /// Promotions the role layer fails.
    pub failures: u8,
    /// Planned switchovers.
    pub switchovers: u8,
    /// Network cuts (each followed by a heal). A cut at one host loses both directions; a
    /// cut at each host at once costs two.
    pub partitions: u8,
    /// Fatal component failures.
    pub fatals: u8,
    /// Election timer expiries (nomination retries after an `electionError`) per node and
    /// connection. Not a fault: a bound on waiting, since each retry takes a fresh
    /// `correlationId` and the state space would otherwise be infinite. The convergence
    /// check's fair run is not bounded by it.
    pub retries: u8,
}

/// A deliberately broken adapter, to show the checker finds what it should.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Planted {
    /// Frames of a dead connection are kept and handed to the Election as if they came on
    /// the current one (a transport that does not tie data to its connection): a stale
    /// answer looks current (\[F7\]'s guarantee is void, ids restart at 1 after a crash).
    ReplayStaleFrames,
    /// Incoming `veto`s are dropped: \[F2\] and every other veto adoption never happen.
    DropVetoes,
    /// Incoming `veto`s carry the receiver's own round instead of the responder's: every
    /// heal of two actives falls back on priority, the \[F2\] of before generations
    /// (PROTOCOL 5.11).
    TieRounds,
}

/// What the model runs: configuration and planted faults.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Variant {
    /// [`baton_election::Config::preempt`] on both nodes.
    pub preempt: bool,
    /// A planted fault in both adapters, if any.
    pub planted: Option<Planted>,
}

/// The model's configuration (stateright's `cfg`).
#[derive(Clone, Debug)]
pub struct ModelCfg {
    /// Fault budgets.
    pub bounds: Bounds,
    /// Configuration and planted faults.
    pub variant: Variant,
    /// Fingerprints of states whose fair run converges (see [`properties::converges`]).
    pub converging: Arc<Mutex<HashSet<u64>>>,
}

/// The model: two [`actor::Node`]s.
pub type PairModel = ActorModel<Node, ModelCfg>;

/// The model of a correct pair with these fault budgets.
pub fn model(bounds: Bounds) -> PairModel {
    model_with(bounds, Variant::default())
}

/// The model with a configuration or planted fault.
pub fn model_with(bounds: Bounds, variant: Variant) -> PairModel {
    use properties as p;
    let cfg = ModelCfg {
        bounds,
        variant,
        converging: Arc::default(),
    };
    ActorModel::new(cfg, ())
        .actors((0..2).map(|me| Node {
            me,
            bounds,
            variant,
        }))
        .init_network(Network::new_ordered([]))
        .lossy_network(LossyNetwork::No)
        .property(Expectation::Always, p::ONE_SERVING, p::one_serving)
        .property(
            Expectation::Always,
            p::ACTIVE_CONFIRMED,
            p::active_confirmed,
        )
        .property(Expectation::Always, p::CONVERGES, p::converges)
        .property(Expectation::Always, p::NO_MISBEHAVIOUR, p::no_misbehaviour)
        .property(Expectation::Always, p::NEWEST_SERVES, p::newest_serves)
        .property(Expectation::Sometimes, p::SETTLES, p::settles)
        .property(
            Expectation::Sometimes,
            p::PROMOTION_FAILS,
            p::promotion_fails,
        )
        .property(Expectation::Sometimes, p::BOTH_SERVE, p::both_serve)
        .property(
            Expectation::Sometimes,
            p::NEWER_LOWER_SERVES,
            p::newer_lower_serves,
        )
        .within_boundary(within_bounds)
}

/// The boundary: the faults both hosts spent stay within [`Bounds`].
fn within_bounds(cfg: &ModelCfg, s: &State) -> bool {
    let sum = |f: fn(&actor::Spent) -> u8| -> u32 {
        s.actor_states
            .iter()
            .map(|n| u32::from(f(&n.host.spent)))
            .sum()
    };
    let b = &cfg.bounds;
    sum(|x| x.crashes) <= b.crashes.into()
        && sum(|x| x.failures) <= b.failures.into()
        && sum(|x| x.switchovers) <= b.switchovers.into()
        && sum(|x| x.partitions) <= b.partitions.into()
        && sum(|x| x.fatals) <= b.fatals.into()
        && properties::processes(s).all(|p| p.retries <= b.retries)
}
