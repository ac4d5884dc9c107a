//! The metrics listener: a small HTTP/1.x server. `GET /metrics` is the OpenMetrics text of
//! the registry; `GET /` the dashboard's page and `GET /status.json` its document
//! ([`crate::dashboard`], asked of the driver for each request). With `[tls]` every
//! connection must first complete a TLS handshake with a client certificate of the cluster's
//! CA, as on the status listener. Bounded: at most [`MAX_CLIENTS`] connections at once (more
//! wait in the accept queue), a request head of at most [`MAX_HEAD`] bytes read within
//! [`READ_TIMEOUT`], one request a connection (`Connection: close`). Anything else gets
//! `404`, `405` or `400`; a request head that is too long or too slow is closed unanswered.

use crate::dashboard::Ask;
use crate::driver::secure::Tls;
use prometheus_client::encoding::text::encode;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
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

/// How long `GET /status.json` waits for the driver's answer.
pub const ASK_TIMEOUT: Duration = Duration::from_secs(2);

/// The content type of the OpenMetrics text format.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// What the listener serves: the registry, and the dashboard's document when `ask` is given.
pub(super) struct Served {
    pub(super) registry: Registry,
    pub(super) ask: Option<Ask>,
}

/// Serves on `listener` until aborted; with `tls`, behind a handshake each.
pub(super) fn serve(listener: TcpListener, served: Arc<Served>, tls: Option<Tls>) -> AbortHandle {
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
            let (served, tls) = (served.clone(), tls.clone());
            tokio::spawn(async move {
                let outcome = match tls {
                    None => session(stream, &served).await,
                    Some(tls) => match tls.accept(stream).await {
                        Ok((stream, _identity)) => session(stream, &served).await,
                        Err(e) => {
                            tls.refused("metrics listener", from, &e);
                            Ok(())
                        }
                    },
                };
                if let Err(e) = outcome {
                    debug!(%from, "metrics client: {e}");
                }
                drop(permit);
            });
        }
    })
    .abort_handle()
}

/// Reads one request and answers it.
async fn session<S>(mut stream: S, served: &Served) -> Result<(), String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let head = tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream))
        .await
        .map_err(|_| format!("no request within {} s", READ_TIMEOUT.as_secs()))??;
    let answer = match route(&head) {
        Route::Answer(answer) => answer,
        Route::Metrics { body } => metrics(&served.registry, body),
        Route::Page { body } => response("200 OK", HTML, crate::dashboard::PAGE, body),
        Route::Status { body } => status(served.ask.as_ref(), body).await,
    };
    tokio::time::timeout(WRITE_TIMEOUT, async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await
    })
    .await
    .map_err(|_| "the answer was not taken in time".to_owned())?
    .map_err(|e| e.to_string())
}

/// The request head: up to the blank line.
async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> Result<String, String> {
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

/// The content type of the page.
const HTML: &str = "text/html; charset=utf-8";
/// The content type of `status.json`.
const JSON: &str = "application/json";

/// What a request asks for; `body`: a `GET` (not a `HEAD`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Route {
    /// `/metrics`.
    Metrics { body: bool },
    /// `/` (and `/index.html`): the dashboard.
    Page { body: bool },
    /// `/status.json`.
    Status { body: bool },
    /// The whole answer, already known (a refusal).
    Answer(String),
}

