//! A VIP laboratory in network namespaces, for `baton demo --vip`, the tests and the
//! benchmarks: two members and a client on one bridge, and what a client sees at the VIP.
//!
//! - [`Lab`]: namespaces `<prefix>a`, `<prefix>b` (the members), `<prefix>c` (the client),
//!   `<prefix>s` (the bridge `br0`, whose ports are the other end of each namespace's
//!   `eth0`); removed (after killing what runs inside) on drop. Needs root and `ip`.
//! - [`Echo`]: a UDP echo service in each member, answering with the member's letter.
//! - [`Prober`]: the client asks the VIP every `period` and records who answered when.
//! - [`Presence`]: samples whether each member holds the VIP.
//!
//! Each runs on threads of its own that enter a namespace ([`enter`]); a socket stays in
//! the namespace it was opened in. The echo services and the client run SCHED_FIFO 20 when
//! allowed (root): the measuring apparatus, not the nodes under test.
// A harness of real namespaces, threads, sockets and clocks (as `baton demo`'s nodes).
#![allow(clippy::disallowed_methods)]

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The interface in each namespace.
pub const IFACE: &str = "eth0";
/// The members' own addresses, `[a, b]`, and the client's, in [`PREFIX`].
pub const MEMBERS: [Ipv4Addr; 2] = [Ipv4Addr::new(10, 253, 0, 1), Ipv4Addr::new(10, 253, 0, 2)];
/// The client's address.
pub const CLIENT: Ipv4Addr = Ipv4Addr::new(10, 253, 0, 3);
/// The virtual address.
pub const VIP: Ipv4Addr = Ipv4Addr::new(10, 253, 0, 100);
/// The prefix length of the lab's network.
pub const PREFIX: u8 = 24;
/// The echo service's UDP port.
pub const ECHO_PORT: u16 = 7007;

/// Runs `ip` with `args`; its error output on failure.
pub fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run ip (iproute2): {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Moves the calling thread into network namespace `ns` (`/run/netns/<ns>`).
pub fn enter(ns: &str) -> Result<(), String> {
    let path = Path::new("/run/netns").join(ns);
    let f = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    nix::sched::setns(&f, nix::sched::CloneFlags::CLONE_NEWNET)
        .map_err(|e| format!("entering {ns}: {e}"))
}

/// The namespaces (see the module docs).
pub struct Lab {
    prefix: String,
    created: Vec<String>,
}

impl Lab {
    /// Creates the namespaces, the bridge, the links and the addresses. `prefix`: a short
    /// name of the caller's (at most 10 characters), e.g. `bvip<pid>`.
    ///
    /// # Errors
    /// The `ip` command that failed (what was created is removed).
    pub fn create(prefix: &str) -> Result<Lab, String> {
        let mut lab = Lab {
            prefix: prefix.to_owned(),
            created: Vec::new(),
        };
        let s = lab.ns("s");
        for k in ["s", "a", "b", "c"] {
            let name = lab.ns(k);
            ip(&["netns", "add", &name])?;
            lab.created.push(name.clone());
            ip(&["-n", &name, "link", "set", "lo", "up"])?;
        }
        ip(&["-n", &s, "link", "add", "br0", "type", "bridge"])?;
        ip(&["-n", &s, "link", "set", "br0", "up"])?;
        for (k, addr) in [("a", MEMBERS[0]), ("b", MEMBERS[1]), ("c", CLIENT)] {
            let ns = lab.ns(k);
            let port = format!("p{k}");
            ip(&[
                "-n", &s, "link", "add", &port, "type", "veth", "peer", "name", IFACE, "netns", &ns,
            ])?;
            ip(&["-n", &s, "link", "set", &port, "master", "br0"])?;
            ip(&["-n", &s, "link", "set", &port, "up"])?;
            let cidr = format!("{addr}/{PREFIX}");
            ip(&["-n", &ns, "addr", "add", &cidr, "dev", IFACE])?;
            ip(&["-n", &ns, "link", "set", IFACE, "up"])?;
        }
        Ok(lab)
    }

    /// The namespace of `k`: `a`, `b` (members), `c` (client), `s` (bridge).
    pub fn ns(&self, k: &str) -> String {
        format!("{}{k}", self.prefix)
    }

    /// Member `i`'s namespace (0: a, 1: b).
    pub fn member(&self, i: usize) -> String {
        self.ns(if i == 0 { "a" } else { "b" })
    }

    /// A command run inside member `i`'s namespace (`ip netns exec`, which execs it: the
    /// child's pid is the program's).
    pub fn command_in(&self, ns: &str, program: &Path) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns]).arg(program);
        c
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for name in self.created.drain(..).rev() {
            kill_inside(&name);
            let _ = ip(&["netns", "del", &name]);
        }
    }
}

