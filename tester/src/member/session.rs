//! A peer link the tester holds as the other member: the hello exchange, the implementation's
//! state (asked with `getStatus` on the link, PROTOCOL 4), its nominations.

use super::MemberSetup;
use crate::transport::Present;
use crate::wire::{Got, KeepAlive, Link};
use baton_asn1::election::{ElectionMessage, ElectionMessageMessage, ElectionResult};
use baton_asn1::monitor::HealthMonitorMessageMessage as Hm;
use baton_asn1::status::ServiceStatusMessageMessage as Sm;
use baton_codec::AnyMessage;
use baton_status::{ServiceStatus, State};
use std::time::Duration;

/// A `"<round> <seq>"` correlationId (PROTOCOL 2.3), read.
pub fn round_seq(id: &str) -> Option<(u64, u64)> {
    let (r, s) = id.split_once(' ')?;
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(r) || !digits(s) {
        return None;
    }
    Some((r.parse().ok()?, s.parse().ok()?))
}

/// The text of an Election message's correlationId.
pub fn election_id(m: &ElectionMessage) -> String {
    baton_election::message::digits(&m.correlation_id)
}

/// An Election answer, read: the kind and its names or description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// `assigment{active, standby}`.
    Assignment(String, String),
    /// `veto{active, standby}`.
    Veto(String, String),
    /// `electionError{description}`.
    Error(String),
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::Assignment(a, s) => write!(f, "assigment{{{a}, {s}}}"),
            Answer::Veto(a, s) => write!(f, "veto{{{a}, {s}}}"),
            Answer::Error(d) => write!(f, "electionError{{{d:?}}}"),
        }
    }
}

/// The answer an Election message carries, if it is one.
pub fn answer_of(m: &ElectionMessage) -> Option<Answer> {
    match &m.message {
        ElectionMessageMessage::electionResult(r) => Some(match r {
            ElectionResult::assigment(a) => {
                Answer::Assignment(a.active.0.clone(), a.standby.0.clone())
            }
            ElectionResult::veto(v) => Answer::Veto(v.active.0.clone(), v.standby.0.clone()),
            ElectionResult::electionError(e) => Answer::Error(e.description.clone()),
        }),
        ElectionMessageMessage::nominationMsg(_) => None,
    }
}

/// An up peer link: hellos exchanged, the tester's heartbeats running while it waits.
pub struct Peer<'a> {
    /// The link.
    pub link: Link,
    /// The setup.
    pub setup: &'a MemberSetup,
    /// The `correlationId` of the implementation's hello.
    pub hello_id: String,
    round: u64,
    seq: u64,
}

impl<'a> Peer<'a> {
    /// Opens a link, sends the tester's hello and waits for the implementation's.
    ///
    /// # Errors
    /// No connection, no hello or a wrong one, as text.
    pub async fn up(setup: &'a MemberSetup) -> Result<Peer<'a>, String> {
        Peer::up_as(setup, setup.tester).await
    }

    /// As [`Peer::up`], the tester speaking as member `who`.
    ///
    /// # Errors
    /// As [`Peer::up`].
    pub async fn up_as(setup: &'a MemberSetup, who: usize) -> Result<Peer<'a>, String> {
        let me = setup.members[who].id.clone();
        let mut link = connect(setup, who).await?;
        let id = link.fresh_id();
        link.send(baton_monitor::heart_beat(
            &id,
            &me,
            baton_monitor::ComponentStatus::ok,
        ))
        .await?;
        let hello = match link
            .wait(setup.patience + setup.heartbeat, is_monitor)
            .await?
        {
            Got::Message(AnyMessage::Monitor(m)) => m,
            Got::Closed => {
                return Err("the implementation closed the link instead of saying hello".into())
            }
            _ => {
                return Err(format!(
                    "no hello within {:?}",
                    setup.patience + setup.heartbeat
                ))
            }
        };
        let said = monitor_text(&hello.component_id.0);
        if !matches!(hello.message, Hm::heartBeat(_)) || said != setup.iut().id {
            return Err(format!(
                "its hello is not a heartBeat naming member id {:?}: {hello:?}",
                setup.iut().id
            ));
        }
        link.keep_alive(Some(KeepAlive {
            id: me,
            every: setup.heartbeat,
        }));
        Ok(Peer {
            link,
            setup,
            hello_id: monitor_text(&hello.correlation_id.0),
            round: 0,
            seq: 0,
        })
    }

    /// The implementation's state word, asked with `getStatus` on the link.
    ///
    /// # Errors
    /// No answer, a closed link or a line that does not parse, as text.
    pub async fn state(&mut self) -> Result<State, String> {
        let id = self.link.fresh_id();
        self.link.send(crate::msg::get_status(&id)).await?;
        let got = self
            .link
            .wait(self.setup.patience, |m| match m {
                AnyMessage::Status(s) => {
                    matches!(s.message, Sm::getStatusResponse(_))
                        && s.correlation_id.0.as_bytes() == id.as_bytes()
                }
                _ => false,
            })
            .await?;
        let AnyMessage::Status(s) = (match got {
            Got::Message(m) => m,
            Got::Closed => return Err("the link closed while asking for the status".into()),
            Got::Timeout => {
                return Err(format!(
                    "getStatus {id:?}: no answer within {:?}",
                    self.setup.patience
                ))
            }
        }) else {
            unreachable!("the wait matched a status message")
        };
        let Sm::getStatusResponse(r) = s.message else {
            unreachable!("the wait matched a getStatusResponse")
        };
        r.status
            .0
            .parse::<ServiceStatus>()
            .map(|s| s.state)
            .map_err(|e| format!("its status line {:?} does not parse: {e}", r.status.0))
    }

    /// Asks the state until it is one of `want`, for up to `within`; the last state seen.
    ///
    /// # Errors
    /// As [`Peer::state`].
    pub async fn until_state(&mut self, want: &[State], within: Duration) -> Result<State, String> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let s = self.state().await?;
            if want.contains(&s) || tokio::time::Instant::now() >= deadline {
                return Ok(s);
            }
            let _ = self.link.wait(Duration::from_millis(20), |_| false).await?;
        }
    }

