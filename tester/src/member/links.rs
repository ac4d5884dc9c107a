//! Framing, hello and heartbeat tests on peer links (PROTOCOL 3.1, 3.2, 4, 9). Each test
//! opens its own links; none leaves one open.

use super::catalogue::*;
use super::session::{connect, monitor_text, Peer};
use super::{check, MemberSetup};
use crate::malformed;
use crate::report::{Outcome, Report};
use crate::wire::{Got, KeepAlive, Link};
use baton_asn1::monitor::HealthMonitorMessageMessage as Hm;
use baton_asn1::status::ServiceStatusMessageMessage as Sm;
use baton_codec::{AnyMessage, Interface};
use baton_monitor::ComponentStatus;
use std::time::Duration;
use tokio::time::Instant;

/// Runs the link tests in order.
pub(super) async fn run(s: &MemberSetup, report: &mut Report) {
    check(report, &FRAME_LAYOUT, frame_layout(s)).await;
    check(report, &FRAME_OVERSIZE, refused(s, &oversize(s))).await;
    check(report, &FRAME_EMPTY, refused(s, &[0, 0, 0, 0])).await;
    check(report, &FRAME_INTERFACE, async {
        for id in [0u8, 6] {
            if let Outcome::Fail(why) = refused(s, &[0, 0, 0, 2, id, 0]).await {
                return Outcome::Fail(format!("interface id {id}: {why}"));
            }
        }
        Outcome::Pass
    })
    .await;
    check(report, &FRAME_UNDECODABLE, vectors(s, false)).await;
    check(report, &FRAME_CONSTRAINT, vectors(s, true)).await;
    check(report, &HELLO_AT_ONCE, hello_at_once(s)).await;
    check(report, &HELLO_FIRST, hello_first(s)).await;
    check(report, &HELLO_NOT_HEARTBEAT, async {
        let q = baton_monitor::health_query("7", &s.tester().id);
        refused_message(s, q.into(), false).await
    })
    .await;
    check(report, &HELLO_SELF, async {
        let hb = baton_monitor::heart_beat("7", &s.iut().id, ComponentStatus::ok);
        refused_message(s, hb.into(), false).await
    })
    .await;
    check(report, &HELLO_UNKNOWN, async {
        let hb = baton_monitor::heart_beat("7", &unknown_id(s), ComponentStatus::ok);
        refused_message(s, hb.into(), false).await
    })
    .await;
    check(report, &HELLO_NONE, hello_none(s)).await;
    check(report, &HELLO_ELECTION_FIRST, async {
        let n = baton_election::message::nomination("0 1", &s.tester().name);
        refused_message(s, n.into(), false).await
    })
    .await;
    check(report, &PEER_ROLE, async {
        let r = crate::msg::set_role("7", baton_asn1::role::Role::standby);
        refused_message(s, r.into(), true).await
    })
    .await;
    check(report, &PEER_GET_STATUS, get_status(s)).await;
    check(report, &HELLO_DUPLICATE, duplicate(s)).await;
    check(report, &BEAT_INTERVAL, beats(s, false)).await;
    check(report, &BEAT_FRESH, beats(s, true)).await;
    check(report, &BEAT_QUERY, query_answered(s)).await;
    check(report, &BEAT_QUERY_LIFE, kept_alive_by(s, Life::Query)).await;
    check(report, &BEAT_DEAD, dead_interval(s)).await;
    check(report, &BEAT_OTHER_ID, kept_alive_by(s, Life::OtherId)).await;
    check(
        report,
        &BEAT_NOT_ELECTION,
        kept_alive_by(s, Life::StatusOnly),
    )
    .await;
}

/// How long a refusal may take: the patience (the node closes at once).
fn close_bound(s: &MemberSetup) -> Duration {
    s.patience
}

/// A member id no member has.
fn unknown_id(s: &MemberSetup) -> String {
    let mut id = String::from("9");
    while s.members.iter().any(|m| m.id == id) || id.len() < 4 {
        id.push('9');
    }
    id
}

