//! `baton node` and `baton check-config`.

use crate::Failure;
use std::path::PathBuf;

/// Arguments of `baton node`.
#[derive(clap::Args)]
pub struct NodeArgs {
    /// The node's configuration file (TOML; see `baton check-config`).
    #[arg(long, short)]
    config: PathBuf,
}

/// Arguments of `baton check-config`.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// The configuration file to check; with more files, each is checked and then all of
    /// them together as one cluster (one file per member: the same members, ids, addresses
    /// and order, election mode, encoding, [tls] and cluster timers in every file).
    #[arg(required = true, num_args = 1.., value_name = "FILE")]
    files: Vec<PathBuf>,
}

/// `baton check-config FILE [FILE ...]`: exit 0 and a summary per file (and one for the
/// cluster), or status 2 and every problem found, each with its file, line and key.
pub fn check(args: &CheckArgs) -> Result<(), Failure> {
    if let [file] = args.files.as_slice() {
        let cfg = baton_node::config::load(file).map_err(|e| Failure::invalid(e.to_string()))?;
        let tls =
            baton_node::config::load_tls(&cfg).map_err(|e| Failure::invalid(e.to_string()))?;
        vips_here(&cfg)?;
        println!("{}", summary(&cfg, tls.is_some()));
        return Ok(());
    }
    let mut problems: Vec<String> = Vec::new();
    let mut lines = Vec::new();
    match baton_node::config::load_cluster(&args.files) {
        Err(errors) => problems.extend(errors.iter().map(ToString::to_string)),
        Ok(cfgs) => {
            for cfg in &cfgs {
                match baton_node::config::load_tls(cfg) {
                    Ok(tls) => lines.push(summary(cfg, tls.is_some())),
                    Err(e) => problems.push(e.to_string()),
                }
            }
            if let Some(first) = cfgs.first() {
                lines.push(cluster_line(first, &cfgs));
            }
        }
    }
    match problems.split_last() {
        None => {
            for line in lines {
                println!("{line}");
            }
            Ok(())
        }
        Some((last, rest)) => {
            for p in rest {
                eprintln!("baton: {p}");
            }
            Err(Failure::invalid(last.clone()))
        }
    }
}

/// A single file is this host's: its `[[vip]]`s are checked against the host (PROTOCOL
/// 6.10). A missing or down interface fails (status 1); missing privileges are a warning
/// (check-config need not run as the node's user).
fn vips_here(cfg: &baton_node::config::Config) -> Result<(), Failure> {
    use baton_node::vip::VipError;
    if cfg.vips.is_empty() {
        return Ok(());
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure {
            message: format!("runtime: {e}"),
            status: 1,
        })?;
    let mut failed = None;
    for (i, vip) in cfg.vips.iter().enumerate() {
        for p in rt.block_on(baton_node::vip::problems(vip)) {
            let line = format!("{}: vip[{i}] ({}): {p}", cfg.path.display(), vip.address);
            match p {
                VipError::Privileges(_) => eprintln!("baton: warning: {line}"),
                _ => {
                    if let Some(before) = failed.replace(line) {
                        eprintln!("baton: {before}");
                    }
                }
            }
        }
    }
    match failed {
        None => Ok(()),
        Some(message) => Err(Failure { message, status: 1 }),
    }
}

/// One file's summary: `alpha.toml: ok: member alpha (id 1) of 2, pair mode, ...`.
fn summary(cfg: &baton_node::config::Config, tls: bool) -> String {
    let me = &cfg.node.members[cfg.node.me];
    format!(
        "{}: ok: member {} (id {}{}) of {}, {}, encoding {}, {} component(s), {} script \
         component(s), {}",
        cfg.path.display(),
        me.name,
        me.id,
        if cfg.node.witnesses.contains(&cfg.node.me) {
            ", witness"
        } else {
            ""
        },
        cfg.node.members.len(),
        cluster_summary(cfg),
        cfg.encoding,
        cfg.node.components.len(),
        cfg.node.scripts.len(),
        if tls {
            "mutual TLS on every TCP link"
        } else {
            "no [tls]: TCP links unauthenticated"
        }
    )
}

