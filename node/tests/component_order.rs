//! Components in order (issue 15 item 8, PROTOCOL 6.1 *Components in order*) with real
//! `baton node` processes on loopback: an application and a VIP `after` it, two script
//! components whose hooks append `<word> <nanoseconds>` to a file. The application's
//! `activate` and the VIP's `deactivate` are slow (300 ms): without the order, the VIP would
//! be up before the application and the application down before the VIP.

mod support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use support::{runtime, start_alpha_then_beta, Pair, Watch, BATON};

/// Longest any one step may take.
const STEP: Duration = Duration::from_secs(10);

/// Appends the application (2001) and the VIP (2002, after 2001) to node `i`'s file; returns
/// the file their hooks write.
fn add_components(pair: &Pair, i: usize) -> PathBuf {
    let file = pair.dir().join(format!("{}.order", pair.specs[i].name));
    let log = |word: &str, sleep: bool| {
        let pause = if sleep { "sleep 0.3; " } else { "" };
        format!("{pause}echo {word} $(date +%s%N) >> {}", file.display())
    };
    let tables = format!(
        r#"
[[component]]
id = "2001"
activate = {:?}
deactivate = {:?}

[[component]]
id = "2002"
after = ["2001"]
activate = {:?}
deactivate = {:?}
"#,
        log("app-up", true),
        log("app-down", false),
        log("vip-up", false),
        log("vip-down", true),
    );
    let path = &pair.specs[i].config;
    let text = std::fs::read_to_string(path).expect("the file");
    std::fs::write(path, text + &tables).expect("written");
    file
}

/// The words of `file` in order, checking that the times never go back.
fn words(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let mut last = 0u128;
    let mut out = Vec::new();
    for line in text.lines() {
        let (word, t) = line.split_once(' ').expect("<word> <ns>");
        let t: u128 = t.parse().expect("nanoseconds");
        assert!(t >= last, "time went back in {text}");
        last = t;
        out.push(word.to_owned());
    }
    out
}

/// Waits until `file` holds exactly `want`.
async fn becomes(file: &Path, want: &[&str]) {
    let deadline = tokio::time::Instant::now() + STEP;
    loop {
        let got = words(file);
        if got == want {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline && got.len() < want.len(),
            "{}: {got:?}, want {want:?}",
            file.display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[test]
fn the_vip_comes_up_after_the_application_and_goes_down_before_it() {
    let mut pair = Pair::new("order");
    let files = [add_components(&pair, 0), add_components(&pair, 1)];
    runtime().block_on(async {
        let mut watch = Watch::start(&pair);
        start_alpha_then_beta(&mut pair, &mut watch).await;
        // Clean-up at start in the order of a demotion, then alpha's promotion in order;
        // beta's standby round in reverse.
        let cleanup = ["vip-down", "app-down"];
        becomes(&files[0], &[&cleanup[..], &["app-up", "vip-up"]].concat()).await;
        becomes(&files[1], &[&cleanup[..], &cleanup[..]].concat()).await;

        let config = pair.specs[0].config.display().to_string();
        let status = tokio::process::Command::new(BATON)
            .args(["switchover", "--config", &config, "--wait"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .status();
        let status = tokio::time::timeout(STEP, status).await.expect("in time");
        assert!(status.expect("baton runs").success());
        becomes(
            &files[0],
            &[&cleanup[..], &["app-up", "vip-up", "vip-down", "app-down"]].concat(),
        )
        .await;
        becomes(
            &files[1],
            &[&cleanup[..], &cleanup[..], &["app-up", "vip-up"]].concat(),
        )
        .await;
    });
}
