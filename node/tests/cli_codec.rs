//! `baton encode` / `baton decode` as a user runs them: every independent vector in every
//! shared rule, and every malformed input refused with status 2 and one line on stderr.

use baton_codec::Encoding;
use baton_conformance::vectors;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn baton(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("baton runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn assert_refused(out: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{what}: status; stderr {stderr}"
    );
    assert!(out.stdout.is_empty(), "{what}: nothing on stdout");
    assert_eq!(stderr.lines().count(), 1, "{what}: one line: {stderr}");
    assert!(stderr.starts_with("baton: "), "{what}: {stderr}");
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
}

#[test]
fn every_vector_both_ways_through_the_cli() {
    for v in vectors::valid().unwrap() {
        let iface = v.interface.name();
        let json = serde_json::to_vec(&v.value).unwrap();
        for (encoding, peer) in &v.encodings {
            let rule = encoding.name();
            let what = format!("{} {rule}", v.name);
            let out = baton(&["encode", "--interface", iface, "--encoding", rule], &json);
            assert!(out.status.success(), "{what}: {:?}", out);
            let hex_out = String::from_utf8(out.stdout).unwrap();
            let ours = hex::decode(hex_out.trim()).unwrap();
            match encoding {
                Encoding::Jer => assert_eq!(
                    serde_json::from_slice::<serde_json::Value>(&ours).unwrap(),
                    serde_json::from_slice::<serde_json::Value>(peer).unwrap(),
                    "{what}"
                ),
                // baton writes DER for BER; the DER row checks those bytes.
                Encoding::Ber => {}
                _ => assert_eq!(hex_out.trim(), hex::encode(peer), "{what}"),
            }
            // Decode the peer's bytes, from an argument and from stdin.
            let out = baton(
                &["decode", "-i", iface, "-e", rule, &hex::encode(peer)],
                b"",
            );
            assert!(out.status.success(), "{what}: {:?}", out);
            let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(value, v.value, "{what}: decoded value");
            let out = baton(
                &["decode", "-i", iface, "-e", rule, "-"],
                hex::encode(peer).as_bytes(),
            );
            assert!(out.status.success(), "{what} (stdin)");
        }
    }
}

#[test]
fn every_malformed_vector_is_refused_with_status_2() {
    for v in vectors::malformed().unwrap() {
        let out = baton(
            &[
                "decode",
                "-i",
                v.interface.name(),
                "-e",
                v.encoding.name(),
                &hex::encode(&v.bytes),
            ],
            b"",
        );
        assert_refused(&out, &v.name);
        if let Some(field) = &v.field {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.starts_with(&format!("baton: {field}: ")),
                "{}: {stderr}",
                v.name
            );
        }
    }
}

#[test]
fn bad_cli_input_is_refused_with_status_2() {
    let cases: [(&[&str], &[u8]); 7] = [
        (&["decode", "-i", "election", "-e", "der", "zz"], b""),
        (&["decode", "-i", "election", "-e", "der", "abc"], b""),
        (
            &["decode", "-i", "election", "-e", "der", "-"],
            &[0xff, 0xfe],
        ),
        (&["encode", "-i", "election", "-e", "der"], b"{not json"),
        (&["encode", "-i", "election", "-e", "der"], b""),
        (
            &["encode", "-i", "election", "-e", "uper"],
            br#"{"correlationId":"1","message":{"nominationMsg":{"nominee":"abcdefghijklmnopq"}}}"#,
        ),
        (
            &["encode", "-i", "status", "-e", "der"],
            br#"{"correlationId":"1 2x","message":{"getStatus":{}}}"#,
        ),
    ];
    for (args, stdin) in cases {
        assert_refused(&baton(args, stdin), &args.join(" "));
    }
    let out = baton(
        &["encode", "-i", "election", "-e", "uper"],
        br#"{"correlationId":"1","message":{"nominationMsg":{"nominee":"abcdefghijklmnopq"}}}"#,
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "baton: ElectionMessage.message.nominationMsg.nominee: 17 characters, at most 16"
    );
    // Unknown interface or rule: clap's usage error, also status 2.
    let out = baton(&["encode", "-i", "bogus", "-e", "der"], b"");
    assert_eq!(out.status.code(), Some(2));
    let out = baton(&["encode", "-i", "election", "-e", "xer"], b"");
    assert_eq!(out.status.code(), Some(2));
}
