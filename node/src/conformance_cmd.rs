//! `baton conformance`: the conformance tester (crate `baton-tester`) against an
//! implementation under test: `member ADDR --config FILE` (its peer listener),
//! `node [ADDR] --config FILE` (its component listener), `component --listen ADDR` (a
//! component that connects), `status ADDR` (its status listener), over plain TCP or, with
//! `--tls-ca`, `--tls-cert`, `--tls-key` (and `--tls-ca-key`), mutual TLS (PROTOCOL 3.4).
//! Exit status: 0 every counted requirement met, 1 some failed, 2 invalid input or the
//! implementation cannot be reached.

use crate::status_cmd::runtime;
use crate::Failure;
use baton_codec::{Encoding, DEFAULT_MAX_FRAME};
use baton_election::Mode;
use baton_node::tls::tester::TesterTls;
use baton_node::tls::{Identity, TlsFiles};
use baton_tester::component::ComponentSetup;
use baton_tester::member::{ComponentControl, Member, MemberSetup, QuorumSetup};
use baton_tester::node::{Address as NodeAddress, NodeSetup};
use baton_tester::status::StatusSetup;
use baton_tester::transport::Transport;
use baton_tester::Report;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `baton conformance`.
#[derive(clap::Args)]
pub struct ConformanceArgs {
    #[command(subcommand)]
    suite: Suite,
    #[command(flatten)]
    output: Output,
}

/// How the report is written and judged.
#[derive(clap::Args)]
struct Output {
    /// The report as one JSON document (for CI).
    #[arg(long, global = true)]
    json: bool,
    /// Count unmet SHOULDs as failures.
    #[arg(long, global = true)]
    strict: bool,
    /// How long to wait for an answer or a close beyond what the protocol allows, in ms.
    #[arg(long, global = true, default_value_t = 1000)]
    patience_ms: u64,
    #[command(flatten)]
    tls: TlsArgs,
}

/// Mutual TLS towards the implementation (PROTOCOL 3.4): without these, plain TCP and the
/// transport security tests are skipped.
#[derive(clap::Args)]
struct TlsArgs {
    /// The cluster CA's certificate (PEM): the tester speaks mutual TLS on every TCP link and
    /// checks the implementation's certificate against it.
    #[arg(long, global = true, requires_all = ["tls_cert", "tls_key"])]
    tls_ca: Option<PathBuf>,
    /// The tester's certificate (PEM, signed by the CA): for `member`, the certificate of the
    /// member it plays (`--as` defaults to it); for `status` and `node`, any of the cluster's.
    #[arg(long, global = true, requires = "tls_ca")]
    tls_cert: Option<PathBuf>,
    /// The key of `--tls-cert` (PEM).
    #[arg(long, global = true, requires = "tls_ca")]
    tls_key: Option<PathBuf>,
    /// The cluster CA's key (`baton certs init` writes it as ca.key): the tester then makes
    /// the certificates of every member it plays (quorum mode needs them) and those the
    /// identity tests present (a client's, the implementation's own member's); without it
    /// those tests are skipped.
    #[arg(long, global = true, requires = "tls_ca")]
    tls_ca_key: Option<PathBuf>,
}

impl TlsArgs {
    /// The transport: mutual TLS with the files given, else plain TCP.
    fn transport(&self) -> Result<(Transport, Option<Identity>), Failure> {
        let (Some(ca), Some(cert), Some(key)) = (&self.tls_ca, &self.tls_cert, &self.tls_key)
        else {
            return Ok((Transport::plain(), None));
        };
        let files = TlsFiles {
            ca: ca.clone(),
            cert: cert.clone(),
            key: key.clone(),
        };
        let tls = TesterTls::load(&files, self.tls_ca_key.as_deref()).map_err(Failure::invalid)?;
        let identity = tls.identity().clone();
        Ok((Transport::tls(Arc::new(tls)), Some(identity)))
    }
}

