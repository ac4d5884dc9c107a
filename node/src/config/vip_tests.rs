//! `[[vip]]` tables (PROTOCOL 6.10): read into a component policy, a script component whose
//! commands are `baton vip ...` and a `VipConfig`; bad values refused with file, line and key.

use super::*;
use baton_engine::VipConfig;
use baton_monitor::Severity;
use std::net::IpAddr;

/// A pair, `alpha`'s file, with `tables` appended (from line 16).
fn pair(tables: &str) -> String {
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

{tables}"#
    )
}

fn err(text: &str) -> String {
    parse(Path::new("a.toml"), text).unwrap_err().to_string()
}

#[test]
fn a_vip_is_a_fatal_script_component_with_the_defaults() {
    let c = parse(
        Path::new("a.toml"),
        &pair("[[vip]]\naddress = \"192.0.2.10/24\"\ninterface = \"eth0\"\n"),
    )
    .unwrap();
    let v = &c.vips[0];
    assert_eq!(
        *v,
        VipConfig {
            id: "9001".into(),
            address: "192.0.2.10".parse::<IpAddr>().unwrap(),
            prefix: 24,
            interface: "eth0".into(),
            announce_count: 3,
            announce_interval: Duration::from_millis(10),
            probe: Duration::from_millis(1),
        }
    );
    assert_eq!(c.node.components["9001"].severity, Severity::Fatal);
    let s = &c.node.scripts[0];
    assert_eq!(s.id, "9001");
    let [check, activate, deactivate] = vip_commands(v);
    assert_eq!(s.check.as_deref(), Some(check.as_str()));
    assert_eq!(s.activate.as_deref(), Some(activate.as_str()));
    assert_eq!(s.deactivate.as_deref(), Some(deactivate.as_str()));
    assert!(deactivate.ends_with(" vip down --interface 'eth0' 192.0.2.10/24"));
    assert!(activate.contains(" vip up --announce-count 3 --announce-interval-ms 10 --probe-ms 1 "));
    assert_eq!((s.start.as_deref(), s.stop.as_deref()), (None, None));
}

#[test]
fn ipv6_ids_keys_and_after_are_read() {
    let c = parse(
        Path::new("a.toml"),
        &pair(
            r#"[[component]]
id = "10"

[[vip]]
id = "20"
address = "2001:db8::10"
interface = "bond0"
severity = "minor"
announce_count = 5
announce_interval_ms = 2
probe_ms = 0
after = ["10"]
"#,
        ),
    )
    .unwrap();
    let v = &c.vips[0];
    assert_eq!(v.id, "20");
    assert_eq!(v.prefix, 128);
    assert_eq!(v.address, "2001:db8::10".parse::<IpAddr>().unwrap());
    assert_eq!((v.announce_count, v.probe), (5, Duration::ZERO));
    assert_eq!(v.announce_interval, Duration::from_millis(2));
    assert_eq!(c.node.components["20"].severity, Severity::Minor);
    assert_eq!(
        c.node.component_order.after("20").collect::<Vec<_>>(),
        ["10"]
    );
}

#[test]
fn bad_vips_are_refused_with_line_and_key() {
    let vip = |keys: &str| pair(&format!("[[vip]]\n{keys}\n"));
    assert_eq!(
        err(&vip("address = \"192.0.2.300/24\"\ninterface = \"eth0\"")),
        "a.toml:17:11: vip[0].address: \"192.0.2.300/24\": expected an IPv4 or IPv6 address, \
         as 192.0.2.10/24 or 2001:db8::10/64"
    );
    assert_eq!(
        err(&vip("address = \"192.0.2.10/33\"\ninterface = \"eth0\"")),
        "a.toml:17:11: vip[0].address: \"192.0.2.10/33\": the prefix length must be 1 to 32"
    );
    assert_eq!(
        err(&vip("address = \"224.0.0.1\"\ninterface = \"eth0\"")),
        "a.toml:17:11: vip[0].address: \"224.0.0.1\": not an address a host can hold \
         (unspecified, loopback, multicast or broadcast)"
    );
    assert_eq!(
        err(&vip(
            "address = \"192.0.2.10\"\ninterface = \"a very long name\""
        )),
        "a.toml:18:13: vip[0].interface: \"a very long name\": an interface name, 1 to 15 \
         characters, no '/', quote or space"
    );
    assert_eq!(
        err(&vip(
            "address = \"192.0.2.10\"\ninterface = \"eth0\"\nseverity = \"major\""
        )),
        "a.toml:19:12: vip[0].severity: \"major\": expected minor (log) or fatal (hand over); \
         a VIP has nothing to restart for major"
    );
    assert_eq!(
        err(&vip(
            "address = \"192.0.2.10\"\ninterface = \"eth0\"\nannounce_count = 0"
        )),
        "a.toml:19:18: vip[0].announce_count: must be 1 to 100"
    );
    assert_eq!(
        err(&vip(
            "address = \"192.0.2.10\"\ninterface = \"eth0\"\nprobe_ms = 5000"
        )),
        "a.toml:19:12: vip[0].probe_ms: must be 0 (no probe) to 1000"
    );
    assert_eq!(
        err(&vip(
            "address = \"192.0.2.10\"\ninterface = \"eth0\"\nafter = [\"7\"]"
        )),
        "a.toml:19:10: vip[0].after[0]: \"7\" is not the id of a [[component]] or [[vip]] of \
         this file"
    );
    assert_eq!(
        err(&pair(
            "[[component]]\nid = \"9001\"\n\n[[vip]]\naddress = \"192.0.2.10\"\ninterface = \"eth0\"\n"
        )),
        "a.toml:17:6: component[0].id: listed twice"
    );
    assert_eq!(
        err(&pair(
            "[[vip]]\naddress = \"192.0.2.10/24\"\ninterface = \"eth0\"\n\n[[vip]]\naddress = \
             \"192.0.2.10/25\"\ninterface = \"eth1\"\n"
        )),
        "a.toml:21:11: vip[1].address: 192.0.2.10 is vip[0]'s address too"
    );
}

#[test]
fn the_guard_reads_back_the_vip_a_deactivate_command_removes() {
    let c = parse(
        Path::new("a.toml"),
        &pair("[[vip]]\naddress = \"2001:db8::10/64\"\ninterface = \"eth0\"\nprobe_ms = 3\n"),
    )
    .unwrap();
    let [_, _, down] = vip_commands(&c.vips[0]);
    let back = vip_of_down("9001", &down).expect("a VIP's deactivate");
    assert_eq!(
        (
            back.id.as_str(),
            back.address,
            back.prefix,
            back.interface.as_str()
        ),
        ("9001", c.vips[0].address, 64, "eth0")
    );
    for other in [
        "true",
        "'/usr/bin/baton' vip up --interface 'eth0' 192.0.2.1/24",
        "'/usr/bin/baton' vip down --interface 'eth0' 192.0.2.1/33",
        "'/usr/bin/baton' vip down --interface 'eth0' 192.0.2.1",
        "'/usr/bin/baton' vip down --interface 'et h0' 192.0.2.1/24",
        "/usr/bin/baton vip down --interface 'eth0' 192.0.2.1/24",
    ] {
        assert_eq!(vip_of_down("1", other), None, "{other}");
    }
}