/// The cluster's summary: `cluster: ok: 2 files agree: members alpha beta, ...`, naming the
/// members no file was given for.
fn cluster_line(first: &baton_node::config::Config, cfgs: &[baton_node::config::Config]) -> String {
    let names: Vec<&str> = first.node.members.iter().map(|m| m.name.as_str()).collect();
    let missing: Vec<&str> = names
        .iter()
        .enumerate()
        .filter(|(i, _)| !cfgs.iter().any(|c| c.node.me == *i))
        .map(|(_, n)| *n)
        .collect();
    let mut line = format!(
        "cluster: ok: {} files agree: members {}, {}, encoding {}, heartbeat {} ms, dead \
         interval {} ms",
        cfgs.len(),
        names.join(" "),
        cluster_summary(first),
        first.encoding,
        first.node.heartbeat_interval.as_millis(),
        first.node.dead_interval.as_millis(),
    );
    if !missing.is_empty() {
        line.push_str(&format!(" (no file given for {})", missing.join(" ")));
    }
    line
}

/// The election mode, witnesses, `state_dir` and fencing, for `check-config`'s summary.
fn cluster_summary(cfg: &baton_node::config::Config) -> String {
    let mut s = match cfg.node.mode {
        baton_election::Mode::Pair => "pair mode".to_owned(),
        baton_election::Mode::Quorum => format!(
            "quorum mode ({} voters, {} witness(es), state_dir {})",
            cfg.node.members.len(),
            cfg.node.witnesses.len(),
            cfg.state_dir
                .as_ref()
                .map_or_else(|| "?".to_owned(), |d| d.display().to_string())
        ),
        baton_election::Mode::Etcd => {
            let e = cfg.etcd.as_ref();
            format!(
                "etcd mode ({} members, endpoints {}, prefix {}, ttl {} ms)",
                cfg.node.members.len(),
                e.map_or_else(String::new, |e| e.endpoints.join(",")),
                e.map_or("?", |e| e.prefix.as_str()),
                cfg.node.etcd.ttl.as_millis()
            )
        }
    };
    if let Some(f) = &cfg.fence {
        s.push_str(&format!(", fencing ({} ms)", f.timeout.as_millis()));
    }
    if let Some(p) = cfg.realtime {
        s.push_str(&format!(", realtime (SCHED_FIFO {p}, memory locked)"));
    }
    s
}

/// `baton node --config FILE`: runs until SIGTERM (handover, then exit) or SIGINT.
pub fn run(args: &NodeArgs) -> Result<(), Failure> {
    let cfg =
        baton_node::config::load(&args.config).map_err(|e| Failure::invalid(e.to_string()))?;
    // The TLS files are checked before anything starts (the driver loads them again).
    baton_node::config::load_tls(&cfg).map_err(|e| Failure::invalid(e.to_string()))?;
    baton_node::logging::init_with(&cfg.log, cfg.log_format);
    // Before the runtime, so every thread of the node is real-time; hooks are started
    // normal. Not obtaining it is a warning, not an error (OPERATIONS "Real-time scheduling").
    if let Some(priority) = cfg.realtime {
        baton_node::realtime::enter(priority).log();
    }
    // One thread: the driver owns the node and every link task only hands it frames, so
    // more threads bought no parallelism, only cross-thread wakeups (futexes) and per-thread
    // allocator arenas. Script hooks are child processes (tokio::process), signals are tokio's:
    // nothing blocks the thread.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure {
            message: format!("cannot start the runtime: {e}"),
            status: 1,
        })?;
    runtime
        .block_on(baton_node::driver::run(cfg))
        .map_err(|e| Failure {
            message: e.to_string(),
            status: 1,
        })
}
