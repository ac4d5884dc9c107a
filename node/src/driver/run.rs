//! The driver's task: set-up ([`run`], [`run_with`]) and the select loop. One wait for
//! whichever comes first: an input (then everything already queued, in a batch), the node's
//! deadline (one sleep, moved when the deadline moves), an operator's request.

use super::hooks;
use super::input::Input;
use super::listen;
use super::net::{Net, TokioNet};
use super::render;
use super::secure::Tls;
use super::signals::{signals, Request};
use super::state::Driver;
use crate::config::Config;
use baton_core::NodeRole;
use baton_engine::Node;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tracing::{info, warn};

/// Inputs handled one after another, once the inbox woke the driver, before it looks at its
/// deadline and requests again.
const INPUT_BATCH: usize = 64;

/// The most queued inputs taken in after a stall before the timers run.
const STALL_READ_LIMIT: usize = 1024;

/// Why the node could not run.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// The configuration is valid but the machines refused it, or `state_dir` is not a
    /// writable folder.
    #[error("configuration: {0}")]
    Config(String),
    /// Quorum mode's grant could not be written: the node stops rather than send a grant
    /// it has not persisted (PROTOCOL 5.9).
    #[error("{0}")]
    Grant(String),
    /// A listener could not be opened.
    #[error("cannot listen on {what}: {error}")]
    Listen {
        /// Which listener.
        what: String,
        /// Why.
        error: std::io::Error,
    },
}

/// Runs a node on the operating system's network until SIGTERM (planned handover, then exit)
/// or SIGINT; SIGHUP checks the configuration file again. Correlation ids are seeded from
/// the wall clock, so that they differ across restarts.
///
/// # Errors
/// When a listener cannot be opened or the configuration cannot run.
pub async fn run(mut cfg: Config) -> Result<(), DriverError> {
    cfg.node.first_correlation_id = seed();
    let requests = signals();
    let role = watch::Sender::new(NodeRole::Negotiating);
    drive(cfg, TokioNet, requests, role, true).await
}

/// Runs a node with its TCP on `net` until `requests` asks it to exit ([`Request::Exit`], or
/// [`Request::Stop`] once handed over); a closed `requests` channel asks nothing. `role`
/// follows the node's role. Reads time only through `tokio::time` (simulated time works) and
/// takes `cfg.node.first_correlation_id` as given. Unix sockets and script components, if
/// configured, use tokio directly; no script guard is started (it is this executable: see
/// [`run`]).
///
/// # Errors
/// When a listener cannot be opened or the configuration cannot run.
pub async fn run_with<N: Net>(
    cfg: Config,
    net: N,
    requests: mpsc::Receiver<Request>,
    role: watch::Sender<NodeRole>,
) -> Result<(), DriverError> {
    drive(cfg, net, requests, role, false).await
}

