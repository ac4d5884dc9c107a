//! The built-in virtual IP component (`[[vip]]`, PROTOCOL 6.10). To the engine it is a script
//! component (a [`baton_engine::ScriptComponent`] of the same id); the driver's hook runner
//! carries its hooks out here, in-process, instead of `sh -c`:
//! - `activate`: the interface must be up; unless the address is already ours, a probe (an
//!   ARP probe or a duplicate address solicitation) waits `probe_ms` for another host
//!   answering for it, and is sent again while one does, for up to [`PROBE_PATIENCE`] (then
//!   the activation fails and says who); the address is added through netlink; it is
//!   announced at once (gratuitous ARP, unsolicited neighbour advertisement), then
//!   `announce_count - 1` times more, `announce_interval_ms` apart, in the background (stopped
//!   by a deactivation). The packet socket is opened and the probe sent with the interface as
//!   last looked up, while netlink looks it up again and finds whether the address is ours:
//!   the probe counts only if neither changes its meaning (else it is done again);
//! - `deactivate`: the address is removed (absent: done);
//! - `check`: the interface is up and running, and, while active, the address is on it.
//!
//! The same operations are `baton vip up|down|check` ([`cmd`]): the commands of the script
//! component, which the guard runs when the node dies (PROTOCOL 6.3).
//!
//! `frames`: the frames (pure); `netlink`: the address and the link; `wire`: the packet
//! socket; `worker`: the kept thread the packet socket is used on.

pub mod cmd;
pub mod frames;
pub mod lab;
pub mod netlink;
mod wire;
pub mod worker;

use baton_engine::VipConfig;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use tracing::{debug, info, warn};

/// How long an activation keeps probing while another host answers for the address before
/// it fails ([`VipError::Taken`]): a holder letting go (a crashed node's guard removing the
/// address, PROTOCOL 6.3) answers for a few milliseconds more; a host that holds the address
/// for good answers throughout.
pub const PROBE_PATIENCE: std::time::Duration = std::time::Duration::from_millis(100);

/// Why a VIP operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VipError {
    /// The configured interface is not on this host.
    #[error("no interface {0:?} on this host")]
    NoInterface(String),
    /// The interface is down (or has no carrier).
    #[error("interface {0:?} is down")]
    Down(String),
    /// Another host answered the probe for the address.
    #[error("{address} is already answered for by {mac}: not adding or announcing it (another host holds it)")]
    Taken {
        /// The VIP.
        address: IpAddr,
        /// The other host's hardware address.
        mac: String,
    },
    /// The operation needs a privilege the node lacks.
    #[error("{0}: permission denied (needs CAP_NET_ADMIN and CAP_NET_RAW: run the node as root or grant them)")]
    Permission(String),
    /// This process lacks these capabilities (found before trying anything).
    #[error("this process lacks {0}, which adding and announcing the address need: run the node as root, or grant them (systemd: AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW)")]
    Privileges(String),
    /// Any other netlink or socket failure.
    #[error("{0}")]
    Netlink(String),
}

/// Deactivations so far per address: announcements of an activation stop once the address
/// was deactivated after it.
fn epochs() -> &'static Mutex<HashMap<IpAddr, u64>> {
    static EPOCHS: OnceLock<Mutex<HashMap<IpAddr, u64>>> = OnceLock::new();
    EPOCHS.get_or_init(Mutex::default)
}

fn epoch(address: IpAddr) -> u64 {
    epochs()
        .lock()
        .map(|m| m.get(&address).copied().unwrap_or(0))
        .unwrap_or(0)
}

fn bump(address: IpAddr) {
    if let Ok(mut m) = epochs().lock() {
        *m.entry(address).or_insert(0) += 1;
    }
}

