//! The built-in VIP component (PROTOCOL 6.10) with real `baton node` processes in network
//! namespaces (created and removed by each test, names `bvip<pid><test>`; needs root): two
//! members and a client on one bridge ([`baton_node::vip::lab`]). The client asks a UDP echo
//! service at the VIP every millisecond and must get its answers from the new active after
//! SIGKILL, SIGSTOP and a switchover of the active; the address is never held by both
//! members in any sample. Only processes this test started are signalled, by pid.
// Real processes, namespaces and clocks, on threads (the lab's samplers are threads too).
#![allow(clippy::disallowed_methods)]

mod support;

use baton_node::vip::lab::{self, Echo, Lab, Presence, Prober};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};
use support::{ensure_debian_package, Scratch, BATON};

/// Everything of one test; the nodes killed, the namespaces removed on drop.
struct Bed {
    nodes: [Option<Child>; 2],
    configs: [PathBuf; 2],
    logs: [PathBuf; 2],
    controls: [PathBuf; 2],
    prober: Option<Prober>,
    presence: Option<Presence>,
    _echo: Echo,
    lab: Lab,
    _dir: Scratch,
}

impl Bed {
    /// The lab `bvip<pid><tag>` and the nodes' files (heartbeat 100 ms: the guard's margin
    /// is then 20 ms, room for `baton vip down` on a busy machine).
    fn new(tag: &str) -> Bed {
        ensure_debian_package("ip", "iproute2");
        let dir = Scratch::new(&format!("vip{tag}"));
        let prefix = format!("bvip{}{tag}", std::process::id() % 100_000);
        let lab = Lab::create(&prefix)
            .unwrap_or_else(|e| panic!("the VIP lab needs root and network namespaces: {e}"));
        let echo = Echo::start(&lab).expect("the echo services start");
        let configs = [0, 1].map(|i| dir.path.join(format!("{}.toml", lab::NAMES[i])));
        let logs = [0, 1].map(|i| dir.path.join(format!("{}.log", lab::NAMES[i])));
        let controls = [0, 1].map(|i| dir.path.join(format!("{}.ctl", lab::NAMES[i])));
        for i in 0..2 {
            let text = lab::node_config(i, 100, &controls[i], "");
            std::fs::write(&configs[i], text).expect("the configuration is written");
        }
        let presence = Presence::start(&lab).expect("sampling starts");
        let prober = Prober::start(&lab, Duration::from_millis(1)).expect("the client starts");
        Bed {
            nodes: [None, None],
            configs,
            logs,
            controls,
            prober: Some(prober),
            presence: Some(presence),
            _echo: echo,
            lab,
            _dir: dir,
        }
    }

    fn start(&mut self, i: usize) {
        let child = lab::start_node(
            &self.lab,
            i,
            BATON.as_ref(),
            &self.configs[i],
            &self.logs[i],
        )
        .expect("baton node starts");
        self.nodes[i] = Some(child);
    }

    fn pid(&self, i: usize) -> i32 {
        let child = self.nodes[i].as_ref().expect("the node runs");
        i32::try_from(child.id()).expect("a pid")
    }

