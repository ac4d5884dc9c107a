//! The dialler's confirmation that the server accepted its certificate ([`TlsConfig::dial`]).
//!
//! With TLS 1.3 a client's handshake ends before the server has checked the client's
//! certificate: a refused dialler would learn it only at its first read (the server's alert),
//! after the link was handed over as open. A baton node (rustls) sends its TLS 1.3 session
//! tickets as soon as it has accepted the client's certificate and Finished, so the dialler
//! reads until a ticket, application data (kept for the link: [`Confirmed`]) or an alert.

use super::{HandshakeError, Identity, TlsConfig};
use rustls::ProtocolVersion;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::TlsStream;

/// A stream whose first bytes were already read (during the confirmation): they are read
/// again first.
#[derive(Debug)]
pub struct Confirmed<S> {
    head: Vec<u8>,
    at: usize,
    inner: S,
}

impl<S> Confirmed<S> {
    /// `inner`, with `head` read before it.
    pub fn new(head: Vec<u8>, inner: S) -> Self {
        Confirmed { head, at: 0, inner }
    }

    /// The stream underneath.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Confirmed<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Some(rest) = this.head.get(this.at..).filter(|r| !r.is_empty()) {
            let n = rest.len().min(buf.remaining());
            buf.put_slice(&rest[..n]);
            this.at += n;
            if this.at == this.head.len() {
                this.head = Vec::new();
                this.at = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Confirmed<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

impl TlsConfig {
    /// [`TlsConfig::connect`], then, with TLS 1.3, waits until the server has accepted our
    /// certificate (its first session ticket or data) or refused it (its alert): a dialler
    /// refused by a baton node fails here, not at the link's first read. The caller bounds
    /// the wait (a server that sends neither tickets nor data is waited for).
    ///
    /// # Errors
    /// The handshake's failure, the server's refusal, or the connection closed before either.
    pub async fn dial<IO>(
        &self,
        io: IO,
    ) -> Result<(Confirmed<TlsStream<IO>>, Identity), HandshakeError>
    where
        IO: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let (stream, identity) = self.connect(io).await?;
        let mut client = match stream {
            TlsStream::Client(c) => c,
            server => return Ok((Confirmed::new(Vec::new(), server), identity)),
        };
        let conn = client.get_ref().1;
        if conn.protocol_version() != Some(ProtocolVersion::TLSv1_3)
            || conn.tls13_tickets_received() > 0
        {
            return Ok((Confirmed::new(Vec::new(), client.into()), identity));
        }
        let mut buf = vec![0u8; 4096];
        let got = std::future::poll_fn(|cx| {
            let mut read = ReadBuf::new(&mut buf);
            let polled = Pin::new(&mut client).poll_read(cx, &mut read);
            let accepted = client.get_ref().1.tls13_tickets_received() > 0;
            match polled {
                // Accepted, then closed at once (the node refused the link itself): the
                // link reads the end.
                Poll::Ready(Ok(())) if read.filled().is_empty() && accepted => Poll::Ready(Ok(0)),
                Poll::Ready(Ok(())) if read.filled().is_empty() => {
                    Poll::Ready(Err(HandshakeError::Other(
                        "closed by the peer before accepting our certificate".to_owned(),
                    )))
                }
                Poll::Ready(Ok(())) => Poll::Ready(Ok(read.filled().len())),
                Poll::Ready(Err(e)) => Poll::Ready(Err(HandshakeError::classify(&e))),
                Poll::Pending if accepted => Poll::Ready(Ok(0)),
                Poll::Pending => Poll::Pending,
            }
        })
        .await?;
        buf.truncate(got);
        Ok((Confirmed::new(buf, client.into()), identity))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn the_head_is_read_before_the_stream() {
        let (a, mut b) = tokio::io::duplex(64);
        let mut s = Confirmed::new(b"hel".to_vec(), a);
        b.write_all(b"lo").await.unwrap();
        drop(b);
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        assert_eq!(out, "hello");
    }

    /// Alpha's TLS configuration: its certificate from CA `cert_ca`, trusting CA `trust_ca`.
    fn config(dir: &std::path::Path, name: &str, cert_ca: &Ca, trust_ca: &Ca) -> TlsConfig {
        let issued = cert_ca
            .member(name, Validity::days(1_700_000_000, 36_500))
            .unwrap();
        let file = |ext: &str, text: &str| {
            let path = dir.join(format!("{name}.{ext}"));
            std::fs::write(&path, text).unwrap();
            path
        };
        let files = super::super::TlsFiles {
            ca: file("ca", trust_ca.cert_pem()),
            cert: file("pem", &issued.cert_pem),
            key: file("key", &issued.key_pem),
        };
        TlsConfig::load(&files).unwrap()
    }

    use super::super::make::{Ca, Validity};

    #[tokio::test]
    async fn a_refused_dialler_fails_at_dial_an_accepted_one_keeps_the_data() {
        let dir = std::env::temp_dir().join(format!("bt-confirm-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let validity = Validity::days(1_700_000_000, 36_500);
        let (ca, _) = Ca::generate(validity).unwrap();
        let (other, _) = Ca::generate(validity).unwrap();
        let alpha = config(&dir, "alpha", &ca, &ca);
        let beta = config(&dir, "beta", &ca, &ca);
        // Gamma trusts the cluster CA, but its certificate is another CA's.
        let gamma = config(&dir, "gamma", &other, &ca);

        let (a, b) = tokio::io::duplex(16 * 1024);
        let server = tokio::spawn(async move {
            let (mut s, who) = alpha.accept(a).await.unwrap();
            s.write_all(b"hello").await.unwrap();
            s.flush().await.unwrap();
            (s, who)
        });
        let (mut stream, server_is) = beta.dial(b).await.unwrap();
        assert_eq!(server_is, Identity::Member("alpha".into()));
        let (_keep, client_is) = server.await.unwrap();
        assert_eq!(client_is, Identity::Member("beta".into()));
        let mut five = [0u8; 5];
        stream.read_exact(&mut five).await.unwrap();
        assert_eq!(&five, b"hello");

        let alpha = config(&dir, "alpha", &ca, &ca);
        let (a, b) = tokio::io::duplex(16 * 1024);
        let server = tokio::spawn(async move { alpha.accept(a).await.map(|(_, who)| who) });
        let refused = gamma.dial(b).await.map(|(_, who)| who);
        assert_eq!(server.await.unwrap(), Err(HandshakeError::UnknownCa));
        assert!(
            // Both CAs are named "baton cluster CA": the signature fails (alert decrypt_error).
            matches!(&refused, Err(HandshakeError::RefusedByPeer(alert)) if alert == "DecryptError"),
            "{refused:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
