//! `baton conformance node`: the tester is a linked component of the implementation (a node)
//! and checks the node's side of the component link: registration, the link notices, health
//! queries, `setRole` and its answers, refusals (PROTOCOL 1.5, 2.3, 6.1, 6.4, 6.9, 9).
//!
//! The node must list the tester's component id in its configuration, and should be started
//! alone (it promotes after its startup wait and sets the tester `active`).

use crate::member::check;
use crate::report::{Outcome, Report};
use crate::transport::{Present, Transport};
use crate::wire::{Got, KeepAlive, Link};
use baton_asn1::monitor::HealthMonitorMessageMessage as Hm;
use baton_asn1::role::{ReturnCode, Role, RoleMessageMessage as Rm};
use baton_asn1::status::ServiceStatusMessageMessage as Sm;
use baton_codec::{AnyMessage, Encoding};
use baton_monitor::{ComponentStatus, LinkNotice, NodeTimer};
use baton_status::{ServiceStatus, State};
use std::path::PathBuf;
use std::time::Duration;

/// Where the node's component listener is.
#[derive(Debug, Clone)]
pub enum Address {
    /// A TCP listener.
    Tcp(std::net::SocketAddr),
    /// A Unix socket.
    Unix(PathBuf),
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Address::Tcp(a) => write!(f, "{a}"),
            Address::Unix(p) => write!(f, "{}", p.display()),
        }
    }
}

/// What the tester must know of the node.
#[derive(Debug, Clone)]
pub struct NodeSetup {
    /// Its component listener.
    pub address: Address,
    /// The link's encoding rule.
    pub encoding: Encoding,
    /// The largest frame it accepts.
    pub max_frame: usize,
    /// A component id its configuration lists (the tester registers as it).
    pub component: String,
    /// How long until the node, alone, promotes and sends `setRole{active}` (its startup wait).
    pub startup_wait: Duration,
    /// How often the tester sends its heartbeats.
    pub heartbeat: Duration,
    /// How long to wait for an answer or a close beyond what the protocol allows.
    pub patience: Duration,
    /// Plain TCP or mutual TLS (a TCP component listener only).
    pub transport: Transport,
}

requirements! {
    "Every requirement of the node suite, in the order the tests run.";
    FRAMING = "node.framing-refused", "3.1, 9", Must,
        "on a component link, a declared L over the limit, L = 0 or an interface id of 0 or 6 closes it";
    ELECTION_CLOSES = "node.election-closes", "1.5, 9", Must,
        "an Election message from a component closes its link";
    UNKNOWN_ID = "node.unknown-id", "6.9", Must,
        "a registration with an unlisted id is told \"0 2\", then the link is closed";
    FIRST_NOT_HEARTBEAT = "node.first-not-heartbeat-ignored", "9", Must,
        "a first component message that is not a heartBeat is ignored; the link stays";
    NOTICES_FIRST = "node.notices-first", "6.9", Must,
        "after registration the four timer notices \"0 3\" to \"0 6\" come in order, once, before any setRole";
    QUERIES = "node.health-queries", "6.4, 2.3", Must,
        "the node asks the component's health (healthQuery to its id) with ids that are no notices";
    GET_STATUS = "node.get-status", "1.5, 6.5", Must,
        "a getStatus on a component link is answered";
    SET_ROLE_FORM = "node.set-role-id-form", "2.3", Must,
        "the node's setRole ids are \"<round> <seq>\"";
    ANSWER_COUNTS = "node.set-role-answer-counts", "6.1", Must,
        "a setRole{active} answered success completes the promotion: the node serves";
    STALE_RESPONSE = "node.stale-response-ignored", "9", Must,
        "a setRoleResponse with an unknown id is ignored; the link stays";
    REREGISTRATION = "node.reregistration", "9, 6.9", Must,
        "a registration on a new link closes the old one; the new link gets the notices, then the current role";
    LEAVE = "node.leave", "6.9", Must,
        "a heartBeat \"0 0\" (leave) unregisters the component: the node closes its link";
}

async fn connect(s: &NodeSetup) -> Result<Link, String> {
    let within = s.patience.max(Duration::from_secs(1));
    match &s.address {
        Address::Tcp(a) => {
            let own = Present::Own;
            Link::connect(*a, &s.transport, own, s.encoding, s.max_frame, within).await
        }
        Address::Unix(p) => Link::connect_unix(p, s.encoding, s.max_frame, within).await,
    }
}

