//! TLS on the driver's TCP links (above the [`Net`](super::Net): the simulated network works
//! too): the configuration in force, replaced by a reload for new connections; handshakes
//! run in the accepting and dialling tasks, never in the driver's loop; refused handshakes
//! logged at most once per remote address per [`REFUSAL_LOG_EVERY`], with a count of the
//! ones not logged.

use super::input::Stream;
use super::net::Io;
use crate::tls::{HandshakeError, Identity, TlsConfig};
use baton_engine::CONNECT_TIMEOUT;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tracing::warn;

/// Longest an accepted connection may take to complete its handshake.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = CONNECT_TIMEOUT;

/// Handshakes in progress on one listener beyond which new connections are closed at once.
const MAX_HANDSHAKES: usize = 64;

/// At most one log line per remote address per this long for refused handshakes.
pub(crate) const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(10);

/// Remote addresses remembered by the refusal log; beyond, refusals are only counted.
const REFUSAL_ADDRESSES: usize = 1024;

/// The node's TLS: shared by the listeners, the connect attempts and the driver (a reload).
#[derive(Clone)]
pub(crate) struct Tls {
    config: Arc<Mutex<TlsConfig>>,
    refusals: Arc<Mutex<Refusals>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Tls {
    /// TLS with `config`.
    pub(crate) fn new(config: TlsConfig) -> Self {
        Tls {
            config: Arc::new(Mutex::new(config)),
            refusals: Arc::new(Mutex::new(Refusals::default())),
        }
    }

    /// The configuration new handshakes use.
    fn current(&self) -> TlsConfig {
        lock(&self.config).clone()
    }

    /// From now on, handshakes use `config` (links already open keep their sessions).
    pub(crate) fn replace(&self, config: TlsConfig) {
        *lock(&self.config) = config;
    }

    /// A permit to run one more handshake on a listener, if fewer than [`MAX_HANDSHAKES`]
    /// are in progress there.
    pub(crate) fn permit(permits: &Arc<Semaphore>) -> Option<OwnedSemaphorePermit> {
        permits.clone().try_acquire_owned().ok()
    }

    /// The handshake permits of a new listener.
    pub(crate) fn permits() -> Arc<Semaphore> {
        Arc::new(Semaphore::new(MAX_HANDSHAKES))
    }

    /// The server side of a handshake on an accepted connection, within
    /// [`HANDSHAKE_TIMEOUT`].
    pub(crate) async fn accept<S: Io>(&self, io: S) -> Result<(Stream, Identity), HandshakeError> {
        let config = self.current();
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, config.accept(io)).await {
            Ok(Ok((stream, identity))) => Ok((Box::new(stream), identity)),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(timed_out()),
        }
    }

    /// The client side of a handshake on a dialled connection, until the server accepted our
    /// certificate ([`TlsConfig::dial`]); the caller bounds the time.
    pub(crate) async fn dial<S: Io>(&self, io: S) -> Result<(Stream, Identity), HandshakeError> {
        let config = self.current();
        let (stream, identity) = config.dial(io).await?;
        Ok((Box::new(stream), identity))
    }

    /// Logs a refused handshake with `remote` on `what` (a listener, or a dial), unless one
    /// from the same address was logged less than [`REFUSAL_LOG_EVERY`] ago.
    pub(crate) fn refused(&self, what: &str, remote: SocketAddr, why: &HandshakeError) {
        let now = Instant::now();
        let Some(not_logged) = lock(&self.refusals).log(remote.ip(), now) else {
            return;
        };
        if not_logged == 0 {
            warn!(%remote, "{what}: TLS handshake refused: {why}");
        } else {
            warn!(
                %remote,
                "{what}: TLS handshake refused: {why} ({not_logged} more refused handshakes not \
                 logged since the last line)"
            );
        }
    }
}

fn timed_out() -> HandshakeError {
    HandshakeError::Other(format!(
        "no complete handshake within {} ms",
        HANDSHAKE_TIMEOUT.as_millis()
    ))
}

/// When a line was last logged for each remote address, and what was not logged since.
#[derive(Default)]
struct Refusals {
    by_address: HashMap<IpAddr, Seen>,
    /// Refusals from addresses not remembered (the table was full).
    unremembered: u64,
}

struct Seen {
    logged: Instant,
    not_logged: u64,
}

impl Refusals {
    /// Whether to log a refusal from `ip` at `now`: `Some(refusals not logged since the last
    /// line)`, or `None` to stay silent.
    fn log(&mut self, ip: IpAddr, now: Instant) -> Option<u64> {
        if let Some(seen) = self.by_address.get_mut(&ip) {
            if now.duration_since(seen.logged) < REFUSAL_LOG_EVERY {
                seen.not_logged += 1;
                return None;
            }
            let not_logged = std::mem::take(&mut seen.not_logged);
            seen.logged = now;
            return Some(not_logged);
        }
        if self.by_address.len() >= REFUSAL_ADDRESSES {
            self.by_address
                .retain(|_, s| now.duration_since(s.logged) < REFUSAL_LOG_EVERY);
        }
        if self.by_address.len() >= REFUSAL_ADDRESSES {
            self.unremembered += 1;
            return None;
        }
        let not_logged = std::mem::take(&mut self.unremembered);
        self.by_address.insert(
            ip,
            Seen {
                logged: now,
                not_logged: 0,
            },
        );
        Some(not_logged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_address_per_interval_with_the_count_of_the_others() {
        let mut r = Refusals::default();
        let t0 = Instant::now();
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        assert_eq!(r.log(a, t0), Some(0));
        assert_eq!(r.log(a, t0 + Duration::from_secs(1)), None);
        assert_eq!(r.log(b, t0 + Duration::from_secs(1)), Some(0));
        assert_eq!(r.log(a, t0 + Duration::from_secs(9)), None);
        assert_eq!(r.log(a, t0 + Duration::from_secs(10)), Some(2));
        assert_eq!(r.log(a, t0 + Duration::from_secs(11)), None);
    }

    #[test]
    fn a_full_table_counts_what_it_cannot_remember() {
        let mut r = Refusals::default();
        let t0 = Instant::now();
        for i in 0..REFUSAL_ADDRESSES as u32 {
            assert_eq!(r.log(IpAddr::from(i.to_be_bytes()), t0), Some(0));
        }
        let new: IpAddr = [192, 168, 0, 1].into();
        assert_eq!(r.log(new, t0), None);
        assert_eq!(r.log(new, t0 + Duration::from_secs(1)), None);
        // Once the others are old, the table makes room, and says what it did not log.
        assert_eq!(r.log(new, t0 + REFUSAL_LOG_EVERY), Some(2));
        assert_eq!(r.by_address.len(), 1);
    }
}
