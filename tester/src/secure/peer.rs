//! The peer listener with mutual TLS (PROTOCOL 3.4): who may open a peer link, and the hello
//! bound to the certificate (*Identity binding*). Run at the end of the member suite: the
//! refusals change nothing, the binding tests need a link up.

use super::{skip_if_plain, Listener};
use crate::member::{check, MemberSetup, Peer};
use crate::report::{Outcome, Report};
use crate::transport::Present;
use crate::wire::KeepAlive;
use baton_codec::AnyMessage;
use baton_monitor::ComponentStatus;

requirements! {
    "The peer listener's transport security requirements, in the order the tests run.";
    PLAIN_REFUSED = "tls.peer.plain-refused", "3.4", Must,
        "a peer link over plain TCP (a hello in clear) is closed; nothing is sent on it";
    NO_CERTIFICATE = "tls.peer.no-certificate-refused", "3.4", Must,
        "a handshake without a client certificate fails: no hello, the link closed";
    OTHER_CA = "tls.peer.other-ca-refused", "3.4", Must,
        "a member certificate signed by another CA fails the handshake: no hello, the link closed";
    PRESENTS = "tls.peer.presents-member", "3.4", Must,
        "the implementation presents a certificate of the cluster CA naming its own member";
    CLIENT = "tls.peer.client-certificate-refused", "3.4", Must,
        "a client certificate on a peer link: the link is closed before its hello";
    OWN = "tls.peer.own-certificate-refused", "3.4", Must,
        "the implementation's own member's certificate on a peer link: closed before its hello";
    BINDS = "tls.peer.hello-binds-certificate", "3.4, 4", Must,
        "a hello naming another member than the link's certificate closes the link";
    KEEPS = "tls.peer.refused-hello-keeps-link", "3.4, 4", Must,
        "a refused hello never displaces the link of the member it names: that link stays up and answered";
}

/// Why the binding tests need three members.
const PAIR: &str = "a pair has one member besides the implementation: a hello naming \
    another member than the certificate's names the implementation itself, refused as such \
    (hello.refuse-self)";

/// The tester's hello as member `who`.
fn hello(s: &MemberSetup, who: usize) -> AnyMessage {
    baton_monitor::heart_beat("7", &s.members[who].id, ComponentStatus::ok).into()
}

/// Runs the peer listener's TLS tests (all skipped over plain TCP).
pub async fn run(s: &MemberSetup, report: &mut Report) {
    if skip_if_plain(&s.transport, REQUIREMENTS, report) {
        return;
    }
    let l = Listener {
        address: s.address,
        transport: &s.transport,
        encoding: s.encoding,
        max_frame: s.max_frame,
        within: s.patience + s.dead_interval,
    };
    let me = s.tester().name.clone();
    let first = || Some(hello(s, s.tester));
    check(
        report,
        &PLAIN_REFUSED,
        l.refuses(Present::Own, true, first()),
    )
    .await;
    check(
        report,
        &NO_CERTIFICATE,
        l.refuses(Present::Nothing, false, first()),
    )
    .await;
    check(
        report,
        &OTHER_CA,
        l.refuses(Present::OtherCa(me.clone()), false, first()),
    )
    .await;
    let iut = format!("member {}", s.iut().name);
    check(report, &PRESENTS, l.presents(Present::Member(me), &iut)).await;
    let client = Present::Client {
        name: "conformance".into(),
        admin: true,
    };
    check(report, &CLIENT, l.refuses(client, false, first())).await;
    let own = Present::Member(s.iut().name.clone());
    check(report, &OWN, l.refuses(own, false, first())).await;

    // A certificate of member a, a hello naming member b: both others than the implementation.
    let others: Vec<usize> = (0..s.members.len()).filter(|&i| i != s.iut).collect();
    let (Some(&a), Some(&b)) = (others.first(), others.get(1)) else {
        for r in [&BINDS, &KEEPS] {
            report.record(r, Outcome::Skip(PAIR.into()), std::time::Duration::ZERO);
        }
        return;
    };
    let forged = || async {
        let mut link = l.link(Present::Member(s.members[a].name.clone())).await?;
        let _ = link.send(hello(s, b)).await;
        // Heartbeats as b: only a refusal closes the link, not the dead interval.
        link.keep_alive(Some(KeepAlive {
            id: s.members[b].id.clone(),
            every: s.heartbeat,
        }));
        match link.closed_within(l.within).await {
            Some(_) => Ok(()),
            None => Err(Outcome::Fail(format!(
                "a hello naming {} on {}'s certificate: the link is still open {:?} later",
                s.members[b].name, s.members[a].name, l.within
            ))),
        }
    };
    check(report, &BINDS, async {
        forged().await.err().unwrap_or(Outcome::Pass)
    })
    .await;
    check(report, &KEEPS, async {
        let mut settled = match Peer::up_as(s, b).await {
            Ok(p) => p,
            Err(e) => return Outcome::Fail(e),
        };
        if let Err(o) = forged().await {
            return o;
        }
        match settled.state().await {
            Ok(_) => Outcome::Pass,
            Err(e) => Outcome::Fail(format!(
                "{}'s link, after a refused hello naming it: {e}",
                s.members[b].name
            )),
        }
    })
    .await;
}
