//! Etcd mode at scale (issue 14 item 4; PROTOCOL 5.12): `--etcd-clusters` clusters (one
//! prefix each) of three members on one etcd (Debian `etcd-server`, started on loopback for
//! the run). Each member is the real etcd-mode Election and the node's real etcd client,
//! hosted in this process (components confirm at once): etcd sees exactly the requests of
//! that many `baton node` processes, without 300 processes on a 2-core machine. Measured:
//! the time for every cluster to elect a member, etcd's CPU (% of one core) and resident
//! memory while every member renews and watches, then the active member of every cluster
//! stopped at once (its lease left to expire, as on a crash): each cluster's time to another
//! member active, etcd's CPU meanwhile, and any moment two members of one cluster were
//! active at once.

use crate::report::Table;
use crate::scale::procfs;
use crate::stats::Summary;
use crate::Options;
use baton_election::{Config, Election, EtcdCommand, EtcdInput, Event, NodeRole};
use baton_engine::EtcdSettings;
use baton_node::etcd::http::{post, Endpoint};
use baton_node::etcd::Client;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

const SECTION: &str = "etcd-scale";
/// Members per cluster.
const MEMBERS: usize = 3;

/// A role change of member `m` of cluster `c`.
type Change = (usize, usize, NodeRole, Instant);

