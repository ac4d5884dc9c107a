//! A real `baton node` as the implementation under test of `baton conformance`: alone, with
//! `alone = "wait"` (so the tester finds it `Negotiating`), nobody at its peer's address (the
//! tester is that peer), a status listener; killed and reaped on drop.
#![allow(dead_code)] // each test file uses a part of it

use baton_codec::{Encoding, DEFAULT_MAX_FRAME};
use baton_tester::member::{ComponentControl, Member, MemberSetup, QuorumSetup};
use baton_tester::node::{Address as NodeAddress, NodeSetup};
use baton_tester::status::StatusSetup;
use baton_tester::transport::Transport;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How long the tester waits beyond what the protocol allows: generous, the CI machine is
/// shared (a slow answer costs time, never a verdict).
pub const PATIENCE: Duration = Duration::from_millis(1500);

/// One node under test and its files.
pub struct Iut {
    /// Which member it is: 0 alpha (outranks), 1 beta.
    pub me: usize,
    /// Its configuration file.
    pub config: PathBuf,
    /// Its log.
    pub log: PathBuf,
    /// Its peer listener.
    pub peer: SocketAddr,
    /// Its status listener.
    pub status: SocketAddr,
    /// Its component TCP listener (with [`Iut::start_with_component`]).
    pub component_tcp: Option<SocketAddr>,
    /// With mutual TLS: the certificates' folder (`baton certs init`, every member).
    pub certs: Option<PathBuf>,
    child: Child,
    dir: PathBuf,
}

fn free() -> SocketAddr {
    (
        [127, 0, 0, 1],
        baton_node::loopback::free_port().expect("a free port"),
    )
        .into()
}

impl Iut {
    /// Starts member `me` of a pair (alpha outranks beta) with `BATON_PLANT=plant` in its
    /// environment when given (a build with the feature `plant` only reads it).
    /// It has a linked `fatal` component, id 1001, on a TCP listener, which the tester plays.
    pub fn start(tag: &str, me: usize, plant: Option<&str>) -> Iut {
        Iut::spawn(tag, me, plant, true, "wait", false)
    }

    /// As [`Iut::start`], with mutual TLS on every TCP listener (`[tls]`, certificates made
    /// by `baton certs init`).
    pub fn start_tls(tag: &str, me: usize) -> Iut {
        Iut::spawn(tag, me, None, true, "wait", true)
    }

    /// Alpha alone with `alone = "promote"`, a component TCP listener and one linked `fatal`
    /// component, id 1001 (the tester is that component): the node suite's implementation.
    pub fn start_with_component(tag: &str, plant: Option<&str>) -> Iut {
        Iut::spawn(tag, 0, plant, true, "promote", false)
    }

    /// As [`Iut::start_with_component`], with mutual TLS.
    pub fn start_with_component_tls(tag: &str) -> Iut {
        Iut::spawn(tag, 0, None, true, "promote", true)
    }

