//! The keepalived processes: started inside a namespace, signalled by pid (the parent and the
//! children found through `/proc` by parent pid, never by name), killed and reaped on drop.

use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `(pid, ppid)` from the text of a `/proc/<pid>/stat` file. The command name (second field)
/// is in parentheses and may itself hold spaces and parentheses, so the fields are counted
/// from the last `)`.
pub fn parse_stat(text: &str) -> Option<(i32, i32)> {
    let open = text.find('(')?;
    let pid = text[..open].trim().parse().ok()?;
    let close = text.rfind(')')?;
    let mut rest = text[close + 1..].split_whitespace();
    let _state = rest.next()?;
    let ppid = rest.next()?.parse().ok()?;
    Some((pid, ppid))
}

/// Every descendant of `root` in a process table of `(pid, ppid)` pairs, deepest first (so
/// that signalling in this order reaches a child before its parent).
pub fn descendants(root: i32, table: &[(i32, i32)]) -> Vec<i32> {
    let mut found: Vec<i32> = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for &(pid, ppid) in table {
            if ppid == parent && pid != root && !found.contains(&pid) {
                found.push(pid);
                frontier.push(pid);
            }
        }
    }
    // Breadth of discovery is parent before child; deepest first is the reverse.
    found.reverse();
    found
}

/// The `(pid, ppid)` of every process in `/proc` now.
fn process_table() -> Vec<(i32, i32)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter_map(|t| parse_stat(&t))
        .collect()
}

/// Sets this process as the reaper of orphaned descendants while it lives (so the keepalived
/// VRRP child, orphaned when its parent is killed, is reaped here and not left to init), and
/// restores the previous setting on drop.
pub struct Subreaper {
    previous: bool,
}

impl Subreaper {
    /// Becomes a subreaper.
    pub fn set() -> Result<Subreaper, String> {
        let previous = nix::sys::prctl::get_child_subreaper().unwrap_or(false);
        nix::sys::prctl::set_child_subreaper(true)
            .map_err(|e| format!("prctl(PR_SET_CHILD_SUBREAPER): {e}"))?;
        Ok(Subreaper { previous })
    }
}

impl Drop for Subreaper {
    fn drop(&mut self) {
        let _ = nix::sys::prctl::set_child_subreaper(self.previous);
    }
}

/// How to start one keepalived.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The `ip` binary.
    pub ip: PathBuf,
    /// The keepalived binary.
    pub keepalived: PathBuf,
    /// The network namespace it runs in.
    pub netns: String,
    /// Its configuration file.
    pub config: PathBuf,
    /// Its parent pid file.
    pub pid_file: PathBuf,
    /// Its VRRP child's pid file.
    pub vrrp_pid_file: PathBuf,
    /// Its log (standard output and error, appended).
    pub log: PathBuf,
}

impl Launch {
    /// The arguments of `ip`: `netns exec <ns> keepalived ...` (VRRP only, in the
    /// foreground, no respawn of a dead child, console log without syslog).
    pub fn args(&self) -> Vec<String> {
        vec![
            "netns".into(),
            "exec".into(),
            self.netns.clone(),
            self.keepalived.display().to_string(),
            "--use-file".into(),
            self.config.display().to_string(),
            "--vrrp".into(),
            "--dont-fork".into(),
            "--dont-respawn".into(),
            "--log-console".into(),
            "--log-detail".into(),
            "--no-syslog".into(),
            "--pid".into(),
            self.pid_file.display().to_string(),
            "--vrrp_pid".into(),
            self.vrrp_pid_file.display().to_string(),
        ]
    }
}

/// One running keepalived (the parent, which `ip netns exec` becomes, and its VRRP child).
/// Dropping it resumes, kills and reaps every process of it.
pub struct Daemon {
    child: Option<Child>,
    /// Processes this harness stopped and has not resumed.
    stopped: Vec<i32>,
    /// Every child of the parent seen so far: reaped (and killed, if this process adopted
    /// them alive) even when the parent died before this harness killed it.
    seen: Vec<i32>,
}

impl Daemon {
    /// Starts keepalived as `launch` says.
    pub fn spawn(launch: &Launch) -> Result<Daemon, String> {
        // A stale pid file naming a live process (pid reuse) would make keepalived refuse to
        // start, thinking itself already running.
        let _ = std::fs::remove_file(&launch.pid_file);
        let _ = std::fs::remove_file(&launch.vrrp_pid_file);
        let log = File::options()
            .create(true)
            .append(true)
            .open(&launch.log)
            .map_err(|e| format!("cannot open {}: {e}", launch.log.display()))?;
        let err = log
            .try_clone()
            .map_err(|e| format!("cannot duplicate the log handle: {e}"))?;
        let child = Command::new(&launch.ip)
            .args(launch.args())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", launch.ip.display()))?;
        Ok(Daemon {
            child: Some(child),
            stopped: Vec::new(),
            seen: Vec::new(),
        })
    }

    /// The parent's pid, while it has not been reaped.
    fn pid(&self) -> Option<i32> {
        self.child.as_ref().and_then(|c| i32::try_from(c.id()).ok())
    }

    /// Whether the parent has exited (it is reaped then).
    pub fn exited(&mut self) -> bool {
        match self.child.as_mut().map(Child::try_wait) {
            None => true,
            Some(Ok(Some(_))) => {
                self.child = None;
                true
            }
            Some(Ok(None)) => false,
            Some(Err(_)) => false,
        }
    }

