//! Frames on the interface (a packet socket through `pnet_datalink`): the probe and its
//! answers, the announcements. Blocking: the caller runs these on the VIP thread
//! ([`super::worker`]).

use super::frames::{self, Mac};
use super::VipError;
use pnet_datalink::{Channel, Config, DataLinkReceiver, DataLinkSender, NetworkInterface};
use std::io::ErrorKind;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// How long a probe sleeps between two reads of what came: how late it may see an answer,
/// or its end.
pub const PROBE_STEP: Duration = Duration::from_micros(100);

/// A packet socket on one interface.
pub struct Wire {
    tx: Box<dyn DataLinkSender>,
    rx: Box<dyn DataLinkReceiver>,
    mac: Mac,
}

impl Wire {
    /// Opens interface `name` (index `index` and hardware address `mac`, as netlink reported
    /// them: no enumeration of the host's interfaces on a failover's path). Reads never wait
    /// (see [`Wire::probe`]).
    pub fn open(name: &str, index: u32, mac: Mac) -> Result<Wire, VipError> {
        let iface = NetworkInterface {
            name: name.to_owned(),
            description: String::new(),
            index,
            mac: Some(pnet_datalink::MacAddr::new(
                mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
            )),
            ips: Vec::new(),
            flags: 0,
        };
        let config = Config {
            // `pnet` waits in poll(2), in whole milliseconds: zero, so a read never waits.
            read_timeout: Some(Duration::ZERO),
            promiscuous: false,
            ..Config::default()
        };
        match pnet_datalink::channel(&iface, config) {
            Ok(Channel::Ethernet(tx, rx)) => Ok(Wire { tx, rx, mac }),
            Ok(_) => Err(VipError::Netlink(format!(
                "{name}: not an Ethernet interface"
            ))),
            Err(e) if e.kind() == ErrorKind::PermissionDenied => Err(VipError::Permission(
                format!("opening a packet socket on {name} to announce the address"),
            )),
            Err(e) => Err(VipError::Netlink(format!("packet socket on {name}: {e}"))),
        }
    }

    /// Sends one frame.
    pub fn send(&mut self, frame: &[u8]) -> Result<(), VipError> {
        match self.tx.send_to(frame, None) {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => Err(VipError::Netlink(format!("sending: {e}"))),
            None => Err(VipError::Netlink("sending: no room".to_owned())),
        }
    }

    /// Sends the probe for `address` and waits `wait` for another host's answer: its
    /// hardware address if one answered. It reads what came, then sleeps [`PROBE_STEP`] (or
    /// what is left of `wait`), until `wait` is over: a read that waited (`pnet`'s poll, in
    /// whole milliseconds, started again by every frame, ours included) made a 1 ms probe
    /// last up to 2 ms.
    #[allow(clippy::disallowed_methods)] // the driver's I/O: waits on the real clock
    pub fn probe(&mut self, address: IpAddr, wait: Duration) -> Result<Option<Mac>, VipError> {
        self.send(&frames::probe(address, self.mac))?;
        let end = Instant::now() + wait;
        loop {
            loop {
                match self.rx.next() {
                    Ok(frame) => {
                        if let Some(other) = frames::answer_from(frame, address, self.mac) {
                            return Ok(Some(other));
                        }
                    }
                    Err(e) if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) => {
                        break
                    }
                    Err(e) => return Err(VipError::Netlink(format!("reading answers: {e}"))),
                }
            }
            let now = Instant::now();
            if now >= end {
                return Ok(None);
            }
            std::thread::sleep((end - now).min(PROBE_STEP));
        }
    }

    /// Sends one announcement of `address`.
    pub fn announce(&mut self, address: IpAddr) -> Result<(), VipError> {
        let frame = frames::announcement(address, self.mac);
        self.send(&frame)
    }
}
