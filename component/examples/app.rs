//! A demo component: prints what its node asks and what happens to its role, accepts every
//! role (or refuses `active`, to demo a failed promotion), answers health queries, and shows
//! the watchdog (stop the node while this app is active: it stands by at once).
//!
//! ```text
//! cargo run -p baton-component --example app -- --socket /run/baton/components.sock --id 1001
//! cargo run -p baton-component --example app -- --tcp 127.0.0.1:7201 --id 1001 --refuse-active
//! ```
//!
//! Type `ok` or `failed` and Enter to change the health it reports; `quit` (or end of input)
//! to stop. `RUST_LOG=baton_component=debug` shows the library's log.

use baton_component::{
    Component, ComponentOptions, Encoding, Endpoint, Event, Health, Role, WatchdogReason,
};
use clap::Parser;
use std::time::Duration;

/// A demo baton component.
#[derive(Debug, Parser)]
struct Args {
    /// The node's component socket (Unix).
    #[arg(long, conflicts_with = "tcp", required_unless_present = "tcp")]
    socket: Option<std::path::PathBuf>,
    /// The node's component address (TCP), instead of --socket.
    #[arg(long)]
    tcp: Option<std::net::SocketAddr>,
    /// The component id, as configured on the node (digits).
    #[arg(long)]
    id: String,
    /// The link's encoding rule (the node's).
    #[arg(long, default_value = "der")]
    encoding: Encoding,
    /// Refuse every request to go active (the node's promotion fails).
    #[arg(long)]
    refuse_active: bool,
    /// Take this long to switch roles before answering (ms).
    #[arg(long, default_value_t = 0)]
    switch_ms: u64,
    /// The watchdog's dead interval (ms): at most the node's bound, D - H - 2 ms (198 ms
    /// with the default timers; PROTOCOL 6.3). The node tells its bound at registration.
    #[arg(long, default_value_t = 190)]
    dead_interval_ms: u64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "baton_component=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let endpoint = match (&args.socket, args.tcp) {
        #[cfg(unix)]
        (Some(path), _) => Endpoint::Unix(path.clone()),
        (_, Some(addr)) => Endpoint::Tcp(addr),
        _ => return Err("give --socket or --tcp".into()),
    };
    let mut options = ComponentOptions::new(args.id.clone());
    options.encoding = args.encoding;
    options.dead_interval = Duration::from_millis(args.dead_interval_ms);

    println!("component {} connecting to {endpoint}", args.id);
    let (component, mut events) = Component::connect(endpoint, options).await?;
    // Interactive input on a plain thread (tokio's stdin would hold the runtime at exit).
    let (lines_tx, mut lines) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut stdin_open = true;

    loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { break };
                on_event(event, &args, &component).await;
            }
            line = lines.recv(), if stdin_open => match line {
                Some(line) => match line.trim() {
                    "ok" => {
                        component.set_health(Health::Ok);
                        println!("health: ok");
                    }
                    "failed" => {
                        component.set_health(Health::Failed);
                        println!("health: failed");
                    }
                    "quit" => break,
                    "leave" => {
                        println!("leaving (planned: the node does not count it a crash)");
                        component.leave().await;
                        return Ok(());
                    }
                    "" => {}
                    other => println!("unknown command {other:?}: ok, failed, leave or quit"),
                },
                None => stdin_open = false,
            },
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    println!("closing");
    component.close().await;
    Ok(())
}

async fn on_event(event: Event, args: &Args, component: &Component) {
    match event {
        Event::Connected { role, self_demoted } => {
            let role = role.map_or("none".to_owned(), |r| r.to_string());
            if self_demoted {
                println!("connected (role {role}; demoted myself while away, the node will say)");
            } else {
                println!("connected (role {role})");
            }
        }
        Event::Disconnected { reason } => println!("disconnected: {reason}; reconnecting"),
        Event::RoleRequest(request) => {
            let role = request.role();
            println!(
                "node asks: {role} (correlationId {}, generation {})",
                request.correlation_id(),
                request
                    .generation()
                    .map_or("unknown".to_owned(), |g| g.to_string())
            );
            if args.refuse_active && role == Role::Active {
                println!("refusing {role}");
                if let Err(e) = request.refuse().await {
                    println!("refusal not sent: {e}");
                }
                return;
            }
            // A real application switches here (start or stop serving), then answers.
            tokio::time::sleep(Duration::from_millis(args.switch_ms)).await;
            match request.accept().await {
                Ok(()) => println!("accepted {role}"),
                Err(e) => println!(
                    "{role} not accepted ({e}); staying {}",
                    component.role().map_or("unassigned", |r| r.name())
                ),
            }
        }
        Event::RequestWithdrawn { role } => println!("request for {role} withdrawn"),
        Event::SelfDemoted { reason } => match reason {
            WatchdogReason::LinkClosed => {
                println!("WATCHDOG: node link closed while active: standing by now")
            }
            WatchdogReason::Silent => {
                println!("WATCHDOG: node silent while active: standing by now")
            }
        },
        Event::RoleChanged { from, to } => println!(
            "ROLE {} -> {to}{}",
            from.map_or("none", |r| r.name()),
            if to == Role::Active {
                ": serving"
            } else {
                ": not serving"
            }
        ),
        Event::RestartRequested => {
            println!("RESTART requested by the node (severity major): a real application restarts what failed");
        }
        Event::UnknownComponentId => {
            println!("REFUSED: the node's configuration lists no component {}", args.id);
        }
        Event::WatchdogTooLong { watchdog, bound } => println!(
            "WARNING: watchdog {watchdog:?} longer than the node's bound {bound:?}: lower --dead-interval-ms"
        ),
        Event::ActiveRefused { watchdog, bound } => println!(
            "refused active: watchdog {watchdog:?} longer than the node's bound {bound:?}"
        ),
        _ => {}
    }
}
