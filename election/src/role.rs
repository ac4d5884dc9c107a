//! The node's role in the election, and the role it commands its components to take.

use std::fmt;

/// A node's role (DESIGN 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeRole {
    /// After every start: nothing is persisted in pair mode.
    Negotiating,
    /// Components are (being set) standby; the peer serves or will.
    Standby,
    /// Components are being set active.
    Promoting,
    /// All components confirmed `active`: this node serves.
    Active,
    /// Components are being set standby.
    Demoting,
    /// A component answered `failure` or timed out during promotion (or a fatal component
    /// failure made the promotion fail).
    PromotionFailed,
}

impl NodeRole {
    /// The role's name as the first word of a service status (DESIGN 6):
    /// `negotiating`, `standby`, `promoting`, `active`, `demoting`, `failed`.
    pub fn status_word(self) -> &'static str {
        match self {
            NodeRole::Negotiating => "negotiating",
            NodeRole::Standby => "standby",
            NodeRole::Promoting => "promoting",
            NodeRole::Active => "active",
            NodeRole::Demoting => "demoting",
            NodeRole::PromotionFailed => "failed",
        }
    }

    /// Whether the node claims the service: `Negotiating`, `Promoting` or `Active` (the roles
    /// in which a self-nomination is valid, \[F7\]).
    pub fn claims_service(self) -> bool {
        matches!(
            self,
            NodeRole::Negotiating | NodeRole::Promoting | NodeRole::Active
        )
    }

    /// `Promoting` or `Active` (DESIGN 3.4 property 1 counts these).
    pub fn is_promoting_or_active(self) -> bool {
        matches!(self, NodeRole::Promoting | NodeRole::Active)
    }
}

impl fmt::Display for NodeRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.status_word())
    }
}

/// The role the node commands its components to take (`setRole{role}`, DESIGN 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ComponentRole {
    /// `setRole{active}`.
    Active,
    /// `setRole{standby}`.
    Standby,
}

impl From<ComponentRole> for baton_asn1::role::Role {
    fn from(r: ComponentRole) -> Self {
        match r {
            ComponentRole::Active => baton_asn1::role::Role::active,
            ComponentRole::Standby => baton_asn1::role::Role::standby,
        }
    }
}
