//! The composition loop: every machine's transmits out, every machine's events to the
//! handlers (`on_*`), until nothing moves; then the service status out.

use crate::event::Event;
use crate::node::Node;
use crate::notice::Notice;
use baton_core::Instant;
use baton_status::ServerEvent;

impl Node {
    /// Moves every machine's transmits out and routes every event, until nothing moves; then
    /// publishes the service status if it changed, and ends a stop that is done.
    pub(crate) fn process(&mut self, now: Instant) {
        self.note_resume(now);
        loop {
            let mut moved = false;
            while let Some(t) = self.election.poll_transmit() {
                self.send(t.link, t.message);
            }
            while let Some(t) = self.roles.poll_transmit() {
                self.send_role(t.link, t.message);
            }
            while let Some(t) = self.health.poll_transmit() {
                self.send(t.link, t.message);
            }
            while let Some(t) = self.peers.poll_transmit() {
                self.send(t.link, t.message);
            }
            while let Some(e) = self.peers.poll_event() {
                moved = true;
                self.on_peer_event(now, e);
            }
            while let Some(e) = self.election.poll_event() {
                moved = true;
                self.on_election_event(now, e);
            }
            while let Some(e) = self.health.poll_event() {
                moved = true;
                self.on_monitor_event(now, e);
            }
            while let Some(e) = self.roles.poll_event() {
                moved = true;
                self.on_role_event(now, e);
            }
            moved |= self.process_scripts(now);
            moved |= self.release_held(now);
            moved |= self.step_remote(now);
            moved |= self.step_replica_link();
            moved |= self.step_eligibility(now);
            while let Some(e) = self.status.poll_event() {
                match e {
                    ServerEvent::Ignored { link, reason } => {
                        self.notice(Notice::StatusMessageIgnored { link, reason })
                    }
                }
            }
            if !moved {
                break;
            }
        }
        let status = self.service_status();
        if self.status.set_status(now, status) {
            self.events
                .push_back(Event::StatusChanged(self.status.status().clone()));
        }
        while let Some(t) = self.status.poll_transmit() {
            self.send(t.link, t.message);
        }
        self.check_stop(now);
        self.start_dials(now);
        self.refresh_sync_due(now);
        self.note_deadline(now);
        self.history.end_step(now);
    }
}
