//! Issue 15 with real `baton node` processes on loopback: `baton status` exits by state
//! (item 6; `failed` exited 0), `--watch` stamps every line and follows a restart,
//! `baton switchover --wait` returns when the handover completed or failed, the `node
//! started` log names the right addresses (B8), and hooks at shutdown see `BATON_MEMBER`
//! and `BATON_PEER` (B7).

mod support;

use baton_status::State;
use std::process::Stdio;
use std::time::Duration;
use support::{is, runtime, start_alpha_then_beta, Pair, Watch, BATON};
use tokio::io::{AsyncBufReadExt, BufReader};

/// Longest any one step may take.
const STEP: Duration = Duration::from_secs(10);

/// Runs `baton ARGS`: (exit status, stdout, stderr).
async fn baton(args: &[&str]) -> (i32, String, String) {
    let child = tokio::process::Command::new(BATON)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("baton starts");
    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("baton ends within 20 s")
        .expect("baton's output");
    let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_owned();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

fn config(pair: &Pair, i: usize) -> String {
    pair.specs[i].config.display().to_string()
}

/// Node `i`'s script component's check fails while the returned file exists.
fn check_fails_with_marker(pair: &Pair, i: usize) -> std::path::PathBuf {
    let marker = pair.dir().join(format!("check-fails-{i}"));
    let path = &pair.specs[i].config;
    let text = std::fs::read_to_string(path).expect("the file");
    assert!(text.contains("check = \"true\""), "{text}");
    let check = format!("check = \"[ ! -e {} ]\"", marker.display());
    std::fs::write(path, text.replace("check = \"true\"", &check)).expect("written");
    marker
}

#[test]
fn status_exits_by_state_and_switchover_waits_for_the_handover() {
    let mut pair = Pair::new("opsstatus");
    let marker = check_fails_with_marker(&pair, 0);
    let check_fails = |fails: bool| {
        if fails {
            std::fs::write(&marker, "").expect("marker written");
        } else {
            std::fs::remove_file(&marker).expect("marker removed");
        }
    };
    runtime().block_on(async {
        let mut watch = Watch::start(&pair);
        start_alpha_then_beta(&mut pair, &mut watch).await;
        let (alpha, beta) = (config(&pair, 0), config(&pair, 1));
        let st = |c: String| async move { baton(&["status", "--config", &c]).await };
        let (code, out, err) = st(alpha.clone()).await;
        assert_eq!(
            (code, out.as_str(), err.as_str()),
            (0, "active peer=beta:standby components=1/1", "")
        );
        let (code, out, _) = st(beta.clone()).await;
        assert_eq!(
            (code, out.as_str()),
            (3, "standby peer=alpha:active components=1/1")
        );

        let (code, out, err) = baton(&["switchover", "--config", &alpha, "--wait"]).await;
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            out,
            "ok: switchover started\nhandover complete: standby peer=beta:active components=1/1"
        );
        assert_eq!(st(alpha.clone()).await.0, 3);
        assert_eq!(st(beta.clone()).await.0, 0);

        // A fatal component failed on the standby: failed, exit status 8 (it was 0).
        check_fails(true);
        watch
            .until("alpha failed", STEP, |s| is(&s[0], State::Failed))
            .await;
        let (code, out, _) = st(alpha.clone()).await;
        assert_eq!(
            (code, out.as_str()),
            (8, "failed peer=beta:active components=0/1")
        );
        check_fails(false);
        watch
            .until("alpha standby", STEP, |s| is(&s[0], State::Standby))
            .await;

        // A handover that fails: alpha's activate fails, and beta serves again.
        pair.set_activate_fails(0, true);
        let (code, out, err) = baton(&["switchover", "--config", &beta, "--wait"]).await;
        assert_eq!((code, out.as_str()), (1, "ok: switchover started"), "{err}");
        assert!(
            err.starts_with("baton: the handover failed: this node serves again: active"),
            "{err}"
        );

        // Without a status listener to follow, --wait says so.
        let (code, _, err) = baton(&["switchover", "--control", "/nonexistent", "--wait"]).await;
        assert_eq!(
            (code, err.as_str()),
            (
                2,
                "baton: --wait follows the node's status: give --status ADDR or --config FILE"
            )
        );
    });
}

/// `2026-12-05T16:30:01.123456Z` and the rest of the line.
fn split_stamp(line: &str) -> (&str, &str) {
    let (stamp, rest) = line.split_once(' ').unwrap_or((line, ""));
    let shape = stamp.len() == 27
        && stamp.ends_with('Z')
        && stamp.chars().enumerate().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == 'T',
            13 | 16 => c == ':',
            19 => c == '.',
            26 => c == 'Z',
            _ => c.is_ascii_digit(),
        });
    assert!(shape, "not an RFC 3339 UTC time: {line:?}");
    (stamp, rest)
}

