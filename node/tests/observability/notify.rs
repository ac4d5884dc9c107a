//! Item 3: systemd's notifications (`Type=notify`) on a `NOTIFY_SOCKET` the test binds.

use super::STEP;
use crate::support::*;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::net::UnixDatagram;

/// A `baton node` process with systemd's environment; killed on drop.
struct Unit(Child);

impl Drop for Unit {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "kill {sig} {pid}");
}

/// Every datagram received within `d`.
async fn receive_for(socket: &UnixDatagram, d: Duration) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + d;
    let mut all = Vec::new();
    let mut buf = vec![0u8; 4096];
    while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await {
        all.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    all
}

/// alpha alone under a fake systemd: `STATUS=` at every status change, `READY=1` once it is
/// active, `WATCHDOG=1` every half `WatchdogSec`, `RELOADING=1` then `READY=1` on SIGHUP,
/// `STOPPING=1` on SIGTERM.
#[test]
fn systemd_notifications() {
    let pair = Pair::new("notify");
    let path = pair.dir().join("notify.sock");
    runtime().block_on(async {
        let socket = UnixDatagram::bind(&path).expect("the notify socket");
        let log = std::fs::File::create(&pair.specs[0].log).expect("the log");
        let child = Command::new(BATON)
            .args(["node", "--config"])
            .arg(&pair.specs[0].config)
            .env("RUST_LOG", "info")
            .env("NOTIFY_SOCKET", &path)
            .env("WATCHDOG_USEC", "400000")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("baton node starts");
        let unit = Unit(child);
        let got = receive_for(&socket, Duration::from_millis(2500)).await;
        let (pings, rest): (Vec<String>, Vec<String>) =
            got.into_iter().partition(|m| m == "WATCHDOG=1\n");
        assert_eq!(
            rest,
            [
                "STATUS=negotiating peer=beta:unknown components=1/1\n",
                "STATUS=promoting peer=beta:unknown components=1/1\n",
                "READY=1\n",
                "STATUS=active peer=beta:unknown components=1/1\n",
            ],
            "{}",
            pair.log(0)
        );
        // 2.5 s at one every 200 ms.
        assert!((8..=13).contains(&pings.len()), "{} pings", pings.len());

        signal(unit.0.id(), "-HUP");
        let got = receive_for(&socket, Duration::from_millis(500)).await;
        let rest: Vec<&String> = got.iter().filter(|m| *m != "WATCHDOG=1\n").collect();
        assert_eq!(rest.len(), 2, "{rest:?}");
        let (reloading, usec) = rest[0].split_once('\n').unwrap_or_default();
        assert_eq!(reloading, "RELOADING=1");
        assert!(usec.starts_with("MONOTONIC_USEC="), "{rest:?}");
        assert_eq!(rest[1], "READY=1\n");

        signal(unit.0.id(), "-TERM");
        let got = receive_for(&socket, STEP.min(Duration::from_secs(2))).await;
        let rest: Vec<&String> = got.iter().filter(|m| *m != "WATCHDOG=1\n").collect();
        assert_eq!(rest, ["STOPPING=1\n"]);
    });
}
