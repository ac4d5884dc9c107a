//! `baton demo --tls`: the pair's certificates, made in the demo's folder (a cluster CA, one
//! per member, an admin client's for the watchers and the remote switchover), and the lines
//! each member's configuration gains.

use crate::Failure;
use baton_node::tls::make::{Ca, Issued, Validity};
use baton_node::tls::{TlsConfig, TlsFiles};
use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;
use tokio::time::Instant;

/// The admin client the demo's watchers and switchover use.
const CLIENT: &str = "operator";

fn fail(message: String) -> Failure {
    Failure { message, status: 1 }
}

/// Writes `text` to `dir/name`, mode 0600.
fn write(dir: &Path, name: &str, text: &str) -> Result<(), Failure> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(dir.join(name))
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| fail(format!("cannot write {name}: {e}")))
}

fn write_pair(dir: &Path, name: &str, issued: &Issued) -> Result<(), Failure> {
    write(dir, &format!("{name}.pem"), &issued.cert_pem)?;
    write(dir, &format!("{name}.key"), &issued.key_pem)
}

/// Makes `dir/ca.pem`, each member's `dir/NAME.pem` and `dir/NAME.key`, and the admin
/// client's; returns the client's TLS configuration.
pub fn make(dir: &Path, members: &[&str]) -> Result<TlsConfig, Failure> {
    #[allow(clippy::disallowed_methods, clippy::disallowed_types)] // certificates' dates
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let validity = Validity::days(now, 1);
    let sign = |e: baton_node::tls::make::MakeError| fail(format!("certificates: {e}"));
    let (ca, ca_files) = Ca::generate(validity).map_err(sign)?;
    write(dir, "ca.pem", &ca_files.cert_pem)?;
    for name in members {
        write_pair(dir, name, &ca.member(name, validity).map_err(sign)?)?;
    }
    write_pair(
        dir,
        CLIENT,
        &ca.client(CLIENT, true, validity).map_err(sign)?,
    )?;
    let files = TlsFiles {
        ca: dir.join("ca.pem"),
        cert: dir.join(format!("{CLIENT}.pem")),
        key: dir.join(format!("{CLIENT}.key")),
    };
    TlsConfig::load(&files).map_err(|e| fail(format!("certificates: {e}")))
}

/// The `[tls]` table of member `name` (paths relative to its configuration's folder, `dir`).
pub fn table(name: &str) -> String {
    format!("\n[tls]\nca = \"ca.pem\"\ncert = \"{name}.pem\"\nkey = \"{name}.key\"\n")
}

/// Sends `command` to the control TCP listener at `address` with the admin client's
/// certificate; its answer line.
pub async fn remote_command(
    address: SocketAddr,
    tls: &TlsConfig,
    command: &str,
) -> Result<String, Failure> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let (stream, _) = baton_node::client::connect(address, Some(tls), Duration::from_secs(2))
        .await
        .map_err(|e| fail(e.to_string()))?;
    let (read, mut write) = tokio::io::split(stream);
    write
        .write_all(format!("{command}\n").as_bytes())
        .await
        .map_err(|e| fail(format!("control: {e}")))?;
    let mut line = String::new();
    BufReader::new(read)
        .read_line(&mut line)
        .await
        .map_err(|e| fail(format!("control: {e}")))?;
    Ok(line.trim().to_owned())
}

/// Connects to `address` without TLS, sends a few bytes, and waits until the node closes
/// the connection; when it did.
pub async fn plain_refused(address: SocketAddr) -> Result<Instant, Failure> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|e| fail(format!("cannot connect to {address}: {e}")))?;
    let _ = stream.write_all(b"\x00\x00\x00\x05\x01hello").await;
    let mut buf = [0u8; 512];
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(n) = stream.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    });
    closed
        .await
        .map_err(|_| fail(format!("{address} kept a connection without a certificate")))?;
    Ok(Instant::now())
}