/// [`run_with`], and with `guard` the script guard (`baton guard`, this executable) when the
/// node has script components (PROTOCOL 6.3).
async fn drive<N: Net>(
    cfg: Config,
    net: N,
    mut requests: mpsc::Receiver<Request>,
    role: watch::Sender<NodeRole>,
    guard: bool,
) -> Result<(), DriverError> {
    let (inbox_tx, mut inbox) = mpsc::channel::<Input>(1024);
    let mut cfg = cfg;
    super::grant::load(&mut cfg).map_err(DriverError::Config)?;
    let tls_config =
        crate::config::load_tls(&cfg).map_err(|e| DriverError::Config(e.to_string()))?;
    let etcd = cfg.etcd.as_ref().map(|settings| {
        let name = cfg.node.me().map_or("", |m| m.name.as_str());
        let client_tls = tls_config
            .as_ref()
            .map(crate::tls::TlsConfig::client_config);
        let client = crate::etcd::Client::new(settings, name, cfg.node.etcd, client_tls);
        super::etcd::Etcd::new(client, cfg.node.etcd.request_timeout)
    });
    let tls = tls_config.map(Tls::new);
    let _listeners = listen::open(&cfg, &net, &inbox_tx, tls.as_ref())
        .await
        .map_err(|(what, error)| DriverError::Listen { what, error })?;
    let ask = {
        let inbox = inbox_tx.clone();
        crate::dashboard::Ask::new(move |reply| inbox.try_send(Input::Dashboard { reply }).is_ok())
    };
    let metrics = crate::metrics::Metrics::open(&cfg, Some(ask), tls.clone())
        .await
        .map_err(|(what, error)| DriverError::Listen { what, error })?;

    // Script components: `deactivate` (and `stop`) before anything else, clearing what a
    // crashed node may have left active (PROTOCOL 11, note 15). The node's clock starts after.
    if !cfg.vips.is_empty() {
        // Now, not on a failover's path (vip::worker).
        if let Err(e) = crate::vip::worker::start() {
            warn!("VIP: {e}");
        }
    }
    for vip in &cfg.vips {
        for problem in crate::vip::problems(vip).await {
            warn!(component = %vip.id, address = %vip.address, "VIP: {problem}");
        }
    }
    let builtins = hooks::Builtins::new(&cfg.vips);
    let hooks = hooks::Runner::start(&cfg.node.scripts, builtins, inbox_tx.clone());
    hooks.run_at_start(Node::start_jobs(&cfg.node)).await;
    let guard = guard
        .then(|| crate::guard::Client::start(&cfg, inbox_tx.clone()))
        .flatten();
    let t0 = Instant::now();

    let node = Node::new(cfg.node.clone(), baton_core::Instant::ZERO)
        .map_err(|e| DriverError::Config(e.to_string()))?;
    let mut d = Driver::new(cfg, net, node, t0, inbox_tx, hooks, role);
    d.etcd = etcd;
    let me = d.cfg.node.me;
    info!(
        member = %d.node.config().members[me].name,
        listen = %d.cfg.addresses[me],
        peers = %crate::config::peer_addresses(&d.cfg),
        encoding = %d.cfg.encoding,
        tls = tls.is_some(),
        "node started"
    );
    if tls.is_none() {
        render::unauthenticated(&tcp_listeners(&d.cfg));
    }
    d.tls = tls;
    d.guard = guard;
    d.metrics = metrics;
    d.notify = super::notify::Notifier::from_env();

    let mut requests_open = true;
    // One timer for the node's deadline, moved when the deadline moves (a new one per input
    // cost a timer-wheel insertion and removal per frame).
    let sleep = tokio::time::sleep_until(deadline(&d));
    tokio::pin!(sleep);
    'run: loop {
        d.tick_guard();
        d.notify.tick();
        d.drain();
        if d.should_exit() {
            break;
        }
        match d.next_due() {
            Some(due) if due != sleep.deadline() => sleep.as_mut().reset(due),
            // Nothing due: an hour ahead, moved only when that nears.
            None if sleep.deadline() < Instant::now() + Duration::from_secs(60) => {
                sleep.as_mut().reset(deadline(&d))
            }
            _ => {}
        }
        tokio::select! {
            input = inbox.recv() => match input {
                Some(input) => {
                    d.on_input(input);
                    // Whatever else has arrived, before the per-wakeup work above: each
                    // input is still handled and its output drained in order.
                    if take_queued(&mut d, &mut inbox, INPUT_BATCH) {
                        break 'run;
                    }
                }
                None => break,
            },
            () = &mut sleep => {
                // Read before judging (PROTOCOL 4): woken late, the driver did not run
                // meanwhile (a stall of this process or host), so frames that came before
                // the deadline may still wait in the link readers or the inbox. Let the
                // readers run, take in what they queued, then run the timers (the machines'
                // stall grace covers a peer stalled with us).
                let lateness = Instant::now().saturating_duration_since(sleep.deadline());
                if baton_core::stall::is_stall(lateness) {
                    tokio::task::yield_now().await;
                    tokio::task::yield_now().await;
                    if take_queued(&mut d, &mut inbox, STALL_READ_LIMIT) {
                        break 'run;
                    }
                    d.drain();
                }
                let now = d.now();
                d.node.handle_timeout(now);
            }
            request = requests.recv(), if requests_open => match request {
                Some(Request::Stop) => {
                    d.notify.stopping();
                    let now = d.now();
                    d.node.stop(now);
                }
                Some(Request::Exit) => {
                    d.notify.stopping();
                    info!("exiting without handover");
                    break;
                }
                Some(Request::Reload) => {
                    d.notify.reloading();
                    let now = d.now();
                    super::reload::reload(&mut d.cfg, &mut d.node, now, d.tls.as_ref());
                    d.notify.reloaded();
                }
                None => requests_open = false,
            },
        }
    }
    // Etcd mode: the resign of a handover reaches etcd before the node goes (PROTOCOL 5.12.3).
    if let Some(etcd) = &mut d.etcd {
        etcd.finish().await;
    }
    // The guard hears beats while the exit jobs run (PROTOCOL 6.3).
    crate::guard::beat_while(&mut d.guard, d.hooks.run_at_exit(d.node.exit_jobs())).await;
    if let Some(guard) = d.guard.take() {
        guard.bye().await;
    }
    if let Some(why) = d.fatal.take() {
        tracing::error!(role = %d.node.role(), "node stopped: {why}");
        return Err(DriverError::Grant(why));
    }
    info!(role = %d.node.role(), "node stopped");
    Ok(())
}

/// Takes in up to `limit` inputs already queued, each after draining the node's output of
/// the previous one. Returns `true` when the node should exit.
fn take_queued<N: Net>(d: &mut Driver<N>, inbox: &mut mpsc::Receiver<Input>, limit: usize) -> bool {
    for _ in 0..limit {
        let Ok(input) = inbox.try_recv() else { break };
        d.drain();
        if d.should_exit() {
            return true;
        }
        d.on_input(input);
    }
    false
}

/// The TCP listeners of `cfg`, as the log names them.
fn tcp_listeners(cfg: &Config) -> Vec<String> {
    let mut all = vec![format!("peer {}", cfg.addresses[cfg.node.me])];
    all.extend(cfg.status.map(|a| format!("status {a}")));
    all.extend(cfg.component_tcp.map(|a| format!("component {a}")));
    all
}

/// When the driver must wake up next; an hour from now if nothing is due.
fn deadline<N: Net>(d: &Driver<N>) -> Instant {
    d.next_due()
        .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600))
}

#[allow(clippy::disallowed_methods, clippy::disallowed_types)] // driver: seeds ids from the wall clock
fn seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_millis() as u64 % 1_000_000_000_000)
}
