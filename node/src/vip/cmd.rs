//! `baton vip up|down|check`: the VIP's operations from the command line, as the node runs
//! them (the commands of a `[[vip]]`'s script component, which the guard runs when its node
//! dies, PROTOCOL 6.3). Exit status 0 on success, 1 on failure (one line on stderr).

use super::VipError;
use crate::config::vip_defaults;
use baton_engine::VipConfig;
use std::net::IpAddr;
use std::time::Duration;

/// `baton vip`.
#[derive(clap::Args, Debug)]
pub struct VipArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand, Debug)]
enum Action {
    /// Add ADDRESS/PREFIX to the interface and announce it (after a probe).
    Up {
        #[command(flatten)]
        target: Target,
        /// Announcements sent (gratuitous ARP or unsolicited neighbour advertisement).
        #[arg(long, default_value_t = vip_defaults::ANNOUNCE_COUNT)]
        announce_count: u32,
        /// Milliseconds between two announcements.
        #[arg(long, default_value_t = vip_defaults::ANNOUNCE_INTERVAL_MS)]
        announce_interval_ms: u64,
        /// Milliseconds to wait for another host answering for the address; 0: no probe.
        #[arg(long, default_value_t = vip_defaults::PROBE_MS)]
        probe_ms: u64,
    },
    /// Remove ADDRESS/PREFIX from the interface (absent: done).
    Down {
        #[command(flatten)]
        target: Target,
    },
    /// Exit 0 if the interface is up and, with --role active (the default is $BATON_ROLE,
    /// else standby), the address is on it.
    Check {
        #[command(flatten)]
        target: Target,
        /// active or standby.
        #[arg(long)]
        role: Option<String>,
    },
}

#[derive(clap::Args, Debug)]
struct Target {
    /// The interface.
    #[arg(long)]
    interface: String,
    /// ADDRESS/PREFIX, as 192.0.2.10/24 or 2001:db8::10/64.
    address: String,
}

impl Target {
    fn vip(&self) -> Result<VipConfig, String> {
        let (a, p) = self
            .address
            .split_once('/')
            .ok_or_else(|| format!("{:?}: expected ADDRESS/PREFIX", self.address))?;
        let address: IpAddr = a.parse().map_err(|e| format!("{a:?}: {e}"))?;
        let prefix: u8 = p.parse().map_err(|e| format!("prefix {p:?}: {e}"))?;
        Ok(VipConfig {
            id: String::new(),
            address,
            prefix,
            interface: self.interface.clone(),
            announce_count: vip_defaults::ANNOUNCE_COUNT,
            announce_interval: Duration::from_millis(vip_defaults::ANNOUNCE_INTERVAL_MS),
            probe: Duration::from_millis(vip_defaults::PROBE_MS),
        })
    }
}

/// Runs `baton vip ...`.
///
/// # Errors
/// The failure, as one line.
pub fn main(args: &VipArgs) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let result: Result<(), VipError> = rt.block_on(async {
        match &args.action {
            Action::Up {
                target,
                announce_count,
                announce_interval_ms,
                probe_ms,
            } => {
                let mut vip = target.vip().map_err(VipError::Netlink)?;
                vip.announce_count = (*announce_count).max(1);
                vip.announce_interval = Duration::from_millis(*announce_interval_ms);
                vip.probe = Duration::from_millis(*probe_ms);
                super::activate(&vip, true).await
            }
            Action::Down { target } => {
                super::deactivate(&target.vip().map_err(VipError::Netlink)?).await
            }
            Action::Check { target, role } => {
                let vip = target.vip().map_err(VipError::Netlink)?;
                let role = role
                    .clone()
                    .or_else(|| std::env::var("BATON_ROLE").ok())
                    .unwrap_or_default();
                super::check(&vip, role == "active").await
            }
        }
    });
    result.map_err(|e| e.to_string())
}
