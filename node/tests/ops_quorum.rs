//! Issue 15 item 6 in quorum mode: `baton switchover --wait` on three members returns when
//! another member serves (the `members=` words), and `baton status` exits by state.

mod support;

#[path = "cluster/harness.rs"]
#[allow(dead_code)] // the cluster tests use the rest
mod harness;

use harness::{baton, only_active, serving, Cluster};
use std::time::Duration;
use support::runtime;

const ELECT: Duration = Duration::from_secs(20);

#[test]
fn switchover_wait_in_quorum_mode_returns_when_another_member_serves() {
    let members = [serving("alpha"), serving("beta"), serving("gamma")];
    let mut c = Cluster::new("opsq3", &members, "", "");
    // A control socket for alpha.
    let path = c.config(0);
    let text = std::fs::read_to_string(&path).expect("alpha's file");
    let control = c.dir().join("alpha.ctl");
    let listen = format!("[listen]\ncontrol_socket = \"{}\"\n", control.display());
    std::fs::write(&path, text.replace("[listen]\n", &listen)).expect("written");
    c.start_all();
    runtime().block_on(async {
        c.until_states(ELECT, "alpha active", |s| only_active(s, 0, &[]))
            .await;
    });
    let alpha = path.display().to_string();
    let (code, out, err) = baton(&["status", "--config", &alpha]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = baton(&["switchover", "--config", &alpha, "--wait"]);
    assert_eq!(code, 0, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "ok: switchover started", "{out}");
    assert!(
        lines[1].starts_with("handover complete: standby components=1/1 round=")
            && lines[1].ends_with(" members=alpha:standby,beta:active,gamma:standby"),
        "{out}"
    );
    let (code, out, _) = baton(&["status", "--config", &alpha]);
    assert_eq!(code, 3, "{out}");
}
