//! The metrics' labels and their configuration keys.

use super::snake_case_variant;
use crate::config::parse;
use baton_engine::LogFormat;
use std::path::Path;

fn file(top: &str, listen: &str) -> String {
    format!(
        "name = \"a\"\n{top}\n[[member]]\nname = \"a\"\nid = \"1\"\n\
         address = \"127.0.0.1:7401\"\n[[member]]\nname = \"b\"\nid = \"2\"\n\
         address = \"127.0.0.1:7402\"\n[listen]\n{listen}\n"
    )
}

#[test]
fn the_configuration_sets_the_listener_and_the_log_format() {
    let path = Path::new("a.toml");
    let cfg = parse(path, &file("", "")).expect("valid");
    assert_eq!((cfg.metrics, cfg.log_format), (None, LogFormat::Text));
    let text = file("log_format = \"json\"", "metrics = \"127.0.0.1:9421\"");
    let cfg = parse(path, &text).expect("valid");
    let want = Some(([127, 0, 0, 1], 9421).into());
    assert_eq!((cfg.metrics, cfg.log_format), (want, LogFormat::Json));
    let bad = parse(path, &file("log_format = \"xml\"", ""))
        .map(|_| ())
        .map_err(|e| e.to_string());
    assert_eq!(
        bad,
        Err("a.toml:2:14: log_format: \"xml\": expected text or json".to_owned())
    );
    let bad = parse(path, &file("", "metrics = \"nowhere\""))
        .map(|_| ())
        .map_err(|e| e.to_string());
    assert!(
        bad.as_ref().is_err_and(|e| e.contains("listen.metrics")),
        "{bad:?}"
    );
}

#[test]
fn reason_labels_are_the_variant_names() {
    assert_eq!(
        snake_case_variant("PeerSilent { peer: \"a\" }"),
        "peer_silent"
    );
    assert_eq!(
        snake_case_variant("ElectionBeforeHello"),
        "election_before_hello"
    );
    assert_eq!(snake_case_variant("HelloRefused(SelfId)"), "hello_refused");
}
