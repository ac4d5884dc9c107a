//! The tokio driver on a simulated network (turmoil 0.7): two hosts run
//! `driver::run_with` with a pair configuration (no components, default timers: heartbeat
//! 100 ms, dead interval 300 ms), and the simulation partitions, crashes and restarts them.
//!
//! Every test runs for each of a few rng seeds (turmoil's message latencies, 0-100 ms) and
//! checks the node roles (reported by the driver on a watch channel) at every 1 ms tick
//! against bounds in simulated time (see `seeds` to choose them).
//!
//! turmoil's TCP drops the segments sent across a partition and never retransmits them: a
//! connection open across a partition stalls for good, without an error. Only the node's
//! heartbeats and dead interval find that, and the dialer's reconnection heals it.

use baton_asn1::status::ServiceStatusMessageMessage as StatusMessage;
use baton_codec::{AnyMessage, Encoding, FrameCodec};
use baton_core::{Instant as BInstant, LinkId};
use baton_election::NodeRole;
use baton_node::config::Config;
use baton_node::driver::{self, Listener, Net, Request};
use baton_status::{ClientEvent, State, StatusClient, StatusClientConfig};
use futures_util::{SinkExt, StreamExt};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_util::codec::Framed;
use turmoil::Sim;

use NodeRole::{Active, Negotiating, Standby};

/// turmoil host names: the member names, highest priority first.
const HOSTS: [&str; 2] = ["alpha", "beta"];
const PEER_PORT: u16 = 7400;
const STATUS_PORT: u16 = 7401;
const DEAD_INTERVAL: Duration = Duration::from_millis(300);
/// How long a settled pair is watched to show that it stays settled (ten heartbeats).
const SETTLED: Duration = Duration::from_secs(1);

/// turmoil's network for the driver. turmoil binds only unspecified (or loopback) addresses:
/// a member's configured address is bound as `0.0.0.0:port` on its host.
#[derive(Clone, Default)]
struct SimNet {
    /// Connections established by `connect`.
    dialled: Arc<AtomicU64>,
}

struct SimListener(turmoil::net::TcpListener);

impl Net for SimNet {
    type Stream = turmoil::net::TcpStream;
    type Listener = SimListener;

    async fn bind(&self, addr: SocketAddr) -> io::Result<SimListener> {
        let any = SocketAddr::from((Ipv4Addr::UNSPECIFIED, addr.port()));
        Ok(SimListener(turmoil::net::TcpListener::bind(any).await?))
    }

    async fn connect(&self, addr: SocketAddr) -> io::Result<turmoil::net::TcpStream> {
        let stream = turmoil::net::TcpStream::connect(addr).await?;
        self.dialled.fetch_add(1, Ordering::Relaxed);
        Ok(stream)
    }
}

impl Listener for SimListener {
    type Stream = turmoil::net::TcpStream;

    async fn accept(&mut self) -> io::Result<(turmoil::net::TcpStream, SocketAddr)> {
        self.0.accept().await
    }
}

/// Member `me`'s configuration, with the simulated hosts' addresses (call inside the sim).
fn config(me: usize) -> Config {
    let ip = |i: usize| turmoil::lookup(HOSTS[i]);
    let text = format!(
        r#"
name = "{name}"

[[member]]
name = "{a}"
id = "1"
address = "{ip_a}:{PEER_PORT}"

[[member]]
name = "{b}"
id = "2"
address = "{ip_b}:{PEER_PORT}"

[listen]
status = "{ip_me}:{STATUS_PORT}"
"#,
        name = HOSTS[me],
        a = HOSTS[0],
        b = HOSTS[1],
        ip_a = ip(0),
        ip_b = ip(1),
        ip_me = ip(me),
    );
    let cfg = baton_node::config::parse(Path::new("turmoil.toml"), &text).expect("valid config");
    assert_eq!(cfg.node.dead_interval, DEAD_INTERVAL);
    cfg
}

/// Roles of the two members; `None` for a crashed host.
type Roles = [Option<NodeRole>; 2];

/// Two simulated hosts, each running the driver; restarted by `bounce`.
struct Pair {
    sim: Sim<'static>,
    roles: [watch::Receiver<NodeRole>; 2],
    requests: [Arc<Mutex<Option<mpsc::Sender<Request>>>>; 2],
    /// Peer connections alpha (the dialer) established, over all its restarts.
    dialled: Arc<AtomicU64>,
    seed: u64,
}

