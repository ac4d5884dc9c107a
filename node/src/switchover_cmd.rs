//! `baton switchover`: asks the active node to hand the service over (its control socket, or
//! its control TCP listener with an admin certificate); with `--wait`, follows the node's
//! status until the handover completed (this node standby, another member serving), failed
//! (this node serving again, or failed) or timed out.

use crate::status_cmd::{fail, parse_address, runtime, TlsArgs};
use crate::Failure;
use baton_node::client;
use baton_node::config::{reachable, Config};
use baton_node::tls::TlsConfig;
use baton_node::watch::{follow, Seen, Target};
use baton_status::{PeerState, ServiceStatus, State};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// Arguments of `baton switchover`.
#[derive(clap::Args)]
pub struct SwitchoverArgs {
    /// The node's control socket (`listen.control_socket` of its configuration).
    #[arg(long, conflicts_with_all = ["config", "address"])]
    control: Option<PathBuf>,
    /// The node's control TCP listener (`listen.control_tcp`), `host:port`: TLS with an
    /// admin client certificate (--ca, --cert, --key) or a member's (--config).
    #[arg(long, value_parser = parse_address)]
    address: Option<SocketAddr>,
    /// Return when the handover completed: this node standby and another member active
    /// (exit 0); exit 1 if this node serves again or failed, or after --timeout-ms.
    #[arg(long)]
    wait: bool,
    /// With --wait: the node's status listener, `host:port` [default: the configuration's
    /// listen.status with --config].
    #[arg(long, value_parser = parse_address, requires = "wait")]
    status: Option<SocketAddr>,
    /// With --wait: how long to wait for the handover, in milliseconds.
    #[arg(long, default_value_t = 10_000, requires = "wait")]
    timeout_ms: u64,
    #[command(flatten)]
    tls: TlsArgs,
}

/// Where a switchover request goes.
enum Control {
    /// A control socket.
    Local(PathBuf),
    /// A control TCP listener, with TLS.
    Remote(SocketAddr, TlsConfig),
}

/// `baton switchover`.
pub fn switchover(args: &SwitchoverArgs) -> Result<(), Failure> {
    let cfg = args.tls.config()?;
    let remote = |address: SocketAddr, cfg: Option<&Config>| match args.tls.load(cfg)? {
        Some(tls) => Ok(Control::Remote(address, tls)),
        None => Err(Failure::invalid(format!(
            "a switchover over TCP ({address}) needs an admin client certificate: give --ca, \
             --cert and --key, or --config with a member's configuration that has [tls]"
        ))),
    };
    let target =
        match (&args.control, args.address, &cfg) {
            (Some(p), _, _) => Control::Local(p.clone()),
            (None, Some(a), cfg) => remote(a, cfg.as_ref())?,
            (None, None, Some(c)) => match (&c.control_socket, c.control_tcp) {
                (Some(p), _) => Control::Local(p.clone()),
                (None, Some(a)) => remote(reachable(a), Some(c))?,
                (None, None) => {
                    return Err(Failure::invalid(format!(
                        "{}: no listen.control_socket or listen.control_tcp",
                        c.path.display()
                    )))
                }
            },
            (None, None, None) => return Err(Failure::invalid(
                "give --control PATH, --address ADDR with --ca, --cert and --key, or --config FILE",
            )),
        };
    let watched = if args.wait {
        let address = match (args.status, &cfg) {
            (Some(a), _) => a,
            (None, Some(c)) => c.status.map(reachable).ok_or_else(|| {
                Failure::invalid(format!(
                    "{}: no listen.status to follow the handover (--wait)",
                    c.path.display()
                ))
            })?,
            (None, None) => {
                return Err(Failure::invalid(
                    "--wait follows the node's status: give --status ADDR or --config FILE",
                ))
            }
        };
        let encoding = cfg
            .as_ref()
            .map_or(baton_codec::Encoding::Der, |c| c.encoding);
        let tls = args.tls.load(cfg.as_ref())?;
        Some(Target {
            address,
            tls,
            encoding,
        })
    } else {
        None
    };
    let timeout = Duration::from_millis(args.timeout_ms);
    runtime()?.block_on(async {
        // Followed from before the request, so that no step of the handover is missed.
        let mut seen = watched.map(|target| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(follow(target, Duration::from_millis(100), tx));
            rx
        });
        if let Some(rx) = &mut seen {
            first_status(rx).await?;
        }
        let answer = request(target).await?;
        println!("{answer}");
        match seen {
            Some(mut rx) => wait(&mut rx, timeout).await,
            None => Ok(()),
        }
    })
}