#[derive(clap::Subcommand)]
enum Suite {
    /// Play the other member of a pair against the peer listener at ADDR: framing, hellos,
    /// heartbeats, the election's responder table and nominator rules (PROTOCOL 3 to 5, 9);
    /// in quorum mode, the other voters: rounds on the wire and the grant table (5.9).
    /// Start the implementation with `alone = "wait"` and run this before it meets a peer:
    /// the Negotiating rows need it.
    Member {
        /// The implementation's peer listener, `host:port`.
        address: SocketAddr,
        /// The implementation's configuration (baton's format): its members, timers,
        /// encoding and frame limit.
        #[arg(long)]
        config: PathBuf,
        /// The member the tester plays [default: the first other member].
        #[arg(long = "as")]
        play: Option<String>,
        /// The implementation's component listener (`host:port` or a Unix socket's path):
        /// the tester also plays its linked component there, to hold it Demoting and fail a
        /// promotion (the [F3], [F8] and [F9] rows; skipped without it).
        #[arg(long)]
        component: Option<String>,
        /// The id of that component [default: the configuration's first linked component].
        #[arg(long, requires = "component")]
        component_id: Option<String>,
    },
    /// Be a linked component of the node whose component listener is at ADDR: registration,
    /// the link notices, health queries, setRole and its answers, refusals (PROTOCOL 6.1,
    /// 6.4, 6.9, 9). Start the node alone (it promotes and sets the tester active).
    Node {
        /// The node's component listener: `host:port`, or a Unix socket's path [default: the
        /// configuration's listen.component_tcp, else listen.component_socket].
        address: Option<String>,
        /// The node's configuration (baton's format): its components, timers, encoding.
        #[arg(long)]
        config: PathBuf,
        /// The component id the tester registers as [default: the configuration's first
        /// linked component].
        #[arg(long)]
        component: Option<String>,
    },
    /// Listen as a node at ADDR and test the component implementation that connects:
    /// registration, answers to queries and notices, setRole answers, registering again,
    /// refusing active above the watchdog bound (PROTOCOL 6.1, 6.3, 6.4, 6.9). Start the
    /// component pointed at ADDR once this listens. With `--tls-ca`, `--tls-cert` and
    /// `--tls-key` the tester accepts only a TLS handshake presenting a certificate of the
    /// cluster CA, and presents its own (PROTOCOL 3.4).
    Component {
        /// Where to listen, `host:port`.
        #[arg(long, default_value = "127.0.0.1:7411")]
        listen: SocketAddr,
        /// The encoding rule the component uses.
        #[arg(long, default_value = "der")]
        encoding: Encoding,
        /// How long to wait for the component to connect, in ms.
        #[arg(long, default_value_t = 30_000)]
        wait_ms: u64,
    },
    /// Be a status client of the status listener at ADDR (PROTOCOL 1.5, 6.5, 6.7, 9).
    Status {
        /// The implementation's status listener, `host:port`.
        address: SocketAddr,
        /// The implementation's configuration, for its encoding and frame limit.
        #[arg(long)]
        config: Option<PathBuf>,
        /// The encoding rule [default: the configuration's, else der].
        #[arg(long)]
        encoding: Option<Encoding>,
    },
}

fn load(path: &Path) -> Result<baton_node::config::Config, Failure> {
    baton_node::config::load(path).map_err(|e| Failure::invalid(e.to_string()))
}

/// The setup of the member suite from the implementation's configuration.
fn member_setup(
    address: SocketAddr,
    config: &Path,
    play: Option<&str>,
    patience: Duration,
    (transport, identity): (Transport, Option<Identity>),
    ca_key: bool,
) -> Result<MemberSetup, Failure> {
    let cfg = load(config)?;
    let members: Vec<Member> = cfg
        .node
        .members
        .iter()
        .map(|m| Member {
            name: m.name.clone(),
            id: m.id.clone(),
        })
        .collect();
    let iut = cfg.node.me;
    // Over TLS the tester plays the member of its certificate unless told otherwise (without
    // the CA's key it can play no other).
    let certified = match &identity {
        Some(Identity::Member(name)) => Some(name.clone()),
        _ => None,
    };
    let quorum = cfg.node.mode == Mode::Quorum;
    if transport.secure().is_some() && !ca_key {
        if quorum {
            return Err(Failure::invalid(
                "quorum mode over TLS: the tester plays every other member, each with its own \
                 certificate: give --tls-ca-key (the cluster CA's key) so that it can make them",
            ));
        }
        if certified.is_none() {
            return Err(Failure::invalid(
                "--tls-cert names no member: the tester plays a member with its certificate \
                 (or give --tls-ca-key)",
            ));
        }
    }
    let play = play.or(certified.as_deref());
    let tester = match play {
        Some(name) => members
            .iter()
            .position(|m| m.name == name)
            .filter(|&i| i != iut)
            .ok_or_else(|| {
                Failure::invalid(format!("--as {name}: no other member of that name"))
            })?,
        None => usize::from(iut == 0),
    };
    Ok(MemberSetup {
        address,
        encoding: cfg.encoding,
        max_frame: cfg.max_frame,
        members,
        iut,
        tester,
        heartbeat: cfg.node.heartbeat_interval,
        dead_interval: cfg.node.dead_interval,
        retry_backoff: cfg.node.retry_backoff,
        preempt: cfg.node.preempt,
        patience,
        component: None,
        quorum: quorum.then(|| QuorumSetup {
            witnesses: cfg.node.witnesses.clone(),
            voter_lease: cfg.node.quorum.voter_lease,
            active_lease: cfg.node.quorum.active_lease,
            renew: cfg.node.quorum.renew,
            election_timeout: cfg.node.quorum.election_timeout,
            stagger: cfg.node.quorum.stagger,
        }),
        transport,
    })
}