fn oversize(s: &MemberSetup) -> Vec<u8> {
    let l = u32::try_from(s.max_frame + 1).unwrap_or(u32::MAX);
    let mut out = l.to_be_bytes().to_vec();
    out.extend_from_slice(&[Interface::Monitor as u8, 0x30, 0x00]);
    out
}

/// Sends `bytes` as the first bytes on a fresh link: the link must close.
async fn refused(s: &MemberSetup, bytes: &[u8]) -> Outcome {
    let mut link = match connect(s, s.tester).await {
        Ok(l) => l,
        Err(e) => return Outcome::Skip(e),
    };
    if let Err(e) = link.send_raw(bytes).await {
        // The implementation may close before reading all: a close is what we want.
        let _ = e;
    }
    closes(&mut link, close_bound(s), "").await
}

async fn closes(link: &mut Link, within: Duration, what: &str) -> Outcome {
    match link.closed_within(within).await {
        Some(_) => Outcome::Pass,
        None => Outcome::Fail(format!("{what}the link is still open {within:?} later")),
    }
}

/// Sends `message` first (`after_hello`: after the tester's hello and the implementation's):
/// the link must close.
async fn refused_message(s: &MemberSetup, message: AnyMessage, after_hello: bool) -> Outcome {
    if after_hello {
        let mut peer = match Peer::up(s).await {
            Ok(p) => p,
            Err(e) => return Outcome::Fail(e),
        };
        if let Err(e) = peer.link.send(message).await {
            return Outcome::Fail(e);
        }
        return closes(&mut peer.link, close_bound(s), "").await;
    }
    let mut link = match connect(s, s.tester).await {
        Ok(l) => l,
        Err(e) => return Outcome::Skip(e),
    };
    let _ = link.send(message).await;
    closes(&mut link, close_bound(s), "").await
}

/// Every malformed vector of the link's rule for the interfaces a peer link carries:
/// `constraints` the SIZE and alphabet ones, else the others. Each on its own up link.
async fn vectors(s: &MemberSetup, constraints: bool) -> Outcome {
    let cases = malformed::peer_link_cases(s.encoding, constraints);
    if cases.is_empty() {
        return Outcome::Skip(format!(
            "no malformed vector of this kind for the rule {}",
            s.encoding.name()
        ));
    }
    for case in &cases {
        let mut peer = match Peer::up(s).await {
            Ok(p) => p,
            Err(e) => return Outcome::Fail(format!("{}: {e}", case.name)),
        };
        let _ = peer.link.send_raw(&case.frame).await;
        if let Outcome::Fail(why) = closes(&mut peer.link, close_bound(s), "").await {
            return Outcome::Fail(format!("{} ({}): {why}", case.name, case.description));
        }
    }
    Outcome::Pass
}

/// The hello's raw frame: the layout of PROTOCOL 3.2, decoding in the link's rule.
async fn frame_layout(s: &MemberSetup) -> Outcome {
    let mut link = match connect(s, s.tester).await {
        Ok(l) => l,
        Err(e) => return Outcome::Skip(e),
    };
    let bytes = match link.raw_frame(s.patience + s.heartbeat).await {
        Ok(b) => b,
        Err(e) => return Outcome::Fail(e),
    };
    let l = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    if l != bytes.len() - 4 || l == 0 {
        return Outcome::Fail(format!("L = {l} for a frame of {} bytes", bytes.len()));
    }
    let Some(interface) = Interface::from_id(bytes[4]) else {
        return Outcome::Fail(format!("interface id {} is not 1 to 5", bytes[4]));
    };
    match AnyMessage::decode(interface, s.encoding, &bytes[5..]) {
        Ok(AnyMessage::Monitor(_)) => Outcome::Pass,
        Ok(m) => Outcome::Fail(format!(
            "the first frame is no HealthMonitor message: {m:?}"
        )),
        Err(e) => Outcome::Fail(format!(
            "the first frame does not decode in {}: {e}",
            s.encoding.name()
        )),
    }
}

