//! The cluster checked as a whole (issue 15, item 5): files written to a scratch folder.

use super::*;
use std::path::PathBuf;

/// `me`'s file of a pair; `extra` goes before the first `[[member]]` (line 2).
fn file(me: &str, extra: &str) -> String {
    format!(
        r#"name = "{me}"
{extra}
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
"#,
        port = if me == "alpha" { 21 } else { 22 }
    )
}

/// Writes `files` (name, text) to a fresh folder; returns their paths.
fn write(tag: &str, files: &[(&str, String)]) -> Vec<PathBuf> {
    let dir = std::env::temp_dir().join(format!("baton-whole-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    files
        .iter()
        .map(|(name, text)| {
            let p = dir.join(name);
            std::fs::write(&p, text).expect("file written");
            p
        })
        .collect()
}

/// The errors, as lines, with the scratch folder cut off the paths.
fn errors(tag: &str, files: &[(&str, String)]) -> Vec<String> {
    let paths = write(tag, files);
    let dir = format!("{}/", paths[0].parent().unwrap().display());
    load_cluster(&paths)
        .unwrap_err()
        .iter()
        .map(|e| e.to_string().replace(&dir, ""))
        .collect()
}

#[test]
fn a_consistent_pair_passes() {
    let paths = write(
        "ok",
        &[("a.toml", file("alpha", "")), ("b.toml", file("beta", ""))],
    );
    let cfgs = load_cluster(&paths).unwrap();
    assert_eq!(cfgs.len(), 2);
    assert_eq!((cfgs[0].node.me, cfgs[1].node.me), (0, 1));
}

#[test]
fn b2_member_ids_that_differ_are_named_with_both_lines() {
    let beta = file("beta", "").replace("id = \"2\"", "id = \"3\"");
    assert_eq!(
        errors("ids", &[("a.toml", file("alpha", "")), ("b.toml", beta)]),
        [
            "b.toml:10:6: member[1].id: \"3\" here, \"2\" in a.toml:10:6: every file lists the \
          same members in the same order (highest priority first)"
        ]
    );
}

#[test]
fn members_order_addresses_and_counts_are_compared() {
    let swapped = file("beta", "")
        .replace("\"alpha\"\nid = \"1\"", "\"x\"\nid = \"1\"")
        .replace("\"beta\"\nid = \"2\"", "\"alpha\"\nid = \"2\"")
        .replace("\"x\"\nid = \"1\"", "\"beta\"\nid = \"1\"");
    assert_eq!(
        errors(
            "order",
            &[("a.toml", file("alpha", "")), ("b.toml", swapped)]
        ),
        [
            "b.toml:4:8: member[0].name: \"beta\" here, \"alpha\" in a.toml:4:8: every file \
             lists the same members in the same order (highest priority first)",
            "b.toml:9:8: member[1].name: \"alpha\" here, \"beta\" in a.toml:9:8: every file \
             lists the same members in the same order (highest priority first)"
        ]
    );
    let moved = file("beta", "").replace("127.0.0.1:7402", "localhost:7403");
    let e = errors(
        "address",
        &[("a.toml", file("alpha", "")), ("b.toml", moved)],
    );
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("b.toml:11:11: member[1].address: \"localhost:7403\" ("),
        "{e:?}"
    );
    assert!(
        e[0].ends_with(
            ") here, \"127.0.0.1:7402\" in a.toml:11:11: every file lists the same members in \
             the same order (highest priority first)"
        ),
        "{e:?}"
    );
    let three = format!(
        "{}\n[[member]]\nname = \"gamma\"\nid = \"3\"\naddress = \"127.0.0.1:7403\"\n",
        file("beta", "election = \"quorum\"\nstate_dir = \"s\"")
    );
    assert_eq!(
        errors("count", &[("a.toml", file("alpha", "")), ("b.toml", three)]),
        [
            "b.toml:18:8: member: 3 [[member]] tables here, 2 in a.toml:9:8: every file lists \
             the same members in the same order (highest priority first)",
            "b.toml:2:12: election: quorum here, pair in a.toml (not written: the default): every file of the cluster \
             must say the same"
        ]
    );
}

#[test]
fn settings_and_timers_are_compared_and_one_file_per_member() {
    let beta = file("beta", "encoding = \"uper\"\n[timers]\nheartbeat_ms = 50");
    assert_eq!(
        errors("settings", &[("a.toml", file("alpha", "")), ("b.toml", beta)]),
        [
            "b.toml:2:12: encoding: uper here, der in a.toml (not written: the default): every file of the cluster must \
             say the same",
            "b.toml:4:16: timers.heartbeat_ms: 50 ms here, 100 ms in a.toml (not written: the default): every file of the \
             cluster must say the same",
            "b.toml:4:16: timers.dead_interval_ms: 150 ms here, 300 ms in a.toml (not written: the default): every file of \
             the cluster must say the same"
        ]
    );
    let alpha2 = file("alpha", "").replace("7421", "7423");
    assert_eq!(
        errors(
            "twice",
            &[("a.toml", file("alpha", "")), ("a2.toml", alpha2)]
        ),
        ["a2.toml:1:8: name: \"alpha\" here and in a.toml:1:8: one file per member"]
    );
}

#[test]
fn a_file_that_fails_alone_is_reported_with_the_others() {
    let bad = file("beta", "").replace("id = \"2\"", "id = \"2x\"");
    let worse = file("alpha", "").replace("127.0.0.1:7402", "127.0.0.1:7401");
    assert_eq!(
        errors("alone", &[("a.toml", worse), ("b.toml", bad)]),
        [
            "a.toml:11:11: member[1].address: 127.0.0.1:7401 is member[0]'s address too: each \
             member listens on an address of its own",
            "b.toml:10:6: member[1].id: \"2x\": 1 to 16 digits"
        ]
    );
}

#[test]
fn a_key_written_in_one_file_only_is_named_in_both() {
    let alpha = file(
        "alpha",
        "encoding = \"uper\"\n[tls]\nca = \"ca.pem\"\ncert = \"a.pem\"\nkey = \"a.key\"",
    );
    assert_eq!(
        errors(
            "unwritten",
            &[("a.toml", alpha), ("b.toml", file("beta", ""))]
        ),
        [
            "b.toml: encoding: der (not written: the default) here, uper in a.toml:2:12: every \
             file of the cluster must say the same",
            "b.toml: tls: no [tls] here, [tls] in a.toml:4:6: every file of the cluster must say \
             the same"
        ]
    );
}
