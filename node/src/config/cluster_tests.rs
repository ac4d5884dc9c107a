//! Parsing the cluster keys: members 2 to 9, `election`, `witness`, `state_dir`, `[fence]`
//! and the quorum timers (PROTOCOL 5.9, 5.10; OPERATIONS, clusters).

use super::*;
use baton_election::Mode;

/// Three members (the third a witness unless changed), `name` = `me`.
fn three(me: &str, extra: &str) -> String {
    format!(
        r#"
name = "{me}"
state_dir = "state"
{extra}

[[member]]
name = "alpha"
id = "1"
address = "127.0.0.1:7401"

[[member]]
name = "beta"
id = "2"
address = "127.0.0.1:7402"

[[member]]
name = "gamma"
id = "3"
address = "127.0.0.1:7403"
witness = true

[listen]
status = "127.0.0.1:7421"
"#
    )
}

fn err(text: &str) -> String {
    parse(Path::new("/etc/baton/c.toml"), text)
        .unwrap_err()
        .to_string()
}

fn ok(text: &str) -> Config {
    parse(Path::new("/etc/baton/c.toml"), text).unwrap()
}

#[test]
fn three_voters_default_to_quorum_with_the_witness_and_state_dir() {
    let c = ok(&three("alpha", ""));
    assert_eq!(c.node.mode, Mode::Quorum);
    assert_eq!(c.node.witnesses, [2]);
    assert_eq!(c.node.members.len(), 3);
    assert_eq!(c.state_dir.as_deref(), Some(Path::new("/etc/baton/state")));
    assert_eq!(c.addresses.len(), 3);
    assert!(c.fence.is_none() && !c.node.fence);
    let witness = ok(&three("gamma", ""));
    assert_eq!(witness.node.me, 2);
}

#[test]
fn pair_mode_takes_exactly_two_members_and_no_witness() {
    assert_eq!(
        err(&three("alpha", "election = \"pair\"")),
        "/etc/baton/c.toml:4:12: election: pair mode needs exactly 2 members, 3 configured: \
         use election = \"quorum\" (3 to 9 voters, witnesses included)"
    );
    assert!(err(&three("alpha", "election = \"raft\""))
        .ends_with("election: \"raft\": expected \"pair\", \"quorum\" or \"etcd\""));
    // Two members, one a witness: pair mode by default, which has no witnesses.
    let two = three("alpha", "").replace(
        "[[member]]\nname = \"beta\"\nid = \"2\"\naddress = \"127.0.0.1:7402\"\n\n",
        "",
    );
    assert!(
        err(&two).contains("member[1].witness: a witness votes in quorum mode only"),
        "{}",
        err(&two)
    );
    assert!(
        err(&two.replace("state_dir", "election = \"quorum\"\nstate_dir")).contains(
            "election: quorum mode needs at least 3 voters (witnesses included), 2 configured"
        )
    );
}

#[test]
fn member_counts_and_witness_counts_are_bounded() {
    let mut ten = three("alpha", "");
    for i in 4..=10 {
        ten.push_str(&format!(
            "\n[[member]]\nname = \"m{i}\"\nid = \"{i}\"\naddress = \"127.0.0.1:74{i:02}\"\n"
        ));
    }
    assert_eq!(
        err(&ten),
        "/etc/baton/c.toml: member: 10 [[member]] tables: 2 to 9 allowed (witnesses included)"
    );
    let two_witnesses = three("alpha", "").replace(
        "address = \"127.0.0.1:7402\"\n",
        "address = \"127.0.0.1:7402\"\nwitness = true\n",
    );
    assert_eq!(
        err(&two_witnesses),
        "/etc/baton/c.toml: member: 1 member(s) without witness = true: at least 2 must be able \
         to serve"
    );
}