/// Formats a hardware address as `aa:bb:cc:dd:ee:ff`.
pub fn mac_text(mac: &frames::Mac) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Activates the VIP (see the module docs). With `wait_all`, returns after the last
/// announcement (the command line); otherwise after the first, the others in the background.
#[allow(clippy::disallowed_methods)] // the driver's I/O: a blocking thread on the real clock
pub async fn activate(vip: &VipConfig, wait_all: bool) -> Result<(), VipError> {
    let began = std::time::Instant::now();
    let handle = netlink::connect()?;
    let (name, address) = (vip.interface.clone(), vip.address);
    let looking = async {
        let link = lookup(&handle, &vip.interface).await?;
        if !link.up {
            return Err(VipError::Down(vip.interface.clone()));
        }
        let ours = netlink::present(&handle, link.index, address).await?;
        Ok((link, ours, began.elapsed()))
    };
    // The packet socket opened and the probe sent with the interface as last looked up,
    // while it is looked up again: its result counts only if nothing changed.
    let remembered = links()
        .lock()
        .ok()
        .and_then(|m| m.get(&vip.interface).copied());
    let (looked, early) = match remembered {
        Some(at) => {
            let probing = open_and_probe(name.clone(), at, address, vip.probe, began);
            let (looked, probed) = tokio::join!(looking, probing);
            (looked, Some((at, probed)))
        }
        None => (looking.await, None),
    };
    let (link, ours, looked) = looked?;
    let probed = match early {
        Some((at, probed)) if at == (link.index, link.mac) && !ours => probed,
        // Already ours: no probe (as before it was added); moved: probe again.
        _ => {
            let probe = if ours { Duration::ZERO } else { vip.probe };
            open_and_probe(name, (link.index, link.mac), address, probe, began).await
        }
    };
    let (wire, opened, probed) = probed?;
    netlink::add(&handle, link.index, vip).await?;
    let added = began.elapsed();
    let since = epoch(address);
    let (wire, first) = announce(wire, address, since).await;
    let first = first.unwrap_or_else(|| {
        Err(VipError::Netlink(
            "deactivated before it was announced".to_owned(),
        ))
    });
    if let Err(e) = first {
        // Not announced: a client would not find it here, so the activation failed.
        let _ = netlink::del(&handle, link.index, vip).await;
        return Err(e);
    }
    let us = |d: std::time::Duration| d.as_micros();
    info!(
        address = %vip.address,
        interface = %vip.interface,
        looked_up_us = us(looked),
        opened_us = us(opened),
        probed_us = us(probed),
        added_us = us(added),
        announced_us = us(began.elapsed()),
        "VIP added and announced"
    );
    let (count, interval) = (vip.announce_count, vip.announce_interval);
    let rest = async move {
        let mut wire = wire;
        for n in 1..count {
            tokio::time::sleep(interval).await;
            let Some(w) = wire else { break };
            let (w, sent) = announce(w, address, since).await;
            wire = w;
            match sent {
                None => {
                    debug!(%address, "deactivated: announcements stopped");
                    break;
                }
                Some(Err(e)) => warn!(%address, "announcement {}: {e}", n + 1),
                Some(Ok(())) => {}
            }
        }
    };
    if wait_all {
        rest.await;
    } else {
        tokio::spawn(rest);
    }
    Ok(())
}

/// Sends one announcement of `address` on the worker thread, unless the address was
/// deactivated since epoch `since` (then `None`: a node never announces an address it gave
/// up). The wire back, unless the worker lost it.
async fn announce(
    mut wire: wire::Wire,
    address: IpAddr,
    since: u64,
) -> (Option<wire::Wire>, Option<Result<(), VipError>>) {
    let sent = worker::run(move || {
        let sent = (epoch(address) == since).then(|| wire.announce(address));
        (wire, sent)
    })
    .await;
    match sent {
        Ok((wire, sent)) => (Some(wire), sent),
        Err(e) => (None, Some(Err(e))),
    }
}

/// Each interface's index and hardware address as last looked up ([`lookup`]): an
/// activation opens its packet socket and probes with them while it looks the interface up
/// again (the netlink round trips off the failover's path).
fn links() -> &'static Mutex<HashMap<String, (u32, frames::Mac)>> {
    static LINKS: OnceLock<Mutex<HashMap<String, (u32, frames::Mac)>>> = OnceLock::new();
    LINKS.get_or_init(Mutex::default)
}