/// SIGKILL to every process in namespace `ns` (the lab's own: nothing else runs there).
fn kill_inside(ns: &str) {
    let pids = Command::new("ip")
        .args(["netns", "pids", ns])
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

/// Best effort: the calling thread real-time (SCHED_FIFO 20), so that the measuring
/// apparatus (the echo services and the client) answers and stamps on time on a busy machine;
/// the nodes under test keep their own scheduling.
fn measuring_thread() {
    use thread_priority::{
        set_thread_priority_and_policy, thread_native_id, RealtimeThreadSchedulePolicy,
        ThreadPriority, ThreadPriorityValue, ThreadSchedulePolicy,
    };
    if let Ok(value) = ThreadPriorityValue::try_from(20u8) {
        let _ = set_thread_priority_and_policy(
            thread_native_id(),
            ThreadPriority::Crossplatform(value),
            ThreadSchedulePolicy::Realtime(RealtimeThreadSchedulePolicy::Fifo),
        );
    }
}

/// Threads that run until dropped.
struct Threads {
    stop: Arc<AtomicBool>,
    handles: Vec<JoinHandle<()>>,
}

impl Drop for Threads {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

/// The echo service in both members: each datagram to [`ECHO_PORT`] is answered with the
/// member's letter (`a` or `b`), unless that member's service is muted (a benchmark's model of
/// a host that crashed or hung with its node).
pub struct Echo {
    _threads: Threads,
    muted: Arc<[AtomicBool; 2]>,
}

impl Echo {
    /// Starts both.
    ///
    /// # Errors
    /// A namespace that cannot be entered or a socket that cannot be bound.
    pub fn start(lab: &Lab) -> Result<Echo, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let muted = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
        let mut handles = Vec::new();
        for (i, letter) in [b'a', b'b'].into_iter().enumerate() {
            let ns = lab.member(i);
            let (tx, rx) = std::sync::mpsc::channel();
            let stop = stop.clone();
            let muted = muted.clone();
            handles.push(std::thread::spawn(move || {
                measuring_thread();
                let socket = enter(&ns).and_then(|()| {
                    let s = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, ECHO_PORT))
                        .map_err(|e| format!("echo in {ns}: {e}"))?;
                    s.set_read_timeout(Some(Duration::from_millis(20)))
                        .map_err(|e| e.to_string())?;
                    Ok(s)
                });
                let socket = match socket {
                    Ok(s) => {
                        let _ = tx.send(Ok(()));
                        s
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                };
                let mut buf = [0u8; 64];
                while !stop.load(Ordering::SeqCst) {
                    if let Ok((n, from)) = socket.recv_from(&mut buf) {
                        if muted[i].load(Ordering::SeqCst) {
                            continue;
                        }
                        let mut answer = vec![letter];
                        answer.extend_from_slice(&buf[..n.min(16)]);
                        let _ = socket.send_to(&answer, from);
                    }
                }
            }));
            rx.recv().map_err(|e| e.to_string())??;
        }
        Ok(Echo {
            _threads: Threads { stop, handles },
            muted,
        })
    }

    /// Mutes (or unmutes) member `i`'s service: it reads and drops what comes.
    pub fn mute(&self, i: usize, muted: bool) {
        self.muted[i % 2].store(muted, Ordering::SeqCst);
    }
}

/// One answer the client got: when, and from which member (`b'a'` or `b'b'`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    /// When it came.
    pub at: Instant,
    /// The member's letter.
    pub from: u8,
}

/// The client asking the VIP's echo service every `period`.
pub struct Prober {
    threads: Threads,
    answers: Arc<std::sync::Mutex<Vec<Answer>>>,
}

impl Prober {
    /// Starts asking (from the client namespace).
    ///
    /// # Errors
    /// The namespace cannot be entered or the socket opened.
    pub fn start(lab: &Lab, period: Duration) -> Result<Prober, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let answers = Arc::new(std::sync::Mutex::new(Vec::new()));
        let ns = lab.ns("c");
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop2, answers2) = (stop.clone(), answers.clone());
        let handle = std::thread::spawn(move || {
            measuring_thread();
            let socket = enter(&ns).and_then(|()| {
                let s = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).map_err(|e| e.to_string())?;
                s.set_nonblocking(true).map_err(|e| e.to_string())?;
                Ok(s)
            });
            let socket = match socket {
                Ok(s) => {
                    let _ = tx.send(Ok(()));
                    s
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            ask(&socket, period, &stop2, &answers2);
        });
        rx.recv().map_err(|e| e.to_string())??;
        Ok(Prober {
            threads: Threads {
                stop,
                handles: vec![handle],
            },
            answers,
        })
    }

    /// The answers so far.
    pub fn answers(&self) -> Vec<Answer> {
        self.answers.lock().map(|a| a.clone()).unwrap_or_default()
    }

    /// Stops asking; every answer.
    pub fn stop(self) -> Vec<Answer> {
        drop(self.threads);
        self.answers.lock().map(|a| a.clone()).unwrap_or_default()
    }
}

