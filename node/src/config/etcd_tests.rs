//! Parsing `election = "etcd"` and `[etcd]` (PROTOCOL 5.12).

use super::*;
use baton_election::Mode;

fn file(extra: &str, etcd: &str) -> String {
    format!(
        r#"
name = "alpha"
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
status = "127.0.0.1:7421"
{etcd}
"#
    )
}

const ETCD: &str = "[etcd]\nendpoints = [\"http://127.0.0.1:2379\", \"http://10.0.0.2:2379\"]\nprefix = \"/baton/web\"\n";

fn err(text: &str) -> String {
    parse(Path::new("/etc/baton/c.toml"), text)
        .unwrap_err()
        .to_string()
}

#[test]
fn etcd_mode_reads_endpoints_prefix_and_timers() {
    let c = parse(
        Path::new("/etc/baton/c.toml"),
        &file("election = \"etcd\"", &format!("{ETCD}ttl_ms = 3000\n")),
    )
    .unwrap();
    assert_eq!(c.node.mode, Mode::Etcd);
    let e = c.etcd.expect("[etcd]");
    assert_eq!(
        e.endpoints,
        ["http://127.0.0.1:2379", "http://10.0.0.2:2379"]
    );
    assert_eq!(e.prefix, "/baton/web");
    assert_eq!(c.node.etcd.ttl, std::time::Duration::from_secs(3));
    assert_eq!(
        c.node.etcd.request_timeout,
        std::time::Duration::from_millis(200)
    );
    assert!(c.state_dir.is_none(), "etcd mode persists nothing locally");
}

#[test]
fn etcd_mode_refuses_what_cannot_work() {
    assert!(err(&file("election = \"etcd\"", ""))
        .contains("etcd: election = \"etcd\" needs an [etcd] table"));
    assert!(err(&file("", ETCD)).contains("etcd: an [etcd] table needs election = \"etcd\""));
    let https = ETCD.replace("http://127.0.0.1:2379", "https://127.0.0.1:2379");
    assert!(err(&file("election = \"etcd\"", &https)).contains("https needs [tls]"));
    let bad = ETCD.replace("http://127.0.0.1:2379", "127.0.0.1:2379");
    assert!(err(&file("election = \"etcd\"", &bad)).contains("expected http://HOST:PORT"));
    let prefix = ETCD.replace("/baton/web", "baton/web/");
    assert!(err(&file("election = \"etcd\"", &prefix)).contains("etcd.prefix"));
    let odd = format!("{ETCD}ttl_ms = 2500\n");
    assert!(err(&file("election = \"etcd\"", &odd)).contains("not a whole number of seconds"));
    // D = 500 ms leaves the active too little of a 2 s lease.
    let slow = file(
        "election = \"etcd\"",
        &format!("[timers]\ndemotion_bound_ms = 500\n{ETCD}"),
    );
    let e = err(&slow);
    assert!(
        e.contains("etcd.ttl_ms: etcd lease inequality broken"),
        "{e}"
    );
    let voter = file(
        "election = \"etcd\"",
        &format!("[timers]\nvoter_lease_ms = 900\n{ETCD}"),
    );
    assert!(err(&voter).contains("timers.voter_lease_ms: a quorum-mode timer"));
}