    fn signal(&self, i: usize, signal: nix::sys::signal::Signal) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.pid(i)), signal)
            .expect("the signal is sent");
    }

    fn presence(&self) -> &Presence {
        self.presence.as_ref().expect("sampling")
    }

    fn holder(&self, i: usize, within: Duration) {
        if let Err(e) = lab::wait_holder(self.presence(), i, within) {
            panic!("{e}\n{}", self.logs());
        }
    }

    /// Alpha active and holding the VIP, beta standby, the client answered by alpha.
    fn settled(&mut self) {
        self.start(0);
        self.holder(0, Duration::from_secs(10));
        self.start(1);
        std::thread::sleep(Duration::from_millis(1500));
        self.holder(0, Duration::from_secs(1));
        self.answered_by(b'a', Instant::now(), Duration::from_secs(2));
    }

    /// Waits for an answer from member `from` after `since`: when it came.
    fn answered_by(&self, from: u8, since: Instant, within: Duration) -> Instant {
        let prober = self.prober.as_ref().expect("the client runs");
        let end = Instant::now() + within;
        loop {
            let found = prober
                .answers()
                .iter()
                .find(|a| a.at >= since && a.from == from)
                .map(|a| a.at);
            if let Some(at) = found {
                return at;
            }
            assert!(
                Instant::now() < end,
                "no answer from {} at the VIP within {within:?}\n{}",
                from as char,
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Stops sampling: no sample had both members holding the VIP; the number of samples.
    fn never_both(&mut self) -> usize {
        let samples = self.presence.take().expect("sampling").stop();
        let both: Vec<_> = samples.iter().filter(|s| s.both()).collect();
        assert!(
            both.is_empty(),
            "{} of {} samples had the VIP on both members, first at {:?}\n{}",
            both.len(),
            samples.len(),
            both.first(),
            self.logs()
        );
        samples.len()
    }

    fn logs(&self) -> String {
        self.logs
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(p).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(30).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                format!("--- {}\n{}", p.display(), tail.join("\n"))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Bed {
    fn drop(&mut self) {
        drop(self.prober.take());
        drop(self.presence.take());
        for i in 0..2 {
            if let Some(mut child) = self.nodes[i].take() {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(child.id() as i32),
                    nix::sys::signal::Signal::SIGKILL,
                );
                let _ = child.wait();
            }
        }
        // The lab's drop kills what is left inside (the guards) and removes the namespaces.
    }
}

/// SIGKILL of the active node: its guard removes the VIP (end of its stdin), the standby
/// promotes, adds and announces it; the client is answered by beta.
#[test]
fn sigkill_moves_the_vip_and_it_is_never_on_both() {
    let mut bed = Bed::new("k");
    bed.settled();
    let fault = Instant::now();
    bed.signal(0, nix::sys::signal::Signal::SIGKILL);
    bed.holder(1, Duration::from_secs(5));
    bed.answered_by(b'b', fault, Duration::from_secs(2));
    let n = bed.never_both();
    assert!(n > 100, "only {n} samples");
}

/// SIGSTOP of the active node: its guard removes the VIP after its bound (silence), the
/// standby promotes after the dead interval; after SIGCONT alpha stays standby (beta's
/// generation is newer) and never takes the address back beside beta.
#[test]
fn sigstop_moves_the_vip_and_it_is_never_on_both() {
    let mut bed = Bed::new("s");
    bed.settled();
    let fault = Instant::now();
    bed.signal(0, nix::sys::signal::Signal::SIGSTOP);
    bed.holder(1, Duration::from_secs(5));
    bed.answered_by(b'b', fault, Duration::from_secs(2));
    bed.signal(0, nix::sys::signal::Signal::SIGCONT);
    std::thread::sleep(Duration::from_millis(1500));
    bed.holder(1, Duration::from_secs(1));
    let n = bed.never_both();
    assert!(n > 100, "only {n} samples");
}

/// A planned switchover: alpha removes the VIP, then beta adds and announces it.
#[test]
fn switchover_moves_the_vip_and_it_is_never_on_both() {
    let mut bed = Bed::new("w");
    bed.settled();
    let fault = Instant::now();
    let out = Command::new(BATON)
        .arg("switchover")
        .arg("--control")
        .arg(&bed.controls[0])
        .output()
        .expect("baton switchover runs");
    assert!(
        out.status.success(),
        "switchover: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    bed.holder(1, Duration::from_secs(5));
    bed.answered_by(b'b', fault, Duration::from_secs(2));
    let n = bed.never_both();
    assert!(n > 100, "only {n} samples");
}

/// Another host (the client) already holds the VIP: alpha's activation probes, hears it,
/// refuses to add or announce the address and says who holds it; its promotion fails (as for
/// any component answering failure) and the node keeps running. Once the other host let it
/// go, beta, started then, takes the VIP.
#[test]
fn an_address_another_host_answers_for_is_not_taken() {
    let mut bed = Bed::new("t");
    let client = bed.lab.ns("c");
    let vip = format!("{}/{}", lab::VIP, lab::PREFIX);
    lab::ip(&["-n", &client, "addr", "add", &vip, "dev", lab::IFACE]).expect("the client holds it");
    bed.start(0);
    let end = Instant::now() + Duration::from_secs(10);
    let needle = format!("{} is already answered for by", lab::VIP);
    while !std::fs::read_to_string(&bed.logs[0])
        .unwrap_or_default()
        .contains(&needle)
    {
        assert!(Instant::now() < end, "no refusal logged\n{}", bed.logs());
        std::thread::sleep(Duration::from_millis(20));
    }
    let alive = bed.nodes[0].as_mut().expect("alpha").try_wait();
    assert!(matches!(alive, Ok(None)), "alpha exited: {alive:?}");
    assert!(
        bed.presence().samples().iter().all(|s| !s.held[0]),
        "alpha added the address another host holds"
    );
    let log = std::fs::read_to_string(&bed.logs[0]).unwrap_or_default();
    assert!(log.contains("promotion failed: component 9001"), "{log}");
    lab::ip(&["-n", &client, "addr", "del", &vip, "dev", lab::IFACE]).expect("the client lets go");
    bed.start(1);
    bed.holder(1, Duration::from_secs(10));
    bed.answered_by(b'b', Instant::now(), Duration::from_secs(2));
    bed.never_both();
}

/// `baton check-config` on this host: an interface that does not exist fails (status 1,
/// naming the VIP and the interface); without CAP_NET_ADMIN and CAP_NET_RAW (an
/// unprivileged user) the file is fine but a warning says what the node will lack.
#[test]
fn check_config_names_a_missing_interface_and_missing_privileges() {
    let dir = Scratch::new("vipcc");
    let file = dir.path.join("alpha.toml");
    let write = |interface: &str| {
        let text = lab::node_config(0, 100, &dir.path.join("a.ctl"), "").replace(
            &format!("interface = \"{}\"", lab::IFACE),
            &format!("interface = \"{interface}\""),
        );
        std::fs::write(&file, text).expect("written");
    };
    write("bvipnone0");
    let out = Command::new(BATON)
        .arg("check-config")
        .arg(&file)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "vip[0] ({}): no interface \"bvipnone0\" on this host",
            lab::VIP
        )),
        "{stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "no ok line: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    write("lo");
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ])
        .arg(BATON)
        .arg("check-config")
        .arg(&file)
        .output()
        .expect("setpriv runs (util-linux)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning:")
            && stderr.contains("this process lacks CAP_NET_ADMIN and CAP_NET_RAW"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(": ok: member alpha"));
}

