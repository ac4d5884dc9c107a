//! The VIP's address through netlink (rtnetlink): the interface's index, state and hardware
//! address, and adding, removing and finding the address on it.

use super::frames::Mac;
use super::VipError;
use baton_engine::VipConfig;
use futures_util::TryStreamExt;
use rtnetlink::packet_route::address::{AddressAttribute, AddressHeaderFlags};
use rtnetlink::packet_route::link::{LinkAttribute, LinkFlags};
use rtnetlink::{AddressMessageBuilder, Handle};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An interface as netlink reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Its index.
    pub index: u32,
    /// Up and running (administratively up, with a carrier).
    pub up: bool,
    /// Its hardware address (zero if it has none of 6 bytes).
    pub mac: Mac,
}

const EPERM: i32 = 1;
const EEXIST: i32 = 17;
const EADDRNOTAVAIL: i32 = 99;
const ENODEV: i32 = 19;

/// A netlink connection for one operation.
pub fn connect() -> Result<Handle, VipError> {
    let (connection, handle, _) = rtnetlink::new_connection()
        .map_err(|e| VipError::Netlink(format!("netlink socket: {e}")))?;
    tokio::spawn(connection);
    Ok(handle)
}

/// The errno of a netlink error answer, if it is one (positive).
fn errno(e: &rtnetlink::Error) -> Option<i32> {
    match e {
        rtnetlink::Error::NetlinkError(m) => m.code.map(|c| -c.get()),
        _ => None,
    }
}

/// The interface `name`.
pub async fn link(handle: &Handle, name: &str) -> Result<Link, VipError> {
    let mut links = handle.link().get().match_name(name.to_owned()).execute();
    let msg = match links.try_next().await {
        Ok(Some(m)) => m,
        Ok(None) => return Err(VipError::NoInterface(name.to_owned())),
        Err(e) if errno(&e) == Some(ENODEV) => return Err(VipError::NoInterface(name.to_owned())),
        Err(e) => return Err(VipError::Netlink(format!("interface {name}: {e}"))),
    };
    let flags = msg.header.flags;
    let mac = msg
        .attributes
        .iter()
        .find_map(|a| match a {
            LinkAttribute::Address(b) => <Mac>::try_from(b.as_slice()).ok(),
            _ => None,
        })
        .unwrap_or([0; 6]);
    Ok(Link {
        index: msg.header.index,
        up: flags.contains(LinkFlags::Up) && flags.contains(LinkFlags::Running),
        mac,
    })
}

/// Whether the VIP's address is on interface `index`.
pub async fn present(handle: &Handle, index: u32, address: IpAddr) -> Result<bool, VipError> {
    let mut addrs = handle
        .address()
        .get()
        .set_link_index_filter(index)
        .set_address_filter(address)
        .execute();
    while let Some(m) = addrs
        .try_next()
        .await
        .map_err(|e| VipError::Netlink(format!("listing addresses: {e}")))?
    {
        let found = m.header.index == index
            && m.attributes.iter().any(|a| {
                matches!(a, AddressAttribute::Address(x) | AddressAttribute::Local(x) if *x == address)
            });
        if found {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Adds the VIP's address to interface `index` (already there: done). IPv6 without duplicate
/// address detection: the probe did that, and a tentative address would not answer.
pub async fn add(handle: &Handle, index: u32, vip: &VipConfig) -> Result<(), VipError> {
    let mut req = handle.address().add(index, vip.address, vip.prefix);
    if vip.address.is_ipv6() {
        req.message_mut().header.flags |= AddressHeaderFlags::Nodad;
    }
    match req.execute().await {
        Ok(()) => Ok(()),
        Err(e) if errno(&e) == Some(EEXIST) => Ok(()),
        Err(e) if errno(&e) == Some(EPERM) => Err(VipError::Permission(format!(
            "adding {}/{} to {}",
            vip.address, vip.prefix, vip.interface
        ))),
        Err(e) => Err(VipError::Netlink(format!(
            "adding {}/{} to {}: {e}",
            vip.address, vip.prefix, vip.interface
        ))),
    }
}

/// Removes the VIP's address from interface `index` (not there: done).
pub async fn del(handle: &Handle, index: u32, vip: &VipConfig) -> Result<(), VipError> {
    let msg = match vip.address {
        IpAddr::V4(a) => AddressMessageBuilder::<Ipv4Addr>::new()
            .index(index)
            .address(a, vip.prefix)
            .build(),
        IpAddr::V6(a) => AddressMessageBuilder::<Ipv6Addr>::new()
            .index(index)
            .address(a, vip.prefix)
            .build(),
    };
    match handle.address().del(msg).execute().await {
        Ok(()) => Ok(()),
        Err(e) if errno(&e) == Some(EADDRNOTAVAIL) => Ok(()),
        Err(e) if errno(&e) == Some(EPERM) => Err(VipError::Permission(format!(
            "removing {}/{} from {}",
            vip.address, vip.prefix, vip.interface
        ))),
        Err(e) => Err(VipError::Netlink(format!(
            "removing {}/{} from {}: {e}",
            vip.address, vip.prefix, vip.interface
        ))),
    }
}
