//! The Ethernet frames a VIP sends and the answers it looks for (pure, no I/O):
//! - IPv4: a gratuitous ARP (a broadcast request whose sender and target are the VIP) and an
//!   ARP probe (RFC 5227: sender address 0.0.0.0, target the VIP);
//! - IPv6: an unsolicited neighbour advertisement to all nodes (RFC 4861 7.2.6, override
//!   flag set) and a duplicate address detection solicitation (RFC 4862 5.4.2: source `::`,
//!   to the VIP's solicited-node group).
//!
//! An answer to the probe is an ARP reply or request whose sender is the VIP, or a neighbour
//! advertisement whose target is the VIP, from a hardware address other than ours.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A hardware (MAC) address.
pub type Mac = [u8; 6];

const BROADCAST: Mac = [0xff; 6];
const ETH_ARP: [u8; 2] = [0x08, 0x06];
const ETH_IPV6: [u8; 2] = [0x86, 0xdd];
const ICMPV6: u8 = 58;
const NEIGHBOUR_SOLICITATION: u8 = 135;
const NEIGHBOUR_ADVERTISEMENT: u8 = 136;

/// The announcement of `address` held by `mac`.
pub fn announcement(address: IpAddr, mac: Mac) -> Vec<u8> {
    match address {
        IpAddr::V4(a) => arp(BROADCAST, mac, 1, mac, a, [0; 6], a),
        IpAddr::V6(a) => {
            let all_nodes = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
            let mut icmp = vec![NEIGHBOUR_ADVERTISEMENT, 0, 0, 0];
            // Override, neither router nor solicited.
            icmp.extend_from_slice(&[0x20, 0, 0, 0]);
            icmp.extend_from_slice(&a.octets());
            // Target link-layer address option, 8 bytes.
            icmp.extend_from_slice(&[2, 1]);
            icmp.extend_from_slice(&mac);
            ipv6(multicast_mac(all_nodes), mac, a, all_nodes, icmp)
        }
    }
}

/// The probe for `address`, sent from `mac`.
pub fn probe(address: IpAddr, mac: Mac) -> Vec<u8> {
    match address {
        IpAddr::V4(a) => arp(BROADCAST, mac, 1, mac, Ipv4Addr::UNSPECIFIED, [0; 6], a),
        IpAddr::V6(a) => {
            let group = solicited_node(a);
            let mut icmp = vec![NEIGHBOUR_SOLICITATION, 0, 0, 0, 0, 0, 0, 0];
            icmp.extend_from_slice(&a.octets());
            ipv6(
                multicast_mac(group),
                mac,
                Ipv6Addr::UNSPECIFIED,
                group,
                icmp,
            )
        }
    }
}

