//! `baton demo --vip` (as root): a pair of `baton node` moving a built-in `[[vip]]`
//! (PROTOCOL 6.10) in network namespaces it creates and removes (`bvipd<pid>a/b/c/s`, two
//! members and a client on one bridge, [`baton_node::vip::lab`]), while the client asks a
//! UDP echo service at the VIP every millisecond: SIGKILL of the active, then a switchover
//! back, and what the client saw.

use super::{fail, NAMES};
use crate::Failure;
use baton_node::vip::lab::{self, Answer, Echo, Lab, Presence, Prober};
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

/// The pair's heartbeat (dead interval 3 × it).
const HEARTBEAT_MS: u64 = 50;

/// Runs the demo; `keep`: leave the folder (configurations, logs).
#[allow(clippy::disallowed_methods)] // the demo drives real processes on the real clock
pub fn run(keep: bool, step: Duration) -> Result<(), Failure> {
    let dir = std::env::temp_dir().join(format!("baton-demo-vip-{}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| fail(format!("cannot create {}: {e}", dir.display())))?;
    let prefix = format!("bvipd{}", std::process::id() % 100_000);
    let result = Lab::create(&prefix)
        .map_err(|e| fail(format!("--vip needs root and network namespaces: {e}")))
        .and_then(|lab| {
            let mut nodes: [Option<Child>; 2] = [None, None];
            let r = script(&lab, &dir, &mut nodes, step);
            for c in nodes.iter_mut().filter_map(Option::take) {
                stop(c);
            }
            r
        });
    if keep {
        println!("configurations and logs kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

#[allow(clippy::disallowed_methods)] // the demo drives real processes on the real clock
fn stop(mut c: Child) {
    if let Ok(pid) = i32::try_from(c.id()) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGTERM,
        );
    }
    let end = Instant::now() + Duration::from_secs(3);
    while Instant::now() < end {
        if matches!(c.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = c.kill();
    let _ = c.wait();
}

#[allow(clippy::disallowed_methods)] // the demo drives real processes on the real clock
fn script(
    lab: &Lab,
    dir: &Path,
    nodes: &mut [Option<Child>; 2],
    step: Duration,
) -> Result<(), Failure> {
    let say = |s: &str| eprintln!("baton demo --vip: {s}");
    let baton = std::env::current_exe().map_err(|e| fail(format!("cannot find baton: {e}")))?;
    let file = |i: usize, ext: &str| dir.join(format!("{}.{ext}", NAMES[i]));
    for i in 0..2 {
        let text = lab::node_config(i, HEARTBEAT_MS, &file(i, "ctl"), "");
        std::fs::write(file(i, "toml"), text)
            .map_err(|e| fail(format!("cannot write the configuration: {e}")))?;
    }
    let _echo = Echo::start(lab).map_err(fail)?;
    let presence = Presence::start(lab).map_err(fail)?;
    let prober = Prober::start(lab, Duration::from_millis(1)).map_err(fail)?;
    let t0 = Instant::now();
    let start = |i: usize, nodes: &mut [Option<Child>; 2]| -> Result<(), Failure> {
        let c = lab::start_node(lab, i, &baton, &file(i, "toml"), &file(i, "log")).map_err(fail)?;
        nodes[i] = Some(c);
        Ok(())
    };
    say(&format!(
        "namespaces {}a/b (members) {}c (client) {}s (bridge); VIP {}/{} on {}; the client \
         asks udp {}:{} every 1 ms",
        lab.ns(""),
        lab.ns(""),
        lab.ns(""),
        lab::VIP,
        lab::PREFIX,
        lab::IFACE,
        lab::VIP,
        lab::ECHO_PORT
    ));
    let settle = Duration::from_millis(HEARTBEAT_MS * 20);
    start(0, nodes)?;
    lab::wait_holder(&presence, 0, step).map_err(fail)?;
    say("alpha is active and holds the VIP");
    start(1, nodes)?;
    std::thread::sleep(settle);
    say("beta is standby");
    let mut faults = Vec::new();

    let kill_at = Instant::now();
    if let Some(c) = nodes[0].as_ref() {
        let pid = i32::try_from(c.id()).map_err(|e| fail(e.to_string()))?;
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    say(
        "SIGKILL to alpha's node (its guard removes the VIP; beta promotes, adds and announces it)",
    );
    lab::wait_holder(&presence, 1, step).map_err(fail)?;
    let moved = wait_answer(&prober, kill_at, b'b', step)?;
    faults.push(("SIGKILL alpha", kill_at, b'b', moved));
    if let Some(mut c) = nodes[0].take() {
        let _ = c.wait();
    }
    start(0, nodes)?;
    std::thread::sleep(settle);
    say("alpha restarted: standby");

    let switch_at = Instant::now();
    let out = std::process::Command::new(&baton)
        .arg("switchover")
        .arg("--control")
        .arg(file(1, "ctl"))
        .output()
        .map_err(|e| fail(format!("baton switchover: {e}")))?;
    if !out.status.success() {
        return Err(fail(format!(
            "switchover refused: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    say("switchover asked of beta (beta removes the VIP, then alpha adds and announces it)");
    lab::wait_holder(&presence, 0, step).map_err(fail)?;
    let back = wait_answer(&prober, switch_at, b'a', step)?;
    faults.push(("switchover", switch_at, b'a', back));
    std::thread::sleep(Duration::from_millis(200));
    let answers = prober.stop();
    let samples = presence.stop();

    println!(
        "\nbaton demo --vip: what the client saw at {} (ms from the start)\n",
        lab::VIP
    );
    println!("{:>10} {:>10}  answered by", "from", "to");
    for (from, to, who, n) in runs(&answers) {
        let ms = |t: Instant| t.saturating_duration_since(t0).as_secs_f64() * 1e3;
        println!(
            "{:>10.1} {:>10.1}  {} ({n} answers)",
            ms(from),
            ms(to),
            NAMES[usize::from(who == b'b')]
        );
    }
    println!();
    for (what, at, new, _) in &faults {
        match lab::outage(&answers, *at, *new) {
            Some(d) => println!(
                "{what}: the client's outage {:.1} ms (last answer from the old holder to the first from {})",
                d.as_secs_f64() * 1e3,
                NAMES[usize::from(*new == b'b')]
            ),
            None => println!("{what}: no answer from the new holder"),
        }
    }
    let both = samples.iter().filter(|s| s.both()).count();
    println!(
        "the VIP was on both members in {both} of {} samples; namespaces and nodes removed.",
        samples.len()
    );
    Ok(())
}

/// Waits for an answer from `from` after `since`.
#[allow(clippy::disallowed_methods)] // the demo drives real processes on the real clock
fn wait_answer(
    prober: &Prober,
    since: Instant,
    from: u8,
    step: Duration,
) -> Result<Instant, Failure> {
    let end = Instant::now() + step;
    loop {
        if let Some(a) = prober
            .answers()
            .iter()
            .find(|a| a.at >= since && a.from == from)
        {
            return Ok(a.at);
        }
        if Instant::now() > end {
            return Err(fail(format!(
                "the client got no answer from {} within {step:?}",
                NAMES[usize::from(from == b'b')]
            )));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The answers as runs of one member: first, last, who, how many.
fn runs(answers: &[Answer]) -> Vec<(Instant, Instant, u8, usize)> {
    let mut out: Vec<(Instant, Instant, u8, usize)> = Vec::new();
    for a in answers {
        match out.last_mut() {
            Some(run) if run.2 == a.from => {
                run.1 = a.at;
                run.3 += 1;
            }
            _ => out.push((a.at, a.at, a.from, 1)),
        }
    }
    out
}
