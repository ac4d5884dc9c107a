//! `baton conformance status`: the tester is a status client of the implementation's status
//! listener (PROTOCOL 1.5, 2.3, 6.5, 6.7, 9).

use crate::malformed;
use crate::member::check;
use crate::report::{Outcome, Report};
use crate::transport::{Present, Transport};
use crate::wire::{Got, Link};
use baton_asn1::monitor::HealthMonitorMessageMessage as Hm;
use baton_asn1::status::ServiceStatusMessageMessage as Sm;
use baton_codec::{AnyMessage, Encoding, Interface};
use baton_status::ServiceStatus;
use std::net::SocketAddr;
use std::time::Duration;

/// What the tester must know of the status listener.
#[derive(Debug, Clone)]
pub struct StatusSetup {
    /// The status listener.
    pub address: SocketAddr,
    /// The link's encoding rule.
    pub encoding: Encoding,
    /// The largest frame it accepts.
    pub max_frame: usize,
    /// How long to wait for an answer or a close.
    pub patience: Duration,
    /// Plain TCP or mutual TLS.
    pub transport: Transport,
}

requirements! {
    "Every requirement of the status suite, in the order the tests run.";
    GET_ANSWERED = "status.get-answered", "6.5, 2.3", Must,
        "getStatus is answered getStatusResponse, echoing the correlationId byte for byte";
    LINE_PARSES = "status.line-parses", "6.7", Must,
        "the status is a status line: a state word, then details";
    EVERY_REQUEST = "status.every-request", "6.5", Must,
        "every getStatus is answered, each with its own id";
    HEALTH_QUERY = "status.health-query", "1.5", Must,
        "a client's healthQuery is answered healthQueryResponse, echoing its id";
    IGNORED = "status.client-indication-ignored", "9", Must,
        "a statusIndication or getStatusResponse from a client is ignored; the link stays";
    ELECTION_CLOSES = "status.election-closes", "1.5, 9", Must,
        "an Election message from a client closes the link";
    ROLE_CLOSES = "status.role-closes", "1.5, 9", Must,
        "a Role message from a client closes the link";
    FRAMING = "status.framing-refused", "3.1, 9", Must,
        "a declared L over the limit, L = 0 or an interface id of 0 or 6 closes the link";
    UNDECODABLE = "status.undecodable-refused", "2.2, 9", Must,
        "a ServiceStatus or HealthMonitor message that does not decode closes the link";
}

async fn connect(s: &StatusSetup) -> Result<Link, String> {
    Link::connect(
        s.address,
        &s.transport,
        Present::Own,
        s.encoding,
        s.max_frame,
        s.patience.max(Duration::from_secs(1)),
    )
    .await
}

/// Sends getStatus with `id`; the status text of the answer echoing it.
async fn ask(link: &mut Link, id: &str, within: Duration) -> Result<String, String> {
    link.send(crate::msg::get_status(id)).await?;
    match link
        .wait(within, |m| {
            matches!(m, AnyMessage::Status(st) if matches!(st.message, Sm::getStatusResponse(_))
                && st.correlation_id.0.as_bytes() == id.as_bytes())
        })
        .await?
    {
        Got::Message(AnyMessage::Status(st)) => match st.message {
            Sm::getStatusResponse(r) => Ok(r.status.0),
            _ => unreachable!("the wait matched a getStatusResponse"),
        },
        Got::Closed => Err("the link closed".into()),
        _ => Err(format!(
            "no getStatusResponse echoing {id:?} within {within:?}"
        )),
    }
}

fn outcome(r: Result<(), String>) -> Outcome {
    match r {
        Ok(()) => Outcome::Pass,
        Err(e) => Outcome::Fail(e),
    }
}

async fn closes_after(s: &StatusSetup, bytes: Vec<u8>) -> Result<(), String> {
    let mut link = connect(s).await?;
    let _ = link.send_raw(&bytes).await;
    match link.closed_within(s.patience).await {
        Some(_) => Ok(()),
        None => Err(format!("the link is still open {:?} later", s.patience)),
    }
}

fn frame(m: AnyMessage, e: Encoding) -> Vec<u8> {
    let body = m.encode(e).unwrap_or_default();
    let mut out = u32::try_from(body.len() + 1)
        .unwrap_or(0)
        .to_be_bytes()
        .to_vec();
    out.push(m.interface() as u8);
    out.extend_from_slice(&body);
    out
}