/// The hardware address of another host that says it holds `address`, if `frame` is such
/// an answer (from a sender other than `ours`).
pub fn answer_from(frame: &[u8], address: IpAddr, ours: Mac) -> Option<Mac> {
    let src: Mac = frame.get(6..12)?.try_into().ok()?;
    if src == ours {
        return None;
    }
    let kind = frame.get(12..14)?;
    match address {
        IpAddr::V4(a) if kind == ETH_ARP => {
            let arp = frame.get(14..42)?;
            let sender: Mac = arp[8..14].try_into().ok()?;
            (arp[0..8] == [0, 1, 8, 0, 6, 4, 0, 1] || arp[0..8] == [0, 1, 8, 0, 6, 4, 0, 2])
                .then_some(())
                .filter(|()| arp[14..18] == a.octets() && sender != ours)
                .map(|()| sender)
        }
        IpAddr::V6(a) if kind == ETH_IPV6 => {
            let ip = frame.get(14..54)?;
            let icmp = frame.get(54..78)?;
            (ip[6] == ICMPV6 && icmp[0] == NEIGHBOUR_ADVERTISEMENT && icmp[8..24] == a.octets())
                .then_some(src)
        }
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
fn arp(dst: Mac, src: Mac, op: u8, sha: Mac, spa: Ipv4Addr, tha: Mac, tpa: Ipv4Addr) -> Vec<u8> {
    let mut f = Vec::with_capacity(42);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ETH_ARP);
    // Ethernet, IPv4, 6 and 4 bytes, the operation.
    f.extend_from_slice(&[0, 1, 8, 0, 6, 4, 0, op]);
    f.extend_from_slice(&sha);
    f.extend_from_slice(&spa.octets());
    f.extend_from_slice(&tha);
    f.extend_from_slice(&tpa.octets());
    f
}

fn ipv6(dst_mac: Mac, src_mac: Mac, src: Ipv6Addr, dst: Ipv6Addr, mut icmp: Vec<u8>) -> Vec<u8> {
    let sum = checksum(src, dst, &icmp);
    icmp[2..4].copy_from_slice(&sum.to_be_bytes());
    let mut f = Vec::with_capacity(54 + icmp.len());
    f.extend_from_slice(&dst_mac);
    f.extend_from_slice(&src_mac);
    f.extend_from_slice(&ETH_IPV6);
    f.extend_from_slice(&[0x60, 0, 0, 0]);
    let len = u16::try_from(icmp.len()).unwrap_or(u16::MAX);
    f.extend_from_slice(&len.to_be_bytes());
    // Next header ICMPv6, hop limit 255 (RFC 4861 requires it).
    f.extend_from_slice(&[ICMPV6, 255]);
    f.extend_from_slice(&src.octets());
    f.extend_from_slice(&dst.octets());
    f.extend_from_slice(&icmp);
    f
}

/// The ICMPv6 checksum over the pseudo-header (RFC 8200 8.1) and `icmp` (its checksum
/// field zero).
fn checksum(src: Ipv6Addr, dst: Ipv6Addr, icmp: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut add = |bytes: &[u8]| {
        for pair in bytes.chunks(2) {
            let hi = u32::from(pair[0]) << 8;
            sum += hi | pair.get(1).map_or(0, |&b| u32::from(b));
        }
    };
    add(&src.octets());
    add(&dst.octets());
    let len = u32::try_from(icmp.len()).unwrap_or(u32::MAX);
    add(&len.to_be_bytes());
    add(&[0, 0, 0, ICMPV6]);
    add(icmp);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn solicited_node(a: Ipv6Addr) -> Ipv6Addr {
    let o = a.octets();
    let s = |i: usize| u16::from(o[i]);
    Ipv6Addr::new(0xff02, 0, 0, 0, 0, 1, 0xff00 | s(13), (s(14) << 8) | s(15))
}

fn multicast_mac(group: Ipv6Addr) -> Mac {
    let o = group.octets();
    [0x33, 0x33, o[12], o[13], o[14], o[15]]
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: Mac = [2, 0, 0, 0, 0, 1];
    const THEIRS: Mac = [2, 0, 0, 0, 0, 2];

    #[test]
    fn a_gratuitous_arp_is_a_broadcast_request_for_the_address_itself() {
        let f = announcement("192.0.2.10".parse().unwrap(), OURS);
        let mut want = vec![0xff; 6];
        want.extend_from_slice(&OURS);
        want.extend_from_slice(&[8, 6, 0, 1, 8, 0, 6, 4, 0, 1]);
        want.extend_from_slice(&OURS);
        want.extend_from_slice(&[192, 0, 2, 10, 0, 0, 0, 0, 0, 0, 192, 0, 2, 10]);
        assert_eq!(f, want);
    }

    #[test]
    fn an_arp_probe_has_no_sender_address() {
        let f = probe("192.0.2.10".parse().unwrap(), OURS);
        assert_eq!(&f[28..32], &[0, 0, 0, 0]);
        assert_eq!(&f[38..42], &[192, 0, 2, 10]);
    }

    #[test]
    fn an_unsolicited_advertisement_overrides_and_checks_out() {
        let a: Ipv6Addr = "2001:db8::10".parse().unwrap();
        let f = announcement(IpAddr::V6(a), OURS);
        assert_eq!(f.len(), 54 + 32);
        assert_eq!(&f[0..6], &[0x33, 0x33, 0, 0, 0, 1]);
        assert_eq!(f[20], ICMPV6);
        assert_eq!(f[21], 255);
        assert_eq!(&f[22..38], &a.octets());
        assert_eq!(f[54], NEIGHBOUR_ADVERTISEMENT);
        assert_eq!(f[58], 0x20);
        assert_eq!(&f[62..78], &a.octets());
        assert_eq!(&f[78..86], &[2, 1, 2, 0, 0, 0, 0, 1]);
        // The checksum over the pseudo-header and the message sums to all ones.
        let dst: Ipv6Addr = "ff02::1".parse().unwrap();
        assert_eq!(checksum(a, dst, &f[54..]), 0);
    }

    #[test]
    fn a_dad_solicitation_goes_to_the_solicited_node_group() {
        let a: Ipv6Addr = "2001:db8::12:3456".parse().unwrap();
        let f = probe(IpAddr::V6(a), OURS);
        assert_eq!(&f[0..6], &[0x33, 0x33, 0xff, 0x12, 0x34, 0x56]);
        assert_eq!(&f[22..38], &[0; 16]);
        let group: Ipv6Addr = "ff02::1:ff12:3456".parse().unwrap();
        assert_eq!(&f[38..54], &group.octets());
        assert_eq!(checksum(Ipv6Addr::UNSPECIFIED, group, &f[54..]), 0);
    }

    #[test]
    fn answers_from_another_host_are_found_and_our_own_frames_are_not() {
        let v4: IpAddr = "192.0.2.10".parse().unwrap();
        let theirs = announcement(v4, THEIRS);
        assert_eq!(answer_from(&theirs, v4, OURS), Some(THEIRS));
        assert_eq!(answer_from(&announcement(v4, OURS), v4, OURS), None);
        assert_eq!(answer_from(&probe(v4, THEIRS), v4, OURS), None);
        let other: IpAddr = "192.0.2.11".parse().unwrap();
        assert_eq!(answer_from(&announcement(other, THEIRS), v4, OURS), None);
        let v6: IpAddr = "2001:db8::10".parse().unwrap();
        assert_eq!(
            answer_from(&announcement(v6, THEIRS), v6, OURS),
            Some(THEIRS)
        );
        assert_eq!(answer_from(&probe(v6, THEIRS), v6, OURS), None);
        assert_eq!(answer_from(&theirs[..20], v4, OURS), None);
        assert_eq!(answer_from(&[], v6, OURS), None);
    }
}
