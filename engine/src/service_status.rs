//! The service status (PROTOCOL 6.5, 6.7): from the node role, the components' health and
//! what the other members said of themselves.

use crate::node::Node;
use baton_monitor::Severity;
use baton_status::{ComponentsHealth, PeerState, PeerStatus, ServiceStatus, State};

impl Node {
    /// The service status line from the node role, component health and the members' word.
    ///
    /// A pair (two members) names its peer: `peer=<name>:<state>`. A cluster of three or
    /// more members (PROTOCOL 6.7) names every member instead, in priority order, this node
    /// included: `members=<name>:<state>,...`, each state a [`State`] word, `unknown`, `down`
    /// or `witness` ([`Node::member_state`]). Both add `round=<R>` once the Election has a
    /// round in quorum mode, `fencing=<name>` while a fence command runs, and `witness` on a
    /// witness node.
    pub(crate) fn service_status(&self) -> ServiceStatus {
        let role = self.election.role();
        let (ok, total) = self.health.counts();
        let health = ComponentsHealth {
            ok: ok as u32,
            total: total as u32,
            fatal_failed: self.health.worst_failure() == Some(Severity::Fatal),
        };
        let cluster = self.config.members.len() > 2;
        let peer = if cluster {
            None
        } else {
            self.config
                .members
                .iter()
                .enumerate()
                .find(|(i, _)| *i != self.config.me)
                .map(|(i, m)| PeerStatus {
                    name: m.name.clone(),
                    state: self.member_states[i],
                })
        };
        let mut status = baton_status::service_status(role, health, peer);
        status
            .extra
            .extend(self.cluster_words(status.state, cluster));
        // PROTOCOL 6.7, 6.8: the standby's verdict on the active's service.
        if let Some(word) = self.remote.as_ref().and_then(crate::RemoteCheck::word) {
            status.extra.push(word.to_owned());
        }
        status
    }

    /// What member `i` is, as this node's status line names it (PROTOCOL 6.7): this node its
    /// own state word; a witness `witness` while its link is up; another member what it last
    /// said of itself (`unknown` before it said anything, `down` without a link).
    pub fn member_state(&self, i: usize) -> String {
        let own = self.service_status_word();
        self.member_word(i, own)
    }

    /// The extra words of the status line: `round=`, `fencing=`, `witness`, `members=`.
    fn cluster_words(&self, own: State, cluster: bool) -> Vec<String> {
        let mut words = Vec::new();
        words.extend(self.round_word());
        words.extend(self.fencing_word());
        if self.is_witness() {
            words.push("witness".to_owned());
        }
        if cluster {
            let list: Vec<String> = (0..self.config.members.len())
                .map(|i| {
                    format!(
                        "{}:{}",
                        self.config.members[i].name,
                        self.member_word(i, own)
                    )
                })
                .collect();
            words.push(format!("members={}", list.join(",")));
        }
        words
    }

    fn member_word(&self, i: usize, own: State) -> String {
        if i == self.config.me {
            return own.as_str().to_owned();
        }
        let up = self.peer_is_up(i);
        if up && self.config.witnesses.contains(&i) {
            return "witness".to_owned();
        }
        match self.member_states.get(i) {
            Some(PeerState::Up(s)) if up => s.as_str().to_owned(),
            Some(PeerState::Up(_)) | Some(PeerState::Down) | None => "down".to_owned(),
            Some(PeerState::Unknown) if up => "unknown".to_owned(),
            Some(PeerState::Unknown) => "down".to_owned(),
        }
    }

    /// This node's own state word, as its status line starts.
    fn service_status_word(&self) -> State {
        self.status.status().state
    }

    /// Whether this node's member is a witness (votes, never serves).
    pub fn is_witness(&self) -> bool {
        self.config.witnesses.contains(&self.config.me)
    }
}
