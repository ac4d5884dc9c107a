//! `baton conformance component`: the tester listens as a node and checks the component that
//! connects to it: registration, answers to queries and notices, `setRole` answers, and the
//! refusal of `active` above the watchdog bound (PROTOCOL 1.5, 6.1, 6.3, 6.4, 6.9).
//!
//! The component's own watchdog (standing by when its link closes or its node falls silent,
//! PROTOCOL 6.3) is not visible on the wire: a component does not report its role on its
//! link. The suite checks what a node can see of it: that the component registers again
//! after its link closed.

use crate::member::check;
use crate::report::{Outcome, Report};
use crate::transport::Transport;
use crate::wire::{Got, Link};
use baton_asn1::monitor::HealthMonitorMessageMessage as Hm;
use baton_asn1::role::{ReturnCode, Role, RoleMessageMessage as Rm};
use baton_codec::{AnyMessage, Encoding};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;

/// What the tester needs to play the node.
#[derive(Debug, Clone)]
pub struct ComponentSetup {
    /// Where the tester listens for the component.
    pub listen: SocketAddr,
    /// The link's encoding rule.
    pub encoding: Encoding,
    /// The largest frame.
    pub max_frame: usize,
    /// How long to wait for the component to connect (and to reconnect).
    pub wait: Duration,
    /// The watchdog bound the tester tells the component (`0 6 <ms>`, PROTOCOL 6.9) on its
    /// first registration: one its watchdog keeps.
    pub bound: Duration,
    /// How long to wait for an answer beyond what the protocol allows.
    pub patience: Duration,
    /// Plain TCP, or mutual TLS: the component's handshake must present a certificate of
    /// the cluster CA (PROTOCOL 3.4, *Component links*).
    pub transport: Transport,
}

requirements! {
    "Every requirement of the component suite, in the order the tests run.";
    REGISTERS = "component.registers", "6.4", Must,
        "the component's first message is a heartBeat naming its id (its registration)";
    NOTICES = "component.answers-notices", "6.9", Must,
        "the timer notices \"0 3\" to \"0 6\" are answered as queries, echoing each id";
    UNKNOWN_NOTICE = "component.unknown-notice", "6.9", Must,
        "a notice of a code it does not know is answered as a query; the link stays";
    QUERIES = "component.answers-queries", "6.4, 2.3", Must,
        "every healthQuery is answered healthQueryResponse from its id, echoing the correlationId";
    STANDBY = "component.set-role-standby", "6.1, 2.3", Must,
        "setRole{standby} is answered exactly once, success, echoing its id";
    ACTIVE = "component.set-role-active", "6.1, 2.3", Must,
        "setRole{active} is answered exactly once, echoing its id";
    NO_SET_ROLE = "component.sends-no-set-role", "1.5", Must,
        "a component sends no setRole";
    REGISTERS_AGAIN = "component.registers-again", "6.3", Should,
        "after its link closed, the component connects and registers again";
    ABOVE_BOUND = "component.refuses-active-above-bound", "6.9", Should,
        "with a watchdog above the bound told by \"0 6\", setRole{active} is answered failure";
}

fn text(s: &rasn::types::NumericString) -> String {
    String::from_utf8_lossy(s.as_bytes()).into_owned()
}

/// Accepts the component's link within `wait`.
async fn accept(listener: &TcpListener, s: &ComponentSetup) -> Result<Link, String> {
    let (stream, _) = tokio::time::timeout(s.wait, listener.accept())
        .await
        .map_err(|_| format!("no component connected within {:?}", s.wait))?
        .map_err(|e| format!("accept: {e}"))?;
    let (stream, _) = s
        .transport
        .accept(stream, s.patience.max(Duration::from_secs(1)))
        .await
        .map_err(|e| format!("the component's TLS handshake: {e}"))?;
    Ok(Link::over(stream, s.encoding, s.max_frame))
}

/// Waits for the registration; the component's id.
async fn registration(link: &mut Link, p: Duration) -> Result<String, String> {
    match link
        .wait(p, |m| matches!(m, AnyMessage::Monitor(_)))
        .await?
    {
        Got::Message(AnyMessage::Monitor(h)) => {
            let id = text(&h.component_id.0);
            if !matches!(h.message, Hm::heartBeat(_)) {
                return Err(format!(
                    "its first HealthMonitor message is no heartBeat: {h:?}"
                ));
            }
            if id.is_empty() {
                return Err("its registration has an empty componentId".into());
            }
            let others = link.log.len() - 1;
            if others > 0 {
                return Err(format!("{others} message(s) came before the registration"));
            }
            Ok(id)
        }
        Got::Closed => Err("the link closed".into()),
        _ => Err(format!("no registration within {p:?}")),
    }
}

/// Sends a healthQuery with `cid` to `id`; checks the answer.
async fn query(link: &mut Link, cid: &str, id: &str, p: Duration) -> Result<(), String> {
    link.send(baton_monitor::health_query(cid, id)).await?;
    match link
        .wait(p, |m| {
            matches!(m, AnyMessage::Monitor(h) if matches!(h.message, Hm::healthQueryResponse(_))
                && h.correlation_id.0.as_bytes() == cid.as_bytes())
        })
        .await?
    {
        Got::Message(AnyMessage::Monitor(h)) => {
            let from = text(&h.component_id.0);
            if from == id {
                Ok(())
            } else {
                Err(format!("the answer to {cid:?} names {from:?}, not {id:?}"))
            }
        }
        Got::Closed => Err(format!("the link closed after the query {cid:?}")),
        _ => Err(format!("no answer echoing {cid:?} within {p:?}")),
    }
}