    fn spawn(
        tag: &str,
        me: usize,
        plant: Option<&str>,
        component: bool,
        alone: &str,
        tls: bool,
    ) -> Iut {
        let dir = std::env::temp_dir().join(format!("bt-conf-{}-{tag}-{me}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        let addresses = [free(), free()];
        let status = free();
        let component_tcp = component.then(free);
        let name = ["alpha", "beta"][me];
        let (extra_listen, table) = match component_tcp {
            Some(a) => (
                format!("component_tcp = \"{a}\"\n"),
                "\n[[component]]\nid = \"1001\"\nseverity = \"fatal\"\n",
            ),
            None => (String::new(), ""),
        };
        let text = format!(
            r#"name = "{name}"
alone = "{alone}"
log = "info"

[[member]]
name = "alpha"
id = "1"
address = "{a0}"

[[member]]
name = "beta"
id = "2"
address = "{a1}"

[listen]
component_socket = "{d}/c.sock"
status = "{status}"
control_socket = "{d}/ctl.sock"
{extra_listen}{table}"#,
            a0 = addresses[0],
            a1 = addresses[1],
            d = dir.display(),
        );
        let certs = tls.then(|| make_certs(&dir, &["alpha", "beta"]));
        let text = text + &tls_table(certs.as_deref(), name);
        let config = dir.join(format!("{name}.toml"));
        std::fs::write(&config, text).expect("the configuration is written");
        let log = dir.join(format!("{name}.log"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_baton"));
        cmd.arg("node")
            .arg("--config")
            .arg(&config)
            .env("RUST_LOG", "info")
            .env_remove("BATON_PLANT")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("the log"));
        if let Some(p) = plant {
            cmd.env("BATON_PLANT", p);
        }
        let child = cmd.spawn().expect("baton node starts");
        let iut = Iut {
            me,
            config,
            log,
            peer: addresses[me],
            status,
            component_tcp,
            certs,
            child,
            dir,
        };
        iut.wait_listening();
        iut
    }

    #[allow(clippy::disallowed_methods)] // a test waits, on the real clock, for a real node
    fn wait_listening(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        for a in [Some(self.peer), Some(self.status), self.component_tcp]
            .into_iter()
            .flatten()
        {
            while std::net::TcpStream::connect(a).is_err() {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the node does not listen on {a}:\n{}",
                    self.log_text()
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// Member alpha of a quorum cluster of alpha, beta, gamma and the witness wit (PROTOCOL
    /// 5.9), with a fresh `state_dir`, `BATON_PLANT=plant` in its environment when given;
    /// the tester plays the three others.
    pub fn start_quorum(tag: &str, plant: Option<&str>) -> (Iut, MemberSetup) {
        Iut::start_quorum_as(tag, plant, 0, false)
    }

    /// As [`Iut::start_quorum_as`], beta, over mutual TLS, with a component TCP listener and
    /// a linked `fatal` component, id 1001, which the tester plays.
    pub fn start_quorum_tls_with_component(tag: &str) -> (Iut, MemberSetup) {
        Iut::quorum(tag, None, 1, true, true)
    }

    /// As [`Iut::start_quorum`], the implementation member `me` (0 alpha, 1 beta, 2 gamma),
    /// with mutual TLS when `tls` (the tester then has the CA's key and makes the certificate
    /// of each member it plays).
    pub fn start_quorum_as(
        tag: &str,
        plant: Option<&str>,
        me: usize,
        tls: bool,
    ) -> (Iut, MemberSetup) {
        Iut::quorum(tag, plant, me, tls, false)
    }

    fn quorum(
        tag: &str,
        plant: Option<&str>,
        me: usize,
        tls: bool,
        component: bool,
    ) -> (Iut, MemberSetup) {
        let dir = std::env::temp_dir().join(format!("bt-conf-{}-{tag}-q", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("state")).expect("a scratch directory");
        let addresses = [free(), free(), free(), free()];
        let status = free();
        let names = ["alpha", "beta", "gamma", "wit"];
        let mut text = format!(
            "name = \"{}\"\nelection = \"quorum\"\nstate_dir = \"{}\"\nlog = \"info\"\n",
            names[me],
            dir.join("state").display()
        );
        for (i, n) in names.iter().enumerate() {
            text.push_str(&format!(
                "\n[[member]]\nname = \"{n}\"\nid = \"{}\"\naddress = \"{}\"\n{}",
                i + 1,
                addresses[i],
                if *n == "wit" { "witness = true\n" } else { "" }
            ));
        }
        // Leases twice the defaults: room for the tester to see a candidacy's retries before
        // and after what must void it, on a loaded machine.
        text.push_str("\n[timers]\nvoter_lease_ms = 1600\nactive_lease_ms = 900\n");
        text.push_str("election_timeout_ms = 50\nstagger_ms = 300\n");
        text.push_str(&format!(
            "\n[listen]\nstatus = \"{status}\"\ncontrol_socket = \"{}/ctl.sock\"\n",
            dir.display()
        ));
        let component_tcp = component.then(free);
        if let Some(a) = component_tcp {
            text.push_str(&format!(
                "component_tcp = \"{a}\"\n\n[[component]]\nid = \"1001\"\nseverity = \"fatal\"\n"
            ));
        }
        let certs = tls.then(|| make_certs(&dir, &names));
        text.push_str(&tls_table(certs.as_deref(), names[me]));
        let config = dir.join(format!("{}.toml", names[me]));
        std::fs::write(&config, text).expect("the configuration is written");
        let log = dir.join(format!("{}.log", names[me]));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_baton"));
        cmd.arg("node")
            .arg("--config")
            .arg(&config)
            .env("RUST_LOG", "info")
            .env_remove("BATON_PLANT")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("the log"));
        if let Some(p) = plant {
            cmd.env("BATON_PLANT", p);
        }
        let child = cmd.spawn().expect("baton node starts");
        let iut = Iut {
            me,
            config,
            log,
            peer: addresses[me],
            status,
            component_tcp,
            certs,
            child,
            dir,
        };
        iut.wait_listening();
        let mut setup = iut.member_setup();
        setup.members = names
            .iter()
            .enumerate()
            .map(|(i, n)| Member {
                name: (*n).into(),
                id: format!("{}", i + 1),
            })
            .collect();
        setup.quorum = Some(QuorumSetup {
            witnesses: vec![3],
            voter_lease: Duration::from_millis(1600),
            active_lease: Duration::from_millis(900),
            renew: Duration::from_millis(100),
            election_timeout: Duration::from_millis(50),
            stagger: Duration::from_millis(300),
        });
        setup.tester = usize::from(me == 0);
        setup.transport = iut.transport(names[setup.tester]);
        (iut, setup)
    }

    /// Its log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The member suite's setup: the tester plays the other member.
    pub fn member_setup(&self) -> MemberSetup {
        MemberSetup {
            address: self.peer,
            encoding: Encoding::Der,
            max_frame: DEFAULT_MAX_FRAME,
            members: vec![
                Member {
                    name: "alpha".into(),
                    id: "1".into(),
                },
                Member {
                    name: "beta".into(),
                    id: "2".into(),
                },
            ],
            iut: self.me,
            tester: 1 - self.me,
            heartbeat: Duration::from_millis(100),
            dead_interval: Duration::from_millis(300),
            retry_backoff: Duration::from_millis(100),
            preempt: false,
            patience: PATIENCE,
            component: self.component_tcp.map(|a| ComponentControl {
                address: NodeAddress::Tcp(a),
                id: "1001".into(),
            }),
            quorum: None,
            transport: self.transport(["alpha", "beta"][1 - self.me]),
        }
    }

    /// Plain TCP, or mutual TLS presenting member `name`'s certificate, with the CA's key.
    pub fn transport(&self, name: &str) -> Transport {
        let Some(d) = &self.certs else {
            return Transport::plain();
        };
        let files = baton_node::tls::TlsFiles {
            ca: d.join("ca.pem"),
            cert: d.join(format!("{name}.pem")),
            key: d.join(format!("{name}.key")),
        };
        let tls = baton_node::tls::tester::TesterTls::load(&files, Some(&d.join("ca.key")))
            .expect("the tester's certificates load");
        Transport::tls(std::sync::Arc::new(tls))
    }

    /// The node suite's setup: the tester is component 1001.
    pub fn node_setup(&self) -> NodeSetup {
        NodeSetup {
            address: NodeAddress::Tcp(self.component_tcp.expect("started with a component")),
            encoding: Encoding::Der,
            max_frame: DEFAULT_MAX_FRAME,
            component: "1001".into(),
            startup_wait: Duration::from_millis(300),
            heartbeat: Duration::from_millis(100),
            patience: PATIENCE,
            transport: self.transport("beta"),
        }
    }

    /// The status suite's setup.
    pub fn status_setup(&self) -> StatusSetup {
        StatusSetup {
            address: self.status,
            encoding: Encoding::Der,
            max_frame: DEFAULT_MAX_FRAME,
            patience: PATIENCE,
            transport: self.transport("beta"),
        }
    }
}

/// `baton certs init DIR/certs NAMES…`; the folder.
pub fn make_certs(dir: &std::path::Path, names: &[&str]) -> PathBuf {
    let certs = dir.join("certs");
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["certs", "init"])
        .arg(&certs)
        .args(names)
        .output()
        .expect("baton certs runs");
    assert!(out.status.success(), "baton certs init: {out:?}");
    certs
}

/// The `[tls]` table of member `name` (empty without certificates).
fn tls_table(certs: Option<&std::path::Path>, name: &str) -> String {
    certs.map_or_else(String::new, |d| {
        format!(
            "\n[tls]\nca = \"{d}/ca.pem\"\ncert = \"{d}/{name}.pem\"\nkey = \"{d}/{name}.key\"\n",
            d = d.display()
        )
    })
}

impl Drop for Iut {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- {} ---\n{}", self.config.display(), self.log_text());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A runtime for the tester.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}