/// Runs every status test, then [`crate::secure::status::REQUIREMENTS`] (skipped over
/// plain TCP).
pub async fn run(s: &StatusSetup) -> Report {
    let mut report = Report::new("status", &s.address.to_string());
    let p = s.patience;
    check(&mut report, &GET_ANSWERED, async {
        let r = async {
            let mut link = connect(s).await?;
            ask(&mut link, "0042 7", p).await.map(|_| ())
        };
        outcome(r.await)
    })
    .await;
    check(&mut report, &LINE_PARSES, async {
        let r = async {
            let mut link = connect(s).await?;
            let line = ask(&mut link, "1", p).await?;
            line.parse::<ServiceStatus>()
                .map(|_| ())
                .map_err(|e| format!("{line:?} is no status line: {e}"))
        };
        outcome(r.await)
    })
    .await;
    check(&mut report, &EVERY_REQUEST, async {
        let r = async {
            let mut link = connect(s).await?;
            for id in ["11", "12", "13"] {
                link.send(crate::msg::get_status(id)).await?;
            }
            for id in ["11", "12", "13"] {
                let seen = link.log.iter().any(|(_, m)| {
                    matches!(m, AnyMessage::Status(st) if st.correlation_id.0.as_bytes() == id.as_bytes())
                });
                if !seen {
                    ask(&mut link, id, p).await.map_err(|e| format!("request {id:?}: {e}"))?;
                }
            }
            Ok(())
        };
        outcome(r.await)
    })
    .await;
    check(&mut report, &HEALTH_QUERY, async {
        let r = async {
            let mut link = connect(s).await?;
            link.send(baton_monitor::health_query("0021", "")).await?;
            match link
                .wait(p, |m| matches!(m, AnyMessage::Monitor(h) if matches!(h.message, Hm::healthQueryResponse(_))))
                .await?
            {
                Got::Message(AnyMessage::Monitor(h)) if h.correlation_id.0.as_bytes() == b"0021" => Ok(()),
                Got::Message(m) => Err(format!("the answer does not echo \"0021\": {m:?}")),
                Got::Closed => Err("the link closed".into()),
                Got::Timeout => Err(format!("no healthQueryResponse within {p:?}")),
            }
        };
        outcome(r.await)
    })
    .await;
    check(&mut report, &IGNORED, async {
        let r = async {
            let mut link = connect(s).await?;
            link.send(crate::msg::status_indication("5", "active"))
                .await?;
            link.send(crate::msg::get_status_response("6", "active"))
                .await?;
            ask(&mut link, "7", p).await.map(|_| ())
        };
        outcome(r.await)
    })
    .await;
    check(&mut report, &ELECTION_CLOSES, async {
        let m = baton_election::message::nomination("0 1", "alpha").into();
        outcome(closes_after(s, frame(m, s.encoding)).await)
    })
    .await;
    check(&mut report, &ROLE_CLOSES, async {
        let m = crate::msg::set_role("1", baton_asn1::role::Role::active).into();
        outcome(closes_after(s, frame(m, s.encoding)).await)
    })
    .await;
    check(&mut report, &FRAMING, async {
        let mut over = u32::try_from(s.max_frame + 1)
            .unwrap_or(u32::MAX)
            .to_be_bytes()
            .to_vec();
        over.extend_from_slice(&[4, 0x30, 0]);
        let cases = [
            ("declared L over the limit", over),
            ("L = 0", vec![0, 0, 0, 0]),
            ("interface id 0", vec![0, 0, 0, 2, 0, 0]),
            ("interface id 6", vec![0, 0, 0, 2, 6, 0]),
        ];
        for (what, bytes) in cases {
            if let Err(e) = closes_after(s, bytes).await {
                return Outcome::Fail(format!("{what}: {e}"));
            }
        }
        Outcome::Pass
    })
    .await;
    check(&mut report, &UNDECODABLE, async {
        let mut cases =
            malformed::cases(s.encoding, &[Interface::Status, Interface::Monitor], false);
        cases.extend(malformed::cases(
            s.encoding,
            &[Interface::Status, Interface::Monitor],
            true,
        ));
        if cases.is_empty() {
            return Outcome::Skip(format!(
                "no malformed vector for the rule {}",
                s.encoding.name()
            ));
        }
        for case in cases {
            if let Err(e) = closes_after(s, case.frame.clone()).await {
                return Outcome::Fail(format!("{} ({}): {e}", case.name, case.description));
            }
        }
        Outcome::Pass
    })
    .await;
    crate::secure::status::run(s, &mut report).await;
    report
}