/// One member: the Election, its client's requests and watch as tasks of its own (aborted
/// with it), components confirming at once.
async fn member(
    c: usize,
    m: usize,
    url: String,
    t0: Instant,
    report: mpsc::UnboundedSender<Change>,
) {
    let names: Vec<String> = (0..MEMBERS).map(|i| format!("m{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let cfg = Config::etcd(&refs, m);
    let settings = EtcdSettings {
        endpoints: vec![url],
        prefix: format!("/baton/scale/{c}"),
    };
    let client = Arc::new(Client::new(&settings, &names[m], cfg.etcd, None));
    let now = || baton_core::Instant::from_duration(t0.elapsed());
    let Ok(mut e) = Election::new(cfg, now()) else {
        return;
    };
    let (tx, mut rx) = mpsc::channel::<EtcdInput>(64);
    let mut tasks = JoinSet::new();
    loop {
        let mut done = Vec::new();
        while let Some(ev) = e.poll_event() {
            match ev {
                Event::SetComponents { generation, .. } => done.push(generation),
                Event::RoleChanged { to, .. } => {
                    let _ = report.send((c, m, to, Instant::now()));
                }
                Event::Etcd(EtcdCommand::Watch) => {
                    let (client, tx) = (client.clone(), tx.clone());
                    tasks.spawn(async move {
                        client
                            .watch(|i| tx.try_send(i).is_ok() || !tx.is_closed())
                            .await;
                    });
                }
                Event::Etcd(command) => {
                    let (client, tx) = (client.clone(), tx.clone());
                    tasks.spawn(async move {
                        if let Some(answer) = client.execute(command).await {
                            let _ = tx.send(answer).await;
                        }
                    });
                }
                _ => {}
            }
        }
        if !done.is_empty() {
            for g in done {
                e.handle_components_done(now(), g);
            }
            continue;
        }
        while tasks.try_join_next().is_some() {}
        let deadline = e
            .poll_timeout()
            .map_or(Instant::now() + Duration::from_secs(3600), |t| {
                t0 + t.since_origin()
            });
        tokio::select! {
            Some(input) = rx.recv() => e.handle_etcd(now(), input),
            () = tokio::time::sleep_until(deadline) => e.handle_timeout(now()),
        }
    }
}

/// etcd on loopback, killed on drop.
struct Etcd {
    child: Child,
    url: String,
    dir: std::path::PathBuf,
}

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn start_etcd() -> Result<Etcd, String> {
    let etcd = crate::keepalived::find_program("etcd")
        .ok_or("etcd not installed (Debian etcd-server; bench/suite.sh installs it)")?;
    let port = baton_node::loopback::free_port().map_err(|e| e.to_string())?;
    let peer_port = baton_node::loopback::free_port().map_err(|e| e.to_string())?;
    let dir = std::env::temp_dir().join(format!("baton-bench-{}-etcd", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let url = format!("http://127.0.0.1:{port}");
    let peer = format!("http://127.0.0.1:{peer_port}");
    let log = std::fs::File::create(dir.join("etcd.log")).map_err(|e| e.to_string())?;
    let child = Command::new(etcd)
        .args(["--name", "scale", "--data-dir"])
        .arg(dir.join("data"))
        .args([
            "--listen-client-urls",
            &url,
            "--advertise-client-urls",
            &url,
            "--listen-peer-urls",
            &peer,
            "--initial-advertise-peer-urls",
            &peer,
            "--initial-cluster",
            &format!("scale={peer}"),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start etcd: {e}"))?;
    let e = Etcd { child, url, dir };
    let ep = Endpoint::parse(&e.url).ok_or("etcd url")?;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = tokio::time::timeout(
            Duration::from_secs(1),
            post(&ep, None, "/v3/kv/range", br#"{"key":"AA=="}"#),
        )
        .await;
        if matches!(r, Ok(Ok(ref b)) if b.starts_with(b"{\"header\"")) {
            return Ok(e);
        }
        if Instant::now() > deadline {
            return Err("etcd did not answer within 20 s".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Who is active in each cluster, and the moments two members of one cluster were.
struct Roles {
    active: Vec<Vec<bool>>,
    dual: usize,
}

impl Roles {
    fn apply(&mut self, (c, m, role, _): &Change) {
        let serving = matches!(role, NodeRole::Promoting | NodeRole::Active);
        if serving && !self.active[*c][*m] && self.active[*c].iter().any(|a| *a) {
            self.dual += 1;
        }
        self.active[*c][*m] = serving;
    }
}

/// Runs the section.
pub fn run(opts: &Options) -> Result<Vec<Table>, String> {
    let n = opts.etcd_clusters;
    let _ = procfs::raise_nofile((n * MEMBERS * 8 + 256) as u64);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let etcd = start_etcd().await?;
        let pid = etcd.child.id().to_string();
        crate::progress(SECTION, format!("{n} clusters of {MEMBERS} on etcd {}", etcd.url));
        let (tx, mut rx) = mpsc::unbounded_channel::<Change>();
        let t0 = Instant::now();
        let mut handles = Vec::new();
        for c in 0..n {
            for m in 0..MEMBERS {
                handles.push(tokio::spawn(member(c, m, etcd.url.clone(), t0, tx.clone())));
            }
        }
        let mut roles = Roles {
            active: vec![vec![false; MEMBERS]; n],
            dual: 0,
        };
        // Every cluster elects a member (the first, unless its campaign came late).
        let deadline = t0 + Duration::from_secs(120);
        while roles.active.iter().filter(|a| a.contains(&true)).count() < n {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(ch)) => roles.apply(&ch),
                _ => return Err("not every cluster elected a member in 120 s".into()),
            }
        }
        let elected = t0.elapsed();
        let first = roles.active.iter().filter(|a| a[0]).count();
        crate::progress(SECTION, format!("all elected after {} ms", elected.as_millis()));
        // Steady state: every member renews and watches.
        let secs = opts.scale_secs.max(3);
        let before = procfs::sample(&pid)?;
        let until = Instant::now() + Duration::from_secs(secs);
        while let Ok(Some(ch)) = tokio::time::timeout_at(until, rx.recv()).await {
            roles.apply(&ch);
        }
        let after = procfs::sample(&pid)?;
        let steady_cpu = (after.cpu_secs - before.cpu_secs) / secs as f64 * 100.0;
        // The active member of every cluster stops at once; its lease expires.
        let before = procfs::sample(&pid)?;
        let killed = Instant::now();
        let mut stopped = vec![0; n];
        for (c, s) in stopped.iter_mut().enumerate() {
            *s = roles.active[c].iter().position(|a| *a).unwrap_or(0);
            handles[c * MEMBERS + *s].abort();
            roles.active[c][*s] = false;
        }
        let mut times: Vec<Option<f64>> = vec![None; n];
        let deadline = killed + Duration::from_secs(30);
        while times.iter().any(Option::is_none) {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(ch)) => {
                    let (c, m, role, at) = ch;
                    if m == stopped[c] {
                        continue;
                    }
                    if role == NodeRole::Active && times[c].is_none() {
                        times[c] = Some(at.saturating_duration_since(killed).as_secs_f64() * 1000.0);
                    }
                    roles.apply(&ch);
                }
                _ => break,
            }
        }
        let spent = killed.elapsed().as_secs_f64();
        let after = procfs::sample(&pid)?;
        let failover_cpu = (after.cpu_secs - before.cpu_secs) / spent * 100.0;
        for h in &handles {
            h.abort();
        }
        let got: Vec<f64> = times.iter().flatten().copied().collect();
        let mut t = Table::new(
            format!("etcd mode at scale: {n} clusters of {MEMBERS} members on one etcd"),
            &["measure", "value"],
        );
        t.row(vec!["clusters x members".into(), format!("{n} x {MEMBERS}")]);
        t.row(vec![
            "every cluster with a member active after start, ms".into(),
            format!("{}", elected.as_millis()),
        ]);
        t.row(vec![
            "clusters whose first member won at start".into(),
            format!("{first} of {n}"),
        ]);
        t.row(vec![
            format!("etcd CPU, steady ({secs} s: renewals every TTL/3, watches), % of one core"),
            format!("{steady_cpu:.1}"),
        ]);
        t.row(vec![
            "etcd resident memory, MiB".into(),
            format!("{:.1}", after.rss_kib as f64 / 1024.0),
        ]);
        t.row(vec![
            format!("etcd CPU while {n} leases expired and {n} campaigns ran, % of one core"),
            format!("{failover_cpu:.1}"),
        ]);
        t.row(vec![
            "the active of every cluster stopped at once: another member active, ms: min / median / max (n)".into(),
            Summary::of(&got).map_or("none".into(), |s| format!("{} ({})", s.triple(1), s.n)),
        ]);
        t.row(vec![
            "clusters without a new active within 30 s".into(),
            (n - got.len()).to_string(),
        ]);
        t.row(vec![
            "dual-active moments (two members of one cluster active)".into(),
            roles.dual.to_string(),
        ]);
        t.notes.push(format!(
            "Lease TTL 2000 ms (default), stagger 300 ms. Members: the etcd-mode Election and \
             the node's etcd client in this process, components confirming at once; etcd 3.4 \
             on loopback. Load average at the end: {}.",
            procfs::load1()
        ));
        Ok(vec![t])
    })
}