impl Pair {
    /// Message latencies of 0 to 100 ms, drawn from `seed`: segments of different connections
    /// between the two hosts may overtake one another.
    fn new(seed: u64) -> Pair {
        Pair::build(seed, turmoil::Builder::new())
    }

    /// Every message takes 10 ms: the hosts' segments arrive in the order they were sent, as
    /// on one real network path.
    fn in_order(seed: u64) -> Pair {
        let latency = Duration::from_millis(10);
        let mut builder = turmoil::Builder::new();
        builder
            .min_message_latency(latency)
            .max_message_latency(latency);
        Pair::build(seed, builder)
    }

    fn build(seed: u64, mut builder: turmoil::Builder) -> Pair {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let mut sim = builder
            .rng_seed(seed)
            .simulation_duration(Duration::from_secs(600))
            .build();
        let mut roles = Vec::new();
        let mut requests = Vec::new();
        let net = SimNet::default();
        let dialled = net.dialled.clone();
        for (me, host) in HOSTS.iter().enumerate() {
            let (role_tx, role_rx) = watch::channel(Negotiating);
            let control: Arc<Mutex<Option<mpsc::Sender<Request>>>> = Arc::default();
            let starts = Arc::new(AtomicU64::new(0));
            roles.push(role_rx);
            requests.push(control.clone());
            let net = net.clone();
            sim.host(*host, move || {
                let (role_tx, control, starts) = (role_tx.clone(), control.clone(), starts.clone());
                let net = net.clone();
                async move {
                    let mut cfg = config(me);
                    // Correlation ids differ across restarts, deterministically.
                    let start = starts.fetch_add(1, Ordering::Relaxed);
                    cfg.node.first_correlation_id = 1 + start * 1_000_000;
                    let (tx, rx) = mpsc::channel(4);
                    *control.lock().unwrap() = Some(tx);
                    driver::run_with(cfg, net, rx, role_tx).await?;
                    Ok(())
                }
            });
        }
        Pair {
            sim,
            roles: roles.try_into().unwrap_or_else(|_| unreachable!()),
            requests: requests.try_into().unwrap_or_else(|_| unreachable!()),
            dialled,
            seed,
        }
    }

    fn roles(&mut self) -> Roles {
        [0, 1].map(|i| {
            self.sim
                .is_host_running(HOSTS[i])
                .then(|| *self.roles[i].borrow())
        })
    }

    fn dialled(&self) -> u64 {
        self.dialled.load(Ordering::Relaxed)
    }

    fn now(&self) -> Duration {
        self.sim.elapsed()
    }

    fn step(&mut self) {
        if let Err(e) = self.sim.step() {
            panic!("seed {}: simulation failed: {e}", self.seed);
        }
    }

    /// Steps until `done` holds; fails after `limit` of simulated time. Returns the time it
    /// took.
    fn until(&mut self, limit: Duration, what: &str, done: impl Fn(Roles) -> bool) -> Duration {
        self.until_always(limit, what, done, |_| true)
    }

    /// As [`Pair::until`], checking `always` at every tick until then.
    fn until_always(
        &mut self,
        limit: Duration,
        what: &str,
        done: impl Fn(Roles) -> bool,
        always: impl Fn(Roles) -> bool,
    ) -> Duration {
        let start = self.now();
        loop {
            let roles = self.roles();
            if done(roles) {
                return self.now() - start;
            }
            assert!(
                always(roles),
                "seed {}: broken while waiting until {what} (roles {roles:?} at {:?})",
                self.seed,
                self.now()
            );
            assert!(
                self.now() - start <= limit,
                "seed {}: not {what} within {limit:?} (roles {roles:?} at {:?})",
                self.seed,
                self.now()
            );
            self.step();
        }
    }

    /// Steps for `d`, checking `ok` at every tick.
    fn during(&mut self, d: Duration, what: &str, ok: impl Fn(Roles) -> bool) {
        let end = self.now() + d;
        while self.now() < end {
            let roles = self.roles();
            assert!(
                ok(roles),
                "seed {}: not {what} (roles {roles:?} at {:?})",
                self.seed,
                self.now()
            );
            self.step();
        }
    }

