//! The components' applications: how each answers `setRole` (after a think time; refusing
//! `active` while a refusal fault lasts; standing by within the demotion bound in quorum
//! mode), and what it does on its engine's events (a watchdog that stood it down closes and
//! reconnects).

use super::network::{End, Packet};
use super::world::{Action, World};
use baton_codec::AnyMessage;
use baton_component::engine::ComponentEngineEvent;
use baton_component::{Role, WatchdogReason};
use std::time::Duration;

/// Quorum mode: the longest time a component's application takes to stand by (the
/// demotion bound `D` = 300 ms less the local hops and a margin); the default of
/// [`SimConfig::standby_think_max`](super::SimConfig::standby_think_max).
pub const STANDBY_THINK_MAX: Duration = Duration::from_millis(250);

impl World {
    /// The application answers `setRole` request `correlation` (unless a newer one replaced
    /// it): it refuses `active` while told to, otherwise it accepts.
    pub(crate) fn decide(&mut self, m: usize, c: usize, correlation: &str) {
        let (now, real) = (self.local(m), self.now);
        let comp = &mut self.members[m].components[c];
        let Some(pending) = comp.engine.pending_request() else {
            return;
        };
        if pending.correlation != correlation {
            return;
        }
        let role = pending.role;
        let line = if role == Role::Active && real < comp.refuse_until {
            if comp.stall {
                "stalls (no answer)".to_owned()
            } else {
                let _ = comp.engine.refuse(now);
                "refuses".to_owned()
            }
        } else {
            let _ = comp.engine.accept(now);
            "accepts".to_owned()
        };
        self.log(|| format!("n{m}c{c}: {line} setRole({role}) #{correlation}"));
    }

    /// Sends a component's frames, acts on its engine's events as the application would.
    pub(crate) fn drain_component(&mut self, m: usize, c: usize) {
        let (now, local) = (self.now, self.local(m));
        let comp = &mut self.members[m].components[c];
        let link = comp.link;
        let out: Vec<AnyMessage> = std::iter::from_fn(|| comp.engine.poll_transmit()).collect();
        let events: Vec<ComponentEngineEvent> =
            std::iter::from_fn(|| comp.engine.poll_event()).collect();
        if let Some(link) = link {
            for msg in out {
                self.net.send(
                    now,
                    &mut self.rng,
                    link,
                    End::Component(m, c),
                    Packet::Frame(msg),
                );
            }
        }
        for e in events {
            match e {
                ComponentEngineEvent::RoleRequested {
                    role, correlation, ..
                } => {
                    let mut think = if self.rng.chance(1, 20) {
                        self.rng
                            .duration(Duration::from_millis(50), Duration::from_millis(400))
                    } else {
                        self.rng.duration(Duration::ZERO, Duration::from_millis(20))
                    };
                    if role == Role::Standby && self.config.topology.is_quorum() {
                        // Quorum mode's demotion bound D (PROTOCOL 5.9.6): a component stops
                        // serving within D of the demotion's start, the local hop included.
                        let max = self.config.standby_think_max;
                        think = if max > STANDBY_THINK_MAX {
                            // Planted: demotions outlast D.
                            self.rng.duration(Duration::ZERO, max)
                        } else {
                            think.min(max)
                        };
                    }
                    self.log(|| format!("n{m}c{c}: asked {role} #{correlation}"));
                    self.schedule(now + think, Action::Decide(m, c, correlation));
                }
                ComponentEngineEvent::SelfDemoted { reason } => {
                    self.repl.stood_down.push((m, c, now));
                    self.log(|| format!("n{m}c{c}: watchdog demoted it ({reason:?})"));
                    if reason == WatchdogReason::Silent {
                        // The node does not know: close and reconnect (PROTOCOL 6.3).
                        let comp = &mut self.members[m].components[c];
                        if let Some(link) = comp.link.take() {
                            comp.engine.handle_closed(local);
                            self.net
                                .close(now, &mut self.rng, link, End::Component(m, c));
                            self.schedule_component_connect(m, c);
                        }
                    }
                }
                ComponentEngineEvent::Replication(e) => self.on_replication(m, c, e),
                e @ ComponentEngineEvent::RoleChanged {
                    from: Some(Role::Active),
                    ..
                } => {
                    // The replication check: the component stood down.
                    self.repl.stood_down.push((m, c, now));
                    self.log(|| format!("n{m}c{c}: {e:?}"));
                }
                other => self.log(|| format!("n{m}c{c}: {other:?}")),
            }
        }
    }
}