/// Sends `switchover` and reads the answer line: `ok: …`, or the failure.
async fn request(target: Control) -> Result<String, Failure> {
    let (stream, to): (client::ClientStream, String) = match target {
        Control::Local(path) => {
            let s = tokio::net::UnixStream::connect(&path)
                .await
                .map_err(|e| fail(format!("cannot connect to {}: {e}", path.display())))?;
            (Box::new(s), path.display().to_string())
        }
        Control::Remote(address, tls) => {
            let (s, _) = client::connect(address, Some(&tls), Duration::from_secs(2))
                .await
                .map_err(|e| fail(e.to_string()))?;
            (s, address.to_string())
        }
    };
    let (read, mut write) = tokio::io::split(stream);
    write
        .write_all(b"switchover\n")
        .await
        .map_err(|e| fail(format!("cannot send to {to}: {e}")))?;
    let mut line = String::new();
    tokio::time::timeout(
        Duration::from_secs(5),
        BufReader::new(read).read_line(&mut line),
    )
    .await
    .map_err(|_| fail(format!("no answer from {to} in 5 s")))?
    .map_err(|e| fail(format!("cannot read the answer of {to}: {e}")))?;
    let line = line.trim();
    if line.starts_with("ok") {
        Ok(line.to_owned())
    } else if line.is_empty() {
        Err(fail(format!(
            "{to} closed the connection without an answer"
        )))
    } else {
        Err(fail(line.to_owned()))
    }
}

/// The node's first status, within 3 s.
async fn first_status(rx: &mut mpsc::UnboundedReceiver<Seen>) -> Result<(), Failure> {
    let give_up = tokio::time::Instant::now() + Duration::from_secs(3);
    match tokio::time::timeout_at(give_up, rx.recv()).await {
        Ok(Some(Seen::Status(_))) => Ok(()),
        Ok(Some(Seen::Refused(why))) => Err(fail(why)),
        Ok(Some(Seen::Lost(why))) => Err(fail(format!(
            "--wait cannot follow the node's status: {why}"
        ))),
        Ok(None) | Err(_) => Err(fail(
            "--wait cannot follow the node's status: no answer within 3 s".to_owned(),
        )),
    }
}

/// Whether `s` shows the handover done: this node standby and another member serving.
fn handed_over(s: &ServiceStatus) -> bool {
    let serving = |w: &str| matches!(w, "active" | "degraded");
    let other_serves = match &s.peer {
        Some(p) => matches!(p.state, PeerState::Up(State::Active | State::Degraded)),
        None => false,
    } || s
        .extra
        .iter()
        .filter_map(|w| w.strip_prefix("members="))
        .flat_map(|l| l.split(','))
        .filter_map(|m| m.rsplit_once(':'))
        .any(|(_, state)| serving(state));
    s.state == State::Standby && other_serves
}

/// Follows the statuses after the request until the handover completed, failed, or
/// `timeout` passed.
async fn wait(rx: &mut mpsc::UnboundedReceiver<Seen>, timeout: Duration) -> Result<(), Failure> {
    let give_up = tokio::time::Instant::now() + timeout;
    let mut left = false;
    let mut last = "no status since the request".to_owned();
    loop {
        let next = tokio::time::timeout_at(give_up, rx.recv()).await;
        match next {
            Ok(Some(Seen::Status(s))) => {
                last = s.to_string();
                if handed_over(&s) {
                    println!("handover complete: {s}");
                    return Ok(());
                }
                match s.state {
                    State::Failed => return Err(fail(format!("the handover failed: {s}"))),
                    State::Active | State::Degraded if left => {
                        return Err(fail(format!(
                            "the handover failed: this node serves again: {s}"
                        )))
                    }
                    State::Active | State::Degraded => {}
                    _ => left = true,
                }
            }
            // A restart of the node: the follower connects again.
            Ok(Some(Seen::Lost(why) | Seen::Refused(why))) => last = why,
            Ok(None) | Err(_) => {
                return Err(fail(format!(
                    "the handover did not complete within {} ms: last: {last}",
                    timeout.as_millis()
                )))
            }
        }
    }
}