/// IPv6, with `baton vip` by hand in the lab: `up` adds the address (no duplicate address
/// detection: it is usable at once) and sends an unsolicited neighbour advertisement that moves
/// the client's neighbour entry; a second member's `up` hears the holder's answer to its
/// solicitation and refuses, naming it; `down` removes the address, and `check` follows.
#[test]
fn ipv6_vip_by_hand_is_added_announced_and_guarded_against_a_holder() {
    ensure_debian_package("ip", "iproute2");
    let prefix = format!("bvip{}6", std::process::id() % 100_000);
    let lab = Lab::create(&prefix).expect("the VIP lab (root, network namespaces)");
    let client = lab.ns("c");
    lab::ip(&[
        "-n",
        &client,
        "addr",
        "add",
        "2001:db8::3/64",
        "dev",
        lab::IFACE,
        "nodad",
    ])
    .expect("the client's IPv6 address");
    let vip = "2001:db8::100/64";
    let baton = |i: usize, args: &[&str]| {
        Command::new("ip")
            .args(["netns", "exec", &lab.member(i), BATON, "vip"])
            .args(args)
            .args(["--interface", lab::IFACE, vip])
            .output()
            .expect("baton vip runs")
    };
    let mac = |ns: &str| {
        let out = Command::new("ip")
            .args(["-n", ns, "link", "show", lab::IFACE])
            .output()
            .expect("ip link");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.split_whitespace()
            .skip_while(|w| *w != "link/ether")
            .nth(1)
            .expect("a hardware address")
            .to_owned()
    };
    let neigh = || {
        let out = Command::new("ip")
            .args(["-n", &client, "-6", "neigh", "show", "2001:db8::100"])
            .output()
            .expect("ip neigh");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let ok = |o: &std::process::Output| {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    assert!(!baton(0, &["check", "--role", "active"]).status.success());
    ok(&baton(0, &["up"]));
    ok(&baton(0, &["check", "--role", "active"]));
    // The client reaches the address (its neighbour entry now names member a).
    let sent = std::thread::spawn({
        let client = client.clone();
        move || {
            lab::enter(&client)?;
            let s = std::net::UdpSocket::bind("[::]:0").map_err(|e| e.to_string())?;
            s.send_to(b"x", "[2001:db8::100]:9")
                .map_err(|e| e.to_string())
        }
    })
    .join()
    .expect("the client thread");
    sent.expect("the client sends to the VIP");
    let (a, b) = (mac(&lab.member(0)), mac(&lab.member(1)));
    let end = Instant::now() + Duration::from_secs(3);
    while !neigh().contains(&a) {
        assert!(Instant::now() < end, "client neighbour entry: {}", neigh());
        std::thread::sleep(Duration::from_millis(20));
    }
    let refused = baton(1, &["up"]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains(&format!("2001:db8::100 is already answered for by {a}")),
        "{stderr}"
    );
    ok(&baton(0, &["down"]));
    assert!(!baton(0, &["check", "--role", "active"]).status.success());
    ok(&baton(1, &["up"]));
    ok(&baton(1, &["check", "--role", "active"]));
    // The unsolicited advertisement moved the client's entry to member b.
    let entry = neigh();
    assert!(
        entry.contains(&b),
        "client neighbour entry after the move: {entry}"
    );
}
