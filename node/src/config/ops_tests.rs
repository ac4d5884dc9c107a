//! Issue 15's checks of one file: B1 (two members on one address), B3 (zero intervals), B6
//! (`major` without `start`/`stop`), keys of both component kinds, the watchdog rule of
//! PROTOCOL 6.3, listeners sharing a port, host names in addresses.

use super::*;

/// A pair, `alpha`'s file, with `component` as its only `[[component]]` table and `timers`
/// as its `[timers]` table. Lines: member[1].address is line 11, `[timers]` line 13, the
/// first timer line 14.
fn pair(timers: &str, component: &str) -> String {
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

[timers]
{timers}

[listen]
status = "127.0.0.1:7421"

[[component]]
{component}
"#
    )
}

const SCRIPT: &str = "id = \"2001\"\nactivate = \"true\"";

fn err(text: &str) -> String {
    parse(Path::new("a.toml"), text).unwrap_err().to_string()
}

#[test]
fn b1_two_members_on_one_address_are_refused() {
    let text = pair("", SCRIPT).replace("127.0.0.1:7402", "127.0.0.1:7401");
    assert_eq!(
        err(&text),
        "a.toml:11:11: member[1].address: 127.0.0.1:7401 is member[0]'s address too: each \
         member listens on an address of its own"
    );
}

#[test]
fn this_members_listeners_take_a_port_each() {
    let text = pair("", SCRIPT).replace("status = \"127.0.0.1:7421\"", "status = \"0.0.0.0:7401\"");
    assert_eq!(
        err(&text),
        "a.toml:17:10: listen.status: 0.0.0.0:7401 takes the port of member[0].address \
         (127.0.0.1:7401): each listener needs its own"
    );
    // Another member's port on this host is not this member's business.
    let text =
        pair("", SCRIPT).replace("status = \"127.0.0.1:7421\"", "status = \"127.0.0.1:7402\"");
    assert!(parse(Path::new("a.toml"), &text).is_ok());
}

#[test]
fn host_names_resolve_when_the_file_is_read() {
    let text = pair("", SCRIPT).replace("127.0.0.1:7402", "localhost:7402");
    let cfg = parse(Path::new("a.toml"), &text).unwrap();
    assert!(cfg.addresses[1].ip().is_loopback(), "{}", cfg.addresses[1]);
    assert_eq!(cfg.addresses[1].port(), 7402);
    let text = pair("", SCRIPT).replace("127.0.0.1:7402", "beta.invalid:7402");
    let e = err(&text);
    assert!(
        e.starts_with(
            "a.toml:11:11: member[1].address: \"beta.invalid:7402\": the host name \
             \"beta.invalid\" does not resolve: "
        ),
        "{e}"
    );
    let text = pair("", SCRIPT).replace("127.0.0.1:7402", "beta");
    assert_eq!(
        err(&text),
        "a.toml:11:11: member[1].address: \"beta\" is not an address with a port (host:port)"
    );
    let text = pair("", SCRIPT).replace("127.0.0.1:7402", "beta:99999");
    assert_eq!(
        err(&text),
        "a.toml:11:11: member[1].address: \"beta:99999\" is not an address with a port \
         (host:port, port 0 to 65535)"
    );
}

#[test]
fn b3_zero_intervals_of_a_component_are_refused() {
    let zero = |key: &str| err(&pair("", &format!("{SCRIPT}\ncheck = \"true\"\n{key} = 0")));
    assert_eq!(
        zero("check_interval_ms"),
        "a.toml:23:21: component[0].check_interval_ms: must be 1 to 3600000 milliseconds"
    );
    assert_eq!(
        zero("timeout_ms"),
        "a.toml:23:14: component[0].timeout_ms: must be 1 to 3600000 milliseconds"
    );
    assert_eq!(
        err(&pair("", "id = \"1001\"\ndead_interval_ms = 0")),
        "a.toml:21:20: component[0].dead_interval_ms: must be 1 to 3600000 milliseconds"
    );
}

#[test]
fn b6_major_needs_start_and_stop() {
    let major = |extra: &str| pair("", &format!("{SCRIPT}\nseverity = \"major\"\n{extra}"));
    assert_eq!(
        err(&major("")),
        "a.toml:22:12: component[0].severity: \"major\" restarts the component (stop, then \
         start) and script component 2001 has no start and no stop: give it start and stop, \
         or use severity minor (log) or fatal (hand over)"
    );
    assert_eq!(
        err(&major("start = \"true\"")),
        "a.toml:22:12: component[0].severity: \"major\" restarts the component (stop, then \
         start) and script component 2001 has no stop: give it start and stop, or use \
         severity minor (log) or fatal (hand over)"
    );
    let cfg = parse(
        Path::new("a.toml"),
        &major("start = \"true\"\nstop = \"true\""),
    )
    .unwrap();
    assert_eq!(cfg.node.scripts[0].start.as_deref(), Some("true"));
    // A linked component restarts itself: major is its own business.
    assert!(parse(
        Path::new("a.toml"),
        &pair("", "id = \"1001\"\nseverity = \"major\"")
    )
    .is_ok());
}

