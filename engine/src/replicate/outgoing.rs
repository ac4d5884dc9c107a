//! Syncs in steps (PROTOCOL 6.11): the active's full sync to the standby node, and the syncs
//! of one application's records to a component (the answer to its `syncRequest`, a hot
//! standby's new copy, the records before `setRole{active}`), each [`super::SYNC_STEP`]
//! chunks a step. A step is a timer due at once (`sync_due`): between two, the node takes
//! every other input and runs every other timer. A component's sync reads the repertory as
//! it is at each step; the stream updates and the `setRole` for that component wait behind
//! its `syncDone` (each operation stores or removes a whole value: applied again on top of a
//! chunk that already holds it, the copy ends the same).

use super::{Side, SYNC_STEP};
use crate::node::Node;
use baton_asn1::replication as r;
use baton_codec::AnyMessage;
use baton_core::{Instant, LinkId};
use baton_replication::{wire, Key};
use r::ReplicationMessageMessage as M;

/// A component's sync under way.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    /// The last key sent.
    after: Option<Key>,
    generation: u64,
    /// The `syncDone`'s sequence number (the link's stream position, or the component's last
    /// update, at the start).
    sequence: u64,
    /// Entries sent so far.
    count: u64,
    /// The request's correlation id, echoed by every message; `None`: fresh ids.
    echo: Option<r::CorrelationId>,
}

impl Node {
    /// Starts a sync of component link `link`'s application records, its `syncDone` at the
    /// link's position (the stream's for a hot component, else its last update), echoing
    /// `echo` (or with fresh ids); its first step goes at once. With a sync under way there,
    /// the new one follows it (a component never sees the chunks of two syncs mixed).
    pub(crate) fn start_component_sync(&mut self, link: LinkId, echo: Option<r::CorrelationId>) {
        let generation = self.replication.generation();
        let Some(c) = self.replication.links.get_mut(&link) else {
            return;
        };
        if c.outgoing.is_some() {
            c.again = Some(echo);
            return;
        }
        let sequence = if c.hot { c.stream } else { c.last };
        c.outgoing = Some(Outgoing {
            after: None,
            generation,
            sequence,
            count: 0,
            echo,
        });
        self.step_component_sync(link);
    }

    /// Sends `message` to component link `link`, or holds it behind the sync under way there.
    pub(crate) fn send_to_component(&mut self, link: LinkId, message: AnyMessage) {
        match self.replication.links.get_mut(&link) {
            Some(c) if c.outgoing.is_some() => c.held.push(message),
            _ => self.send(link, message),
        }
    }

    /// The next chunks of the sync under way on `link`; at its end the `syncDone` and what
    /// waited behind it.
    fn step_component_sync(&mut self, link: LinkId) {
        for _ in 0..SYNC_STEP {
            let rep = &mut self.replication;
            let Some(c) = rep.links.get_mut(&link) else {
                return;
            };
            let Some(mut o) = c.outgoing.take() else {
                return;
            };
            let app = c.id.clone().into_bytes();
            let records = match &o.after {
                None => rep.repertory().after(None),
                Some(k) => rep.repertory().after(Some(k)),
            };
            let mine = records
                .skip_while(|(k, _)| k.application_id < app)
                .take_while(|(k, _)| k.application_id == app);
            let (entries, last) = baton_replication::next_chunk(mine, 64, rep.chunk_octets);
            let id = match &o.echo {
                Some(id) => id.clone(),
                None => rep.next_id(),
            };
            let Some(last) = last else {
                let done = wire::message(
                    &id,
                    M::syncDone(r::SyncDone::new(
                        r::Generation(o.generation),
                        r::SequenceNumber(o.sequence),
                        r::EntryCount(u32::try_from(o.count).unwrap_or(u32::MAX)),
                    )),
                );
                let (held, again) = rep
                    .links
                    .get_mut(&link)
                    .map(|c| (std::mem::take(&mut c.held), c.again.take()))
                    .unwrap_or_default();
                self.send(link, done);
                // With another sync owed, the Role messages (a `setRole{active}`) wait behind
                // its `syncDone` too: this sync's copy may mix two repertories (PROTOCOL 6.11,
                // *Promotion*). The stream updates go now, numbered after this `syncDone`.
                let (roles, rest): (Vec<_>, Vec<_>) = held
                    .into_iter()
                    .partition(|m| again.is_some() && matches!(m, AnyMessage::Role(_)));
                for m in rest {
                    self.send(link, m);
                }
                if let Some(c) = self.replication.links.get_mut(&link) {
                    c.held = roles;
                }
                if let Some(echo) = again {
                    self.start_component_sync(link, echo);
                }
                return;
            };
            o.after = Some(last);
            o.count += entries.len() as u64;
            let generation = o.generation;
            if let Some(c) = rep.links.get_mut(&link) {
                c.outgoing = Some(o);
            }
            if !entries.is_empty() {
                let chunk = M::syncChunk(r::SyncChunk::new(
                    r::Generation(generation),
                    r::Entries(entries),
                ));
                self.send(link, wire::message(&id, chunk));
            }
        }
    }

    /// Timers due at `now`: the next step of every sync under way.
    pub(crate) fn step_replication_sync(&mut self, now: Instant) {
        if self.replication.sync_due.is_none_or(|due| due > now) {
            return;
        }
        if let Side::Active(a) = &mut self.replication.side {
            a.active.step_sync();
        }
        self.drain_active();
        let under_way: Vec<LinkId> = self
            .replication
            .links
            .iter()
            .filter(|(_, c)| c.outgoing.is_some())
            .map(|(l, _)| *l)
            .collect();
        for link in under_way {
            self.step_component_sync(link);
        }
    }

    /// At the end of every input: a step is due at once while any sync is under way.
    pub(crate) fn refresh_sync_due(&mut self, now: Instant) {
        let active = matches!(&self.replication.side, Side::Active(a) if a.active.is_syncing());
        let components = self
            .replication
            .links
            .values()
            .any(|c| c.outgoing.is_some());
        self.replication.sync_due = (active || components).then_some(now);
    }
}
