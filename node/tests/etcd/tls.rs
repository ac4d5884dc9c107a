//! Etcd mode over TLS (PROTOCOL 5.12, OPERATIONS "Choosing a mode"): etcd serves `https` with
//! a certificate from the cluster's CA and requires client certificates from it; each member
//! reaches it with the files of its `[tls]` section (made by `baton certs init`).

use crate::harness::Members;
use crate::support::etcd::{EtcdServer, EtcdTls};
use crate::support::{runtime, Scratch, BATON};
use crate::ELECT;
use baton_node::tls::TlsFiles;

#[test]
fn members_reach_etcd_over_tls_with_their_tls_files_and_fail_over() {
    let scratch = Scratch::new("etcdtls");
    let certs = scratch.path.join("certs");
    let out = std::process::Command::new(BATON)
        .args(["certs", "init"])
        .arg(&certs)
        .args(["m0", "m1", "etcdsrv"])
        .output()
        .expect("baton certs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = |n: &str| certs.join(n);
    let tls = EtcdTls {
        ca: file("ca.pem"),
        cert: file("etcdsrv.pem"),
        key: file("etcdsrv.key"),
        client: TlsFiles {
            ca: file("ca.pem"),
            cert: file("m0.pem"),
            key: file("m0.key"),
        },
    };
    let etcd = runtime().block_on(EtcdServer::start_with(&scratch, &[], Some(tls)));
    assert!(etcd.url().starts_with("https://"));
    let mut m = Members::new("etls", 2, &etcd, "/baton/tls", vec![], "");
    for i in 0..2 {
        m.append(
            i,
            &format!(
                "\n[tls]\nca = \"{}\"\ncert = \"{}\"\nkey = \"{}\"\n",
                file("ca.pem").display(),
                file(&format!("m{i}.pem")).display(),
                file(&format!("m{i}.key")).display()
            ),
        );
    }
    m.start_all();
    runtime().block_on(async {
        m.until_component(0, "active", ELECT).await;
        m.kill(0);
        m.until_component(1, "active", ELECT).await;
    });
    assert!(
        m.log(1).contains("etcd command=Campaign"),
        "m1 campaigned over TLS"
    );
    assert_eq!(m.dual_active(), Vec::<String>::new());
}
