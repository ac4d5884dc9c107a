//! TLS handshakes between the files `baton certs` writes (node::tls over an in-memory
//! duplex): who each side learns the other is, and every refusal with its exact cause.

use super::support::{runtime, Scratch};
use super::{cluster, leaf};
use baton_node::tls::make::{Ca, Issued, Validity};
use baton_node::tls::{HandshakeError, Identity, IdentityError, TlsConfig, TlsFiles};
use rustls::ClientConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::path::Path;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;

/// The TLS configuration of `who` in `dir`, trusting `ca_dir`'s CA.
fn config(ca_dir: &Path, dir: &Path, who: &str) -> TlsConfig {
    TlsConfig::load(&TlsFiles {
        ca: ca_dir.join("ca.pem"),
        cert: dir.join(format!("{who}.pem")),
        key: dir.join(format!("{who}.key")),
    })
    .unwrap_or_else(|e| panic!("{who}: {e}"))
}

/// Writes a certificate made by `dir`'s CA (as `who`) and returns its configuration.
fn issued(dir: &Path, who: &str, make: impl FnOnce(&Ca) -> Issued) -> TlsConfig {
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let out = make(&Ca::from_pem(&read("ca.pem"), &read("ca.key")).unwrap());
    std::fs::write(dir.join(format!("{who}.pem")), out.cert_pem).unwrap();
    std::fs::write(dir.join(format!("{who}.key")), out.key_pem).unwrap();
    config(dir, dir, who)
}

type Side = Result<Identity, HandshakeError>;

/// `server` accepts what `client` dials over an in-memory duplex; each side's outcome.
/// When both succeed, a line goes each way through the encrypted streams.
fn handshake(server: &TlsConfig, client: &TlsConfig) -> (Side, Side) {
    runtime().block_on(async {
        let (a, b) = tokio::io::duplex(64 * 1024);
        let (s, c) = tokio::join!(server.accept(a), client.connect(b));
        match (s, c) {
            (Ok((mut s, si)), Ok((mut c, ci))) => {
                let mut buf = [0u8; 5];
                s.write_all(b"hello").await.unwrap();
                c.read_exact(&mut buf).await.unwrap();
                assert_eq!(&buf, b"hello");
                c.write_all(b"olleh").await.unwrap();
                s.read_exact(&mut buf).await.unwrap();
                assert_eq!(&buf, b"olleh");
                (Ok(si), Ok(ci))
            }
            (s, c) => (s.map(|x| x.1), c.map(|x| x.1)),
        }
    })
}

fn member(name: &str) -> Identity {
    Identity::Member(name.to_owned())
}

fn past(days: i64) -> i64 {
    now() - days * 86_400
}

#[allow(clippy::disallowed_methods, clippy::disallowed_types)] // certificates carry wall-clock dates
fn now() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    i64::try_from(since.unwrap().as_secs()).unwrap()
}

#[test]
fn members_authenticate_each_other_and_clients() {
    let scratch = Scratch::new("certs-members");
    let dir = cluster(&scratch, "pki");
    let [alpha, beta, ops, root] = ["alpha", "beta", "ops", "root"].map(|w| config(&dir, &dir, w));
    assert_eq!(alpha.identity(), &member("alpha"));
    // Beta dials alpha: each learns the other's member name.
    assert_eq!(
        handshake(&alpha, &beta),
        (Ok(member("beta")), Ok(member("alpha")))
    );
    assert_eq!(
        handshake(&beta, &alpha),
        (Ok(member("alpha")), Ok(member("beta")))
    );
    // Clients: read-only and admin.
    let ops_id = Identity::Client {
        name: "ops".to_owned(),
        admin: false,
    };
    let root_id = Identity::Client {
        name: "root".to_owned(),
        admin: true,
    };
    assert_eq!(handshake(&alpha, &ops), (Ok(ops_id), Ok(member("alpha"))));
    assert_eq!(handshake(&alpha, &root), (Ok(root_id), Ok(member("alpha"))));
}

/// A plain rustls dialler trusting `dir`'s CA, presenting `cert` (PEM certificate and key)
/// if any: what another implementation (or an attacker) would send.
fn raw_connect(dir: &Path, cert: Option<(&str, &str)>) -> Arc<ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(leaf(&dir.join("ca.pem"))).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    Arc::new(match cert {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_slice(cert.as_bytes()).unwrap()],
                PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap(),
            )
            .unwrap(),
    })
}

/// `server` accepts a raw dialler; the server's outcome, and the dialler's first read (with
/// TLS 1.3 a dialler learns that its certificate was refused when it reads).
fn raw_handshake(server: &TlsConfig, client: Arc<ClientConfig>) -> (Side, HandshakeError) {
    runtime().block_on(async {
        let (a, b) = tokio::io::duplex(64 * 1024);
        let dial = async {
            let name = ServerName::try_from("alpha").unwrap();
            let mut stream = TlsConnector::from(client).connect(name, b).await?;
            stream.read(&mut [0u8; 1]).await
        };
        let (s, c) = tokio::join!(server.accept(a), dial);
        let c = c.expect_err("the dialler's read fails");
        (s.map(|x| x.1), HandshakeError::classify(&c))
    })
}

