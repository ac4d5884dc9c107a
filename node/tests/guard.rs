//! The script guard (PROTOCOL 6.3) with real `baton node` processes on loopback: a script
//! component whose hooks append `MEMBER HOOK` to one history file; SIGKILL and SIGSTOP of the
//! node's whole process group (the guard has its own), SIGTERM, and a node without script
//! components. Only processes this test started are signalled, by pid or by the process
//! group it made for each node.

#[path = "guard_harness/mod.rs"]
mod harness;
mod support;

use harness::*;
use std::time::Duration;
use support::{runtime, state_word};
use tokio::time::Instant;

/// SIGKILL of the node's whole group: the guard reads the end of its stdin and runs
/// `deactivate`, then `stop`, at once (well within the bound), then exits.
#[test]
fn guard_on_sigkill() {
    runtime().block_on(async {
        let mut c = Cluster::new("guardkill", true);
        c.start(0);
        c.hist_has(0, "alpha activate").await;
        let guard = c.guard_pid(0).await;
        assert!(alive(guard));
        let mark = c.hist().len();
        c.signal_group(0, "KILL");
        let killed = Instant::now();
        c.hist_has(mark, "alpha deactivate").await;
        let took = killed.elapsed();
        assert!(took < BOUND, "deactivate {took:?} after SIGKILL");
        until_dead(guard, STEP).await;
        assert_eq!(c.hist()[mark..], ["alpha deactivate", "alpha stop"]);
        c.log_line(0, &["guard{", "node gone", "deactivating 1001"])
            .await;
        c.log_line(0, &["guard{", "exiting"]).await;
    });
}

/// SIGKILL while `activate` runs (it dies with the node's group): the guard heard of the
/// component before the activation started, and stands it down (PROTOCOL 6.3 [G1]).
#[test]
fn guard_covers_an_activation_in_progress() {
    runtime().block_on(async {
        let mut c = Cluster::with("guardmid", true, ["sleep 3;", ""]);
        c.start(0);
        c.log_line(0, &["role changed", "to=promoting"]).await;
        let guard = c.guard_pid(0).await;
        let mark = c.hist().len();
        tokio::time::sleep(Duration::from_millis(100)).await;
        c.signal_group(0, "KILL");
        until_dead(guard, STEP).await;
        assert_eq!(c.hist()[mark..], ["alpha deactivate", "alpha stop"]);
    });
}

/// A guard that went away (SIGKILL) is started again by its node, armed with what the node
/// holds active, and guards as the first did.
#[test]
fn guard_restarted_when_killed() {
    runtime().block_on(async {
        let mut c = Cluster::new("guardagain", true);
        c.start(0);
        c.hist_has(0, "alpha activate").await;
        let first = c.guard_pid(0).await;
        signal("KILL", &first.to_string());
        until_dead(first, STEP).await;
        c.log_line(0, &["guard gone", "starting it again"]).await;
        let deadline = Instant::now() + STEP;
        let second = loop {
            if let Some(&pid) = guard_pids_in(&c.log(0)).get(1) {
                break pid;
            }
            assert!(Instant::now() < deadline, "no second guard: {}", c.log(0));
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        assert_ne!(first, second);
        let mark = c.hist().len();
        c.signal_group(0, "KILL");
        c.hist_has(mark, "alpha deactivate").await;
        until_dead(second, STEP).await;
        assert_eq!(c.hist()[mark..], ["alpha deactivate", "alpha stop"]);
    });
}

/// SIGSTOP of the active's whole group for longer than the dead interval: its guard stands
/// the component down before the peer's `activate`; after SIGCONT the node learns it and
/// does not believe the component active (it activates it again only if the protocol says
/// so: it is still the active).
#[test]
fn guard_on_sigstop() {
    runtime().block_on(async {
        let mut c = Cluster::new("guardstop", true);
        c.start(0);
        c.hist_has(0, "alpha activate").await;
        c.start(1);
        let deadline = Instant::now() + STEP;
        while support::status_json(c.status[1])
            .await
            .ok()
            .map(|d| d["state"].clone())
            != Some("standby".into())
        {
            assert!(Instant::now() < deadline, "beta is not standby");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mark = c.hist().len();
        c.signal_group(0, "STOP");
        let h = c.hist_has(mark, "beta activate").await;
        let at = |l: &str| h.iter().position(|x| x == l);
        let (down, up) = (at("alpha deactivate"), at("beta activate"));
        assert!(
            down.is_some() && down < up,
            "alpha's guard did not stand alpha's component down before beta's activate: {h:?}"
        );
        c.log_line(0, &["guard{", "node silent", "deactivating 1001"])
            .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        c.signal_group(0, "CONT");
        let resumed = c.hist().len();
        c.log_line(
            0,
            &["guard: stood the component down while this node was silent"],
        )
        .await;
        // The report is applied a dead interval after it came; let the pair settle.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let words = [state_word(c.status[0]).await, state_word(c.status[1]).await];
        let h = c.hist();
        assert_eq!(
            words.iter().filter(|w| *w == "active").count(),
            1,
            "{words:?}, {h:?}"
        );
        for (i, member) in NAMES.iter().enumerate() {
            assert_eq!(
                last_active(&h, member),
                words[i] == "active",
                "{member} is {} but its hooks say otherwise: {h:?}",
                words[i]
            );
        }
        if words[0] == "standby" {
            assert!(
                !h[resumed..].contains(&"alpha activate".to_owned()),
                "alpha activated again while standby: {h:?}"
            );
        }
        assert!(alive(c.guard_pid(0).await), "alpha's guard still watches");
    });
}

/// SIGTERM to the node and its guard (as systemd's control-group stop does): the node runs
/// its exit jobs and says `bye`; the guard ignores SIGTERM and runs nothing itself, also while
/// a `deactivate` slower than its bound runs (the node beats meanwhile).
#[test]
fn guard_quiet_on_clean_exit() {
    runtime().block_on(async {
        let mut c = Cluster::with("guardterm", true, ["", "sleep 1.2;"]);
        c.start(0);
        c.hist_has(0, "alpha activate").await;
        let guard = c.guard_pid(0).await;
        let mark = c.hist().len();
        signal("TERM", &guard.to_string());
        signal("TERM", &c.pid(0).to_string());
        c.exited(0).await;
        until_dead(guard, STEP).await;
        assert_eq!(c.hist()[mark..], ["alpha deactivate", "alpha stop"]);
        let log = c.log(0);
        assert!(
            log.contains("SIGTERM ignored: the guard ends with its node"),
            "{log}"
        );
        assert!(
            log.lines()
                .any(|l| l.contains("guard{") && l.contains("exiting")),
            "{log}"
        );
        assert!(
            !log.contains("node gone") && !log.contains("node silent"),
            "{log}"
        );
        assert!(!log.contains("guard not"), "{log}");
    });
}

/// A node without script components starts no guard.
#[test]
fn no_guard_without_script_components() {
    runtime().block_on(async {
        let mut c = Cluster::new("guardnone", false);
        c.start(0);
        c.log_line(0, &["node started"]).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let pid = c.pid(0);
        assert_eq!(children_of(pid), Vec::<u32>::new());
        assert!(!c.log(0).contains("guard"), "{}", c.log(0));
        signal("TERM", &pid.to_string());
        c.exited(0).await;
    });
}
