//! The metrics listener: a small HTTP/1.x server with one resource, `GET /metrics` (the
//! OpenMetrics text of the registry). Bounded: at most [`MAX_CLIENTS`] connections at once
//! (more wait in the accept queue), a request head of at most [`MAX_HEAD`] bytes read within
//! [`READ_TIMEOUT`], one request a connection (`Connection: close`). Anything else gets
//! `404`, `405` or `400`; a request head that is too long or too slow is closed unanswered.

use prometheus_client::encoding::text::encode;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::AbortHandle;
use tracing::debug;

/// Connections served at once.
pub const MAX_CLIENTS: usize = 8;
/// The longest request head read.
pub const MAX_HEAD: usize = 8 * 1024;
/// How long a client has to send its request head.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a client has to take the answer.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// The content type of the OpenMetrics text format.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Serves `registry` on `listener` until aborted.
pub(super) fn serve(listener: TcpListener, registry: Arc<Registry>) -> AbortHandle {
    let permits = Arc::new(Semaphore::new(MAX_CLIENTS));
    tokio::spawn(async move {
        loop {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            let (stream, from) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors, typically: try again a little later.
                    debug!("metrics listener: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let registry = registry.clone();
            tokio::spawn(async move {
                if let Err(e) = session(stream, &registry).await {
                    debug!(%from, "metrics client: {e}");
                }
                drop(permit);
            });
        }
    })
    .abort_handle()
}

/// Reads one request and answers it.
async fn session(mut stream: TcpStream, registry: &Registry) -> Result<(), String> {
    let head = tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream))
        .await
        .map_err(|_| format!("no request within {} s", READ_TIMEOUT.as_secs()))??;
    let answer = answer(&head, registry);
    tokio::time::timeout(WRITE_TIMEOUT, async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await
    })
    .await
    .map_err(|_| "the answer was not taken in time".to_owned())?
    .map_err(|e| e.to_string())
}

/// The request head: up to the blank line.
async fn read_head(stream: &mut TcpStream) -> Result<String, String> {
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("closed before the end of the request head".to_owned());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = find(&buf, b"\r\n\r\n").or_else(|| find(&buf, b"\n\n")) {
            buf.truncate(end);
            return Ok(String::from_utf8_lossy(&buf).into_owned());
        }
        if buf.len() > MAX_HEAD {
            return Err(format!("request head over {MAX_HEAD} bytes"));
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The whole answer to the request whose head is `head`.
pub(super) fn answer(head: &str, registry: &Registry) -> String {
    let line = head.lines().next().unwrap_or("");
    let mut parts = line.split(' ');
    let (method, target, version) = (parts.next(), parts.next(), parts.next());
    let path = target.map(|t| t.split('?').next().unwrap_or(t));
    match (method, path, version) {
        (Some(_), Some(_), Some(v)) if !v.starts_with("HTTP/1.") || parts.next().is_some() => {
            response("400 Bad Request", "text/plain", "bad request line\n", true)
        }
        (Some(m @ ("GET" | "HEAD")), Some("/metrics"), Some(_)) => {
            let mut body = String::new();
            match encode(&mut body, registry) {
                Ok(()) => response("200 OK", CONTENT_TYPE, &body, m == "GET"),
                Err(_) => response(
                    "500 Internal Server Error",
                    "text/plain",
                    "cannot encode\n",
                    true,
                ),
            }
        }
        (Some("GET" | "HEAD"), Some(_), Some(_)) => response(
            "404 Not Found",
            "text/plain",
            "only /metrics is served here\n",
            true,
        ),
        (Some(_), Some(_), Some(_)) => response(
            "405 Method Not Allowed\r\nAllow: GET, HEAD",
            "text/plain",
            "GET /metrics\n",
            true,
        ),
        _ => response("400 Bad Request", "text/plain", "bad request line\n", true),
    }
}

/// A whole response; `status` may carry extra header lines after it.
fn response(status: &str, content_type: &str, body: &str, with_body: bool) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{}",
        body.len(),
        if with_body { body } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::answer;
    use prometheus_client::metrics::counter::Counter;
    use prometheus_client::registry::Registry;

    fn registry() -> Registry {
        let mut r = Registry::default();
        let c: Counter = Counter::default();
        c.inc();
        r.register("baton_test", "A test counter", c);
        r
    }

    #[test]
    fn get_metrics_is_the_registry_text() {
        let body = "# HELP baton_test A test counter.\n# TYPE baton_test counter\n\
                    baton_test_total 1\n# EOF\n";
        let want = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/openmetrics-text; version=1.0.0; \
             charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let head = "GET /metrics HTTP/1.1\r\nHost: x";
        assert_eq!(answer(head, &registry()), want);
        assert_eq!(answer("GET /metrics?x=1 HTTP/1.0", &registry()), want);
    }

    #[test]
    fn anything_else_is_refused() {
        let status = |head: &str| {
            let a = answer(head, &registry());
            a.lines().next().unwrap_or("").to_owned()
        };
        assert_eq!(status("GET / HTTP/1.1"), "HTTP/1.1 404 Not Found");
        assert_eq!(
            status("POST /metrics HTTP/1.1"),
            "HTTP/1.1 405 Method Not Allowed"
        );
        assert_eq!(status("GET /metrics"), "HTTP/1.1 400 Bad Request");
        assert_eq!(status("GET /metrics SPDY/3"), "HTTP/1.1 400 Bad Request");
        assert_eq!(status(""), "HTTP/1.1 400 Bad Request");
    }
}
