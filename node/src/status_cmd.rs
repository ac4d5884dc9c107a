//! `baton status`: a node's service status, once (the exit status says the state) or, with
//! `--watch`, every change with its time, across restarts of the node; and what `baton
//! switchover` shares with it (the TLS arguments, the runtime).

use crate::Failure;
use baton_codec::{AnyMessage, Encoding, FrameCodec};
use baton_core::{Instant, LinkId};
use baton_node::client::{self, TLS_HINT};
use baton_node::config::{load_tls, reachable, Config};
use baton_node::logging::time::rfc3339;
use baton_node::status_view::render;
use baton_node::tls::{TlsConfig, TlsFiles};
use baton_node::watch::{follow, Seen, Target};
use baton_status::{ClientEvent, ServiceStatus, State, StatusClient, StatusClientConfig};
use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How often `--watch` asks an unreachable node again.
const WATCH_RETRY: Duration = Duration::from_secs(1);
use tokio::sync::mpsc;
use tokio_util::codec::Framed;

/// Arguments of `baton status`.
#[derive(clap::Args)]
pub struct StatusArgs {
    /// Keep following the node: every status with the time it came (RFC 3339, UTC), and
    /// `unreachable` while the node cannot be reached (it is asked again every second, so
    /// a restart is followed).
    #[arg(long)]
    watch: bool,
    /// One JSON document per status line.
    #[arg(long)]
    json: bool,
    /// Also the node's last role transitions, each with its time and cause (asked on its
    /// control socket: needs --config).
    #[arg(long, conflicts_with = "watch")]
    history: bool,
    /// The node's status listener, `host:port` [default: the configuration's listen.status
    /// with --config, else 127.0.0.1:7421].
    #[arg(long, value_parser = parse_address)]
    address: Option<SocketAddr>,
    /// Encoding rule of the node's links [default: the configuration's with --config, else
    /// der].
    #[arg(long)]
    encoding: Option<Encoding>,
    #[command(flatten)]
    tls: TlsArgs,
}

/// Where the TLS files of a client come from: a member's configuration, or the three files.
#[derive(clap::Args)]
pub(crate) struct TlsArgs {
    /// A member's configuration file: its addresses, encoding and `[tls]` files.
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// The cluster CA certificate (PEM), with --cert and --key: connect with TLS.
    #[arg(long, requires_all = ["cert", "key"], conflicts_with = "config")]
    ca: Option<PathBuf>,
    /// This client's certificate (`baton certs client`).
    #[arg(long, requires_all = ["ca", "key"])]
    cert: Option<PathBuf>,
    /// This client's private key.
    #[arg(long, requires_all = ["ca", "cert"])]
    key: Option<PathBuf>,
}

impl TlsArgs {
    /// The member's configuration, if given.
    pub(crate) fn config(&self) -> Result<Option<Config>, Failure> {
        self.config
            .as_ref()
            .map(|c| baton_node::config::load(c).map_err(|e| Failure::invalid(e.to_string())))
            .transpose()
    }

    /// The TLS configuration: the three files, or the member's `[tls]`; `None`: plain TCP.
    pub(crate) fn load(&self, cfg: Option<&Config>) -> Result<Option<TlsConfig>, Failure> {
        if let (Some(ca), Some(cert), Some(key)) = (&self.ca, &self.cert, &self.key) {
            let files = TlsFiles {
                ca: ca.clone(),
                cert: cert.clone(),
                key: key.clone(),
            };
            return TlsConfig::load(&files)
                .map(Some)
                .map_err(|e| Failure::invalid(e.to_string()));
        }
        match cfg {
            Some(cfg) => load_tls(cfg).map_err(|e| Failure::invalid(e.to_string())),
            None => Ok(None),
        }
    }
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure {
            message: format!("cannot start the runtime: {e}"),
            status: 1,
        })
}

pub(crate) fn fail(message: String) -> Failure {
    Failure { message, status: 1 }
}

/// `baton status`'s exit status for a node in `state` (OPERATIONS, Operating): 0 active,
/// 3 standby, 4 degraded, 5 negotiating, 6 promoting, 7 demoting, 8 failed. (1: no answer,
/// 2: invalid input, as every command.)
pub fn exit_code(state: State) -> u8 {
    match state {
        State::Active => 0,
        State::Standby => 3,
        State::Degraded => 4,
        State::Negotiating => 5,
        State::Promoting => 6,
        State::Demoting => 7,
        State::Failed => 8,
    }
}

/// `host:port` on the command line: an IP address, or a host name resolved now.
pub(crate) fn parse_address(text: &str) -> Result<SocketAddr, String> {
    baton_node::config::resolve(text)
}

