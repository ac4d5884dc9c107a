//! What the component health monitor reports (PROTOCOL 6.4): registrations, failures by
//! severity, recoveries.

use crate::close::CloseReason;
use crate::event::Event;
use crate::node::Node;
use crate::notice::Notice;
use baton_core::Instant;
use baton_monitor::{MonitorEvent, Severity};

impl Node {
    /// Acts on what the health monitor reports: a registered component joins the role layer
    /// (and receives the current role; held after a stall, see [`crate::resume`]); a `fatal` failure goes to the Election, a `major` one
    /// asks the driver to restart the component.
    pub(crate) fn on_monitor_event(&mut self, now: Instant, e: MonitorEvent) {
        match e {
            MonitorEvent::ComponentRegistered { id, link, replaced } => {
                if let Some(old) = replaced {
                    let component = id.clone();
                    let reason = CloseReason::ComponentRegisteredAgain { component, link };
                    self.close(now, old, reason);
                }
                // Held after a stall of the node while its components are to be active
                // (PROTOCOL 6.3, *A resumed node*).
                if !self.hold_registration(now, link, &id) {
                    self.join_role_layer(now, link, id.clone());
                }
                self.notice(Notice::ComponentRegistered {
                    component: id,
                    link,
                });
            }
            MonitorEvent::ComponentFailed {
                id,
                severity,
                reason,
            } => {
                self.notice(Notice::ComponentFailed {
                    component: id.clone(),
                    severity,
                    reason,
                });
                match severity {
                    Severity::Fatal => self.election.handle_fatal(now),
                    Severity::Major => {
                        // A script component's restart (`stop`, `start`) is the node's own.
                        self.scripts.restart(&id);
                        self.events.push_back(Event::RestartComponent { id });
                    }
                    Severity::Minor => {}
                }
            }
            MonitorEvent::ComponentRecovered { id } => {
                self.notice(Notice::ComponentRecovered { component: id });
                if self.election.is_fatal() && self.health.worst_failure() != Some(Severity::Fatal)
                {
                    self.election.handle_fatal_cleared(now);
                }
            }
            MonitorEvent::Ignored { link, reason } => {
                self.notice(Notice::ComponentMessageIgnored { link, reason })
            }
        }
    }
}