#[test]
fn keys_of_both_kinds_are_refused() {
    assert_eq!(
        err(&pair("", &format!("{SCRIPT}\ndead_interval_ms = 300"))),
        "a.toml:22:20: component[0].dead_interval_ms: a linked component's key, and component \
         2001 is a script component (it has commands; its check's exit status is its health): \
         remove it, or the commands"
    );
    assert_eq!(
        err(&pair("", "id = \"1001\"\ntimeout_ms = 300")),
        "a.toml:21:14: component[0].timeout_ms: a script component's key, and component 1001 \
         is a linked component (no check, activate, deactivate, start or stop command)"
    );
    assert_eq!(
        err(&pair("", &format!("{SCRIPT}\ncheck_interval_ms = 300"))),
        "a.toml:22:21: component[0].check_interval_ms: script component 2001 has no check to \
         run at this interval"
    );
}

#[test]
fn timers_that_break_the_watchdog_rule_are_refused_with_the_numbers() {
    // Script components: the guard's bound D - H - max(10 ms, (D - H)/10) under 2 ms.
    assert_eq!(
        err(&pair("heartbeat_ms = 10\ndead_interval_ms = 21", SCRIPT)),
        "a.toml:15:20: timers.dead_interval_ms: the script guard's bound W_g = D - H - max(10 \
         ms, (D - H) / 10) = 21 - 10 - 10 ms is under 2 ms (PROTOCOL 6.3: the guard would act \
         after the peer may have promoted): make dead_interval_ms at least 22 ms"
    );
    assert!(parse(
        Path::new("a.toml"),
        &pair("heartbeat_ms = 10\ndead_interval_ms = 22", SCRIPT)
    )
    .is_ok());
    // Linked components: no watchdog longer than the query interval and within D - H - 2 ms.
    assert_eq!(
        err(&pair(
            "heartbeat_ms = 100\ndead_interval_ms = 200",
            "id = \"1001\""
        )),
        "a.toml:15:20: timers.dead_interval_ms: no linked component's watchdog fits \
         (PROTOCOL 6.3): it must be longer than the query interval (100 ms) and at most \
         dead_interval_ms - heartbeat_ms - 2 ms = 200 - 100 - 2 = 98 ms; shorten \
         query_interval_ms or lengthen dead_interval_ms"
    );
    let fits = "heartbeat_ms = 100\ndead_interval_ms = 200\nquery_interval_ms = 50";
    assert!(parse(Path::new("a.toml"), &pair(fits, "id = \"1001\"")).is_ok());
    // The defaults fit, at a 10 ms heartbeat too.
    assert!(parse(
        Path::new("a.toml"),
        &pair("heartbeat_ms = 10", "id = \"1001\"")
    )
    .is_ok());
    assert!(parse(Path::new("a.toml"), &pair("heartbeat_ms = 10", SCRIPT)).is_ok());
}

#[test]
fn a_witness_has_no_watchdog_to_fit() {
    let three = |me: &str| {
        format!(
            "name = \"{me}\"\nstate_dir = \"s\"\n\n[[member]]\nname = \"alpha\"\nid = \"1\"\n\
             address = \"127.0.0.1:7401\"\n\n[[member]]\nname = \"beta\"\nid = \"2\"\n\
             address = \"127.0.0.1:7402\"\n\n[[member]]\nname = \"gamma\"\nid = \"3\"\n\
             address = \"127.0.0.1:7403\"\nwitness = true\n\n[timers]\nheartbeat_ms = 100\n\
             dead_interval_ms = 200\n\n[listen]\nstatus = \"127.0.0.1:7421\"\n"
        )
    };
    assert!(parse(Path::new("g.toml"), &three("gamma")).is_ok());
    assert_eq!(
        parse(Path::new("a.toml"), &three("alpha"))
            .unwrap_err()
            .to_string(),
        "a.toml:22:20: timers.dead_interval_ms: no linked component's watchdog fits (PROTOCOL \
         6.3): it must be longer than the query interval (100 ms) and at most \
         dead_interval_ms - heartbeat_ms - 2 ms = 200 - 100 - 2 = 98 ms; shorten \
         query_interval_ms or lengthen dead_interval_ms"
    );
}