/// The client's loop: one datagram to the VIP's echo service every `period`, on time even
/// when nothing answers, and each answer stamped as it arrives. It waits in `ppoll`, whose
/// timeout is exact (a socket's receive timeout is rounded up to the kernel's tick, 4 ms at
/// 250 Hz, which made a client in an outage ask every 4 ms); a late ask is not made up for
/// with a burst (the next is one period after it).
fn ask(socket: &UdpSocket, period: Duration, stop: &AtomicBool, answers: &Mutex<Vec<Answer>>) {
    use nix::poll::{ppoll, PollFd, PollFlags};
    use std::os::fd::AsFd;
    let to = SocketAddr::from((VIP, ECHO_PORT));
    let mut next = Instant::now();
    let mut seq: u64 = 0;
    let mut buf = [0u8; 64];
    while !stop.load(Ordering::SeqCst) {
        let now = Instant::now();
        if now >= next {
            seq += 1;
            let _ = socket.send_to(&seq.to_be_bytes(), to);
            next += period;
            if next <= now {
                next = now + period;
            }
        }
        let wait = next.saturating_duration_since(Instant::now());
        let mut fds = [PollFd::new(socket.as_fd(), PollFlags::POLLIN)];
        if !matches!(ppoll(&mut fds, Some(wait.into()), None), Ok(n) if n > 0) {
            continue;
        }
        while let Ok((n, _)) = socket.recv_from(&mut buf) {
            let at = Instant::now();
            if n > 0 {
                if let Ok(mut a) = answers.lock() {
                    a.push(Answer { at, from: buf[0] });
                }
            }
        }
    }
}

/// What a client saw of a fault at `fault`: the outage from the fault (or the old holder's
/// last answer after it, if later: a switchover's old active serves until it stands down)
/// to the first answer from member `new`; `None` if `new` never answered after the fault.
pub fn outage(answers: &[Answer], fault: Instant, new: u8) -> Option<Duration> {
    let first_new = answers
        .iter()
        .filter(|a| a.at >= fault && a.from == new)
        .map(|a| a.at)
        .min()?;
    let last_old = answers
        .iter()
        .filter(|a| a.at >= fault && a.at <= first_new && a.from != new)
        .map(|a| a.at)
        .max()
        .unwrap_or(fault);
    Some(first_new.saturating_duration_since(last_old))
}

/// One sample of who holds the VIP: member a, then b, then a again (see [`Presence`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// When the sample was taken.
    pub at: Instant,
    /// `[a, b]` held; true for the member read twice only if both of its reads found it.
    pub held: [bool; 2],
}

impl Sample {
    /// Both held the VIP at once.
    pub fn both(&self) -> bool {
        self.held == [true, true]
    }
}

/// Samples, as fast as netlink answers, whether each member holds the VIP. A sample reads
/// one member, the other, then the first again (alternating which is first), and counts the
/// first as holding only if both of its reads found it: a sample with both holding means
/// the second held it while the first did, in between its two reads.
pub struct Presence {
    threads: Threads,
    samples: Arc<std::sync::Mutex<Vec<Sample>>>,
}

