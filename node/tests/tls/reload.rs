//! SIGHUP: the certificate files loaded again (rotation in place); files that do not load
//! refused, the old ones staying.

use super::setup::{baton, certs_dir, client, hup, tls_pair, STEP};
use super::support::{is, runtime, Watch};
use baton_status::State;
use std::path::Path;
use std::time::Duration;

#[test]
fn sighup_reloads_the_certificate_files_and_refuses_ones_that_do_not_load() {
    let (mut pair, _) = tls_pair("tlsreload");
    runtime().block_on(async {
        let mut watch = Watch::start_with(&pair, Some(client(&pair, "ops")));
        pair.start(0);
        watch
            .until("alpha active alone", STEP, |s| is(&s[0], State::Active))
            .await;
        let within = Duration::from_secs(3);

        // SIGHUP with a certificate file that does not load: refused, the old ones stay.
        let address = pair.specs[0].status.to_string();
        let status = |name: &str, dir: &Path| {
            let p = |f: String| dir.join(f).display().to_string();
            vec![
                "status".to_owned(),
                "--address".into(),
                address.clone(),
                "--ca".into(),
                p("ca.pem".into()),
                "--cert".into(),
                p(format!("{name}.pem")),
                "--key".into(),
                p(format!("{name}.key")),
            ]
        };
        let mark = pair.log_mark(0);
        let alpha_pem = certs_dir(&pair).join("alpha.pem");
        let good = std::fs::read(&alpha_pem).expect("alpha.pem");
        std::fs::write(&alpha_pem, "not a certificate").expect("written");
        hup(&pair, 0);
        pair.log_line(
            0,
            mark,
            &[
                "reload: TLS files not reloaded, the ones loaded before stay",
                "tls.cert",
            ],
            within,
        )
        .await;
        let ran = baton(&status("reader", &certs_dir(&pair))).await;
        assert!(ran.ok, "{}", ran.stderr);
        std::fs::write(&alpha_pem, good).expect("written");

        // Rotation in place: a new CA and new files at the same paths, then SIGHUP.
        let new = pair.dir().join("certs2");
        let dir = new.display().to_string();
        for args in [
            &["certs", "init", &dir, "alpha", "beta"][..],
            &["certs", "client", &dir, "reader"],
        ] {
            let ran = baton(args).await;
            assert!(ran.ok, "{}", ran.stderr);
        }
        for f in ["ca.pem", "alpha.pem", "alpha.key"] {
            std::fs::copy(new.join(f), certs_dir(&pair).join(f)).expect("copied");
        }
        let mark = pair.log_mark(0);
        hup(&pair, 0);
        pair.log_line(0, mark, &["reload: applied TLS files loaded again"], within)
            .await;
        let ran = baton(&status("reader", &new)).await;
        assert!(ran.ok, "{}", ran.stderr);
        // A client of the old CA (certs/ca.pem is the new one now): refused.
        let old = baton(&status("reader", &certs_dir(&pair))).await;
        assert!(!old.ok, "{}", old.stdout);
        assert!(
            old.stderr.contains("refused our certificate"),
            "{}",
            old.stderr
        );
        assert!(is(&watch.now[0], State::Active), "{}", watch.render());
    });
}
