//! Addresses in the configuration: `host:port` (an IP address or a host name, resolved when
//! the file is read: at start, at `check-config` and at each `SIGHUP`), and the rule that no
//! address is used twice: every member listens on one of its own (issue 15, B1), and this
//! member's listeners do not share a port with its peer listener or with each other.

use super::error::Ctx;
use super::ConfigError;
use std::net::{SocketAddr, ToSocketAddrs};
use toml::Spanned;

/// Resolves `text` (`10.0.0.1:7401`, `[::1]:7401`, `alpha.lan:7401`) to one socket address:
/// an IP address as written, a host name to the first address the resolver gives.
///
/// # Errors
/// One line naming the value: no port, a port out of range, a name that does not resolve.
pub fn resolve(text: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = text.parse::<SocketAddr>() {
        return Ok(a);
    }
    let Some((host, port)) = text.rsplit_once(':') else {
        return Err(format!(
            "{text:?} is not an address with a port (host:port)"
        ));
    };
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(format!(
            "{text:?} is not an address with a port (host:port, port 0 to 65535)"
        ));
    }
    match text.to_socket_addrs() {
        Ok(mut all) => all
            .next()
            .ok_or_else(|| format!("{text:?}: the host name {host:?} resolves to no address")),
        Err(e) => Err(format!(
            "{text:?}: the host name {host:?} does not resolve: {e}"
        )),
    }
}

/// The address at `key`, resolved, or an error with the value's line.
pub(super) fn addr(
    s: &Spanned<String>,
    key: &str,
    cx: &Ctx<'_>,
) -> Result<SocketAddr, ConfigError> {
    resolve(s.get_ref()).map_err(|e| cx.err(Some(s.span()), key, e))
}

/// B1: no two `[[member]]` entries with the same address (`addresses[i]` is member `i`'s).
pub(super) fn check_members(
    addresses: &[SocketAddr],
    spans: &[&Spanned<String>],
    cx: &Ctx<'_>,
) -> Result<(), ConfigError> {
    for (i, a) in addresses.iter().enumerate() {
        if let Some(j) = addresses[..i].iter().position(|o| o == a) {
            return Err(cx.err(
                spans.get(i).map(|s| s.span()),
                format!("member[{i}].address"),
                format!(
                    "{a} is member[{j}]'s address too: each member listens on an address of its own"
                ),
            ));
        }
    }
    Ok(())
}

/// Whether two listeners of one host would take the same port: the same port, and the same
/// IP address or either of them every address (`0.0.0.0`, `::`).
fn clash(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() == b.port() && (a.ip() == b.ip() || a.ip().is_unspecified() || b.ip().is_unspecified())
}

/// This member's TCP listeners (its peer listener first, as `(key, address, span)`) take a
/// port each.
pub(super) fn check_listeners(
    listeners: &[(String, SocketAddr, Option<std::ops::Range<usize>>)],
    cx: &Ctx<'_>,
) -> Result<(), ConfigError> {
    for (i, (key, a, span)) in listeners.iter().enumerate() {
        if let Some((other, b, _)) = listeners[..i].iter().find(|(_, b, _)| clash(*a, *b)) {
            return Err(cx.err(
                span.clone(),
                key.clone(),
                format!("{a} takes the port of {other} ({b}): each listener needs its own"),
            ));
        }
    }
    Ok(())
}

/// Where a client on this host reaches a listener bound to `a`: every address (`0.0.0.0`,
/// `::`) is reached on loopback.
pub fn reachable(a: SocketAddr) -> SocketAddr {
    match a {
        SocketAddr::V4(v4) if v4.ip().is_unspecified() => {
            SocketAddr::from(([127, 0, 0, 1], v4.port()))
        }
        SocketAddr::V6(v6) if v6.ip().is_unspecified() => {
            SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, v6.port()))
        }
        a => a,
    }
}

/// The other members and their addresses, for the log: `beta=10.0.0.2:7401`, comma
/// separated, in configuration order.
pub fn peer_addresses(cfg: &super::Config) -> String {
    cfg.node
        .members
        .iter()
        .zip(&cfg.addresses)
        .enumerate()
        .filter(|(i, _)| *i != cfg.node.me)
        .map(|(_, (m, a))| format!("{}={a}", m.name))
        .collect::<Vec<_>>()
        .join(",")
}
