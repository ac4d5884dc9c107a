//! The node's role in the election, and the component role value it commands.

/// A component role **value** (`active`, `standby`: the ASN.1 `Role` of PROTOCOL 1.3, 2.5):
/// what an [`Event::SetComponents`](crate::Event::SetComponents) command asks the role layer
/// to set every component to with `setRole` (PROTOCOL 6.1).
pub use baton_asn1::role::Role;
pub use baton_core::NodeRole;
