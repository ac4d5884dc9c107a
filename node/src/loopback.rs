//! Free loopback ports for nodes started on one host: `baton demo`, the process tests and the
//! benchmark suite.

use std::sync::atomic::{AtomicU32, Ordering};

/// A free loopback port for a node to bind, below the OS's ephemeral range: a port the OS
/// picked (`bind(0)`) may be handed out again at once as the local port of some outgoing
/// connection (a watcher, a dial), and the node would find it taken, or find it taken when it
/// restarts. Each call gives another port (a per-process counter from a start derived from
/// the process id), checked free by binding it. Where the ephemeral range starts too low to
/// leave room, the OS picks.
#[allow(clippy::disallowed_methods)] // asks the OS whether a loopback port is free
pub fn free_port() -> std::io::Result<u16> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u32>().ok())
        .unwrap_or(32768);
    if low < 12_000 {
        return std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port());
    }
    // Ports [low - 10000, low): 10000 of them, the start spread by process id.
    let (base, span) = (low - 10_000, 10_000);
    let start = std::process::id().wrapping_mul(7919) % span;
    for _ in 0..span {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = (base + (start + n) % span) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AddrInUse,
        format!("no free loopback port below {low}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::free_port;

    #[test]
    fn calls_give_different_ports_that_can_be_bound() {
        let (a, b) = (free_port().unwrap(), free_port().unwrap());
        assert_ne!(a, b);
        #[allow(clippy::disallowed_methods)]
        let bound = std::net::TcpListener::bind(("127.0.0.1", a));
        assert!(bound.is_ok(), "{a}: {bound:?}");
    }
}
