//! A built-in virtual IP component (`[[vip]]`, PROTOCOL 6.10): what the driver needs to add,
//! announce, check and remove the address. Plain data: the engine sees the component as the
//! script component of the same id.

use std::net::IpAddr;
use std::time::Duration;

/// One `[[vip]]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VipConfig {
    /// The component id (that of its script component in `NodeConfig::scripts`).
    pub id: String,
    /// The virtual address.
    pub address: IpAddr,
    /// Its prefix length (`/24`).
    pub prefix: u8,
    /// The interface it is added to.
    pub interface: String,
    /// Gratuitous ARPs (IPv4) or unsolicited neighbour advertisements (IPv6) sent at each
    /// activation (at least 1).
    pub announce_count: u32,
    /// The time between two announcements.
    pub announce_interval: Duration,
    /// How long to wait for another host answering for the address (an ARP request or a
    /// neighbour solicitation for it) before adding and announcing it; zero: no probe.
    pub probe: Duration,
}
