//! `baton check-config` (issue 15, items 1 and 5): one file as before, the files of a cluster
//! together, every problem on stderr with its file, line and key, exit status 2.

mod support;

use std::process::Command;
use support::{Scratch, BATON};

/// `me`'s file of a pair on ports 7401 and 7402.
fn file(me: &str) -> String {
    format!(
        r#"name = "{me}"

[[member]]
name = "alpha"
id = "1"
address = "127.0.0.1:7401"

[[member]]
name = "beta"
id = "2"
address = "127.0.0.1:7402"

[listen]
status = "127.0.0.1:74{port}"

[[component]]
id = "2001"
severity = "fatal"
activate = "true"
"#,
        port = if me == "alpha" { 21 } else { 22 }
    )
}

/// Runs `baton check-config` on `files` written to a scratch folder, from that folder:
/// (exit status, stdout, stderr).
fn check(tag: &str, files: &[(&str, String)]) -> (i32, String, String) {
    let dir = Scratch::new(tag);
    for (name, text) in files {
        std::fs::write(dir.path.join(name), text).expect("file written");
    }
    let out = Command::new(BATON)
        .arg("check-config")
        .args(files.iter().map(|(name, _)| name))
        .current_dir(&dir.path)
        .output()
        .expect("baton runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_owned();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

#[test]
fn one_file_keeps_its_summary() {
    assert_eq!(
        check("one", &[("a.toml", file("alpha"))]),
        (
            0,
            "a.toml: ok: member alpha (id 1) of 2, pair mode, encoding der, 1 component(s), 1 \
             script component(s), no [tls]: TCP links unauthenticated"
                .to_owned(),
            String::new()
        )
    );
}

#[test]
fn a_cluster_that_agrees_is_summed_up() {
    let (code, out, err) = check(
        "agree",
        &[("a.toml", file("alpha")), ("b.toml", file("beta"))],
    );
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(
        out.lines().last(),
        Some(
            "cluster: ok: 2 files agree: members alpha beta, pair mode, encoding der, heartbeat \
             100 ms, dead interval 300 ms"
        )
    );
}

#[test]
fn every_problem_of_the_cluster_is_reported_with_its_line() {
    let beta = file("beta")
        .replace("id = \"2\"\n", "id = \"3\"\n")
        .replace(
            "name = \"beta\"\n\n",
            "name = \"beta\"\nencoding = \"uper\"\n",
        );
    let (code, out, err) = check("differ", &[("a.toml", file("alpha")), ("b.toml", beta)]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        [
            "baton: b.toml:10:6: member[1].id: \"3\" here, \"2\" in a.toml:10:6: every file \
             lists the same members in the same order (highest priority first)",
            "baton: b.toml:2:12: encoding: uper here, der in a.toml (not written: the default): \
             every file of the cluster must say the same"
        ]
    );
}

#[test]
fn b1_b3_b6_one_file_problems_are_refused() {
    let dup = file("alpha").replace("127.0.0.1:7402", "127.0.0.1:7401");
    assert_eq!(
        check("b1", &[("a.toml", dup)]),
        (
            2,
            String::new(),
            "baton: a.toml:11:11: member[1].address: 127.0.0.1:7401 is member[0]'s address too: \
             each member listens on an address of its own"
                .to_owned()
        )
    );
    let zero = format!("{}check = \"true\"\ncheck_interval_ms = 0\n", file("alpha"));
    assert_eq!(
        check("b3", &[("a.toml", zero)]).2,
        "baton: a.toml:21:21: component[0].check_interval_ms: must be 1 to 3600000 milliseconds"
    );
    let major = file("alpha").replace("\"fatal\"", "\"major\"");
    assert_eq!(
        check("b6", &[("a.toml", major)]).2,
        "baton: a.toml:18:12: component[0].severity: \"major\" restarts the component (stop, \
         then start) and script component 2001 has no start and no stop: give it start and \
         stop, or use severity minor (log) or fatal (hand over)"
    );
}

#[test]
fn b3_the_node_refuses_at_start_what_check_config_refuses() {
    let dir = Scratch::new("b3start");
    let zero = format!("{}timeout_ms = 0\n", file("alpha"));
    std::fs::write(dir.path.join("a.toml"), zero).expect("file written");
    let out = Command::new(BATON)
        .args(["node", "--config", "a.toml"])
        .current_dir(&dir.path)
        .output()
        .expect("baton runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "baton: a.toml:20:14: component[0].timeout_ms: must be 1 to 3600000 milliseconds"
    );
}
