//! The five failover interfaces of PROTOCOL 2.1 and 2.8 (`docs/PROTOCOL.md`) as Rust types.
//!
//! `asn1/verbatim/` holds the modules exactly as PROTOCOL 2.1 writes them; `asn1/portable/` the
//! form every tool accepts (module name with a capital first letter, no `EXPORTS ;`). The types
//! are generated from the portable form by rasn-compiler at build time, one run per module, and
//! keep the ASN.1 names (`Assigment` included, CHOICE alternatives in camelCase).
//!
//! rasn does not enforce every constraint in every encoding rule; [`validate`] does, and
//! `baton-codec` runs it on every encode and decode.
#![forbid(unsafe_code)]

pub mod validate;

#[cfg(all(feature = "plant", not(debug_assertions)))]
compile_error!(
    "the feature `plant` plants faults for the conformance tests: never in a release build"
);

/// Planted faults for the conformance tool's own CI (feature `plant`, test builds only):
/// `BATON_PLANT=<name>[,<name>...]` in the environment turns each fault on.
#[cfg(feature = "plant")]
pub mod plant {
    /// Whether the fault `name` is planted in this process.
    pub fn planted(name: &str) -> bool {
        std::env::var("BATON_PLANT").is_ok_and(|v| v.split(',').any(|p| p == name))
    }
}

pub use validate::{ConstraintError, Message, Validate, Violation};

/// Generated code: rasn-compiler output, one module per interface.
mod generated {
    #![allow(missing_docs, clippy::all, clippy::pedantic)]
    pub mod election {
        include!(concat!(env!("OUT_DIR"), "/election.rs"));
    }
    pub mod role {
        include!(concat!(env!("OUT_DIR"), "/role.rs"));
    }
    pub mod monitor {
        include!(concat!(env!("OUT_DIR"), "/monitor.rs"));
    }
    pub mod status {
        include!(concat!(env!("OUT_DIR"), "/status.rs"));
    }
    pub mod replication {
        include!(concat!(env!("OUT_DIR"), "/replication.rs"));
    }
}

/// `failover-election-interface`: member-to-member election (`ElectionMessage`).
pub mod election {
    pub use crate::generated::election::failover_election_interface::*;
}
/// `failover-role-interface`: a node setting the role of its components (`RoleMessage`).
pub mod role {
    pub use crate::generated::role::failover_role_interface::*;
}
/// `failover-monitor-interface`: health queries and heartbeats (`HealthMonitorMessage`).
pub mod monitor {
    pub use crate::generated::monitor::failover_monitor_interface::*;
}
/// `failover-status-interface`: service status queries and indications (`ServiceStatusMessage`).
pub mod status {
    pub use crate::generated::status::failover_status_interface::*;
}

/// `failover-replication-interface`: the repertory's updates, acknowledgements, batch sync,
/// audits and errors between an active node and its standby (`ReplicationMessage`, PROTOCOL 2.8).
pub mod replication {
    pub use crate::generated::replication::failover_replication_interface::*;
}

/// The modules' source text, for tools and tests: (file name, verbatim, portable).
pub const MODULE_SOURCES: [(&str, &str, &str); 5] = [
    (
        "failover-election-interface.asn",
        include_str!("../verbatim/failover-election-interface.asn"),
        include_str!("../portable/failover-election-interface.asn"),
    ),
    (
        "failover-role-interface.asn",
        include_str!("../verbatim/failover-role-interface.asn"),
        include_str!("../portable/failover-role-interface.asn"),
    ),
    (
        "failover-monitor-interface.asn",
        include_str!("../verbatim/failover-monitor-interface.asn"),
        include_str!("../portable/failover-monitor-interface.asn"),
    ),
    (
        "failover-status-interface.asn",
        include_str!("../verbatim/failover-status-interface.asn"),
        include_str!("../portable/failover-status-interface.asn"),
    ),
    (
        "failover-replication-interface.asn",
        include_str!("../verbatim/failover-replication-interface.asn"),
        include_str!("../portable/failover-replication-interface.asn"),
    ),
];
