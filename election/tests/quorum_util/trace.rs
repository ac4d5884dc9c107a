//! Messages of the quorum tests: constructors, and one text line per message sent.

use super::{Cluster, Sent};
use baton_asn1::election::ElectionMessage;
use baton_election::{message, Event, NodeRole};

pub fn nom(id: &str, nominee: &str) -> ElectionMessage {
    message::nomination(id, nominee)
}
pub fn asg(id: &str, active: &str, standby: &str) -> ElectionMessage {
    message::assignment(message::correlation_id(id), active, standby)
}
pub fn veto(id: &str, active: &str, standby: &str) -> ElectionMessage {
    message::veto(message::correlation_id(id), active, standby)
}
pub fn err(id: &str, description: &str) -> ElectionMessage {
    message::error(message::correlation_id(id), description)
}
/// The correlationId text of a message.
pub fn digits(m: &ElectionMessage) -> String {
    message::digits(&m.correlation_id)
}

/// The seq half of a message's correlationId.
pub fn seq_of(m: &ElectionMessage) -> String {
    digits(m).split(' ').nth(1).unwrap_or("").to_owned()
}

/// One line per message: `"<ms> <from>><to> <kind> <id> <names>"`, e.g. `"850 a>b nom 1 1 a"`,
/// `"850 b>a asg 1 1 a/b"`, `"900 c>a veto 2 5 b/c"`, `"900 c>a err 2 5 lease"`.
pub fn line(names: &[String], s: &Sent) -> String {
    use baton_asn1::election::{ElectionMessageMessage as M, ElectionResult as R};
    let id = digits(&s.msg);
    let what = match &s.msg.message {
        M::nominationMsg(n) => format!("nom {id} {}", n.nominee.0),
        M::electionResult(R::assigment(a)) => format!("asg {id} {}/{}", a.active.0, a.standby.0),
        M::electionResult(R::veto(v)) => format!("veto {id} {}/{}", v.active.0, v.standby.0),
        M::electionResult(R::electionError(e)) => format!("err {id} {}", e.description),
    };
    format!("{} {}>{} {what}", s.at, names[s.from], names[s.to])
}

impl Cluster {
    /// The messages sent since the last take, one [`line`] each.
    pub fn take_trace(&mut self) -> Vec<String> {
        let names = self.nodes[0].config.members.clone();
        self.take_log().iter().map(|s| line(&names, s)).collect()
    }

    /// Prints the trace (while writing a test).
    pub fn dump(&mut self) {
        for l in self.take_trace() {
            println!("{l}");
        }
        for i in 0..self.n() {
            println!("{}: {:?}", i, self.role_times(i));
        }
    }
}

impl Cluster {
    pub fn take_log(&mut self) -> Vec<Sent> {
        std::mem::take(&mut self.log)
    }

    /// Roles node `i` went through (events not taken).
    pub fn role_trail(&self, i: usize) -> Vec<NodeRole> {
        self.nodes[i]
            .events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::RoleChanged { to, .. } => Some(*to),
                _ => None,
            })
            .collect()
    }

    /// Role changes of node `i` with their times.
    pub fn role_times(&self, i: usize) -> Vec<(u64, NodeRole)> {
        self.nodes[i]
            .events
            .iter()
            .filter_map(|(t, e)| match e {
                Event::RoleChanged { to, .. } => Some((*t, *to)),
                _ => None,
            })
            .collect()
    }

    pub fn take_events(&mut self, i: usize) -> Vec<(u64, Event)> {
        std::mem::take(&mut self.nodes[i].events)
    }

    /// Clears every node's events and the log.
    pub fn forget(&mut self) {
        self.log.clear();
        for n in &mut self.nodes {
            n.events.clear();
        }
    }
}
