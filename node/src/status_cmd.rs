//! `baton status` and `baton switchover`: operator commands.

use crate::Failure;
use baton_codec::{AnyMessage, Encoding, FrameCodec};
use baton_core::{Instant, LinkId};
use baton_node::client::{self, TLS_HINT};
use baton_node::config::{load_tls, Config};
use baton_node::tls::{TlsConfig, TlsFiles};
use baton_status::{ClientEvent, PeerState, ServiceStatus, StatusClient, StatusClientConfig};
use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio_util::codec::Framed;

/// Arguments of `baton status`.
#[derive(clap::Args)]
pub struct StatusArgs {
    /// Keep the connection and print every status indication.
    #[arg(long)]
    watch: bool,
    /// One JSON document per status line.
    #[arg(long)]
    json: bool,
    /// Also the node's last role transitions, each with its time and cause (asked on its
    /// control socket: needs --config).
    #[arg(long, conflicts_with = "watch")]
    history: bool,
    /// The node's status listener [default: the configuration's listen.status with
    /// --config, else 127.0.0.1:7421].
    #[arg(long)]
    address: Option<SocketAddr>,
    /// Encoding rule of the node's links [default: the configuration's with --config, else
    /// der].
    #[arg(long)]
    encoding: Option<Encoding>,
    #[command(flatten)]
    tls: TlsArgs,
}

/// Arguments of `baton switchover`.
#[derive(clap::Args)]
pub struct SwitchoverArgs {
    /// The node's control socket (`listen.control_socket` of its configuration).
    #[arg(long, conflicts_with_all = ["config", "address"])]
    control: Option<PathBuf>,
    /// The node's control TCP listener (`listen.control_tcp`): TLS with an admin client
    /// certificate (--ca, --cert, --key) or a member's (--config).
    #[arg(long)]
    address: Option<SocketAddr>,
    #[command(flatten)]
    tls: TlsArgs,
}

/// Where the TLS files of a client come from: a member's configuration, or the three files.
#[derive(clap::Args)]
pub struct TlsArgs {
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
    fn config(&self) -> Result<Option<Config>, Failure> {
        self.config
            .as_ref()
            .map(|c| baton_node::config::load(c).map_err(|e| Failure::invalid(e.to_string())))
            .transpose()
    }

    /// The TLS configuration: the three files, or the member's `[tls]`; `None`: plain TCP.
    fn load(&self, cfg: Option<&Config>) -> Result<Option<TlsConfig>, Failure> {
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

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure {
            message: format!("cannot start the runtime: {e}"),
            status: 1,
        })
}

fn fail(message: String) -> Failure {
    Failure { message, status: 1 }
}

/// Renders a status for humans or as JSON (PROTOCOL 6.7). For humans: the line, then, for a
/// cluster of three or more members (`members=`), one line per member with its state. As
/// JSON: `status` (the line), `state`, `peer`, `components`, and `members` (every member,
/// this node included, with its state; from `members=`, or from the node and its `peer=`),
/// plus `round`, `lease_ms` and `fencing` when the line has them.
pub fn render(status: &ServiceStatus, json: bool, me: Option<&str>) -> String {
    let members = members(status, me);
    if !json {
        let mut text = status.to_string();
        if status.extra.iter().any(|w| w.starts_with("members=")) {
            for (name, state) in &members {
                text.push_str(&format!("\n  {name:<16} {state}"));
            }
        }
        return text;
    }
    let peer = status.peer.as_ref().map(|p| {
        let state = match p.state {
            PeerState::Up(s) => s.as_str().to_owned(),
            PeerState::Unknown => "unknown".to_owned(),
            PeerState::Down => "down".to_owned(),
        };
        serde_json::json!({"name": p.name, "state": state})
    });
    let components = status
        .components
        .map(|(ok, total)| serde_json::json!({"ok": ok, "total": total}));
    let members: Vec<_> = members
        .iter()
        .map(|(name, state)| serde_json::json!({"name": name, "state": state}))
        .collect();
    let word = |key: &str| {
        status
            .extra
            .iter()
            .find_map(|w| w.strip_prefix(key).map(str::to_owned))
    };
    let mut doc = serde_json::json!({
        "status": status.to_string(),
        "state": status.state.as_str(),
        "peer": peer,
        "components": components,
        "members": members,
    });
    if let Some(round) = word("round=").and_then(|r| r.parse::<u64>().ok()) {
        doc["round"] = round.into();
    }
    if let Some(lease) = word("lease=").and_then(|l| l.strip_suffix("ms")?.parse::<u64>().ok()) {
        doc["lease_ms"] = lease.into();
    }
    if let Some(name) = word("fencing=") {
        doc["fencing"] = name.into();
    }
    doc.to_string()
}

