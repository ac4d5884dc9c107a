//! Parsing: defaults, errors naming the line and key, `[tls]` and `listen.control_tcp`.

use super::*;
use baton_monitor::Severity;

const GOOD: &str = r#"
name = "alpha"
encoding = "uper"

[[member]]
name = "alpha"
id = "1"
address = "127.0.0.1:7401"

[[member]]
name = "beta"
id = "2"
address = "127.0.0.1:7402"

[timers]
heartbeat_ms = 50

[listen]
status = "127.0.0.1:7421"

[[component]]
id = "1001"
severity = "fatal"
activate = "true"
"#;

fn err(text: &str) -> String {
    parse(Path::new("c.toml"), text).unwrap_err().to_string()
}

#[test]
fn a_good_file_parses_with_defaults_derived_from_the_heartbeat() {
    let c = parse(Path::new("c.toml"), GOOD).unwrap();
    assert_eq!(c.node.me, 0);
    assert_eq!(c.encoding, Encoding::Uper);
    assert_eq!(c.node.dead_interval, Duration::from_millis(150));
    assert_eq!(c.node.startup_wait, Duration::from_millis(150));
    assert_eq!(c.node.scripts.len(), 1);
    assert_eq!(c.node.components["1001"].severity, Severity::Fatal);
}

#[test]
fn errors_name_the_line_and_key() {
    assert_eq!(
        err(&GOOD.replace("id = \"2\"", "id = \"2x\"")),
        "c.toml:12:6: member[1].id: \"2x\": 1 to 16 digits"
    );
    assert_eq!(
        err(&GOOD.replace("heartbeat_ms = 50", "heartbeat_ms = 0")),
        "c.toml:16:16: timers.heartbeat_ms: must be 1 to 3600000 milliseconds"
    );
    assert!(
        err(&GOOD.replace("encoding = \"uper\"", "encoding = \"xer\""))
            .starts_with("c.toml:3:12: encoding: unknown encoding")
    );
    assert!(
        err(&GOOD.replace("name = \"alpha\"\nencoding", "name = \"gamma\"\nencoding"))
            .contains(": name: \"gamma\" is not the name of a [[member]]")
    );
    assert!(
        err(&GOOD.replace("[timers]", "[timers]\nheartbeat = 3"))
            .starts_with("c.toml:16:1: unknown field `heartbeat`"),
        "{}",
        err(&GOOD.replace("[timers]", "[timers]\nheartbeat = 3"))
    );
    assert!(
        err(&GOOD.replace("severity = \"fatal\"", "severity = \"deadly\""))
            .contains("component[0].severity")
    );
    assert!(err(&GOOD.replace("127.0.0.1:7402", "nowhere")).contains("member[1].address"));
    assert!(err(&GOOD.replace("name = \"beta\"", "name = \"be ta\""))
        .contains("member[1].name: \"be ta\": no white space"));
}

#[test]
fn tls_paths_are_read_from_the_configuration_folder() {
    let text = format!(
        "{GOOD}\n[tls]\nca = \"ca.pem\"\ncert = \"/srv/alpha.pem\"\nkey = \"k/alpha.key\"\n"
    );
    let c = parse(Path::new("/etc/baton/c.toml"), &text).unwrap();
    let tls = c.tls.unwrap();
    assert_eq!(tls.ca, Path::new("/etc/baton/ca.pem"));
    assert_eq!(tls.cert, Path::new("/srv/alpha.pem"));
    assert_eq!(tls.key, Path::new("/etc/baton/k/alpha.key"));
    assert!(c.node.authenticated);
    let plain = parse(Path::new("c.toml"), GOOD).unwrap();
    assert!(plain.tls.is_none());
    assert!(!plain.node.authenticated);
    assert!(err(&format!(
        "{GOOD}\n[tls]\nca = \"ca.pem\"\ncert = \"a.pem\"\n"
    ))
    .contains("missing field `key`"));
    assert!(err(&format!(
        "{GOOD}\n[tls]\nca = \"\"\ncert = \"a.pem\"\nkey = \"a.key\"\n"
    ))
    .ends_with(": tls.ca: an empty path"));
}

#[test]
fn control_tcp_needs_tls() {
    let with = GOOD.replace("[listen]\n", "[listen]\ncontrol_tcp = \"127.0.0.1:7431\"\n");
    assert_eq!(
        err(&with),
        "c.toml:19:15: listen.control_tcp: needs [tls]: remote control is served to admin \
         client certificates only"
    );
    let tls = format!("{with}\n[tls]\nca = \"ca.pem\"\ncert = \"a.pem\"\nkey = \"a.key\"\n");
    let c = parse(Path::new("c.toml"), &tls).unwrap();
    assert_eq!(c.control_tcp, Some("127.0.0.1:7431".parse().unwrap()));
    assert!(err(&tls.replace("127.0.0.1:7431", "x")).contains("listen.control_tcp"));
}

#[test]
fn load_tls_names_the_key_and_wants_this_members_certificate() {
    use crate::tls::make::{Ca, Validity};
    let dir = std::env::temp_dir().join(format!("bt-cfgtls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let validity = Validity::days(1_700_000_000, 36_500);
    let (ca, ca_files) = Ca::generate(validity).unwrap();
    std::fs::write(dir.join("ca.pem"), &ca_files.cert_pem).unwrap();
    for name in ["alpha", "beta"] {
        let issued = ca.member(name, validity).unwrap();
        std::fs::write(dir.join(format!("{name}.pem")), &issued.cert_pem).unwrap();
        std::fs::write(dir.join(format!("{name}.key")), &issued.key_pem).unwrap();
    }
    let config = |ca: &str, who: &str| {
        let text =
            format!("{GOOD}\n[tls]\nca = \"{ca}\"\ncert = \"{who}.pem\"\nkey = \"{who}.key\"\n");
        parse(&dir.join("alpha.toml"), &text).unwrap()
    };
    let loaded = load_tls(&config("ca.pem", "alpha")).unwrap().unwrap();
    assert_eq!(
        loaded.identity(),
        &crate::tls::Identity::Member("alpha".into())
    );
    let e = load_tls(&config("ca.pem", "beta")).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("tls.cert"));
    assert_eq!(
        e.message,
        format!(
            "{}: the certificate speaks for member beta, not for this member \"alpha\" (it \
             needs the subject alternative name URI baton:member:alpha)",
            dir.join("beta.pem").display()
        )
    );
    let e = load_tls(&config("nope.pem", "alpha")).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("tls.ca"));
    assert!(e.to_string().contains("nope.pem: cannot read"), "{e}");
    assert!(load_tls(&parse(Path::new("c.toml"), GOOD).unwrap())
        .unwrap()
        .is_none());
    let _ = std::fs::remove_dir_all(&dir);
}
