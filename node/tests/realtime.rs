//! `realtime = true` with real `baton node` processes (issue 15 item 10; OPERATIONS
//! "Real-time scheduling"): the node's loop and its script guard run SCHED_FIFO at the
//! configured priority with their memory locked, while the hooks they start run SCHED_OTHER;
//! a node without it runs normally. Read from `/proc` (the policy and priority fields of
//! `stat`, `VmLck` of `status`); the tests run as root, as the privilege is needed.

mod support;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::time::Duration;
use support::*;
use tokio::time::Instant;

const STEP: Duration = Duration::from_secs(10);
const SCHED_OTHER: u64 = 0;
const SCHED_FIFO: u64 = 1;

/// `(policy, rt_priority)` of the task whose `stat` is `text` (proc(5): fields 41 and 40,
/// counted after the command name, which may hold spaces).
fn policy(text: &str) -> Option<(u64, u64)> {
    let (_, rest) = text.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state).
    Some((fields.get(38)?.parse().ok()?, fields.get(37)?.parse().ok()?))
}

/// The policy of thread `tid` of process `pid`.
fn thread_policy(pid: u32, tid: u32) -> (u64, u64) {
    let path = format!("/proc/{pid}/task/{tid}/stat");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    policy(&text).unwrap_or_else(|| panic!("{path}: no policy in {text:?}"))
}

/// The locked memory of process `pid`, in kB (`VmLck`).
fn locked_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmLck:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// These tests need root (the privilege to raise the policy and lock memory, and to drop it
/// with `setpriv`): a clear failure otherwise, not a skip.
fn as_root() {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").map_or(u32::MAX, |m| m.uid());
    assert_eq!(uid, 0, "the realtime tests run as root (uid {uid} here)");
}