async fn hello_at_once(s: &MemberSetup) -> Outcome {
    let mut link = match connect(s, s.tester).await {
        Ok(l) => l,
        Err(e) => return Outcome::Skip(e),
    };
    // The tester says nothing: the hello must come anyway, well inside the dead interval.
    match link
        .wait(s.dead_interval, |m| matches!(m, AnyMessage::Monitor(_)))
        .await
    {
        Ok(Got::Message(_)) => Outcome::Pass,
        Ok(Got::Closed) => Outcome::Fail("the link closed without a hello".into()),
        Ok(Got::Timeout) => Outcome::Fail(format!(
            "no hello within the dead interval ({:?}) while the tester said nothing",
            s.dead_interval
        )),
        Err(e) => Outcome::Fail(e),
    }
}

async fn hello_first(s: &MemberSetup) -> Outcome {
    let mut link = match connect(s, s.tester).await {
        Ok(l) => l,
        Err(e) => return Outcome::Skip(e),
    };
    let id = link.fresh_id();
    let _ = link
        .send(baton_monitor::heart_beat(
            &id,
            &s.tester().id,
            ComponentStatus::ok,
        ))
        .await;
    match link.wait(s.patience + s.heartbeat, |_| true).await {
        Ok(Got::Message(AnyMessage::Monitor(m))) => {
            let said = monitor_text(&m.component_id.0);
            match &m.message {
                Hm::heartBeat(hb) if said == s.iut().id => {
                    if hb.bill_of_health.status != ComponentStatus::ok {
                        return Outcome::Fail(format!(
                            "the hello's status is {:?}, not ok",
                            hb.bill_of_health.status
                        ));
                    }
                    Outcome::Pass
                }
                Hm::heartBeat(_) => Outcome::Fail(format!(
                    "the hello names {said:?}, not the member id {:?}",
                    s.iut().id
                )),
                other => Outcome::Fail(format!("the first frame is not a heartBeat: {other:?}")),
            }
        }
        Ok(Got::Message(m)) => Outcome::Fail(format!("the first frame is no heartBeat: {m:?}")),
        Ok(Got::Closed) => Outcome::Fail("the link closed without a hello".into()),
        Ok(Got::Timeout) => Outcome::Fail("no frame came".into()),
        Err(e) => Outcome::Fail(e),
    }
}

async fn hello_none(s: &MemberSetup) -> Outcome {
    let mut link = match connect(s, s.tester).await {
        Ok(l) => l,
        Err(e) => return Outcome::Skip(e),
    };
    let start = Instant::now();
    match link.closed_within(s.dead_interval + s.patience).await {
        Some(_) if start.elapsed() < s.dead_interval / 2 => Outcome::Fail(format!(
            "closed after {:?}, well before the dead interval ({:?})",
            start.elapsed(),
            s.dead_interval
        )),
        Some(_) => Outcome::Pass,
        None => Outcome::Fail(format!(
            "the link without a hello is still open {:?} after it opened (dead interval {:?})",
            start.elapsed(),
            s.dead_interval
        )),
    }
}

async fn get_status(s: &MemberSetup) -> Outcome {
    let mut peer = match Peer::up(s).await {
        Ok(p) => p,
        Err(e) => return Outcome::Fail(e),
    };
    // An id with a leading zero and a space: echoed byte for byte (PROTOCOL 2.3).
    let id = "0042 7";
    if let Err(e) = peer.link.send(crate::msg::get_status(id)).await {
        return Outcome::Fail(e);
    }
    let got = peer
        .link
        .wait(s.patience, |m| {
            matches!(m, AnyMessage::Status(st) if matches!(st.message, Sm::getStatusResponse(_)))
        })
        .await;
    match got {
        Ok(Got::Message(AnyMessage::Status(st))) => {
            let echoed = String::from_utf8_lossy(st.correlation_id.0.as_bytes()).into_owned();
            if echoed != id {
                return Outcome::Fail(format!("answered with the id {echoed:?}, not {id:?}"));
            }
            match peer.state().await {
                Ok(_) => Outcome::Pass,
                Err(e) => Outcome::Fail(e),
            }
        }
        Ok(Got::Closed) => Outcome::Fail("the link closed".into()),
        Ok(_) => Outcome::Fail(format!("no getStatusResponse within {:?}", s.patience)),
        Err(e) => Outcome::Fail(e),
    }
}

