//! Loading: every TlsError by cause, naming its file; the dates the maker refuses.

use super::make::{Ca, MakeError, Validity};
use super::{Identity, TlsConfig, TlsError, TlsFiles};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

/// A fresh directory with a CA and members alpha and beta, removed on drop.
struct Dir(PathBuf);

impl Dir {
    fn new() -> Dir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("bt-tls-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        let validity = Validity::days(1_700_000_000, 36_500);
        let (ca, ca_files) = Ca::generate(validity).unwrap();
        let dir = Dir(path);
        dir.write("ca.pem", &ca_files.cert_pem);
        dir.write("ca.key", &ca_files.key_pem);
        for name in ["alpha", "beta"] {
            let issued = ca.member(name, validity).unwrap();
            dir.write(&format!("{name}.pem"), &issued.cert_pem);
            dir.write(&format!("{name}.key"), &issued.key_pem);
        }
        dir
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path(name), text).unwrap();
    }

    fn files(&self, ca: &str, cert: &str, key: &str) -> TlsFiles {
        TlsFiles {
            ca: self.path(ca),
            cert: self.path(cert),
            key: self.path(key),
        }
    }

    fn load(&self, ca: &str, cert: &str, key: &str) -> Result<TlsConfig, TlsError> {
        TlsConfig::load(&self.files(ca, cert, key))
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_member_loads_with_its_identity() {
    let dir = Dir::new();
    let alpha = dir.load("ca.pem", "alpha.pem", "alpha.key").unwrap();
    assert_eq!(alpha.identity(), &Identity::Member("alpha".to_owned()));
}

#[test]
fn each_failure_names_its_cause_and_file() {
    let dir = Dir::new();
    dir.write("empty.pem", "");
    dir.write("broken.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n");
    dir.write(
        "notder.pem",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    let p = |name: &str| dir.path(name);

    let err = dir
        .load("missing.pem", "alpha.pem", "alpha.key")
        .unwrap_err();
    assert!(matches!(&err, TlsError::Unreadable { path, .. } if *path == p("missing.pem")));
    assert_eq!(
        err.to_string(),
        format!(
            "{}: cannot read: No such file or directory (os error 2)",
            p("missing.pem").display()
        )
    );
    let err = dir.load("ca.pem", "empty.pem", "alpha.key").unwrap_err();
    assert!(matches!(&err, TlsError::NoCertificate { path } if *path == p("empty.pem")));
    let err = dir.load("empty.pem", "alpha.pem", "alpha.key").unwrap_err();
    assert!(matches!(&err, TlsError::NoCertificate { path } if *path == p("empty.pem")));
    let err = dir.load("ca.pem", "alpha.pem", "alpha.pem").unwrap_err();
    assert!(matches!(&err, TlsError::NoKey { path, reason: None } if *path == p("alpha.pem")));
    assert_eq!(
        err.to_string(),
        format!(
            "{}: no usable private key in the file",
            p("alpha.pem").display()
        )
    );
    let err = dir.load("ca.pem", "alpha.pem", "beta.key").unwrap_err();
    assert!(
        matches!(&err, TlsError::KeyMismatch { cert, key } if *cert == p("alpha.pem") && *key == p("beta.key"))
    );
    let err = dir.load("ca.pem", "broken.pem", "alpha.key").unwrap_err();
    assert!(matches!(&err, TlsError::Pem { path, .. } if *path == p("broken.pem")));
    let err = dir
        .load("notder.pem", "alpha.pem", "alpha.key")
        .unwrap_err();
    assert!(matches!(&err, TlsError::CaInvalid { path, .. } if *path == p("notder.pem")));
    // The CA's own certificate names no one.
    let err = dir.load("ca.pem", "ca.pem", "ca.key").unwrap_err();
    assert!(matches!(&err, TlsError::NoIdentity { path, .. } if *path == p("ca.pem")));
}

#[test]
fn the_maker_refuses_dates_x509_cannot_carry_and_foreign_keys() {
    let (ca, _) = Ca::generate(Validity::days(1_700_000_000, 1)).unwrap();
    for (not_before, not_after) in [(i64::MIN, 0), (0, i64::MAX), (-1_000_000_000_000, 0)] {
        let validity = Validity {
            not_before,
            not_after,
        };
        assert_eq!(ca.member("alpha", validity).unwrap_err(), MakeError::Date);
    }
    let far = Validity::days(i64::MAX - 5, u32::MAX);
    assert_eq!(far.not_after, i64::MAX);
    let (_, other) = Ca::generate(Validity::days(1_700_000_000, 1)).unwrap();
    assert_eq!(
        Ca::from_pem(ca.cert_pem(), &other.key_pem).unwrap_err(),
        MakeError::CaKeyMismatch
    );
    assert!(matches!(
        Ca::from_pem("", &other.key_pem),
        Err(MakeError::CaCert(_))
    ));
    assert!(matches!(
        Ca::from_pem(ca.cert_pem(), "x"),
        Err(MakeError::CaKey(_))
    ));
}
