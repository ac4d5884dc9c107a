//! The remote check's keys (PROTOCOL 6.8): defaults, values, refusals with file, line and key.

use super::*;
use baton_engine::RemoteCheckConfig;

/// A pair, `alpha`'s file, with `keys` at the top (from line 2).
fn pair(keys: &str) -> String {
    format!(
        r#"name = "alpha"
{keys}
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
"#
    )
}

fn err(text: &str) -> String {
    parse(Path::new("a.toml"), text).unwrap_err().to_string()
}

#[test]
fn remote_check_keys_are_read_with_their_defaults() {
    let c = parse(Path::new("a.toml"), &pair("")).unwrap();
    assert_eq!((c.node.remote_check, c.remote_check), (None, None));
    let c = parse(
        Path::new("a.toml"),
        &pair("remote_check = \"curl -fsS http://x/\""),
    )
    .unwrap();
    assert_eq!(c.node.remote_check, Some(RemoteCheckConfig::default()));
    let commands = c.remote_check.unwrap();
    assert_eq!(commands.command, "curl -fsS http://x/");
    assert_eq!(commands.uplink, None);
    assert_eq!(commands.timeout, Duration::from_secs(10));
    let keys = "remote_check = \"true\"\nremote_check_interval_ms = 250\n\
                remote_check_failures = 5\nremote_check_handover = true\nuplink_check = \"ping -c1 gw\"";
    let c = parse(Path::new("a.toml"), &pair(keys)).unwrap();
    assert_eq!(
        c.node.remote_check,
        Some(RemoteCheckConfig {
            interval: Duration::from_millis(250),
            failures: 5,
            handover: true,
        })
    );
    assert_eq!(
        c.remote_check.unwrap().uplink.as_deref(),
        Some("ping -c1 gw")
    );
}

#[test]
fn remote_check_keys_without_remote_check_or_out_of_range_are_refused() {
    assert_eq!(
        err(&pair("uplink_check = \"true\"")),
        "a.toml:2:16: uplink_check: has no effect without remote_check"
    );
    assert_eq!(
        err(&pair("remote_check_handover = true")),
        "a.toml:2:25: remote_check_handover: has no effect without remote_check"
    );
    assert_eq!(
        err(&pair("remote_check = \"true\"\nremote_check_failures = 0")),
        "a.toml:3:25: remote_check_failures: must be 1 to 1000 (failed checks in a row)"
    );
    assert_eq!(
        err(&pair(
            "remote_check = \"true\"\nremote_check_interval_ms = 0"
        )),
        "a.toml:3:28: remote_check_interval_ms: must be 1 to 3600000 milliseconds"
    );
    assert_eq!(
        err(&pair("remote_check = \" \"")),
        "a.toml:2:16: remote_check: an empty command"
    );
}