    /// Sends an operator request to member `i`'s running driver.
    fn request(&self, i: usize, request: Request) {
        let tx = self.requests[i]
            .lock()
            .unwrap()
            .clone()
            .expect("driver started");
        tx.try_send(request).expect("driver reads requests");
    }
}

fn settled(roles: Roles) -> bool {
    roles == [Some(Active), Some(Standby)]
}

fn swapped(roles: Roles) -> bool {
    roles == [Some(Standby), Some(Active)]
}

fn actives(roles: Roles) -> usize {
    roles.iter().filter(|r| **r == Some(Active)).count()
}

/// The longest each step took over the seeds: printed when a test ends (`--nocapture`).
#[derive(Default)]
struct Worst(Vec<(&'static str, Duration)>);

impl Worst {
    fn record(&mut self, what: &'static str, took: Duration) {
        match self.0.iter_mut().find(|(w, _)| *w == what) {
            Some((_, worst)) => *worst = (*worst).max(took),
            None => self.0.push((what, took)),
        }
    }
}

impl Drop for Worst {
    fn drop(&mut self) {
        for (what, took) in &self.0 {
            eprintln!("worst over the seeds: {what}: {took:?}");
        }
    }
}

/// The seeds every test runs with: `BATON_TURMOIL_SEED=S` runs seed S alone,
/// `BATON_TURMOIL_SEEDS=N` seeds 0 to N-1 (default 6).
fn seeds() -> std::ops::Range<u64> {
    let var = |name: &str| std::env::var(name).ok().and_then(|s| s.parse::<u64>().ok());
    match (var("BATON_TURMOIL_SEED"), var("BATON_TURMOIL_SEEDS")) {
        (Some(s), _) => s..s + 1,
        (None, n) => 0..n.unwrap_or(6),
    }
}

/// Starts a pair and waits until it settles: alpha (higher priority) active, beta standby.
fn settled_pair(seed: u64) -> Pair {
    let mut p = Pair::new(seed);
    p.until(Duration::from_secs(1), "settled after start", settled);
    p
}

/// Asks a node's status listener for its service status, over the simulated network.
async fn status_of(host: &str) -> Result<State, Box<dyn std::error::Error>> {
    let addr = SocketAddr::from((turmoil::lookup(host), STATUS_PORT));
    let stream = turmoil::net::TcpStream::connect(addr).await?;
    let mut framed = Framed::new(stream, FrameCodec::new(Encoding::Der));
    let mut client = StatusClient::new(StatusClientConfig::default());
    let t0 = tokio::time::Instant::now();
    let now = || BInstant::from_duration(t0.elapsed());
    client.handle_connected(now(), LinkId(1));
    client.request(now())?;
    loop {
        while let Some(t) = client.poll_transmit() {
            framed.send(AnyMessage::Status(t.message)).await?;
        }
        while let Some(e) = client.poll_event() {
            if let ClientEvent::Status { status, .. } = e {
                return Ok(status.state);
            }
        }
        match framed.next().await {
            Some(Ok(AnyMessage::Status(m))) => client.handle_message(now(), m),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.into()),
            None => return Err("status link closed".into()),
        }
    }
}

#[test]
fn turmoil_startup() {
    let mut worst = Worst::default();
    for seed in seeds() {
        let mut p = Pair::new(seed);
        let took = p.until(Duration::from_secs(1), "settled after start", settled);
        worst.record("start until settled", took);
        p.during(SETTLED, "still settled", settled);

        // The status listeners answer over the simulated network too.
        let states: Arc<Mutex<Vec<State>>> = Arc::default();
        let out = states.clone();
        p.sim.client("operator", async move {
            for host in HOSTS {
                let state = status_of(host).await?;
                out.lock().unwrap().push(state);
            }
            Ok(())
        });
        let start = p.now();
        while !p.sim.step().expect("simulation") {
            assert!(
                p.now() - start < Duration::from_secs(1),
                "seed {seed}: no status"
            );
        }
        assert_eq!(*states.lock().unwrap(), [State::Active, State::Standby]);
    }
}

#[test]
fn turmoil_partition_and_repair() {
    let mut worst = Worst::default();
    for seed in seeds() {
        let mut p = settled_pair(seed);
        p.sim.partition(HOSTS[0], HOSTS[1]);
        // Pair mode: the standby cannot tell a partition from a dead peer; it promotes after
        // the dead interval, and the active keeps serving.
        let took = p.until(
            DEAD_INTERVAL + Duration::from_millis(200),
            "both active in the partition",
            |r| r == [Some(Active), Some(Active)],
        );
        // Not at once: the dead interval runs from the last heartbeat received (at most one
        // heartbeat interval and a latency before the partition).
        assert!(took >= Duration::from_millis(100), "seed {seed}: {took:?}");
        worst.record("partition until beta active", took);
        // Long enough for alpha's dial backoff to reach its maximum (1 s).
        p.during(
            Duration::from_secs(2),
            "both active in the partition",
            |r| actives(r) == 2,
        );

        p.sim.repair(HOSTS[0], HOSTS[1]);
        // Both members redial with a back-off of at most startup_wait / 2; then the two active
        // nodes veto each other and the one with the older round (alpha: beta agreed to its
        // promotion and counted it as seen) stands by [F2] (PROTOCOL 5.11).
        let took = p.until(Duration::from_secs(2), "healed after repair", swapped);
        worst.record("repair until settled", took);
        p.during(SETTLED, "no dual active after repair", swapped);
    }
}

/// A partition shorter than the dead interval: segments lost in it are never retransmitted,
/// so the open peer link stalls for good after the repair, without an error. Heartbeats stop
/// arriving, the dead interval closes the link, alpha dials a new one, and the pair settles
/// again. Alpha keeps its role unless beta finds the silence before the new link reaches it
/// and promotes: its round is then the newer, and alpha stands by at the heal (PROTOCOL 5.11).
#[test]
fn turmoil_brief_partition_stalls_the_link() {
    let mut promoted = 0;
    let mut worst = Worst::default();
    for seed in seeds() {
        let mut p = settled_pair(seed);
        let dialled = p.dialled();
        p.sim.partition(HOSTS[0], HOSTS[1]);
        p.during(
            Duration::from_millis(150),
            "settled, briefly partitioned",
            settled,
        );
        p.sim.repair(HOSTS[0], HOSTS[1]);
        let repaired = p.now();
        let mut beta_promoted = false;
        let healed = |roles, beta_promoted| {
            if beta_promoted {
                swapped(roles)
            } else {
                settled(roles)
            }
        };
        while p.dialled() == dialled || !healed(p.roles(), beta_promoted) {
            let roles = p.roles();
            beta_promoted |= roles[1] == Some(Active);
            if !beta_promoted {
                assert_eq!(roles[0], Some(Active), "seed {seed}: alpha lost its role");
            }
            // The dead interval, then alpha's first redial (at once; 50 ms if refused).
            assert!(
                p.now() - repaired < Duration::from_secs(1),
                "seed {seed}: stalled link not replaced (dialled {}, roles {roles:?})",
                p.dialled() - dialled
            );
            p.step();
        }
        promoted += u32::from(beta_promoted);
        worst.record("repair until new link and settled", p.now() - repaired);
        let end = if beta_promoted { swapped } else { settled };
        p.during(SETTLED, "no dual active after the stall", end);
        // Both members dial a peer they have no link to; when both do, the hello rule keeps
        // the link alpha dialled and closes the other.
        let new = p.dialled() - dialled;
        assert!((1..=2).contains(&new), "seed {seed}: {new} new links");
    }
    eprintln!(
        "beta promoted for a moment in {promoted} of {} seeds",
        seeds().count()
    );
}

#[test]
fn turmoil_crash() {
    let mut worst = Worst::default();
    for seed in seeds() {
        let mut p = settled_pair(seed);
        p.sim.crash(HOSTS[0]);
        // A crash resets the peer's connection: no need to wait for the dead interval.
        let took = p.until(
            Duration::from_millis(250),
            "beta active after alpha crashed",
            |r| r == [None, Some(Active)],
        );
        worst.record("crash until beta active", took);
        p.during(Duration::from_secs(1), "beta serving alone", |r| {
            r == [None, Some(Active)]
        });
        // Alpha restarts and finds beta serving: it stands by, beta is never disturbed.
        p.sim.bounce(HOSTS[0]);
        let took = p.until(Duration::from_secs(1), "alpha back as standby", swapped);
        worst.record("restart until alpha standby", took);
        p.during(SETTLED, "beta active, alpha standby", swapped);
    }
}

/// Restarts on a network that keeps the order of segments (see `turmoil_bounce_reordered`).
#[test]
fn turmoil_bounce() {
    let mut worst = Worst::default();
    for seed in seeds() {
        let mut p = Pair::in_order(seed);
        p.until(Duration::from_secs(1), "settled after start", settled);

        // The standby restarts: it comes back standby and the active is never disturbed.
        p.sim.bounce(HOSTS[1]);
        p.until(Duration::from_millis(10), "beta restarted", |r| {
            r[1] == Some(Negotiating)
        });
        let took = p.until_always(
            Duration::from_secs(1),
            "beta back as standby",
            settled,
            |r| r[0] == Some(Active),
        );
        worst.record("standby restart until settled", took);
        p.during(SETTLED, "settled after the standby restarted", settled);

        // The active restarts: the reset of its old connection reaches beta before its new
        // connection does; beta takes over, and the restarted alpha ends standby.
        p.sim.bounce(HOSTS[0]);
        let took = p.until(Duration::from_millis(100), "beta took over", |r| {
            r[1] == Some(Active)
        });
        worst.record("active restart until beta active", took);
        let took = p.until_always(
            Duration::from_secs(1),
            "alpha back as standby",
            swapped,
            |r| r[1] == Some(Active),
        );
        worst.record("then until alpha standby", took);
        p.during(SETTLED, "settled after the active restarted", swapped);
    }
}

/// The standby's host is down for 3 s, then restarts: it comes back standby and never
/// promotes beside the active. A host that is down leaves alpha's connection attempts
/// unanswered (in turmoil as on a real network), so one is pending when it comes back. (A
/// host that is up with the node process stopped refuses them instead, and alpha's dial
/// back-off, up to 1 s, can then outlast the restarted standby's startup wait: the open bug
/// of `process_standby_restart_after_a_pause` in node/tests/processes.rs.)
#[test]
fn turmoil_standby_host_down_for_a_while() {
    let mut worst = Worst::default();
    for seed in seeds() {
        let mut p = settled_pair(seed);
        p.sim.crash(HOSTS[1]);
        p.during(Duration::from_secs(3), "alpha serving alone", |r| {
            r == [Some(Active), None]
        });
        p.sim.bounce(HOSTS[1]);
        p.until(Duration::from_millis(10), "beta restarted", |r| {
            r[1] == Some(Negotiating)
        });
        let took = p.until_always(
            Duration::from_secs(1),
            "beta back as standby",
            settled,
            |r| r[0] == Some(Active) && r[1] != Some(Active),
        );
        worst.record("standby restart until settled", took);
        p.during(SETTLED, "settled after the standby restarted", settled);
    }
}

/// `turmoil_bounce` with latencies that reorder segments. The standby's restart goes as
/// before. The active's restart may go either way: its new connection may reach beta before
/// the end of the old one (a FIN waits behind a slower heartbeat). Beta then never sees alpha
/// die, keeps the newer of the two links from alpha and, being standby, accepts the restarted
/// alpha's self-nomination: alpha is re-elected. Either way exactly one node ends active, and
/// two never are.
#[test]
fn turmoil_bounce_reordered() {
    let mut reelected = 0;
    let mut worst = Worst::default();
    for seed in seeds() {
        let mut p = settled_pair(seed);
        p.sim.bounce(HOSTS[1]);
        p.until(Duration::from_millis(10), "beta restarted", |r| {
            r[1] == Some(Negotiating)
        });
        let took = p.until_always(
            Duration::from_secs(1),
            "beta back as standby",
            settled,
            |r| r[0] == Some(Active),
        );
        worst.record("standby restart until settled", took);
        p.during(SETTLED, "settled after the standby restarted", settled);

        p.sim.bounce(HOSTS[0]);
        p.until(Duration::from_millis(10), "alpha restarted", |r| {
            r[0] == Some(Negotiating)
        });
        let took = p.until_always(
            Duration::from_secs(1),
            "one active after the active restarted",
            |r| settled(r) || swapped(r),
            |r| actives(r) <= 1,
        );
        worst.record("active restart until settled", took);
        reelected += u32::from(settled(p.roles()));
        let roles = p.roles();
        p.during(SETTLED, "stays settled", |r| r == roles);
    }
    eprintln!(
        "alpha re-elected in {reelected} of {} seeds",
        seeds().count()
    );
}

/// The shutdown path of `run_with`: `Request::Stop` on the active hands over (planned
/// switchover) and the driver returns; `Request::Exit` on the other returns at once.
#[test]
fn turmoil_stop_hands_over() {
    let mut worst = Worst::default();
    for seed in seeds() {
        let mut p = settled_pair(seed);
        p.request(0, Request::Stop);
        let took = p.until_always(
            Duration::from_secs(1),
            "alpha handed over and exited",
            |r| r == [None, Some(Active)],
            |r| actives(r) <= 1,
        );
        worst.record("stop until beta active and alpha exited", took);
        p.request(1, Request::Exit);
        p.until(Duration::from_millis(10), "beta exited", |r| {
            r == [None, None]
        });
    }
}

/// A getStatus frame, as bytes on the wire.
fn get_status_frame() -> Vec<u8> {
    use tokio_util::codec::Encoder;
    let mut buf = bytes::BytesMut::new();
    let message = AnyMessage::Status(baton_status::get_status("8"));
    FrameCodec::new(Encoding::Der)
        .encode(&message, &mut buf)
        .expect("encodes");
    buf.to_vec()
}

/// Runs `client` on a host of its own beside a settled pair; it must end within `limit`.
fn with_client(
    limit: Duration,
    client: impl std::future::Future<Output = turmoil::Result> + 'static,
) {
    let mut p = settled_pair(0);
    p.sim.client("operator", client);
    let start = p.now();
    while !p.sim.step().expect("client ok") {
        assert!(p.now() - start < limit, "client not done within {limit:?}");
    }
}

/// Regression: the mid-frame timer counts from the frame's first byte, not from the previous
/// frame. A status client idle for 4.75 s that then sends a frame in two pieces 0.5 s apart
/// was cut as "stalled mid-frame for 5 s" (found by node/tests/hostile_input.rs).
#[test]
fn turmoil_a_frame_split_after_an_idle_spell_is_not_cut() {
    with_client(Duration::from_secs(10), async {
        use tokio::io::AsyncWriteExt;
        let addr = SocketAddr::from((turmoil::lookup(HOSTS[0]), STATUS_PORT));
        let mut s = turmoil::net::TcpStream::connect(addr).await?;
        let get = get_status_frame();
        tokio::time::sleep(Duration::from_millis(4750)).await;
        s.write_all(&get[..6]).await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        s.write_all(&get[6..]).await?;
        // Status indications may come first; then the answer, not the close.
        let mut framed = Framed::new(s, FrameCodec::new(Encoding::Der));
        loop {
            match framed.next().await {
                Some(Ok(AnyMessage::Status(m)))
                    if matches!(m.message, StatusMessage::getStatusResponse(_)) =>
                {
                    return Ok(());
                }
                Some(Ok(_)) => {}
                other => return Err(format!("no status answer: {other:?}").into()),
            }
        }
    });
}

/// A frame that stops half-way is still cut: 5 to 6 s after its first byte.
#[test]
fn turmoil_a_stalled_frame_is_cut() {
    with_client(Duration::from_secs(10), async {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = SocketAddr::from((turmoil::lookup(HOSTS[0]), STATUS_PORT));
        let mut s = turmoil::net::TcpStream::connect(addr).await?;
        tokio::time::sleep(Duration::from_millis(2500)).await;
        s.write_all(&get_status_frame()[..6]).await?;
        let sent = tokio::time::Instant::now();
        // Status indications may come first; then the close.
        let mut buf = [0u8; 256];
        while s.read(&mut buf).await.unwrap_or(0) > 0 {}
        let after = sent.elapsed();
        // Latencies up to 100 ms each way.
        let ok = Duration::from_secs(5)..Duration::from_millis(6200);
        if !ok.contains(&after) {
            return Err(format!("closed {after:?} after the first byte").into());
        }
        Ok(())
    });
}