/// Where the request whose head is `head` goes.
pub(super) fn route(head: &str) -> Route {
    let line = head.lines().next().unwrap_or("");
    let mut parts = line.split(' ');
    let (method, target, version) = (parts.next(), parts.next(), parts.next());
    let path = target.map(|t| t.split('?').next().unwrap_or(t));
    let bad = || {
        Route::Answer(response(
            "400 Bad Request",
            "text/plain",
            "bad request line\n",
            true,
        ))
    };
    match (method, path, version) {
        (Some(_), Some(_), Some(v)) if !v.starts_with("HTTP/1.") || parts.next().is_some() => bad(),
        (Some(m @ ("GET" | "HEAD")), Some(path), Some(_)) => {
            let body = m == "GET";
            match path {
                "/metrics" => Route::Metrics { body },
                "/" | "/index.html" => Route::Page { body },
                "/status.json" => Route::Status { body },
                _ => Route::Answer(response(
                    "404 Not Found",
                    "text/plain",
                    "served here: / (the dashboard), /status.json, /metrics\n",
                    true,
                )),
            }
        }
        (Some(_), Some(_), Some(_)) => Route::Answer(response(
            "405 Method Not Allowed\r\nAllow: GET, HEAD",
            "text/plain",
            "read-only: GET /, /status.json, /metrics\n",
            true,
        )),
        _ => bad(),
    }
}

/// The answer to `GET /metrics`.
pub(super) fn metrics(registry: &Registry, body: bool) -> String {
    let mut text = String::new();
    match encode(&mut text, registry) {
        Ok(()) => response("200 OK", CONTENT_TYPE, &text, body),
        Err(_) => response(
            "500 Internal Server Error",
            "text/plain",
            "cannot encode\n",
            true,
        ),
    }
}

/// The answer to `GET /status.json`: the driver's document, or `503` when it does not answer
/// within [`ASK_TIMEOUT`] (or is stopping).
async fn status(ask: Option<&Ask>, body: bool) -> String {
    let unavailable = |why: &str| response("503 Service Unavailable", "text/plain", why, true);
    let Some(ask) = ask else {
        return unavailable("no status here\n");
    };
    let Some(answer) = ask.ask() else {
        return unavailable("the node is busy or stopping\n");
    };
    match tokio::time::timeout(ASK_TIMEOUT, answer).await {
        Ok(Ok(document)) => response("200 OK", JSON, &document, body),
        Ok(Err(_)) => unavailable("the node is stopping\n"),
        Err(_) => unavailable("the node did not answer in time\n"),
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
    use super::{metrics, route, Route};
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
        assert_eq!(
            route("GET /metrics HTTP/1.1\r\nHost: x"),
            Route::Metrics { body: true }
        );
        assert_eq!(
            route("GET /metrics?x=1 HTTP/1.0"),
            Route::Metrics { body: true }
        );
        assert_eq!(
            route("HEAD /metrics HTTP/1.1"),
            Route::Metrics { body: false }
        );
        assert_eq!(metrics(&registry(), true), want);
    }

    #[test]
    fn the_dashboard_and_its_document_are_served() {
        assert_eq!(route("GET / HTTP/1.1"), Route::Page { body: true });
        assert_eq!(
            route("GET /index.html HTTP/1.0"),
            Route::Page { body: true }
        );
        assert_eq!(route("HEAD / HTTP/1.1"), Route::Page { body: false });
        assert_eq!(
            route("GET /status.json?t=1 HTTP/1.1"),
            Route::Status { body: true }
        );
    }

    #[test]
    fn anything_else_is_refused() {
        let status = |head: &str| match route(head) {
            Route::Answer(a) => a.lines().next().unwrap_or("").to_owned(),
            other => format!("{other:?}"),
        };
        assert_eq!(status("GET /nothing HTTP/1.1"), "HTTP/1.1 404 Not Found");
        assert_eq!(
            status("POST /metrics HTTP/1.1"),
            "HTTP/1.1 405 Method Not Allowed"
        );
        assert_eq!(
            status("PUT /status.json HTTP/1.1"),
            "HTTP/1.1 405 Method Not Allowed"
        );
        assert_eq!(status("GET /metrics"), "HTTP/1.1 400 Bad Request");
        assert_eq!(status("GET /metrics SPDY/3"), "HTTP/1.1 400 Bad Request");
        assert_eq!(status(""), "HTTP/1.1 400 Bad Request");
    }
}
