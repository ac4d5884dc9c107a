//! The replication keys (PROTOCOL 6.11): defaults, values, refusals with file, line and key.

use super::*;
use baton_engine::{ReplicationConfig, ReplicationMode};

/// A pair, `alpha`'s file, with `tail` at the end (from line 15).
fn pair(tail: &str) -> String {
    format!(
        r#"name = "alpha"

[[member]]
name = "alpha"
id = "1"
address = "127.0.0.1:7401"

[[member]]
name = "beta"
id = "2"
address = "127.0.0.1:7402"

[listen]
status = "127.0.0.1:7421"
{tail}"#
    )
}

fn err(text: &str) -> String {
    parse(Path::new("a.toml"), text).unwrap_err().to_string()
}

#[test]
fn replication_keys_are_read_with_their_defaults() {
    let c = parse(Path::new("a.toml"), &pair("")).unwrap();
    assert_eq!(c.node.replication, ReplicationConfig::default());
    let tail = "[[component]]\nid = \"11\"\nreplication = \"sync\"\n\
                [[component]]\nid = \"12\"\nreplication = \"async\"\n\
                [[component]]\nid = \"13\"\n";
    let c = parse(Path::new("a.toml"), &pair(tail)).unwrap();
    let r = &c.node.replication;
    assert_eq!(
        r.components.iter().collect::<Vec<_>>(),
        vec![
            (&"11".to_owned(), &ReplicationMode::Sync),
            (&"12".to_owned(), &ReplicationMode::Async)
        ]
    );
    assert_eq!(
        (
            r.limits.max_entries,
            r.limits.max_octets,
            r.promote_unsynced
        ),
        (1_000_000, 1 << 30, false)
    );
    let tail = format!(
        "{tail}[replication]\nmax_records = 5000\nmax_bytes = 1048576\npromote_unsynced = true\n"
    );
    let c = parse(Path::new("a.toml"), &pair(&tail)).unwrap();
    let r = &c.node.replication;
    assert_eq!(
        (
            r.limits.max_entries,
            r.limits.max_octets,
            r.promote_unsynced
        ),
        (5000, 1 << 20, true)
    );
}

#[test]
fn replication_refusals_name_the_file_line_and_key() {
    assert_eq!(
        err(&pair(
            "[[component]]\nid = \"11\"\nreplication = \"maybe\"\n"
        )),
        "a.toml:17:15: component[0].replication: \"maybe\": expected \"sync\" or \"async\""
    );
    assert_eq!(
        err(&pair(
            "[[component]]\nid = \"11\"\ncheck = \"true\"\nreplication = \"sync\"\n"
        )),
        "a.toml:18:15: component[0].replication: replication needs a linked component, and \
         component 11 is a script component (it has commands): remove replication, or the \
         commands"
    );
    assert_eq!(
        err(&pair("[replication]\nmax_records = 10\n")),
        "a.toml:15:1: replication: has no effect without a [[component]] with replication = \
         \"sync\" or \"async\""
    );
    let linked = "[[component]]\nid = \"11\"\nreplication = \"sync\"\n";
    assert_eq!(
        err(&pair(&format!("{linked}[replication]\nmax_records = 0\n"))),
        "a.toml:19:15: replication.max_records: must be 1 to 100000000"
    );
    assert_eq!(
        err(&pair(&format!("{linked}[replication]\nmax_bytes = 10\n"))),
        "a.toml:19:13: replication.max_bytes: must be 1024 to 68719476736 (64 GiB)"
    );
    assert!(
        err(&pair(&format!("{linked}[replication]\nmax_entries = 10\n")))
            .contains("unknown field `max_entries`")
    );
}
