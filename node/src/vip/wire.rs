//! Frames on the interface (a packet socket through `pnet_datalink`): the probe and its
//! answers, the announcements. Blocking: the caller runs these on a blocking thread.

use super::frames::{self, Mac};
use super::VipError;
use pnet_datalink::{Channel, Config, DataLinkReceiver, DataLinkSender, NetworkInterface};
use std::io::ErrorKind;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// A packet socket on one interface.
pub struct Wire {
    tx: Box<dyn DataLinkSender>,
    rx: Box<dyn DataLinkReceiver>,
    mac: Mac,
}

impl Wire {
    /// Opens interface `name` (index `index` and hardware address `mac`, as netlink reported
    /// them: no enumeration of the host's interfaces on a failover's path); `wait` bounds each
    /// read.
    pub fn open(name: &str, index: u32, mac: Mac, wait: Duration) -> Result<Wire, VipError> {
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
            read_timeout: Some(wait.max(Duration::from_micros(100))),
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
    /// hardware address if one answered.
    #[allow(clippy::disallowed_methods)] // the driver's I/O: waits on the real clock
    pub fn probe(&mut self, address: IpAddr, wait: Duration) -> Result<Option<Mac>, VipError> {
        self.send(&frames::probe(address, self.mac))?;
        let end = Instant::now() + wait;
        while Instant::now() < end {
            match self.rx.next() {
                Ok(frame) => {
                    if let Some(other) = frames::answer_from(frame, address, self.mac) {
                        return Ok(Some(other));
                    }
                }
                Err(e) if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) => {}
                Err(e) => return Err(VipError::Netlink(format!("reading answers: {e}"))),
            }
        }
        Ok(None)
    }

    /// Sends one announcement of `address`.
    pub fn announce(&mut self, address: IpAddr) -> Result<(), VipError> {
        let frame = frames::announcement(address, self.mac);
        self.send(&frame)
    }
}
