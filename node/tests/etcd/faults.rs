//! The other faults of issue 14: etcd SIGKILLed and restarted, a member cut from etcd (its
//! own network namespace), the active frozen until its lease expires, every member started
//! at once (twice, the second time over the first's keys), a planned switchover.

use crate::harness::{now_ns, only_active, Members, Netns, TTL_MS};
use crate::support::etcd::EtcdServer;
use crate::support::{runtime, Scratch, BATON};
use crate::ELECT;
use std::time::Duration;

fn no_active(s: &[Option<String>]) -> bool {
    s.iter().all(|s| s.as_deref() != Some("active"))
}

fn one_active(s: &[Option<String>]) -> bool {
    s.iter().filter(|s| s.as_deref() == Some("active")).count() == 1
        && s.iter()
            .all(|s| matches!(s.as_deref(), Some("active" | "standby")))
}

#[test]
fn etcd_killed_the_active_stands_down_before_its_lease_could_expire_and_service_resumes() {
    let scratch = Scratch::new("etcdrestart");
    let mut etcd = runtime().block_on(EtcdServer::start(&scratch, &[]));
    let mut m = Members::new("erestart", 3, &etcd, "/baton/restart", vec![], "");
    m.start_all();
    runtime().block_on(async {
        m.until(ELECT, "m0 active", |s| only_active(s, 0, &[])).await;
        etcd.kill();
        let killed = now_ns();
        // No renewal answered: the active stands down within L_a of its last one.
        m.until(Duration::from_millis(TTL_MS + 3000), "nobody active", no_active)
            .await;
        let down = m
            .journal()
            .into_iter()
            .filter(|(t, n, a)| *t > killed && n == "m0" && !*a)
            .map(|(t, _, _)| t)
            .next()
            .expect("m0's component stood down");
        eprintln!(
            "etcd mode: etcd SIGKILLed -> the active's component down after {} ms (lease {TTL_MS} ms)",
            (down - killed) / 1_000_000
        );
        assert!(m.log(0).contains("role changed from=active to=demoting"));
    });
    runtime().block_on(etcd.restart());
    runtime().block_on(async {
        m.until(ELECT, "one member active again", one_active).await;
    });
    assert_eq!(m.dual_active(), Vec::<String>::new());
}

#[test]
fn a_member_cut_from_etcd_stands_down_and_the_next_takes_over_after_its_lease() {
    let ns = Netns::new(1);
    let host_ip = ns.host_ip.clone();
    let scratch = Scratch::new("etcdpart");
    let etcd = runtime().block_on(EtcdServer::start(&scratch, &[&host_ip]));
    let mut m = Members::new("epart", 3, &etcd, "/baton/part", vec![Some(ns)], "");
    m.start_all();
    runtime().block_on(async {
        m.until(ELECT, "m0 active", |s| only_active(s, 0, &[]))
            .await;
        let cut = now_ns();
        m.netns[0].as_ref().expect("netns").link(false);
        m.until(ELECT, "m1 active", |s| only_active(s, 1, &[0]))
            .await;
        let m0_down = m
            .journal()
            .into_iter()
            .filter(|(t, n, a)| *t > cut && n == "m0" && !*a)
            .map(|(t, _, _)| t)
            .next()
            .expect("m0 stood down, cut off");
        let m1_up = m.activated(1).expect("m1 active");
        assert!(m0_down < m1_up, "m0 stopped before m1 started");
        eprintln!(
            "etcd mode: member cut from etcd -> its component down after {} ms, the next \
             active after {} ms",
            (m0_down - cut) / 1_000_000,
            (m1_up - cut) / 1_000_000
        );
        m.netns[0].as_ref().expect("netns").link(true);
        m.until(ELECT, "m0 back as standby", |s| only_active(s, 1, &[]))
            .await;
    });
    assert_eq!(m.dual_active(), Vec::<String>::new());
}

