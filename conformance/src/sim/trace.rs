//! The trace: the last steps of a run, as readable lines, for replaying a failing seed.

use baton_asn1::election::{ElectionMessageMessage as E, ElectionResult as R};
use baton_asn1::monitor::HealthMonitorMessageMessage as M;
use baton_asn1::role::RoleMessageMessage as Ro;
use baton_asn1::status::ServiceStatusMessageMessage as S;
use baton_codec::AnyMessage;
use baton_core::Instant;
use std::collections::VecDeque;

/// A ring of the last `capacity` trace lines, or every line when `full` (printed to stderr
/// as they come, for `BATON_SIM_SEED` replays).
#[derive(Debug, Clone)]
pub struct Trace {
    lines: VecDeque<String>,
    capacity: usize,
    full: bool,
}

impl Trace {
    /// A ring of `capacity` lines; `full` also prints every line to stderr.
    pub fn new(capacity: usize, full: bool) -> Self {
        Trace {
            lines: VecDeque::with_capacity(capacity.min(4096)),
            capacity: capacity.max(1),
            full,
        }
    }

    /// Records a line at `now`.
    pub fn push(&mut self, now: Instant, line: String) {
        let line = format!("{:>10} {line}", millis(now));
        if self.full {
            eprintln!("{line}");
        }
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }

    /// The lines kept, oldest first.
    pub fn lines(&self) -> Vec<String> {
        self.lines.iter().cloned().collect()
    }
}

/// `now` as milliseconds with three decimals (`1234.567ms`).
pub fn millis(now: Instant) -> String {
    let us = now.since_origin().as_micros();
    format!("{}.{:03}ms", us / 1000, us % 1000)
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or("?")
}

/// A one-line summary of a message: its kind, the fields that matter, its correlationId.
pub fn summary(m: &AnyMessage) -> String {
    match m {
        AnyMessage::Election(e) => {
            let id = text(e.correlation_id.0.as_bytes());
            match &e.message {
                E::nominationMsg(n) => format!("nomination({}) #{id}", n.nominee.0),
                E::electionResult(R::assigment(a)) => {
                    format!("assigment({}, {}) #{id}", a.active.0, a.standby.0)
                }
                E::electionResult(R::veto(v)) => {
                    format!("veto({}, {}) #{id}", v.active.0, v.standby.0)
                }
                E::electionResult(R::electionError(x)) => {
                    format!("electionError({}) #{id}", x.description)
                }
            }
        }
        AnyMessage::Role(r) => {
            let id = text(r.correlation_id.0.as_bytes());
            match &r.message {
                Ro::setRole(s) => format!("setRole({:?}) #{id}", s.role),
                Ro::setRoleResponse(s) => format!("setRoleResponse({:?}) #{id}", s.return_code),
            }
        }
        AnyMessage::Monitor(h) => {
            let id = text(h.correlation_id.0.as_bytes());
            let who = text(h.component_id.0.as_bytes());
            match &h.message {
                M::heartBeat(b) => format!("heartBeat({who}, {:?}) #{id}", b.bill_of_health.status),
                M::healthQuery(_) => format!("healthQuery({who}) #{id}"),
                M::healthQueryResponse(b) => {
                    format!(
                        "healthQueryResponse({who}, {:?}) #{id}",
                        b.bill_of_health.status
                    )
                }
            }
        }
        AnyMessage::Status(s) => {
            let id = text(s.correlation_id.0.as_bytes());
            match &s.message {
                S::getStatus(_) => format!("getStatus #{id}"),
                S::getStatusResponse(r) => format!("getStatusResponse({:?}) #{id}", r.status.0),
                S::statusIndication(i) => format!("statusIndication({:?}) #{id}", i.status.0),
            }
        }
        AnyMessage::Replication(r) => {
            let id = text(r.correlation_id.0.as_bytes());
            format!("replication({}) #{id}", replication_kind(&r.message))
        }
    }
}

/// The alternative of a `ReplicationMessage` (PROTOCOL 2.8).
fn replication_kind(m: &baton_asn1::replication::ReplicationMessageMessage) -> &'static str {
    use baton_asn1::replication::ReplicationMessageMessage as P;
    match m {
        P::update(_) => "update",
        P::updateAck(_) => "updateAck",
        P::syncRequest(_) => "syncRequest",
        P::syncChunk(_) => "syncChunk",
        P::syncDone(_) => "syncDone",
        P::audit(_) => "audit",
        P::auditResponse(_) => "auditResponse",
        P::replicationError(_) => "replicationError",
    }
}
