//! Two network namespaces joined by a veth pair, deleted on drop.

use super::procs::run_quiet;
use std::path::{Path, PathBuf};

/// The interface name of the veth end in each namespace.
pub const IFACE: &str = "bk0";

/// Addressing inside the namespaces (nothing is configured outside them).
pub const PREFIX: u8 = 24;
/// Member addresses, `[a, b]`.
pub const ADDRS: [&str; 2] = ["10.250.0.1", "10.250.0.2"];
/// The virtual address.
pub const VIP: &str = "10.250.0.100";

/// The namespace names of this harness process: `bbk<pid>a` and `bbk<pid>b`.
pub fn names(pid: u32) -> [String; 2] {
    [format!("bbk{pid}a"), format!("bbk{pid}b")]
}

/// The harness pid a namespace name of ours carries (`bbk<pid>a` or `bbk<pid>b`), if it is one.
pub fn owner(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("bbk")?.strip_suffix(['a', 'b'])?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Removes what a harness killed before its guards could run (SIGKILL, a second Ctrl-C) left
/// behind: our namespaces whose harness pid is no longer alive, after killing the processes
/// still inside them (ours: nothing else runs in a namespace we created). Returns the names
/// removed.
pub fn sweep_stale(ip: &std::path::Path) -> Vec<String> {
    let listed = std::process::Command::new(ip)
        .args(["netns", "list"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let mut removed = Vec::new();
    for name in listed.lines().filter_map(|l| l.split_whitespace().next()) {
        let Some(pid) = owner(name) else { continue };
        if std::path::Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        kill_inside(ip, name);
        if run_quiet(ip, &["netns", "del", name]).is_ok() {
            removed.push(name.to_owned());
        }
    }
    removed
}

/// The pair of namespaces; every one it created is deleted on drop.
pub struct Pair {
    ip: PathBuf,
    created: Vec<String>,
}

impl Pair {
    /// Creates both namespaces, the veth pair between them (one end in each, so it never
    /// exists outside them), brings up the links and addresses them.
    pub fn create(ip: PathBuf, names: &[String; 2]) -> Result<Pair, (bool, String)> {
        let mut pair = Pair {
            ip,
            created: Vec::new(),
        };
        for name in names {
            // Failing here means no permission or no namespace support: not a measurement
            // failure (the `true`).
            run_quiet(&pair.ip, &["netns", "add", name]).map_err(|e| (true, e))?;
            pair.created.push(name.clone());
        }
        let [a, b] = names;
        let ip = pair.ip.clone();
        run_quiet(
            &ip,
            &[
                "-n", a, "link", "add", IFACE, "type", "veth", "peer", "name", IFACE, "netns", b,
            ],
        )
        .map_err(|e| (true, format!("no veth pair: {e}")))?;
        for (ns, addr) in names.iter().zip(ADDRS) {
            let cidr = format!("{addr}/{PREFIX}");
            for args in [
                vec!["-n", ns, "link", "set", "lo", "up"],
                vec!["-n", ns, "addr", "add", &cidr, "dev", IFACE],
                vec!["-n", ns, "link", "set", IFACE, "up"],
            ] {
                run_quiet(&ip, &args).map_err(|e| (false, e))?;
            }
        }
        Ok(pair)
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        for name in self.created.drain(..) {
            // Deleting a namespace also deletes the veth end inside it (and so its peer).
            let _ = run_quiet(&self.ip, &["netns", "del", &name]);
        }
    }
}

/// SIGKILL to every process inside namespace `name` (only ours run there).
pub(crate) fn kill_inside(ip: &Path, name: &str) {
    let pids = std::process::Command::new(ip)
        .args(["netns", "pids", name])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    for p in pids.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(p),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_are_read_back_from_our_names_only() {
        for name in names(4242) {
            assert_eq!(owner(&name), Some(4242));
        }
        for other in ["bbka", "bbk12c", "xbbk12a", "bbk1x2a", "bbk99999999999a"] {
            assert_eq!(owner(other), None, "{other}");
        }
    }

    #[test]
    fn names_carry_the_pid() {
        assert_eq!(
            names(4242),
            ["bbk4242a".to_string(), "bbk4242b".to_string()]
        );
        // Linux limits a namespace name only by the file name length, but an interface-like
        // short name is kept: at most 3 + 10 + 1 characters.
        assert!(names(u32::MAX)[0].len() <= 14);
    }
}