    /// Every process of this keepalived, children (deepest first) before the parent.
    pub fn processes(&mut self) -> Vec<i32> {
        let Some(root) = self.pid() else {
            return Vec::new();
        };
        let mut all = descendants(root, &process_table());
        for &pid in &all {
            if !self.seen.contains(&pid) {
                self.seen.push(pid);
            }
        }
        all.push(root);
        all
    }

    /// Sends `signal` to each of `pids` in order (found by [`Daemon::processes`] just before,
    /// so the pids are taken before the clock starts). Returns how many were signalled.
    pub fn signal(&mut self, pids: &[i32], signal: Signal) -> usize {
        let mut sent = 0;
        for &pid in pids {
            if kill(Pid::from_raw(pid), signal).is_ok() {
                sent += 1;
                if signal == Signal::SIGSTOP && !self.stopped.contains(&pid) {
                    self.stopped.push(pid);
                }
            }
        }
        sent
    }

    /// Resumes every process this harness stopped, parent first.
    pub fn resume(&mut self) {
        for pid in self.stopped.drain(..).rev() {
            let _ = kill(Pid::from_raw(pid), Signal::SIGCONT);
        }
    }

    /// Waits up to `limit` for the parent to exit by itself (after a SIGTERM); then reaps the
    /// children it left. Returns whether it exited in time (if not, it is still running).
    pub fn wait_exit(&mut self, limit: Duration, children: &[i32]) -> bool {
        let end = Instant::now() + limit;
        while Instant::now() < end {
            if self.exited() {
                reap(children);
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }

    /// Kills every process of it (after resuming any it stopped) and reaps them all.
    pub fn kill_and_reap(&mut self) {
        self.resume();
        let root = self.pid();
        let pids = self.processes();
        for &pid in &pids {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        // Children seen earlier whose parent died first were handed to this process (the
        // subreaper): a pid whose parent is this process is one of them, never another's.
        let me = i32::try_from(std::process::id()).unwrap_or(0);
        for &pid in &self.seen {
            let adopted = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|t| parse_stat(&t))
                .is_some_and(|(_, ppid)| ppid == me);
            if adopted {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
        }
        let mut children: Vec<i32> = pids.iter().copied().filter(|&p| Some(p) != root).collect();
        for pid in self.seen.drain(..) {
            if !children.contains(&pid) {
                children.push(pid);
            }
        }
        reap(&children);
    }

    /// Reaps the parent and then `children` after they were killed.
    pub fn reap_after_kill(&mut self, children: &[i32]) {
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
        reap(children);
    }
}

/// Reaps `pids` that became this process's children (orphans handed to the subreaper), giving
/// each up to two seconds; a pid that is not a child of this process is skipped at once.
fn reap(pids: &[i32]) {
    for &pid in pids {
        let end = Instant::now() + Duration::from_secs(2);
        loop {
            match waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) if Instant::now() < end => {
                    std::thread::sleep(Duration::from_millis(2));
                }
                _ => break,
            }
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill_and_reap();
    }
}

/// Runs a short command (`ip ...`) to completion; its standard error on failure.
pub fn run_quiet(program: &Path, args: &[&str]) -> Result<(), String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{} {}` failed ({}): {}",
            program.display(),
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines() {
        assert_eq!(
            parse_stat("13960 (keepalived) S 13957 13950 13950 0 -1 4194560 0 0"),
            Some((13960, 13957))
        );
        // A command name with spaces and a closing parenthesis.
        assert_eq!(parse_stat("42 (a) b (c)) R 7 42 42 0"), Some((42, 7)));
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(parse_stat("12 (x)"), None);
        assert_eq!(parse_stat("12 (x) S notanumber"), None);
    }

    #[test]
    fn children_are_found_by_parent_pid_deepest_first() {
        // 100 is keepalived; 101 its VRRP child, which ran a script 102; 200 is unrelated,
        // as is 300 (a child of 200), and 1 is init.
        let table = [
            (1, 0),
            (100, 1),
            (200, 1),
            (101, 100),
            (300, 200),
            (102, 101),
        ];
        assert_eq!(descendants(100, &table), vec![102, 101]);
        assert_eq!(descendants(101, &table), vec![102]);
        assert_eq!(descendants(102, &table), Vec::<i32>::new());
        assert_eq!(descendants(200, &table), vec![300]);
    }

    #[test]
    fn this_process_children_are_found_in_proc() {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        let me = i32::try_from(std::process::id()).unwrap();
        let pid = i32::try_from(child.id()).unwrap();
        let found = descendants(me, &process_table());
        let _ = child.kill();
        let _ = child.wait();
        assert!(found.contains(&pid), "{pid} not in {found:?}");
    }

    #[test]
    fn launch_arguments() {
        let l = Launch {
            ip: "/sbin/ip".into(),
            keepalived: "/usr/sbin/keepalived".into(),
            netns: "bbk1a".into(),
            config: "/t/a.conf".into(),
            pid_file: "/t/a.pid".into(),
            vrrp_pid_file: "/t/a.vrrp.pid".into(),
            log: "/t/a.log".into(),
        };
        let args = l.args();
        assert_eq!(
            &args[..4],
            ["netns", "exec", "bbk1a", "/usr/sbin/keepalived"]
        );
        for flag in ["--vrrp", "--dont-fork", "--dont-respawn", "--log-console"] {
            assert!(args.iter().any(|a| a == flag), "{flag} missing");
        }
        let at = args.iter().position(|a| a == "--pid").unwrap();
        assert_eq!(args[at + 1], "/t/a.pid");
    }
}
