//! Quorum mode: three members, and two members with a witness.

use crate::harness::{baton, only_active, serving, witness, Cluster};
use crate::support::runtime;
use std::time::Duration;

const ELECT: Duration = Duration::from_secs(20);

#[test]
fn three_members_elect_the_first_and_the_next_takes_over_when_it_dies() {
    let members = [serving("alpha"), serving("beta"), serving("gamma")];
    let mut c = Cluster::new("q3", &members, "", "");
    c.start_all();
    runtime().block_on(async {
        c.until_states(ELECT, "alpha active", |s| only_active(s, 0, &[]))
            .await;
        let doc = c.status(0).await.expect("alpha answers");
        let names: Vec<&str> = doc["members"]
            .as_array()
            .expect("members")
            .iter()
            .map(|m| m["name"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(names, ["alpha", "beta", "gamma"], "{doc}");
        assert_eq!(doc["members"][0]["state"], "active", "{doc}");
        assert!(doc["round"].as_u64().is_some_and(|r| r >= 1), "{doc}");
        assert!(doc["lease_ms"].as_u64().is_some(), "{doc}");
        assert_eq!(c.component(0), "active");
        let (code, out, err) = baton(&["status", "--address", &c.status[0].to_string()]);
        assert_eq!(code, 0, "{err}");
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines[0].starts_with("active components=1/1 round=")
                && lines[0].contains(" members=alpha:active,beta:standby,gamma:standby lease="),
            "{out}"
        );
        assert_eq!(
            lines[1..],
            [
                "  alpha            active",
                "  beta             standby",
                "  gamma            standby"
            ],
            "{out}"
        );
        assert_eq!(
            c.grant_round(0).map(|(_, m)| m),
            Some("alpha".to_owned()),
            "alpha persisted its grant to itself"
        );
        c.kill(0);
        c.until_states(ELECT, "beta active", |s| only_active(s, 1, &[0]))
            .await;
        assert_eq!(c.component(1), "active");
        assert_eq!(c.component(2), "standby");
        let doc = c.status(2).await.expect("gamma answers");
        assert_eq!(doc["members"][0]["state"], "down", "{doc}");
        assert_eq!(doc["members"][1]["state"], "active", "{doc}");
        // alpha comes back with its persisted grant: it stands by, beta keeps the service.
        c.start(0);
        c.until_states(ELECT, "alpha back as standby", |s| only_active(s, 1, &[]))
            .await;
        assert_eq!(c.component(0), "standby");
        assert!(c.log(0).contains("grant read from"), "alpha read its grant");
    });
}

#[test]
fn two_members_and_a_witness_fail_over() {
    let members = [serving("alpha"), serving("beta"), witness("wit")];
    let mut c = Cluster::new("qw", &members, "", "");
    c.start_all();
    runtime().block_on(async {
        c.until_states(ELECT, "alpha active", |s| only_active(s, 0, &[]))
            .await;
        let doc = c.status(2).await.expect("the witness answers");
        assert!(
            doc["status"].as_str().unwrap_or("").contains(" witness"),
            "{doc}"
        );
        assert_eq!(doc["members"][2]["name"], "wit", "{doc}");
        let doc = c.status(0).await.expect("alpha answers");
        assert_eq!(doc["members"][2]["state"], "witness", "{doc}");
        c.kill(0);
        c.until_states(ELECT, "beta active", |s| only_active(s, 1, &[0]))
            .await;
        assert_eq!(c.component(1), "active");
    });
}

#[test]
fn a_corrupt_grant_file_abstains_then_joins() {
    let members = [serving("alpha"), serving("beta"), serving("gamma")];
    let mut c = Cluster::new("qcorrupt", &members, "", "");
    std::fs::write(c.state_dir(2).join("grant"), "garbage\n").unwrap();
    c.start_all();
    runtime().block_on(async {
        c.until_states(ELECT, "alpha active", |s| only_active(s, 0, &[]))
            .await;
        assert!(
            c.log(2).contains("is corrupt") && c.log(2).contains("abstaining for one voter lease"),
            "gamma says why it abstains"
        );
        // gamma joined: with beta gone, alpha keeps its lease only with gamma's renewals.
        tokio::time::sleep(Duration::from_secs(2)).await;
        c.kill(1);
        tokio::time::sleep(Duration::from_secs(2)).await;
        let states = c.states().await;
        assert!(only_active(&states, 0, &[1]), "{states:?}");
        assert_eq!(c.grant_round(2).map(|(_, m)| m), Some("alpha".to_owned()));
    });
}

#[test]
fn a_reload_refuses_cluster_changes() {
    let members = [serving("alpha"), serving("beta"), serving("gamma")];
    let mut c = Cluster::new("qreload", &members, "", "");
    c.start_all();
    runtime().block_on(async {
        c.until_states(ELECT, "alpha active", |s| only_active(s, 0, &[]))
            .await;
        let changed = c
            .config_text(0, "", "\n[fence]\ncommand = \"true\"\n")
            .replace("[timers]\n", "[timers]\nvoter_lease_ms = 900\n");
        std::fs::write(c.config(0), changed).unwrap();
        c.signal(0, "HUP");
        let want = "reload: these changes need a restart and were not applied: election mode, \
                    quorum timers, state_dir or [etcd], fence";
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while !c.log(0).contains(want) {
            assert!(tokio::time::Instant::now() < deadline, "{}", c.log(0));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let states = c.states().await;
        assert!(only_active(&states, 0, &[]), "nothing changed: {states:?}");
    });
}

#[test]
fn sigterm_on_the_active_hands_over_to_the_next() {
    let members = [serving("alpha"), serving("beta"), serving("gamma")];
    let mut c = Cluster::new("qterm", &members, "", "");
    c.start_all();
    runtime().block_on(async {
        c.until_states(ELECT, "alpha active", |s| only_active(s, 0, &[]))
            .await;
        c.signal(0, "TERM");
        assert_eq!(
            c.exited(0, ELECT).await,
            Some(0),
            "alpha exits after handing over"
        );
        assert!(
            !c.log(0).contains("exiting without a completed handover"),
            "{}",
            c.log(0)
        );
        c.until_states(ELECT, "beta active", |s| only_active(s, 1, &[0]))
            .await;
        assert_eq!(c.component(0), "standby");
        assert_eq!(c.component(1), "active");
    });
}
