//! What is refused before a node runs: an unusable `state_dir` (at start, naming the path
//! and the OS error), quorum timers breaking the lease inequality and a witness with
//! components (`baton check-config`, with the numbers and the key).

use crate::harness::{baton, only_active, serving, witness, Cluster};
use crate::support::runtime;
use std::time::Duration;

#[test]
fn an_unwritable_state_dir_is_refused_at_start() {
    let members = [serving("alpha"), serving("beta"), serving("gamma")];
    let c = Cluster::new("sdir", &members, "", "");
    // state_dir under a regular file: not a directory.
    let file = c.dir().join("plain");
    std::fs::write(&file, "").unwrap();
    let bad = file.join("state");
    let text = c.config_text(0, "", "").replace(
        &c.state_dir(0).display().to_string(),
        &bad.display().to_string(),
    );
    std::fs::write(c.config(0), text).unwrap();
    let config = c.config(0).display().to_string();
    let (code, _, err) = baton(&["check-config", &config]);
    assert_eq!(code, 0, "check-config reads the file only: {err}");
    let (code, _, err) = baton(&["node", "--config", &config]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!("state_dir {}: cannot use it: ", bad.display()))
            && err.contains("Not a directory (os error 20)"),
        "{err}"
    );
    // A folder that does not exist.
    let missing = c.dir().join("missing");
    let text = c.config_text(0, "", "").replace(
        &c.state_dir(0).display().to_string(),
        &missing.display().to_string(),
    );
    std::fs::write(c.config(0), text).unwrap();
    let (code, _, err) = baton(&["node", "--config", &config]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!("state_dir {}: cannot use it: ", missing.display()))
            && err.contains("(os error 2)"),
        "{err}"
    );
}

#[test]
fn check_config_refuses_timers_that_break_the_lease_inequality() {
    let members = [serving("alpha"), serving("beta"), serving("gamma")];
    let mut c = Cluster::new("timers", &members, "", "");
    c.timers = "voter_lease_ms = 800\nactive_lease_ms = 700\n".into();
    c.rewrite("");
    let config = c.config(0).display().to_string();
    let (code, out, err) = baton(&["check-config", &config]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains(
            "timers: quorum timers refused: lease inequality broken: active_lease \
                      700.000 ms / (1 - 10000 ppm) + demotion_bound 300.000 ms = 1007.070 ms \
                      exceeds voter_lease 800.000 ms / (1 + 10000 ppm) = 792.079 ms"
        ),
        "{err}"
    );
    let good = Cluster::new("timersok", &members, "", "");
    let (code, out, err) = baton(&["check-config", &good.config(0).display().to_string()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("quorum"), "{out}");
}

#[test]
fn a_witness_with_components_is_refused() {
    let members = [serving("alpha"), serving("beta"), witness("wit")];
    let c = Cluster::new("witcomp", &members, "", "");
    let text = c.config_text(2, "", "") + "\n[[component]]\nid = \"1001\"\nactivate = \"true\"\n";
    std::fs::write(c.config(2), text).unwrap();
    let config = c.config(2).display().to_string();
    let (code, _, err) = baton(&["check-config", &config]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "component: member \"wit\" is a witness (votes, never serves): its \
                      configuration must have no [[component]] tables"
        ),
        "{err}"
    );
    let (code, _, err) = baton(&["node", "--config", &config]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_grant_that_cannot_be_written_stops_the_node() {
    let members = [serving("alpha"), serving("beta"), serving("gamma")];
    let mut c = Cluster::new("grantfail", &members, "", "");
    c.start_all();
    runtime().block_on(async {
        c.until_states(Duration::from_secs(20), "alpha active", |s| {
            only_active(s, 0, &[])
        })
        .await;
        // beta's state_dir goes away: its next grant (to itself or to gamma) cannot be
        // written, so it must not be sent.
        std::fs::remove_dir_all(c.state_dir(1)).unwrap();
        c.kill(0);
        let code = c.exited(1, Duration::from_secs(10)).await;
        assert_eq!(code, Some(1), "beta stops with an error");
        let log = c.log(1);
        assert!(
            log.contains("cannot persist the grant (round ")
                && log.contains("stopping rather than send a grant that is not on disk"),
            "{log}"
        );
    });
}
