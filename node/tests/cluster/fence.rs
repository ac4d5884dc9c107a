//! Fencing (PROTOCOL 5.10) in a pair: the standby whose active died runs the fence command
//! and promotes only when it exits 0; exit 1 keeps it standby, saying `fencing=<name>`.

use crate::harness::{only_active, serving, Cluster};
use crate::support::runtime;
use std::time::Duration;

const ELECT: Duration = Duration::from_secs(20);

/// A pair with `[fence]`: the command records its environment in `fenced` and exits with
/// the number in `rc` (0 when the file is missing).
fn fenced_pair(tag: &str) -> Cluster {
    fenced_cluster(tag, &[serving("alpha"), serving("beta")])
}

/// As [`fenced_pair`], with these members.
fn fenced_cluster(tag: &str, members: &[crate::harness::Member]) -> Cluster {
    let c = Cluster::new(tag, members, "", "");
    let fence = format!(
        "\n[fence]\ncommand = \"echo $BATON_FENCE_MEMBER $BATON_FENCE_ID $BATON_FENCE_ADDRESS >> \
         {out}; exit $(cat {rc} 2>/dev/null || echo 0)\"\ntimeout_ms = 2000\nretry_ms = 300\n",
        out = c.dir().join("fenced").display(),
        rc = c.dir().join("rc").display(),
    );
    for i in 0..members.len() {
        let text = c.config_text(i, "", &fence);
        std::fs::write(c.config(i), text).unwrap();
    }
    c
}

/// Starts alpha alone (it fences beta, the command succeeds, it promotes), then beta,
/// which stands by: deterministic, unlike both at once on a loaded machine.
async fn alpha_then_beta(c: &mut Cluster) {
    c.start(0);
    c.until_states(ELECT, "alpha active alone", |s| only_active(s, 0, &[1]))
        .await;
    c.start(1);
    c.until_states(ELECT, "alpha active, beta standby", |s| {
        only_active(s, 0, &[])
    })
    .await;
}

fn fenced(c: &Cluster) -> String {
    std::fs::read_to_string(c.dir().join("fenced")).unwrap_or_default()
}

#[test]
fn a_successful_fence_lets_the_standby_promote() {
    let mut c = fenced_pair("fenceok");
    runtime().block_on(async {
        alpha_then_beta(&mut c).await;
        let before = fenced(&c);
        c.kill(0);
        c.until_states(ELECT, "beta active", |s| only_active(s, 1, &[0]))
            .await;
        let after = fenced(&c);
        let new = &after[before.len()..];
        assert_eq!(
            new,
            format!("alpha 1 {}\n", c.peers[0]),
            "fenced: {after:?}"
        );
        assert_eq!(c.component(1), "active");
    });
}

#[test]
fn a_failed_fence_keeps_the_standby_standby() {
    let mut c = fenced_pair("fencefail");
    runtime().block_on(async {
        alpha_then_beta(&mut c).await;
        std::fs::write(c.dir().join("rc"), "1").unwrap();
        c.kill(0);
        // The fence fails, and again after fence_retry: beta stays standby, saying so.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let doc = c.status(1).await.expect("beta answers");
        assert_eq!(doc["state"], "standby", "{doc}");
        assert_eq!(doc["fencing"], "alpha", "{doc}");
        assert!(
            doc["status"]
                .as_str()
                .unwrap_or("")
                .contains("fencing=alpha"),
            "{doc}"
        );
        assert_eq!(c.component(1), "standby");
        let attempts = fenced(&c)
            .lines()
            .filter(|l| l.starts_with("alpha "))
            .count();
        assert!(attempts >= 2, "retried: {}", fenced(&c));
        assert!(
            c.log(1).contains("fencing: the fence command failed"),
            "logged"
        );
        // The fence works again: beta promotes at the next attempt.
        std::fs::write(c.dir().join("rc"), "0").unwrap();
        c.until_states(ELECT, "beta active", |s| only_active(s, 1, &[0]))
            .await;
    });
}

#[test]
fn quorum_mode_fences_the_member_it_replaces() {
    let members = [serving("alpha"), serving("beta"), serving("gamma")];
    let mut c = fenced_cluster("fenceq", &members);
    c.start_all();
    runtime().block_on(async {
        c.until_states(ELECT, "alpha active", |s| only_active(s, 0, &[]))
            .await;
        let before = fenced(&c);
        c.kill(0);
        c.until_states(ELECT, "beta active", |s| only_active(s, 1, &[0]))
            .await;
        let after = fenced(&c);
        assert_eq!(
            &after[before.len()..],
            format!("alpha 1 {}\n", c.peers[0]),
            "beta fenced alpha once before serving: {after:?}"
        );
    });
}
