//! Replication on the component links of replicating components (PROTOCOL 6.11,
//! *Component links*): the active component's updates, `syncRequest{full}`, the hot standby
//! stream, and the sync before `setRole{active}`.

use super::notice::ReplicationNotice;
use super::{ComponentLink, Side, Waiter};
use crate::close::CloseReason;
use crate::event::LinkKind;
use crate::node::Node;
use baton_asn1::replication as r;
use baton_asn1::role::{Role, RoleMessage, RoleMessageMessage};
use baton_codec::Interface;
use baton_core::{Instant, LinkId};
use baton_replication::{wire, Op, SubmitError};
use baton_role::ComponentRoleState;
use r::{ErrorCode, ReplicationMessageMessage as M};

impl Node {
    /// A replication message on component link `link` (PROTOCOL 6.11): from a registered
    /// component configured with `replication`, `update` and `syncRequest` are served and a
    /// `replicationError` is logged; anything else closes the link.
    pub(crate) fn component_replication(
        &mut self,
        now: Instant,
        link: LinkId,
        m: r::ReplicationMessage,
    ) {
        let Some(id) = self.health.component_on(link).map(str::to_owned) else {
            self.close(now, link, CloseReason::ReplicationBeforeRegistration);
            return;
        };
        let Some(mode) = self.config.replication.mode(&id) else {
            let (interface, kind) = (Interface::Replication, LinkKind::Component);
            self.close(now, link, CloseReason::NotAllowed { interface, kind });
            return;
        };
        self.replication
            .links
            .entry(link)
            .or_insert_with(|| ComponentLink::new(id.clone()));
        let correlation = m.correlation_id;
        match m.message {
            M::update(u) => self.component_update(now, link, &id, mode, correlation, u),
            M::syncRequest(_) => self.answer_sync_request(link, &correlation),
            M::replicationError(e) => {
                self.replication_notice(ReplicationNotice::ComponentRefused {
                    component: id,
                    code: e.code,
                    description: e.description,
                });
            }
            other => {
                let message = super::notice::kind(&other);
                let reason = CloseReason::ReplicationNotFromComponent {
                    component: id,
                    message,
                };
                self.close(now, link, reason);
            }
        }
    }

    /// An `update` of the component `id` on `link`: checked (the component active in this
    /// node's generation, its own application id, numbered after the last one), applied to
    /// the mirror and sent to the standby node, then acknowledged as its mode says.
    fn component_update(
        &mut self,
        now: Instant,
        link: LinkId,
        id: &str,
        mode: crate::ReplicationMode,
        correlation: r::CorrelationId,
        u: r::Update,
    ) {
        let active_here = matches!(
            self.roles.component(id),
            Some((l, ComponentRoleState::Assigned(baton_role::Role::active))) if l == link
        );
        let generation = u.generation.0;
        let sequence = u.sequence_number.0;
        let last = self.replication.links.get(&link).map_or(0, |c| c.last);
        let own = id.as_bytes();
        let refusal = match &self.replication.side {
            Side::Standby(_) => Some((
                ErrorCode::staleGeneration,
                "this node is not active: nothing applied".to_owned(),
            )),
            Side::Active(_) if !active_here => Some((
                ErrorCode::staleGeneration,
                format!("component {id} is not active: nothing applied"),
            )),
            Side::Active(a) if generation < a.active.generation() => Some((
                ErrorCode::staleGeneration,
                format!(
                    "generation {generation} is older than this node's {}: nothing applied",
                    a.active.generation()
                ),
            )),
            Side::Active(a) if generation > a.active.generation() => Some((
                ErrorCode::malformedRequest,
                format!(
                    "generation {generation} is newer than this node's {}",
                    a.active.generation()
                ),
            )),
            Side::Active(_) if u.operations.0.iter().any(|op| app_of(op) != own) => Some((
                ErrorCode::malformedRequest,
                format!("an operation names another application than {id}"),
            )),
            Side::Active(_)
                if octets(&u.operations.0) > self.config.replication.max_update_octets =>
            {
                Some((
                    ErrorCode::malformedRequest,
                    format!(
                        "an update of {} octets of keys and values: more than the {} this node \
                         can forward within its frame size (split it)",
                        octets(&u.operations.0),
                        self.config.replication.max_update_octets
                    ),
                ))
            }
            Side::Active(_) if sequence <= last => Some((
                ErrorCode::outOfSequence,
                format!("sequence number {sequence} is not after {last}"),
            )),
            Side::Active(_) => None,
        };
        if let Some((code, why)) = refusal {
            self.send(link, wire::error(&correlation, code, why));
            return;
        }
        let ops: Vec<Op> = u.operations.0.iter().map(Op::from_wire).collect();
        let Side::Active(a) = &mut self.replication.side else {
            return;
        };
        let node_sequence = match a.active.submit(&ops) {
            Ok(n) => n,
            Err(e) => {
                let code = match e {
                    SubmitError::Full(_) => ErrorCode::repertoryFull,
                    SubmitError::Operations(_) | SubmitError::Key => ErrorCode::malformedRequest,
                };
                self.send(link, wire::error(&correlation, code, e.to_string()));
                return;
            }
        };
        a.submitted(node_sequence, now);
        // An acknowledgement completes the component's updates up to its number: never one
        // while an earlier update still waits (they are released in order).
        // A standby node being synced counts as caught up: it will hold this update once it
        // acknowledges the sync (acknowledged at once from the mirror, the update was lost
        // when the active died before the standby had it, the standby caught up by then).
        let wait = mode == crate::ReplicationMode::Sync
            && ((a.link.is_some() && (a.active.standby_synced() || a.active.sync_under_way()))
                || !a.waiters.is_empty());
        if wait {
            a.waiters.push_back(Waiter {
                node_sequence,
                link,
                correlation: correlation.clone(),
                generation,
                sequence,
            });
        }
        if let Some(c) = self.replication.links.get_mut(&link) {
            c.last = sequence;
        }
        if !wait {
            self.send(link, wire::ack(&correlation, generation, sequence));
        }
        self.drain_active();
    }

