//! The node's role in the election, and the role it commands its components to take.

pub use baton_core::NodeRole;

/// The role the node commands its components to take (`setRole{role}`, PROTOCOL 6.1).
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
