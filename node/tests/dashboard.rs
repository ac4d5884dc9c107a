//! The dashboard (issue 19): `GET /status.json` and the page `GET /` of a running pair, read
//! by a real browser (headless Chromium, Debian `chromium`, installed by the test when
//! missing) before and after a switchover; the roles are checked in the rendered DOM, and a
//! screenshot of each is kept under the target directory
//! (`target/tmp/dashboard-{before,after}.png`).

mod support;

use baton_status::State;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use support::*;

const STEP: Duration = Duration::from_secs(10);
/// A browser's start and render, on a loaded machine.
const BROWSER: Duration = Duration::from_secs(90);

/// `GET /status.json`, parsed.
async fn document(address: SocketAddr) -> serde_json::Value {
    let (head, body) = http_get(address, "/status.json", STEP).await;
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("Content-Type: application/json"), "{head}");
    serde_json::from_str(&body).expect("status.json is JSON")
}

/// `(name, state)` of every member in a `status.json`.
fn members(doc: &serde_json::Value) -> Vec<(String, String)> {
    let all = doc["members"].as_array().expect("members");
    all.iter()
        .map(|m| {
            let s = |k: &str| m[k].as_str().unwrap_or("?").to_owned();
            (s("name"), s("state"))
        })
        .collect()
}

/// The browser, installed with apt-get when it is missing (the test fails if it cannot be).
fn chromium() -> &'static str {
    const NAME: &str = "chromium";
    ensure_debian_package(NAME, "chromium");
    NAME
}

/// Runs headless Chromium on `url` with `args` (JavaScript runs for up to 3 s of virtual
/// time first); its standard output.
async fn browse(url: &str, args: &[&str]) -> String {
    let profile = tempdir("dashboard-profile");
    let out = tokio::process::Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--window-size=1100,900",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(BROWSER, out)
        .await
        .expect("chromium ends in time")
        .expect("chromium runs");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        out.status.success(),
        "chromium {args:?} {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn tempdir(tag: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// The rendered page of the node at `address`: its DOM after the first polls.
async fn rendered(address: SocketAddr) -> String {
    browse(&format!("http://{address}/"), &["--dump-dom"]).await
}

/// A screenshot of the page, kept as a test artifact at `target/tmp/NAME.png`.
async fn screenshot(address: SocketAddr, name: &str) {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.png"));
    let _ = std::fs::remove_file(&path);
    browse(
        &format!("http://{address}/"),
        &[&format!("--screenshot={}", path.display())],
    )
    .await;
    let png = std::fs::read(&path).expect("the screenshot is written");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "a PNG at {}",
        path.display()
    );
}

/// Renders the page until it shows `want` (the role badge and each member's row), up to
/// three times: on a loaded machine a browser's first polls can be slow enough that the
/// page is read while the pair still settles. Fails with the last DOM otherwise.
async fn rendered_until(address: SocketAddr, want: &(String, Vec<(String, String)>)) -> String {
    let mut dom = String::new();
    for _ in 0..3 {
        dom = rendered(address).await;
        if &rendered_roles(&dom) == want {
            return dom;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(&rendered_roles(&dom), want, "{dom}");
    dom
}

/// The role badge and each member's row, as the browser rendered them.
fn rendered_roles(dom: &str) -> (String, Vec<(String, String)>) {
    let badge = dom
        .split("id=\"role\"")
        .nth(1)
        .and_then(|rest| rest.split('>').nth(1))
        .and_then(|text| text.split('<').next())
        .unwrap_or("?")
        .to_owned();
    let rows = dom
        .split("<tr data-member=\"")
        .skip(1)
        .map(|row| {
            let name = row.split('"').next().unwrap_or("?").to_owned();
            let state = row
                .split("data-state=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .unwrap_or("?")
                .to_owned();
            (name, state)
        })
        .collect();
    (badge, rows)
}

#[test]
fn the_dashboard_shows_a_switchover_in_a_browser() {
    let mut pair = Pair::new("dashboard");
    let metrics = with_metrics(&pair);
    runtime().block_on(async {
        let mut watch = Watch::start(&pair);
        start_alpha_then_beta(&mut pair, &mut watch).await;

        let doc = document(metrics[0]).await;
        assert_eq!(doc["version"], 1, "{doc}");
        assert_eq!(doc["member"], "alpha", "{doc}");
        assert_eq!(doc["role"], "active", "{doc}");
        let want = |a: &str, b: &str| vec![("alpha".into(), a.into()), ("beta".into(), b.into())];
        assert_eq!(members(&doc), want("active", "standby"), "{doc}");
        assert_eq!(doc["components"][0]["id"], "1001", "{doc}");
        assert_eq!(doc["components"][0]["health"], "ok", "{doc}");
        assert_eq!(doc["components"][0]["role"], "active", "{doc}");

        rendered_until(
            metrics[0],
            &("active".to_owned(), want("active", "standby")),
        )
        .await;
        screenshot(metrics[0], "dashboard-before").await;

        let out = tokio::process::Command::new(BATON)
            .args(["switchover", "--wait", "--config"])
            .arg(&pair.specs[0].config)
            .stdin(Stdio::null())
            .output()
            .await
            .expect("baton switchover runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        watch
            .until("beta active, alpha standby", STEP, |s| {
                is(&s[1], State::Active) && is(&s[0], State::Standby)
            })
            .await;

        let after = rendered_until(
            metrics[0],
            &("standby".to_owned(), want("standby", "active")),
        )
        .await;
        assert!(
            after.contains("switchover asked"),
            "the cause is shown: {after}"
        );
        screenshot(metrics[0], "dashboard-after").await;

        let doc = document(metrics[1]).await;
        assert_eq!(doc["role"], "active", "{doc}");
        let last = doc["history"].as_array().and_then(|h| h.last()).cloned();
        assert_eq!(
            last.map(|t| t["to"].clone()),
            Some("active".into()),
            "{doc}"
        );
    });
}

/// `METHOD path` on the listener: the response head.
async fn http_request(address: SocketAddr, method: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(address)
        .await
        .expect("the listener accepts");
    let request = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n");
    s.write_all(request.as_bytes()).await.expect("sent");
    let mut answer = String::new();
    tokio::time::timeout(STEP, s.read_to_string(&mut answer))
        .await
        .expect("an answer in time")
        .expect("the answer is read");
    answer.split("\r\n\r\n").next().unwrap_or("").to_owned()
}

/// Nothing on the listener changes state: anything but GET and HEAD is refused.
#[test]
fn the_dashboard_is_read_only() {
    let mut pair = Pair::new("dashboard-ro");
    let metrics = with_metrics(&pair);
    runtime().block_on(async {
        let mut watch = Watch::start(&pair);
        start_alpha_then_beta(&mut pair, &mut watch).await;
        for (method, path) in [
            ("POST", "/status.json"),
            ("PUT", "/"),
            ("DELETE", "/metrics"),
        ] {
            let head = http_request(metrics[0], method, path).await;
            assert!(
                head.starts_with("HTTP/1.1 405 Method Not Allowed"),
                "{method} {path}: {head}"
            );
        }
        let (head, body) = http_get(metrics[0], "/", STEP).await;
        assert!(head.contains("Content-Type: text/html"), "{head}");
        assert!(body.contains("status.json"), "{body}");
        assert_eq!(
            watch.words()[0],
            Some(State::Active),
            "nothing changed alpha's role"
        );
    });
}
