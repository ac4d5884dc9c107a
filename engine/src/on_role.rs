//! What the role layer reports (PROTOCOL 6.1): an assignment done or failed, a component that
//! did not take its role.

use crate::close::CloseReason;
use crate::node::Node;
use crate::notice::Notice;
use baton_core::Instant;
use baton_core::NodeRole;
use baton_role::ManagerEvent;
use baton_role::Role;

impl Node {
    /// Acts on what the role layer reports: the verdict of the current assignment goes back to
    /// the Election by its generation (an abandoned one never counts).
    pub(crate) fn on_role_event(&mut self, now: Instant, e: ManagerEvent) {
        let assignment = self.assignment;
        let current = |g: u64| assignment.filter(|(rg, _, _)| *rg == g);
        match e {
            ManagerEvent::AssignmentDone {
                generation, failed, ..
            } => {
                for f in failed {
                    self.notice(Notice::ComponentDidNotStandBy {
                        component: f.component,
                        reason: f.reason,
                    });
                }
                if let Some((_, eg, _)) = current(generation) {
                    self.election.handle_components_done(now, eg);
                }
            }
            ManagerEvent::AssignmentFailed {
                generation,
                component,
                reason,
                ..
            } => {
                self.notice(Notice::PromotionFailed { component, reason });
                if let Some((_, eg, Role::active)) = current(generation) {
                    self.election.handle_promotion_failed(now, eg);
                }
            }
            ManagerEvent::ComponentFailed {
                component,
                role,
                reason,
            } => {
                self.notice(Notice::ComponentRoleFailed {
                    component: component.clone(),
                    role,
                    reason,
                });
                // A late registrant that refused (or did not answer) the role of a settled
                // node would otherwise hold the wrong role for good while the status says
                // it is fine (found by the simulation). Closing its link makes its watchdog
                // stand it by, and its reconnection receive the current role again.
                let settled = matches!(self.role(), NodeRole::Active | NodeRole::Standby)
                    && !self.roles.is_assigning();
                if settled && reason != baton_role::FailureReason::LinkClosed {
                    if let Some((link, _)) = self.roles.component(&component) {
                        let reason = CloseReason::ComponentDidNotTakeRole { component };
                        self.close(now, link, reason);
                    }
                }
            }
            ManagerEvent::ComponentAssigned { .. } => {}
            ManagerEvent::Ignored { link, reason } => {
                self.notice(Notice::RoleMessageIgnored { link, reason })
            }
        }
    }
}