/// Waits for a file written by a hook, and reads the policy in it.
async fn hook_policy(path: &Path) -> (u64, u64) {
    let deadline = Instant::now() + STEP;
    loop {
        if let Some(p) = std::fs::read_to_string(path)
            .ok()
            .as_deref()
            .and_then(policy)
        {
            return p;
        }
        assert!(
            Instant::now() < deadline,
            "{} never written",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The pid of the guard node `i` started (its `guard started pid=N` line).
async fn guard_pid(pair: &Pair, i: usize) -> u32 {
    let deadline = Instant::now() + STEP;
    loop {
        let log = pair.log(i);
        let pid = log
            .lines()
            .filter(|l| l.contains("guard started"))
            .find_map(|l| {
                l.split("pid=")
                    .nth(1)?
                    .split_whitespace()
                    .next()?
                    .parse()
                    .ok()
            });
        if let Some(pid) = pid {
            return pid;
        }
        assert!(Instant::now() < deadline, "no guard: {log}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Gives node `i` the top-level `lines`, and a `check` hook that copies its own `stat`
/// (the hook's shell) to `stat_file`.
fn configure(pair: &Pair, i: usize, lines: &str, stat_file: &Path) {
    let path = &pair.specs[i].config;
    let text = std::fs::read_to_string(path).expect("the configuration");
    let check = format!(
        "check = \"cat /proc/$$/stat > {f}.tmp && mv {f}.tmp {f}\"",
        f = stat_file.display()
    );
    let text = text
        .replacen("log = \"info\"\n", &format!("log = \"info\"\n{lines}\n"), 1)
        .replacen("check = \"true\"", &check, 1);
    std::fs::write(path, text).expect("the configuration is written");
}

/// Alpha with `realtime = true` (priority 17), beta without: alpha's loop and guard run
/// SCHED_FIFO 17 with memory locked, beta's run SCHED_OTHER; every hook runs SCHED_OTHER.
#[test]
fn realtime_node_and_guard_normal_hooks() {
    as_root();
    runtime().block_on(async {
        let mut pair = Pair::new("realtime");
        let stats = [0, 1].map(|i| pair.dir().join(format!("{}.hook.stat", NAMES[i])));
        configure(
            &pair,
            0,
            "realtime = true\nrealtime_priority = 17",
            &stats[0],
        );
        configure(&pair, 1, "", &stats[1]);
        pair.start(0);
        pair.start(1);
        pair.component_becomes(0, "active", STEP).await;
        let [alpha, beta] = [0, 1].map(|i| pair.pid(i).expect("running"));

        assert_eq!(thread_policy(alpha, alpha), (SCHED_FIFO, 17));
        assert!(locked_kb(alpha) > 0, "alpha's memory is not locked");
        let guard = guard_pid(&pair, 0).await;
        assert_eq!(thread_policy(guard, guard), (SCHED_FIFO, 17));
        assert!(locked_kb(guard) > 0, "alpha's guard's memory is not locked");
        assert_eq!(hook_policy(&stats[0]).await, (SCHED_OTHER, 0));
        let log = pair.log(0);
        assert!(
            log.contains("realtime: memory locked, SCHED_FIFO priority=17"),
            "{log}"
        );
        assert!(!log.contains("WARN realtime"), "{log}");

        assert_eq!(thread_policy(beta, beta), (SCHED_OTHER, 0));
        assert_eq!(locked_kb(beta), 0);
        let guard = guard_pid(&pair, 1).await;
        assert_eq!(thread_policy(guard, guard), (SCHED_OTHER, 0));
        assert_eq!(hook_policy(&stats[1]).await, (SCHED_OTHER, 0));
        pair.kill(0);
        pair.kill(1);
    });
}

/// `check-config` names the realtime setting; a priority out of range or without
/// `realtime = true` is refused with its line and key.
#[test]
fn check_config_reads_realtime() {
    let pair = Pair::new("rtcheck");
    let config = &pair.specs[0].config;
    let text = std::fs::read_to_string(config).expect("the configuration");
    let check = |top: &str| {
        let file = pair.dir().join("rt.toml");
        let edited = text.replacen("log = \"info\"\n", &format!("log = \"info\"\n{top}\n"), 1);
        std::fs::write(&file, edited).expect("written");
        let out = std::process::Command::new(BATON)
            .arg("check-config")
            .arg(&file)
            .output()
            .expect("check-config runs");
        let text = String::from_utf8_lossy(if out.status.success() {
            &out.stdout
        } else {
            &out.stderr
        });
        (out.status.code(), text.trim().to_owned())
    };
    let (code, out) = check("realtime = true");
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(", realtime (SCHED_FIFO 10, memory locked),"),
        "{out}"
    );
    let (code, out) = check("");
    assert_eq!(code, Some(0), "{out}");
    assert!(!out.contains("realtime"), "{out}");
    let (code, out) = check("realtime = true\nrealtime_priority = 100");
    assert_eq!(code, Some(2));
    assert!(
        out.ends_with("rt.toml:5:21: realtime_priority: 100: must be 1 to 99 (SCHED_FIFO)"),
        "{out}"
    );
    let (code, out) = check("realtime_priority = 5");
    assert_eq!(code, Some(2));
    assert!(
        out.ends_with("rt.toml:4:21: realtime_priority: needs realtime = true"),
        "{out}"
    );
}

/// Without the privilege (root without `CAP_SYS_NICE` and `CAP_IPC_LOCK`, `RLIMIT_MEMLOCK`
/// 64 kB, `RLIMIT_RTPRIO` 0) the node logs a warning for each and runs on, normally
/// scheduled, and takes the service.
#[test]
fn realtime_without_privilege_warns_and_runs() {
    as_root();
    runtime().block_on(async {
        let pair = Pair::new("rtdenied");
        let stat = pair.dir().join("hook.stat");
        configure(&pair, 0, "realtime = true", &stat);
        let spec = &pair.specs[0];
        let log = std::fs::File::create(&spec.log).expect("the log");
        let mut node = std::process::Command::new("prlimit")
            .args(["--memlock=65536:65536", "--rtprio=0:0", "--"])
            .args(["setpriv", "--bounding-set=-sys_nice,-ipc_lock", "--"])
            .arg(BATON)
            .arg("node")
            .arg("--config")
            .arg(&spec.config)
            .env("RUST_LOG", "info")
            .stdin(std::process::Stdio::null())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("the node starts");
        pair.component_becomes(0, "active", STEP).await;
        let pid = node.id();
        assert_eq!(thread_policy(pid, pid), (SCHED_OTHER, 0));
        assert_eq!(locked_kb(pid), 0);
        assert_eq!(hook_policy(&stat).await, (SCHED_OTHER, 0));
        let log = pair.log(0);
        assert!(
            log.contains(
                "WARN realtime: normal scheduling kept: SCHED_FIFO priority 10: Operation not \
                 permitted: needs CAP_SYS_NICE or RLIMIT_RTPRIO >= 10 (systemd: LimitRTPRIO=10)"
            ),
            "{log}"
        );
        assert!(
            log.contains("WARN realtime: memory not locked: mlockall: "),
            "{log}"
        );
        assert!(!log.contains("realtime: memory locked"), "{log}");
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .status();
        let _ = node.wait();
    });
}
