//! The component TCP listener with mutual TLS (PROTOCOL 3.4, *Component links*): a
//! certificate of the cluster CA is needed, any identity is accepted.

use super::{skip_if_plain, Listener};
use crate::member::check;
use crate::node::{Address, NodeSetup};
use crate::report::{Outcome, Report};
use crate::transport::Present;
use baton_monitor::ComponentStatus;
use std::time::Duration;

requirements! {
    "The component listener's transport security requirements, in the order the tests run.";
    UNAUTHENTICATED = "tls.component.unauthenticated-refused", "3.4", Must,
        "a component TCP link over plain TCP, without a client certificate or with another CA's is refused: nothing is sent on it";
    ANY_IDENTITY = "tls.component.any-identity", "3.4", Must,
        "a component TCP link with a client's certificate of the cluster CA is accepted (any identity): its getStatus is answered";
}

/// Runs the component listener's TLS tests (all skipped over plain TCP or a Unix socket).
pub async fn run(s: &NodeSetup, report: &mut Report) {
    if skip_if_plain(&s.transport, REQUIREMENTS, report) {
        return;
    }
    let Address::Tcp(address) = s.address else {
        for r in REQUIREMENTS {
            let why = "a Unix socket is not TLS: its file mode decides who reaches it";
            report.record(r, Outcome::Skip(why.into()), Duration::ZERO);
        }
        return;
    };
    let l = Listener {
        address,
        transport: &s.transport,
        encoding: s.encoding,
        max_frame: s.max_frame,
        within: s.patience,
    };
    let hello = baton_monitor::heart_beat("7", &s.component, ComponentStatus::ok).into();
    check(report, &UNAUTHENTICATED, l.refuses_unauthenticated(&hello)).await;
    let client = Present::Client {
        name: "conformance".into(),
        admin: false,
    };
    check(report, &ANY_IDENTITY, l.answers_get_status(client)).await;
}
