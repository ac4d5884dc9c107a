//! A minimal HTTP/1.1 client for etcd's gateway: one `POST` of a JSON body per connection
//! (`Connection: close`), over TCP or TLS; the answer's body read whole (bounded) or, for a
//! watch, as a stream of newline-separated messages out of the chunked encoding. Only what
//! etcd's gateway sends is understood; anything else is an error, never a panic.

use std::io;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The largest answer body read (a watch message included).
pub const MAX_BODY: usize = 1 << 20;
/// The longest header section read.
const MAX_HEAD: usize = 16 * 1024;

/// A byte stream to etcd.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// Where one etcd answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https`.
    pub tls: bool,
    /// `host:port` as written.
    pub authority: String,
    /// The host part (a name or an address).
    pub host: String,
}

impl Endpoint {
    /// Reads `http://host:port` or `https://host:port` (the configuration checked it).
    pub fn parse(url: &str) -> Option<Endpoint> {
        let (scheme, rest) = url.split_once("://")?;
        let authority = rest.trim_end_matches('/').to_owned();
        let (host, _) = authority.rsplit_once(':')?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        Some(Endpoint {
            tls: scheme == "https",
            authority,
            host,
        })
    }
}

/// Opens a connection to `ep` (TLS with `tls` for `https`).
pub async fn connect(
    ep: &Endpoint,
    tls: Option<&Arc<rustls::ClientConfig>>,
) -> io::Result<Box<dyn Stream>> {
    let tcp = TcpStream::connect(&ep.authority).await?;
    tcp.set_nodelay(true)?;
    if !ep.tls {
        return Ok(Box::new(tcp));
    }
    let config = tls.ok_or_else(|| io::Error::other("https endpoint without [tls]"))?;
    let name = rustls_pki_types::ServerName::try_from(ep.host.clone())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let stream = tokio_rustls::TlsConnector::from(config.clone())
        .connect(name, tcp)
        .await?;
    Ok(Box::new(stream))
}

/// An answer's head.
struct Head {
    status: u16,
    length: Option<usize>,
    chunked: bool,
}

fn bad(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// Writes `POST path` with `body`.
async fn send(s: &mut Box<dyn Stream>, ep: &Endpoint, path: &str, body: &[u8]) -> io::Result<()> {
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        ep.authority,
        body.len()
    );
    let mut all = head.into_bytes();
    all.extend_from_slice(body);
    s.write_all(&all).await?;
    s.flush().await
}

async fn line<R: AsyncBufReadExt + Unpin>(r: &mut R, budget: &mut usize) -> io::Result<String> {
    let mut buf = Vec::new();
    let n = (&mut *r)
        .take(*budget as u64 + 1)
        .read_until(b'\n', &mut buf)
        .await?;
    if n == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed",
        ));
    }
    if n > *budget {
        return Err(bad("answer head too long"));
    }
    *budget -= n;
    if buf.last() != Some(&b'\n') {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed",
        ));
    }
    String::from_utf8(buf)
        .map(|s| s.trim_end().to_owned())
        .map_err(|_| bad("answer head not UTF-8"))
}

async fn head<R: AsyncBufReadExt + Unpin>(r: &mut R) -> io::Result<Head> {
    let mut budget = MAX_HEAD;
    let status_line = line(r, &mut budget).await?;
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| status_line.strip_prefix("HTTP/1.0 "))
        .and_then(|s| s.get(..3))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(format!("status line {status_line:?}")))?;
    let (mut length, mut chunked) = (None, false);
    loop {
        let l = line(r, &mut budget).await?;
        if l.is_empty() {
            break;
        }
        let Some((name, value)) = l.split_once(':') else {
            return Err(bad(format!("header line {l:?}")));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse().map_err(|_| bad("content-length"))?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.eq_ignore_ascii_case("chunked");
        }
    }
    Ok(Head {
        status,
        length,
        chunked,
    })
}

/// The next chunk of a chunked body (empty at its end).
async fn chunk<R: AsyncBufReadExt + Unpin>(r: &mut R) -> io::Result<Vec<u8>> {
    let mut budget = 256;
    let size_line = line(r, &mut budget).await?;
    let hex = size_line.split(';').next().unwrap_or("").trim();
    let size = usize::from_str_radix(hex, 16).map_err(|_| bad("chunk size"))?;
    if size > MAX_BODY {
        return Err(bad("chunk too large"));
    }
    let mut data = vec![0; size];
    r.read_exact(&mut data).await?;
    let mut budget = 2;
    if size == 0 {
        // The trailer section ends with an empty line.
        let mut trailer_budget = MAX_HEAD;
        while !line(r, &mut trailer_budget).await?.is_empty() {}
    } else if !line(r, &mut budget).await?.is_empty() {
        return Err(bad("chunk not followed by CRLF"));
    }
    Ok(data)
}

