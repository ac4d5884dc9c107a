//! The keepalived configuration of one member of the pair (pure text generation).

use std::fmt::Write as _;
use std::path::PathBuf;

/// The VRRP instance name used in every configuration (and in the notify_fifo lines).
pub const INSTANCE: &str = "VI_1";

/// Everything that differs between the two members' configurations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeConfig {
    /// `router_id` in `global_defs`.
    pub router_id: String,
    /// The FIFO keepalived writes its state changes to (`notify_fifo`).
    pub fifo: PathBuf,
    /// The veth end inside the member's namespace.
    pub interface: String,
    /// This member's address (`unicast_src_ip`).
    pub src_ip: String,
    /// The other member's address (the only `unicast_peer`).
    pub peer_ip: String,
    /// VRRP priority (150 for the preferred master, 100 for the backup).
    pub priority: u8,
    /// Initial state keepalived is told (`MASTER` or `BACKUP`).
    pub initial_state: &'static str,
    /// Advert interval, ms (a multiple of 10: VRRPv3 counts centiseconds).
    pub advert_ms: u64,
    /// The virtual address with its prefix length, e.g. `10.250.0.100/24`.
    pub vip: String,
    /// `virtual_router_id`.
    pub vrid: u8,
    /// `vrrp_rt_priority` (SCHED_RR at this priority for the VRRP process) and `vrrp_no_swap`
    /// (its memory locked): keepalived's counterpart of baton's `realtime = true`; `None`:
    /// normal scheduling.
    pub rt_priority: Option<u8>,
}

/// `advert_int` as keepalived reads it (seconds, at most two decimals), or why the interval
/// cannot be expressed: VRRPv3 carries the interval in centiseconds, 12 bits, so keepalived
/// takes 0.01 s to 40.95 s in steps of 0.01 s.
pub fn advert_int(ms: u64) -> Result<String, String> {
    if !(10..=40_950).contains(&ms) || ms % 10 != 0 {
        return Err(format!(
            "advert interval {ms} ms: keepalived (VRRPv3) takes multiples of 10 ms from 10 to 40950 ms"
        ));
    }
    let cs = ms / 10;
    Ok(match cs % 100 {
        0 => format!("{}", cs / 100),
        r if r % 10 == 0 => format!("{}.{}", cs / 100, r / 10),
        r => format!("{}.{:02}", cs / 100, r),
    })
}

/// The configuration file text.
pub fn render(c: &NodeConfig) -> Result<String, String> {
    let advert = advert_int(c.advert_ms)?;
    let mut t = String::new();
    // `write!` to a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(t, "# written by baton-bench (keepalived section)");
    let _ = writeln!(t, "global_defs {{");
    let _ = writeln!(t, "  router_id {}", c.router_id);
    let _ = writeln!(t, "  vrrp_version 3");
    let _ = writeln!(t, "  notify_fifo {}", c.fifo.display());
    if let Some(p) = c.rt_priority {
        let _ = writeln!(t, "  vrrp_rt_priority {p}");
        let _ = writeln!(t, "  vrrp_no_swap");
    }
    let _ = writeln!(t, "}}");
    let _ = writeln!(t);
    let _ = writeln!(t, "vrrp_instance {INSTANCE} {{");
    let _ = writeln!(t, "  state {}", c.initial_state);
    let _ = writeln!(t, "  interface {}", c.interface);
    let _ = writeln!(t, "  virtual_router_id {}", c.vrid);
    let _ = writeln!(t, "  priority {}", c.priority);
    let _ = writeln!(t, "  advert_int {advert}");
    let _ = writeln!(t, "  unicast_src_ip {}", c.src_ip);
    let _ = writeln!(t, "  unicast_peer {{");
    let _ = writeln!(t, "    {}", c.peer_ip);
    let _ = writeln!(t, "  }}");
    let _ = writeln!(t, "  virtual_ipaddress {{");
    let _ = writeln!(t, "    {} dev {}", c.vip, c.interface);
    let _ = writeln!(t, "  }}");
    let _ = writeln!(t, "}}");
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(advert_ms: u64) -> NodeConfig {
        NodeConfig {
            router_id: "bbk_a".into(),
            fifo: PathBuf::from("/tmp/x/a.fifo"),
            interface: "bk0".into(),
            src_ip: "10.250.0.1".into(),
            peer_ip: "10.250.0.2".into(),
            priority: 150,
            initial_state: "MASTER",
            advert_ms,
            vip: "10.250.0.100/24".into(),
            vrid: 51,
            rt_priority: None,
        }
    }

    #[test]
    fn advert_intervals_in_seconds() {
        assert_eq!(advert_int(10).unwrap(), "0.01");
        assert_eq!(advert_int(100).unwrap(), "0.1");
        assert_eq!(advert_int(1000).unwrap(), "1");
        assert_eq!(advert_int(1500).unwrap(), "1.5");
        assert_eq!(advert_int(2030).unwrap(), "2.03");
        assert_eq!(advert_int(40_950).unwrap(), "40.95");
        assert!(advert_int(5).is_err());
        assert!(advert_int(15).is_err());
        assert!(advert_int(0).is_err());
        assert!(advert_int(40_960).is_err());
    }

    #[test]
    fn configuration_text() {
        let text = render(&sample(10)).unwrap();
        assert_eq!(
            text,
            "# written by baton-bench (keepalived section)\n\
             global_defs {\n  router_id bbk_a\n  vrrp_version 3\n  notify_fifo /tmp/x/a.fifo\n}\n\n\
             vrrp_instance VI_1 {\n  state MASTER\n  interface bk0\n  virtual_router_id 51\n  \
             priority 150\n  advert_int 0.01\n  unicast_src_ip 10.250.0.1\n  unicast_peer {\n    \
             10.250.0.2\n  }\n  virtual_ipaddress {\n    10.250.0.100/24 dev bk0\n  }\n}\n"
        );
        // Default preemption: the configuration must not say nopreempt.
        assert!(!text.contains("nopreempt"));
        assert!(render(&sample(7)).is_err());
        let rt = render(&NodeConfig {
            rt_priority: Some(10),
            ..sample(10)
        })
        .unwrap();
        assert!(
            rt.contains("  notify_fifo /tmp/x/a.fifo\n  vrrp_rt_priority 10\n  vrrp_no_swap\n}\n")
        );
    }
}
