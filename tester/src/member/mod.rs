//! `baton conformance member`: the tester plays the other member of a pair against an
//! implementation listening for peer links (PROTOCOL 3, 4, 5, 9).
//!
//! The tests run in an order that drives the implementation through its roles with the
//! protocol alone: those that need it `Negotiating` first (it must have been started with
//! `alone = "wait"` and not have met a peer yet), then `Active`, `Standby` and back; over
//! mutual TLS the identity tests of PROTOCOL 3.4 ([`crate::secure::peer`]) come last.

mod candidate;
mod catalogue;
mod election;
mod links;
mod played;
mod quorum;
mod session;

pub use catalogue::REQUIREMENTS;

/// The requirements of peer links, checked in both modes: framing, hellos, heartbeats.
pub fn link_requirements() -> impl Iterator<Item = &'static Requirement> {
    REQUIREMENTS
        .iter()
        .filter(|r| !r.id.starts_with("election."))
}
pub use candidate::REQUIREMENTS as QUORUM_SERVING_REQUIREMENTS;
pub use played::{Answering, ComponentControl, Played};
pub use quorum::REQUIREMENTS as QUORUM_REQUIREMENTS;
pub use session::{round_seq, Peer};

use crate::report::{Outcome, Report, Requirement};
use crate::transport::Transport;
use baton_codec::Encoding;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::time::Instant;

/// A member of the cluster: its name (the election's `Candidate`) and id (the hello's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Name.
    pub name: String,
    /// Id (digits).
    pub id: String,
}

/// What the tester must know of the implementation under test: its configuration.
#[derive(Debug, Clone)]
pub struct MemberSetup {
    /// Its peer listener.
    pub address: SocketAddr,
    /// The link's encoding rule.
    pub encoding: Encoding,
    /// The largest frame it accepts.
    pub max_frame: usize,
    /// Every member, highest priority first.
    pub members: Vec<Member>,
    /// Which member the implementation is.
    pub iut: usize,
    /// Which member the tester plays.
    pub tester: usize,
    /// Its heartbeat interval.
    pub heartbeat: Duration,
    /// Its dead interval.
    pub dead_interval: Duration,
    /// Its retry back-off.
    pub retry_backoff: Duration,
    /// `preempt`.
    pub preempt: bool,
    /// How long to wait for an answer or a close beyond what the protocol allows.
    pub patience: Duration,
    /// The implementation's linked component, if the tester may play it: then the rows that
    /// need the implementation held `Demoting` or with a failed promotion run too.
    pub component: Option<ComponentControl>,
    /// Quorum mode (PROTOCOL 5.9): its witnesses and voter lease; `None`: a pair.
    pub quorum: Option<QuorumSetup>,
    /// Plain TCP or mutual TLS: with TLS each link the tester opens as a member presents
    /// that member's certificate (PROTOCOL 3.4).
    pub transport: Transport,
}

/// What the tester must know of a quorum cluster besides its members.
#[derive(Debug, Clone)]
pub struct QuorumSetup {
    /// The members configured as witnesses (indexes into `members`).
    pub witnesses: Vec<usize>,
    /// `L_v`, the voter lease.
    pub voter_lease: Duration,
    /// `L_a`, the active lease.
    pub active_lease: Duration,
    /// The renewal period of a serving member.
    pub renew: Duration,
    /// `election_timeout`: after the last lease ends, before rank 0 stands (5.9.5).
    pub election_timeout: Duration,
    /// `stagger`: added per member before this one (5.9.5).
    pub stagger: Duration,
}

impl MemberSetup {
    /// The implementation's member.
    pub fn iut(&self) -> &Member {
        &self.members[self.iut]
    }

    /// The member the tester plays.
    pub fn tester(&self) -> &Member {
        &self.members[self.tester]
    }

    /// Whether the tester outranks the implementation (members are listed highest first).
    pub fn tester_outranks(&self) -> bool {
        self.tester < self.iut
    }
}

/// Runs `test` and records its outcome for `requirement`.
pub async fn check<F: Future<Output = Outcome>>(
    report: &mut Report,
    requirement: &Requirement,
    test: F,
) {
    let start = Instant::now();
    let outcome = test.await;
    report.record(requirement, outcome, start.elapsed());
}

/// Runs every member test against the implementation; the report lists each requirement of
/// [`REQUIREMENTS`] (a pair) or the link requirements, [`QUORUM_REQUIREMENTS`] and
/// [`QUORUM_SERVING_REQUIREMENTS`] (quorum mode) once, then
/// [`crate::secure::peer::REQUIREMENTS`] (skipped over plain TCP).
pub async fn run(setup: &MemberSetup) -> Report {
    let mut report = Report::new("member", &setup.address.to_string());
    links::run(setup, &mut report).await;
    match &setup.quorum {
        Some(q) => {
            let after = quorum::run(setup, q, &mut report).await;
            candidate::run(setup, q, after, &mut report).await;
        }
        None => election::run(setup, &mut report).await,
    }
    crate::secure::peer::run(setup, &mut report).await;
    report
}
