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
    /// The configuration file to check.
    file: PathBuf,
}

/// `baton check-config FILE`: exit 0 and a summary, or status 2 and the error with its line.
pub fn check(args: &CheckArgs) -> Result<(), Failure> {
    let cfg = baton_node::config::load(&args.file).map_err(|e| Failure::invalid(e.to_string()))?;
    let tls = baton_node::config::load_tls(&cfg).map_err(|e| Failure::invalid(e.to_string()))?;
    let me = &cfg.node.members[cfg.node.me];
    println!(
        "{}: ok: member {} (id {}{}) of {}, {}, encoding {}, {} component(s), {} script \
         component(s), {}",
        args.file.display(),
        me.name,
        me.id,
        if cfg.node.witnesses.contains(&cfg.node.me) {
            ", witness"
        } else {
            ""
        },
        cfg.node.members.len(),
        cluster_summary(&cfg),
        cfg.encoding,
        cfg.node.components.len(),
        cfg.node.scripts.len(),
        if tls.is_some() {
            "mutual TLS on every TCP link"
        } else {
            "no [tls]: TCP links unauthenticated"
        }
    );
    Ok(())
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
    };
    if let Some(f) = &cfg.fence {
        s.push_str(&format!(", fencing ({} ms)", f.timeout.as_millis()));
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