fn refused_by(alert: &str) -> Side {
    Err(HandshakeError::RefusedByPeer(alert.to_owned()))
}

#[test]
fn a_dialler_without_a_certificate_is_refused() {
    let scratch = Scratch::new("certs-nocert");
    let dir = cluster(&scratch, "pki");
    let alpha = config(&dir, &dir, "alpha");
    let (s, c) = raw_handshake(&alpha, raw_connect(&dir, None));
    assert_eq!(s, Err(HandshakeError::NoClientCertificate));
    assert_eq!(
        c,
        HandshakeError::RefusedByPeer("CertificateRequired".to_owned())
    );
}

#[test]
fn a_certificate_from_another_ca_is_refused_both_ways() {
    let scratch = Scratch::new("certs-otherca");
    let dir = cluster(&scratch, "pki");
    let other = cluster(&scratch, "other");
    let alpha = config(&dir, &dir, "alpha");
    // Beta's certificate from the other CA, trusting ours: alpha refuses it.
    let forged = config(&dir, &other, "beta");
    let (s, c) = handshake(&alpha, &forged);
    assert_eq!(s, Err(HandshakeError::UnknownCa));
    assert_eq!(
        c,
        Ok(member("alpha")),
        "TLS 1.3: the dialler learns it at its first read"
    );
    // The other cluster's beta dialling alpha refuses alpha's certificate. Both CAs have the
    // same name, so the signature is what fails (rustls's alert for it: DecryptError).
    let stranger = config(&other, &other, "beta");
    assert_eq!(
        handshake(&alpha, &stranger),
        (refused_by("DecryptError"), Err(HandshakeError::UnknownCa))
    );
}

#[test]
fn expired_and_not_yet_valid_certificates_are_refused() {
    let scratch = Scratch::new("certs-dates");
    let dir = cluster(&scratch, "pki");
    let (alpha, beta) = (config(&dir, &dir, "alpha"), config(&dir, &dir, "beta"));
    let expired = Validity {
        not_before: past(30),
        not_after: past(1),
    };
    let old = issued(&dir, "old", |ca| ca.member("beta", expired).unwrap());
    assert_eq!(
        handshake(&alpha, &old),
        (Err(HandshakeError::Expired), Ok(member("alpha")))
    );
    assert_eq!(
        handshake(&old, &beta),
        (
            refused_by("CertificateExpired"),
            Err(HandshakeError::Expired)
        )
    );
    let future = Validity {
        not_before: past(-1),
        not_after: past(-30),
    };
    let early = issued(&dir, "early", |ca| ca.client("ops", true, future).unwrap());
    assert_eq!(
        handshake(&alpha, &early),
        (Err(HandshakeError::NotYetValid), Ok(member("alpha")))
    );
}

#[test]
fn a_certificate_of_the_ca_without_a_baton_identity_is_refused() {
    let scratch = Scratch::new("certs-noid");
    let dir = cluster(&scratch, "pki");
    let alpha = config(&dir, &dir, "alpha");
    // Signed by the cluster CA (rcgen, in the test), a DNS name but no baton URI.
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let ca_key = rcgen::KeyPair::from_pem(&read("ca.key")).unwrap();
    let issuer = rcgen::Issuer::from_ca_cert_pem(&read("ca.pem"), ca_key).unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["beta".to_owned()]).unwrap();
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap().pem();
    let client = raw_connect(&dir, Some((&cert, &key.serialize_pem())));
    let (s, _) = raw_handshake(&alpha, client);
    assert_eq!(s, Err(HandshakeError::NoIdentity(IdentityError::Missing)));
    // Nor does such a certificate load as ours.
    std::fs::write(dir.join("anon.pem"), &cert).unwrap();
    std::fs::write(dir.join("anon.key"), key.serialize_pem()).unwrap();
    let err = TlsConfig::load(&TlsFiles {
        ca: dir.join("ca.pem"),
        cert: dir.join("anon.pem"),
        key: dir.join("anon.key"),
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: no baton:member: or baton:client: URI in its subject alternative names",
            dir.join("anon.pem").display()
        )
    );
}

#[test]
fn garbage_instead_of_a_handshake_is_an_error_not_a_panic() {
    let scratch = Scratch::new("certs-garbage");
    let dir = cluster(&scratch, "pki");
    let alpha = config(&dir, &dir, "alpha");
    for bytes in [
        &b"GET / HTTP/1.1\r\n\r\n"[..],
        &[0x16, 3, 1, 0, 1, 0xff],
        &[0u8; 512],
    ] {
        let s = runtime().block_on(async {
            let (a, mut b) = tokio::io::duplex(64 * 1024);
            b.write_all(bytes).await.unwrap();
            drop(b);
            alpha.accept(a).await.map(|x| x.1)
        });
        assert!(matches!(s, Err(HandshakeError::Other(_))), "{s:?}");
    }
}
