//! The cluster's network: one namespace per member and a hub namespace holding a bridge, all
//! made for the run and deleted on drop. Member `i` has `bk0` (10.251.0.(11+i)/24), the other
//! end of its veth pair (`f<i>`) is a port of the hub's bridge `br0`. Nothing is configured
//! outside these namespaces. A partition sets the hub end down: the member's `bk0` keeps its
//! address (NO-CARRIER) and its loopback works, so its status listener on 127.0.0.1 stays
//! reachable from a harness thread inside the namespace.

use crate::keepalived::netns::kill_inside;
use crate::keepalived::procs::run_quiet;
use std::path::{Path, PathBuf};

/// The member-side interface.
pub const IFACE: &str = "bk0";

/// The hub bridge's own address, where the etcd of an etcd-mode cluster listens.
pub const ETCD_ADDR: &str = "10.251.0.2";

/// Member `i`'s address.
pub fn addr(i: usize) -> String {
    format!("10.251.0.{}", 11 + i)
}

/// The hub namespace of harness `pid`.
pub fn hub_name(pid: u32) -> String {
    format!("bbf{pid}h")
}

/// Member `i`'s namespace of harness `pid`.
pub fn member_name(pid: u32, i: usize) -> String {
    format!("bbf{pid}n{i}")
}

/// The harness pid a namespace name of ours carries (`bbf<pid>h` or `bbf<pid>n<i>`).
pub fn owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix("bbf")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let tail = &rest[digits.len()..];
    let ours = tail == "h"
        || tail
            .strip_prefix('n')
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if digits.is_empty() || !ours {
        return None;
    }
    digits.parse().ok()
}

/// Kills the processes in every namespace of ours whose harness is gone and deletes it.
pub fn sweep_stale(ip: &Path) -> Vec<String> {
    let listed = std::process::Command::new(ip)
        .args(["netns", "list"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let mut removed = Vec::new();
    for name in listed.lines().filter_map(|l| l.split_whitespace().next()) {
        let Some(pid) = owner(name) else { continue };
        if Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        kill_inside(ip, name);
        if run_quiet(ip, &["netns", "del", name]).is_ok() {
            removed.push(name.to_owned());
        }
    }
    removed
}

/// The namespaces of one cluster; deleted on drop (after killing what still runs inside).
pub struct Net {
    ip: PathBuf,
    hub: String,
    /// Member namespaces, by member index.
    pub members: Vec<String>,
    created: Vec<String>,
}

impl Net {
    /// Creates the hub with its bridge and `n` member namespaces joined to it.
    pub fn create(ip: &Path, n: usize) -> Result<Net, String> {
        let pid = std::process::id();
        let mut net = Net {
            ip: ip.to_path_buf(),
            hub: hub_name(pid),
            members: (0..n).map(|i| member_name(pid, i)).collect(),
            created: Vec::new(),
        };
        let hub = net.hub.clone();
        net.add(&hub)?;
        net.run(&["-n", &hub, "link", "add", "br0", "type", "bridge"])?;
        net.run(&["-n", &hub, "link", "set", "br0", "up"])?;
        net.run(&["-n", &hub, "link", "set", "lo", "up"])?;
        let bridge = format!("{ETCD_ADDR}/24");
        net.run(&["-n", &hub, "addr", "add", &bridge, "dev", "br0"])?;
        for i in 0..n {
            let ns = net.members[i].clone();
            net.add(&ns)?;
            let port = format!("f{i}");
            let cidr = format!("{}/24", addr(i));
            let steps: [&[&str]; 6] = [
                &[
                    "-n", &hub, "link", "add", &port, "type", "veth", "peer", "name", IFACE,
                    "netns", &ns,
                ],
                &["-n", &hub, "link", "set", &port, "master", "br0"],
                &["-n", &hub, "link", "set", &port, "up"],
                &["-n", &ns, "link", "set", "lo", "up"],
                &["-n", &ns, "addr", "add", &cidr, "dev", IFACE],
                &["-n", &ns, "link", "set", IFACE, "up"],
            ];
            for args in steps {
                net.run(args)?;
            }
        }
        Ok(net)
    }

    fn add(&mut self, name: &str) -> Result<(), String> {
        run_quiet(&self.ip, &["netns", "add", name])?;
        self.created.push(name.to_owned());
        Ok(())
    }

    fn run(&self, args: &[&str]) -> Result<(), String> {
        run_quiet(&self.ip, args)
    }

    /// Sets member `i`'s port on the bridge up or down (a partition of that member).
    pub fn link(&self, i: usize, up: bool) -> Result<(), String> {
        let port = format!("f{i}");
        let state = if up { "up" } else { "down" };
        self.run(&["-n", &self.hub, "link", "set", &port, state])
    }

    /// The hub namespace (the bridge; etcd runs in it).
    pub fn hub(&self) -> &str {
        &self.hub
    }

    /// The `ip` binary.
    pub fn ip(&self) -> &Path {
        &self.ip
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for name in self.created.drain(..).rev() {
            kill_inside(&self.ip, &name);
            let _ = run_quiet(&self.ip, &["netns", "del", &name]);
        }
    }
}

/// Moves the calling thread into network namespace `name` (sockets it opens from then on
/// are in there; other threads are unaffected).
pub fn enter(name: &str) -> Result<(), String> {
    let path = ["/run/netns", "/var/run/netns"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
        .ok_or_else(|| format!("namespace {name} not found"))?;
    let file = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET)
        .map_err(|e| format!("setns({name}): {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_are_read_back_from_our_names_only() {
        assert_eq!(owner(&hub_name(4242)), Some(4242));
        assert_eq!(owner(&member_name(4242, 2)), Some(4242));
        for other in [
            "bbfh", "bbf12", "bbf12n", "bbf12x", "bbk12a", "xbbf12h", "bbf1n2x",
        ] {
            assert_eq!(owner(other), None, "{other}");
        }
    }

    #[test]
    fn addresses_are_distinct() {
        assert_eq!(addr(0), "10.251.0.11");
        assert_eq!(addr(2), "10.251.0.13");
    }
}