    /// Sends `nominationMsg{nominee}` with the id `"<round> <seq>"` (fresh seq); the id.
    ///
    /// # Errors
    /// A write error, as text.
    pub async fn nominate(&mut self, nominee: &str) -> Result<String, String> {
        self.seq += 1;
        let id = format!("{} {}", self.round, self.seq);
        self.nominate_with_id(&id, nominee).await?;
        Ok(id)
    }

    /// Sends `nominationMsg{nominee}` with the id given.
    ///
    /// # Errors
    /// A write error, as text.
    pub async fn nominate_with_id(&mut self, id: &str, nominee: &str) -> Result<(), String> {
        self.link
            .send(baton_election::message::nomination(id, nominee))
            .await
    }

    /// Sets the round of the tester's next ids.
    pub fn set_round(&mut self, round: u64) {
        self.round = round;
    }

    /// Waits for the answer echoing `id`; `Ok(None)`: none came.
    ///
    /// # Errors
    /// A closed link or a bad frame, as text.
    pub async fn answer_to(
        &mut self,
        id: &str,
        within: Duration,
    ) -> Result<Option<(String, Answer)>, String> {
        let seq = round_seq(id).map(|(_, s)| s);
        let got = self
            .link
            .wait(within, |m| match m {
                AnyMessage::Election(e) if answer_of(e).is_some() => {
                    let theirs = election_id(e);
                    theirs == id || (seq.is_some() && round_seq(&theirs).map(|(_, s)| s) == seq)
                }
                _ => false,
            })
            .await?;
        match got {
            Got::Message(AnyMessage::Election(e)) => {
                let a = answer_of(&e).expect("the wait matched an answer");
                Ok(Some((election_id(&e), a)))
            }
            Got::Closed => Err("the implementation closed the link instead of answering".into()),
            _ => Ok(None),
        }
    }

    /// Waits for a nomination from the implementation: its id and nominee.
    ///
    /// # Errors
    /// A closed link or a bad frame, as text.
    pub async fn nomination(
        &mut self,
        within: Duration,
    ) -> Result<Option<(String, String)>, String> {
        let got = self
            .link
            .wait(within, |m| {
                matches!(m, AnyMessage::Election(e) if matches!(e.message, ElectionMessageMessage::nominationMsg(_)))
            })
            .await?;
        match got {
            Got::Message(AnyMessage::Election(e)) => {
                let ElectionMessageMessage::nominationMsg(n) = &e.message else {
                    unreachable!("the wait matched a nomination")
                };
                Ok(Some((election_id(&e), n.nominee.0.clone())))
            }
            Got::Closed => Err("the implementation closed the link".into()),
            _ => Ok(None),
        }
    }

    /// Answers with `answer` echoing the seq of `to`, carrying the round `round`.
    ///
    /// # Errors
    /// A write error, as text.
    pub async fn answer(&mut self, to: &str, round: u64, answer: &Answer) -> Result<(), String> {
        let seq = round_seq(to).map_or(0, |(_, s)| s);
        let id = baton_election::message::correlation_id(&format!("{round} {seq}"));
        self.answer_with_id(id, answer).await
    }

    /// Answers with `answer` and exactly the correlationId given.
    ///
    /// # Errors
    /// A write error, as text.
    pub async fn answer_with_id(
        &mut self,
        id: baton_asn1::election::CorrelationId,
        answer: &Answer,
    ) -> Result<(), String> {
        let m = match answer {
            Answer::Assignment(a, s) => baton_election::message::assignment(id, a, s),
            Answer::Veto(a, s) => baton_election::message::veto(id, a, s),
            Answer::Error(d) => baton_election::message::error(id, d),
        };
        self.link.send(m).await
    }

    /// Election answers received so far on this link that echo `id` (its seq, for an id
    /// of the `"<round> <seq>"` form; else the id itself).
    pub fn answers_seen(&self, id: &str) -> usize {
        let seq = round_seq(id).map(|(_, s)| s);
        self.link
            .log
            .iter()
            .filter(|(_, m)| match m {
                AnyMessage::Election(e) if answer_of(e).is_some() => {
                    let theirs = election_id(e);
                    match seq {
                        Some(seq) => round_seq(&theirs).map(|(_, s)| s) == Some(seq),
                        None => theirs == id,
                    }
                }
                _ => false,
            })
            .count()
    }
}

/// Connects to the implementation's peer listener.
///
/// # Errors
/// As [`Link::connect`].
pub async fn connect(setup: &MemberSetup, who: usize) -> Result<Link, String> {
    Link::connect(
        setup.address,
        &setup.transport,
        Present::Member(setup.members[who].name.clone()),
        setup.encoding,
        setup.max_frame,
        setup.patience.max(Duration::from_secs(1)),
    )
    .await
}

fn is_monitor(m: &AnyMessage) -> bool {
    matches!(m, AnyMessage::Monitor(_))
}

/// The text of a NumericString.
pub fn monitor_text(s: &rasn::types::NumericString) -> String {
    String::from_utf8_lossy(s.as_bytes()).into_owned()
}
