//! The status listener with mutual TLS (PROTOCOL 3.4): only a certificate of the cluster CA
//! reaches it, and a read-only client may read (*Rights*).

use super::{skip_if_plain, Listener};
use crate::member::check;
use crate::report::Report;
use crate::status::StatusSetup;
use crate::transport::Present;

requirements! {
    "The status listener's transport security requirements, in the order the tests run.";
    UNAUTHENTICATED = "tls.status.unauthenticated-refused", "3.4", Must,
        "a status link over plain TCP, without a client certificate or with another CA's is refused: nothing is answered";
    READ_ONLY = "tls.status.read-only-answered", "3.4, 1.5", Must,
        "a read-only client's certificate reaches the status interface: its getStatus is answered";
    MEMBER = "tls.status.member-answered", "3.4", Must,
        "a member's certificate is taken on a status link (as an admin client): its getStatus is answered";
}

/// Runs the status listener's TLS tests (all skipped over plain TCP).
pub async fn run(s: &StatusSetup, report: &mut Report) {
    if skip_if_plain(&s.transport, REQUIREMENTS, report) {
        return;
    }
    let l = Listener {
        address: s.address,
        transport: &s.transport,
        encoding: s.encoding,
        max_frame: s.max_frame,
        within: s.patience,
    };
    let ask = crate::msg::get_status("7").into();
    check(report, &UNAUTHENTICATED, l.refuses_unauthenticated(&ask)).await;
    let reader = Present::Client {
        name: "conformance".into(),
        admin: false,
    };
    check(report, &READ_ONLY, l.answers_get_status(reader)).await;
    check(report, &MEMBER, l.answers_get_status(Present::AnyMember)).await;
}
