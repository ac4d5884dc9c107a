//! baton's sans-IO role state machines (PROTOCOL 6.1 to 6.3): a node setting the role of its
//! components with `setRole` / `setRoleResponse` (PROTOCOL 2.5).
//!
//! # Names
//! - [`Role`] (`active`, `standby`: the ASN.1 `Role`) is a component role **value**, what
//!   `setRole` carries (PROTOCOL 1.3).
//! - [`ComponentRoleState`] is the node's **state** of one component's role (PROTOCOL 6.2):
//!   `Unassigned`, `Assigning(r)`, `Assigned(r)` or `Failed(r)`, each `r` a [`Role`].
//! - [`ComponentRole`] is the component-side **machine**; its events are
//!   [`ComponentRoleEvent`]s, the node side's are [`ManagerEvent`]s.
//!
//! - [`RoleManager`]: the node side. It keeps the registry of its components, sends `setRole`
//!   to all of them after each election outcome, tracks every component through
//!   `Unassigned -> Assigning(r) -> Assigned(r)` / `Assigning(r) -> Failed(r)`, and aggregates
//!   the answers into one outcome per assignment ([`ManagerEvent::AssignmentDone`],
//!   [`ManagerEvent::AssignmentFailed`]).
//! - [`ComponentRole`]: the component side, embedded by applications. It surfaces each
//!   `setRole` as [`ComponentRoleEvent::RoleRequested`], answers with the application's decision,
//!   and runs the watchdog that demotes an active component whose node died.
//!
//! Both are sans-IO in the style of quinn-proto: the driver feeds inputs with `handle_*(now,
//! ..)`, then drains `poll_transmit`, `poll_event` and `poll_timeout`, and calls
//! `handle_timeout(now)` when the deadline passes. Nothing here reads a clock, opens a socket
//! or draws a random number; a misbehaving peer becomes an event, never a panic or an `Err`.
#![forbid(unsafe_code)]

pub mod component;
mod error;
pub mod manager;
mod message;
mod order;
mod set_role_id;

pub use baton_asn1::role::{Role, RoleMessage};
pub use component::{
    ComponentConfig, ComponentRole, Event as ComponentRoleEvent, StallRule, WatchdogReason,
};

pub use error::RoleError;
pub use manager::{
    ComponentRoleState, Event as ManagerEvent, FailedComponent, FailureReason, IgnoredReason,
    RoleConfig, RoleManager,
};
pub use message::{set_role, set_role_response, Transmit};
pub use order::{ComponentOrder, OrderError};
pub use set_role_id::SetRoleId;