#[test]
fn a_witness_refuses_components_and_quorum_needs_state_dir() {
    let component = "\n[[component]]\nid = \"1001\"\nactivate = \"true\"\n";
    assert!(
        ok(&format!("{}{component}", three("alpha", "")))
            .node
            .scripts
            .len()
            == 1
    );
    assert_eq!(
        err(&format!("{}{component}", three("gamma", ""))),
        "/etc/baton/c.toml:26:6: component: member \"gamma\" is a witness (votes, never \
         serves): its configuration must have no [[component]] tables"
    );
    assert_eq!(
        err(&three("alpha", "").replace("state_dir = \"state\"\n", "")),
        "/etc/baton/c.toml: state_dir: required in quorum mode: each voter persists its grant \
         there (PROTOCOL 5.9)"
    );
    assert!(
        err(&three("alpha", "").replace("\"state\"", "\"\"")).ends_with("state_dir: an empty path")
    );
}

#[test]
fn fence_takes_a_command_and_a_timeout() {
    let c = ok(&format!(
        "{}\n[fence]\ncommand = \"ipmitool power off\"\ntimeout_ms = 2500\nretry_ms = 300\n",
        three("alpha", "")
    ));
    let fence = c.fence.unwrap();
    assert_eq!(fence.command, "ipmitool power off");
    assert_eq!(fence.timeout, Duration::from_millis(2500));
    assert_eq!(c.node.fence_retry, Duration::from_millis(300));
    assert!(c.node.fence);
    let default = ok(&format!(
        "{}\n[fence]\ncommand = \"true\"\n",
        three("alpha", "")
    ));
    assert_eq!(default.fence.unwrap().timeout, Duration::from_secs(10));
    assert!(err(&format!(
        "{}\n[fence]\ncommand = \" \"\n",
        three("alpha", "")
    ))
    .ends_with("fence.command: an empty command"));
    assert!(err(&format!(
        "{}\n[fence]\ncommand = \"true\"\ntimeout_ms = 0\n",
        three("alpha", "")
    ))
    .ends_with("fence.timeout_ms: must be 1 to 3600000 milliseconds"));
}

#[test]
fn quorum_timers_are_read_and_checked_with_the_numbers() {
    let c = ok(&three("alpha", ""));
    assert_eq!(c.node.quorum, baton_election::QuorumTimers::default());
    let timers = "\n[timers]\nvoter_lease_ms = 1500\nactive_lease_ms = 900\nrenew_ms = 200\n\
                  election_timeout_ms = 70\nstagger_ms = 60\ndemotion_bound_ms = 500\n\
                  clock_drift_ppm = 10000\n";
    let c = ok(&format!("{}{timers}", three("alpha", "")));
    let q = c.node.quorum;
    assert_eq!(
        (q.voter_lease, q.active_lease, q.renew),
        (ms_(1500), ms_(900), ms_(200))
    );
    assert_eq!(
        (
            q.election_timeout,
            q.stagger,
            q.demotion_bound,
            q.clock_drift_ppm
        ),
        (ms_(70), ms_(60), ms_(500), 10_000)
    );
    // L_a = 1000: 1000/0.99 + 500 = 1510.1 > 1500/1.01 = 1485.1.
    let e = err(&format!("{}{timers}", three("alpha", "")).replace("= 900", "= 1000"));
    assert_eq!(
        e,
        "/etc/baton/c.toml:27:19: timers: quorum timers refused: lease inequality broken: \
         active_lease 1000.000 ms / (1 - 10000 ppm) + demotion_bound 500.000 ms = 1510.101 ms \
         exceeds voter_lease 1500.000 ms / (1 + 10000 ppm) = 1485.148 ms; with these, \
         active_lease must be at most 975.297 ms"
    );
    let e =
        err(&format!("{}{timers}", three("alpha", "")).replace("renew_ms = 200", "renew_ms = 400"));
    assert!(e.contains("renew") && e.contains("400.000 ms"), "{e}");
    // A quorum timer in pair mode does nothing: refused.
    let pair = format!("{}{timers}", three("alpha", "")).replace(
        "[[member]]\nname = \"gamma\"\nid = \"3\"\naddress = \"127.0.0.1:7403\"\nwitness = true\n",
        "",
    );
    assert!(
        err(&pair)
            .contains("timers.voter_lease_ms: a quorum timer: this configuration is in pair mode"),
        "{}",
        err(&pair)
    );
}

fn ms_(n: u64) -> Duration {
    Duration::from_millis(n)
}
