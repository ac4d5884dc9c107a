//! `baton demo`: a real pair of `baton node` processes on loopback failing over, with a
//! timeline of what was measured. Needs no configuration; leaves no process behind. With
//! `--tls`, the pair runs with mutual TLS on certificates made in its folder ([`tls`]): the
//! watchers use an admin client's certificate, the switchover goes over the control TCP
//! listener, and a connection without a certificate is shown refused.

mod counter;
mod nodes;
mod tls;
mod vip;

use crate::Failure;
use baton_node::watch::{watch_with, Sample};
use baton_status::State;
use counter::Counters;
use nodes::Nodes;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Arguments of `baton demo`.
#[derive(clap::Args)]
pub struct DemoArgs {
    /// Print the timeline as one JSON document.
    #[arg(long)]
    json: bool,
    /// Keep the demo's folder (configurations, logs) instead of removing it.
    #[arg(long)]
    keep: bool,
    /// Longest wait for any one step, in ms.
    #[arg(long, default_value_t = 10_000)]
    step_timeout_ms: u64,
    /// Mutual TLS on every TCP link, with certificates made in the demo's folder.
    #[arg(long)]
    tls: bool,
    /// Instead: (as root) a built-in [[vip]] moving between the pair in network namespaces
    /// the demo creates and removes, and what a client asking the VIP every millisecond saw.
    #[arg(long, conflicts_with_all = ["tls", "json"])]
    vip: bool,
}

const NAMES: [&str; 2] = ["alpha", "beta"];

fn fail(message: String) -> Failure {
    Failure { message, status: 1 }
}

fn free_port() -> Result<u16, Failure> {
    baton_node::loopback::free_port().map_err(|e| fail(format!("no free loopback port: {e}")))
}

fn write_configs(
    dir: &Path,
    peer: [u16; 2],
    status: [u16; 2],
    control_tcp: Option<[u16; 2]>,
) -> Result<(), Failure> {
    for (i, name) in NAMES.iter().enumerate() {
        let d = dir.display();
        let mut text = format!(
            r#"# baton demo: member {name}
name = "{name}"
log = "info"

[[member]]
name = "alpha"
id = "1"
address = "127.0.0.1:{p0}"

[[member]]
name = "beta"
id = "2"
address = "127.0.0.1:{p1}"

[listen]
component_socket = "{d}/{name}.sock"
status = "127.0.0.1:{s}"
control_socket = "{d}/{name}.ctl"

# A script component: what an existing service gains without code.
[[component]]
id = "1001"
severity = "fatal"
activate = "echo active > {d}/app-{name}.state"
deactivate = "echo standby > {d}/app-{name}.state"
check = "true"
{counter}"#,
            counter = counter::table(),
            p0 = peer[0],
            p1 = peer[1],
            s = status[i],
        );
        if let Some(control) = control_tcp {
            text = text.replace(
                "[listen]\n",
                &format!("[listen]\ncontrol_tcp = \"127.0.0.1:{}\"\n", control[i]),
            );
            text.push_str(&tls::table(name));
        }
        std::fs::write(dir.join(format!("{name}.toml")), text)
            .map_err(|e| fail(format!("cannot write the configuration: {e}")))?;
    }
    Ok(())
}

/// The latest state of each node, fed by the watchers.
struct Seen {
    rx: mpsc::UnboundedReceiver<Sample>,
    state: [Option<State>; 2],
    timeout: Duration,
}

impl Seen {
    /// Waits until `pred` holds; returns when it first did.
    async fn until(
        &mut self,
        what: &str,
        pred: impl Fn(&[Option<State>; 2]) -> bool,
    ) -> Result<Instant, Failure> {
        let deadline = Instant::now() + self.timeout;
        loop {
            if pred(&self.state) {
                return Ok(Instant::now());
            }
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(sample)) => {
                    self.state[sample.node] = sample.status.map(|s| s.state);
                    if pred(&self.state) {
                        return Ok(sample.at);
                    }
                }
                Ok(None) => return Err(fail("status watchers stopped".into())),
                Err(_) => {
                    return Err(fail(format!(
                        "step {what:?} did not happen within {:?} (alpha: {:?}, beta: {:?})",
                        self.timeout, self.state[0], self.state[1]
                    )))
                }
            }
        }
    }
}

struct Step {
    name: &'static str,
    ms: f64,
    detail: String,
}

fn ms(from: Instant, to: Instant) -> f64 {
    to.saturating_duration_since(from).as_secs_f64() * 1000.0
}

fn is(s: Option<State>, want: State) -> bool {
    s == Some(want)
}

