//! A node's control socket (`listen.control_socket`): one command line, one answer line
//! (docs/OPERATIONS.md, "Switchover"). Used by the failover and fault sections alike.

use std::path::Path;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

/// Sends `command` on the control socket at `path`; its answer line, trimmed.
pub async fn command(path: &Path, command: &str) -> Result<String, String> {
    let stream = tokio::net::UnixStream::connect(path)
        .await
        .map_err(|e| format!("cannot reach {}: {e}", path.display()))?;
    let (read, mut write) = stream.into_split();
    write
        .write_all(format!("{command}\n").as_bytes())
        .await
        .map_err(|e| format!("control socket: {e}"))?;
    let mut line = String::new();
    tokio::io::BufReader::new(read)
        .read_line(&mut line)
        .await
        .map_err(|e| format!("control socket: {e}"))?;
    Ok(line.trim().to_owned())
}
