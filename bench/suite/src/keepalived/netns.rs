//! Two network namespaces joined by a veth pair, deleted on drop.

use super::procs::run_quiet;
use std::path::PathBuf;

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

#[cfg(test)]
mod tests {
    use super::*;

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