/// The setup of the node suite from the node's configuration.
fn node_setup(
    address: Option<&str>,
    config: &Path,
    component: Option<&str>,
    patience: Duration,
    transport: Transport,
) -> Result<NodeSetup, Failure> {
    let cfg = load(config)?;
    let address = match address {
        Some(a) => match a.parse::<SocketAddr>() {
            Ok(tcp) => NodeAddress::Tcp(tcp),
            Err(_) => NodeAddress::Unix(PathBuf::from(a)),
        },
        None => match (cfg.component_tcp, &cfg.component_socket) {
            (Some(tcp), _) => NodeAddress::Tcp(tcp),
            (None, Some(p)) => NodeAddress::Unix(p.clone()),
            (None, None) => {
                return Err(Failure::invalid(
                    "the configuration has no component listener: give ADDR",
                ))
            }
        },
    };
    let linked = |id: &str| !cfg.node.scripts.iter().any(|s| s.id == id);
    let component = match component {
        Some(c) if cfg.node.components.contains_key(c) && linked(c) => c.to_owned(),
        Some(c) => {
            return Err(Failure::invalid(format!(
                "--component {c}: no linked component of that id in {}",
                config.display()
            )))
        }
        None => cfg
            .node
            .components
            .keys()
            .find(|c| linked(c))
            .cloned()
            .ok_or_else(|| {
                Failure::invalid(format!(
                    "{} lists no linked component for the tester to be",
                    config.display()
                ))
            })?,
    };
    Ok(NodeSetup {
        address,
        encoding: cfg.encoding,
        max_frame: cfg.max_frame,
        component,
        startup_wait: cfg.node.startup_wait,
        heartbeat: cfg.node.query_interval,
        patience,
        transport,
    })
}

/// Whether anything listens at `address`: a connection error is exit status 2, not a
/// report full of failures.
fn reachable(address: SocketAddr) -> Result<(), Failure> {
    std::net::TcpStream::connect_timeout(&address, Duration::from_secs(3))
        .map(drop)
        .map_err(|e| Failure::invalid(format!("cannot connect to {address}: {e}")))
}

/// Runs `baton conformance`; the exit status.
pub fn run(args: &ConformanceArgs) -> Result<u8, Failure> {
    let patience = Duration::from_millis(args.output.patience_ms.max(1));
    let rt = runtime()?;
    let report: Report = match &args.suite {
        Suite::Member {
            address,
            config,
            play,
            component,
            component_id,
        } => {
            let tls = &args.output.tls;
            let ca_key = tls.tls_ca_key.is_some();
            let transport = tls.transport()?;
            let mut setup = member_setup(
                *address,
                config,
                play.as_deref(),
                patience,
                transport,
                ca_key,
            )?;
            if let Some(a) = component {
                let t = setup.transport.clone();
                let node = node_setup(Some(a), config, component_id.as_deref(), patience, t)?;
                setup.component = Some(ComponentControl {
                    address: node.address,
                    id: node.component,
                });
            }
            reachable(*address)?;
            rt.block_on(baton_tester::member::run(&setup))
        }
        Suite::Node {
            address,
            config,
            component,
        } => {
            let (transport, _) = args.output.tls.transport()?;
            let setup = node_setup(
                address.as_deref(),
                config,
                component.as_deref(),
                patience,
                transport,
            )?;
            if let NodeAddress::Tcp(a) = &setup.address {
                reachable(*a)?;
            }
            rt.block_on(baton_tester::node::run(&setup))
        }
        Suite::Component {
            listen,
            encoding,
            wait_ms,
        } => {
            let setup = ComponentSetup {
                listen: *listen,
                encoding: *encoding,
                max_frame: DEFAULT_MAX_FRAME,
                wait: Duration::from_millis(*wait_ms),
                bound: Duration::from_secs(10),
                patience,
                transport: args.output.tls.transport()?.0,
            };
            eprintln!("baton conformance: listening on {listen} for the component");
            rt.block_on(baton_tester::component::run(&setup))
                .map_err(Failure::invalid)?
        }
        Suite::Status {
            address,
            config,
            encoding,
        } => {
            let cfg = config.as_deref().map(load).transpose()?;
            let setup = StatusSetup {
                address: *address,
                encoding: encoding
                    .or(cfg.as_ref().map(|c| c.encoding))
                    .unwrap_or(Encoding::Der),
                max_frame: cfg.as_ref().map_or(DEFAULT_MAX_FRAME, |c| c.max_frame),
                patience,
                transport: args.output.tls.transport()?.0,
            };
            reachable(*address)?;
            rt.block_on(baton_tester::status::run(&setup))
        }
    };
    let out = if args.output.json {
        format!("{}\n", report.json(args.output.strict))
    } else {
        report.text(args.output.strict)
    };
    // Ignore a closed stdout: the exit status still says it.
    let _ = std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes());
    Ok(report.exit_code(args.output.strict))
}
