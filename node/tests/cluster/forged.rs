//! The forged peer of the fault suite (issue 11) against a real three-member quorum cluster
//! without TLS: a connection to gamma says hello as the active alpha, then asks gamma to serve
//! in round 4000000000. Alpha's link to gamma is settled, so the forger's hello waits and is
//! refused when alpha is next heard (PROTOCOL 4, duplicate links); nothing else changes.

use crate::harness::{only_active, serving, Cluster};
use crate::support::{frame, runtime};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[test]
fn a_forged_member_cannot_displace_its_live_link() {
    let members = [serving("alpha"), serving("beta"), serving("gamma")];
    let mut c = Cluster::new("qforge", &members, "", "");
    c.start_all();
    runtime().block_on(async {
        c.until_states(Duration::from_secs(20), "alpha active", |s| {
            only_active(s, 0, &[])
        })
        .await;
        // Every link settled (up for more than a dead interval).
        tokio::time::sleep(Duration::from_millis(500)).await;
        let grant_before = c.grant_round(2);
        let logs_before: Vec<usize> = (0..3).map(|i| c.log(i).len()).collect();

        let mut forger = tokio::net::TcpStream::connect(c.peers[2])
            .await
            .expect("connect");
        let hello = baton_monitor::heart_beat("7", "1", baton_monitor::ComponentStatus::ok);
        let nomination = baton_election::message::nomination("4000000000 1", "gamma");
        let mut bytes = frame(hello);
        bytes.extend_from_slice(&frame(nomination));
        forger.write_all(&bytes).await.expect("send");
        // gamma refuses the link within a heartbeat interval or so: the read ends.
        let mut sink = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(3), forger.read_to_end(&mut sink));
        assert!(read.await.is_ok(), "gamma kept the forged link open");

        tokio::time::sleep(Duration::from_millis(500)).await;
        let since = |i: usize| c.log(i)[logs_before[i]..].to_owned();
        let gamma = since(2);
        assert!(
            gamma.contains("peer alpha: the hello on link#")
                && gamma.contains("hello refused: peer alpha is up and heard on another link"),
            "{gamma}"
        );
        for i in 0..3 {
            let log = since(i);
            assert!(
                !log.contains("role changed"),
                "{}: {log}",
                c.members[i].name
            );
            assert!(
                !log.contains("peer alpha down"),
                "{}: {log}",
                c.members[i].name
            );
        }
        assert_eq!(c.grant_round(2), grant_before, "gamma granted nothing new");
        c.until_states(Duration::from_secs(1), "alpha still active", |s| {
            only_active(s, 0, &[])
        })
        .await;
    });
}