/// Every member and its state (PROTOCOL 6.7): from `members=<name>:<state>,...`, else the
/// node itself (named `me`, `self` when not known, in its own state) and its `peer=`.
fn members(status: &ServiceStatus, me: Option<&str>) -> Vec<(String, String)> {
    if let Some(list) = status.extra.iter().find_map(|w| w.strip_prefix("members=")) {
        return list
            .split(',')
            .filter_map(|m| m.rsplit_once(':'))
            .map(|(name, state)| (name.to_owned(), state.to_owned()))
            .collect();
    }
    let name = me.unwrap_or("self").to_owned();
    let mut all = vec![(name, status.state.as_str().to_owned())];
    if let Some(p) = &status.peer {
        all.push((p.name.clone(), p.state.as_str().to_owned()));
    }
    all
}

/// `baton status`.
pub fn status(args: &StatusArgs) -> Result<(), Failure> {
    let cfg = args.tls.config()?;
    let tls = args.tls.load(cfg.as_ref())?;
    let address = match (args.address, &cfg) {
        (Some(a), _) => a,
        (None, Some(c)) => c
            .status
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
        let (line, history) = runtime()?
            .block_on(baton_node::history::fetch(cfg))
            .map_err(fail)?;
        let status: ServiceStatus = line.parse().map_err(|e| fail(format!("{line:?}: {e}")))?;
        let text = render(&status, args.json, me.as_deref());
        println!(
            "{}",
            baton_node::history::attach(&text, args.json, &history)
        );
        return Ok(());
    }
    runtime()?
        .block_on(status_async(args, address, encoding, tls, me.as_deref()))
        .map_err(|mut f| {
            // Closed, or TLS bytes that do not frame: the node may want a certificate.
            if plain && f.message.starts_with(&address.to_string()) {
                f.message = format!("{} {TLS_HINT}", f.message);
            }
            f
        })
}

async fn status_async(
    args: &StatusArgs,
    address: SocketAddr,
    encoding: Encoding,
    tls: Option<TlsConfig>,
    me: Option<&str>,
) -> Result<(), Failure> {
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
    // Without --watch, give up after this, whatever the node sends (or fails to).
    let give_up = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        if !args.watch && tokio::time::Instant::now() >= give_up {
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
                ClientEvent::Status { status, .. } => {
                    println!("{}", render(&status, args.json, me));
                    if !args.watch {
                        return Ok(());
                    }
                }
                ClientEvent::Indication { status } => {
                    if args.watch {
                        println!("{}", render(&status, args.json, me));
                    }
                }
                ClientEvent::RequestTimedOut { .. } => {
                    return Err(fail(format!("{address} did not answer getStatus")))
                }
                ClientEvent::Ignored { reason } => eprintln!("baton: ignored: {reason:?}"),
            }
        }
        let far = tokio::time::Instant::now() + Duration::from_secs(3600);
        let deadline = client
            .poll_timeout()
            .map(|t| t0 + t.since_origin())
            .unwrap_or(far)
            .min(if args.watch { far } else { give_up });
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
                (None, Some(a)) => remote(a, Some(c))?,
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
    runtime()?.block_on(async {
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
            println!("{line}");
            Ok(())
        } else if line.is_empty() {
            Err(fail(format!(
                "{to} closed the connection without an answer"
            )))
        } else {
            Err(fail(line.to_owned()))
        }
    })
}