fn text(s: &rasn::types::NumericString) -> String {
    String::from_utf8_lossy(s.as_bytes()).into_owned()
}

fn outcome(r: Result<(), String>) -> Outcome {
    match r {
        Ok(()) => Outcome::Pass,
        Err(e) => Outcome::Fail(e),
    }
}

/// A registered component link: the tester's registration sent, queries answered,
/// heartbeats running.
async fn register(s: &NodeSetup, id: &str) -> Result<Link, String> {
    let mut link = connect(s).await?;
    let cid = link.fresh_id();
    link.send(baton_monitor::heart_beat(&cid, id, ComponentStatus::ok))
        .await?;
    link.answer_queries(Some(id.to_owned()));
    link.keep_alive(Some(KeepAlive {
        id: id.to_owned(),
        every: s.heartbeat,
    }));
    Ok(link)
}

/// What the node sent on a link, in order, read: a notice, another query, or a setRole.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Notice(LinkNotice),
    Query(String),
    SetRole(String, Role),
}

fn seen(m: &AnyMessage) -> Option<Seen> {
    match m {
        AnyMessage::Monitor(h) if matches!(h.message, Hm::healthQuery(_)) => {
            let id = text(&h.correlation_id.0);
            Some(match LinkNotice::parse(&id) {
                Some(n) => Seen::Notice(n),
                None => Seen::Query(id),
            })
        }
        AnyMessage::Role(r) => match &r.message {
            Rm::setRole(sr) => Some(Seen::SetRole(text(&r.correlation_id.0), sr.role)),
            Rm::setRoleResponse(_) => None,
        },
        _ => None,
    }
}

/// Reads until a setRole came (or `within` passed); everything seen, in order.
async fn until_set_role(link: &mut Link, within: Duration) -> Result<Vec<Seen>, String> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match link.wait(left, |m| seen(m).is_some()).await? {
            Got::Message(m) => {
                let s = seen(&m).expect("the wait matched");
                let done = matches!(s, Seen::SetRole(..));
                out.push(s);
                if done {
                    return Ok(out);
                }
            }
            Got::Closed => return Err(format!("the link closed; seen: {out:?}")),
            Got::Timeout => return Ok(out),
        }
    }
}

/// The four timer notices in order, once each, before the first setRole.
fn notices_first(seen: &[Seen]) -> Result<(), String> {
    let timers: Vec<NodeTimer> = seen
        .iter()
        .filter_map(|s| match s {
            Seen::Notice(LinkNotice::Timer(t, _)) => Some(*t),
            _ => None,
        })
        .collect();
    if timers != NodeTimer::ALL {
        return Err(format!(
            "timer notices {timers:?}, not {:?} once each; seen: {seen:?}",
            NodeTimer::ALL
        ));
    }
    let last_notice = seen.iter().rposition(|s| matches!(s, Seen::Notice(_)));
    let first_role = seen.iter().position(|s| matches!(s, Seen::SetRole(..)));
    match (last_notice, first_role) {
        (Some(n), Some(r)) if r < n => Err(format!("a setRole came before the notices: {seen:?}")),
        _ => Ok(()),
    }
}

/// The node's status word, asked on `link`.
async fn state(link: &mut Link, patience: Duration) -> Result<State, String> {
    let id = link.fresh_id();
    link.send(crate::msg::get_status(&id)).await?;
    match link
        .wait(patience, |m| {
            matches!(m, AnyMessage::Status(st) if matches!(st.message, Sm::getStatusResponse(_))
                && st.correlation_id.0.as_bytes() == id.as_bytes())
        })
        .await?
    {
        Got::Message(AnyMessage::Status(st)) => match st.message {
            Sm::getStatusResponse(r) => r
                .status
                .0
                .parse::<ServiceStatus>()
                .map(|s| s.state)
                .map_err(|e| format!("status line {:?}: {e}", r.status.0)),
            _ => unreachable!("the wait matched a getStatusResponse"),
        },
        Got::Closed => Err("the link closed".into()),
        _ => Err(format!("no getStatusResponse within {patience:?}")),
    }
}

