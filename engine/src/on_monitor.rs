//! What the component health monitor reports (PROTOCOL 6.4): registrations, failures by
//! severity, recoveries.

use crate::close::CloseReason;
use crate::event::Event;
use crate::node::Node;
use crate::notice::Notice;
use baton_core::Instant;
use baton_monitor::{LinkNotice, MonitorEvent, NodeTimer, Severity};
use std::time::Duration;

/// The smallest margin `M` of the watchdog rule (PROTOCOL 6.3).
const WATCHDOG_MARGIN: Duration = Duration::from_millis(2);

impl Node {
    /// The timers told to component `id` at its registration (PROTOCOL 6.9), in the order
    /// of [`NodeTimer::ALL`]: the role timeout, its dead interval, the query interval, and
    /// the watchdog bound of PROTOCOL 6.3, `D - H - 2 ms` (the smallest margin).
    pub(crate) fn timers_for(&self, id: &str) -> [(NodeTimer, Duration); 4] {
        let bound = self
            .config
            .dead_interval
            .saturating_sub(self.config.heartbeat_interval)
            .saturating_sub(WATCHDOG_MARGIN);
        [
            (NodeTimer::RoleTimeout, self.config.role_timeout),
            (
                NodeTimer::ComponentDeadInterval,
                self.health.dead_interval_of(id),
            ),
            (NodeTimer::QueryInterval, self.health.query_interval()),
            (NodeTimer::WatchdogBound, bound),
        ]
    }

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
                // PROTOCOL 6.9: the node's timers, before any setRole (not to the node's own
                // script adapters, which take the node's configuration).
                if !self.scripts.owns(link) {
                    for (timer, value) in self.timers_for(&id) {
                        self.health.notify(&id, LinkNotice::Timer(timer, value));
                    }
                    // Out now: the role layer sends the current role as the component
                    // joins it, and its transmits are drained before the monitor's
                    // (`process`). Found by `baton conformance node` (node.reregistration);
                    // test: engine/tests/notices.rs, the_notices_come_before_the_current_role.
                    // Planted fault `notices-after-role` (feature `plant`, conformance CI
                    // only): the notices wait behind the setRole again.
                    #[cfg(feature = "plant")]
                    let flush = !baton_asn1::plant::planted("notices-after-role");
                    #[cfg(not(feature = "plant"))]
                    let flush = true;
                    while let Some(t) = self.health.poll_transmit().filter(|_| flush) {
                        self.send(t.link, t.message);
                    }
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
                    Severity::Fatal => {
                        self.replication.component_fatal = true;
                        self.election.handle_fatal(now)
                    }
                    Severity::Major => {
                        // A script component's restart (`stop`, `start`) is the node's own;
                        // a linked one, still on its link, is asked to restart itself
                        // (PROTOCOL 6.9, the notice "0 1"). One whose link closed has nothing
                        // to hear it: the driver's event is all there is.
                        if !self.scripts.restart(&id) {
                            self.health.notify(&id, LinkNotice::RestartRequested);
                        }
                        self.events.push_back(Event::RestartComponent { id });
                    }
                    Severity::Minor => {}
                }
            }
            MonitorEvent::ComponentRecovered { id } => {
                self.notice(Notice::ComponentRecovered { component: id });
                if self.health.worst_failure() != Some(Severity::Fatal) {
                    self.replication.component_fatal = false;
                }
                // Replication may hold the flag too (PROTOCOL 6.11, *Eligibility*).
                if self.election.is_fatal()
                    && !self.replication.component_fatal
                    && !self.replication.holding
                {
                    self.election.handle_fatal_cleared(now);
                }
            }
            MonitorEvent::ComponentLeft { id, link } => {
                // PROTOCOL 6.9: a planned leave; the close withdraws an unanswered setRole
                // (an `active` one fails the promotion, as any close does).
                self.close(now, link, CloseReason::ComponentLeft { component: id });
            }
            MonitorEvent::Ignored { link, reason } => {
                self.notice(Notice::ComponentMessageIgnored { link, reason })
            }
        }
    }
}