/// A link up and heard for more than a dead interval; a second hello of the same member on a
/// new link must be refused while the first stays.
async fn duplicate(s: &MemberSetup) -> Outcome {
    let mut first = match Peer::up(s).await {
        Ok(p) => p,
        Err(e) => return Outcome::Fail(e),
    };
    // Settle: heard for one and a half dead intervals.
    if let Err(e) = first.link.wait(s.dead_interval * 3 / 2, |_| false).await {
        return Outcome::Fail(e);
    }
    let mut second = match connect(s, s.tester).await {
        Ok(l) => l,
        Err(e) => return Outcome::Fail(e),
    };
    let id = second.fresh_id();
    let _ = second
        .send(baton_monitor::heart_beat(
            &id,
            &s.tester().id,
            ComponentStatus::ok,
        ))
        .await;
    second.keep_alive(Some(KeepAlive {
        id: s.tester().id.clone(),
        every: s.heartbeat,
    }));
    // Both links are fed: the settled one by the tester's heartbeats in between.
    let deadline = Instant::now() + s.dead_interval * 2 + s.patience;
    loop {
        match second.wait(s.heartbeat / 2, |_| false).await {
            Ok(Got::Closed) => break,
            Err(_) => break,
            _ => {}
        }
        match first.link.wait(s.heartbeat / 2, |_| false).await {
            Ok(Got::Closed) => {
                return Outcome::Fail("the settled link was closed, not the new one".into())
            }
            Err(e) => return Outcome::Fail(e),
            _ => {}
        }
        if Instant::now() >= deadline {
            return Outcome::Fail(format!(
                "the new link is still open {:?} after its hello",
                s.dead_interval * 2 + s.patience
            ));
        }
    }
    match first.state().await {
        Ok(_) => Outcome::Pass,
        Err(e) => Outcome::Fail(format!("the settled link after the refusal: {e}")),
    }
}

/// The implementation's heartbeats over two dead intervals: each names it, says ok, and (with
/// `fresh`) carries an id not used before; no gap reaches the dead interval.
async fn beats(s: &MemberSetup, fresh: bool) -> Outcome {
    let mut peer = match Peer::up(s).await {
        Ok(p) => p,
        Err(e) => return Outcome::Fail(e),
    };
    let start = Instant::now();
    let mut last = start;
    let mut ids = vec![peer.hello_id.clone()];
    let mut worst = Duration::ZERO;
    while start.elapsed() < s.dead_interval * 3 {
        let got = peer
            .link
            .wait(
                s.dead_interval,
                |m| matches!(m, AnyMessage::Monitor(h) if matches!(h.message, Hm::heartBeat(_))),
            )
            .await;
        let m = match got {
            Ok(Got::Message(AnyMessage::Monitor(m))) => m,
            Ok(Got::Closed) => return Outcome::Fail("the link closed".into()),
            Ok(_) => {
                return Outcome::Fail(format!(
                    "no heartBeat for the dead interval ({:?})",
                    s.dead_interval
                ))
            }
            Err(e) => return Outcome::Fail(e),
        };
        worst = worst.max(last.elapsed());
        last = Instant::now();
        let said = monitor_text(&m.component_id.0);
        if said != s.iut().id {
            return Outcome::Fail(format!("a heartBeat names {said:?}, not {:?}", s.iut().id));
        }
        if let Hm::heartBeat(hb) = &m.message {
            if hb.bill_of_health.status != ComponentStatus::ok {
                return Outcome::Fail(format!("a heartBeat says {:?}", hb.bill_of_health.status));
            }
        }
        let id = monitor_text(&m.correlation_id.0);
        if fresh && ids.contains(&id) {
            return Outcome::Fail(format!("the correlationId {id:?} came twice"));
        }
        ids.push(id);
    }
    if worst >= s.dead_interval {
        return Outcome::Fail(format!("heartBeats {worst:?} apart"));
    }
    Outcome::Pass
}