#[test]
fn a_frozen_active_loses_its_lease_and_stands_by_when_it_wakes() {
    let scratch = Scratch::new("etcdfreeze");
    let etcd = runtime().block_on(EtcdServer::start(&scratch, &[]));
    let mut m = Members::new("efreeze", 2, &etcd, "/baton/freeze", vec![], "");
    m.start_all();
    runtime().block_on(async {
        m.until(ELECT, "m0 active", |s| only_active(s, 0, &[]))
            .await;
        let round = m.status_doc(0).await.expect("m0")["round"].as_u64();
        m.signal(0, "STOP");
        let stopped = now_ns();
        m.until(ELECT, "m1 active", |s| {
            s.get(1) == Some(&Some("active".into()))
        })
        .await;
        let took = m.activated(1).expect("m1 active") - stopped;
        eprintln!(
            "etcd mode: active frozen -> m1 active after {} ms",
            took / 1_000_000
        );
        m.signal(0, "CONT");
        m.until(ELECT, "m0 stands by", |s| only_active(s, 1, &[]))
            .await;
        let newer = m.status_doc(1).await.expect("m1")["round"].as_u64();
        assert!(newer > round, "{newer:?} > {round:?}");
    });
    assert_eq!(m.dual_active(), Vec::<String>::new());
}

#[test]
fn members_started_at_once_elect_the_first_and_again_one_over_their_old_keys() {
    let scratch = Scratch::new("etcdonce");
    let etcd = runtime().block_on(EtcdServer::start(&scratch, &[]));
    let mut m = Members::new("eonce", 3, &etcd, "/baton/once", vec![], "");
    m.start_all();
    runtime().block_on(async {
        m.until(ELECT, "m0 active", |s| only_active(s, 0, &[]))
            .await;
        for i in 0..3 {
            m.kill(i);
        }
        // All at once again, while m0's key still holds on its old lease: m0 revokes it
        // (PROTOCOL 5.12.2), and m0 and the first backup (which counts m0, the last holder,
        // as gone) campaign together: one of them wins.
        let t = now_ns();
        m.start_all();
        let s = m.until(ELECT, "one member active again", one_active).await;
        let winner = s
            .iter()
            .position(|s| s.as_deref() == Some("active"))
            .expect("one active");
        assert!(winner < 2, "m0 or the first backup: {s:?}");
        let took = m.activated(winner).expect("activated") - t;
        eprintln!(
            "etcd mode: restarted at once over the old key -> m{winner} active after {} ms",
            took / 1_000_000
        );
        assert!(
            m.log(0).contains("etcd command=Resign"),
            "m0 gave its old key up rather than wait for its lease"
        );
    });
    assert_eq!(m.dual_active(), Vec::<String>::new());
}

#[test]
fn switchover_resigns_and_the_next_member_serves_at_once() {
    let scratch = Scratch::new("etcdswitch");
    let etcd = runtime().block_on(EtcdServer::start(&scratch, &[]));
    let mut m = Members::new("eswitch", 3, &etcd, "/baton/switch", vec![], "");
    m.start_all();
    runtime().block_on(async {
        m.until(ELECT, "m0 active", |s| only_active(s, 0, &[]))
            .await;
    });
    let t = now_ns();
    let out = std::process::Command::new(BATON)
        .args(["switchover", "--wait", "--config"])
        .arg(m.config(0))
        .output()
        .expect("baton switchover");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.starts_with("ok: switchover started"), "{text}");
    runtime().block_on(async {
        m.until(ELECT, "m1 active", |s| only_active(s, 1, &[]))
            .await;
    });
    let took = m.activated(1).expect("m1") - t;
    eprintln!(
        "etcd mode: switchover -> m1 active after {} ms",
        took / 1_000_000
    );
    assert!(
        m.log(1).contains("etcd command=Campaign"),
        "m1 campaigned: {}",
        m.log(1)
    );
    assert_eq!(m.dual_active(), Vec::<String>::new());
}

#[test]
fn sigterm_hands_over_by_resigning_before_the_node_exits() {
    let scratch = Scratch::new("etcdterm");
    let etcd = runtime().block_on(EtcdServer::start(&scratch, &[]));
    let mut m = Members::new("eterm", 2, &etcd, "/baton/term", vec![], "");
    m.start_all();
    runtime().block_on(async {
        m.until(ELECT, "m0 active", |s| only_active(s, 0, &[]))
            .await;
        let t = now_ns();
        m.signal(0, "TERM");
        m.until(ELECT, "m1 active", |s| {
            s.get(1) == Some(&Some("active".into()))
        })
        .await;
        let took = m.activated(1).expect("m1 active") - t;
        eprintln!(
            "etcd mode: SIGTERM -> m1 active after {} ms",
            took / 1_000_000
        );
        // m0 handed over by resigning, and waited for etcd's answer before it exited.
        let log = m.log(0);
        let revoked = log.find("lease revoked").expect("m0's revoke was answered");
        let stopped = log.find("node stopped").expect("m0 stopped");
        assert!(revoked < stopped, "the revoke before the exit");
    });
    assert_eq!(m.dual_active(), Vec::<String>::new());
}
