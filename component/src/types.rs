//! What the application and the engine share: roles and health.

use baton_monitor::ComponentStatus;
pub use baton_role::WatchdogReason;
use std::fmt;

/// A component's role (the ASN.1 `Role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Serving.
    Active,
    /// Not serving, ready to take over.
    Standby,
}

impl Role {
    /// The lower-case name (`active`, `standby`).
    pub const fn name(self) -> &'static str {
        match self {
            Role::Active => "active",
            Role::Standby => "standby",
        }
    }
}

impl From<baton_role::Role> for Role {
    fn from(role: baton_role::Role) -> Role {
        match role {
            baton_role::Role::active => Role::Active,
            baton_role::Role::standby => Role::Standby,
        }
    }
}

impl From<Role> for baton_role::Role {
    fn from(role: Role) -> baton_role::Role {
        match role {
            Role::Active => baton_role::Role::active,
            Role::Standby => baton_role::Role::standby,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The application's health, reported to the node (the ASN.1 `ComponentStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Health {
    /// Working.
    #[default]
    Ok,
    /// Not working: the node treats the component as failed (PROTOCOL 6.4).
    Failed,
}

impl Health {
    /// The lower-case name (`ok`, `failed`).
    pub const fn name(self) -> &'static str {
        match self {
            Health::Ok => "ok",
            Health::Failed => "failed",
        }
    }
}

impl From<Health> for ComponentStatus {
    fn from(health: Health) -> ComponentStatus {
        match health {
            Health::Ok => ComponentStatus::ok,
            Health::Failed => ComponentStatus::failed,
        }
    }
}

impl From<ComponentStatus> for Health {
    fn from(status: ComponentStatus) -> Health {
        match status {
            ComponentStatus::ok => Health::Ok,
            ComponentStatus::failed => Health::Failed,
        }
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
