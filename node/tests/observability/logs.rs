//! Item 7: `log_format = "json"`, a repeating warning written once then with a count, status
//! clients at debug.

use super::{configure, STEP};
use crate::support::*;
use baton_status::State;
use std::time::Duration;

/// A node alone with a second component whose check fails every 200 ms, with the exit
/// status in `status_file` (0 passes).
fn failing_check(pair: &Pair, format: &str) -> std::path::PathBuf {
    let status_file = pair.dir().join("check.status");
    std::fs::write(&status_file, "1").expect("status file");
    configure(pair, 0, &format!("log_format = \"{format}\""), "");
    let path = &pair.specs[0].config;
    let mut text = std::fs::read_to_string(path).expect("the configuration");
    text.push_str(&format!(
        "\n[[component]]\nid = \"1002\"\nseverity = \"minor\"\ncheck_interval_ms = 200\n\
         check = \"s=$(cat {f}); [ \\\"$s\\\" = 0 ] || {{ echo oops >&2; exit $s; }}\"\n",
        f = status_file.display()
    ));
    std::fs::write(path, text).expect("the configuration is written");
    status_file
}

/// Every line of node 0's log as JSON objects.
fn json_lines(pair: &Pair) -> Vec<serde_json::Value> {
    pair.log(0)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The log lines (JSON) of component 1002's check whose message contains `text`.
fn check_lines(lines: &[serde_json::Value], text: &str) -> Vec<serde_json::Value> {
    lines
        .iter()
        .filter(|l| l["component"] == "1002" && l["hook"] == "check")
        .filter(|l| l["message"].as_str().unwrap_or("").contains(text))
        .cloned()
        .collect()
}

/// JSON lines; a check failing every 200 ms for 2 s is one line (and one for its stderr),
/// then, when its exit status changes, the count of the first and the new one.
#[test]
fn json_logs_and_a_repeating_warning_counted() {
    let mut pair = Pair::new("logsjson");
    let status_file = failing_check(&pair, "json");
    runtime().block_on(async {
        let mut watch = Watch::start(&pair);
        pair.start(0);
        watch
            .until("alpha degraded alone", STEP, |s| {
                matches!(word(&s[0]), Some(State::Active | State::Degraded))
            })
            .await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let lines = json_lines(&pair);
        for l in &lines {
            assert!(
                l["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')),
                "{l}"
            );
            assert!(l["level"].as_str().is_some(), "{l}");
            assert!(l["message"].as_str().is_some(), "{l}");
        }
        assert!(
            lines
                .iter()
                .any(|l| l["message"] == "node started" && l["member"] == "alpha"),
            "no node started line"
        );
        let failed = check_lines(&lines, "exit status: 1");
        assert_eq!(failed.len(), 1, "{failed:#?}");
        assert_eq!(failed[0]["level"], "WARN");
        assert_eq!(failed[0].get("repeated"), None);
        assert_eq!(check_lines(&lines, "oops").len(), 1);

        std::fs::write(&status_file, "2").expect("status file");
        tokio::time::sleep(Duration::from_millis(800)).await;
        let lines = json_lines(&pair);
        let failed = check_lines(&lines, "exit status: 1");
        assert_eq!(failed.len(), 2, "the first, then its count: {failed:#?}");
        let repeated = failed[1]["repeated"].as_u64().unwrap_or(0);
        assert!(repeated >= 5, "2 s at 200 ms: {}", failed[1]);
        assert_eq!(check_lines(&lines, "exit status: 2").len(), 1);
    });
}

/// `baton status` connections are logged at debug: nothing at info.
#[test]
fn status_clients_are_logged_at_debug() {
    let mut pair = Pair::new("logsclient");
    runtime().block_on(async {
        let mut watch = Watch::start(&pair);
        pair.start(0);
        watch
            .until("alpha active alone", STEP, |s| is(&s[0], State::Active))
            .await;
        drop(watch);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mark = pair.log_mark(0);
        for _ in 0..3 {
            assert_eq!(state_word(pair.specs[0].status).await, "active");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(pair.log_since(0, mark), Vec::<String>::new());
    });
}