impl Presence {
    /// Starts sampling.
    ///
    /// # Errors
    /// A namespace cannot be entered or a netlink socket opened.
    pub fn start(lab: &Lab) -> Result<Presence, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let samples = Arc::new(std::sync::Mutex::new(Vec::new()));
        let names = [lab.member(0), lab.member(1)];
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop2, samples2) = (stop.clone(), samples.clone());
        let handle = std::thread::spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                    return;
                }
            };
            let opened = rt.block_on(async {
                let mut handles = Vec::new();
                for ns in &names {
                    enter(ns)?;
                    let h = super::netlink::connect().map_err(|e| e.to_string())?;
                    let link = super::netlink::link(&h, IFACE)
                        .await
                        .map_err(|e| e.to_string())?;
                    handles.push((h, link.index));
                }
                Ok::<_, String>(handles)
            });
            let handles = match opened {
                Ok(h) => {
                    let _ = tx.send(Ok(()));
                    h
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            let vip = std::net::IpAddr::V4(VIP);
            let mut first = 0;
            while !stop2.load(Ordering::SeqCst) {
                let second = 1 - first;
                let read = |i: usize| {
                    let (h, index) = &handles[i];
                    rt.block_on(super::netlink::present(h, *index, vip))
                        .unwrap_or(false)
                };
                let at = Instant::now();
                let f1 = read(first);
                let s = read(second);
                let f2 = read(first);
                let mut held = [false; 2];
                held[first] = f1 && f2;
                held[second] = s;
                if let Ok(mut v) = samples2.lock() {
                    v.push(Sample { at, held });
                }
                first = second;
            }
        });
        rx.recv().map_err(|e| e.to_string())??;
        Ok(Presence {
            threads: Threads {
                stop,
                handles: vec![handle],
            },
            samples,
        })
    }

    /// The samples so far.
    pub fn samples(&self) -> Vec<Sample> {
        self.samples.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Stops sampling; every sample.
    pub fn stop(self) -> Vec<Sample> {
        drop(self.threads);
        self.samples.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// The member names of the lab's pair, `[a, b]` (a outranks b).
pub const NAMES: [&str; 2] = ["alpha", "beta"];
/// The peer port of each member, on its own address.
pub const PEER_PORT: u16 = 7400;

/// The configuration of member `i` (0: alpha in `a`, 1: beta in `b`): a pair on the lab's
/// addresses, heartbeat `heartbeat_ms` (dead interval three times that), its control socket
/// at `control`, and one `[[vip]]` for [`VIP`] on [`IFACE`] with `vip_keys` added to it
/// (e.g. `probe_ms = 0`).
pub fn node_config(i: usize, heartbeat_ms: u64, control: &Path, vip_keys: &str) -> String {
    format!(
        r#"# baton's VIP lab (node/src/vip/lab.rs): member {name}
name = "{name}"
log = "info"

[[member]]
name = "alpha"
id = "1"
address = "{a}:{PEER_PORT}"

[[member]]
name = "beta"
id = "2"
address = "{b}:{PEER_PORT}"

[timers]
heartbeat_ms = {heartbeat_ms}
dead_interval_ms = {dead}

[listen]
control_socket = "{control}"

[[vip]]
address = "{VIP}/{PREFIX}"
interface = "{IFACE}"
{vip_keys}
"#,
        name = NAMES[i],
        a = MEMBERS[0],
        b = MEMBERS[1],
        dead = 3 * heartbeat_ms,
        control = control.display(),
    )
}

/// Starts `baton node --config CONFIG` (the executable `baton`) in member `i`'s
/// namespace, its standard error appended to `log`, in a process group of its own.
///
/// # Errors
/// The log cannot be opened or the process started.
pub fn start_node(
    lab: &Lab,
    i: usize,
    baton: &Path,
    config: &Path,
    log: &Path,
) -> Result<std::process::Child, String> {
    use std::os::unix::process::CommandExt;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| format!("{}: {e}", log.display()))?;
    lab.command_in(&lab.member(i), baton)
        .arg("node")
        .arg("--config")
        .arg(config)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .process_group(0)
        .spawn()
        .map_err(|e| format!("starting baton node in {}: {e}", lab.member(i)))
}

/// Waits up to `within` for member `holder` (0 or 1) alone to hold the VIP in the latest
/// sample of `presence`; the time it took.
///
/// # Errors
/// Not within the time: the latest sample.
pub fn wait_holder(
    presence: &Presence,
    holder: usize,
    within: Duration,
) -> Result<Duration, String> {
    let start = Instant::now();
    loop {
        let last = presence.samples().last().copied();
        let mut want = [false; 2];
        want[holder] = true;
        if last.is_some_and(|s| s.held == want) {
            return Ok(start.elapsed());
        }
        if start.elapsed() > within {
            return Err(format!(
                "{} did not hold the VIP alone within {within:?}: latest sample {last:?}",
                NAMES[holder]
            ));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outage_runs_from_the_fault_or_the_old_holders_last_answer() {
        let t0 = Instant::now();
        let at = |ms: u64, from: u8| Answer {
            at: t0 + Duration::from_millis(ms),
            from,
        };
        let fault = t0 + Duration::from_millis(10);
        // Crash: the old holder silent from the fault.
        let crash = [at(8, b'a'), at(9, b'a'), at(14, b'b'), at(15, b'b')];
        assert_eq!(outage(&crash, fault, b'b'), Some(Duration::from_millis(4)));
        // Switchover: the old holder answers until 12 ms.
        let planned = [at(9, b'a'), at(11, b'a'), at(12, b'a'), at(15, b'b')];
        assert_eq!(
            outage(&planned, fault, b'b'),
            Some(Duration::from_millis(3))
        );
        // No answer from the new holder after the fault.
        assert_eq!(outage(&[at(5, b'b'), at(11, b'a')], fault, b'b'), None);
        let both = Sample {
            at: t0,
            held: [true, true],
        };
        assert!(
            both.both()
                && !Sample {
                    at: t0,
                    held: [true, false]
                }
                .both()
        );
    }
}