async fn query_answered(s: &MemberSetup) -> Outcome {
    let mut peer = match Peer::up(s).await {
        Ok(p) => p,
        Err(e) => return Outcome::Fail(e),
    };
    let id = "0077";
    let q = baton_monitor::health_query(id, &s.tester().id);
    if let Err(e) = peer.link.send(q).await {
        return Outcome::Fail(e);
    }
    let got = peer
        .link
        .wait(s.patience, |m| {
            matches!(m, AnyMessage::Monitor(h) if matches!(h.message, Hm::healthQueryResponse(_)))
        })
        .await;
    match got {
        Ok(Got::Message(AnyMessage::Monitor(m))) => {
            let echoed = monitor_text(&m.correlation_id.0);
            let Hm::healthQueryResponse(r) = &m.message else {
                unreachable!("the wait matched a response")
            };
            if echoed != id {
                Outcome::Fail(format!("the answer's id is {echoed:?}, not {id:?}"))
            } else if r.bill_of_health.status != ComponentStatus::ok {
                Outcome::Fail(format!("answered {:?}, not ok", r.bill_of_health.status))
            } else {
                Outcome::Pass
            }
        }
        Ok(Got::Closed) => Outcome::Fail("the link closed".into()),
        Ok(_) => Outcome::Fail(format!("no healthQueryResponse within {:?}", s.patience)),
        Err(e) => Outcome::Fail(e),
    }
}

/// What the tester sends, after the hello, instead of its heartbeats.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Life {
    /// `healthQuery`s: a sign of life, the link must stay up.
    Query,
    /// `heartBeat`s naming the implementation's own id: none, the link must close.
    OtherId,
    /// `getStatus` only: none, the link must close.
    StatusOnly,
}

async fn kept_alive_by(s: &MemberSetup, life: Life) -> Outcome {
    let mut peer = match Peer::up(s).await {
        Ok(p) => p,
        Err(e) => return Outcome::Fail(e),
    };
    peer.link.keep_alive(None);
    let start = Instant::now();
    let span = s.dead_interval * 2 + s.patience;
    let mut n = 0u32;
    while start.elapsed() < span {
        n += 1;
        let id = format!("{}", 500 + n);
        let m: AnyMessage = match life {
            Life::Query => baton_monitor::health_query(&id, &s.tester().id).into(),
            Life::OtherId => {
                baton_monitor::heart_beat(&id, &unknown_id(s), ComponentStatus::ok).into()
            }
            Life::StatusOnly => crate::msg::get_status(&id).into(),
        };
        let _ = peer.link.send(m).await;
        match peer.link.wait(s.heartbeat / 2, |_| false).await {
            Ok(Got::Closed) | Err(_) => {
                return if life == Life::Query {
                    Outcome::Fail(format!(
                        "the link closed after {:?} though healthQuery came every {:?}",
                        start.elapsed(),
                        s.heartbeat / 2
                    ))
                } else if start.elapsed() + s.heartbeat < s.dead_interval {
                    Outcome::Fail(format!("the link closed after only {:?}", start.elapsed()))
                } else {
                    Outcome::Pass
                };
            }
            _ => {}
        }
    }
    if life == Life::Query {
        Outcome::Pass
    } else {
        Outcome::Fail(format!(
            "the link is still open {span:?} later: these messages were taken for signs of life"
        ))
    }
}

async fn dead_interval(s: &MemberSetup) -> Outcome {
    let mut peer = match Peer::up(s).await {
        Ok(p) => p,
        Err(e) => return Outcome::Fail(e),
    };
    peer.link.keep_alive(None);
    let start = Instant::now();
    match peer.link.closed_within(s.dead_interval + s.patience).await {
        Some(t) if t + s.heartbeat < s.dead_interval => Outcome::Fail(format!(
            "closed after {t:?}, before the dead interval ({:?})",
            s.dead_interval
        )),
        Some(_) => Outcome::Pass,
        None => Outcome::Fail(format!(
            "the silent link is still open {:?} after the tester's last frame",
            start.elapsed()
        )),
    }
}
