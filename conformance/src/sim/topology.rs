//! Who the simulated cluster is: pair mode, or quorum mode with 3 members, 2 members and a
//! witness, or 5 members; and each member's engine configuration, built as the node's
//! configuration loader builds it (`node/src/config/cluster.rs`: `election = "quorum"`,
//! `witness = true`, the quorum timers of `[timers]` at their defaults, `[fence]`).

use baton_election::{Mode, PersistedGrant, QuorumTimers};
use baton_engine::{MemberConfig, NodeConfig};
use std::fmt;
use std::str::FromStr;

/// The cluster a schedule runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topology {
    /// Two members, pair mode (PROTOCOL 5.1 to 5.8).
    Pair,
    /// Three members, quorum mode (PROTOCOL 5.9).
    Three,
    /// Two members and a witness (the third, votes and never serves), quorum mode.
    TwoAndWitness,
    /// Five members, quorum mode.
    Five,
}

impl Topology {
    /// Every topology, pair first.
    pub const ALL: [Topology; 4] = [
        Topology::Pair,
        Topology::Three,
        Topology::TwoAndWitness,
        Topology::Five,
    ];

    /// Number of members, witnesses included.
    pub fn members(self) -> usize {
        match self {
            Topology::Pair => 2,
            Topology::Three | Topology::TwoAndWitness => 3,
            Topology::Five => 5,
        }
    }

    /// The witnesses, by index.
    pub fn witnesses(self) -> Vec<usize> {
        match self {
            Topology::TwoAndWitness => vec![2],
            _ => Vec::new(),
        }
    }

    /// Whether member `m` is a witness.
    pub fn is_witness(self, m: usize) -> bool {
        self.witnesses().contains(&m)
    }

    /// Quorum mode (every topology but the pair).
    pub fn is_quorum(self) -> bool {
        self != Topology::Pair
    }

    /// The configuration of member `m`'s node, as the node builds it from a file naming
    /// these members (ids `1`, `2`, ...), with `fence` when `[fence]` is configured and the
    /// grant `persisted` read from `state_dir/grant` (quorum mode).
    pub fn node_config(self, m: usize, fence: bool, persisted: PersistedGrant) -> NodeConfig {
        let names: Vec<(String, String)> = (0..self.members())
            .map(|i| (member_name(i), (i + 1).to_string()))
            .collect();
        let mut cfg = NodeConfig::pair([("alpha", "1"), ("beta", "2")], m.min(1));
        cfg.members = names
            .into_iter()
            .map(|(name, id)| MemberConfig { name, id })
            .collect();
        cfg.me = m;
        cfg.fence = fence;
        if self.is_quorum() {
            cfg.mode = Mode::Quorum;
            cfg.witnesses = self.witnesses();
            cfg.quorum = QuorumTimers::default();
            cfg.persisted = persisted;
        }
        cfg
    }
}

impl fmt::Display for Topology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Topology::Pair => "pair",
            Topology::Three => "three",
            Topology::TwoAndWitness => "witness",
            Topology::Five => "five",
        })
    }
}

impl FromStr for Topology {
    type Err = String;

    /// `pair`, `three`, `witness` (2 members + a witness) or `five`.
    fn from_str(s: &str) -> Result<Self, String> {
        Topology::ALL
            .into_iter()
            .find(|t| t.to_string() == s)
            .ok_or_else(|| format!("{s:?}: expected pair, three, witness or five"))
    }
}

/// The `Candidate` name of member `i`.
pub fn member_name(i: usize) -> String {
    const NAMES: [&str; 5] = ["alpha", "beta", "gamma", "delta", "epsilon"];
    NAMES
        .get(i)
        .map_or_else(|| format!("m{i}"), |s| (*s).to_owned())
}
