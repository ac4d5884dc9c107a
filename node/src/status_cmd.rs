//! `baton status` and `baton switchover`: operator commands.

use crate::Failure;
use baton_codec::{AnyMessage, Encoding, FrameCodec};
use baton_core::{Instant, LinkId};
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
    /// The node's status listener.
    #[arg(long, default_value = "127.0.0.1:7421")]
    address: SocketAddr,
    /// Encoding rule of the node's links.
    #[arg(long, default_value = "der")]
    encoding: Encoding,
}

/// Arguments of `baton switchover`.
#[derive(clap::Args)]
pub struct SwitchoverArgs {
    /// The node's control socket (`listen.control_socket` of its configuration).
    #[arg(long, conflicts_with = "config")]
    control: Option<PathBuf>,
    /// The node's configuration file, to find its control socket.
    #[arg(long, short)]
    config: Option<PathBuf>,
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

/// Renders a status for humans or as JSON.
pub fn render(status: &ServiceStatus, json: bool) -> String {
    if !json {
        return status.to_string();
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
    serde_json::json!({
        "status": status.to_string(),
        "state": status.state.as_str(),
        "peer": peer,
        "components": components,
    })
    .to_string()
}

/// `baton status`.
pub fn status(args: &StatusArgs) -> Result<(), Failure> {
    runtime()?.block_on(status_async(args))
}

async fn status_async(args: &StatusArgs) -> Result<(), Failure> {
    let t0 = tokio::time::Instant::now();
    let now = || Instant::from_duration(t0.elapsed());
    let stream = tokio::time::timeout(
        Duration::from_secs(2),
        tokio::net::TcpStream::connect(args.address),
    )
    .await
    .map_err(|_| fail(format!("cannot connect to {}: timed out", args.address)))?
    .map_err(|e| fail(format!("cannot connect to {}: {e}", args.address)))?;
    let mut framed = Framed::new(stream, FrameCodec::new(args.encoding));
    let mut client = StatusClient::new(StatusClientConfig::default());
    client.handle_connected(now(), LinkId(1));
    client
        .request(now())
        .map_err(|e| fail(format!("cannot ask: {e}")))?;
    // Without --watch, give up after this, whatever the node sends (or fails to).
    let give_up = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        if !args.watch && tokio::time::Instant::now() >= give_up {
            return Err(fail(format!(
                "no usable answer from {} within 3 s",
                args.address
            )));
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
                    println!("{}", render(&status, args.json));
                    if !args.watch {
                        return Ok(());
                    }
                }
                ClientEvent::Indication { status } => {
                    if args.watch {
                        println!("{}", render(&status, args.json));
                    }
                }
                ClientEvent::RequestTimedOut { .. } => {
                    return Err(fail(format!("{} did not answer getStatus", args.address)))
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
                Some(Err(e)) => return Err(fail(format!("bad frame from {}: {e}", args.address))),
                None => return Err(fail(format!("{} closed the connection", args.address))),
            },
            () = tokio::time::sleep_until(deadline) => client.handle_timeout(now()),
        }
    }
}

/// `baton switchover`.
pub fn switchover(args: &SwitchoverArgs) -> Result<(), Failure> {
    let path = match (&args.control, &args.config) {
        (Some(p), _) => p.clone(),
        (None, Some(c)) => {
            let cfg = baton_node::config::load(c).map_err(|e| Failure::invalid(e.to_string()))?;
            cfg.control_socket.ok_or_else(|| {
                Failure::invalid(format!("{}: no listen.control_socket", c.display()))
            })?
        }
        (None, None) => return Err(Failure::invalid("give --control PATH or --config FILE")),
    };
    runtime()?.block_on(async {
        let stream = tokio::net::UnixStream::connect(&path)
            .await
            .map_err(|e| fail(format!("cannot connect to {}: {e}", path.display())))?;
        let (read, mut write) = stream.into_split();
        write
            .write_all(b"switchover\n")
            .await
            .map_err(|e| fail(format!("cannot send: {e}")))?;
        let mut line = String::new();
        tokio::time::timeout(
            Duration::from_secs(5),
            BufReader::new(read).read_line(&mut line),
        )
        .await
        .map_err(|_| fail("no answer in 5 s".to_owned()))?
        .map_err(|e| fail(format!("cannot read the answer: {e}")))?;
        let line = line.trim();
        if line.starts_with("ok") {
            println!("{line}");
            Ok(())
        } else {
            Err(fail(line.to_owned()))
        }
    })
}
