//! The network the driver's TCP goes through: peer links (listener and dialer) and the status
//! and component TCP listeners. Production runs on tokio's sockets ([`TokioNet`]); tests run
//! the same driver on a simulated network (turmoil: `node/tests/turmoil.rs`). Unix sockets
//! (component and control sockets) stay on tokio.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use tokio::io::{AsyncRead, AsyncWrite};

/// A byte stream the driver frames: a TCP connection, a Unix socket, a simulated stream.
pub trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// Where the driver opens listeners and dials peers.
pub trait Net: Clone + Send + Sync + 'static {
    /// A connection.
    type Stream: Io;
    /// A bound listener.
    type Listener: Listener<Stream = Self::Stream>;

    /// Binds a listener to `addr`.
    fn bind(&self, addr: SocketAddr) -> impl Future<Output = io::Result<Self::Listener>> + Send;

    /// Connects to `addr` (the driver puts its own timeout around it).
    fn connect(&self, addr: SocketAddr) -> impl Future<Output = io::Result<Self::Stream>> + Send;
}

/// A bound listener of a [`Net`].
pub trait Listener: Send + 'static {
    /// A connection.
    type Stream: Io;

    /// The next connection and where it came from.
    fn accept(&mut self) -> impl Future<Output = io::Result<(Self::Stream, SocketAddr)>> + Send;
}

/// The operating system's TCP, through tokio (Nagle off: frames are small and urgent).
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioNet;

impl Net for TokioNet {
    type Stream = tokio::net::TcpStream;
    type Listener = tokio::net::TcpListener;

    async fn bind(&self, addr: SocketAddr) -> io::Result<tokio::net::TcpListener> {
        tokio::net::TcpListener::bind(addr).await
    }

    async fn connect(&self, addr: SocketAddr) -> io::Result<tokio::net::TcpStream> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        let _ = stream.set_nodelay(true);
        Ok(stream)
    }
}

impl Listener for tokio::net::TcpListener {
    type Stream = tokio::net::TcpStream;

    async fn accept(&mut self) -> io::Result<(tokio::net::TcpStream, SocketAddr)> {
        let (stream, from) = tokio::net::TcpListener::accept(self).await?;
        let _ = stream.set_nodelay(true);
        Ok((stream, from))
    }
}