    /// Answers `syncRequest` with the application's records (`syncChunk`s, then `syncDone`,
    /// each echoing its `correlationId`), in steps. On a node that is not active the
    /// component is hot from now on: every update the standby node applies for it follows.
    fn answer_sync_request(&mut self, link: LinkId, correlation: &r::CorrelationId) {
        let hot = matches!(self.replication.side, Side::Standby(_));
        let Some(c) = self.replication.links.get_mut(&link) else {
            return;
        };
        c.hot = hot;
        self.start_component_sync(link, Some(correlation.clone()));
    }

    /// An unsolicited sync of component link `link`'s application (fresh correlation ids),
    /// its `syncDone` at the link's stream position, in steps.
    fn push_sync(&mut self, link: LinkId) {
        self.start_component_sync(link, None);
    }

    /// The standby node applied `ops` of `generation`: forwarded to every hot component of
    /// their application, numbered after its stream position.
    pub(crate) fn stream_to_hot(&mut self, generation: u64, ops: &[Op]) {
        let hot: Vec<(LinkId, String)> = self
            .replication
            .links
            .iter()
            .filter(|(_, c)| c.hot)
            .map(|(l, c)| (*l, c.id.clone()))
            .collect();
        for (link, id) in hot {
            let own: Vec<r::Operation> = ops
                .iter()
                .filter(|op| op_app(op) == id.as_bytes())
                .filter_map(Op::to_wire)
                .collect();
            if own.is_empty() {
                continue;
            }
            let correlation = self.replication.next_id();
            let Some(c) = self.replication.links.get_mut(&link) else {
                continue;
            };
            c.stream += 1;
            let update = r::Update::new(
                r::Generation(generation),
                r::SequenceNumber(c.stream),
                r::Operations(own),
            );
            let message = wire::message(&correlation, M::update(update));
            self.send_to_component(link, message.into());
        }
    }

    /// The standby node's repertory was replaced by a sync: every hot component gets its
    /// application's records again.
    pub(crate) fn resync_hot(&mut self) {
        let hot: Vec<LinkId> = self
            .replication
            .links
            .iter()
            .filter(|(_, c)| c.hot)
            .map(|(l, _)| *l)
            .collect();
        for link in hot {
            self.push_sync(link);
        }
    }

    /// A Role message for component link `link`: a `setRole{active}` to a replicating
    /// component that is not hot is preceded by a sync of its application's records from the
    /// mirror (PROTOCOL 6.11, *Promotion*); a hot one stops being streamed.
    pub(crate) fn send_role(&mut self, link: LinkId, message: RoleMessage) {
        let activating =
            matches!(&message.message, RoleMessageMessage::setRole(s) if s.role == Role::active);
        if activating && matches!(self.replication.side, Side::Active(_)) {
            let id = self.health.component_on(link).map(str::to_owned);
            if let Some(id) = id.filter(|id| self.config.replication.mode(id).is_some()) {
                let c = self
                    .replication
                    .links
                    .entry(link)
                    .or_insert_with(|| ComponentLink::new(id));
                // A sync under way is its records: the setRole waits behind it, and behind
                // the sync owed after it (`again`: a hot component's repertory was replaced
                // while it went out, its first chunks are of the old one).
                let under_way = c.outgoing.is_some();
                if std::mem::take(&mut c.hot) || under_way {
                    // Streamed every update the standby node applied, or being sent them.
                } else {
                    self.push_sync(link);
                }
            }
        }
        self.send_to_component(link, message.into());
    }
}

/// The octets of keys and values of `ops`.
fn octets(ops: &[r::Operation]) -> usize {
    ops.iter()
        .map(|op| {
            let (k, v) = match op {
                r::Operation::add(e) | r::Operation::modify(e) => (&e.record_key, e.value.0.len()),
                r::Operation::delete(k) => (k, 0),
            };
            k.application_id.0.as_bytes().len() + k.data_type.0.as_bytes().len() + k.key.0.len() + v
        })
        .sum()
}

/// The application id an operation names.
fn app_of(op: &r::Operation) -> &[u8] {
    match op {
        r::Operation::add(e) | r::Operation::modify(e) => e.record_key.application_id.0.as_bytes(),
        r::Operation::delete(k) => k.application_id.0.as_bytes(),
    }
}

/// The application id of a repertory operation.
fn op_app(op: &Op) -> &[u8] {
    match op {
        Op::Add(k, _) | Op::Modify(k, _) => &k.application_id,
        Op::Delete(k) => &k.application_id,
    }
}