/// `baton status`: the exit status says the node's state ([`exit_code`]); with --watch, it
/// runs until interrupted.
pub fn status(args: &StatusArgs) -> Result<u8, Failure> {
    let cfg = args.tls.config()?;
    let tls = args.tls.load(cfg.as_ref())?;
    let address = match (args.address, &cfg) {
        (Some(a), _) => a,
        (None, Some(c)) => c
            .status
            .map(reachable)
            .ok_or_else(|| Failure::invalid(format!("{}: no listen.status", c.path.display())))?,
        (None, None) => SocketAddr::from(([127, 0, 0, 1], 7421)),
    };
    let encoding = args
        .encoding
        .or(cfg.as_ref().map(|c| c.encoding))
        .unwrap_or(Encoding::Der);
    let plain = tls.is_none();
    // The node asked is the configuration's own member only at its own status address.
    let me = match (args.address, &cfg) {
        (None, Some(c)) => c.node.me().map(|m| m.name.clone()),
        _ => None,
    };
    if args.history {
        let cfg = cfg.as_ref().ok_or_else(|| {
            Failure::invalid("--history asks the node's control socket: give --config FILE")
        })?;
        let answer = runtime()?
            .block_on(baton_node::history::fetch(cfg))
            .map_err(fail)?;
        let line = answer.status;
        let status: ServiceStatus = line.parse().map_err(|e| fail(format!("{line:?}: {e}")))?;
        let text = render(&status, args.json, me.as_deref());
        let text = baton_node::replication_view::attach(&text, args.json, &answer.replication);
        println!(
            "{}",
            baton_node::history::attach(&text, args.json, &answer.history)
        );
        return Ok(exit_code(status.state));
    }
    if args.watch {
        let target = Target {
            address,
            tls,
            encoding,
        };
        return runtime()?.block_on(watch(target, args.json, me.as_deref()));
    }
    // The member's own node with replicating components: their state comes from its control
    // socket (PROTOCOL 6.11; the status line does not carry it).
    let replication = match (&cfg, args.address) {
        (Some(c), None) if !c.node.replication.components.is_empty() => runtime()?
            .block_on(baton_node::history::fetch(c))
            .ok()
            .map(|a| a.replication),
        _ => None,
    };
    runtime()?
        .block_on(status_async(address, encoding, tls))
        .map(|status| {
            let text = render(&status, args.json, me.as_deref());
            let text = match &replication {
                Some(r) => baton_node::replication_view::attach(&text, args.json, r),
                None => text,
            };
            println!("{text}");
            exit_code(status.state)
        })
        .map_err(|mut f| {
            // Closed, or TLS bytes that do not frame: the node may want a certificate.
            if plain && f.message.starts_with(&address.to_string()) {
                f.message = format!("{} {TLS_HINT}", f.message);
            }
            f
        })
}

/// `line` with the time it came: `2026-12-05T16:30:01.123456Z active ...` (the time on the
/// first line of a multi-line status), or a JSON document with `time` added.
fn stamped(line: &str, json: bool) -> String {
    let now = rfc3339(baton_node::logging::time::now());
    if json {
        if let Ok(serde_json::Value::Object(mut doc)) = serde_json::from_str(line) {
            doc.insert("time".to_owned(), now.into());
            return serde_json::Value::Object(doc).to_string();
        }
    }
    format!("{now} {line}")
}

/// `--watch`: every status with its time; `unreachable: WHY` once when the node goes away
/// (asked again every second until it answers); ends on a refused certificate.
async fn watch(target: Target, json: bool, me: Option<&str>) -> Result<u8, Failure> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(follow(target, WATCH_RETRY, tx));
    let mut reachable = None;
    while let Some(seen) = rx.recv().await {
        match seen {
            Seen::Status(status) => {
                reachable = Some(true);
                println!("{}", stamped(&render(&status, json, me), json));
            }
            Seen::Lost(why) if reachable != Some(false) => {
                reachable = Some(false);
                let line = if json {
                    serde_json::json!({"state": null, "unreachable": why}).to_string()
                } else {
                    format!("unreachable: {why}")
                };
                println!("{}", stamped(&line, json));
            }
            Seen::Lost(_) => {}
            Seen::Refused(why) => return Err(fail(why)),
        }
    }
    Err(fail("the status follower ended".to_owned()))
}

/// One `getStatus` and its answer, within 3 s.
async fn status_async(
    address: SocketAddr,
    encoding: Encoding,
    tls: Option<TlsConfig>,
) -> Result<ServiceStatus, Failure> {
    let t0 = tokio::time::Instant::now();
    let now = || Instant::from_duration(t0.elapsed());
    let (stream, _) = client::connect(address, tls.as_ref(), Duration::from_secs(2))
        .await
        .map_err(|e| fail(e.to_string()))?;
    let mut framed = Framed::new(stream, FrameCodec::new(encoding));
    let mut client = StatusClient::new(StatusClientConfig::default());
    client.handle_connected(now(), LinkId(1));
    client
        .request(now())
        .map_err(|e| fail(format!("cannot ask: {e}")))?;
    // Give up after this, whatever the node sends (or fails to).
    let give_up = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        if tokio::time::Instant::now() >= give_up {
            return Err(fail(format!("{address} gave no usable answer within 3 s")));
        }
        while let Some(t) = client.poll_transmit() {
            framed
                .send(AnyMessage::Status(t.message))
                .await
                .map_err(|e| fail(format!("cannot send: {e}")))?;
        }
        while let Some(e) = client.poll_event() {
            match e {
                ClientEvent::Status { status, .. } => return Ok(status),
                ClientEvent::Indication { .. } => {}
                ClientEvent::RequestTimedOut { .. } => {
                    return Err(fail(format!("{address} did not answer getStatus")))
                }
                ClientEvent::Ignored { reason } => eprintln!("baton: ignored: {reason:?}"),
            }
        }
        let deadline = client
            .poll_timeout()
            .map(|t| t0 + t.since_origin())
            .map_or(give_up, |d| d.min(give_up));
        tokio::select! {
            frame = framed.next() => match frame {
                Some(Ok(AnyMessage::Status(m))) => client.handle_message(now(), m),
                Some(Ok(other)) => eprintln!("baton: ignored a {} message", other.interface()),
                Some(Err(e)) => return Err(fail(format!("{address} sent a bad frame: {e}"))),
                None => return Err(fail(format!("{address} closed the connection"))),
            },
            () = tokio::time::sleep_until(deadline) => client.handle_timeout(now()),
        }
    }
}