/// `baton demo`.
pub fn run(args: &DemoArgs) -> Result<(), Failure> {
    if args.vip {
        return vip::run(args.keep, Duration::from_millis(args.step_timeout_ms));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(format!("cannot start the runtime: {e}")))?;
    let dir = std::env::temp_dir().join(format!("baton-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| fail(format!("cannot create {}: {e}", dir.display())))?;
    let mut nodes = Nodes {
        dir: dir.clone(),
        children: [None, None],
        keep: args.keep,
    };
    let result = runtime.block_on(script(&mut nodes, args));
    for i in 0..2 {
        nodes.stop(i, Duration::from_secs(3));
    }
    drop(nodes);
    let steps = result?;
    if args.json {
        let doc = serde_json::json!({
            "ok": true,
            "steps": steps.iter().map(|s| serde_json::json!({"name": s.name, "ms": (s.ms * 10.0).round() / 10.0, "detail": s.detail})).collect::<Vec<_>>(),
        });
        println!("{doc}");
    } else {
        println!("\nbaton demo: timeline (ms measured on this machine)\n");
        println!("{:<12} {:>9}  what happened", "step", "ms");
        for s in &steps {
            println!("{:<12} {:>9.1}  {}", s.name, s.ms, s.detail);
        }
        println!("\nevery step happened; both nodes stopped.");
        if args.keep {
            println!("configurations and logs kept in {}", dir.display());
        }
    }
    Ok(())
}

async fn script(nodes: &mut Nodes, args: &DemoArgs) -> Result<Vec<Step>, Failure> {
    use State::{Active, Standby};
    let say = |s: &str| {
        if !args.json {
            eprintln!("baton demo: {s}");
        }
    };
    let peer = [free_port()?, free_port()?];
    let status = [free_port()?, free_port()?];
    let control_tcp = [free_port()?, free_port()?];
    let client_tls = if args.tls {
        say("making a cluster CA, alpha's and beta's certificates, an admin client's");
        Some(tls::make(&nodes.dir, &NAMES)?)
    } else {
        None
    };
    write_configs(
        &nodes.dir,
        peer,
        status,
        client_tls.as_ref().map(|_| control_tcp),
    )?;
    let (tx, rx) = mpsc::unbounded_channel();
    for (i, port) in status.iter().enumerate() {
        let addr: SocketAddr = ([127, 0, 0, 1], *port).into();
        tokio::spawn(watch_with(i, addr, client_tls.clone(), tx.clone()));
    }
    let mut seen = Seen {
        rx,
        state: [None, None],
        timeout: Duration::from_millis(args.step_timeout_ms),
    };
    let mut steps = Vec::new();

    say("starting alpha and beta (script component 1001 on each)");
    // The replicated counter (component 1002) connects to each node once it is up.
    let counters = Counters::start(&nodes.dir).await?;
    let t = Instant::now();
    nodes.spawn(0)?;
    nodes.spawn(1)?;
    let at = seen
        .until("election", |s| {
            (is(s[0], Active) && is(s[1], Standby)) || (is(s[1], Active) && is(s[0], Standby))
        })
        .await?;
    let active = if is(seen.state[0], Active) { 0 } else { 1 };
    let standby = 1 - active;
    steps.push(Step {
        name: "election",
        ms: ms(t, at),
        detail: format!(
            "{} active, {} standby (from process start)",
            NAMES[active], NAMES[standby]
        ),
    });
    let counting = counters.counting_past(active, 2, seen.timeout).await?;
    steps.push(Step {
        name: "counter",
        ms: ms(at, counting),
        detail: format!(
            "{}'s component {} counts, each value replicated (sync) to {}",
            NAMES[active],
            counter::ID,
            NAMES[standby]
        ),
    });
    // A standby node behind the active's repertory is not promoted (PROTOCOL 6.11).
    caught_up(&nodes.dir, standby, seen.timeout).await?;
    say(&format!(
        "{} is active; killing it with SIGKILL",
        NAMES[active]
    ));

    let t = Instant::now();
    nodes.kill(active);
    let at = seen.until("failover", |s| is(s[standby], Active)).await?;
    steps.push(Step {
        name: "failover",
        ms: ms(t, at),
        detail: format!(
            "SIGKILL of {} until {} reported active",
            NAMES[active], NAMES[standby]
        ),
    });
    let last = counters.stopped(active, seen.timeout).await?;
    let resumed = counters.counting_past(standby, last, seen.timeout).await?;
    steps.push(Step {
        name: "counter",
        ms: ms(at, resumed),
        detail: format!(
            "{}'s component restored {} ({}'s last acknowledged: {last}) and counts on",
            NAMES[standby],
            counters.restored(standby, last)?,
            NAMES[active]
        ),
    });
    say(&format!(
        "{} took over; restarting {}",
        NAMES[standby], NAMES[active]
    ));

    let t = Instant::now();
    nodes.spawn(active)?;
    let at = seen
        .until("veto", |s| is(s[active], Standby) && is(s[standby], Active))
        .await?;
    steps.push(Step {
        name: "veto",
        ms: ms(t, at),
        detail: format!(
            "{} restarted and was vetoed into standby; {} stayed active",
            NAMES[active], NAMES[standby]
        ),
    });
    if client_tls.is_some() {
        say(&format!(
            "a connection without a certificate to {}'s peer port",
            NAMES[standby]
        ));
        let t = Instant::now();
        let refused = tls::plain_refused(([127, 0, 0, 1], peer[standby]).into()).await?;
        if !(is(seen.state[active], Standby) && is(seen.state[standby], Active)) {
            return Err(fail(
                "the roles changed after a connection without a certificate".into(),
            ));
        }
        steps.push(Step {
            name: "refused",
            ms: ms(t, refused),
            detail: format!(
                "no certificate: {}'s peer port closed the connection; roles unchanged",
                NAMES[standby]
            ),
        });
    }
    caught_up(&nodes.dir, active, seen.timeout).await?;
    say(&format!("planned switchover back to {}", NAMES[active]));

    let t = Instant::now();
    let answer = match &client_tls {
        None => {
            let control = nodes.dir.join(format!("{}.ctl", NAMES[standby]));
            control_command(&control, "switchover").await?
        }
        Some(tls) => {
            let address = ([127, 0, 0, 1], control_tcp[standby]).into();
            tls::remote_command(address, tls, "switchover").await?
        }
    };
    if !answer.starts_with("ok") {
        return Err(fail(format!("switchover refused: {answer}")));
    }
    let at = seen
        .until("switchover", |s| {
            is(s[active], Active) && is(s[standby], Standby)
        })
        .await?;
    steps.push(Step {
        name: "switchover",
        ms: ms(t, at),
        detail: format!("{} handed over to {}", NAMES[standby], NAMES[active]),
    });
    let last = counters.stopped(standby, seen.timeout).await?;
    let resumed = counters.counting_past(active, last, seen.timeout).await?;
    steps.push(Step {
        name: "counter",
        ms: ms(at, resumed),
        detail: format!(
            "{}'s component restored {} ({}'s last acknowledged: {last}) and counts on",
            NAMES[active],
            counters.restored(active, last)?,
            NAMES[standby]
        ),
    });
    for (i, name) in NAMES.iter().enumerate() {
        let state = std::fs::read_to_string(nodes.dir.join(format!("app-{name}.state")))
            .unwrap_or_default();
        let want = if i == active { "active" } else { "standby" };
        if state.trim() != want {
            return Err(fail(format!(
                "{name}'s component says {:?}, expected {want}",
                state.trim()
            )));
        }
    }
    say("components agree with the roles; stopping both nodes");
    counters.close().await;
    Ok(steps)
}

/// Waits (at most `timeout`) until node `i`'s control socket says the counter's replication
/// is caught up (its `history` answer, PROTOCOL 6.11).
async fn caught_up(dir: &Path, i: usize, timeout: Duration) -> Result<(), Failure> {
    let control = dir.join(format!("{}.ctl", NAMES[i]));
    let deadline = Instant::now() + timeout;
    loop {
        let answer = control_command(&control, baton_node::history::COMMAND).await;
        let state = answer
            .ok()
            .and_then(|a| baton_node::history::parse(&a).ok())
            .map(|a| a.replication[counter::ID].clone());
        if state.as_ref().is_some_and(|s| s["caught_up"] == true) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(fail(format!(
                "{}'s replication did not catch up within {timeout:?}: {state:?}",
                NAMES[i]
            )));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn control_command(path: &Path, command: &str) -> Result<String, Failure> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let stream = tokio::net::UnixStream::connect(path)
        .await
        .map_err(|e| fail(format!("cannot reach {}: {e}", path.display())))?;
    let (read, mut write) = stream.into_split();
    write
        .write_all(format!("{command}\n").as_bytes())
        .await
        .map_err(|e| fail(format!("control: {e}")))?;
    let mut line = String::new();
    BufReader::new(read)
        .read_line(&mut line)
        .await
        .map_err(|e| fail(format!("control: {e}")))?;
    Ok(line.trim().to_owned())
}