/// `POST path` with the JSON `body` on a new connection; the answer's body (any status:
/// the gateway writes its errors as JSON).
pub async fn post(
    ep: &Endpoint,
    tls: Option<&Arc<rustls::ClientConfig>>,
    path: &str,
    body: &[u8],
) -> io::Result<Vec<u8>> {
    let mut s = connect(ep, tls).await?;
    send(&mut s, ep, path, body).await?;
    let mut r = BufReader::new(s);
    let h = head(&mut r).await?;
    let _ = h.status;
    if h.chunked {
        let mut all = Vec::new();
        loop {
            let c = chunk(&mut r).await?;
            if c.is_empty() {
                return Ok(all);
            }
            if all.len() + c.len() > MAX_BODY {
                return Err(bad("answer too large"));
            }
            all.extend_from_slice(&c);
        }
    }
    let n = h.length.ok_or_else(|| bad("answer without length"))?;
    if n > MAX_BODY {
        return Err(bad("answer too large"));
    }
    let mut body = vec![0; n];
    r.read_exact(&mut body).await?;
    Ok(body)
}

/// A streaming answer (a watch): its messages, one per line.
pub struct Lines {
    r: BufReader<Box<dyn Stream>>,
    chunked: bool,
    pending: Vec<u8>,
}

impl Lines {
    /// `POST path` with `body`, keeping the connection for the streamed answer.
    pub async fn open(
        ep: &Endpoint,
        tls: Option<&Arc<rustls::ClientConfig>>,
        path: &str,
        body: &[u8],
    ) -> io::Result<Lines> {
        let mut s = connect(ep, tls).await?;
        send(&mut s, ep, path, body).await?;
        let mut r = BufReader::new(s);
        let h = head(&mut r).await?;
        if h.status != 200 {
            return Err(bad(format!("watch answered {}", h.status)));
        }
        Ok(Lines {
            r,
            chunked: h.chunked,
            pending: Vec::new(),
        })
    }

    /// The next message; an error when the stream ends.
    pub async fn next(&mut self) -> io::Result<Vec<u8>> {
        loop {
            if let Some(i) = self.pending.iter().position(|b| *b == b'\n') {
                let mut msg: Vec<u8> = self.pending.drain(..=i).collect();
                msg.pop();
                if msg.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Ok(msg);
            }
            let more = if self.chunked {
                chunk(&mut self.r).await?
            } else {
                let mut buf = vec![0; 8192];
                let n = self.r.read(&mut buf).await?;
                buf.truncate(n);
                buf
            };
            if more.is_empty() {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "watch ended"));
            }
            if self.pending.len() + more.len() > MAX_BODY {
                return Err(bad("watch message too large"));
            }
            self.pending.extend_from_slice(&more);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn serve(answer: &'static [u8]) -> Endpoint {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut buf = vec![0; 4096];
            let _ = s.read(&mut buf).await;
            let _ = s.write_all(answer).await;
        });
        Endpoint::parse(&format!("http://{addr}")).unwrap()
    }

    #[tokio::test]
    async fn reads_length_and_chunked_bodies_and_streams() {
        let ep = serve(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}").await;
        assert_eq!(post(&ep, None, "/v3/kv/range", b"{}").await.unwrap(), b"{}");
        let ep = serve(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n3\r\n\":1\r\n2\r\n}\n\r\n4\r\n{}\n\n\r\n0\r\n\r\n").await;
        let mut w = Lines::open(&ep, None, "/v3/watch", b"{}").await.unwrap();
        assert_eq!(w.next().await.unwrap(), b"{\"a\":1}");
        assert_eq!(w.next().await.unwrap(), b"{}");
        assert!(w.next().await.is_err(), "the stream ended");
    }

    #[tokio::test]
    async fn refuses_what_is_not_http_or_too_large() {
        let ep = serve(b"SSH-2.0-x\r\n\r\n").await;
        assert!(post(&ep, None, "/", b"{}").await.is_err());
        let ep = serve(b"HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n").await;
        let e = post(&ep, None, "/", b"{}").await.unwrap_err();
        assert!(e.to_string().contains("too large"), "{e}");
        let ep = serve(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").await;
        assert!(post(&ep, None, "/", b"{}").await.is_err());
        assert_eq!(
            Endpoint::parse("http://h:1").map(|e| e.host),
            Some("h".into())
        );
        assert_eq!(Endpoint::parse("nope"), None);
    }
}
