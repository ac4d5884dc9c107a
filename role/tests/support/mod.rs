//! What the node-side Role tests share: time, draining the manager, a `setRole` and its
//! answer.

use baton_asn1::role::ReturnCode;
use baton_core::{Instant, LinkId};
use baton_role::{set_role, set_role_response, ManagerEvent, Role, RoleManager, Transmit};

/// `ms` milliseconds after the origin.
pub fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

/// Every frame the manager has queued.
pub fn transmits(m: &mut RoleManager) -> Vec<Transmit> {
    std::iter::from_fn(|| m.poll_transmit()).collect()
}

/// Every event the manager has queued.
pub fn events(m: &mut RoleManager) -> Vec<ManagerEvent> {
    std::iter::from_fn(|| m.poll_event()).collect()
}

/// `setRole{role}` with `correlation` on link `link`.
pub fn tx(link: u64, correlation: &str, role: Role) -> Transmit {
    Transmit {
        link: LinkId(link),
        message: set_role(correlation, role),
    }
}

/// The component on link `link` answers `correlation` with `code`.
pub fn answer(m: &mut RoleManager, now: Instant, link: u64, correlation: &str, code: ReturnCode) {
    m.handle_message(now, LinkId(link), set_role_response(correlation, code));
}