/// The timer notices, the bound `bound`.
async fn notices(link: &mut Link, id: &str, bound: Duration, p: Duration) -> Result<(), String> {
    for cid in [
        "0 3 1000".to_owned(),
        "0 4 300".to_owned(),
        "0 5 100".to_owned(),
        format!("0 6 {}", bound.as_millis()),
    ] {
        query(link, &cid, id, p).await?;
    }
    Ok(())
}

/// Sends `setRole{role}` with `cid`; the one answer's code (a second answer is an error).
async fn set_role(
    link: &mut Link,
    cid: &str,
    role: Role,
    p: Duration,
) -> Result<ReturnCode, String> {
    link.send(crate::msg::set_role(cid, role)).await?;
    let is_answer = |m: &AnyMessage| {
        matches!(m, AnyMessage::Role(r) if matches!(r.message, Rm::setRoleResponse(_))
            && r.correlation_id.0.as_bytes() == cid.as_bytes())
    };
    let code = match link.wait(p, is_answer).await? {
        Got::Message(AnyMessage::Role(r)) => match r.message {
            Rm::setRoleResponse(a) => a.return_code,
            Rm::setRole(_) => unreachable!("the wait matched a response"),
        },
        Got::Closed => return Err(format!("the link closed after setRole {cid:?}")),
        _ => return Err(format!("no setRoleResponse echoing {cid:?} within {p:?}")),
    };
    // Exactly once: nothing more echoing it for a while (the health kept asked meanwhile).
    let _ = link.wait(p / 2, |_| false).await?;
    let n = link.log.iter().filter(|(_, m)| is_answer(m)).count();
    if n != 1 {
        return Err(format!("{n} answers to setRole {cid:?}"));
    }
    Ok(code)
}

fn outcome(r: Result<(), String>) -> Outcome {
    match r {
        Ok(()) => Outcome::Pass,
        Err(e) => Outcome::Fail(e),
    }
}

/// Listens, waits for the component, and runs every component test.
///
/// # Errors
/// The listen address cannot be bound, as text.
pub async fn run(s: &ComponentSetup) -> Result<Report, String> {
    let listener = TcpListener::bind(s.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", s.listen))?;
    Ok(run_on(listener, s).await)
}

/// As [`run`], on a listener already bound.
pub async fn run_on(listener: TcpListener, s: &ComponentSetup) -> Report {
    let target = listener
        .local_addr()
        .map_or_else(|_| s.listen.to_string(), |a| a.to_string());
    let mut report = Report::new("component", &target);
    let p = s.patience;
    let mut link = match accept(&listener, s).await {
        Ok(l) => l,
        Err(e) => {
            for r in REQUIREMENTS {
                report.record(r, Outcome::Skip(e.clone()), Duration::ZERO);
            }
            return report;
        }
    };
    let mut id = String::new();
    check(&mut report, &REGISTERS, async {
        match registration(&mut link, p).await {
            Ok(got) => {
                id = got;
                Outcome::Pass
            }
            Err(e) => Outcome::Fail(e),
        }
    })
    .await;
    check(&mut report, &NOTICES, async {
        outcome(notices(&mut link, &id, s.bound, p).await)
    })
    .await;
    check(&mut report, &UNKNOWN_NOTICE, async {
        outcome(query(&mut link, "0 9 7", &id, p).await)
    })
    .await;
    check(&mut report, &QUERIES, async {
        let r = async {
            for cid in ["41", "0042", "43"] {
                query(&mut link, cid, &id, p).await?;
            }
            Ok(())
        };
        outcome(r.await)
    })
    .await;
    check(&mut report, &STANDBY, async {
        match set_role(&mut link, "1 1", Role::standby, p).await {
            Ok(ReturnCode::success) => Outcome::Pass,
            Ok(code) => Outcome::Fail(format!("setRole{{standby}} answered {code:?}")),
            Err(e) => Outcome::Fail(e),
        }
    })
    .await;
    check(&mut report, &ACTIVE, async {
        outcome(set_role(&mut link, "1 2", Role::active, p).await.map(drop))
    })
    .await;
    check(&mut report, &NO_SET_ROLE, async {
        let sent = link
            .log
            .iter()
            .filter(
                |(_, m)| matches!(m, AnyMessage::Role(r) if matches!(r.message, Rm::setRole(_))),
            )
            .count();
        if sent == 0 {
            Outcome::Pass
        } else {
            Outcome::Fail(format!("it sent {sent} setRole"))
        }
    })
    .await;
    drop(link);
    let mut again = None;
    check(&mut report, &REGISTERS_AGAIN, async {
        let r = async {
            let mut l = accept(&listener, s).await?;
            let got = registration(&mut l, p).await?;
            if got != id {
                return Err(format!("it registered again as {got:?}, not {id:?}"));
            }
            again = Some(l);
            Ok(())
        };
        outcome(r.await)
    })
    .await;
    check(&mut report, &ABOVE_BOUND, async {
        let Some(link) = again.as_mut() else {
            return Outcome::Skip("the component did not register again".into());
        };
        let r = async {
            notices(link, &id, Duration::from_millis(1), p).await?;
            match set_role(link, "2 1", Role::active, p).await? {
                ReturnCode::failure => Ok(()),
                code => Err(format!(
                    "told a watchdog bound of 1 ms, it answered setRole{{active}} {code:?}"
                )),
            }
        };
        outcome(r.await)
    })
    .await;
    report
}