async fn closes_after(s: &NodeSetup, bytes: Vec<u8>) -> Result<(), String> {
    let mut link = connect(s).await?;
    let _ = link.send_raw(&bytes).await;
    match link.closed_within(s.patience).await {
        Some(_) => Ok(()),
        None => Err(format!("the link is still open {:?} later", s.patience)),
    }
}

/// Runs every node test, then [`crate::secure::component::REQUIREMENTS`] (skipped over
/// plain TCP).
pub async fn run(s: &NodeSetup) -> Report {
    let mut report = Report::new("node", &s.address.to_string());
    let p = s.patience;
    check(&mut report, &FRAMING, async {
        let mut over = u32::try_from(s.max_frame + 1)
            .unwrap_or(u32::MAX)
            .to_be_bytes()
            .to_vec();
        over.extend_from_slice(&[3, 0x30, 0]);
        for (what, bytes) in [
            ("declared L over the limit", over),
            ("L = 0", vec![0, 0, 0, 0]),
            ("interface id 0", vec![0, 0, 0, 2, 0, 0]),
            ("interface id 6", vec![0, 0, 0, 2, 6, 0]),
        ] {
            if let Err(e) = closes_after(s, bytes).await {
                return Outcome::Fail(format!("{what}: {e}"));
            }
        }
        Outcome::Pass
    })
    .await;
    check(&mut report, &ELECTION_CLOSES, async {
        let m: AnyMessage = baton_election::message::nomination("0 1", "alpha").into();
        let r = async {
            let mut link = connect(s).await?;
            link.send(m).await?;
            match link.closed_within(p).await {
                Some(_) => Ok(()),
                None => Err(format!("the link is still open {p:?} later")),
            }
        };
        outcome(r.await)
    })
    .await;
    check(&mut report, &UNKNOWN_ID, async {
        let r = async {
            let stranger = if s.component == "999999" {
                "999998"
            } else {
                "999999"
            };
            let mut link = connect(s).await?;
            link.send(baton_monitor::heart_beat(
                "1",
                stranger,
                ComponentStatus::ok,
            ))
            .await?;
            let got = link
                .wait(p, |m| {
                    matches!(seen(m), Some(Seen::Notice(LinkNotice::UnknownComponent)))
                })
                .await?;
            if !matches!(got, Got::Message(_)) {
                return Err(format!("no \"0 2\" notice within {p:?}"));
            }
            match link.closed_within(p).await {
                Some(_) => Ok(()),
                None => Err(format!(
                    "told \"0 2\", but the link is still open {p:?} later"
                )),
            }
        };
        outcome(r.await)
    })
    .await;
    check(&mut report, &FIRST_NOT_HEARTBEAT, async {
        let r = async {
            let mut link = connect(s).await?;
            let resp = baton_monitor::health_query_response("5", &s.component, ComponentStatus::ok);
            link.send(resp).await?;
            if link.closed_within(p / 2).await.is_some() {
                return Err("the link was closed".into());
            }
            Ok(())
        };
        outcome(r.await)
    })
    .await;

    // The registration of the run: notices, queries, the first setRole.
    let mut link = match register(s, &s.component).await {
        Ok(l) => l,
        Err(e) => {
            for r in &REQUIREMENTS[4..] {
                report.record(
                    r,
                    Outcome::Fail(format!("cannot register: {e}")),
                    Duration::ZERO,
                );
            }
            return report;
        }
    };
    let first = until_set_role(&mut link, s.startup_wait + p * 2).await;
    check(&mut report, &NOTICES_FIRST, async {
        match &first {
            Ok(seen) => outcome(notices_first(seen)),
            Err(e) => Outcome::Fail(e.clone()),
        }
    })
    .await;
    check(&mut report, &QUERIES, async {
        let r = async {
            let got = link
                .wait(p, |m| matches!(seen(m), Some(Seen::Query(_))))
                .await?;
            match got {
                Got::Message(AnyMessage::Monitor(h)) => {
                    let to = text(&h.component_id.0);
                    if to == s.component {
                        Ok(())
                    } else {
                        Err(format!("a healthQuery to {to:?}, not {:?}", s.component))
                    }
                }
                _ => Err(format!("no healthQuery (other than notices) within {p:?}")),
            }
        };
        outcome(r.await)
    })
    .await;
    check(&mut report, &GET_STATUS, async {
        outcome(state(&mut link, p).await.map(drop))
    })
    .await;
    let role = first.ok().and_then(|v| match v.last() {
        Some(Seen::SetRole(id, role)) => Some((id.clone(), *role)),
        _ => None,
    });
    check(&mut report, &SET_ROLE_FORM, async {
        match &role {
            Some((id, _)) if crate::member::round_seq(id).is_some() => Outcome::Pass,
            Some((id, _)) => Outcome::Fail(format!("setRole id {id:?}")),
            None => Outcome::Fail(format!(
                "no setRole within the startup wait ({:?}) and the patience: is the node alone, with alone = \"promote\"?",
                s.startup_wait
            )),
        }
    })
    .await;
    check(&mut report, &ANSWER_COUNTS, async {
        let r = async {
            let Some((id, role)) = role.clone() else {
                return Err("no setRole came".to_owned());
            };
            if role != Role::active {
                return Err(format!(
                    "the alone node set the component {role:?}, not active"
                ));
            }
            link.send(set_role_response(&id, ReturnCode::success))
                .await?;
            let deadline = tokio::time::Instant::now() + p;
            loop {
                let st = state(&mut link, p).await?;
                if matches!(st, State::Active | State::Degraded) {
                    return Ok(());
                }
                if tokio::time::Instant::now() >= deadline {
                    return Err(format!(
                        "answered success, the node is still {}",
                        st.as_str()
                    ));
                }
                let _ = link.wait(Duration::from_millis(20), |_| false).await?;
            }
        };
        outcome(r.await)
    })
    .await;
    check(&mut report, &STALE_RESPONSE, async {
        let r = async {
            link.send(set_role_response("999 999", ReturnCode::failure))
                .await?;
            let st = state(&mut link, p).await?;
            if matches!(st, State::Active | State::Degraded) {
                Ok(())
            } else {
                Err(format!(
                    "after a stale failure answer the node is {}",
                    st.as_str()
                ))
            }
        };
        outcome(r.await)
    })
    .await;
    check(&mut report, &REREGISTRATION, async {
        let r = async {
            let mut again = register(s, &s.component).await?;
            let got = async {
                let seen = until_set_role(&mut again, p).await?;
                notices_first(&seen)?;
                match seen.last() {
                    Some(Seen::SetRole(_, Role::active)) => Ok(()),
                    _ => Err(format!(
                        "the new link got no setRole{{active}} (the current role): {seen:?}"
                    )),
                }
            }
            .await;
            let old_closed = link.closed_within(p).await.is_some();
            // The new link is the component's from now on, whatever this test found: the
            // tests after it run on it, not on the old link the node closed.
            link = again;
            got?;
            if !old_closed {
                return Err(format!("the old link is still open {p:?} later"));
            }
            Ok(())
        };
        outcome(r.await)
    })
    .await;
    check(&mut report, &LEAVE, async {
        let r = async {
            // Answer the current setRole first: a leave owes nothing then.
            if let Some((id, _)) = link.log.iter().rev().find_map(|(_, m)| match seen(m) {
                Some(Seen::SetRole(id, r)) => Some((id, r)),
                _ => None,
            }) {
                link.send(set_role_response(&id, ReturnCode::success))
                    .await?;
            }
            link.keep_alive(None);
            link.send(baton_monitor::heart_beat(
                "0 0",
                &s.component,
                ComponentStatus::failed,
            ))
            .await?;
            match link.closed_within(p).await {
                Some(_) => Ok(()),
                None => Err(format!("the link is still open {p:?} after the leave")),
            }
        };
        outcome(r.await)
    })
    .await;
    crate::secure::component::run(s, &mut report).await;
    report
}

fn set_role_response(id: &str, code: ReturnCode) -> baton_asn1::role::RoleMessage {
    baton_asn1::role::RoleMessage::new(
        baton_asn1::role::CorrelationId(
            rasn::types::NumericString::from_bytes(id.as_bytes()).unwrap_or_default(),
        ),
        Rm::setRoleResponse(baton_asn1::role::SetRoleResponse::new(code)),
    )
}