/// The next line of `baton status --watch`, within a step.
async fn next(lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>) -> String {
    let line = tokio::time::timeout(STEP, lines.next_line()).await;
    line.expect("a line within the step")
        .expect("stdout")
        .expect("not the end")
}

#[test]
fn status_watch_stamps_each_line_and_follows_a_restart() {
    let mut pair = Pair::new("opswatch");
    runtime().block_on(async {
        let mut watch = Watch::start(&pair);
        start_alpha_then_beta(&mut pair, &mut watch).await;
        let mut child = tokio::process::Command::new(BATON)
            .args(["status", "--watch", "--config", &config(&pair, 1)])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("baton status --watch starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = next(&mut lines).await;
        assert_eq!(
            split_stamp(&first).1,
            "standby peer=alpha:active components=1/1"
        );
        pair.kill(1);
        let gone = next(&mut lines).await;
        let why = split_stamp(&gone).1;
        assert!(
            why == format!(
                "unreachable: {}: the connection closed",
                pair.specs[1].status
            ),
            "{gone}"
        );
        pair.start(1);
        let mut back = next(&mut lines).await;
        while split_stamp(&back).1 != "standby peer=alpha:active components=1/1" {
            assert!(!back.contains("unreachable"), "unreachable twice: {back}");
            back = next(&mut lines).await;
        }
        assert!(split_stamp(&first).0 < split_stamp(&back).0);
        let _ = child.kill().await;
    });
}

#[test]
fn b8_b7_node_started_names_its_addresses_and_hooks_at_exit_see_the_names() {
    let mut pair = Pair::new("opsnames");
    let env = pair.dir().join("env");
    let state = pair.specs[0].state_file.display().to_string();
    let path = &pair.specs[0].config;
    let text = std::fs::read_to_string(path).expect("alpha's file");
    let old = format!("deactivate = \"echo standby > {state}\"");
    assert!(text.contains(&old), "{text}");
    let new = format!(
        "deactivate = \"echo standby > {state}; echo $BATON_HOOK $BATON_MEMBER $BATON_PEER \
         $BATON_ROLE >> {}\"",
        env.display()
    );
    std::fs::write(path, text.replace(&old, &new)).expect("alpha's file written");
    let lines = || std::fs::read_to_string(&env).unwrap_or_default();
    runtime().block_on(async {
        let mut watch = Watch::start(&pair);
        pair.start(0);
        watch
            .until("alpha active alone", STEP, |s| is(&s[0], State::Active))
            .await;
        let line = pair.log_line(0, 0, &["node started"], STEP).await;
        let (me, peer) = (pair.specs[0].peer, pair.specs[1].peer);
        assert!(
            line.ends_with(&format!(
                "node started member=alpha listen={me} peers=beta={peer} encoding=der tls=false"
            )),
            "{line}"
        );
        // SIGTERM alone: the exit jobs (after the start-up's).
        let pid = pair.pid(0).expect("alpha runs").to_string();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        let deadline = tokio::time::Instant::now() + STEP;
        while lines().lines().count() < 2 || pair.running(0) {
            assert!(tokio::time::Instant::now() < deadline, "{}", lines());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // SIGKILL: the guard's.
        pair.kill(0);
        watch.until("alpha gone", STEP, |s| s[0].is_none()).await;
        pair.start(0);
        watch
            .until("alpha active again", STEP, |s| is(&s[0], State::Active))
            .await;
        pair.kill(0);
        while lines().lines().count() < 4 {
            assert!(tokio::time::Instant::now() < deadline + STEP, "{}", lines());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // SIGTERM with the peer up: the handover's deactivate.
        pair.kill(0);
        watch
            .until("alpha gone again", STEP, |s| s[0].is_none())
            .await;
        start_alpha_then_beta(&mut pair, &mut watch).await;
        let pid = pair.pid(0).expect("alpha runs").to_string();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        let deadline = tokio::time::Instant::now() + STEP;
        while lines().lines().count() < 6 || pair.running(0) {
            assert!(tokio::time::Instant::now() < deadline, "{}", lines());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        watch
            .until("beta active", STEP, |s| is(&s[1], State::Active))
            .await;
        assert_eq!(lines(), "deactivate alpha beta standby\n".repeat(6));
    });
}
