//! `baton certs` as an operator runs it: the files, their modes and SAN URIs, every refusal
//! with status 2 and one line; the handshakes between those files are in `certs/handshake.rs`.

#[path = "certs/handshake.rs"]
mod handshake;
mod support;

use baton_node::tls::{identity_of, Identity, IdentityError};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::{Scratch, BATON};

/// `baton ARGS...`.
fn baton(args: &[&str]) -> Output {
    Command::new(BATON).args(args).output().expect("baton runs")
}

/// `baton certs ARGS...` in `dir` (paths relative to it), which must succeed.
fn certs(dir: &Path, args: &[&str]) {
    let out = Command::new(BATON)
        .arg("certs")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("baton runs");
    assert!(out.status.success(), "{args:?}: {out:?}");
}

/// `baton certs ARGS...` must fail with status 2 and exactly `line` on stderr.
fn refused(args: &[&str], line: &str) {
    let out = baton(&[&["certs"], args].concat());
    assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("baton: {line}\n")
    );
}

/// A file's permission bits.
fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The first certificate of a PEM file.
fn leaf(path: &Path) -> CertificateDer<'static> {
    CertificateDer::from_pem_file(path).unwrap()
}

/// A cluster `dir/NAME` made by `baton certs init` (alpha, beta) with clients ops and root.
fn cluster(scratch: &Scratch, name: &str) -> PathBuf {
    certs(&scratch.path, &["init", name, "alpha", "beta"]);
    let dir = scratch.path.join(name);
    certs(&dir, &["client", ".", "ops"]);
    certs(&dir, &["client", ".", "root", "--admin"]);
    dir
}

#[test]
fn init_writes_owner_only_files_whose_san_uris_name_the_members() {
    let scratch = Scratch::new("certs-init");
    let dir = cluster(&scratch, "pki");
    assert_eq!(mode(&dir), 0o700);
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let expected = ["alpha", "beta", "ca", "ops", "root"]
        .iter()
        .flat_map(|n| [format!("{n}.key"), format!("{n}.pem")])
        .collect::<Vec<_>>();
    assert_eq!(names, expected);
    for name in &names {
        assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
    }
    assert_eq!(
        identity_of(&leaf(&dir.join("alpha.pem"))),
        Ok(Identity::Member("alpha".to_owned()))
    );
    assert_eq!(
        identity_of(&leaf(&dir.join("beta.pem"))),
        Ok(Identity::Member("beta".to_owned()))
    );
    let client = |name: &str, admin| Identity::Client {
        name: name.to_owned(),
        admin,
    };
    assert_eq!(
        identity_of(&leaf(&dir.join("ops.pem"))),
        Ok(client("ops", false))
    );
    assert_eq!(
        identity_of(&leaf(&dir.join("root.pem"))),
        Ok(client("root", true))
    );
    assert_eq!(
        identity_of(&leaf(&dir.join("ca.pem"))),
        Err(IdentityError::Missing)
    );

    // The SAN itself, as x509-parser reads it: the URI, and the name as a DNS name.
    let der = leaf(&dir.join("alpha.pem"));
    let (_, x509) = x509_parser::parse_x509_certificate(der.as_ref()).unwrap();
    let san = x509.subject_alternative_name().unwrap().unwrap();
    let names: Vec<String> = san
        .value
        .general_names
        .iter()
        .map(|g| g.to_string())
        .collect();
    assert_eq!(names, ["URI(baton:member:alpha)", "DNSName(alpha)"]);
}

#[test]
fn bad_input_is_refused_with_status_2_and_one_line() {
    let scratch = Scratch::new("certs-refuse");
    let dir = cluster(&scratch, "pki");
    let d = dir.to_str().unwrap();
    let other = scratch.path.join("none");
    let o = other.to_str().unwrap();
    refused(
        &["init", o, "alpha", "be ta"],
        "name \"be ta\": \"be ta\": no white space (the status line names the peer as peer=<name>:<state>)",
    );
    refused(
        &["init", o, "alpha", "seventeen-chars-x"],
        "name \"seventeen-chars-x\": 17 characters: 1 to 16 allowed",
    );
    refused(&["init", o, "alpha"], "1 member names: 2 to 9 allowed");
    refused(&["init", o, "alpha", "alpha"], "name \"alpha\" given twice");
    refused(
        &["init", o, "alpha", "a/b"],
        "name \"a/b\": cannot be a file name",
    );
    refused(
        &["init", o, "alpha", "ca"],
        "name \"ca\": reserved for the CA's files (ca.pem, ca.key)",
    );
    refused(
        &["init", o, "a", "b", "--days", "0"],
        "--days 0: 1 to 36500 allowed",
    );
    assert!(!other.exists(), "nothing written for refused input");
    refused(
        &["init", d, "alpha", "beta"],
        &format!("{d}/ca.pem exists (--force replaces it)"),
    );
    refused(
        &["client", d, "ops"],
        &format!("{d}/ops.pem exists (--force replaces it)"),
    );
    refused(
        &["client", o, "ops"],
        &format!("cannot read the CA: {o}/ca.pem: No such file or directory (os error 2)"),
    );
    refused(
        &["client", d, ""],
        "name \"\": 0 characters: 1 to 16 allowed",
    );
    // A CA key that is not the CA certificate's.
    std::fs::copy(dir.join("alpha.key"), dir.join("ca.key")).unwrap();
    refused(
        &["client", d, "x"],
        &format!("{d}/ca.pem: the CA key does not match the CA certificate"),
    );

    // --force replaces, still 0600, with a new key.
    let before = std::fs::read(dir.join("beta.key")).unwrap();
    std::fs::set_permissions(dir.join("beta.key"), PermissionsExt::from_mode(0o644)).unwrap();
    certs(&scratch.path, &["init", "pki", "alpha", "beta", "--force"]);
    assert_ne!(std::fs::read(dir.join("beta.key")).unwrap(), before);
    assert_eq!(mode(&dir.join("beta.key")), 0o600);
}
