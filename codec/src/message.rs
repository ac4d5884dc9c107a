//! The five interfaces and a message of any of them.

use crate::{decode, encode_into, DecodeError, EncodeError, Encoding};
use baton_asn1::{election, monitor, replication, role, status};
use std::fmt;
use std::str::FromStr;

/// One of the five interfaces, with its interface id on the wire (PROTOCOL 3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Interface {
    /// `failover-election-interface`, id 1.
    Election = 1,
    /// `failover-role-interface`, id 2.
    Role = 2,
    /// `failover-monitor-interface`, id 3.
    Monitor = 3,
    /// `failover-status-interface`, id 4.
    Status = 4,
    /// `failover-replication-interface`, id 5 (PROTOCOL 2.8).
    Replication = 5,
}

impl Interface {
    /// The five interfaces in id order.
    pub const ALL: [Interface; 5] = [
        Interface::Election,
        Interface::Role,
        Interface::Monitor,
        Interface::Status,
        Interface::Replication,
    ];

    /// The interface with wire id `id`.
    pub fn from_id(id: u8) -> Option<Interface> {
        Interface::ALL.into_iter().find(|i| *i as u8 == id)
    }

    /// The lower-case name used on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Interface::Election => "election",
            Interface::Role => "role",
            Interface::Monitor => "monitor",
            Interface::Status => "status",
            Interface::Replication => "replication",
        }
    }

    /// The ASN.1 name of the interface's top-level type.
    pub const fn message_name(self) -> &'static str {
        match self {
            Interface::Election => "ElectionMessage",
            Interface::Role => "RoleMessage",
            Interface::Monitor => "HealthMonitorMessage",
            Interface::Status => "ServiceStatusMessage",
            Interface::Replication => "ReplicationMessage",
        }
    }
}

impl fmt::Display for Interface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An interface name that is not one of the five.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown interface {0:?}: expected one of election, role, monitor, status, replication")]
pub struct UnknownInterface(pub String);

impl FromStr for Interface {
    type Err = UnknownInterface;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Interface::ALL
            .into_iter()
            .find(|i| i.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownInterface(s.to_owned()))
    }
}

/// A top-level message of any interface: what a frame carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AnyMessage {
    /// `ElectionMessage`.
    Election(election::ElectionMessage),
    /// `RoleMessage`.
    Role(role::RoleMessage),
    /// `HealthMonitorMessage`.
    Monitor(monitor::HealthMonitorMessage),
    /// `ServiceStatusMessage`.
    Status(status::ServiceStatusMessage),
    /// `ReplicationMessage`.
    Replication(replication::ReplicationMessage),
}

impl AnyMessage {
    /// The message's interface.
    pub fn interface(&self) -> Interface {
        match self {
            AnyMessage::Election(_) => Interface::Election,
            AnyMessage::Role(_) => Interface::Role,
            AnyMessage::Monitor(_) => Interface::Monitor,
            AnyMessage::Status(_) => Interface::Status,
            AnyMessage::Replication(_) => Interface::Replication,
        }
    }
}

macro_rules! from_message {
    ($($variant:ident($t:ty)),*) => {$(
        impl From<$t> for AnyMessage {
            fn from(m: $t) -> Self {
                AnyMessage::$variant(m)
            }
        }
    )*};
}
from_message!(
    Election(election::ElectionMessage),
    Role(role::RoleMessage),
    Monitor(monitor::HealthMonitorMessage),
    Status(status::ServiceStatusMessage),
    Replication(replication::ReplicationMessage)
);

impl AnyMessage {
    /// Decodes a message of `interface` in `encoding` from all of `bytes`.
    ///
    /// # Errors
    /// As [`crate::decode`].
    pub fn decode(
        interface: Interface,
        encoding: Encoding,
        bytes: &[u8],
    ) -> Result<AnyMessage, DecodeError> {
        Ok(match interface {
            Interface::Election => AnyMessage::Election(decode(encoding, bytes)?),
            Interface::Role => AnyMessage::Role(decode(encoding, bytes)?),
            Interface::Monitor => AnyMessage::Monitor(decode(encoding, bytes)?),
            Interface::Status => AnyMessage::Status(decode(encoding, bytes)?),
            Interface::Replication => AnyMessage::Replication(decode(encoding, bytes)?),
        })
    }

    /// Encodes the message in `encoding` into `buf`, replacing its contents.
    ///
    /// # Errors
    /// As [`crate::encode_into`].
    pub fn encode_into(&self, encoding: Encoding, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self {
            AnyMessage::Election(m) => encode_into(encoding, m, buf),
            AnyMessage::Role(m) => encode_into(encoding, m, buf),
            AnyMessage::Monitor(m) => encode_into(encoding, m, buf),
            AnyMessage::Status(m) => encode_into(encoding, m, buf),
            AnyMessage::Replication(m) => encode_into(encoding, m, buf),
        }
    }

    /// Encodes the message in `encoding`.
    ///
    /// # Errors
    /// As [`crate::encode`].
    pub fn encode(&self, encoding: Encoding) -> Result<Vec<u8>, EncodeError> {
        let mut buf = Vec::new();
        self.encode_into(encoding, &mut buf)?;
        Ok(buf)
    }
}