/// Looks interface `name` up, and remembers its index and hardware address ([`links`]).
async fn lookup(handle: &rtnetlink::Handle, name: &str) -> Result<netlink::Link, VipError> {
    let link = netlink::link(handle, name).await?;
    if let Ok(mut m) = links().lock() {
        m.insert(name.to_owned(), (link.index, link.mac));
    }
    Ok(link)
}

/// On the VIP thread: opens the packet socket on interface `name` (`at`: its index and
/// hardware address) and, unless `probe` is zero, probes for `address` (PROTOCOL 6.10). The
/// wire, and when it was opened and when the probe ended (from `began`).
#[allow(clippy::disallowed_methods)] // the driver's I/O: a blocking thread on the real clock
async fn open_and_probe(
    name: String,
    at: (u32, frames::Mac),
    address: IpAddr,
    probe: Duration,
    began: std::time::Instant,
) -> Result<(wire::Wire, Duration, Duration), VipError> {
    worker::run(move || {
        let mut wire = wire::Wire::open(&name, at.0, at.1)?;
        let opened = began.elapsed();
        if !probe.is_zero() {
            // A holder that is letting go (the guard of a crashed node removing the address)
            // still answers for a moment: probe again until PROBE_PATIENCE has passed.
            let deadline = std::time::Instant::now() + PROBE_PATIENCE;
            while let Some(other) = wire.probe(address, probe)? {
                if std::time::Instant::now() >= deadline {
                    return Err(VipError::Taken {
                        address,
                        mac: mac_text(&other),
                    });
                }
                debug!(%address, other = %mac_text(&other), "answered for: probing again");
                std::thread::sleep(Duration::from_micros(200));
            }
        }
        Ok((wire, opened, began.elapsed()))
    })
    .await?
}

/// Deactivates the VIP: its address removed (not there, or no such interface: done).
pub async fn deactivate(vip: &VipConfig) -> Result<(), VipError> {
    bump(vip.address);
    let handle = netlink::connect()?;
    let link = match netlink::link(&handle, &vip.interface).await {
        Ok(l) => l,
        Err(VipError::NoInterface(_)) => return Ok(()),
        Err(e) => return Err(e),
    };
    netlink::del(&handle, link.index, vip).await?;
    info!(address = %vip.address, interface = %vip.interface, "VIP removed");
    Ok(())
}

/// The VIP's health, `active` or not: the interface up and running; while active, the address on it.
pub async fn check(vip: &VipConfig, active: bool) -> Result<(), VipError> {
    let handle = netlink::connect()?;
    let link = lookup(&handle, &vip.interface).await?;
    if !link.up {
        return Err(VipError::Down(vip.interface.clone()));
    }
    if active && !netlink::present(&handle, link.index, vip.address).await? {
        return Err(VipError::Netlink(format!(
            "{}/{} is not on {}",
            vip.address, vip.prefix, vip.interface
        )));
    }
    Ok(())
}

/// What would stop the VIP from working on this host, checked without changing anything:
/// the interface missing, the privileges lacking. For `baton check-config` and the node's
/// start (warnings: the node runs its other components anyway).
pub async fn problems(vip: &VipConfig) -> Vec<VipError> {
    let mut found = Vec::new();
    match netlink::connect() {
        Err(e) => found.push(e),
        Ok(handle) => match lookup(&handle, &vip.interface).await {
            Ok(link) if !link.up => found.push(VipError::Down(vip.interface.clone())),
            Ok(_) => {}
            Err(e) => found.push(e),
        },
    }
    if let Some(missing) = missing_capabilities() {
        found.push(VipError::Privileges(missing));
    }
    found
}

/// The capabilities a VIP needs that this process lacks (from `/proc/self/status`), if any.
pub fn missing_capabilities() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let eff = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())?;
    let missing: Vec<&str> = [(12, "CAP_NET_ADMIN"), (13, "CAP_NET_RAW")]
        .iter()
        .filter(|(bit, _)| eff & (1 << bit) == 0)
        .map(|(_, name)| *name)
        .collect();
    (!missing.is_empty()).then(|| missing.join(" and "))
}
