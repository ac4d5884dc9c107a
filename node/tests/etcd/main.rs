//! Etcd mode (issue 14; PROTOCOL 5.12) against a real etcd (Debian's `etcd-server`,
//! installed by the test support where missing) with real `baton node` processes: SIGKILL
//! of the active member, SIGKILL and restart of etcd, a member cut from etcd in a network
//! namespace, a lease expiring under a frozen active, members starting at once, a planned
//! switchover, and etcd over TLS. Each counts the dual-active moments from the components'
//! journal and finds none. Times are printed, never asserted (they are the benchmark's: bench/suite).

#[path = "../support/mod.rs"]
mod support;

mod faults;
mod harness;
mod tls;

use harness::{only_active, Members, TTL_MS};
use std::time::Duration;
use support::etcd::EtcdServer;
use support::{runtime, Scratch};

/// Long enough for a start and an election on a loaded 2-core host.
const ELECT: Duration = Duration::from_secs(20);

#[test]
fn sigkill_of_the_active_the_next_member_takes_over_with_a_newer_revision() {
    let scratch = Scratch::new("etcdkill");
    let etcd = runtime().block_on(EtcdServer::start(&scratch, &[]));
    let mut m = Members::new("ekill", 3, &etcd, "/baton/kill", vec![], "");
    m.start_all();
    runtime().block_on(async {
        m.until(ELECT, "m0 active", |s| only_active(s, 0, &[]))
            .await;
        let doc = m.status_doc(0).await.expect("m0 answers");
        let round = doc["round"]
            .as_u64()
            .expect("a round: the key's create revision");
        assert!(round >= 1, "{doc}");
        assert!(
            doc["lease_ms"].as_u64().is_some_and(|l| l <= TTL_MS),
            "{doc}"
        );
        let (code, out, err) = harness_status(&m, 0);
        assert_eq!(code, 0, "{err}");
        assert!(out.starts_with("active components=1/1 round="), "{out}");
        m.kill(0);
        let killed = harness::now_ns();
        m.until(ELECT, "m1 active", |s| only_active(s, 1, &[0]))
            .await;
        let doc = m.status_doc(1).await.expect("m1 answers");
        let newer = doc["round"].as_u64().expect("round");
        assert!(newer > round, "the new key is newer: {newer} > {round}");
        let took = m.activated(1).expect("m1 activated") - killed;
        eprintln!(
            "etcd mode: SIGKILL of the active -> m1 active after {} ms",
            took / 1_000_000
        );
        assert_eq!(m.component(1), "active");
        assert_eq!(m.component(2), "standby");
        // m0 comes back: it finds m1's key and stands by.
        m.start(0);
        m.until(ELECT, "m0 back as standby", |s| only_active(s, 1, &[]))
            .await;
    });
    assert_eq!(m.dual_active(), Vec::<String>::new());
}

/// `baton status --address` of member `i`: exit status, stdout, stderr.
fn harness_status(m: &Members, i: usize) -> (i32, String, String) {
    let out = std::process::Command::new(support::BATON)
        .args(["status", "--address", &m.status[i].to_string()])
        .output()
        .expect("baton status runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
